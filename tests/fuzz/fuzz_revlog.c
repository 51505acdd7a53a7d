/*
 * fuzz_revlog.c - the bytes as the revocation log (state_dir/revocations,
 * daemon/revoke.c) that agauthd loads at start: revoke_open over it (as
 * agauthd -t does, then as a start does), then revoke_check of a few
 * tokens, revoke_add, revoke_prune (and with them the torn-record cut,
 * the mended newline, compaction and appends), revoke_close.
 *
 * Beyond not crashing or leaking: -t (REVOKE_CHECK) accepts what a start
 * accepts, finds the same records in force and leaves the bytes as they
 * were; whatever a successful open left on disk opens again, with every
 * record in force still in force and those added since; and after a
 * prune, a restart finds what the prune kept.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/revoke.h"
#include "shared/b64url.h"

#define FR_NOW     1700000000.5
#define FR_HORIZON 86400.0
#define FR_LATER   (FR_NOW + 2 * FR_HORIZON)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fr_dir[64];
static char fr_path[96];

/* payloads of tokens checked against what the log revokes */
static const char *const fr_payloads[] = {
	"{\"sub\":\"alice\",\"jti\":\"j1\",\"iat\":1600000000,"
	"\"exp\":1800000000}",
	"{\"sub\":\"bob\",\"iat\":1700000000}",
	"{\"sub\":5,\"jti\":\"fuzz-added\"}",
	"{\"user\":\"carol\",\"exp\":1700050000}",
	"not json",
	"{\"sub\":\"dave\",\"iat\":1600000000}",
};
#define FR_NTOKENS (sizeof fr_payloads / sizeof *fr_payloads)
/* the tokens revoke_add revokes */
#define FR_ADDED (1u << 2 | 1u << 3 | 1u << 5)

static struct jwt fr_jwt[FR_NTOKENS];
static char fr_tok[FR_NTOKENS][256];

static void fr_setup(void)
{
	static const char hdr[] = "{\"alg\":\"HS256\"}";
	const char *base = getenv("TMPDIR");
	struct ag_error e;
	size_t i, n;

	/* on tmpfs when there is one: every open syncs the directory */
	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(fr_dir, sizeof fr_dir, "%s/fuzz-revlog-XXXXXX", base);
	if (mkdtemp(fr_dir) == NULL)
		abort();
	snprintf(fr_path, sizeof fr_path, "%s/revocations", fr_dir);
	for (i = 0; i < FR_NTOKENS; i++) {
		n = b64url_encode(fr_tok[i], (const uint8_t *)hdr,
				  sizeof hdr - 1);
		fr_tok[i][n++] = '.';
		n += b64url_encode(fr_tok[i] + n,
				   (const uint8_t *)fr_payloads[i],
				   strlen(fr_payloads[i]));
		memcpy(fr_tok[i] + n, ".c2ln", 6);
		if (jwt_decode(&fr_jwt[i], fr_tok[i], n + 5, &e) != 0)
			abort();
	}
}

/* which tokens are revoked, as bits */
static unsigned fr_revoked(void)
{
	struct ag_error e;
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < FR_NTOKENS; i++)
		if (revoke_check(&fr_jwt[i], &e) != 0) {
			if (e.code != AG_E_REVOKED)
				abort();
			bits |= 1u << i;
		}
	return bits;
}

/* the log holds exactly data[size] */
static int fr_unchanged(const uint8_t *data, size_t size)
{
	uint8_t *back = malloc(size + 1);
	int fd = open(fr_path, O_RDONLY | O_CLOEXEC), same;
	ssize_t n = -1;

	if (back != NULL && fd >= 0)
		n = read(fd, back, size + 1);
	same = n >= 0 && (size_t)n == size &&
	       memcmp(back, data, (size_t)n) == 0;
	if (fd >= 0)
		close(fd);
	free(back);
	return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_error e;
	unsigned before, after;
	size_t n1, n2;
	int fd, checked;

	if (fr_dir[0] == '\0')
		fr_setup();
	unlink(fr_path);
	fd = open(fr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	/* agauthd -t reads the bytes as a start does, and writes none */
	checked = revoke_open(fr_dir, "sub", FR_HORIZON, FR_NOW, REVOKE_CHECK,
			      &e);
	n1 = revoke_count();
	before = fr_revoked();
	revoke_close();
	if (!fr_unchanged(data, size))
		abort();
	if (revoke_open(fr_dir, "sub", FR_HORIZON, FR_NOW, 0, &e) != 0) {
		if ((e.code != AG_E_STATE && e.code != AG_E_NOMEM) ||
		    checked == 0)
			abort();
		return 0;
	}
	if (checked != 0 || revoke_count() != n1 || fr_revoked() != before)
		abort();
	/* one of each kind, persisted, so that they survive a restart: the
	 * jti of token 2, token 3 itself, the subject of token 5 */
	if (revoke_add(REVOKE_JTI, "fuzz-added", 10, FR_NOW, &e) != 0 ||
	    revoke_add(REVOKE_TOKEN, fr_tok[3], strlen(fr_tok[3]), FR_NOW,
		       &e) != 0 ||
	    revoke_add(REVOKE_SUBJECT, "dave", 4, FR_NOW, &e) != 0)
		abort();
	if ((fr_revoked() & FR_ADDED) != FR_ADDED)
		abort();
	revoke_close();

	/* what is on disk now loads again, and holds the same */
	if (revoke_open(fr_dir, "sub", FR_HORIZON, FR_NOW, 0, &e) != 0)
		abort();
	n2 = revoke_count();
	after = fr_revoked();
	if (n2 < n1 || n2 > n1 + 3 || after != (before | FR_ADDED))
		abort();
	/* a prune far ahead drops what has expired (and may compact); a
	 * restart then loads what the prune kept */
	revoke_prune(FR_LATER);
	n1 = revoke_count();
	before = fr_revoked();
	revoke_close();
	if (revoke_open(fr_dir, "sub", FR_HORIZON, FR_LATER, 0, &e) != 0 ||
	    revoke_count() != n1 || fr_revoked() != before)
		abort();
	revoke_close();
	return 0;
}
