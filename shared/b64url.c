/* b64url.c - base64url codec. */
#include "shared/b64url.h"

static const char b64url_alpha[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* -1 for characters outside the url-safe alphabet. */
static const int8_t b64url_val[256] = {
#define N16 -1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1
	N16, N16,
	-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,62,-1,-1,
	52,53,54,55,56,57,58,59,60,61,-1,-1,-1,-1,-1,-1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,10,11,12,13,14,
	15,16,17,18,19,20,21,22,23,24,25,-1,-1,-1,-1,63,
	-1,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,
	41,42,43,44,45,46,47,48,49,50,51,-1,-1,-1,-1,-1,
	N16, N16, N16, N16, N16, N16, N16, N16
#undef N16
};

size_t b64url_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url_alpha[v >> 18];
		out[o++] = b64url_alpha[(v >> 12) & 63];
		out[o++] = b64url_alpha[(v >> 6) & 63];
		out[o++] = b64url_alpha[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alpha[v >> 18];
		out[o++] = b64url_alpha[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alpha[v >> 18];
		out[o++] = b64url_alpha[(v >> 12) & 63];
		out[o++] = b64url_alpha[(v >> 6) & 63];
	}
	return o;
}

size_t b64url_loose_len(size_t n)
{
	static const size_t tail[4] = { 0, 0, 1, 2 };

	return n / 4 * 3 + tail[n % 4];
}

int b64url_valid(const char *in, size_t n)
{
	int8_t acc = 0;
	size_t i;

	/* every invalid character maps to -1: OR them and test once */
	for (i = 0; i < n; i++)
		acc |= b64url_val[(unsigned char)in[i]];
	return acc >= 0;
}

/* Decodes whole quads and a 2- or 3-character tail in one pass; a lone
 * trailing character carries no full byte and is dropped, as Node does.
 * Returns the trailing bits that did not fit a byte in *rest. */
static long b64url_decode(uint8_t *out, const char *in, size_t n,
			  uint32_t *rest)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i, o = 0, r = n % 4;
	int8_t a, b, c, d;
	uint32_t v;
	int k;

	for (i = 0; i + 4 <= n; i += 4) {
		a = b64url_val[s[i]];
		b = b64url_val[s[i + 1]];
		c = b64url_val[s[i + 2]];
		d = b64url_val[s[i + 3]];
		/* a -1 anywhere sets the sign bit of the OR */
		if ((a | b | c | d) < 0)
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	*rest = 0;
	if (r == 1) {
		*rest = 1;  /* a lone character is never canonical */
		return b64url_val[s[i]] < 0 ? -1 : (long)o;
	}
	if (r == 0)
		return (long)o;
	v = 0;
	for (k = 0; k < (int)r; k++) {
		if (b64url_val[s[i + k]] < 0)
			return -1;
		v = v << 6 | (uint32_t)b64url_val[s[i + k]];
	}
	if (r == 2) {
		out[o++] = (uint8_t)(v >> 4);
		*rest = v & 0xf;
	} else {
		out[o++] = (uint8_t)(v >> 10);
		out[o++] = (uint8_t)(v >> 2);
		*rest = v & 0x3;
	}
	return (long)o;
}

long b64url_decode_loose(uint8_t *out, const char *in, size_t n)
{
	uint32_t rest;

	return b64url_decode(out, in, n, &rest);
}

long b64url_decode_strict(uint8_t *out, const char *in, size_t n)
{
	uint32_t rest;
	long len = b64url_decode(out, in, n, &rest);

	/* Non-zero trailing bits would give one signature many spellings;
	 * the cache and revocation key on exact token bytes, so refuse. */
	if (len < 0 || rest != 0)
		return -1;
	return len;
}

size_t b64url_encode_std(char *out, const uint8_t *in, size_t n)
{
	size_t i, len = b64url_encode(out, in, n);

	/* the url alphabet's encoding, respelled and padded */
	for (i = 0; i < len; i++)
		out[i] = out[i] == '-' ? '+' : out[i] == '_' ? '/' : out[i];
	while (len % 4 != 0)
		out[len++] = '=';
	return len;
}

long b64url_decode_std(uint8_t *out, const char *in, size_t n)
{
	size_t i, pad = 0, q = 0, o = 0;
	uint32_t acc = 0;
	int v;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		/* '=' only at the end, two at most: one text, one value */
		if (c == '=') {
			if (++pad > 2)
				return -1;
			v = 0;
		} else {
			v = c == '+' ? 62 : c == '/' ? 63 :
			    c == '-' || c == '_' ? -1 : b64url_val[c];
			if (v < 0 || pad != 0)
				return -1;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++q < 4)
			continue;
		q = 0;
		out[o++] = (uint8_t)(acc >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(acc >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)acc;
	}
	return (long)o;
}
