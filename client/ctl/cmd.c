/* cmd.c - agauthctl's commands that talk to agauthd. */
#include "client/ctl/ctl.h"

#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "client/ctl/out.h"
#include "client/ctl/show.h"
#include "client/lib/agauth.h"
#include "shared/render.h"
#include "shared/limits.h"
#include "shared/timespan.h"

#define CMD_SPACE " \t\r\n"

/*
 * What to do when agauthd could not be reached at path: join the group of
 * the socket (or of the directory that holds it) when that is what
 * refused us, else check that agauthd runs and where its socket is.
 */
static void cmd_unreachable(const char *path, char *hint, size_t n)
{
	char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
	const char *file = path, *slash = strrchr(path, '/');
	struct group *gr;
	struct stat st;
	int denied;

	if (slash != NULL && (size_t)(slash - path) < sizeof dir) {
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 :
			 (int)(slash - path), path);
		/* a directory we may not enter hides the socket */
		if (access(dir, X_OK) != 0 && errno == EACCES)
			file = dir;
	}
	denied = file != path ||
		 (access(path, W_OK) != 0 && errno == EACCES);
	if (!denied || stat(file, &st) != 0) {
		snprintf(hint, n, "check that agauthd runs (systemctl status "
			 "agauthd) and that --socket or %s names its socket",
			 AGAUTH_SOCKET_ENV);
		return;
	}
	gr = getgrgid(st.st_gid);
	if (gr != NULL)
		snprintf(hint, n, "permission denied: add this user to the "
			 "group '%s' of %s (usermod -aG %s USER), then log in "
			 "again and restart the workers: a running process "
			 "keeps the groups it started with", gr->gr_name,
			 file, gr->gr_name);
	else
		snprintf(hint, n, "permission denied: add this user to the "
			 "group %u of %s (usermod -aG), then log in again and "
			 "restart the workers: a running process keeps the "
			 "groups it started with", (unsigned)st.st_gid, file);
}

agauth_t *cmd_open(const struct ctl *c, int *rc)
{
	struct agauth_error e;
	agauth_t *a = agauth_open(c->socket, &e);
	const char *path = c->socket;
	char hint[512];

	if (a != NULL)
		return a;
	if (e.status != AGAUTH_UNREACHABLE) {
		*rc = out_error(c->json, &e);
		return NULL;
	}
	/* where libagauth looked, in its order (agauth.h) */
	if (path == NULL || *path == '\0')
		path = secure_getenv(AGAUTH_SOCKET_ENV);
	if (path == NULL || *path == '\0')
		path = AGAUTH_SOCKET_DEFAULT;
	cmd_unreachable(path, hint, sizeof hint);
	*rc = out_error_hint(c->json, &e, NULL, NULL, hint);
	return NULL;
}

char *cmd_stdin(const struct ctl *c, const char *what)
{
	struct buf b;
	char chunk[4096];
	size_t n;

	buf_init(&b, AG_FRAME_HARD_MAX);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_put(&b, chunk, n);
	if (ferror(stdin) || b.err) {
		out_usage(c->who, "cannot read the %s from standard input%s",
			  what, b.err ? ": larger than 1 MiB" : "");
		buf_free(&b);
		return NULL;
	}
	/* a C string would silently end at the NUL */
	if (memchr(b.p, '\0', b.len) != NULL) {
		out_usage(c->who, "the %s holds a NUL byte", what);
		buf_free(&b);
		return NULL;
	}
	/* the newline a shell or a pipe adds is not part of it */
	while (b.len > 0 && strchr(CMD_SPACE, b.p[b.len - 1]) != NULL)
		b.len--;
	return render_take(&b);
}

/*
 * What sign and verify need before they ask: the options text (into
 * opts), the input (the argument, else standard input) and a connection.
 * 0, or the exit status after reporting why.
 */
static int cmd_begin(struct ctl *c, const char *what, struct buf *opts,
		     char **input, agauth_t **a)
{
	int rc = OUT_USAGE;

	*input = NULL;
	*a = NULL;
	buf_init(opts, AG_FRAME_HARD_MAX);
	if (opts_json(&c->o, opts) != 0 || buf_cstr(opts) == NULL)
		return out_usage(c->who, "options larger than 1 MiB");
	if (c->npos > 0 && strcmp(c->pos[0], "-") != 0)
		*input = strdup(c->pos[0]);
	else
		*input = cmd_stdin(c, what);
	if (*input == NULL)
		return rc;
	*a = cmd_open(c, &rc);
	return *a != NULL ? 0 : rc;
}

