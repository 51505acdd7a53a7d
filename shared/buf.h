/*
 * buf.h - a growable byte buffer with a hard ceiling.
 *
 * Writers append without checking each call; the first failure (ceiling or
 * memory) latches `err`, later appends are no-ops, and the caller checks
 * once at the end.  This keeps encoders flat.
 *
 * A buffer that holds nothing may be lent memory it does not own
 * (buf_lend): many buffers that are mostly empty then share one block,
 * and only the ones left holding bytes get memory of their own
 * (buf_settle).
 */
#ifndef AG_BUF_H
#define AG_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;     /* hard ceiling on len */
	int err;        /* 0, or the first failure: -1 */
	int lent;       /* p is lent memory (buf_lend), not b's to free */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
void buf_put_grow(struct buf *b, const void *src, size_t n);

/* Inline for the encoders' many small appends: when the room is already
 * there (and below the ceiling, and keeps buf_cstr's terminator) it is
 * one copy; anything else goes through buf_reserve. */
static inline void buf_put(struct buf *b, const void *src, size_t n)
{
	if (n != 0 && b->err == 0 && n < b->cap - b->len &&
	    n <= b->max - b->len) {
		memcpy(b->p + b->len, src, n);
		b->len += n;
		return;
	}
	buf_put_grow(b, src, n);
}
void buf_putc(struct buf *b, char c);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminates without counting the NUL; returns p or NULL on error. */
const char *buf_cstr(struct buf *b);

/* b, which holds nothing, writes into the cap bytes at mem (room for
 * cap - 1 bytes and buf_cstr's terminator) until buf_settle; an append
 * that needs more moves it into memory of its own first.  Memory b had
 * of its own is freed. */
void buf_lend(struct buf *b, char *mem, size_t cap);
/* If b is lent memory, what it holds moves into memory of its own (none
 * if it holds nothing); otherwise, if it is empty and has more than
 * keep bytes of memory, they are freed.  -1 (err set) if the move found
 * no memory. */
int buf_settle(struct buf *b, size_t keep);

#endif
