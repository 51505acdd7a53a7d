/*
 * bench_engine - operations per second of the JWT engine.
 *
 *   build/bench_engine [KEYDIR]
 *
 * Measures sign_token and verify_token for HS256, RS256 and PS256
 * (2048-bit, the same key) and ES256 (P-256) with a typical SocketCluster
 * payload, through the engine's crypto seam (daemon/engine/crypto.h), so
 * whichever backend it was built with.  Keys are generated in-process by
 * that backend; with KEYDIR they are also written there (secret,
 * rs256.key.pem, rs256.pub.pem, es256.key.pem, es256.pub.pem; PS256 uses
 * the RS256 pair) so that bench_peers.js measures jsonwebtoken and
 * fast-jwt with the same keys.
 *
 * Each measurement warms up, then runs for BENCH_SECONDS (default 1)
 * BENCH_REPS times (default 5) and prints one line:
 *
 *   engine <name> <median ops/s> <min ops/s> <max ops/s>
 *
 * and, for ES256 verify and RS256 sign, the same operation in two
 * threads at once (ops/s of both together; each its own token buffer,
 * the key shared as the daemon's crypto pool shares it) measured back
 * to back with one thread, and their ratio per repetition:
 *
 *   engine <alg>_<op>_2threads <median> <min> <max>
 *   engine-ratio <alg>_<op>_2threads_per_1 <median> <min> <max>
 *
 * Other lines start with '#'.  A benchmark, never a test: any failing
 * operation aborts the run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"
#include "shared/agerr.h"
#include "shared/buf.h"
#include "shared/jwt.h"
#include "shared/limits.h"
#include "shared/vopts.h"
#include "daemon/engine/crypto.h"
#include "daemon/engine/key.h"
#include "daemon/engine/secmem.h"
#include "daemon/engine/sign.h"
#include "daemon/engine/verify.h"

#define BENCH_REPS_DEFAULT 5
#define BENCH_REPS_MAX 101
#define BENCH_PEM_MAX 8192
#define BENCH_ALGS 4
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

/* Generates an RSA-2048 or P-256 key pair with the crypto backend (as
 * `agauthd keygen` does), loads it the way the daemon does (PEM through
 * key_load) and writes the PEMs to dir. */
