/*
 * timespan.h - jsonwebtoken's time spans (lib/timespan.js over the `ms`
 * package): a number is seconds, a string like "2 days", "1.5h" or "-1h"
 * is parsed by ms, and a string without a unit is milliseconds.
 */
#ifndef AG_TIMESPAN_H
#define AG_TIMESPAN_H

#include <stddef.h>

#include "shared/json.h"

/* ms("..."): milliseconds, or -1 if ms() returns undefined. */
int timespan_ms(const char *s, size_t n, double *ms);

/*
 * timespan(value, iat): the base is iat, or floor(now) when iat is 0;
 * a string gives floor(base + ms / 1000), a number base + value.
 * Returns -1 where jsonwebtoken's timespan returns undefined.
 */
int timespan_eval(const struct json_doc *d, int i, double iat, double now,
		  double *out);

#endif
