/*
 * cluster_record.c - a revocation as it travels between hosts: one line
 * of text, authenticated under the fleet key.
 *
 *   agr1 FLEET ORIGIN K AT_MS VALUE MAC
 *
 * FLEET: the fleet's id (16 hex digits, from the fleet key); ORIGIN: the
 * host that put it in the stream ([cluster] name); K: t, j or s (token,
 * jti, subject); AT_MS: when it was revoked, decimal milliseconds since
 * the epoch; VALUE: base64url without padding (the strict form: one
 * value, one spelling); MAC: base64url of HMAC-SHA-256 under the MAC key
 * of every byte before its space.  Redis sees the value (as a host's log
 * does) and never a key; it cannot make or change a record.
 *
 * The keys: HKDF-SHA-256 (RFC 5869) of the fleet key, with a fixed salt,
 * expanded once for each use ("record mac", "fleet id", "key wrap"), so
 * that what one use gives away says nothing of another.
 */
#include "daemon/cluster.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "daemon/engine/crypto.h"
#include "daemon/engine/jws.h"
#include "daemon/engine/secmem.h"
#include "shared/b64url.h"
#include "shared/fields.h"

#define CR_MAGIC        "agr1"
#define CR_MAC_LEN      32
#define CR_MAC_B64      CLUSTER_MAC_B64
#define CR_MS_DIGITS    15      /* revoke.c's log holds as many */
#define CR_VALUE_B64    CLUSTER_VALUE_B64

static const char cr_letters[] = "tjs";
static const char cr_salt[] = "agauthd fleet key v1";

/* T(1) of HKDF-Expand: HMAC(prk, info || 0x01), 32 bytes. */
static void cr_expand(const struct crypto_key *prk, const char *info,
		      uint8_t out[CR_MAC_LEN])
{
	uint8_t in[64], mac[CRYPTO_MAC_MAX];
	size_t n = strlen(info);

	memcpy(in, info, n);
	in[n] = 1;
	crypto_hmac(prk, 256, in, n + 1, mac);
	memcpy(out, mac, CR_MAC_LEN);
	memset(mac, 0, sizeof mac);
}

int cluster_keys_derive(struct cluster_keys *k, const uint8_t *key,
			size_t n, struct ag_error *e)
{
	struct crypto_key *salt = NULL, *prk = NULL;
	uint8_t *m = secmem_alloc(2 * CR_MAC_LEN + CRYPTO_MAC_MAX);
	int rc = -1, i;

	memset(k, 0, sizeof *k);
	if (n < AG_CLUSTER_KEY_MIN || n > AG_CLUSTER_KEY_MAX)
		return ag_fail(e, AG_E_CONFIG, "the fleet key has %zu bytes, "
			       "not %d to %d: make one with agauthctl keygen "
			       "--type cluster", n, AG_CLUSTER_KEY_MIN,
			       AG_CLUSTER_KEY_MAX);
	if (m == NULL)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for the "
			       "fleet key");
	/* HKDF-Extract: PRK = HMAC(salt, key) */
	if (crypto_secret_load(&salt, (const uint8_t *)cr_salt,
			       sizeof cr_salt - 1) != 0)
		goto out;
	crypto_hmac(salt, 256, key, n, m + 2 * CR_MAC_LEN);
	if (crypto_secret_load(&prk, m + 2 * CR_MAC_LEN, CR_MAC_LEN) != 0)
		goto out;
	cr_expand(prk, "record mac", m);
	cr_expand(prk, "fleet id", m + CR_MAC_LEN);
	if (crypto_secret_load(&k->mac, m, CR_MAC_LEN) != 0)
		goto out;
	/* the id is public: it only tells fleets apart */
	for (i = 0; i < 8; i++)
		snprintf(k->fleet + 2 * i, 3, "%02x", m[CR_MAC_LEN + i]);
	rc = 0;
out:
	if (rc != 0)
		ag_fail(e, AG_E_NOMEM, "no locked memory left for the fleet "
			"key");
	memset(m, 0, 2 * CR_MAC_LEN + CRYPTO_MAC_MAX);
	secmem_free(m);
	crypto_key_free(salt);
	crypto_key_free(prk);
	return rc;
}

void cluster_keys_drop(struct cluster_keys *k)
{
	crypto_key_free(k->mac);
	memset(k, 0, sizeof *k);
}

/* A host name of the fleet: 1 to AG_CLUSTER_NAME_MAX of [A-Za-z0-9._-]. */
int cluster_name_ok(const char *s, size_t n)
{
	return n > 0 && n <= AG_CLUSTER_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") >= n;
}

