/* keygen.c - generating key files. */
#include "daemon/engine/keygen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/pem.h>
#include <mbedtls/rsa.h>

#include "daemon/engine/key.h"
#include "daemon/engine/secmem.h"
#include "shared/limits.h"

static const struct {
	const char *type, *alg;
	int rsa_bits;                /* 0 for the others */
	mbedtls_ecp_group_id curve;
	size_t secret;               /* HMAC secret bytes */
} keygen_types[] = {
	{ "hs256", "HS256", 0, MBEDTLS_ECP_DP_NONE, 32 },
	{ "hs384", "HS384", 0, MBEDTLS_ECP_DP_NONE, 48 },
	{ "hs512", "HS512", 0, MBEDTLS_ECP_DP_NONE, 64 },
	{ "rsa2048", "RS256", 2048, MBEDTLS_ECP_DP_NONE, 0 },
	{ "rsa3072", NULL, 3072, MBEDTLS_ECP_DP_NONE, 0 },
	{ "rsa4096", NULL, 4096, MBEDTLS_ECP_DP_NONE, 0 },
	{ "p256", "ES256", 0, MBEDTLS_ECP_DP_SECP256R1, 0 },
	{ "p384", "ES384", 0, MBEDTLS_ECP_DP_SECP384R1, 0 },
	{ "p521", "ES512", 0, MBEDTLS_ECP_DP_SECP521R1, 0 },
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
	size_t i;

	/* RS and PS keys are RSA keys: 2048 bits, as jsonwebtoken's floor */
	if (strncmp(alg, "RS", 2) == 0 || strncmp(alg, "PS", 2) == 0)
		return "rsa2048";
	for (i = 0; i < KEYGEN_NTYPES; i++)
		if (keygen_types[i].alg && strcmp(keygen_types[i].alg, alg) == 0)
			return keygen_types[i].type;
	return NULL;
}

const char *keygen_encoding(const char *type)
{
	int t = keygen_find(type);

	return t >= 0 && keygen_types[t].secret ? "base64" : "pem";
}

/*
 * A PEM private key, as mbedtls_pk_write_key_pem writes it, but through a
 * DER buffer of ours: mbedTLS's own is a stack array it never zeroes.
 */
static int keygen_pem(mbedtls_pk_context *pk, unsigned char *der,
		      unsigned char *out, size_t cap, size_t *len)
{
	int rsa = mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA;
	int n, rc;

	/* the DER is written at the end of the buffer */
	n = mbedtls_pk_write_key_der(pk, der, AG_KEY_MAX);
	if (n < 0)
		return n;
	rc = mbedtls_pem_write_buffer(rsa ? "-----BEGIN RSA PRIVATE KEY-----\n" :
				      "-----BEGIN EC PRIVATE KEY-----\n",
				      rsa ? "-----END RSA PRIVATE KEY-----\n" :
				      "-----END EC PRIVATE KEY-----\n",
				      der + AG_KEY_MAX - n, (size_t)n, out, cap,
				      len);
	/* the length counts the terminating NUL */
	if (rc == 0 && *len > 0)
		(*len)--;
	return rc;
}

/* The material as file text: base64 of a secret, or a PEM private key.
 * scratch: AG_KEY_MAX bytes of locked memory. */
static int keygen_material(int t, unsigned char *out, size_t cap,
			   size_t *len, unsigned char *scratch)
{
	mbedtls_pk_context pk;
	int rc;

	if (keygen_types[t].secret) {
		rc = key_rng(NULL, scratch, keygen_types[t].secret);
		if (rc == 0)
			rc = mbedtls_base64_encode(out, cap - 1, len, scratch,
						   keygen_types[t].secret);
		if (rc == 0)
			out[(*len)++] = '\n';
		return rc;
	}
	mbedtls_pk_init(&pk);
	if (keygen_types[t].rsa_bits) {
		rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(
					      MBEDTLS_PK_RSA));
		if (rc == 0)
			rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), key_rng,
						 NULL,
						 (unsigned)keygen_types[t].rsa_bits,
						 65537);
	} else {
		rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(
					      MBEDTLS_PK_ECKEY));
		if (rc == 0)
			rc = mbedtls_ecp_gen_key(keygen_types[t].curve,
						 mbedtls_pk_ec(pk), key_rng, NULL);
	}
	if (rc == 0)
		rc = keygen_pem(&pk, scratch, out, cap, len);
	mbedtls_pk_free(&pk);   /* zeroes the bignums it frees */
	return rc;
}

int keygen_write(const char *type, const char *path, int force,
		 struct ag_error *e)
{
	unsigned char *text;
	size_t len = 0, off = 0;
	ssize_t w;
	int t = keygen_find(type), fd = -1, rc = -1;

	if (t < 0)
		return ag_fail(e, AG_E_CONFIG, "unknown key type '%s' (hs256, "
			       "hs384, hs512, rsa2048, rsa3072, rsa4096, p256, "
			       "p384, p521)", type);
	/* the file's text, then scratch for the raw secret or the DER: new
	 * key material stays in locked memory until it is on disk */
	text = secmem_alloc(2 * AG_KEY_MAX);
	if (text == NULL)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for a key");
	if (keygen_material(t, text, AG_KEY_MAX, &len, text + AG_KEY_MAX) != 0) {
		ag_fail(e, AG_E_CRYPTO, "cannot generate a %s key", type);
		goto out;
	}
	/* O_EXCL: never overwrite a key by accident; O_NOFOLLOW: never
	 * write through a link someone planted */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		  (force ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0) {
		ag_fail(e, AG_E_CONFIG, "%s: %s", path, strerror(errno));
		goto out;
	}
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
	if (fd >= 0)
		close(fd);
	if (rc != 0 && fd >= 0)
		unlink(path);
	secmem_free(text);   /* zeroes the text and the scratch */
	return rc;
}
