/* version.c - the release libagauth is (VERSION, through the Makefile). */
#include "client/lib/agauth.h"

const char *agauth_version(void)
{
	return AG_VERSION;
}
