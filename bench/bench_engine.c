/*
 * bench_engine - operations per second of the JWT engine.
 *
 *   build/bench_engine [KEYDIR]
 *
 * Measures sign_token and verify_token for HS256, RS256 (2048-bit) and
 * ES256 (P-256) with a typical SocketCluster payload, plus the baseline of
 * a bare one-shot mbedtls_md_hmac() over the same signing input.  Keys are
 * generated in-process; with KEYDIR they are also written there (secret,
 * rs256.key.pem, rs256.pub.pem, es256.key.pem, es256.pub.pem) so that
 * bench_peers.js measures jsonwebtoken and fast-jwt with the same keys.
 *
 * Each measurement warms up, then runs for BENCH_SECONDS (default 1)
 * BENCH_REPS times (default 5) and prints one line:
 *
 *   engine <name> <median ops/s> <min ops/s> <max ops/s>
 *
 * and, from repetitions interleaved with the verifications, the cost of
 * an HS256 verification in bare HMACs:
 *
 *   engine-ratio hs256_verify_per_bare_hmac <median> <min> <max>
 *
 * Other lines start with '#'.  A benchmark, never a test: any failing
 * operation aborts the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>

#include "bench/bench_util.h"
#include "shared/agerr.h"
#include "shared/buf.h"
#include "shared/jwt.h"
#include "shared/limits.h"
#include "shared/vopts.h"
#include "daemon/engine/key.h"
#include "daemon/engine/sign.h"
#include "daemon/engine/verify.h"

#define BENCH_REPS_DEFAULT 5
#define BENCH_REPS_MAX 101
#define BENCH_PEM_MAX 8192
/* 32 bytes, shared with bench_peers.js through KEYDIR/secret */
#define BENCH_SECRET "sc-bench-secret-0123456789abcdef"

typedef int (*bench_fn)(void *ctx);

struct bench_cfg {
	double seconds;              /* per repetition */
	double warmup;               /* seconds */
	int reps;
};

struct bench_sign {
	const struct key *k;
	struct sign_req r;
	struct buf token;
	struct ag_error e;
};

struct bench_verify {
	const struct key *k;
	const char *token;
	size_t len;
	struct vopts o;              /* parsed once, as a client would */
	double now;
	struct jwt j;
	struct ag_error e;
};

struct bench_hmac {
	const mbedtls_md_info_t *md;
	const unsigned char *key;
	size_t keylen;
	const unsigned char *in;
	size_t n;
	unsigned char mac[MBEDTLS_MD_MAX_SIZE];
};

/* One measurement. */
struct bench_case {
	char name[32];
	bench_fn fn;
	void *ctx;
	const struct ag_error *e;    /* why a failing operation failed */
	unsigned long batch;         /* calls between clock readings */
	double rate[BENCH_REPS_MAX]; /* ops/s, per repetition */
};

/* One algorithm's keys and measurements. */
struct bench_alg {
	const char *name;            /* "hs256" */
	const char *jwa;             /* "HS256" */
	struct key *sk, *vk;         /* signing, verification */
	char so[64];                 /* sign options */
	struct bench_sign s;
	struct bench_verify v;
};

static void bench_die(const char *what, const struct ag_error *e)
{
	fprintf(stderr, "bench_engine: %s", what);
	if (e != NULL)
		fprintf(stderr, ": %s (%s)", e->msg, ag_errname(e->code));
	fputc('\n', stderr);
	exit(1);
}




/* ---------------------------------------------------------------- ops */

static int bench_op_sign(void *ctx)
{
	struct bench_sign *s = ctx;

	buf_reset(&s->token);
	ag_clear(&s->e);
	return sign_token(s->k, &s->r, &s->token, NULL, &s->e);
}

static int bench_op_verify(void *ctx)
{
	struct bench_verify *v = ctx;

	ag_clear(&v->e);
	return verify_token(v->k, v->token, v->len, &v->o, v->now, &v->j,
			    &v->e);
}

static int bench_op_hmac(void *ctx)
{
	struct bench_hmac *h = ctx;

	return mbedtls_md_hmac(h->md, h->key, h->keylen, h->in, h->n, h->mac);
}

/* ---------------------------------------------------------------- timing */

