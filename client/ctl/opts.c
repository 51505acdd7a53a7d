/* opts.c - sign and verify flags as jsonwebtoken's options object. */
#include "client/ctl/opts.h"

#include <stdio.h>
#include <string.h>

#include "shared/render.h"
#include "shared/json.h"
#include "shared/limits.h"

const struct args_flag opts_sign[] = {
	{ "algorithm", 1, OPTS_STR, "algorithm" },
	{ "expires-in", 1, OPTS_SPAN, "expiresIn" },
	{ "not-before", 1, OPTS_SPAN, "notBefore" },
	{ "audience", 1, OPTS_LIST, "audience" },
	{ "issuer", 1, OPTS_STR, "issuer" },
	{ "subject", 1, OPTS_STR, "subject" },
	{ "jwtid", 1, OPTS_STR, "jwtid" },
	{ "keyid", 1, OPTS_STR, "keyid" },
	{ "no-timestamp", 0, OPTS_TRUE, "noTimestamp" },
	{ "header", 1, OPTS_OBJECT, "header" },
	{ "encoding", 1, OPTS_STR, "encoding" },
	{ "allow-insecure-key-sizes", 0, OPTS_TRUE, "allowInsecureKeySizes" },
	{ "allow-invalid-asymmetric-key-types", 0, OPTS_TRUE,
	  "allowInvalidAsymmetricKeyTypes" },
	{ "options", 1, OPTS_RAW, "options" },
	{ NULL, 0, 0, NULL },
};

const struct args_flag opts_verify[] = {
	{ "algorithms", 1, OPTS_CSV, "algorithms" },
	{ "audience", 1, OPTS_LIST, "audience" },
	{ "issuer", 1, OPTS_LIST, "issuer" },
	{ "subject", 1, OPTS_STR, "subject" },
	{ "jwtid", 1, OPTS_STR, "jwtid" },
	{ "nonce", 1, OPTS_STR, "nonce" },
	{ "ignore-expiration", 0, OPTS_TRUE, "ignoreExpiration" },
	{ "ignore-not-before", 0, OPTS_TRUE, "ignoreNotBefore" },
	{ "clock-tolerance", 1, OPTS_NUM, "clockTolerance" },
	{ "max-age", 1, OPTS_SPAN, "maxAge" },
	{ "clock-timestamp", 1, OPTS_NUM, "clockTimestamp" },
	{ "complete", 0, OPTS_TRUE, "complete" },
	{ "allow-invalid-asymmetric-key-types", 0, OPTS_TRUE,
	  "allowInvalidAsymmetricKeyTypes" },
	{ "options", 1, OPTS_RAW, "options" },
	{ NULL, 0, 0, NULL },
};

static int opts_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int opts_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s += strspn(s, "0123456789");
	else
		return 0;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return 0;
		s += 1 + strspn(s + 1, "0123456789");
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		s += strspn(s, "0123456789");
	}
	return *s == '\0';
}

/*
 * Why s is not one JSON object with nothing after it, or NULL: text
 * spliced around or into it then cannot change what it means, and a
 * mistake is named here rather than by the daemon.
 */
static const char *opts_object(const char *s)
{
	struct json_tok tok[AG_OPTS_MAX_TOKENS];
	struct json_doc d;
	int rc = json_parse(&d, s, strlen(s), tok, AG_OPTS_MAX_TOKENS, 0);

	/* agauthd takes no more than this either */
	if (rc == JSON_ELIMIT)
		return "a JSON object of at most 256 values";
	return rc > 0 && tok[0].type == JSON_TOK_OBJECT ? NULL : "a JSON object";
}

/* Why val does not fit f's kind, or NULL. */
static const char *opts_misfit(const struct args_flag *f, const char *val)
{
	switch (f->id) {
	case OPTS_NUM:
		return opts_number(val) ? NULL : "a number";
	case OPTS_OBJECT:
	case OPTS_RAW:
		return opts_object(val);
	default:
		return NULL;
	}
}

