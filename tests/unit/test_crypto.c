/*
 * test_crypto.c - the contract of the crypto seam (daemon/engine/crypto.h),
 * through the seam alone: a second backend must pass it unchanged.  Every
 * signing algorithm of the table signs and verifies; the wrong key, a
 * damaged signature and one of the wrong length are refused; a public key
 * exported and loaded again is the same key; material compares as it
 * should; new keys load as what they were made; everything a key holds
 * is in locked memory (secmem, or the backend's secure heap) and given
 * back (zeroed) when it is freed; and one key serves threads at once.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/engine/crypto.h"
#include "daemon/engine/secmem.h"
#include "shared/algs.h"
#include "tests/unit/util.h"

#define KEYS "tests/vectors/keys/"

/* Locked memory in use: secmem's and the backend's own.  The backend is
 * readied first, as agauthd readies it at start: what it keeps for the
 * whole process is not a key's. */
static size_t ct_in_use(void)
{
	cr_assert_geq(crypto_init(AG_SECURE_KEYS, AG_CRYPTO_SLOTS), 0);
	return crypto_locked_in_use();
}

static struct crypto_key *ct_pem(const char *path, struct crypto_info *info)
{
	struct crypto_key *k;
	size_t n;
	char *m = ut_read(path, &n);

	cr_assert_eq(crypto_pem_load(&k, (const uint8_t *)m, n, info), 0,
		     "%s does not load", path);
	free(m);
	return k;
}

static struct crypto_key *ct_secret(const char *s)
{
	struct crypto_key *k;

	cr_assert_eq(crypto_secret_load(&k, (const uint8_t *)s, strlen(s)), 0);
	return k;
}

/* The private and public files of the key an algorithm takes. */
static void ct_files(const struct alg *a, const char **priv,
		     const char **pub)
{
	static const char *const ec[][2] = {
		[ALG_P256] = { KEYS "ecp256.pkcs8.pem", KEYS "ecp256.spki.pem" },
		[ALG_P384] = { KEYS "ecp384.sec1.pem", KEYS "ecp384.spki.pem" },
		[ALG_P521] = { KEYS "ecp521.pkcs8.pem", KEYS "ecp521.spki.pem" },
	};

	if (a->key == ALG_KEY_RSA) {
		*priv = KEYS "rsa2048.pkcs1.pem";
		*pub = KEYS "rsa2048.spki.pem";
		return;
	}
	*priv = ec[a->curve][0];
	*pub = ec[a->curve][1];
}

static const uint8_t ct_msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
#define CT_MSG_LEN (sizeof ct_msg - 1)

