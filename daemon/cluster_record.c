/*
 * cluster_record.c - a revocation, or a key, as it travels between
 * hosts: one line of text, authenticated under the fleet key.
 *
 *   agr1 FLEET ORIGIN K AT_MS VALUE MAC
 *   agr1 FLEET ORIGIN k AT_MS KID ALG NONCE SEALED
 *
 * FLEET: the fleet's id (16 hex digits, from the fleet key); ORIGIN: the
 * host that put it in the stream ([cluster] name); K: t, j or s (token,
 * jti, subject); AT_MS: when it was revoked, decimal milliseconds since
 * the epoch; VALUE: base64url without padding (the strict form: one
 * value, one spelling); MAC: base64url of HMAC-SHA-256 under the MAC key
 * of every byte before its space.  Redis sees the value (as a host's log
 * does) and never a key; it cannot make or change a record.
 *
 * A rotation (K = k): AT_MS its activation instant (whole seconds); KID
 * the new key's kid (and name); ALG its algorithm; NONCE base64url of 12
 * random bytes; SEALED base64url of the key file's text sealed with
 * AES-256-GCM under the wrap key, and the 16-byte tag.  Its associated
 * data is every byte before NONCE's space: the fleet, the origin, the
 * kid, the algorithm and the instant are bound to the key, and the tag
 * authenticates all of it (it stands for the MAC).
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
#define CR_NONCE_B64    B64URL_ENC_LEN(CRYPTO_AEAD_NONCE)
#define CR_SEALED_MAX   (AG_CLUSTER_KEYFILE_MAX + CRYPTO_AEAD_TAG)
#define CR_SEALED_B64   B64URL_ENC_LEN(CR_SEALED_MAX)

/* a rotation record, and the key it carries, fit what a revocation's
 * bounds: one buffer size for both */
_Static_assert(5 + 17 + AG_CLUSTER_NAME_MAX + 3 + 16 + AG_KID_MAX + 1 + 6 +
	       CR_NONCE_B64 + 1 + CR_SEALED_B64 <= CLUSTER_RECORD_MAX &&
	       AG_CLUSTER_KEYFILE_MAX <= CLUSTER_VALUE_CAP,
	       "a rotation record fits CLUSTER_RECORD_MAX");
/* a kid is a host name's alphabet and length (cluster_name_ok) */
_Static_assert(AG_KID_MAX == AG_CLUSTER_NAME_MAX, "kids check as names");

static const char cr_letters[] = "tjs";
#define CR_KEY 'k'

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
	uint8_t *m = secmem_alloc(3 * CR_MAC_LEN + CRYPTO_MAC_MAX);
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
	crypto_hmac(salt, 256, key, n, m + 3 * CR_MAC_LEN);
	if (crypto_secret_load(&prk, m + 3 * CR_MAC_LEN, CR_MAC_LEN) != 0)
		goto out;
	cr_expand(prk, "record mac", m);
	cr_expand(prk, "fleet id", m + CR_MAC_LEN);
	/* a key of its own: what the MAC key gives away (nothing) could not
	 * touch the wrapped keys */
	cr_expand(prk, "key wrap", m + 2 * CR_MAC_LEN);
	k->wrap = secmem_alloc(CRYPTO_AEAD_KEY);
	if (k->wrap == NULL ||
	    crypto_secret_load(&k->mac, m, CR_MAC_LEN) != 0)
		goto out;
	memcpy(k->wrap, m + 2 * CR_MAC_LEN, CRYPTO_AEAD_KEY);
	/* the id is public: it only tells fleets apart */
	for (i = 0; i < 8; i++)
		snprintf(k->fleet + 2 * i, 3, "%02x", m[CR_MAC_LEN + i]);
	rc = 0;
out:
	if (rc != 0)
		ag_fail(e, AG_E_NOMEM, "no locked memory left for the fleet "
			"key");
	memset(m, 0, 3 * CR_MAC_LEN + CRYPTO_MAC_MAX);
	secmem_free(m);
	if (rc != 0)
		cluster_keys_drop(k);
	crypto_key_free(salt);
	crypto_key_free(prk);
	return rc;
}