int cmd_sign(struct ctl *c)
{
	struct agauth_error e;
	struct buf opts, b;
	char *payload, *token = NULL, *added = NULL;
	agauth_t *a;
	int rc;

	rc = cmd_begin(c, "payload", &opts, &payload, &a);
	if (rc != 0)
		goto out;
	if (agauth_sign(a, payload, opts.p, &token, &added, &e) !=
	    AGAUTH_OK) {
		rc = out_error(c->json, &e);
		goto out;
	}
	if (!c->json) {
		out_line(token, strlen(token));
		goto out;
	}
	out_ok(&b);
	out_key_str(&b, "token", token);
	out_key(&b, "added");
	buf_puts(&b, added);
	rc = out_close(&b);
out:
	free(token);
	free(added);
	free(payload);
	buf_free(&opts);
	agauth_close(a);
	return rc;
}

/* The payload as JSON: the text itself, or the string quoted. */
static void cmd_payload(struct buf *b, const struct agauth_verified *v)
{
	if (v->is_json)
		buf_put(b, v->payload, v->payload_len);
	else
		render_str(b, v->payload, v->payload_len);
}

/* What verify prints: the payload as it is (JSON text, or the string);
 * with --complete, jsonwebtoken's {header, payload, signature}; with
 * --json, all of it, the kid, and with --cache where the answer came
 * from. */
static int cmd_verified(const struct ctl *c, const char *token,
			const struct agauth_verified *v, const char *cache)
{
	/* complete may come as --complete or inside --options; the daemon
	 * sends the header only for complete: true */
	int complete = opts_has(&c->o, "complete") || v->header != NULL;
	struct buf b;

	if (!c->json && !complete) {
		out_line(v->payload, v->payload_len);
		return OUT_OK;
	}
	if (c->json)
		out_ok(&b);
	else
		out_obj(&b);
	if (v->header != NULL) {
		out_key(&b, "header");
		buf_put(&b, v->header, v->header_len);
	}
	out_key(&b, "payload");
	cmd_payload(&b, v);
	if (complete)
		out_key_str(&b, "signature", strrchr(token, '.') + 1);
	if (c->json && v->kid[0] != '\0')
		out_key_str(&b, "kid", v->kid);
	if (c->json && cache != NULL)
		out_key_str(&b, "cache", cache);
	return out_close(&b);
}

/* verify --cache: the cache's answer if it has one, else agauthd's;
 * *cache says which ("hit", "miss"; NULL if no cache could be had). */
static enum agauth_status cmd_verify_cached(agauth_t *a, const char *token,
					    const char *opts,
					    struct agauth_verified *v,
					    struct agauth_error *e,
					    const char **cache)
{
	*cache = NULL;
	if (agauth_cache_attach(a, e) != AGAUTH_OK)
		return e->status;
	*cache = "miss";
	if (agauth_cache_lookup(a, token, opts, v, e) == AGAUTH_CACHE_MISS)
		return agauth_verify(a, token, opts, v, e);
	*cache = "hit";
	/* agauthd counts a hit when a request reports it */
	agauth_ping(a, NULL);
	return e->status;
}

int cmd_verify(struct ctl *c)
{
	struct agauth_verified v = { 0 };
	struct agauth_error e;
	struct buf opts;
	const char *cache = NULL;
	enum agauth_status st;
	char *token;
	agauth_t *a;
	int rc;

	rc = cmd_begin(c, "token", &opts, &token, &a);
	if (rc != 0)
		goto out;
	if (c->cache)
		st = cmd_verify_cached(a, token, opts.p, &v, &e, &cache);
	else
		st = agauth_verify(a, token, opts.p, &v, &e);
	if (st != AGAUTH_OK)
		rc = out_error_with(c->json, &e, "cache", cache);
	else
		rc = cmd_verified(c, token, &v, cache);
out:
	agauth_verified_free(&v);
	free(token);
	buf_free(&opts);
	agauth_close(a);
	return rc;
}

/* keys and stats: for a person (show); jwks: JSON text; metrics: text
 * (not JSON, ending in a newline).  With --json, the JSON text as the
 * member key (metrics: as a string). */
static int cmd_json(struct ctl *c, const char *key,
		    enum agauth_status (*fn)(agauth_t *, char **,
					     struct agauth_error *),
		    int (*show)(const char *))
{
	int text = strcmp(key, "metrics") == 0;
	struct agauth_error e;
	struct buf b;
	char *json = NULL;
	agauth_t *a;
	int rc;

	a = cmd_open(c, &rc);
	if (a == NULL)
		return rc;
	if (fn(a, &json, &e) != AGAUTH_OK) {
		rc = out_error(c->json, &e);
	} else if (!c->json) {
		rc = OUT_OK;
		if (show != NULL)
			rc = show(json);
		else if (text)
			fputs(json, stdout);
		else
			out_line(json, strlen(json));
	} else {
		out_ok(&b);
		if (text) {
			out_key_str(&b, key, json);
		} else {
			out_key(&b, key);
			buf_puts(&b, json);
		}
		rc = out_close(&b);
	}
	free(json);
	agauth_close(a);
	return rc;
}