Test(crypto, every_signing_algorithm_signs_and_verifies_through_the_seam)
{
	struct crypto_key *sk, *vk, *other;
	struct crypto_info si, vi, oi;
	const char *priv, *pub;
	uint8_t sig[CRYPTO_SIG_MAX];
	size_t i, n, tried = 0;

	for (i = 0; i < alg_count(); i++) {
		const struct alg *a = alg_at(i);

		if (a->key != ALG_KEY_RSA && a->key != ALG_KEY_EC)
			continue;
		ct_files(a, &priv, &pub);
		sk = ct_pem(priv, &si);
		vk = ct_pem(pub, &vi);
		cr_assert(si.is_private && !vi.is_private, "%s", a->name);
		cr_assert_eq(si.type, a->key, "%s", a->name);
		cr_assert_eq(vi.curve, a->curve, "%s", a->name);
		n = crypto_sig_len(sk, a);
		cr_assert(n > 0 && n <= CRYPTO_SIG_MAX, "%s", a->name);
		cr_assert_eq(crypto_sig_len(vk, a), n, "%s", a->name);
		cr_assert_eq(crypto_sign(sk, a, ct_msg, CT_MSG_LEN, sig), 0,
			     "%s does not sign", a->name);
		cr_assert_eq(crypto_verify(vk, a, ct_msg, CT_MSG_LEN, sig, n), 0,
			     "%s does not verify its own signature", a->name);
		/* the private key verifies too, as in Node */
		cr_assert_eq(crypto_verify(sk, a, ct_msg, CT_MSG_LEN, sig, n), 0,
			     "%s", a->name);
		/* another message, a damaged signature, a short or a long
		 * one: refused, never read past */
		cr_assert_neq(crypto_verify(vk, a, ct_msg, CT_MSG_LEN - 1, sig,
					    n), 0, "%s", a->name);
		sig[n / 2] ^= 0x01;
		cr_assert_neq(crypto_verify(vk, a, ct_msg, CT_MSG_LEN, sig, n), 0,
			      "%s takes a damaged signature", a->name);
		sig[n / 2] ^= 0x01;
		cr_assert_neq(crypto_verify(vk, a, ct_msg, CT_MSG_LEN, sig,
					    n - 1), 0, "%s", a->name);
		cr_assert_neq(crypto_verify(vk, a, ct_msg, CT_MSG_LEN, sig,
					    n + 1), 0, "%s", a->name);
		/* another key of the same kind: refused */
		if (a->key == ALG_KEY_RSA) {
			other = ct_pem(KEYS "rsa2048b.spki.pem", &oi);
			cr_assert_neq(crypto_verify(other, a, ct_msg,
						    CT_MSG_LEN, sig, n), 0,
				      "%s verifies under the wrong key",
				      a->name);
			crypto_key_free(other);
		}
		crypto_key_free(sk);
		crypto_key_free(vk);
		tried++;
	}
	cr_assert_eq(tried, 9, "RS, PS and ES at 256, 384 and 512 bits");
}

Test(crypto, ecdsa_under_the_wrong_key_is_refused)
{
	const struct alg *a = alg_find("ES256", 5);
	struct crypto_key *sk, *other;
	struct crypto_info si;
	uint8_t sig[CRYPTO_SIG_MAX], pem[AG_KEY_MAX], scratch[AG_KEY_MAX];
	size_t len, n;

	sk = ct_pem(KEYS "ecp256.sec1.pem", &si);
	n = crypto_sig_len(sk, a);
	cr_assert_eq(crypto_sign(sk, a, ct_msg, CT_MSG_LEN, sig), 0);
	cr_assert_eq(crypto_generate(ALG_KEY_EC, 0, ALG_P256, pem, sizeof pem,
				     &len, scratch), 0);
	cr_assert_eq(crypto_pem_load(&other, pem, len, &si), 0);
	cr_assert_neq(crypto_verify(other, a, ct_msg, CT_MSG_LEN, sig, n), 0);
	crypto_key_free(sk);
	crypto_key_free(other);
}

Test(crypto, hmac_is_rfc4231_and_keyed)
{
	/* RFC 4231 test case 2 */
	static const uint8_t want256[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04,
		0x24, 0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08,
		0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
		0x38, 0x43,
	};
	static const char data[] = "what do ya want for nothing?";
	struct crypto_key *k = ct_secret("Jefe"), *other = ct_secret("Jeff");
	uint8_t mac[CRYPTO_MAC_MAX], mac2[CRYPTO_MAC_MAX];
	unsigned bits;

	cr_assert_eq(crypto_hmac(k, 256, (const uint8_t *)data,
				 sizeof data - 1, mac), 32);
	cr_assert_arr_eq(mac, want256, 32);
	for (bits = 256; bits <= 512; bits += 128) {
		cr_assert_eq(crypto_hmac(k, bits, (const uint8_t *)data,
					 sizeof data - 1, mac), bits / 8);
		crypto_hmac(other, bits, (const uint8_t *)data,
			    sizeof data - 1, mac2);
		cr_assert(memcmp(mac, mac2, bits / 8) != 0,
			  "HS%u: another secret, the same MAC", bits);
	}
	crypto_key_free(k);
	crypto_key_free(other);
}