static void cr_mac(const struct cluster_keys *k, const char *p, size_t n,
		   char out[CR_MAC_B64 + 1])
{
	uint8_t mac[CRYPTO_MAC_MAX];

	crypto_hmac(k->mac, 256, (const uint8_t *)p, n, mac);
	out[b64url_encode(out, mac, CR_MAC_LEN)] = '\0';
}

int cluster_record_encode(const struct cluster_keys *k,
			  const struct cluster_record *r, struct buf *b)
{
	size_t start = b->len, o = strlen(r->origin);
	char mac[CR_MAC_B64 + 1];

	/* what the decoder would refuse is never sent */
	if ((unsigned)r->kind > REVOKE_SUBJECT || !cluster_name_ok(r->origin, o) ||
	    r->len == 0 || r->len > AG_REVOKE_VALUE_MAX ||
	    !(r->at > 0 && r->at < 1e12))
		return -1;
	/* down to the millisecond, as the revocation log keeps it: a host
	 * reads the very instant its own log holds */
	buf_printf(b, CR_MAGIC " %s %s %c %lld ", k->fleet, r->origin,
		   cr_letters[r->kind], (long long)floor(r->at * 1000));
	if (buf_reserve(b, B64URL_ENC_LEN(r->len) + CR_MAC_B64 + 2) != 0)
		return -1;
	b->len += b64url_encode(b->p + b->len, r->value, r->len);
	cr_mac(k, b->p + start, b->len - start, mac);
	buf_putc(b, ' ');
	buf_puts(b, mac);
	return b->err ? -1 : 0;
}

enum cluster_verdict cluster_record_decode(const struct cluster_keys *k,
					   const char *line, size_t n,
					   struct cluster_record *r,
					   uint8_t *val)
{
	const char *p = line, *end = line + n, *f[7], *kc;
	char mac[CR_MAC_B64 + 1];
	size_t fn[7];
	long dn;
	int i;

	memset(r, 0, sizeof *r);
	/* bounded before anything is decoded */
	if (n > CLUSTER_RECORD_MAX)
		return CLUSTER_REC_MALFORMED;
	for (i = 0; i < 6; i++)
		if ((f[i] = fields_next(&p, end, &fn[i])) == NULL)
			return CLUSTER_REC_MALFORMED;
	f[6] = p;
	fn[6] = (size_t)(end - p);
	if (fn[0] != 4 || memcmp(f[0], CR_MAGIC, 4) != 0 ||
	    fn[1] != sizeof k->fleet - 1 || fn[6] != CR_MAC_B64)
		return CLUSTER_REC_MALFORMED;
	/* another fleet's record is no forgery of ours: told apart, before
	 * the MAC, which it could not have */
	if (memcmp(f[1], k->fleet, fn[1]) != 0)
		return CLUSTER_REC_OTHER_FLEET;
	/* the MAC before any field is believed */
	cr_mac(k, line, (size_t)(f[6] - 1 - line), mac);
	if (!jws_ct_eq(mac, f[6], CR_MAC_B64))
		return CLUSTER_REC_BAD_MAC;
	kc = fn[3] == 1 ? memchr(cr_letters, f[3][0], 3) : NULL;
	/* no leading zero: one time, one spelling */
	if (!cluster_name_ok(f[2], fn[2]) || kc == NULL || f[4][0] == '0' ||
	    fields_ms(f[4], fn[4], CR_MS_DIGITS, &r->at) != 0 || fn[5] == 0 ||
	    fn[5] > CR_VALUE_B64)
		return CLUSTER_REC_MALFORMED;
	dn = b64url_decode_strict(val, f[5], fn[5]);
	if (dn <= 0 || (size_t)dn > AG_REVOKE_VALUE_MAX)
		return CLUSTER_REC_MALFORMED;
	memcpy(r->origin, f[2], fn[2]);
	r->origin[fn[2]] = '\0';
	r->kind = (enum revoke_kind)(kc - cr_letters);
	r->value = val;
	r->len = (size_t)dn;
	return CLUSTER_REC_OK;
}

const char *cluster_verdict_name(enum cluster_verdict v)
{
	switch (v) {
	case CLUSTER_REC_OK:
		return "ok";
	case CLUSTER_REC_OTHER_FLEET:
		return "from another fleet (another fleet key)";
	case CLUSTER_REC_BAD_MAC:
		return "its MAC does not match (forged or altered)";
	default:
		return "malformed";
	}
}
