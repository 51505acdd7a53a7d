/* json_write.c - JSON.stringify, String() and JavaScript property order. */
#include "shared/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/limits.h"

static void json_put_utf8(struct buf *b, long cp)
{
	char o[4];

	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, o, 2);
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, o, 3);
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, o, 4);
	}
}

/*
 * Emits code units as UTF-8, pairing surrogates.  A lone surrogate is
 * either escaped (JSON.stringify's well-formed output) or replaced with
 * U+FFFD (Buffer.from(string)).
 */
static void json_emit(struct buf *b, struct json_u16 *it, int quote)
{
	static const char esc[] = "btn\0fr";
	int u, v = -1;

	for (;;) {
		u = v >= 0 ? v : json_u16_next(it);
		v = -1;
		if (u < 0)
			break;
		if (u >= 0xd800 && u <= 0xdbff) {
			v = json_u16_next(it);
			if (v >= 0xdc00 && v <= 0xdfff) {
				json_put_utf8(b, 0x10000 + ((long)(u - 0xd800) << 10) +
						 (v - 0xdc00));
				v = -1;
				continue;
			}
		}
		if (u >= 0xd800 && u <= 0xdfff) {
			if (quote)
				buf_printf(b, "\\u%04x", u);
			else
				json_put_utf8(b, 0xfffd);
		} else if (quote && (u == '"' || u == '\\')) {
			buf_putc(b, '\\');
			buf_putc(b, (char)u);
		} else if (quote && u < 0x20) {
			if (u >= '\b' && u <= '\r' && esc[u - '\b'] != '\0') {
				buf_putc(b, '\\');
				buf_putc(b, esc[u - '\b']);
			} else {
				buf_printf(b, "\\u%04x", u);
			}
		} else {
			json_put_utf8(b, u);
		}
	}
}

static int json_plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

void json_write_str(struct buf *out, const char *s, size_t n)
{
	struct json_u16 it;

	buf_putc(out, '"');
	if (json_plain(s, n)) {
		buf_put(out, s, n);
	} else {
		json_u16_init(&it, s, n, 0);
		json_emit(out, &it, 1);
	}
	buf_putc(out, '"');
}

void json_str_utf8(const struct json_doc *d, int i, struct buf *out)
{
	struct json_u16 it;
	size_t n;
	const char *raw = json_raw(d, i, &n);

	if (json_plain(raw, n)) {
		buf_put(out, raw, n);
		return;
	}
	json_u16_init(&it, raw, n, 1);
	json_emit(out, &it, 0);
}

int json_str_copy(const struct json_doc *d, int i, char *out, size_t cap)
{
	struct buf b;
	size_t n;
	const char *raw = json_raw(d, i, &n);
	int whole;

	/* the common case: short plain ASCII, copied as it is */
	if (n < cap && json_plain(raw, n)) {
		memcpy(out, raw, n);
		out[n] = '\0';
		return 1;
	}
	buf_init(&b, cap - 1);
	json_str_utf8(d, i, &b);
	whole = b.err == 0 && memchr(b.p ? b.p : "", '\0', b.len) == NULL;
	memcpy(out, b.p ? b.p : "", b.len);
	out[b.len] = '\0';
	buf_free(&b);
	return whole;
}

/*
 * Number::toString (ECMA-262 6.1.6.1.20): the shortest digits that read
 * back as the same double, laid out by the decimal exponent.  glibc's
 * printf rounds correctly, so the first precision that round-trips gives
 * the shortest, closest digits, as V8's algorithm does.
 */
