/* json.c - strict JSON parsing and JavaScript-semantics access. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

static int json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* src[from..to) is white space, optionally around one `sep`. */
static int json_gap_ok(const char *s, size_t from, size_t to, char sep)
{
	while (from < to && json_ws(s[from]))
		from++;
	if (sep != 0) {
		if (from >= to || s[from] != sep)
			return 0;
		from++;
		while (from < to && json_ws(s[from]))
			from++;
	}
	return from == to;
}

static int json_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t json_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n, k;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if ((size_t)(end - p) < n)
		return 0;
	for (k = 1; k < n; k++) {
		if (p[k] < lo || p[k] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

static int json_check_string(const char *s, size_t from, size_t to,
			     int flags, size_t *errpos)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = from, n, k;

	while (i < to) {
		if (p[i] < 0x20)
			goto bad;
		if (p[i] == '\\') {
			if (i + 1 >= to)
				goto bad;
			if (strchr("\"\\/bfnrt", p[i + 1]) != NULL && p[i + 1]) {
				i += 2;
				continue;
			}
			if (p[i + 1] != 'u' || i + 6 > to)
				goto bad;
			for (k = 2; k < 6; k++)
				if (json_hex(p[i + k]) < 0)
					goto bad;
			i += 6;
			continue;
		}
		if (p[i] >= 0x80 && (flags & JSON_UTF8)) {
			n = json_utf8_len(p + i, p + to);
			if (n == 0) {
				*errpos = i;
				return JSON_EUTF8;
			}
			i += n;
			continue;
		}
		i++;
	}
	return 0;
bad:
	*errpos = i;
	return JSON_ESYNTAX;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? or a literal */
static int json_check_primitive(const char *s, size_t from, size_t to)
{
	size_t i = from, n = to - from, d;

	if (n == 4 && memcmp(s + i, "true", 4) == 0)
		return 0;
	if (n == 5 && memcmp(s + i, "false", 5) == 0)
		return 0;
	if (n == 4 && memcmp(s + i, "null", 4) == 0)
		return 0;
	if (i < to && s[i] == '-')
		i++;
	if (i < to && s[i] == '0') {
		i++;
	} else {
		for (d = i; i < to && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return JSON_ESYNTAX;
	}
	if (i < to && s[i] == '.') {
		for (d = ++i; i < to && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return JSON_ESYNTAX;
	}
	if (i < to && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < to && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < to && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return JSON_ESYNTAX;
	}
	return i == to ? 0 : JSON_ESYNTAX;
}

struct json_frame {
	int tok;
	int left;        /* children (keys and values) still to come */
	int first;       /* no child consumed yet */
	int is_obj;
	int want_key;    /* objects: the next child is a key */
};

/* Closes the innermost container: only white space may stand before its
 * bracket. */
static int json_close(struct json_doc *d, const struct json_frame *f,
		      size_t *pos)
{
	size_t close = (size_t)d->tok[f->tok].end - 1;

	if (close < *pos || !json_gap_ok(d->src, *pos, close, 0) ||
	    d->src[close] != (f->is_obj ? '}' : ']')) {
		d->errpos = *pos;
		return JSON_ESYNTAX;
	}
	*pos = close + 1;
	return 0;
}

/*
 * Walks jsmn's tokens in document order and checks everything jsmn lets
 * through: separators between tokens, keys are strings, literals and
 * numbers are well formed, strings hold no raw control characters.  The
 * walk is iterative; the depth bound caps the frame stack.
 */
static int json_validate(struct json_doc *d, int flags)
{
	struct json_frame st[AG_JSON_MAX_DEPTH], *f;
	const char *s = d->src;
	size_t pos = 0, begin;
	int sp = 0, i = 0, rc, closing;
	char sep;
	jsmntok_t *t;

	for (;;) {
		if (i >= d->ntok)
			goto syntax;
		t = &d->tok[i++];
		f = sp > 0 ? &st[sp - 1] : NULL;
		sep = 0;
		if (f != NULL && f->is_obj && !f->want_key)
			sep = ':';
		else if (f != NULL && !f->first)
			sep = ',';
		/* keys are strings carrying their value; values never are */
		if (f != NULL && f->want_key &&
		    (t->type != JSMN_STRING || t->size != 1))
			goto syntax;
		if (t->type == JSMN_STRING && t->size != 0 &&
		    !(f != NULL && f->want_key))
			goto syntax;
		begin = (size_t)t->start - (t->type == JSMN_STRING);
		if (t->start < 1 - (t->type != JSMN_STRING) || begin < pos ||
		    (size_t)t->end > d->len || !json_gap_ok(s, pos, begin, sep))
			goto syntax;
		closing = 0;
		if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
			if (sp == AG_JSON_MAX_DEPTH)
				return JSON_ELIMIT;
			f = &st[sp++];
			f->tok = i - 1;
			f->is_obj = t->type == JSMN_OBJECT;
			f->left = t->size * (f->is_obj ? 2 : 1);
			f->first = 1;
			f->want_key = f->is_obj;
			pos = (size_t)t->start + 1;
			if (f->left > 0)
				continue;
			closing = 1;
		} else if (t->type == JSMN_STRING) {
			rc = json_check_string(s, (size_t)t->start,
					       (size_t)t->end, flags, &d->errpos);
			if (rc != 0)
				return rc;
			pos = (size_t)t->end + 1;
		} else {
			if (json_check_primitive(s, (size_t)t->start,
						 (size_t)t->end) != 0)
				goto syntax;
			pos = (size_t)t->end;
		}
		if (sp == 0)
			break;
		/* a value (or key) is consumed: count it, and close every
		 * container it completes */
		for (;;) {
			if (closing) {
				if (json_close(d, &st[sp - 1], &pos) != 0)
					return JSON_ESYNTAX;
				if (--sp == 0)
					goto done;
			}
			f = &st[sp - 1];
			f->left--;
			f->first = 0;
			if (f->is_obj)
				f->want_key = !f->want_key;
			if (f->left > 0)
				break;
			closing = 1;
		}
	}
done:
	if (i != d->ntok || !json_gap_ok(s, pos, d->len, 0))
		goto syntax;
	return d->ntok;
syntax:
	d->errpos = pos;
	return JSON_ESYNTAX;
}

/* jsmn's strict mode wants a delimiter after a primitive, so a bare
 * top-level number or literal ("123", "true") is handled here.  Returns 1
 * if the document was a bare primitive (d->ntok says if it was valid). */
static int json_top_primitive(struct json_doc *d, int cap)
{
	size_t a = 0, z = d->len;

	while (a < z && json_ws(d->src[a]))
		a++;
	if (a < z && strchr("{[\"", d->src[a]) != NULL)
		return 0;
	while (z > a && json_ws(d->src[z - 1]))
		z--;
	if (cap < 1 || a == z || json_check_primitive(d->src, a, z) != 0) {
		d->errpos = a;
		return 1;
	}
	d->tok[0].type = JSMN_PRIMITIVE;
	d->tok[0].start = (int)a;
	d->tok[0].end = (int)z;
	d->tok[0].size = 0;
	d->ntok = 1;
	return 1;
}

int json_parse(struct json_doc *d, const char *src, size_t len,
	       jsmntok_t *tok, int cap, int flags)
{
	jsmn_parser p;
	int n;

	d->src = src;
	d->len = len;
	d->tok = tok;
	d->ntok = 0;
	d->errpos = 0;
	/* jsmn counts in int: the caller's limits keep len far below it */
	if (len > (size_t)AG_TOKEN_MAX * 4)
		return JSON_ELIMIT;
	if (json_top_primitive(d, cap) != 0)
		return d->ntok > 0 ? d->ntok : JSON_ESYNTAX;
	jsmn_init(&p);
	n = jsmn_parse(&p, src, len, tok, (unsigned)cap);
	if (n == JSMN_ERROR_NOMEM)
		return JSON_ELIMIT;
	if (n <= 0) {
		d->errpos = p.pos;
		return JSON_ESYNTAX;
	}
	d->ntok = n;
	return json_validate(d, flags);
}

enum json_type json_type(const struct json_doc *d, int i)
{
	const jsmntok_t *t;

	if (i < 0 || i >= d->ntok)
		return JSON_INVALID;
	t = &d->tok[i];
	switch (t->type) {
	case JSMN_OBJECT:
		return JSON_OBJECT;
	case JSMN_ARRAY:
		return JSON_ARRAY;
	case JSMN_STRING:
		return JSON_STRING;
	case JSMN_PRIMITIVE:
		switch (d->src[t->start]) {
		case 't':
			return JSON_TRUE;
		case 'f':
			return JSON_FALSE;
		case 'n':
			return JSON_NULL;
		default:
			return JSON_NUMBER;
		}
	default:
		return JSON_INVALID;
	}
}

int json_skip(const struct json_doc *d, int i)
{
	int pending = 1;

	while (pending > 0 && i < d->ntok)
		pending += d->tok[i++].size - 1;
	return i;
}

const char *json_raw(const struct json_doc *d, int i, size_t *n)
{
	*n = (size_t)(d->tok[i].end - d->tok[i].start);
	return d->src + d->tok[i].start;
}

void json_u16_init(struct json_u16 *it, const char *s, size_t n, int escapes)
{
	it->p = (const unsigned char *)s;
	it->end = it->p + n;
	it->escapes = escapes;
	it->pending = -1;
}

/* One code point from UTF-8, WHATWG style: an invalid or truncated
 * sequence yields U+FFFD and consumes only its maximal valid prefix. */
static long json_utf8_next(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	unsigned c = *p++, need, lo = 0x80, hi = 0xbf;
	long cp;

	if (c < 0x80) {
		*pp = p;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else {
		*pp = p;
		return 0xfffd;
	}
	while (need > 0) {
		if (p >= end || *p < lo || *p > hi) {
			*pp = p;
			return 0xfffd;
		}
		cp = cp << 6 | (*p++ & 0x3f);
		lo = 0x80;
		hi = 0xbf;
		need--;
	}
	*pp = p;
	return cp;
}

int json_u16_next(struct json_u16 *it)
{
	long cp;
	int k, v;

	if (it->pending >= 0) {
		cp = it->pending;
		it->pending = -1;
		return (int)cp;
	}
	if (it->p >= it->end)
		return -1;
	if (it->escapes && *it->p == '\\' && it->p + 1 < it->end) {
		unsigned char c = it->p[1];

		it->p += 2;
		switch (c) {
		case 'b': return '\b';
		case 'f': return '\f';
		case 'n': return '\n';
		case 'r': return '\r';
		case 't': return '\t';
		case 'u':
			/* json_parse checked the four hex digits */
			for (v = 0, k = 0; k < 4 && it->p < it->end; k++)
				v = v << 4 | json_hex(*it->p++);
			return v;
		default:
			return c;
		}
	}
	cp = json_utf8_next(&it->p, it->end);
	if (cp >= 0x10000) {
		cp -= 0x10000;
		it->pending = (int)(0xdc00 | (cp & 0x3ff));
		return (int)(0xd800 | (cp >> 10));
	}
	return (int)cp;
}

static void json_u16_tok(struct json_u16 *it, const struct json_doc *d, int i)
{
	json_u16_init(it, d->src + d->tok[i].start,
		      (size_t)(d->tok[i].end - d->tok[i].start), 1);
}

static int json_u16_eq(struct json_u16 *a, struct json_u16 *b)
{
	int x, y;

	do {
		x = json_u16_next(a);
		y = json_u16_next(b);
		if (x != y)
			return 0;
	} while (x >= 0);
	return 1;
}

/* Bytes that compare as bytes: no escapes, nothing a UTF-8 decoder could
 * replace. */
static int json_bytewise(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\\' || (unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

int json_str_eq(const struct json_doc *d, int i, const char *s, size_t n)
{
	struct json_u16 a, b;
	size_t rn;
	const char *raw;

	if (json_type(d, i) != JSON_STRING)
		return 0;
	raw = json_raw(d, i, &rn);
	if (rn == n && memcmp(raw, s, n) == 0 && memchr(raw, '\\', rn) == NULL)
		return 1;
	/* plain ASCII on both sides: the bytes decide */
	if (json_bytewise(raw, rn) && json_bytewise(s, n))
		return 0;
	json_u16_tok(&a, d, i);
	json_u16_init(&b, s, n, 0);
	return json_u16_eq(&a, &b);
}

static int json_key_eq(const struct json_doc *d, int i, const struct json_doc *e,
		       int j)
{
	struct json_u16 a, b;

	json_u16_tok(&a, d, i);
	json_u16_tok(&b, e, j);
	return json_u16_eq(&a, &b);
}

void json_get_many(const struct json_doc *d, int obj,
		   const char *const *names, int n, int *out)
{
	size_t rn;
	const char *raw;
	int i, k, end, plain;

	for (k = 0; k < n; k++)
		out[k] = -1;
	if (json_type(d, obj) != JSON_OBJECT)
		return;
	end = json_skip(d, obj);
	/* keep looking after a match: the last duplicate wins */
	for (i = obj + 1; i < end; i = json_skip(d, i + 1)) {
		raw = json_raw(d, i, &rn);
		plain = memchr(raw, '\\', rn) == NULL;
		for (k = 0; k < n; k++) {
			/* the names are ASCII: a key without escapes is one only
			 * byte for byte (strncmp stops at the name's end; key
			 * bytes are never NUL) */
			if (plain ? rn > 0 && raw[0] == names[k][0] &&
				    strncmp(names[k], raw, rn) == 0 &&
				    names[k][rn] == '\0' :
			    json_str_eq(d, i, names[k], strlen(names[k])))
				out[k] = i + 1;
		}
	}
}

int json_get(const struct json_doc *d, int obj, const char *key)
{
	int v;

	json_get_many(d, obj, &key, 1, &v);
	return v;
}

double json_num(const struct json_doc *d, int i)
{
	char small[64], *tmp = small;
	size_t n, k;
	const char *raw = json_raw(d, i, &n);
	double v = 0;

	/* up to 15 digits is exact in a double: no need for strtod */
	if (n > 0 && n <= 15 && raw[0] != '-') {
		for (k = 0; k < n && raw[k] >= '0' && raw[k] <= '9'; k++)
			v = v * 10 + (raw[k] - '0');
		if (k == n)
			return v;
		v = 0;
	}
	/* strtod wants a terminated string; numbers are bounded by the
	 * document, which limits.h bounds */
	if (n >= sizeof small) {
		tmp = malloc(n + 1);
		if (tmp == NULL)
			return NAN;
	}
	memcpy(tmp, raw, n);
	tmp[n] = '\0';
	v = strtod(tmp, NULL);
	if (tmp != small)
		free(tmp);
	return v;
}

int json_truthy(const struct json_doc *d, int i)
{
	double v;

	switch (json_type(d, i)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
	case JSON_TRUE:
		return 1;
	case JSON_STRING:
		return d->tok[i].end > d->tok[i].start;
	case JSON_NUMBER:
		v = json_num(d, i);
		return v != 0 && v == v;
	default:
		return 0;
	}
}

int json_is_integer(const struct json_doc *d, int i)
{
	double v;

	if (json_type(d, i) != JSON_NUMBER)
		return 0;
	v = json_num(d, i);
	return isfinite(v) && floor(v) == v;
}

int json_strict_eq(const struct json_doc *a, int i, const struct json_doc *b,
		   int j)
{
	enum json_type ta = json_type(a, i), tb = json_type(b, j);

	if (ta != tb || ta == JSON_INVALID)
		return 0;
	switch (ta) {
	case JSON_STRING:
		return json_key_eq(a, i, b, j);
	case JSON_NUMBER:
		return json_num(a, i) == json_num(b, j);
	case JSON_OBJECT:
	case JSON_ARRAY:
		return 0;  /* distinct objects are never === */
	default:
		return 1;  /* true, false, null */
	}
}
