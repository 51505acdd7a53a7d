/*
 * ping.c - the smallest libagauth program: tests/install/run.sh builds it
 * against the installed agauth.h and library with pkg-config and runs it
 * against a real agauthd.  Pings, then signs and verifies a token.
 *
 *   ping SOCKET     prints "ping, sign and verify ok", exits 0
 */
#include <agauth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ping_fail(const char *what, const struct agauth_error *err)
{
	fprintf(stderr, "%s: %s: %s\n", what, err->name, err->message);
	return 1;
}

int main(int argc, char **argv)
{
	struct agauth_error err;
	struct agauth_verified v;
	char *token = NULL;
	agauth_t *a;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: ping SOCKET\n");
		return 64;
	}
	a = agauth_open(argv[1], &err);
	if (a == NULL)
		return ping_fail("open", &err);
	memset(&v, 0, sizeof v);
	if (agauth_ping(a, &err) != AGAUTH_OK)
		rc = ping_fail("ping", &err);
	else if (agauth_sign(a, "{\"installed\":true}", NULL, &token, NULL,
			     &err) != AGAUTH_OK)
		rc = ping_fail("sign", &err);
	else if (agauth_verify(a, token, NULL, &v, &err) != AGAUTH_OK)
		rc = ping_fail("verify", &err);
	else if (strstr(v.payload, "\"installed\":true") == NULL)
		fprintf(stderr, "verify: payload %s\n", v.payload);
	else
		rc = 0;
	if (rc == 0)
		printf("ping, sign and verify ok\n");
	agauth_verified_free(&v);
	free(token);
	agauth_close(a);
	return rc;
}
