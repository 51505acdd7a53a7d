/*
 * memo.h - what a thread remembers between the jobs it runs: the scratch
 * a token is decoded into, and answers that depend only on bytes a worker
 * sends again and again (its verify options, its tokens' header), so that
 * the same bytes are not parsed twice.  Nothing here is shared between
 * threads; none of it holds key material.
 */
#ifndef AG_MEMO_H
#define AG_MEMO_H

#include <stddef.h>

#include "shared/agerr.h"
#include "shared/jwt.h"
#include "shared/vopts.h"

/* One per thread (the loop's and each pool thread's). */
struct memo {
	struct jwt jwt;              /* the token decoded last */
	struct vopts vopts;          /* the options parsed last, vopts_len
				      * bytes of them, if vopts_ok */
	int vopts_ok;
	size_t vopts_len;
};

/* This thread's memo, made on its first call and freed as the thread
 * ends; NULL, with e filled, without memory. */
struct memo *memo_get(struct ag_error *e);
/* opts parsed (n bytes; n == 0: none), from the memo when they are the
 * bytes parsed last on this thread; NULL with e filled if they are not
 * valid options. */
const struct vopts *memo_vopts(struct memo *m, const char *opts, size_t n,
			       struct ag_error *e);
/* jwt_peek_family of a token, from the memo when its header segment is
 * the one peeked at last (the loop thread only). */
int memo_family(const char *tok, size_t len, char fam[3]);

#endif