int cmd_keys(struct ctl *c)
{
	return cmd_json(c, "keys", agauth_keys, show_keys);
}

int cmd_stats(struct ctl *c)
{
	return cmd_json(c, "stats", agauth_stats, show_stats);
}

int cmd_metrics(struct ctl *c)
{
	return cmd_json(c, "metrics", agauth_metrics, NULL);
}

int cmd_jwks(struct ctl *c)
{
	return cmd_json(c, "jwks", agauth_jwks, NULL);
}

/* --activate-in SPAN: whole seconds ("30"), or a time span as the
 * `ms` package reads one ("30s", "5m", "1h"); -1 if absent; -2 if not
 * a span. */
static double cmd_span(const char *s)
{
	double ms;
	char *end;
	long v;

	if (s == NULL)
		return -1;
	v = strtol(s, &end, 10);
	if (end != s && *end == '\0' && v >= 0)
		return (double)v;
	if (timespan_ms(s, strlen(s), &ms) != 0 || ms < 0)
		return -2;
	return ms / 1000;
}

int cmd_rotate(struct ctl *c)
{
	struct agauth_error e;
	struct buf b;
	char *kid = NULL, when[OUT_TIME_MAX];
	double in = cmd_span(c->activate_in), at = 0;
	enum agauth_status st;
	agauth_t *a;
	int rc;

	if (in < -1)
		return out_usage(c->who, "--activate-in %s: want seconds, or a "
				 "time span (30s, 5m, 1h)", c->activate_in);
	if (in >= 0 && !c->cluster)
		return out_usage(c->who, "--activate-in goes with --cluster");
	a = cmd_open(c, &rc);
	if (a == NULL)
		return rc;
	st = c->cluster ? agauth_rotate_cluster(a, c->alg, in, &kid, &at, &e) :
	     agauth_rotate(a, c->alg, &kid, &e);
	out_time(at, when, sizeof when);
	if (st != AGAUTH_OK) {
		rc = out_error(c->json, &e);
	} else if (!c->json && c->cluster) {
		/* the kid alone on its line, as without --cluster */
		out_line(kid, strlen(kid));
		fprintf(stderr, "%s: primary on every host of the fleet from "
			"%s\n", c->who, when);
		rc = OUT_OK;
	} else if (!c->json) {
		out_line(kid, strlen(kid));
		rc = OUT_OK;
	} else {
		out_ok(&b);
		out_key_str(&b, "kid", kid);
		if (c->cluster) {
			out_key(&b, "activate");
			render_num(&b, at);
		}
		rc = out_close(&b);
	}
	free(kid);
	agauth_close(a);
	return rc;
}

int cmd_reload(struct ctl *c)
{
	struct agauth_error e;
	struct buf b;
	uint64_t gen;
	agauth_t *a;
	int rc;

	a = cmd_open(c, &rc);
	if (a == NULL)
		return rc;
	if (agauth_reload(a, &gen, &e) != AGAUTH_OK) {
		rc = out_error(c->json, &e);
	} else if (!c->json) {
		printf("keyring reloaded: generation %llu\n",
		       (unsigned long long)gen);
		rc = OUT_OK;
	} else {
		out_ok(&b);
		out_key(&b, "generation");
		buf_printf(&b, "%llu", (unsigned long long)gen);
		rc = out_close(&b);
	}
	agauth_close(a);
	return rc;
}

static double cmd_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int cmd_ping(struct ctl *c)
{
	struct agauth_error e;
	struct buf b;
	double t0, ms;
	agauth_t *a;
	int rc;

	/* after the hello, so the time is one round trip */
	a = cmd_open(c, &rc);
	if (a == NULL)
		return rc;
	t0 = cmd_ms();
	if (agauth_ping(a, &e) != AGAUTH_OK) {
		rc = out_error(c->json, &e);
		goto out;
	}
	ms = cmd_ms() - t0;
	if (!c->json) {
		printf("pong from agauthd in %.3f ms\n", ms);
		rc = OUT_OK;
		goto out;
	}
	out_ok(&b);
	out_key(&b, "ms");
	/* microseconds are all a clock read around a round trip can tell */
	render_num(&b, (double)(long long)(ms * 1000 + 0.5) / 1000);
	rc = out_close(&b);
out:
	agauth_close(a);
	return rc;
}
