/*
 * cache_client.c - a long-running libagauth client for the integration
 * suite (cache_restart.test.js): one handle, kept across daemon restarts,
 * driven by one command a line on standard input, one answer a line on
 * standard output.
 *
 *   cache_client SOCKET
 *
 * Prints "ready" once agauth_open succeeded (or "error ..." and exits 2).
 * Commands and their answers:
 *
 *   attach        agauth_cache_attach: "ok" | ERROR
 *   lookup TOKEN  agauth_cache_lookup, no request sent (but a re-attach):
 *                 "hit" | "miss" | "rejected CODE NAME: MESSAGE"
 *   peek TOKEN    agauth_cache_peek, nothing sent, nothing re-attached:
 *                 "hit" | "miss" | "stale" | "rejected CODE NAME: MESSAGE"
 *   verify TOKEN  the cache first, then agauthd, as agauth_verify does:
 *                 "hit" (the cache said valid) | "hit-rejected CODE NAME:
 *                 MESSAGE" (the cache refused it) | "ok" (agauthd said
 *                 valid) | ERROR
 *   ping          agauth_ping (reports the hits and misses): "ok" | ERROR
 *   watch         agauth_watch: "ok" | ERROR
 *   next MS       agauth_watch_next: "event KIND VALUE AT" | "none" |
 *                 ERROR
 *   quit          exits 0 (so does the end of input)
 *
 * ERROR is "error STATUS CODE NAME: MESSAGE", STATUS the enum's name
 * without AGAUTH_ (UNREACHABLE, INVALID, REFUSED, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/agauth.h"

static const char *const status_names[] = {
	"OK", "INVALID", "EXPIRED", "NOT_BEFORE", "SIGN_ERROR", "REFUSED",
	"UNREACHABLE", "USAGE", "NO_EVENT",
};

static void print_error(const struct agauth_error *e)
{
	unsigned s = (unsigned)e->status;

	printf("error %s %s %s: %s\n",
	       s < sizeof status_names / sizeof *status_names ?
	       status_names[s] : "?", e->code[0] ? e->code : "-",
	       e->name[0] ? e->name : "-", e->message);
}

static void print_status(enum agauth_status st, const struct agauth_error *e)
{
	if (st == AGAUTH_OK)
		printf("ok\n");
	else
		print_error(e);
}

static void cmd_lookup(agauth_t *a, const char *tok, int verify)
{
	struct agauth_verified v;
	struct agauth_error e;
	enum agauth_status st;

	switch (agauth_cache_lookup(a, tok, NULL, &v, &e)) {
	case AGAUTH_CACHE_VALID:
		agauth_verified_free(&v);
		printf("hit\n");
		return;
	case AGAUTH_CACHE_REJECTED:
		printf("%s %s %s: %s\n", verify ? "hit-rejected" : "rejected",
		       e.code, e.name, e.message);
		return;
	default:
		break;
	}
	if (!verify) {
		printf("miss\n");
		return;
	}
	st = agauth_verify(a, tok, NULL, &v, &e);
	agauth_verified_free(&v);
	print_status(st, &e);
}

static void cmd_peek(agauth_t *a, const char *tok)
{
	static const char *const answers[] = { "miss", "hit", "rejected",
					       "stale" };
	struct agauth_verified v;
	struct agauth_error e;
	int r = agauth_cache_peek(a, tok, NULL, &v, &e);

	if (r == AGAUTH_CACHE_VALID)
		agauth_verified_free(&v);
	if (r == AGAUTH_CACHE_REJECTED)
		printf("rejected %s %s: %s\n", e.code, e.name, e.message);
	else if (r >= 0 && (size_t)r < sizeof answers / sizeof *answers)
		printf("%s\n", answers[r]);
	else
		printf("error peek %d\n", r);
}

static void cmd_next(agauth_t *a, int ms)
{
	struct agauth_event ev;
	struct agauth_error e;
	enum agauth_status st = agauth_watch_next(a, &ev, ms, &e);

	if (st == AGAUTH_OK)
		printf("event %s %s %.3f\n", ev.kind, ev.value, ev.at);
	else if (st == AGAUTH_NO_EVENT)
		printf("none\n");
	else
		print_error(&e);
	agauth_event_free(&ev);
}

int main(int argc, char **argv)
{
	struct agauth_error e;
	agauth_t *a;
	char *line = NULL, *arg;
	size_t cap = 0;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: cache_client SOCKET\n");
		return 64;
	}
	a = agauth_open(argv[1], &e);
	if (a == NULL) {
		print_error(&e);
		return 2;
	}
	agauth_set_timeout(a, 10000);
	printf("ready\n");
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		arg = strchr(line, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		else
			arg = line + n;
		if (strcmp(line, "attach") == 0)
			print_status(agauth_cache_attach(a, &e), &e);
		else if (strcmp(line, "lookup") == 0)
			cmd_lookup(a, arg, 0);
		else if (strcmp(line, "peek") == 0)
			cmd_peek(a, arg);
		else if (strcmp(line, "verify") == 0)
			cmd_lookup(a, arg, 1);
		else if (strcmp(line, "ping") == 0)
			print_status(agauth_ping(a, &e), &e);
		else if (strcmp(line, "watch") == 0)
			print_status(agauth_watch(a, &e), &e);
		else if (strcmp(line, "next") == 0)
			cmd_next(a, atoi(arg));
		else if (strcmp(line, "quit") == 0)
			break;
		else
			printf("unknown command %s\n", line);
	}
	free(line);
	agauth_close(a);
	return 0;
}
