/* keygen.c - generating key files. */
#include "daemon/engine/keygen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/engine/crypto.h"
#include "daemon/engine/secmem.h"
#include "shared/algs.h"
#include "shared/b64url.h"
#include "shared/limits.h"

static const struct {
	const char *type;
	enum alg_keytype key;
	unsigned rsa_bits;           /* RSA */
	enum alg_curve curve;        /* EC */
	size_t secret;               /* HMAC secret bytes */
} keygen_types[] = {
	{ "hs256", ALG_KEY_SECRET, 0, ALG_CURVE_NONE, 32 },
	{ "hs384", ALG_KEY_SECRET, 0, ALG_CURVE_NONE, 48 },
	{ "hs512", ALG_KEY_SECRET, 0, ALG_CURVE_NONE, 64 },
	{ "rsa2048", ALG_KEY_RSA, 2048, ALG_CURVE_NONE, 0 },
	{ "rsa3072", ALG_KEY_RSA, 3072, ALG_CURVE_NONE, 0 },
	{ "rsa4096", ALG_KEY_RSA, 4096, ALG_CURVE_NONE, 0 },
	{ "p256", ALG_KEY_EC, 0, ALG_P256, 0 },
	{ "p384", ALG_KEY_EC, 0, ALG_P384, 0 },
	{ "p521", ALG_KEY_EC, 0, ALG_P521, 0 },
	/* the fleet key ([cluster] key, daemon/cluster.h): a secret no
	 * algorithm signs with, written as the HMAC secrets are */
	{ "cluster", ALG_KEY_SECRET, 0, ALG_CURVE_NONE, 32 },
};
#define KEYGEN_NTYPES (sizeof keygen_types / sizeof *keygen_types)

static int keygen_find(const char *type)
{
	size_t i;

	for (i = 0; i < KEYGEN_NTYPES; i++)
		if (strcmp(keygen_types[i].type, type) == 0)
			return (int)i;
	return -1;
}

int keygen_valid_type(const char *type)
{
	return keygen_find(type) >= 0;
}

const char *keygen_type_for_alg(const char *alg)
{
	const struct alg *a = alg_find(alg, strlen(alg));

	return a != NULL ? a->keygen : NULL;
}

const char *keygen_encoding(const char *type)
{
	int t = keygen_find(type);

	return t >= 0 && keygen_types[t].secret ? "base64" : "pem";
}

/* The material as file text: base64 of a secret and a newline, or a PEM
 * private key.  scratch: AG_KEY_MAX bytes of locked memory. */
static int keygen_material(int t, unsigned char *out, size_t cap,
			   size_t *len, unsigned char *scratch)
{
	size_t n = keygen_types[t].secret;

	if (n == 0)
		return crypto_generate(keygen_types[t].key,
				       keygen_types[t].rsa_bits,
				       keygen_types[t].curve, out, cap, len,
				       scratch);
	/* a secret is at most 64 bytes: its text fits with room to spare */
	if (crypto_random(scratch, n) != 0 || B64_STD_ENC_LEN(n) + 1 > cap)
		return -1;
	*len = b64url_encode_std((char *)out, scratch, n);
	out[(*len)++] = '\n';
	return 0;
}

int keygen_save(const char *path, const unsigned char *text, size_t len,
		int force, struct ag_error *e)
{
	size_t off = 0;
	ssize_t w;
	int fd, rc = -1;

	/* O_EXCL: never overwrite a key by accident; O_NOFOLLOW: never
	 * write through a link someone planted */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		  (force ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0)
		return ag_fail(e, AG_E_CONFIG, "%s: %s%s", path,
			       strerror(errno), errno == EEXIST ? "; pass "
			       "--force to replace it (the key it holds is "
			       "then lost)" : "");
	while (off < len) {
		w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ag_fail(e, AG_E_CONFIG, "%s: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
		ag_fail(e, AG_E_CONFIG, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc != 0)
		unlink(path);
	return rc;
}

int keygen_write(const char *type, const char *path, int force,
		 struct ag_error *e)
{
	unsigned char *text;
	size_t len = 0;
	int t = keygen_find(type), rc = -1;

	if (t < 0)
		return ag_fail(e, AG_E_CONFIG, "unknown key type '%s' (hs256, "
			       "hs384, hs512, rsa2048, rsa3072, rsa4096, p256, "
			       "p384, p521, cluster)", type);
	/* the file's text, then scratch for the raw secret or the DER: new
	 * key material stays in locked memory until it is on disk */
	text = secmem_alloc(2 * AG_KEY_MAX);
	if (text == NULL)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for a key");
	if (keygen_material(t, text, AG_KEY_MAX, &len, text + AG_KEY_MAX) != 0)
		ag_fail(e, AG_E_CRYPTO, "cannot generate a %s key", type);
	else
		rc = keygen_save(path, text, len, force, e);
	secmem_free(text);   /* zeroes the text and the scratch */
	return rc;
}
