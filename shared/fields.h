/*
 * fields.h - the lines of agauthd's own text formats, taken apart: the
 * revocation log (daemon/revoke.c) and the fleet's records
 * (daemon/cluster_record.c) are space-separated fields with times in
 * decimal milliseconds.  Outside bytes: every call is bounded by end.
 */
#ifndef AG_FIELDS_H
#define AG_FIELDS_H

#include <stddef.h>

/* The next space-terminated field of [*p, end): its start, its length in
 * *n, *p moved past the space; NULL if no space is left. */
const char *fields_next(const char **p, const char *end, size_t *n);

/* s[0..n), 1 to max_digits decimal digits, as milliseconds: *out in
 * seconds.  0, or -1. */
int fields_ms(const char *s, size_t n, size_t max_digits, double *out);

#endif
