/*
 * status.h - libagauth's statuses: the daemon's JavaScript error classes
 * mapped onto enum agauth_status, and the errors libagauth raises itself
 * (connect, lost connection, protocol, usage).
 */
#ifndef AGAUTH_STATUS_H
#define AGAUTH_STATUS_H

#include <stddef.h>

#include "client/lib/agauth.h"
#include "shared/agerr.h"

/* The status of a failed op whose reply names the class name[0..n). */
enum agauth_status status_of(const char *name, size_t n, enum agauth_op op);

/* Fills *err (if not NULL) with an error of libagauth's own (class
 * "AgauthError") and returns -1.  A NULL fmt takes the code's message. */
int status_set(struct agauth_error *err, enum agauth_status st,
	       enum ag_err code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Fills *err (if not NULL) with e, an error of the shared code (a cache
 * hit's), exactly as the reply to op that carried it would. */
void status_from(struct agauth_error *err, const struct ag_error *e,
		 enum agauth_op op);
/* Sets *err (if not NULL) to success. */
void status_ok(struct agauth_error *err);

#endif
