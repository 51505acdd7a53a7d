/* show.c - the keyring and the counters for a person (show.h). */
#include "client/ctl/show.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/ctl/out.h"
#include "shared/json.h"
#include "shared/limits.h"

/* Tokens enough for any keyring agauthd holds (AG_KEYRING_MAX keys of a
 * dozen members) and any counters. */
#define SHOW_TOKENS (AG_KEYRING_MAX * 32 + 64)

/* A counter: what it means, and how to print it. */
enum show_unit { SHOW_COUNT, SHOW_SECONDS, SHOW_BYTES };

static const struct show_counter {
	const char *name;
	enum show_unit unit;
	const char *means;
} show_counters[] = {
	{ "uptime", SHOW_SECONDS, "since agauthd started" },
	{ "connections", SHOW_COUNT, "clients connected now" },
	{ "requests", SHOW_COUNT, "requests answered, of every op" },
	{ "signs", SHOW_COUNT, "sign requests" },
	{ "verifies", SHOW_COUNT, "verify requests (cache misses: a hit "
	  "never reaches agauthd)" },
	{ "failures", SHOW_COUNT, "requests answered with an error: invalid "
	  "or expired tokens, refusals, bad requests" },
	{ "busy", SHOW_COUNT, "requests or connections refused for load: "
	  "crypto queue full, max_connections reached, a rotation running" },
	{ "generation", SHOW_COUNT, "the keyring's generation, one more on "
	  "each reload or rotation" },
	{ "pool_queue", SHOW_COUNT, "RSA/ECDSA jobs waiting for a crypto "
	  "thread now" },
	{ "cache_hits", SHOW_COUNT, "verifies answered from the shared-memory "
	  "cache, as clients report them" },
	{ "cache_misses", SHOW_COUNT, "verifies the cache could not answer, "
	  "as clients report them" },
	{ "cache_inserts", SHOW_COUNT, "tokens put into the cache (signed or "
	  "verified)" },
	{ "cache_evictions", SHOW_COUNT, "entries pushed out by newer ones" },
	{ "cache_entries", SHOW_COUNT, "entries in the cache now" },
	{ "cache_slots", SHOW_COUNT, "entries the cache can hold" },
	{ "cache_skipped", SHOW_COUNT, "verified tokens the cache cannot "
	  "answer for (not a JSON object, a signing input too long, ...)" },
	{ "cache_bytes", SHOW_BYTES, "the cache's size" },
	{ "revocations", SHOW_COUNT, "revocations in force" },
	{ "watchers", SHOW_COUNT, "connections watching revocations now" },
	{ "cluster_connected", SHOW_COUNT, "in a fleet: whether Redis is "
	  "reached now" },
	{ "cluster_last_id", SHOW_COUNT, "in a fleet: the last stream id "
	  "applied here" },
	{ "cluster_outbox", SHOW_COUNT, "in a fleet: revocations made here "
	  "that Redis has not taken yet" },
	{ "cluster_applied", SHOW_COUNT, "in a fleet: records from other "
	  "hosts applied" },
	{ "cluster_refused", SHOW_COUNT, "in a fleet: records refused (bad "
	  "MAC, another fleet, malformed)" },
	{ "cluster_lag_ms", SHOW_COUNT, "in a fleet: how far behind the "
	  "stream the last record applied was, in ms" },
};

static const struct show_counter *show_counter(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof show_counters / sizeof *show_counters; i++)
		if (strcmp(show_counters[i].name, name) == 0)
			return &show_counters[i];
	return NULL;
}

void show_stats_help(void)
{
	size_t i;

	printf("\nThe counters (since agauthd started, unless \"now\"):\n\n");
	for (i = 0; i < sizeof show_counters / sizeof *show_counters; i++)
		printf("  %-16s %s\n", show_counters[i].name,
		       show_counters[i].means);
}

/* rc, after saying what went wrong if it is not OUT_OK. */
static int show_done(int rc, const char *cmd, const char *want)
{
	if (rc != OUT_OK)
		fprintf(stderr, "agauthctl %s: agauthd's reply is not %s; try "
			"--json\n", cmd, want);
	return rc;
}

/* Parses json into d and *tok (freed by the caller); 0, or -1. */
static int show_parse(const char *json, struct json_doc *d,
		      struct json_tok **tok)
{
	*tok = calloc(SHOW_TOKENS, sizeof **tok);
	if (*tok == NULL)
		return -1;
	return json_parse(d, json, strlen(json), *tok, SHOW_TOKENS, 0) > 0 ?
	       0 : -1;
}

/* A member of object o as text into s[n]: a string's value, a number as
 * JavaScript prints it, a time (time: seconds since the epoch) as ISO
 * 8601 or "never". */