static void bench_gen(struct bench_alg *a, enum alg_keytype type,
		      const char *dir)
{
	static char pub[BENCH_PEM_MAX];
	/* the private key's text, then the backend's scratch: locked */
	uint8_t *priv = secmem_alloc(2 * AG_KEY_MAX);
	size_t n = 0, pn = 0;
	char file[64];

	if (priv == NULL || crypto_generate(type, 2048, type == ALG_KEY_EC ?
					    ALG_P256 : ALG_CURVE_NONE, priv,
					    AG_KEY_MAX, &n,
					    priv + AG_KEY_MAX) != 0) {
		fprintf(stderr, "bench_engine: %s key generation failed\n",
			a->jwa);
		exit(1);
	}
	a->sk = bench_key(priv, n, KEY_USE_SIGN);
	if (crypto_public_pem(a->sk->ck, pub, sizeof pub, &pn) != 0)
		bench_die("crypto_public_pem", NULL);
	a->vk = bench_key(pub, pn, KEY_USE_VERIFY);
	snprintf(file, sizeof file, "%s.key.pem", a->name);
	bench_write(dir, file, priv, n);
	snprintf(file, sizeof file, "%s.pub.pem", a->name);
	bench_write(dir, file, pub, pn);
	secmem_free(priv);
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

/* ---------------------------------------------------------------- threads */

/* One thread of a two-thread measurement: its own context. */
struct bench_thread {
	pthread_t t;
	bench_fn fn;
	void *ctx;
	double secs;
	unsigned long batch;
	double rate;
};

static void *bench_thread_main(void *arg)
{
	struct bench_thread *t = arg;

	t->rate = bench_run(t->fn, t->ctx, t->secs, t->batch);
	return NULL;
}

/*
 * An operation in one thread, then in two at once (ctx[0] and ctx[1],
 * each its own buffers, the key shared), repetition by repetition: the
 * scaling of the engine on as many cores, the figure the daemon's crypto
 * pool can reach with two threads.
 */
static void bench_scaling(const struct bench_cfg *cfg, const char *name,
			  bench_fn fn, void *ctx[2], const struct ag_error *e)
{
	struct bench_thread th[2];
	double one[BENCH_REPS_MAX], two[BENCH_REPS_MAX], ratio[BENCH_REPS_MAX];
	char n2[64];
	unsigned long batch;
	double w;
	int r, i;

	/* warm up, and batches of ~1 ms as bench_group sizes them */
	w = bench_run(fn, ctx[0], cfg->warmup, 1);
	if (w < 0)
		bench_die(name, e);
	batch = w / 1000 < 1 ? 1 : (unsigned long)(w / 1000);
	for (r = 0; r < cfg->reps; r++) {
		one[r] = bench_run(fn, ctx[0], cfg->seconds, batch);
		for (i = 0; i < 2; i++) {
			th[i] = (struct bench_thread){ .fn = fn, .ctx = ctx[i],
				.secs = cfg->seconds, .batch = batch };
			if (pthread_create(&th[i].t, NULL, bench_thread_main,
					   &th[i]) != 0)
				bench_die("pthread_create", NULL);
		}
		for (i = 0; i < 2; i++)
			pthread_join(th[i].t, NULL);
		if (one[r] < 0 || th[0].rate < 0 || th[1].rate < 0)
			bench_die(name, e);
		two[r] = th[0].rate + th[1].rate;
		ratio[r] = two[r] / one[r];
	}
	snprintf(n2, sizeof n2, "%s_2threads", name);
	bench_report("engine", n2, two, cfg->reps, 0);
	snprintf(n2, sizeof n2, "%s_2threads_per_1", name);
	bench_report("engine-ratio", n2, ratio, cfg->reps, 2);
}

int main(int argc, char **argv)
{
	static struct bench_alg algs[BENCH_ALGS] = {
		{ .name = "hs256", .jwa = "HS256" },
		{ .name = "rs256", .jwa = "RS256" },
		{ .name = "es256", .jwa = "ES256" },
		{ .name = "ps256", .jwa = "PS256" },
	};
	/* the second thread's contexts: ES256 verify, RS256 sign */
	static struct bench_alg es2, rs2;
	static struct bench_case c[2];
	const char *dir = argc > 1 ? argv[1] : NULL;
	struct bench_cfg cfg;
	char payload[128];
	double now = bench_wall();
	void *ctx[2];
	int i;

	bench_prog = "bench_engine";
	cfg.seconds = bench_env("BENCH_SECONDS", 1, 0.01, 3600);
	cfg.reps = (int)bench_env("BENCH_REPS", BENCH_REPS_DEFAULT, 1,
				  BENCH_REPS_MAX);
	cfg.warmup = cfg.seconds / 10 < 0.05 ? 0.05 : cfg.seconds / 10;
	if (cfg.warmup > 0.1)
		cfg.warmup = 0.1;

	algs[0].sk = bench_key(BENCH_SECRET, strlen(BENCH_SECRET),
			       KEY_USE_SIGN);
	algs[0].vk = bench_key(BENCH_SECRET, strlen(BENCH_SECRET),
			       KEY_USE_VERIFY);
	bench_write(dir, "secret", BENCH_SECRET, strlen(BENCH_SECRET));
	bench_gen(&algs[1], ALG_KEY_RSA, dir);
	bench_gen(&algs[2], ALG_KEY_EC, dir);
	/* PS256 with the RS256 key pair, as a keyring may bind one */
	algs[3].sk = algs[1].sk;
	algs[3].vk = algs[1].vk;

	snprintf(payload, sizeof payload,
		 "{\"username\":\"alice\",\"channels\":[\"a\",\"b\"],"
		 "\"iat\":%.0f}", (double)(long long)now);
	printf("# payload %s\n", payload);
	for (i = 0; i < BENCH_ALGS; i++) {
		bench_prepare(&algs[i], payload, now);
		printf("# %s sign options %s\n", algs[i].name, algs[i].so);
	}
	printf("# hs256 token %s (%zu bytes)\n", algs[0].v.token,
	       algs[0].v.len);
	fflush(stdout);

	/* each algorithm's sign and verify, interleaved */
	for (i = 0; i < BENCH_ALGS; i++) {
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
		bench_group(&cfg, c, 2);
	}

	/* two threads against one, on the shared keys */
	es2 = algs[2];
	bench_prepare(&es2, payload, now);
	ctx[0] = &algs[2].v;
	ctx[1] = &es2.v;
	bench_scaling(&cfg, "es256_verify", bench_op_verify, ctx, &es2.v.e);
	rs2 = algs[1];
	bench_prepare(&rs2, payload, now);
	ctx[0] = &algs[1].s;
	ctx[1] = &rs2.s;
	bench_scaling(&cfg, "rs256_sign", bench_op_sign, ctx, &rs2.s.e);

	for (i = 0; i < BENCH_ALGS; i++)
		buf_free(&algs[i].s.token);
	buf_free(&es2.s.token);
	buf_free(&rs2.s.token);
	/* (PS256 shares RS256's keys) */
	for (i = 0; i < 3; i++) {
		key_free(algs[i].sk);
		key_free(algs[i].vk);
	}
	return 0;
}
