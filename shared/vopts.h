/*
 * vopts.h - jsonwebtoken's verify options, prepared once.
 *
 * Options arrive as the JSON text of jsonwebtoken's options object, so
 * every client (Node, C, CLI) hands over exactly what the application
 * wrote, and values keep their JavaScript types (an audience of 5 is not
 * "5").  A prepared vopts can be reused for many verifications.
 */
#ifndef AG_VOPTS_H
#define AG_VOPTS_H

#include <stddef.h>

#include "agerr.h"
#include "json.h"
#include "limits.h"

struct vopts {
	struct json_doc doc;
	/* value tokens, or -1 when the option is absent */
	int algorithms, audience, issuer, subject, jwtid, nonce, max_age;
	int ignore_exp, ignore_nbf, complete;
	int has_clock_timestamp;
	double clock_timestamp;      /* seconds */
	double clock_tolerance;      /* seconds */
	struct ag_error early;       /* verify fails with this first */
	char text[AG_OPTS_MAX];
	jsmntok_t tok[AG_OPTS_MAX_TOKENS];
};

/* Prepares options from JSON text ("" or NULL: no options).  Fails only
 * for text that is not a JSON object or exceeds the limits. */
int vopts_parse(struct vopts *o, const char *json, size_t n,
		struct ag_error *e);

/* The seconds verify compares against: clockTimestamp, or floor(now). */
double vopts_now(const struct vopts *o, double now);

#endif