static void show_member(const struct json_doc *d, int o, const char *key,
			int time, char *s, size_t n)
{
	int v = json_get(d, o, key);
	struct buf b;

	if (time && json_type(d, v) == JSON_NUMBER) {
		out_time(json_num(d, v), s, n);
		return;
	}
	buf_init(&b, n - 1);
	if (json_type(d, v) == JSON_STRING || json_type(d, v) == JSON_NUMBER)
		json_tostring(d, v, &b);
	snprintf(s, n, "%s", buf_cstr(&b) != NULL && b.len > 0 ? b.p : "-");
	buf_free(&b);
}

/* The columns of keys, as the reply names its members. */
static const struct {
	const char *key, *title;
	int time;
} show_cols[] = {
	{ "name", "NAME", 0 }, { "kid", "KID", 0 }, { "alg", "ALG", 0 },
	{ "state", "STATE", 0 }, { "created", "CREATED", 1 },
	{ "retire", "RETIRES", 1 }, { "activate", "ACTIVATES", 1 },
	{ "fingerprint", "FINGERPRINT", 0 },
};
#define SHOW_NCOLS (sizeof show_cols / sizeof *show_cols)
/* a kid, or a fingerprint ("HMAC-SHA256:" and 43 characters) */
#define SHOW_CELL (AG_KID_MAX + 1)

int show_keys(const char *json)
{
	size_t c, width[SHOW_NCOLS];
	char (*cell)[SHOW_NCOLS][SHOW_CELL] = NULL;
	struct json_tok *tok;
	struct json_doc d;
	int i, k, n = 0, rc = OUT_FAILED;

	if (show_parse(json, &d, &tok) != 0 || json_type(&d, 0) != JSON_ARRAY)
		goto out;
	cell = calloc((size_t)d.tok[0].size + 1, sizeof *cell);
	if (cell == NULL)
		goto out;
	for (c = 0; c < SHOW_NCOLS; c++) {
		snprintf(cell[0][c], SHOW_CELL, "%s", show_cols[c].title);
		width[c] = strlen(cell[0][c]);
	}
	/* every cell first, for the widths */
	for (i = 1, k = 0; k < d.tok[0].size; k++, i = json_skip(&d, i)) {
		n++;
		for (c = 0; c < SHOW_NCOLS; c++) {
			show_member(&d, i, show_cols[c].key, show_cols[c].time,
				    cell[n][c], SHOW_CELL);
			if (strlen(cell[n][c]) > width[c])
				width[c] = strlen(cell[n][c]);
		}
	}
	for (k = 0; k <= n; k++)
		for (c = 0; c < SHOW_NCOLS; c++)
			printf("%-*s%s", c + 1 < SHOW_NCOLS ? (int)width[c] : 0,
			       cell[k][c], c + 1 < SHOW_NCOLS ? "  " : "\n");
	printf("%d key%s\n", n, n == 1 ? "" : "s");
	rc = OUT_OK;
out:
	free(cell);
	free(tok);
	return show_done(rc, "keys", "a list of keys");
}

/* A counter's value: seconds also as days and h:mm:ss ("3725 s (0 d
 * 01:02:05)"), bytes also in MiB. */
static void show_value(const struct json_doc *d, int v,
		       const struct show_counter *sc, char *s, size_t n)
{
	long long t = (long long)json_num(d, v);
	struct buf b;

	if (sc != NULL && sc->unit == SHOW_SECONDS && t >= 0)
		snprintf(s, n, "%lld s (%lld d %02lld:%02lld:%02lld)", t,
			 t / 86400, t % 86400 / 3600, t % 3600 / 60, t % 60);
	else if (sc != NULL && sc->unit == SHOW_BYTES && t >= 1048576)
		snprintf(s, n, "%lld (%.1f MiB)", t, t / 1048576.0);
	else {
		buf_init(&b, n - 1);
		json_tostring(d, v, &b);
		snprintf(s, n, "%s", buf_cstr(&b) != NULL ? b.p : "?");
		buf_free(&b);
	}
}

int show_stats(const char *json)
{
	const struct show_counter *sc;
	struct json_tok *tok;
	struct json_doc d;
	char name[64], val[64];
	size_t len;
	int i, k, rc = OUT_FAILED;

	if (show_parse(json, &d, &tok) != 0 || json_type(&d, 0) != JSON_OBJECT)
		goto out;
	/* every member in agauthd's order, known or not */
	for (i = 1, k = 0; k < d.tok[0].size; k++, i = json_skip(&d, i + 1)) {
		if (json_str_copy(&d, i, name, sizeof name) != 1)
			continue;
		sc = show_counter(name);
		show_value(&d, i + 1, sc, val, sizeof val);
		len = strlen(name);
		printf("%s%*s %s\n", name, (int)(len < 16 ? 16 - len : 0), "",
		       val);
	}
	rc = OUT_OK;
out:
	free(tok);
	return show_done(rc, "stats", "a set of counters");
}