Test(crypto, public_export_round_trips)
{
	static const char *const files[][2] = {
		{ KEYS "rsa2048.pkcs8.pem", KEYS "rsa2048.spki.pem" },
		{ KEYS "ecp256.pkcs8.pem", KEYS "ecp256.spki.pem" },
		{ KEYS "ecp521.sec1.pem", KEYS "ecp521.spki.pem" },
	};
	struct crypto_key *sk, *pk, *back;
	struct crypto_info si, pi, bi;
	char pem[AG_KEY_MAX];
	size_t i, len;

	for (i = 0; i < sizeof files / sizeof *files; i++) {
		sk = ct_pem(files[i][0], &si);
		pk = ct_pem(files[i][1], &pi);
		cr_assert_eq(crypto_public_pem(sk, pem, sizeof pem, &len), 0);
		cr_assert_eq(strlen(pem), len);
		cr_assert(strstr(pem, "PRIVATE") == NULL,
			  "a public export holds the private key");
		cr_assert_eq(crypto_pem_load(&back, (const uint8_t *)pem, len,
					     &bi), 0, "%s", pem);
		cr_assert(!bi.is_private);
		cr_assert(bi.type == si.type && bi.bits == si.bits &&
			  bi.curve == si.curve);
		cr_assert(crypto_same(back, pk) && crypto_same(back, sk));
		crypto_key_free(back);
		crypto_key_free(sk);
		crypto_key_free(pk);
	}
	sk = ct_secret("a secret has no public half");
	cr_assert_neq(crypto_public_pem(sk, pem, sizeof pem, &len), 0);
	crypto_key_free(sk);
}

/* n[0..len) in lower-case hex, for comparing with a JWK Node made */
static const char *ct_hex(const uint8_t *b, size_t len)
{
	static char out[2 * CRYPTO_SIG_MAX + 1];
	size_t i;

	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * len] = '\0';
	return out;
}

/*
 * The numbers of a JWK, as Node's createPublicKey(pem).export({format:
 * 'jwk'}) gives them for the same files: n and e without leading zero
 * bytes, x and y at the curve's width (P-521's x starts with a zero
 * byte here); the private and the public file give the same numbers; a
 * secret has none.
 */
Test(crypto, public_numbers_as_a_jwk_carries_them)
{
	static const struct {
		const char *priv, *pub, *a, *b;
	} cases[] = {
		{ KEYS "ecp256.pkcs8.pem", KEYS "ecp256.spki.pem",
		  "82e499a697e81205eb26dac56d7062c5f42aacfbc380e569cd1424b2f1f62f81",
		  "ea2a4d49fc1a08e1beff4859e9c377c8abd2b310ebd93744634b27ba82fd29bf" },
		{ KEYS "ecp384.sec1.pem", KEYS "ecp384.spki.pem",
		  "dc86b073c66d2fb756c09aa34eee78841a03b938ae89fd6df009e150cb96cebbbc2d79affad8de177b59d6a63277dc95",
		  "6ec5b9901f2c94d08cd4159338e603f360982f9fa0e0610ebfa317656fe88f70348aff3b48616c05ac2977601c165096" },
		{ KEYS "ecp521.sec1.pem", KEYS "ecp521.spki.pem",
		  "001be14890f909e273fc6598d87c990a95462d17f518e9190b8e819fbb850a1eae5a0f411244a44971b502fbfe0e53c50fcc422f3ff800e9ca9fa7e08d9d3a97319f",
		  "012f5dd1282e6734199271f2a70278128e9fd1acd9f10d43de749503c98113d92790ae1492e66d661426c2ce16ce0cfd6774eaf235c271f0e6313496a305db6c9152" },
		{ KEYS "rsa2048.pkcs8.pem", KEYS "rsa2048.spki.pem",
		  "b5d41bcb72e407096176e63cd1ee3c2d18d9481fc86ab2630fe2348071436a88fc04a6131f07bb06dfc053e97871a78d80cd7d49d512d7a6121e5ab5fd69e8c586dafb4cf8170b9c729e0035e651ce4c0787db59db753e86c7be23a12e14cd66372044ea148a52d91c143a636ccea74911613081f2819ea9f93eefef62dae97a707132e544a8ee44ce586d2058cb1d0b5a04799c821c337aff9b67220107ce2f095147e078fc0e7d890f71783b9403d33b949b571402e8be1a1dcf50c74bbc68c6c71fec966655570b29545aaf895ba4459e390fbe58aba8aef5b9efb52056f0cdd7db4e531d243ef601d04556c50c695352f6e18ee29334078c4520dcbd7653",
		  "010001" },
	};
	static struct crypto_public p;
	struct crypto_key *k;
	struct crypto_info info;
	size_t i, j;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		for (j = 0; j < 2; j++) {
			k = ct_pem(j == 0 ? cases[i].priv : cases[i].pub, &info);
			cr_assert_eq(crypto_public_numbers(k, &p), 0);
			cr_assert_str_eq(ct_hex(p.a, p.alen), cases[i].a, "%s",
					 cases[i].pub);
			cr_assert_str_eq(ct_hex(p.b, p.blen), cases[i].b, "%s",
					 cases[i].pub);
			crypto_key_free(k);
		}
	}
	k = ct_secret("a secret has no public numbers");
	cr_assert_neq(crypto_public_numbers(k, &p), 0);
	cr_assert_eq(p.alen + p.blen, 0, "nothing of it is handed out");
	crypto_key_free(k);
}