/* Runs fn for at least `secs` in batches of `batch` calls; ops/s. */
static double bench_run(bench_fn fn, void *ctx, double secs,
			unsigned long batch)
{
	double t0 = bench_clock(), t;
	unsigned long n = 0, i;

	do {
		for (i = 0; i < batch; i++)
			if (fn(ctx) != 0)
				return -1;
		n += batch;
		t = bench_clock();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}



/*
 * Measures a group of operations with their repetitions interleaved
 * (rep 1 of each, rep 2 of each, ...), so that operations compared with
 * each other see the same machine conditions.  Leaves each case's rates,
 * in repetition order, in rate[].
 */
static void bench_group(const struct bench_cfg *cfg, struct bench_case *c,
			int n)
{
	double w;
	int i, r;

	/* warm up, and size batches so that reading the clock costs
	 * nothing next to ~1 ms of work */
	for (i = 0; i < n; i++) {
		w = bench_run(c[i].fn, c[i].ctx, cfg->warmup, 1);
		if (w < 0)
			bench_die(c[i].name, c[i].e);
		c[i].batch = (unsigned long)(w / 1000.0);
		if (c[i].batch < 1)
			c[i].batch = 1;
	}
	for (r = 0; r < cfg->reps; r++)
		for (i = 0; i < n; i++) {
			c[i].rate[r] = bench_run(c[i].fn, c[i].ctx,
						 cfg->seconds, c[i].batch);
			if (c[i].rate[r] < 0)
				bench_die(c[i].name, c[i].e);
		}
	for (i = 0; i < n; i++)
		bench_report("engine", c[i].name, c[i].rate, cfg->reps, 0);
}

/* ---------------------------------------------------------------- keys */

static void bench_write(const char *dir, const char *file, const void *p,
			size_t n)
{
	char path[4096];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static struct key *bench_key(const void *m, size_t n, enum key_use use)
{
	struct ag_error e;
	struct key *k;

	ag_clear(&e);
	if (key_load(&k, m, n, use, &e) != 0)
		bench_die("key_load", &e);
	return k;
}

/* Generates an RSA-2048 or P-256 key pair with mbedTLS, loads it the way
 * the daemon does (PEM through key_load) and writes the PEMs to dir. */
static void bench_gen(struct bench_alg *a, mbedtls_pk_type_t type,
		      const char *dir)
{
	static unsigned char priv[BENCH_PEM_MAX], pub[BENCH_PEM_MAX];
	mbedtls_pk_context pk;
	char file[64];
	int rc;

	mbedtls_pk_init(&pk);
	rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(type));
	if (rc == 0 && type == MBEDTLS_PK_RSA)
		rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), key_rng, NULL,
					 2048, 65537);
	else if (rc == 0)
		rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
					 mbedtls_pk_ec(pk), key_rng, NULL);
	if (rc == 0)
		rc = mbedtls_pk_write_key_pem(&pk, priv, sizeof priv);
	if (rc == 0)
		rc = mbedtls_pk_write_pubkey_pem(&pk, pub, sizeof pub);
	mbedtls_pk_free(&pk);
	if (rc != 0) {
		fprintf(stderr, "bench_engine: %s key generation failed "
			"(mbedTLS -0x%04x)\n", a->jwa, (unsigned)-rc);
		exit(1);
	}
	a->sk = bench_key(priv, strlen((char *)priv), KEY_USE_SIGN);
	a->vk = bench_key(pub, strlen((char *)pub), KEY_USE_VERIFY);
	snprintf(file, sizeof file, "%s.key.pem", a->name);
	bench_write(dir, file, priv, strlen((char *)priv));
	snprintf(file, sizeof file, "%s.pub.pem", a->name);
	bench_write(dir, file, pub, strlen((char *)pub));
	mbedtls_platform_zeroize(priv, sizeof priv);
}

/* ---------------------------------------------------------------- setup */

static void bench_prepare(struct bench_alg *a, const char *payload,
			  double now)
{
	char vo[64];
	int n;

	/* HS256 is sign()'s default algorithm; the others must be named */
	if (strcmp(a->jwa, "HS256") == 0)
		n = snprintf(a->so, sizeof a->so, "{\"expiresIn\":86400}");
	else
		n = snprintf(a->so, sizeof a->so,
			     "{\"expiresIn\":86400,\"algorithm\":\"%s\"}",
			     a->jwa);
	memset(&a->s.r, 0, sizeof a->s.r);
	a->s.k = a->sk;
	a->s.r.payload = payload;
	a->s.r.payload_len = strlen(payload);
	a->s.r.opts = a->so;
	a->s.r.opts_len = (size_t)n;
	a->s.r.now = now;
	buf_init(&a->s.token, AG_TOKEN_MAX);
	/* the token verify measures, signed once */
	if (bench_op_sign(&a->s) != 0 || buf_cstr(&a->s.token) == NULL)
		bench_die("sign", &a->s.e);
	a->v.k = a->vk;
	a->v.token = a->s.token.p;
	a->v.len = a->s.token.len;
	a->v.now = now;
	n = snprintf(vo, sizeof vo, "{\"algorithms\":[\"%s\"]}", a->jwa);
	ag_clear(&a->v.e);
	if (vopts_parse(&a->v.o, vo, (size_t)n, &a->v.e) != 0)
		bench_die("vopts_parse", &a->v.e);
	if (bench_op_verify(&a->v) != 0)
		bench_die("verify", &a->v.e);
}

