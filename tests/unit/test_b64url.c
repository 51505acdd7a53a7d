/* test_b64url.c - base64url codec. */
#include <string.h>

#include <criterion/criterion.h>

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
