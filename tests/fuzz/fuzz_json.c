/* fuzz_json.c - JSON parsing, lookups and JSON.stringify on any bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "shared/json.h"
#include "shared/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_tok tok[AG_JSON_MAX_TOKENS];
	struct json_doc d;
	struct json_iter it;
	struct buf b;
	int k, v;

	if (size > AG_TOKEN_MAX)
		return 0;
	if (json_parse(&d, (const char *)data, size, tok, AG_JSON_MAX_TOKENS,
		       JSON_UTF8) < 0 &&
	    json_parse(&d, (const char *)data, size, tok, AG_JSON_MAX_TOKENS,
		       0) < 0)
		return 0;
	buf_init(&b, 4 * AG_TOKEN_MAX);
	json_stringify(&d, 0, &b);
	json_tostring(&d, 0, &b);
	json_iter_init(&it, &d, 0);
	while (json_iter_next(&it, &k, &v))
		json_str_utf8(&d, k, &b);
	(void)json_get(&d, 0, "exp");
	(void)json_truthy(&d, 0);
	buf_free(&b);
	return 0;
}
