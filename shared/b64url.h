/*
 * b64url.h - base64url without padding (RFC 7515 section 2).
 *
 * Two decoders: strict (the only form a signer produces: url alphabet, no
 * padding, zero trailing bits) for signatures, so one token has exactly one
 * spelling; and loose (what Node's Buffer.from(s, 'base64') does) for the
 * header and payload, whose bytes the signature covers anyway, so that we
 * decode exactly what jsonwebtoken decodes.
 */
#ifndef AG_B64URL_H
#define AG_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes. */
#define B64URL_ENC_LEN(n) (((n) * 4 + 2) / 3)
/* Upper bound of bytes decoded from n characters. */
#define B64URL_DEC_MAX(n) (((n) / 4) * 3 + 2)

size_t b64url_encode(char *out, const uint8_t *in, size_t n);

/* Returns the decoded length, or -1 if a character is outside the url-safe
 * alphabet (both decoders), or the encoding is not canonical (strict).
 * `out` must hold B64URL_DEC_MAX(n) bytes. */
long b64url_decode_strict(uint8_t *out, const char *in, size_t n);
long b64url_decode_loose(uint8_t *out, const char *in, size_t n);

/* All of in[0..n) is in the url-safe alphabet. */
int b64url_valid(const char *in, size_t n);

/*
 * Standard base64 (RFC 4648 section 4: '+' and '/', '=' padding), as key
 * files hold secrets.  The encoder pads (out: B64_STD_ENC_LEN(n)).  The
 * decoder takes text without whitespace: characters of the alphabet, then
 * at most two '='; a last group of fewer than four characters yields
 * nothing (as mbedTLS 2.28's decoder, which it replaces, did).  Returns
 * the decoded length (out: B64URL_DEC_MAX(n) bytes), or -1.
 */
#define B64_STD_ENC_LEN(n) (((n) + 2) / 3 * 4)
size_t b64url_encode_std(char *out, const uint8_t *in, size_t n);
long b64url_decode_std(uint8_t *out, const char *in, size_t n);

/* Bytes the loose decoder yields for n valid characters. */
size_t b64url_loose_len(size_t n);

#endif
