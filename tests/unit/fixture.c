/* fixture.c - keyrings and tokens for the cache's tests and benchmarks. */
#include "tests/unit/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int fx_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, 0600);
}

struct keyring *fx_keyring(const char *dir, const char *spec, uint64_t gen)
{
	char man[4096], path[512], sec[128], item[512], *save = NULL, *tok;
	char name[64], state[16];
	struct keyring *kr = NULL;
	struct ag_error e;
	double retire;
	size_t off = 0, n;
	int fields, fresh;

	snprintf(item, sizeof item, "%s", spec);
	for (tok = strtok_r(item, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		retire = 0;
		fields = sscanf(tok, "%63[^:]:%15[^:]:%lf", name, state, &retire);
		if (fields < 2)
			return NULL;
		n = strlen(name);
		fresh = name[n - 1] == '+';
		if (fresh)
			name[n - 1] = '\0';
		snprintf(path, sizeof path, "%s/%s.key", dir, name);
		/* as long as HS256's hash: no RFC 7518 warning at each load */
		snprintf(sec, sizeof sec, "secret-%s%s-padded-to-at-least-32-"
			 "bytes", name, fresh ? "-2" : "");
		if (fx_write(path, sec) != 0)
			return NULL;
		off += (size_t)snprintf(man + off, sizeof man - off,
			"[key %s]\nfile = %s.key\nencoding = text\n"
			"algorithm = HS256\nkid = %s\nstate = %s\n",
			name, name, name, state);
		if (retire > 0)
			off += (size_t)snprintf(man + off, sizeof man - off,
						"retire = %.0f\n", retire);
	}
	snprintf(path, sizeof path, "%s/keyring.conf", dir);
	if (fx_write(path, man) != 0)
		return NULL;
	if (keyring_load(path, gen, 86400, &kr, &e) != 0) {
		fprintf(stderr, "fixture keyring: %s\n", e.msg);
		return NULL;
	}
	return kr;
}

char *fx_sign(const struct keyring *kr, const char *payload,
	      const char *opts, double now, const struct kr_key **used)
{
	struct sign_req r;
	struct ag_error e;
	struct buf tok;
	char *out = NULL;

	memset(&r, 0, sizeof r);
	r.payload = payload;
	r.payload_len = strlen(payload);
	r.opts = opts;
	r.opts_len = opts != NULL ? strlen(opts) : 0;
	r.now = now;
	buf_init(&tok, 2 * AG_TOKEN_MAX);
	if (keyring_sign(kr, &r, &tok, NULL, used, &e) == 0)
		out = strdup(buf_cstr(&tok));
	else
		fprintf(stderr, "fixture sign: %s\n", e.msg);
	buf_free(&tok);
	return out;
}
