/* clock.c - the wall clock (clock.h). */
#include "daemon/clock.h"

#include <time.h>

double clock_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
