/*
 * render.h - JSON text out of msgpack replies (keys, stats) and out of C
 * strings (agauthctl's options).  Strings come out as JSON.stringify
 * writes them; bytes that are not UTF-8 become U+FFFD as Node decodes
 * them, so the text is always valid JSON in UTF-8.
 */
#ifndef AG_RENDER_H
#define AG_RENDER_H

#include <stddef.h>

#include <msgpack.h>

#include "shared/buf.h"
#include "shared/limits.h"

/* Room for any reply rendered: a msgpack byte becomes at most six. */
#define RENDER_MAX (8 * AG_FRAME_HARD_MAX)

/* A JSON string literal of s[0..n). */
void render_str(struct buf *b, const char *s, size_t n);
/* A JSON number, as JSON.stringify writes it (NaN and infinities: null). */
void render_num(struct buf *b, double v);
/* Any msgpack value (nil, bool, numbers, str, bin, array, map). */
void render_obj(struct buf *b, const msgpack_object *o);
/* A map as an object without the members named in skip (NULL-ended). */
void render_members(struct buf *b, const msgpack_object *map,
		    const char *const *skip);
/* The text as a malloc'd C string (the buffer is emptied), or NULL if
 * the buffer failed. */
char *render_take(struct buf *b);

#endif
