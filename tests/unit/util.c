/* util.c - helpers shared by the unit suites. */
#include "tests/unit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/engine/sign.h"
#include "daemon/engine/verify.h"
#include "shared/buf.h"

char *ut_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	cr_assert_not_null(p);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

struct key *ut_key_file(const char *path, enum key_use use)
{
	struct ag_error e;
	struct key *k;
	size_t n;
	char *m = ut_read(path, &n);

	cr_assert_eq(key_load(&k, (const uint8_t *)m, n, use, &e), 0,
		     "%s: %s", path, e.msg);
	free(m);
	return k;
}

struct key *ut_key_str(const char *material, enum key_use use)
{
	struct ag_error e;
	struct key *k;

	cr_assert_eq(key_load(&k, (const uint8_t *)material, strlen(material),
			      use, &e), 0, "%s", e.msg);
	return k;
}

char *ut_sign(const struct key *k, const char *payload, const char *opts,
	      double now, struct ag_error *e)
{
	struct sign_req r = {
		.payload = payload, .payload_len = strlen(payload),
		.opts = opts, .opts_len = opts ? strlen(opts) : 0,
		.now = now,
	};
	struct buf tok;
	char *out = NULL;

	buf_init(&tok, 1 << 16);
	ag_clear(e);
	if (sign_token(k, &r, &tok, NULL, e) == 0)
		out = strdup(buf_cstr(&tok));
	buf_free(&tok);
	return out;
}

int ut_verify(const struct key *k, const char *token, const char *opts,
	      double now, struct ag_error *e)
{
	static struct vopts o;
	static struct jwt j;

	ag_clear(e);
	if (vopts_parse(&o, opts, opts ? strlen(opts) : 0, e) != 0)
		return -1;
	return verify_token(k, token, strlen(token), &o, now, &j, e);
}
