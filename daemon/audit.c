/* audit.c - the audit trail (audit.h). */
#include "daemon/audit.h"

#include <string.h>

#include "daemon/log.h"
#include "daemon/memo.h"
#include "shared/buf.h"
#include "shared/claims.h"
#include "shared/render.h"

/* A line's text: the log writes at most 1024 bytes of it. */
#define AUDIT_LINE 1024

/* ` name="value"`, the value cut at AG_AUDIT_VALUE_MAX bytes and escaped
 * as JSON (a control character or a quote in a name cannot forge a
 * line); `name=-` without one. */
static void audit_value(struct buf *b, const char *name, const char *v,
			size_t n)
{
	buf_printf(b, " %s=", name);
	if (v == NULL) {
		buf_putc(b, '-');
		return;
	}
	render_str(b, v, n < AG_AUDIT_VALUE_MAX ? n : AG_AUDIT_VALUE_MAX);
}

/* The same for a claim of t's payload (a number as String() writes it),
 * or of its header (kid). */
static void audit_claim(struct buf *b, const struct jwt *t, const char *name,
			int header)
{
	char mem[AG_AUDIT_VALUE_MAX + 8];
	struct buf v;
	int found = 0;

	/* a longer value moves to the heap, and is cut when quoted */
	buf_init(&v, AG_TOKEN_MAX);
	buf_lend(&v, mem, sizeof mem);
	if (!header) {
		found = claims_text(t, name, &v) == 0;
	} else if (json_type(&t->hdoc, t->kid) == JSON_STRING) {
		json_str_utf8(&t->hdoc, t->kid, &v);
		found = !v.err;
	}
	audit_value(b, name, found ? v.p : NULL, v.len);
	buf_free(&v);
}

/* "uid=N pid=N" of c's peer, then the claims that name t. */
static void audit_peer(struct buf *b, const struct conn *c)
{
	const struct conn_peer *p = conn_peer(c);

	buf_printf(b, " uid=%u pid=%ld", (unsigned)p->uid, (long)p->pid);
}

static void audit_names(struct buf *b, const struct jwt *t)
{
	audit_claim(b, t, "sub", 0);
	audit_claim(b, t, "jti", 0);
}

/* The line so far, at level (b is freed). */
static void audit_log(enum log_level level, struct buf *b)
{
	const char *s = buf_cstr(b);

	log_msg(level, "audit:%s", s != NULL ? s : " (line too long)");
	buf_free(b);
}

static void audit_start(struct buf *b, char *mem, const char *what)
{
	buf_init(b, AUDIT_LINE - 1);
	buf_lend(b, mem, AUDIT_LINE);
	buf_printf(b, " %s", what);
}

void audit_sign(const struct conn *c, const struct kr_key *k,
		const struct jwt *t)
{
	char mem[AUDIT_LINE];
	struct buf b;

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	audit_start(&b, mem, "sign");
	audit_peer(&b, c);
	audit_value(&b, "kid", k->has_kid ? k->kid : NULL,
		    strlen(k->kid));
	if (t != NULL)
		audit_names(&b, t);
	audit_log(LOG_LEVEL_INFO, &b);
}

void audit_revoke(const struct conn *c, enum revoke_kind k,
		  const char *value, size_t n, size_t purged, int live,
		  int saved)
{
	struct ag_error e;
	struct memo *m;
	char mem[AUDIT_LINE];
	struct buf b;

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	audit_start(&b, mem, "revoke ");
	buf_puts(&b, revoke_kind_name(k));
	audit_peer(&b, c);
	if (k == REVOKE_JTI) {
		audit_value(&b, "jti", value, n);
	} else if (k == REVOKE_SUBJECT) {
		audit_value(&b, "sub", value, n);
	} else if ((m = memo_get(&e)) != NULL &&
		   jwt_decode(&m->jwt, value, n, &e) == 0) {
		/* a token is a credential: its claims name it */
		audit_claim(&b, &m->jwt, "kid", 1);
		audit_names(&b, &m->jwt);
	}
	buf_printf(&b, " purged=%zu%s%s", purged, live ? "" :
		   " (no live token known)", saved ? "" :
		   " NOT saved to the state directory");
	audit_log(LOG_LEVEL_INFO, &b);
}

void audit_rotate(const struct conn *c, const char *kid,
		  const struct ag_error *e)
{
	char mem[AUDIT_LINE];
	struct buf b;

	audit_start(&b, mem, kid != NULL ? "rotate" : "rotate refused");
	audit_peer(&b, c);
	if (kid != NULL)
		audit_value(&b, "kid", kid, strlen(kid));
	else
		buf_printf(&b, ": %s", e->msg);
	audit_log(kid != NULL ? LOG_LEVEL_INFO : LOG_LEVEL_ERR, &b);
}

void audit_reload(const struct conn *c, uint64_t generation,
		  const struct ag_error *e)
{
	char mem[AUDIT_LINE];
	struct buf b;

	audit_start(&b, mem, e == NULL ? "reload" : "reload refused");
	audit_peer(&b, c);
	if (e == NULL)
		buf_printf(&b, " generation=%llu",
			   (unsigned long long)generation);
	else
		buf_printf(&b, ": %s", e->msg);
	audit_log(LOG_LEVEL_INFO, &b);
}

void audit_refused(const struct conn *c, const char *tok, size_t n,
		   const struct ag_error *e)
{
	char mem[AUDIT_LINE];
	struct ag_error de;
	struct memo *m;
	struct buf b;
	const char *s;

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	audit_start(&b, mem, "verify refused");
	audit_peer(&b, c);
	if (tok != NULL && (m = memo_get(&de)) != NULL &&
	    jwt_decode(&m->jwt, tok, n, &de) == 0) {
		audit_claim(&b, &m->jwt, "kid", 1);
		audit_names(&b, &m->jwt);
	}
	s = buf_cstr(&b);
	/* a peer can send refused tokens as fast as it writes */
	LOG_LIMITED(LOG_LEVEL_DEBUG, "refused verifies", "audit:%s: %s",
		    s != NULL ? s : " (line too long)", e->msg);
	buf_free(&b);
}
