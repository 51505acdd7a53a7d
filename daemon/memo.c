/* memo.c - per-thread scratch and the memos of options and headers. */
#include "daemon/memo.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * Made on the thread's first job and freed as it ends.  Not in
 * thread-local storage itself: glibc clears all of that for every thread
 * as it starts, 50 KiB of resident memory each whether it verifies or
 * not; on the heap only what tokens reach into is ever touched.
 */
static _Thread_local struct memo *memo_tls;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static pthread_key_t memo_key;

static void memo_key_make(void)
{
	(void)pthread_key_create(&memo_key, free);
}

struct memo *memo_get(struct ag_error *e)
{
	struct memo *m = memo_tls;

	if (m != NULL)
		return m;
	pthread_once(&memo_once, memo_key_make);
	m = malloc(sizeof *m);
	if (m == NULL) {
		ag_fail(e, AG_E_NOMEM, "no memory for a job's scratch");
		return NULL;
	}
	m->vopts_ok = 0;
	m->vopts_len = 0;
	/* the key frees it when the thread ends */
	(void)pthread_setspecific(memo_key, m);
	memo_tls = m;
	return m;
}

/*
 * A worker sends the same options (or none) with every verify, and
 * parsing even "{}" costs a twentieth of an HS256 verification: options
 * byte for byte the same as the last ones parsed on this thread are not
 * parsed again.
 */
const struct vopts *memo_vopts(struct memo *m, const char *opts, size_t n,
			       struct ag_error *e)
{
	struct vopts *v = &m->vopts;

	if (m->vopts_ok && n == m->vopts_len &&
	    (n == 0 || memcmp(v->text, opts, n) == 0))
		return v;
	m->vopts_ok = 0;
	if (vopts_parse(v, opts, n, e) != 0)
		return NULL;
	m->vopts_ok = 1;
	m->vopts_len = n;
	return v;
}

/* The header segment last peeked at, and what it said (loop thread). */
static struct {
	char hdr[128];
	size_t len;
	char fam[3];
	int rc;
} memo_hdr;

/*
 * A worker's tokens come from one issuer and carry the same header, byte
 * for byte, and decoding it costs as much as a twentieth of an HS256
 * verification.  The family depends on nothing but the header segment's
 * bytes.
 */
int memo_family(const char *tok, size_t len, char fam[3])
{
	const char *dot = memchr(tok, '.', len);
	size_t hn = dot != NULL ? (size_t)(dot - tok) : len;
	int rc;

	if (hn > 0 && hn == memo_hdr.len && memcmp(tok, memo_hdr.hdr, hn) == 0) {
		memcpy(fam, memo_hdr.fam, 3);
		return memo_hdr.rc;
	}
	rc = jwt_peek_family(tok, len, fam);
	if (hn <= sizeof memo_hdr.hdr) {
		memcpy(memo_hdr.hdr, tok, hn);
		memo_hdr.len = hn;
		memcpy(memo_hdr.fam, fam, 3);
		memo_hdr.rc = rc;
	}
	return rc;
}
