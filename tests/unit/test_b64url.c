/* test_b64url.c - base64url codec. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <mbedtls/base64.h>

#include "shared/b64url.h"

Test(b64url, encodes_without_padding)
{
	char out[16];

	cr_assert_eq(b64url_encode(out, (const uint8_t *)"", 0), 0);
	cr_assert_eq(b64url_encode(out, (const uint8_t *)"f", 1), 2);
	cr_assert_arr_eq(out, "Zg", 2);
	cr_assert_eq(b64url_encode(out, (const uint8_t *)"fo", 2), 3);
	cr_assert_arr_eq(out, "Zm8", 3);
	cr_assert_eq(b64url_encode(out, (const uint8_t *)"\xfb\xff", 2), 3);
	cr_assert_arr_eq(out, "-_8", 3);
}

Test(b64url, strict_round_trip_all_lengths)
{
	uint8_t in[40], dec[40];
	char enc[64];
	size_t n, i, len;

	for (i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (n = 0; n < sizeof in; n++) {
		len = b64url_encode(enc, in, n);
		cr_assert_eq(b64url_decode_strict(dec, enc, len), (long)n);
		cr_assert_arr_eq(dec, in, n);
	}
}

Test(b64url, strict_refuses_other_spellings)
{
	uint8_t out[8];

	cr_assert_eq(b64url_decode_strict(out, "Zh", 2), -1, "trailing bits");
	cr_assert_eq(b64url_decode_strict(out, "Zm9", 3), -1, "trailing bits");
	cr_assert_eq(b64url_decode_strict(out, "Zg==", 4), -1, "padding");
	cr_assert_eq(b64url_decode_strict(out, "Z+8", 3), -1, "std alphabet");
	cr_assert_eq(b64url_decode_strict(out, "Zm9vY", 5), -1, "lone char");
}

Test(b64url, loose_matches_node_buffer)
{
	uint8_t out[8];

	/* Buffer.from('YR','base64') is "a"; a lone char is dropped */
	cr_assert_eq(b64url_decode_loose(out, "YR", 2), 1);
	cr_assert_eq(out[0], 'a');
	cr_assert_eq(b64url_decode_loose(out, "Y", 1), 0);
	cr_assert_eq(b64url_decode_loose(out, "YWJjZ", 5), 3);
	cr_assert_arr_eq(out, "abc", 3);
	cr_assert_eq(b64url_decode_loose(out, "YW=J", 4), -1);
	cr_assert_eq(b64url_loose_len(5), 3);
	cr_assert_eq(b64url_loose_len(86), 64);
}

Test(b64url, standard_alphabet_round_trips_padded)
{
	char out[16];
	uint8_t back[16];

	cr_assert_eq(b64url_encode_std(out, (const uint8_t *)"\xfb\xff", 2), 4);
	cr_assert_arr_eq(out, "+/8=", 4);
	cr_assert_eq(b64url_decode_std(back, out, 4), 2);
	cr_assert_arr_eq(back, "\xfb\xff", 2);
	cr_assert_eq(b64url_encode_std(out, (const uint8_t *)"f", 1), 4);
	cr_assert_arr_eq(out, "Zg==", 4);
}

/* Key files decoded exactly as mbedTLS 2.28's decoder did before it
 * (whitespace already removed): the same texts refused (url alphabet,
 * '=' inside or thrice, bytes above 127), the same bytes out. */
Test(b64url, standard_decoder_is_the_one_it_replaces)
{
	static const char alpha[] = "ABab09+/=-_\x80!";
	char s[12];
	uint8_t a[16], b[16];
	size_t olen;
	long m;
	int it, n, i, rc;

	srand(7);
	for (it = 0; it < 300000; it++) {
		n = rand() % 11;
		for (i = 0; i < n; i++)
			s[i] = alpha[rand() % (int)(sizeof alpha - 1)];
		rc = mbedtls_base64_decode(a, sizeof a, &olen,
					   (const unsigned char *)s, (size_t)n);
		m = b64url_decode_std(b, s, (size_t)n);
		cr_assert_eq(rc != 0, m < 0, "'%.*s': mbedTLS %d, ours %ld", n,
			     s, rc, m);
		if (rc == 0) {
			cr_assert_eq((size_t)m, olen, "'%.*s'", n, s);
			cr_assert_arr_eq(a, b, olen, "'%.*s'", n, s);
		}
	}
}