void cluster_keys_drop(struct cluster_keys *k)
{
	crypto_key_free(k->mac);
	secmem_free(k->wrap);   /* zeroes it */
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

/* A rotation's associated data: its first CR_AAD_FIELDS fields (agr1
 * FLEET ORIGIN k AT_MS KID ALG), the bytes of p[0..n) they take: what
 * the tag binds to the key. */
#define CR_AAD_FIELDS 7
static size_t cr_aad(const char *p, size_t n)
{
	size_t i, spaces = 0;

	for (i = 0; i < n; i++)
		if (p[i] == ' ' && ++spaces == CR_AAD_FIELDS)
			break;
	return i;
}

/* A rotation's KID ALG NONCE SEALED after its "... k AT_MS ": the key
 * sealed under a fresh nonce, every byte before the nonce's space its
 * associated data. */
static int cr_encode_key(const struct cluster_keys *k,
			 const struct cluster_record *r, struct buf *b,
			 size_t start)
{
	uint8_t nonce[CRYPTO_AEAD_NONCE], sealed[CR_SEALED_MAX];
	size_t n = r->len + CRYPTO_AEAD_TAG;

	if (r->alg == NULL || r->alg->family == ALG_NONE ||
	    !cluster_name_ok(r->kid, strlen(r->kid)) ||
	    r->len > AG_CLUSTER_KEYFILE_MAX || r->at != floor(r->at))
		return -1;
	buf_printf(b, "%s %s", r->kid, r->alg->name);
	/* a nonce used twice under one key would give GCM away: random,
	 * 96 bits, one per record */
	if (b->err || crypto_random(nonce, sizeof nonce) != 0 ||
	    crypto_aead(CRYPTO_SEAL, k->wrap, nonce,
			(const uint8_t *)b->p + start,
			cr_aad(b->p + start, b->len - start), r->value, r->len,
			sealed, sealed + r->len) != 0 ||
	    buf_reserve(b, 2 + CR_NONCE_B64 + B64URL_ENC_LEN(n)) != 0)
		return -1;
	buf_putc(b, ' ');
	b->len += b64url_encode(b->p + b->len, nonce, sizeof nonce);
	buf_putc(b, ' ');
	b->len += b64url_encode(b->p + b->len, sealed, n);
	return b->err ? -1 : 0;
}

int cluster_record_encode(const struct cluster_keys *k,
			  const struct cluster_record *r, struct buf *b)
{
	size_t start = b->len, o = strlen(r->origin);
	int rotation = r->type == CLUSTER_ROTATION;
	char mac[CR_MAC_B64 + 1];

	/* what the decoder would refuse is never sent */
	if ((unsigned)r->kind > REVOKE_SUBJECT || !cluster_name_ok(r->origin, o) ||
	    r->len == 0 || r->len > AG_REVOKE_VALUE_MAX ||
	    !(r->at > 0 && r->at < 1e12) || (unsigned)r->type > CLUSTER_ROTATION)
		return -1;
	/* down to the millisecond, as the revocation log keeps it: a host
	 * reads the very instant its own log holds */
	buf_printf(b, CR_MAGIC " %s %s %c %lld ", k->fleet, r->origin,
		   rotation ? CR_KEY : cr_letters[r->kind],
		   (long long)floor(r->at * 1000));
	if (rotation)
		return cr_encode_key(k, r, b, start);
	if (buf_reserve(b, B64URL_ENC_LEN(r->len) + CR_MAC_B64 + 2) != 0)
		return -1;
	b->len += b64url_encode(b->p + b->len, r->value, r->len);
	cr_mac(k, b->p + start, b->len - start, mac);
	buf_putc(b, ' ');
	buf_puts(b, mac);
	return b->err ? -1 : 0;
}

/* ORIGIN, and AT_MS as seconds: 1 to CR_MS_DIGITS digits, no leading
 * zero (one time, one spelling). */
static int cr_origin_at(const char **f, const size_t *fn,
			struct cluster_record *r)
{
	if (!cluster_name_ok(f[2], fn[2]) || f[4][0] == '0' ||
	    fields_ms(f[4], fn[4], CR_MS_DIGITS, &r->at) != 0)
		return -1;
	memcpy(r->origin, f[2], fn[2]);
	r->origin[fn[2]] = '\0';
	return 0;
}

/*
 * A rotation's fields f[5..8] (KID ALG NONCE SEALED).  The tag is checked
 * before any field is believed: it covers them all (associated data),
 * so a kid, algorithm or instant changed in Redis, or a key sealed under
 * another fleet key, does not open.  Only then the fields are read.
 */
static enum cluster_verdict cr_decode_key(const struct cluster_keys *k,
					  const char *line, const char **f,
					  const size_t *fn,
					  struct cluster_record *r,
					  uint8_t *val)
{
	uint8_t nonce[B64URL_DEC_MAX(CR_NONCE_B64)];
	uint8_t sealed[B64URL_DEC_MAX(CR_SEALED_B64)];
	long nn, sn;

	if (fn[8] > CR_SEALED_B64)
		return CLUSTER_REC_MALFORMED;
	nn = b64url_decode_strict(nonce, f[7], fn[7]);
	sn = b64url_decode_strict(sealed, f[8], fn[8]);
	if (nn != CRYPTO_AEAD_NONCE || sn <= CRYPTO_AEAD_TAG)
		return CLUSTER_REC_MALFORMED;
	sn -= CRYPTO_AEAD_TAG;
	if (crypto_aead(CRYPTO_OPEN, k->wrap, nonce, (const uint8_t *)line,
			cr_aad(line, (size_t)(f[8] - line)), sealed, (size_t)sn,
			val, sealed + sn) != 0)
		return CLUSTER_REC_BAD_SEAL;
	r->alg = alg_find(f[6], fn[6]);
	/* the instant is whole seconds, as the keyring keeps it */
	if (cr_origin_at(f, fn, r) != 0 || r->at != floor(r->at) ||
	    !cluster_name_ok(f[5], fn[5]) || r->alg == NULL ||
	    r->alg->family == ALG_NONE) {
		/* the key stays nowhere */
		memset(val, 0, (size_t)sn);
		memset(r, 0, sizeof *r);
		return CLUSTER_REC_MALFORMED;
	}
	r->type = CLUSTER_ROTATION;
	memcpy(r->kid, f[5], fn[5]);
	r->kid[fn[5]] = '\0';
	r->value = val;
	r->len = (size_t)sn;
	return CLUSTER_REC_OK;
}

enum cluster_verdict cluster_record_decode(const struct cluster_keys *k,
					   const char *line, size_t n,
					   struct cluster_record *r,
					   uint8_t *val)
{
	const char *p = line, *end = line + n, *f[9], *kc;
	char mac[CR_MAC_B64 + 1];
	size_t fn[9];
	long dn;
	int i, key, nf;

	memset(r, 0, sizeof *r);
	/* bounded before anything is decoded */
	if (n > CLUSTER_RECORD_MAX)
		return CLUSTER_REC_MALFORMED;
	for (i = 0; i < 5; i++)
		if ((f[i] = fields_next(&p, end, &fn[i])) == NULL)
			return CLUSTER_REC_MALFORMED;
	/* a rotation has three fields more, and a nonce where a MAC was */
	key = fn[3] == 1 && f[3][0] == CR_KEY;
	nf = key ? 8 : 6;
	for (i = 5; i < nf; i++)
		if ((f[i] = fields_next(&p, end, &fn[i])) == NULL)
			return CLUSTER_REC_MALFORMED;
	f[nf] = p;
	fn[nf] = (size_t)(end - p);
	if (fn[0] != 4 || memcmp(f[0], CR_MAGIC, 4) != 0 ||
	    fn[1] != sizeof k->fleet - 1 ||
	    (key ? fn[7] != CR_NONCE_B64 : fn[6] != CR_MAC_B64))
		return CLUSTER_REC_MALFORMED;
	/* another fleet's record is no forgery of ours: told apart, before
	 * the MAC, which it could not have */
	if (memcmp(f[1], k->fleet, fn[1]) != 0)
		return CLUSTER_REC_OTHER_FLEET;
	if (key)
		return cr_decode_key(k, line, f, fn, r, val);
	/* the MAC before any field is believed */
	cr_mac(k, line, (size_t)(f[6] - 1 - line), mac);
	if (!jws_ct_eq(mac, f[6], CR_MAC_B64))
		return CLUSTER_REC_BAD_MAC;
	kc = fn[3] == 1 ? memchr(cr_letters, f[3][0], 3) : NULL;
	if (kc == NULL || cr_origin_at(f, fn, r) != 0 || fn[5] == 0 ||
	    fn[5] > CR_VALUE_B64)
		goto malformed;
	dn = b64url_decode_strict(val, f[5], fn[5]);
	if (dn <= 0 || (size_t)dn > AG_REVOKE_VALUE_MAX)
		goto malformed;
	r->kind = (enum revoke_kind)(kc - cr_letters);
	r->value = val;
	r->len = (size_t)dn;
	return CLUSTER_REC_OK;
malformed:
	memset(r, 0, sizeof *r);
	return CLUSTER_REC_MALFORMED;
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
	case CLUSTER_REC_BAD_SEAL:
		return "its wrapped key does not open (forged or altered: "
		       "the key, its kid, algorithm or instant)";
	default:
		return "malformed";
	}
}