Test(crypto, material_compares_as_it_should)
{
	struct crypto_info i;
	struct crypto_key *s1 = ct_secret("one secret"),
			  *s2 = ct_secret("one secret"),
			  *s3 = ct_secret("another secret"),
			  *r1 = ct_pem(KEYS "rsa2048.pkcs1.pem", &i),
			  *r1p = ct_pem(KEYS "rsa2048.pkcs1.pub.pem", &i),
			  *r2 = ct_pem(KEYS "rsa2048b.pkcs1.pem", &i),
			  *e1 = ct_pem(KEYS "ecp256.sec1.pem", &i),
			  *e1p = ct_pem(KEYS "ecp256.spki.pem", &i),
			  *e2 = ct_pem(KEYS "ecp384.sec1.pem", &i);

	cr_assert(crypto_same(s1, s2));
	cr_assert(!crypto_same(s1, s3));
	cr_assert(crypto_same(r1, r1p), "the halves of one pair are one key");
	cr_assert(!crypto_same(r1, r2));
	cr_assert(crypto_same(e1, e1p));
	cr_assert(!crypto_same(e1, e2));
	cr_assert(!crypto_same(s1, r1) && !crypto_same(r1, s1));
	cr_assert(!crypto_same(r1, e1));
	crypto_key_free(s1);
	crypto_key_free(s2);
	crypto_key_free(s3);
	crypto_key_free(r1);
	crypto_key_free(r1p);
	crypto_key_free(r2);
	crypto_key_free(e1);
	crypto_key_free(e1p);
	crypto_key_free(e2);
}

Test(crypto, what_is_not_a_key_is_refused)
{
	static const char *const bad[] = {
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"not PEM at all",
	};
	struct crypto_key *k = (struct crypto_key *)1;
	struct crypto_info info;
	size_t i, n, before = ct_in_use();
	char *cert = ut_read(KEYS "rsa2048.cert.pem", &n);

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_neq(crypto_pem_load(&k, (const uint8_t *)bad[i],
					      strlen(bad[i]), &info), 0);
		cr_assert_null(k, "a refused load leaves no key");
	}
	cr_assert_neq(crypto_pem_load(&k, (const uint8_t *)cert, n, &info), 0,
		      "a certificate is not a key");
	free(cert);
	cr_assert_eq(ct_in_use(), before, "a refused load keeps nothing");
}

