/* json.c - strict JSON parsing and JavaScript-semantics access. */
#include "shared/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shared/limits.h"

static int json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
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

/* The parser's state: the document, the tokens so far, and the open
 * containers (each a token index). */
struct json_p {
	const unsigned char *s;
	size_t n, i;
	struct json_doc *d;
	int cap, flags;
	int open[AG_JSON_MAX_DEPTH];
	int sp;
};

static void json_skip_ws(struct json_p *p)
{
	while (p->i < p->n && json_ws((char)p->s[p->i]))
		p->i++;
}

/* A new token at the caller's limit: more is JSON_ELIMIT. */
static int json_tok(struct json_p *p, enum json_tok_type type, size_t start,
		    size_t end)
{
	struct json_tok *t;

	if (p->d->ntok == p->cap)
		return JSON_ELIMIT;
	t = &p->d->tok[p->d->ntok];
	t->type = type;
	t->start = (int)start;
	t->end = (int)end;
	t->size = 0;
	return p->d->ntok++;
}

/* The string whose opening quote is at p->i: escapes well formed, no raw
 * control characters, and (JSON_UTF8) valid UTF-8.  Leaves p->i after
 * the closing quote. */
static int json_string(struct json_p *p)
{
	const unsigned char *s = p->s;
	size_t i = p->i + 1, start = i, n, k;

	for (;;) {
		if (i >= p->n)
			goto bad;
		if (s[i] == '"')
			break;
		if (s[i] < 0x20)
			goto bad;
		if (s[i] == '\\') {
			if (i + 1 >= p->n)
				goto bad;
			if (memchr("\"\\/bfnrt", s[i + 1], 8) != NULL) {
				i += 2;
				continue;
			}
			if (s[i + 1] != 'u' || i + 6 > p->n)
				goto bad;
			for (k = 2; k < 6; k++)
				if (json_hex(s[i + k]) < 0)
					goto bad;
			i += 6;
			continue;
		}
		if (s[i] >= 0x80 && (p->flags & JSON_UTF8)) {
			n = json_utf8_len(s + i, s + p->n);
			if (n == 0) {
				p->i = i;
				return JSON_EUTF8;
			}
			i += n;
			continue;
		}
		i++;
	}
	p->i = i + 1;
	return json_tok(p, JSON_TOK_STRING, start, i);
bad:
	p->i = i;
	return JSON_ESYNTAX;
}

/* Characters numbers and literals are made of. */
static int json_prim_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       c == '-' || c == '+' || c == '.';
}

/* A number or literal: the longest run of those characters, checked
 * against the grammar. */
static int json_primitive(struct json_p *p)
{
	size_t start = p->i;

	while (p->i < p->n && json_prim_char(p->s[p->i]))
		p->i++;
	if (json_check_primitive((const char *)p->s, start, p->i) != 0) {
		p->i = start;
		return JSON_ESYNTAX;
	}
	return json_tok(p, JSON_TOK_PRIMITIVE, start, p->i);
}

/* A value at p->i (after white space); a container is opened, not
 * finished. */
static int json_value(struct json_p *p)
{
	int t;

	if (p->i >= p->n)
		return JSON_ESYNTAX;
	switch (p->s[p->i]) {
	case '{':
	case '[':
		/* the depth bound keeps the container stack fixed */
		if (p->sp == AG_JSON_MAX_DEPTH)
			return JSON_ELIMIT;
		t = json_tok(p, p->s[p->i] == '{' ? JSON_TOK_OBJECT : JSON_TOK_ARRAY,
			     p->i, p->i);
		if (t >= 0)
			p->open[p->sp++] = t;
		p->i++;
		return t;
	case '"':
		return json_string(p);
	default:
		return json_primitive(p);
	}
}

/* `"key" :` inside an object: the key token carries its value (size 1),
 * the object counts its keys. */
static int json_key(struct json_p *p)
{
	int obj = p->open[p->sp - 1], t;

	if (p->i >= p->n || p->s[p->i] != '"')
		return JSON_ESYNTAX;
	t = json_string(p);
	if (t < 0)
		return t;
	p->d->tok[t].size = 1;
	p->d->tok[obj].size++;
	json_skip_ws(p);
	if (p->i >= p->n || p->s[p->i] != ':')
		return JSON_ESYNTAX;
	p->i++;
	json_skip_ws(p);
	return 0;
}

/*
 * One pass, exactly JSON.parse's grammar (RFC 8259 with white space as
 * ECMA-404), into tokens (json.h).  Iterative: the depth bound caps the
 * stack.
 */
static int json_walk(struct json_p *p)
{
	struct json_tok *tok = p->d->tok;
	int rc, top;
	char close;

	json_skip_ws(p);
	for (;;) {
		rc = json_value(p);
		if (rc < 0)
			return rc;
		json_skip_ws(p);
		/* a container just opened: its first member, or its end */
		if (p->sp > 0 && rc == p->open[p->sp - 1]) {
			close = tok[rc].type == JSON_TOK_OBJECT ? '}' : ']';
			if (p->i >= p->n || p->s[p->i] != close) {
				if (tok[rc].type == JSON_TOK_OBJECT &&
				    (rc = json_key(p)) < 0)
					return rc;
				continue;
			}
		} else if (p->sp > 0 &&
			   tok[p->open[p->sp - 1]].type == JSON_TOK_ARRAY) {
			tok[p->open[p->sp - 1]].size++;
		}
		/* a value is done: a separator and the next member, or the
		 * end of every container it completes */
		for (;;) {
			if (p->sp == 0)
				return p->i == p->n ? p->d->ntok : JSON_ESYNTAX;
			top = p->open[p->sp - 1];
			close = tok[top].type == JSON_TOK_OBJECT ? '}' : ']';
			if (p->i < p->n && p->s[p->i] == ',')
				break;
			if (p->i >= p->n || p->s[p->i] != close)
				return JSON_ESYNTAX;
			tok[top].end = (int)++p->i;
			p->sp--;
			json_skip_ws(p);
			if (p->sp > 0 &&
			    tok[p->open[p->sp - 1]].type == JSON_TOK_ARRAY)
				tok[p->open[p->sp - 1]].size++;
		}
		p->i++;
		json_skip_ws(p);
		if (tok[top].type == JSON_TOK_OBJECT && (rc = json_key(p)) < 0)
			return rc;
	}
}

int json_parse(struct json_doc *d, const char *src, size_t len,
	       struct json_tok *tok, int cap, int flags)
{
	struct json_p p;
	int rc;

	d->src = src;
	d->len = len;
	d->tok = tok;
	d->ntok = 0;
	d->errpos = 0;
	/* tokens count in int: the caller's limits keep len far below it */
	if (len > (size_t)AG_TOKEN_MAX * 4)
		return JSON_ELIMIT;
	p.s = (const unsigned char *)src;
	p.n = len;
	p.i = 0;
	p.d = d;
	p.cap = cap;
	p.flags = flags;
	p.sp = 0;
	rc = json_walk(&p);
	if (rc < 0) {
		d->errpos = p.i;
		d->ntok = 0;
	}
	return rc;
}

enum json_type json_type(const struct json_doc *d, int i)
{
	const struct json_tok *t;

	if (i < 0 || i >= d->ntok)
		return JSON_INVALID;
	t = &d->tok[i];
	switch (t->type) {
	case JSON_TOK_OBJECT:
		return JSON_OBJECT;
	case JSON_TOK_ARRAY:
		return JSON_ARRAY;
	case JSON_TOK_STRING:
		return JSON_STRING;
	case JSON_TOK_PRIMITIVE:
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
