/* revoke.c - agauthctl revoke and agauthctl watch. */
#include "client/ctl/ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/ctl/out.h"
#include "shared/render.h"

int cmd_revoke(struct ctl *c)
{
	struct agauth_revoked r;
	struct agauth_error e;
	struct buf b;
	char *value = NULL;
	agauth_t *a = NULL;
	int rc;

	if (c->nrevoke != 1)
		return out_usage(c->who, "give one of --token, --jti or --sub");
	/* "-": from standard input, so a token stays out of ps */
	if (strcmp(c->rvalue, "-") == 0)
		value = cmd_stdin(c, c->rkind);
	else
		value = strdup(c->rvalue);
	if (value == NULL) {
		rc = OUT_USAGE;
		goto out;
	}
	a = cmd_open(c, &rc);
	if (a == NULL)
		goto out;
	if (agauth_revoke_report(a, c->rkind, value, &r, &e) != AGAUTH_OK) {
		rc = out_error(c->json, &e);
		if (strcmp(e.code, "AG_E_STATE") == 0)
			fprintf(stderr, "%s: the revocation is in force all "
				"the same, until agauthd restarts (a later "
				"revoke that is saved saves it too)\n", c->who);
		goto out;
	}
	/* in force either way; a revocation that withdrew nothing live is
	 * most often aimed wrong, and the one running it should know */
	if (!r.live)
		fprintf(stderr, "%s: warning: no live token agauthd knows of "
			"matched (%s); the revocation is in force for any that "
			"appear: check the value%s\n", c->who,
			strcmp(c->rkind, "token") == 0 ?
			"the token is expired or not a token" :
			"its cache held none", strcmp(c->rkind, "sub") == 0 ?
			", and that the subject is in a claim [revocation] "
			"subject_claims lists (default: sub username)" : "");
	if (!c->json) {
		printf("revoked: %llu cache entries purged\n",
		       (unsigned long long)r.purged);
		rc = OUT_OK;
	} else {
		out_ok(&b);
		out_key(&b, "purged");
		buf_printf(&b, "%llu", (unsigned long long)r.purged);
		out_key(&b, "live");
		buf_puts(&b, r.live ? "true" : "false");
		out_key(&b, "at");
		render_num(&b, r.at);
		rc = out_close(&b);
	}
out:
	free(value);
	agauth_close(a);
	return rc;
}

/* One line per event: "revoke KIND VALUE AT", control characters of the
 * value shown as '?' so that it stays one line; or a JSON object. */
static void cmd_event(const struct ctl *c, const struct agauth_event *ev)
{
	struct buf b;
	size_t i;

	if (c->json) {
		out_obj(&b);
		out_key_str(&b, "event", "revoke");
		out_key_str(&b, "kind", ev->kind);
		out_key(&b, "value");
		render_str(&b, ev->value, ev->value_len);
		out_key(&b, "at");
		render_num(&b, ev->at);
		if (*agauth_event_origin(ev) != '\0')
			out_key_str(&b, "origin", agauth_event_origin(ev));
		out_close(&b);
		return;
	}
	printf("revoke %s ", ev->kind);
	for (i = 0; i < ev->value_len; i++) {
		unsigned char ch = (unsigned char)ev->value[i];

		putchar(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	printf(" %.3f", ev->at);
	/* the host it was made on, in a fleet ([A-Za-z0-9._-] only) */
	if (*agauth_event_origin(ev) != '\0')
		printf(" %s", agauth_event_origin(ev));
	putchar('\n');
}

int cmd_watch(struct ctl *c)
{
	struct agauth_event ev;
	struct agauth_error e;
	agauth_t *a;
	int rc;

	a = cmd_open(c, &rc);
	if (a == NULL)
		return rc;
	if (agauth_watch(a, &e) == AGAUTH_OK) {
		/* until the connection breaks (or a signal ends us); each
		 * line goes out as it comes, for whoever reads the pipe */
		while (agauth_watch_next(a, &ev, -1, &e) == AGAUTH_OK) {
			cmd_event(c, &ev);
			agauth_event_free(&ev);
			if (fflush(stdout) != 0)
				break;
		}
	}
	/* an output that failed is out_finish's to report */
	rc = ferror(stdout) ? OUT_OK : out_error(c->json, &e);
	agauth_close(a);
	return rc;
}
