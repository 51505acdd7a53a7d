/*
 * out.h - what agauthctl prints, and the exit status it ends with.
 *
 * Results go to stdout; errors go to stderr as "Class: message", the way
 * Node prints a jsonwebtoken error (then what to do, if agauthctl knows),
 * and in --json mode to stdout alone as
 * {"ok":false,"code","name","message"[,"date"][,"hint"]}.
 */
#ifndef AGCTL_OUT_H
#define AGCTL_OUT_H

#include <stddef.h>

#include "client/lib/agauth.h"
#include "shared/buf.h"

/* Exit statuses (documented in agauthctl --help). */
enum out_exit {
	OUT_OK = 0,
	OUT_INVALID = 1,         /* JsonWebTokenError and the like */
	OUT_EXPIRED = 2,         /* TokenExpiredError */
	OUT_NOT_BEFORE = 3,      /* NotBeforeError */
	OUT_FAILED = 4,          /* sign error, refused, keygen failed */
	OUT_USAGE = 64,          /* EX_USAGE */
	OUT_UNREACHABLE = 69,    /* EX_UNAVAILABLE: agauthd cannot be reached */
	OUT_WRITE = 74,          /* EX_IOERR: the output could not be written */
};

int out_exit(enum agauth_status st);
/* Reports e; returns its exit status. */
int out_error(int json, const struct agauth_error *e);
/* The same, with "key":"val" in the JSON object if val is not NULL. */
int out_error_with(int json, const struct agauth_error *e, const char *key,
		   const char *val);
/* The same, with what to do about it (hint, if not NULL) on the next
 * line, or as "hint" in the JSON object. */
int out_error_hint(int json, const struct agauth_error *e, const char *key,
		   const char *val, const char *hint);
/* secs since the epoch as ISO 8601 in UTC ("2026-12-07T08:51:41Z"),
 * "never" for 0, the number itself past what gmtime takes. */
#define OUT_TIME_MAX 32
#define OUT_TIME_LAST 253402300800.0  /* 10000-01-01T00:00:00Z */
void out_time(double secs, char *s, size_t n);
/* "agauthctl[ cmd]: message" and where help is, on stderr; OUT_USAGE. */
int out_usage(const char *who, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A JSON object for stdout: out_obj (or out_ok, which starts it with
 * "ok":true), out_key before each value, out_close to print it. */
void out_obj(struct buf *b);
void out_ok(struct buf *b);
void out_key(struct buf *b, const char *key);
void out_key_str(struct buf *b, const char *key, const char *s);
/* Prints the object and a newline; OUT_OK, or OUT_FAILED if the object
 * did not fit.  Frees b. */
int out_close(struct buf *b);
/* Prints s[0..n) and a newline. */
void out_line(const char *s, size_t n);
/* Flushes stdout at exit: status, or OUT_WRITE if output was lost. */
int out_finish(int status);

#endif