Test(crypto, generated_keys_are_what_was_asked)
{
	static const struct {
		enum alg_keytype type;
		unsigned bits;
		enum alg_curve curve;
		const char *alg;
	} want[] = {
		{ ALG_KEY_RSA, 2048, ALG_CURVE_NONE, "PS256" },
		{ ALG_KEY_EC, 256, ALG_P256, "ES256" },
		{ ALG_KEY_EC, 384, ALG_P384, "ES384" },
		{ ALG_KEY_EC, 521, ALG_P521, "ES512" },
	};
	uint8_t *pem = secmem_alloc(2 * AG_KEY_MAX), sig[CRYPTO_SIG_MAX];
	struct crypto_key *k;
	struct crypto_info info;
	size_t i, len;

	cr_assert_not_null(pem);
	for (i = 0; i < sizeof want / sizeof *want; i++) {
		const struct alg *a = alg_find(want[i].alg, 5);

		cr_assert_eq(crypto_generate(want[i].type, want[i].bits,
					     want[i].curve, pem, AG_KEY_MAX,
					     &len, pem + AG_KEY_MAX), 0);
		cr_assert(len < AG_KEY_MAX && memmem(pem, len, "-----BEGIN",
						     10) != NULL);
		cr_assert_eq(crypto_pem_load(&k, pem, len, &info), 0);
		cr_assert(info.is_private && info.type == want[i].type &&
			  info.bits == want[i].bits &&
			  info.curve == want[i].curve, "%s", want[i].alg);
		cr_assert_eq(crypto_sign(k, a, ct_msg, CT_MSG_LEN, sig), 0);
		cr_assert_eq(crypto_verify(k, a, ct_msg, CT_MSG_LEN, sig,
					   crypto_sig_len(k, a)), 0);
		crypto_key_free(k);
	}
	secmem_free(pem);
}

Test(crypto, key_material_lives_in_secmem_and_free_gives_it_back)
{
	static const char *const files[] = {
		KEYS "rsa2048.pkcs8.pem", KEYS "ecp384.pkcs8.pem",
	};
	const struct alg *a = alg_find("RS256", 5);
	struct crypto_key *k;
	struct crypto_info info;
	uint8_t sig[CRYPTO_SIG_MAX];
	size_t i, before = ct_in_use();

	/* secmem zeroes every block it takes back: all of a key's blocks
	 * back is all of its bytes zeroed */
	k = ct_secret("a secret that must not outlive its key");
	cr_assert_gt(ct_in_use(), before, "a secret outside locked memory");
	crypto_key_free(k);
	cr_assert_eq(ct_in_use(), before, "a freed secret left blocks");
	for (i = 0; i < sizeof files / sizeof *files; i++) {
		k = ct_pem(files[i], &info);
		cr_assert_gt(ct_in_use(), before, "%s: a private key outside "
			     "locked memory", files[i]);
		if (info.type == ALG_KEY_RSA)
			cr_assert_eq(crypto_sign(k, a, ct_msg, CT_MSG_LEN,
						 sig), 0);
		crypto_key_free(k);
		cr_assert_eq(ct_in_use(), before, "%s: free left blocks",
			     files[i]);
	}
	crypto_key_free(NULL);
}

/*
 * An RSA signature whose first byte is zero, re-spelled without it: the
 * same number, one byte shorter.  Refused, so that one token has one
 * spelling (the cache and revocations key on the token's bytes); OpenSSL
 * by itself takes such a PSS signature.
 */
Test(crypto, rsa_signature_without_its_leading_zero_is_refused)
{
	static const char *const names[] = { "PS256", "RS256" };
	struct crypto_info i;
	struct crypto_key *sk = ct_pem(KEYS "rsa2048.pkcs1.pem", &i);
	uint8_t msg[32], sig[CRYPTO_SIG_MAX];
	size_t n, j, tries;

	for (j = 0; j < 2; j++) {
		const struct alg *a = alg_find(names[j], 5);

		n = crypto_sig_len(sk, a);
		/* about one signature in the modulus' top byte starts
		 * with a zero byte */
		for (tries = 0; tries < 5000; tries++) {
			snprintf((char *)msg, sizeof msg, "a.%zu", tries);
			cr_assert_eq(crypto_sign(sk, a, msg, strlen((char *)msg),
						 sig), 0);
			if (sig[0] == 0)
				break;
		}
		cr_assert_eq(sig[0], 0, "%s: no signature with a zero byte "
			     "first", a->name);
		cr_assert_eq(crypto_verify(sk, a, msg, strlen((char *)msg), sig,
					   n), 0);
		cr_assert_neq(crypto_verify(sk, a, msg, strlen((char *)msg),
					    sig + 1, n - 1), 0,
			      "%s: a re-spelled signature verifies", a->name);
	}
	crypto_key_free(sk);
}

