/* test_crypto_mbedtls.c - where the mbedTLS backend (make CRYPTO=mbedtls)
 * keeps key bytes: every private bignum in secmem, zeroed when the key is
 * freed. */
#include <criterion/criterion.h>
#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

#define CRYPTO_MBEDTLS_INTERNAL
#include "daemon/engine/crypto_mbedtls.h"
#include "daemon/engine/key.h"
#include "daemon/engine/secmem.h"
#include "tests/unit/util.h"

#define VEC "tests/vectors/rfc7515/"

static size_t in_use(void)
{
	struct secmem_stats st;

	secmem_stats(&st);
	return st.in_use;
}

/* The limbs of a bignum, checked where they were after the key is gone. */
struct limbs {
	const void *p;
	size_t n;
};

static struct limbs limbs_of(const mbedtls_mpi *x)
{
	struct limbs l = { x->p, x->n * sizeof *x->p };

	cr_assert(secmem_owns(x->p), "a private bignum outside locked memory");
	cr_assert(!secmem_is_zero(x->p, l.n));
	return l;
}

Test(crypto_backend, rsa_and_ec_private_bignums_live_and_die_there)
{
	struct key *k = ut_key_file(VEC "a2.key.pem", KEY_USE_SIGN);
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->ck->pk);
	mbedtls_ecp_keypair *ec;
	struct limbs d, p, q;
	size_t before;

	cr_assert(secmem_owns(rsa), "mbedTLS allocates outside secmem");
	d = limbs_of(&rsa->D);
	p = limbs_of(&rsa->P);
	q = limbs_of(&rsa->Q);
	key_free(k);
	cr_assert(secmem_is_zero(d.p, d.n) && secmem_is_zero(p.p, p.n) &&
		  secmem_is_zero(q.p, q.n), "RSA private bignums left behind");

	before = in_use();
	k = ut_key_file(VEC "a3.key.pem", KEY_USE_SIGN);
	ec = mbedtls_pk_ec(k->ck->pk);
	d = limbs_of(&ec->d);
	key_free(k);
	cr_assert(secmem_is_zero(d.p, d.n), "EC private scalar left behind");
	cr_assert_eq(in_use(), before, "key_free gave back everything");
}

