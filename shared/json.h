/*
 * json.h - JSON with JavaScript's semantics, as spans of the source.
 *
 * json_parse accepts exactly what JSON.parse accepts, in one pass, into
 * flat tokens that keep source spans (the layout of the jsmn tokenizer,
 * which this module used before: jsmn is lenient, and a second walk to
 * make it strict cost more than the whole single pass).  Spans let the
 * signer splice claims into the caller's text and the verifier read
 * claims without building a tree.  On top: lookups with "last duplicate wins",
 * JavaScript truthiness, String(), strict equality, and JSON.stringify's
 * canonical output (property order, number and string formatting).
 */
#ifndef AG_JSON_H
#define AG_JSON_H

#include <stddef.h>
#include <stdint.h>


#include "shared/buf.h"

enum json_type {
	JSON_INVALID = 0,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

/* Parse failures (json_parse returns one of these, negative). */
enum json_perr {
	JSON_ESYNTAX = -1,   /* JSON.parse would throw */
	JSON_ELIMIT = -2,    /* more tokens or depth than limits.h allows */
	JSON_EUTF8 = -3,     /* invalid UTF-8 (only with JSON_UTF8) */
};

/* json_parse flags */
#define JSON_UTF8 1          /* require valid UTF-8 (text from a caller) */

/* A value's span in the source (strings without their quotes, containers
 * from bracket to bracket) and its size: an object's keys, an array's
 * elements, 1 for a key (it carries its value), else 0.  Tokens are in
 * document order, so a value's children follow it. */
enum json_tok_type {
	JSON_TOK_OBJECT = 1,
	JSON_TOK_ARRAY,
	JSON_TOK_STRING,
	JSON_TOK_PRIMITIVE,
};

struct json_tok {
	enum json_tok_type type;
	int start, end, size;
};

struct json_doc {
	const char *src;
	size_t len;
	struct json_tok *tok;
	int ntok;
	size_t errpos;       /* where a syntax error was found */
};

/* Parses src[0..len) into tok[0..cap).  Returns the token count or a
 * json_perr.  len must fit an int (callers bound it by limits.h). */
int json_parse(struct json_doc *d, const char *src, size_t len,
	       struct json_tok *tok, int cap, int flags);

enum json_type json_type(const struct json_doc *d, int i);
/* Index of the token after the subtree rooted at i. */
int json_skip(const struct json_doc *d, int i);
/* Value of the last member named key (JSON.parse: the last duplicate
 * wins), or -1.  obj must be an object; any other type gives -1. */
int json_get(const struct json_doc *d, int obj, const char *key);
/* json_get for several names in one walk: out[k] for names[k].  The
 * names are ASCII. */
void json_get_many(const struct json_doc *d, int obj,
		   const char *const *names, int n, int *out);
double json_num(const struct json_doc *d, int i);
/* JavaScript truthiness of the value. */
int json_truthy(const struct json_doc *d, int i);
/* Number.isInteger */
int json_is_integer(const struct json_doc *d, int i);
/* String value equals the UTF-8 string s[0..n) (code-unit equality). */
int json_str_eq(const struct json_doc *d, int i, const char *s, size_t n);
/* JavaScript `a === b` for two parsed values (objects never equal). */
int json_strict_eq(const struct json_doc *a, int i,
		   const struct json_doc *b, int j);
/* Raw bytes of a value: strings without their quotes. */
const char *json_raw(const struct json_doc *d, int i, size_t *n);

/* Appends the string's value as UTF-8 (lone surrogates become U+FFFD, as
 * Buffer.from does). */
void json_str_utf8(const struct json_doc *d, int i, struct buf *out);
/* Copies the string's value as UTF-8 into out[cap], NUL-terminated and
 * cut to fit.  Returns 1 if out holds all of it and it has no NUL (only
 * then can it equal a C string such as an algorithm name). */
int json_str_copy(const struct json_doc *d, int i, char *out, size_t cap);
/* Appends String(value): strings as they are, numbers as JavaScript prints
 * them, arrays joined with ",", objects as "[object Object]". */
void json_tostring(const struct json_doc *d, int i, struct buf *out);

/* Appends JSON.stringify(value) for the parsed value at i. */
void json_stringify(const struct json_doc *d, int i, struct buf *out);
/* Appends JSON.stringify of a UTF-8 string / of a number. */
void json_write_str(struct buf *out, const char *s, size_t n);
void json_write_num(struct buf *out, double v);

/*
 * UTF-16 code units of a string value, as JavaScript sees it: escapes
 * decoded, literal UTF-8 decoded with the WHATWG replacement rules (what
 * Buffer#toString does with bytes that are not UTF-8), astral characters
 * split into surrogate pairs.
 */
struct json_u16 {
	const unsigned char *p, *end;
	int escapes;         /* the text is a JSON string body */
	int pending;         /* a low surrogate still to yield, or -1 */
};

void json_u16_init(struct json_u16 *it, const char *s, size_t n, int escapes);
/* Next code unit, or -1 at the end. */
int json_u16_next(struct json_u16 *it);

/*
 * Members of an object in JavaScript's own-property order: array-index keys
 * ascending, then the other keys in first-appearance order; a duplicated
 * key appears once, at its first place, with its last value.
 */
struct json_iter {
	const struct json_doc *d;
	int obj;
	int phase;           /* 0: index keys, 1: other keys, 2: done */
	int64_t last_index;  /* last index key yielded in phase 0 */
	int next;            /* next member key token in phase 1 */
};

void json_iter_init(struct json_iter *it, const struct json_doc *d, int obj);
/* Returns 1 and the key and value tokens, or 0 at the end. */
int json_iter_next(struct json_iter *it, int *key, int *val);

#endif