/* The index of the option named key in o->set, or -1. */
static int opts_find(const struct opts *o, const char *key)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->set[i].f->key, key) == 0)
			return i;
	return -1;
}

int opts_add(struct opts *o, const struct args_flag *f, const char *val,
	     char *why, size_t cap)
{
	const char *want = val != NULL ? opts_misfit(f, val) : NULL;
	struct opts_set *s = NULL;
	int i;

	if (want != NULL) {
		snprintf(why, cap, "--%s wants %s, not '%s'", f->name, want,
			 val);
		return -1;
	}
	if (f->id == OPTS_RAW) {
		o->raw = val;
		return 0;
	}
	i = opts_find(o, f->key);
	if (i >= 0)
		s = &o->set[i];
	/* the tables have fewer options than OPTS_SET_MAX */
	if (s == NULL && o->n < OPTS_SET_MAX) {
		s = &o->set[o->n++];
		s->f = f;
		s->n = 0;
	}
	if (s == NULL || (f->id == OPTS_LIST && s->n == OPTS_LIST_MAX)) {
		snprintf(why, cap, "too many --%s", f->name);
		return -1;
	}
	/* a repeated list flag adds a value; any other flag replaces it */
	if (f->id != OPTS_LIST)
		s->n = 0;
	s->val[s->n++] = val;
	return 0;
}

int opts_has(const struct opts *o, const char *key)
{
	return opts_find(o, key) >= 0;
}

static void opts_csv(struct buf *b, const char *s)
{
	const char *comma;

	buf_putc(b, '[');
	for (;;) {
		comma = strchr(s, ',');
		render_str(b, s, comma ? (size_t)(comma - s) : strlen(s));
		if (comma == NULL)
			break;
		buf_putc(b, ',');
		s = comma + 1;
	}
	buf_putc(b, ']');
}

static void opts_value_out(struct buf *b, const struct opts_set *s)
{
	const char *v = s->val[s->n - 1];
	int i;

	switch (s->f->id) {
	case OPTS_SPAN:
		if (!opts_digits(v))
			break;
		/* JSON numbers have no leading zeros */
		while (v[0] == '0' && v[1] != '\0')
			v++;
		buf_puts(b, v);
		return;
	case OPTS_NUM:
	case OPTS_OBJECT:
		buf_puts(b, v);
		return;
	case OPTS_TRUE:
		buf_puts(b, "true");
		return;
	case OPTS_CSV:
		opts_csv(b, v);
		return;
	case OPTS_LIST:
		if (s->n == 1)
			break;
		buf_putc(b, '[');
		for (i = 0; i < s->n; i++) {
			if (i > 0)
				buf_putc(b, ',');
			render_str(b, s->val[i], strlen(s->val[i]));
		}
		buf_putc(b, ']');
		return;
	default:
		break;
	}
	render_str(b, v, strlen(v));
}

int opts_json(const struct opts *o, struct buf *b)
{
	const char *in = "";
	size_t nin = 0;
	int i;

	if (o->raw == NULL && o->n == 0)
		return 0;
	/* the members of --options (checked to be one object), then ours */
	if (o->raw != NULL) {
		in = strchr(o->raw, '{') + 1;
		nin = (size_t)(strrchr(o->raw, '}') - in);
		/* an empty object: no comma before our first member */
		if (strspn(in, " \t\r\n") >= nin)
			nin = 0;
	}
	buf_putc(b, '{');
	buf_put(b, in, nin);
	for (i = 0; i < o->n; i++) {
		if (i > 0 || nin > 0)
			buf_putc(b, ',');
		render_str(b, o->set[i].f->key, strlen(o->set[i].f->key));
		buf_putc(b, ':');
		opts_value_out(b, &o->set[i]);
	}
	buf_putc(b, '}');
	return b->err ? -1 : 0;
}