static void js_num(struct buf *b, double v)
{
	char tmp[40], digits[24];
	int p, k = 0, n, e, i;
	char *s;

	if (v != v) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_puts(b, v < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (v == 0) {
		buf_putc(b, '0');  /* also -0 */
		return;
	}
	if (fabs(v) < 9007199254740992.0 && floor(v) == v) {
		buf_printf(b, "%.0f", v);
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	s = tmp;
	if (*s == '-') {
		buf_putc(b, '-');
		s++;
	}
	for (; *s != 'e'; s++)
		if (*s != '.')
			digits[k++] = *s;
	e = atoi(s + 1);
	while (k > 1 && digits[k - 1] == '0')
		k--;
	n = e + 1;
	if (k <= n && n <= 21) {
		buf_put(b, digits, (size_t)k);
		for (i = k; i < n; i++)
			buf_putc(b, '0');
	} else if (0 < n && n <= 21) {
		buf_put(b, digits, (size_t)n);
		buf_putc(b, '.');
		buf_put(b, digits + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		buf_puts(b, "0.");
		for (i = n; i < 0; i++)
			buf_putc(b, '0');
		buf_put(b, digits, (size_t)k);
	} else {
		buf_putc(b, digits[0]);
		if (k > 1) {
			buf_putc(b, '.');
			buf_put(b, digits + 1, (size_t)(k - 1));
		}
		buf_printf(b, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
}

void json_write_num(struct buf *out, double v)
{
	if (!isfinite(v))
		buf_puts(out, "null");  /* JSON.stringify(NaN/Infinity) */
	else
		js_num(out, v);
}

/* A JSON number that is already in JavaScript's canonical form: a
 * safe-size integer without exponent, fraction or leading zero. */
static int json_num_canonical(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 0 && s[0] == '-')
		i = 1;
	if (n - i == 0 || n - i > 15)
		return 0;
	if (s[i] == '0')
		return n == 1;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void json_stringify_depth(const struct json_doc *d, int i,
				 struct buf *out, int depth);

static void json_stringify_container(const struct json_doc *d, int i,
				     struct buf *out, int depth)
{
	struct json_iter it;
	int k, v, first = 1, end;

	if (json_type(d, i) == JSON_ARRAY) {
		buf_putc(out, '[');
		end = json_skip(d, i);
		for (k = i + 1; k < end; k = json_skip(d, k)) {
			if (!first)
				buf_putc(out, ',');
			first = 0;
			json_stringify_depth(d, k, out, depth + 1);
		}
		buf_putc(out, ']');
		return;
	}
	buf_putc(out, '{');
	json_iter_init(&it, d, i);
	while (json_iter_next(&it, &k, &v)) {
		if (!first)
			buf_putc(out, ',');
		first = 0;
		json_stringify_depth(d, k, out, depth + 1);
		buf_putc(out, ':');
		json_stringify_depth(d, v, out, depth + 1);
	}
	buf_putc(out, '}');
}

static void json_stringify_depth(const struct json_doc *d, int i,
				 struct buf *out, int depth)
{
	struct json_u16 it;
	size_t n;
	const char *raw = json_raw(d, i, &n);

	/* json_parse bounded the depth; this guards direct callers too */
	if (depth > AG_JSON_MAX_DEPTH) {
		out->err = -1;
		return;
	}
	switch (json_type(d, i)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		json_stringify_container(d, i, out, depth);
		break;
	case JSON_STRING:
		buf_putc(out, '"');
		if (json_plain(raw, n)) {
			buf_put(out, raw, n);
		} else {
			json_u16_init(&it, raw, n, 1);
			json_emit(out, &it, 1);
		}
		buf_putc(out, '"');
		break;
	case JSON_NUMBER:
		if (json_num_canonical(raw, n))
			buf_put(out, raw, n);
		else
			json_write_num(out, json_num(d, i));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		buf_put(out, raw, n);
		break;
	default:
		out->err = -1;
	}
}

void json_stringify(const struct json_doc *d, int i, struct buf *out)
{
	json_stringify_depth(d, i, out, 0);
}

void json_tostring(const struct json_doc *d, int i, struct buf *out)
{
	int k, end, first = 1;
	enum json_type t;

	switch (json_type(d, i)) {
	case JSON_STRING:
		json_str_utf8(d, i, out);
		break;
	case JSON_NUMBER:
		js_num(out, json_num(d, i));
		break;
	case JSON_OBJECT:
		buf_puts(out, "[object Object]");
		break;
	case JSON_ARRAY:
		/* Array#join: null and undefined become "" */
		end = json_skip(d, i);
		for (k = i + 1; k < end; k = json_skip(d, k)) {
			if (!first)
				buf_putc(out, ',');
			first = 0;
			t = json_type(d, k);
			if (t != JSON_NULL)
				json_tostring(d, k, out);
		}
		break;
	default: {
		size_t n;
		const char *raw = json_raw(d, i, &n);

		buf_put(out, raw, n);
	}
	}
}

/* The array index a key names (a canonical integer below 2^32 - 1), or
 * -1: such keys come first, in numeric order. */
static int64_t json_key_index(const struct json_doc *d, int key)
{
	struct json_u16 it;
	int64_t v = 0;
	int c, n = 0;
	size_t rn;

	json_raw(d, key, &rn);
	if (rn == 0 || rn > 60)
		return -1;
	json_u16_init(&it, d->src + d->tok[key].start, rn, 1);
	while ((c = json_u16_next(&it)) >= 0) {
		if (c < '0' || c > '9' || n == 10 || (n == 1 && v == 0))
			return -1;
		v = v * 10 + (c - '0');
		n++;
	}
	if (n == 0 || v > 4294967294LL)
		return -1;
	return v;
}

static int json_same_key(const struct json_doc *d, int a, int b)
{
	size_t na, nb;
	const char *ra = json_raw(d, a, &na), *rb = json_raw(d, b, &nb);
	struct json_u16 x, y;
	int u, w;

	if (json_plain(ra, na) && json_plain(rb, nb))
		return na == nb && memcmp(ra, rb, na) == 0;
	json_u16_init(&x, ra, na, 1);
	json_u16_init(&y, rb, nb, 1);
	do {
		u = json_u16_next(&x);
		w = json_u16_next(&y);
		if (u != w)
			return 0;
	} while (u >= 0);
	return 1;
}

void json_iter_init(struct json_iter *it, const struct json_doc *d, int obj)
{
	it->d = d;
	it->obj = obj;
	it->phase = json_type(d, obj) == JSON_OBJECT ? 0 : 2;
	it->last_index = -1;
	it->next = obj + 1;
}

/* The value of the last member whose key equals key k. */
static int json_last_value(const struct json_doc *d, int obj, int k)
{
	int end = json_skip(d, obj), j, val = k + 1;

	for (j = json_skip(d, k + 1); j < end; j = json_skip(d, j + 1))
		if (json_same_key(d, j, k))
			val = j + 1;
	return val;
}

/*
 * Each step scans the members, so an object of n members costs O(n^2)
 * key comparisons; limits.h caps n, and real payloads have a dozen.
 */
int json_iter_next(struct json_iter *it, int *key, int *val)
{
	const struct json_doc *d = it->d;
	int end, j, best = -1, earlier;
	int64_t idx, best_idx = 0;

	if (it->phase == 2)
		return 0;
	end = json_skip(d, it->obj);
	if (it->phase == 0) {
		for (j = it->obj + 1; j < end; j = json_skip(d, j + 1)) {
			idx = json_key_index(d, j);
			if (idx > it->last_index && (best < 0 || idx < best_idx)) {
				best = j;
				best_idx = idx;
			}
		}
		if (best >= 0) {
			it->last_index = best_idx;
			*key = best;
			*val = json_last_value(d, it->obj, best);
			return 1;
		}
		it->phase = 1;
	}
	for (j = it->next; j < end; j = json_skip(d, j + 1)) {
		if (json_key_index(d, j) >= 0)
			continue;
		for (earlier = it->obj + 1; earlier < j;
		     earlier = json_skip(d, earlier + 1))
			if (json_same_key(d, earlier, j))
				break;
		if (earlier < j)
			continue;
		it->next = json_skip(d, j + 1);
		*key = j;
		*val = json_last_value(d, it->obj, j);
		return 1;
	}
	it->phase = 2;
	return 0;
}