int main(int argc, char **argv)
{
	static struct bench_alg algs[3] = {
		{ .name = "hs256", .jwa = "HS256" },
		{ .name = "rs256", .jwa = "RS256" },
		{ .name = "es256", .jwa = "ES256" },
	};
	static struct bench_hmac h;
	static struct bench_case c[3];
	double cost[BENCH_REPS_MAX];
	const char *dir = argc > 1 ? argv[1] : NULL;
	struct bench_cfg cfg;
	char payload[128];
	const char *dot;
	double now = bench_wall();
	int i, r;

	bench_prog = "bench_engine";
	cfg.seconds = bench_env("BENCH_SECONDS", 1, 0.01, 3600);
	cfg.reps = (int)bench_env("BENCH_REPS", BENCH_REPS_DEFAULT, 1,
				  BENCH_REPS_MAX);
	cfg.warmup = cfg.seconds / 10 < 0.05 ? 0.05 : cfg.seconds / 10;
	if (cfg.warmup > 0.1)
		cfg.warmup = 0.1;
	printf("# mbedtls %s\n", MBEDTLS_VERSION_STRING);

	algs[0].sk = bench_key(BENCH_SECRET, strlen(BENCH_SECRET),
			       KEY_USE_SIGN);
	algs[0].vk = bench_key(BENCH_SECRET, strlen(BENCH_SECRET),
			       KEY_USE_VERIFY);
	bench_write(dir, "secret", BENCH_SECRET, strlen(BENCH_SECRET));
	bench_gen(&algs[1], MBEDTLS_PK_RSA, dir);
	bench_gen(&algs[2], MBEDTLS_PK_ECKEY, dir);

	snprintf(payload, sizeof payload,
		 "{\"username\":\"alice\",\"channels\":[\"a\",\"b\"],"
		 "\"iat\":%.0f}", (double)(long long)now);
	printf("# payload %s\n", payload);
	for (i = 0; i < 3; i++) {
		bench_prepare(&algs[i], payload, now);
		printf("# %s sign options %s\n", algs[i].name, algs[i].so);
	}
	printf("# hs256 token %s (%zu bytes)\n", algs[0].v.token,
	       algs[0].v.len);
	fflush(stdout);

	/* the baseline: one-shot HMAC of the HS256 token's signing input */
	dot = strrchr(algs[0].v.token, '.');
	h.md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	h.key = (const unsigned char *)BENCH_SECRET;
	h.keylen = strlen(BENCH_SECRET);
	h.in = (const unsigned char *)algs[0].v.token;
	h.n = (size_t)(dot - algs[0].v.token);

	/* each algorithm's sign and verify (and for HS256 the bare HMAC)
	 * interleaved; the cost of an HS256 verification in bare HMACs is
	 * taken per repetition, from the two measurements run back to back */
	for (i = 0; i < 3; i++) {
		memset(c, 0, sizeof c);
		snprintf(c[0].name, sizeof c[0].name, "%s_sign", algs[i].name);
		c[0].fn = bench_op_sign;
		c[0].ctx = &algs[i].s;
		c[0].e = &algs[i].s.e;
		snprintf(c[1].name, sizeof c[1].name, "%s_verify",
			 algs[i].name);
		c[1].fn = bench_op_verify;
		c[1].ctx = &algs[i].v;
		c[1].e = &algs[i].v.e;
		snprintf(c[2].name, sizeof c[2].name, "hmac_sha256_bare");
		c[2].fn = bench_op_hmac;
		c[2].ctx = &h;
		bench_group(&cfg, c, i == 0 ? 3 : 2);
		if (i == 0) {
			for (r = 0; r < cfg.reps; r++)
				cost[r] = c[2].rate[r] / c[1].rate[r];
			bench_report("engine-ratio",
				     "hs256_verify_per_bare_hmac", cost,
				     cfg.reps, 3);
		}
	}

	for (i = 0; i < 3; i++) {
		buf_free(&algs[i].s.token);
		key_free(algs[i].sk);
		key_free(algs[i].vk);
	}
	return 0;
}
