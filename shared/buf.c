/* buf.c - bounded growable buffer. */
#include "shared/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void buf_free(struct buf *b)
{
	if (!b->lent)
		free(b->p);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
}

/* Room for want bytes; lent memory is left as it is, its bytes copied
 * over.  Kept out of buf_reserve, whose common case (room enough) then
 * saves no registers. */
static __attribute__((noinline)) int buf_grow(struct buf *b, size_t want)
{
	size_t ncap = b->cap ? b->cap : 64;
	char *np;

	while (ncap < want)
		ncap *= 2;
	np = b->lent ? malloc(ncap) : realloc(b->p, ncap);
	if (np == NULL) {
		b->err = -1;
		return -1;
	}
	if (b->lent && b->len > 0)
		memcpy(np, b->p, b->len);
	b->lent = 0;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t want;

	if (b->err)
		return -1;
	/* +1 keeps room for buf_cstr's terminator; the ceiling is checked
	 * before any allocation so a hostile length cannot reach malloc. */
	if (extra > b->max - b->len) {
		b->err = -1;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	return buf_grow(b, want);
}

void buf_put_grow(struct buf *b, const void *src, size_t n)
{
	if (n == 0 || buf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

void buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->err = -1;
		return;
	}
	buf_put(b, tmp, (size_t)n);
}

const char *buf_cstr(struct buf *b)
{
	if (buf_reserve(b, 0) != 0)
		return NULL;
	b->p[b->len] = '\0';
	return b->p;
}

void buf_lend(struct buf *b, char *mem, size_t cap)
{
	if (!b->lent)
		free(b->p);
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->lent = 1;
}

int buf_settle(struct buf *b, size_t keep)
{
	char *held = b->p;
	size_t n = b->len;

	if (b->lent) {
		b->p = NULL;
		b->len = b->cap = 0;
		b->lent = 0;
		buf_put(b, held, n);
	} else if (b->len == 0 && b->cap > keep) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
	return b->err;
}
