/*
 * opts.h - agauthctl's sign and verify flags turned into the JSON text of
 * jsonwebtoken's options object, which the daemon takes as it is.
 *
 * --options JSON comes first; the flags follow it as members of the same
 * object, so a flag overrides the same option in --options (JSON.parse:
 * the last duplicate wins).  Values keep jsonwebtoken's types: a span of
 * digits only is a number of seconds, anything else the string span.
 */
#ifndef AGCTL_OPTS_H
#define AGCTL_OPTS_H

#include <stddef.h>

#include "client/ctl/args.h"
#include "shared/buf.h"

enum opts_kind {
	OPTS_STR = 1,    /* "key":"value" */
	OPTS_SPAN,       /* digits: a number of seconds; else a string */
	OPTS_NUM,        /* a JSON number */
	OPTS_TRUE,       /* "key":true */
	OPTS_LIST,       /* repeatable: once a string, more an array */
	OPTS_CSV,        /* "A,B": ["A","B"] */
	OPTS_OBJECT,     /* a JSON object, as written */
	OPTS_RAW,        /* --options: a JSON object, merged first */
};

#define OPTS_SET_MAX  32   /* distinct options a command has */
#define OPTS_LIST_MAX 64   /* values of one repeatable flag */

struct opts_set {
	const struct args_flag *f;
	const char *val[OPTS_LIST_MAX];
	int n;
};

struct opts {
	const char *raw;     /* --options, or NULL */
	struct opts_set set[OPTS_SET_MAX];
	int n;
};

/* The flags of sign and of verify (ended by a NULL name). */
extern const struct args_flag opts_sign[];
extern const struct args_flag opts_verify[];

/* Records flag f with its value: 0, or -1 with the reason in why. */
int opts_add(struct opts *o, const struct args_flag *f, const char *val,
	     char *why, size_t cap);
/* 1 if the option named key was set by a flag. */
int opts_has(const struct opts *o, const char *key);
/* Appends the options object; nothing if no option is set.  0, or -1 if
 * b failed. */
int opts_json(const struct opts *o, struct buf *b);

#endif