/*
 * One key, many threads at once, more than a backend keeps slots for:
 * RS256, RS512 and PS256 on one RSA key (the paddings and digests must
 * not mix: RS signatures are deterministic, each compared byte for byte),
 * and ES256 signs and verifies; every result right.  Run under ASan and
 * UBSan too.
 */
#define CT_THREADS 8
#define CT_ROUNDS 12

struct ct_shared {
	struct crypto_key *rsa, *ec, *rsa_pub, *ec_pub;
	uint8_t rs256[CRYPTO_SIG_MAX], rs512[CRYPTO_SIG_MAX];
	size_t rlen;
};

/* 0 if every signature of this thread is what it must be */
static int ct_round(const struct ct_shared *sh, unsigned t)
{
	static const char *const names[] = { "RS256", "RS512", "PS256",
					     "ES256" };
	const struct alg *a = alg_find(names[t % 4], 5);
	const struct crypto_key *sk = a->key == ALG_KEY_EC ? sh->ec : sh->rsa;
	const struct crypto_key *vk = a->key == ALG_KEY_EC ? sh->ec_pub :
				      sh->rsa_pub;
	uint8_t sig[CRYPTO_SIG_MAX];
	size_t n = crypto_sig_len(sk, a);

	if (crypto_sign(sk, a, ct_msg, CT_MSG_LEN, sig) != 0 ||
	    crypto_verify(vk, a, ct_msg, CT_MSG_LEN, sig, n) != 0 ||
	    crypto_verify(sk, a, ct_msg, CT_MSG_LEN, sig, n) != 0)
		return -1;
	if (a->family == ALG_RS)
		return memcmp(sig, a->bits == 256 ? sh->rs256 : sh->rs512,
			      sh->rlen) == 0 ? 0 : -1;
	/* a damaged one is refused here too */
	sig[0] ^= 1;
	return crypto_verify(vk, a, ct_msg, CT_MSG_LEN, sig, n) != 0 ? 0 : -1;
}

struct ct_thread {
	const struct ct_shared *sh;
	unsigned t;
	int bad;
};

static void *ct_worker(void *arg)
{
	struct ct_thread *w = arg;
	unsigned i;

	for (i = 0; i < CT_ROUNDS; i++)
		w->bad |= ct_round(w->sh, w->t + i) != 0;
	return NULL;
}

Test(crypto, one_key_serves_many_threads_at_once)
{
	struct ct_shared sh;
	struct ct_thread w[CT_THREADS];
	pthread_t t[CT_THREADS];
	struct crypto_info i;
	unsigned j;

	sh.rsa = ct_pem(KEYS "rsa2048.pkcs1.pem", &i);
	sh.rsa_pub = ct_pem(KEYS "rsa2048.spki.pem", &i);
	sh.ec = ct_pem(KEYS "ecp256.sec1.pem", &i);
	sh.ec_pub = ct_pem(KEYS "ecp256.spki.pem", &i);
	sh.rlen = crypto_sig_len(sh.rsa, alg_find("RS256", 5));
	cr_assert_eq(crypto_sign(sh.rsa, alg_find("RS256", 5), ct_msg,
				 CT_MSG_LEN, sh.rs256), 0);
	cr_assert_eq(crypto_sign(sh.rsa, alg_find("RS512", 5), ct_msg,
				 CT_MSG_LEN, sh.rs512), 0);
	for (j = 0; j < CT_THREADS; j++) {
		w[j] = (struct ct_thread){ &sh, j, 0 };
		cr_assert_eq(pthread_create(&t[j], NULL, ct_worker, &w[j]), 0);
	}
	for (j = 0; j < CT_THREADS; j++) {
		pthread_join(t[j], NULL);
		cr_assert_eq(w[j].bad, 0, "thread %u got a wrong result", j);
	}
	crypto_key_free(sh.rsa);
	crypto_key_free(sh.rsa_pub);
	crypto_key_free(sh.ec);
	crypto_key_free(sh.ec_pub);
}

