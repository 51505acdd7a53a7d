/*
 * fuzz_keyring.c - the bytes as the keyring manifest (keyring.conf):
 * keyring_load reads them whole, digests and parses them (inih) and loads
 * the key files they name; two exist, keys/hs.key (an HS256 secret in
 * base64) and keys/es.pem (a P-256 key).  A manifest that loads is then
 * pruned far in the future (keyring_prune: rewritten without the keys
 * past their retire time, their files removed) and rotated (an HS256 key
 * made and committed into it).
 *
 * Beyond not crashing or leaking: a keyring that loads holds at most
 * AG_KEYRING_MAX keys, each with its key, at most one primary and no kid
 * twice, and keyring_current finds the manifest it was loaded from;
 * what a prune or a rotation writes loads again, to the same keys, with
 * nothing past its retire time but the primary, and the rotated key
 * primary.  The same bytes go through the key files' base64 decoder
 * too.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/engine/keygen.h"
#include "daemon/keyring.h"
#include "shared/b64url.h"
#include "shared/limits.h"

#define FK_NOW   1800000000.0
#define FK_LATER 4000000000.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fk_dir[64], fk_manifest[96];
static const char *const fk_files[] = { "keys/hs.key", "keys/es.pem" };
static uint8_t fk_bytes[2][4096];
static size_t fk_len[2];

static void fk_write(const char *name, const void *p, size_t n)
{
	char path[160];
	int fd;

	snprintf(path, sizeof path, "%s/%s", fk_dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void fk_setup(void)
{
	static const char *const types[] = { "hs256", "p256" };
	const char *base = getenv("TMPDIR");
	struct ag_error e;
	char path[160];
	ssize_t n;
	int i, fd;

	/* on tmpfs when there is one: every commit syncs */
	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(fk_dir, sizeof fk_dir, "%s/fuzz-keyring-XXXXXX", base);
	if (mkdtemp(fk_dir) == NULL)
		abort();
	snprintf(fk_manifest, sizeof fk_manifest, "%s/keyring.conf", fk_dir);
	snprintf(path, sizeof path, "%s/keys", fk_dir);
	if (mkdir(path, 0700) != 0)
		abort();
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", fk_dir, fk_files[i]);
		if (keygen_write(types[i], path, 0, &e) != 0)
			abort();
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, fk_bytes[i], sizeof fk_bytes[i]) : -1;
		if (n <= 0)
			abort();
		fk_len[i] = (size_t)n;
		close(fd);
	}
}

/* What any keyring that loaded must be. */
static void fk_check(const struct keyring *kr)
{
	int i, j, primaries = 0;

	if (kr->n < 0 || kr->n > AG_KEYRING_MAX ||
	    kr->primary >= kr->n || kr->primary < -1)
		abort();
	for (i = 0; i < kr->n; i++) {
		const struct kr_key *k = &kr->keys[i];

		if (k->key == NULL || k->alg == NULL || k->file_spec == NULL ||
		    strnlen(k->kid, sizeof k->kid) == sizeof k->kid)
			abort();
		primaries += k->state == KR_PRIMARY;
		if (k->state == KR_PRIMARY && i != kr->primary)
			abort();
		/* an activating key: verify, no retire, its own instant */
		if (k->activate != 0 && (k->state != KR_VERIFY ||
					 k->retire != 0))
			abort();
		for (j = 0; j < i; j++)
			if (k->activate != 0 &&
			    k->activate == kr->keys[j].activate)
				abort();
		for (j = 0; j < i; j++)
			if (k->has_kid && kr->keys[j].has_kid &&
			    strcmp(k->kid, kr->keys[j].kid) == 0)
				abort();
	}
	if (primaries > 1 || (kr->primary >= 0) != (primaries == 1))
		abort();
}

/* next, written from kr for now: kr's keys less those past their time
 * (the primary stays), in kr's order; it loads again as it is. */
static void fk_check_rewrite(const struct keyring *kr,
			     const struct keyring *next, double now)
{
	struct keyring *again;
	struct ag_error e;
	int i, j = 0;

	fk_check(next);
	for (i = 0; i < kr->n; i++) {
		const struct kr_key *k = &kr->keys[i];

		if (i != keyring_primary(kr, now) && k->until != 0 &&
		    (double)k->until <= now)
			continue;
		if (j >= next->n || strcmp(next->keys[j].name, k->name) != 0)
			abort();
		j++;
	}
	if (j != next->n && j + 1 != next->n)
		abort();
	if (keyring_current(next, &e) != 0 ||
	    keyring_load(fk_manifest, 9, 86400, &again, &e) != 0)
		abort();
	if (again->n != next->n || again->primary != next->primary)
		abort();
	keyring_unref(again);
}

/* The decoder of base64 key files, on the same bytes: within its bound,
 * and a whole text's bytes encode to as long a text that decodes to
 * them again. */
static void fk_base64(const uint8_t *data, size_t size)
{
	static uint8_t out[B64URL_DEC_MAX(AG_KEY_MAX)], back[sizeof out];
	static char again[B64_STD_ENC_LEN(sizeof out)];
	long n;

	if (size > AG_KEY_MAX)
		return;
	n = b64url_decode_std(out, (const char *)data, size);
	if (n < 0 || size % 4 != 0)
		return;
	if ((size_t)n > size / 4 * 3 ||
	    b64url_encode_std(again, out, (size_t)n) != size ||
	    b64url_decode_std(back, again, size) != n ||
	    memcmp(back, out, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring *kr, *next = NULL, *rotated;
	const struct keyring *base;
	struct kr_fresh f;
	struct ag_error e;
	char fresh[sizeof f.path];
	int i;

	if (fk_dir[0] == '\0')
		fk_setup();
	fk_base64(data, size);
	for (i = 0; i < 2; i++)
		fk_write(fk_files[i], fk_bytes[i], fk_len[i]);
	fk_write("keyring.conf", data, size);
	if (keyring_load(fk_manifest, 1, 86400, &kr, &e) != 0) {
		if ((e.code != AG_E_KEYRING && e.code != AG_E_NOMEM) ||
		    kr != NULL)
			abort();
		return 0;
	}
	fk_check(kr);
	if (keyring_current(kr, &e) != 0)
		abort();

	/* far in the future: every key with a retire time but the primary
	 * leaves; the files of those in keys/ go (fk_write makes them again
	 * for the next input) */
	if (keyring_prune(kr, FK_LATER, &next, &e) != 0) {
		if (e.code != AG_E_NOMEM)
			abort();
		keyring_unref(kr);
		return 0;
	}
	if (next != NULL)
		fk_check_rewrite(kr, next, FK_LATER);
	base = next != NULL ? next : kr;

	if (keyring_rotate_make(base, "HS256", FK_NOW, &f, &e) != 0)
		abort();
	snprintf(fresh, sizeof fresh, "%s", f.path);
	if (keyring_rotate_commit(base, &f, FK_NOW, 60, &rotated, &e) == 0) {
		fk_check_rewrite(base, rotated, FK_NOW);
		if (rotated->primary < 0 ||
		    strcmp(rotated->keys[rotated->primary].name,
			   f.key.name) != 0 ||
		    keyring_primary(rotated, FK_NOW) != rotated->primary)
			abort();
		keyring_unref(rotated);
	} else if (e.code != AG_E_NOMEM && base->n < AG_KEYRING_MAX) {
		/* only a full keyring refuses a new key */
		abort();
	}
	keyring_rotate_drop(&f);
	unlink(fresh);
	keyring_unref(next);
	keyring_unref(kr);
	return 0;
}
