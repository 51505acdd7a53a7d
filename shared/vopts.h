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

#include "shared/agerr.h"
#include "shared/json.h"
#include "shared/limits.h"

struct vopts {
	struct json_doc doc;
	/* value tokens, or -1 when the option is absent */
	int algorithms, audience, issuer, subject, jwtid, nonce, max_age;
	int ignore_exp, ignore_nbf, complete;
	int has_clock_timestamp;
	double clock_timestamp;      /* seconds */
	double clock_tolerance;      /* seconds */
	struct ag_error early;       /* verify fails with this first */
	/* The cache's fast path: options whose checks need only the
	 * algorithm and the time claims, with the algorithms they allow as
	 * a mask of vopts_alg_index() bits. */
	int fast;
	unsigned alg_mask;
	/* audience, issuer, subject, jwtid or nonce is checked: the claim
	 * checks need more of the payload than its times */
	int claims_strings;
	char text[AG_OPTS_MAX];
	struct json_tok tok[AG_OPTS_MAX_TOKENS];
};

/* Prepares options from JSON text ("" or NULL: no options).  Fails only
 * for text that is not a JSON object or exceeds the limits. */
int vopts_parse(struct vopts *o, const char *json, size_t n,
		struct ag_error *e);

/* The signing algorithms by number, their rows in shared/algs.h (HS256
 * .. ES512): -1 for any other name. */
#define VOPTS_ALGS 12
int vopts_alg_index(const char *name, size_t n);

/* The seconds verify compares against: clockTimestamp, or floor(now). */
double vopts_now(const struct vopts *o, double now);

#endif