Test(crypto, random_bytes_differ)
{
	uint8_t a[32], b[32];

	cr_assert_eq(crypto_random(a, sizeof a), 0);
	cr_assert_eq(crypto_random(b, sizeof b), 0);
	cr_assert(memcmp(a, b, sizeof a) != 0);
}

/* hex into out; its length */
static size_t ct_unhex(const char *hex, uint8_t *out)
{
	size_t i, n = strlen(hex) / 2;
	unsigned v;

	for (i = 0; i < n; i++) {
		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/*
 * AES-256-GCM: The Galois/Counter Mode of Operation (McGrew and Viega,
 * the vectors NIST's GCM validation takes up), test case 16 (a 60-byte
 * plaintext, 20 bytes of associated data) and test case 13 (nothing
 * but the tag).  Then what opening must refuse: a tag, a byte of
 * ciphertext, of associated data or of the key changed; out holds
 * nothing after.
 */
Test(crypto, aes256_gcm_is_nist_and_refuses_what_was_altered)
{
	uint8_t key[32], iv[12], p[64], aad[32], c[64], tag[16], out[64];
	uint8_t want_c[64], want_t[16], bad[32];
	size_t pn, an, i;

	ct_unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f946730"
	       "8308", key);
	ct_unhex("cafebabefacedbaddecaf888", iv);
	pn = ct_unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d"
		    "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657"
		    "ba637b39", p);
	an = ct_unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	ct_unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555"
	       "d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	       want_c);
	ct_unhex("76fc6ece0f4e1768cddf8853bb2d551b", want_t);
	cr_assert_eq(crypto_aead(CRYPTO_SEAL, key, iv, aad, an, p, pn, c, tag), 0);
	cr_assert_eq(memcmp(c, want_c, pn), 0, "test case 16's ciphertext");
	cr_assert_eq(memcmp(tag, want_t, 16), 0, "test case 16's tag");
	cr_assert_eq(crypto_aead(CRYPTO_OPEN, key, iv, aad, an, c, pn, out, tag), 0);
	cr_assert_eq(memcmp(out, p, pn), 0);

	/* each alteration alone is refused, and leaves nothing */
	for (i = 0; i < 4; i++) {
		uint8_t *what[] = { tag, c, aad, key };

		what[i][i] ^= 1;
		memset(out, 0x55, sizeof out);
		cr_assert_eq(crypto_aead(CRYPTO_OPEN, key, iv, aad, an, c, pn,
					 out, tag), -1, "alteration %zu", i);
		memset(bad, 0, sizeof bad);
		cr_assert_eq(memcmp(out, bad, 32), 0, "alteration %zu: out "
			     "holds something", i);
		what[i][i] ^= 1;
	}
	cr_assert_eq(crypto_aead(CRYPTO_OPEN, key, iv, aad, an - 1, c, pn, out,
				 tag), -1, "associated data cut short");

	memset(key, 0, sizeof key);
	memset(iv, 0, sizeof iv);
	ct_unhex("530f8afbc74536b9a963b4f1c4cb738b", want_t);
	cr_assert_eq(crypto_aead(CRYPTO_SEAL, key, iv, NULL, 0, NULL, 0, out, tag), 0);
	cr_assert_eq(memcmp(tag, want_t, 16), 0, "test case 13's tag");
	cr_assert_eq(crypto_aead(CRYPTO_OPEN, key, iv, NULL, 0, NULL, 0, out, tag), 0);
}
