/* keyring_rotate.c - a new primary key, keys past their retire time let
 * go, and the manifest rewritten for both. */
#include "daemon/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/engine/keygen.h"
#include "daemon/engine/secmem.h"
#include "daemon/log.h"

static void kr_put_time(FILE *f, const char *name, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s = %s\n", name, s);
}

static void kr_put_key(FILE *f, const struct kr_key *k, enum kr_state state,
		       int64_t retire, int64_t activate)
{
	fprintf(f, "\n[key %s]\nfile = %s\nalgorithm = %s\nstate = %s\n"
		"encoding = %s\n", k->name, k->file_spec, k->alg->name,
		keyring_state_name(state), keyring_encoding_name(k->encoding));
	if (!k->has_kid || strcmp(k->kid, k->name) != 0)
		fprintf(f, "kid = %s\n", k->has_kid ? k->kid : "");
	if (k->created != 0)
		kr_put_time(f, "created", k->created);
	if (retire != 0)
		kr_put_time(f, "retire", retire);
	if (activate != 0)
		kr_put_time(f, "activate", activate);
}

/* Past its retire time: nothing it verifies is accepted any more (a key
 * retired by hand, without a time, stays for the operator to bring
 * back).  The primary signs whatever its retire time says. */
static int kr_expired(const struct keyring *kr, int i, double now)
{
	const struct kr_key *k = &kr->keys[i];

	return i != keyring_primary(kr, now) && k->until != 0 &&
	       (double)k->until <= now;
}

/* Has key i signed by now (the manifest's primary, or a key whose
 * activation came)?  A new primary made now supersedes it. */
static int kr_has_signed(const struct keyring *kr, int i, double now)
{
	const struct kr_key *k = &kr->keys[i];

	return i == kr->primary || (k->activate != 0 &&
				    (double)k->activate <= now);
}

/* Its directory synced: a rename or a new file in it survives a crash. */
static int kr_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc;

	keyring_dirname(path, dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The manifest kr should have at now, to path: without the keys past
 * their retire time, and with fresh (if any): primary from its
 * activation instant if it has one, else at once, every key that has
 * signed then verifying until retire at the latest. */
static int kr_write_manifest(const struct keyring *kr, const char *path,
			     const struct kr_key *fresh, double now,
			     int64_t retire, struct ag_error *e)
{
	int now_primary = fresh != NULL && fresh->activate == 0;
	FILE *f;
	int fd, i, rc;
	const struct kr_key *k;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return ag_fail(e, AG_E_KEYRING, "%s: %s", path, strerror(errno));
	}
	fprintf(f, "# agauthd keyring, rewritten by agauthd (%s)\n",
		fresh != NULL ? "rotation" : "keys past their retire time "
		"removed");
	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		if (kr_expired(kr, i, now))
			continue;
		if (now_primary && kr_has_signed(kr, i, now))
			kr_put_key(f, k, KR_VERIFY, k->until != 0 &&
				   k->until < retire ? k->until : retire, 0);
		else
			kr_put_key(f, k, k->state, k->retire, k->activate);
	}
	if (fresh != NULL)
		kr_put_key(f, fresh, now_primary ? KR_PRIMARY : KR_VERIFY, 0,
			   fresh->activate);
	rc = fflush(f) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (fclose(f) != 0 || rc != 0)
		return ag_fail(e, AG_E_KEYRING, "%s: %s", path, strerror(errno));
	return 0;
}

/* In the manifest's directory or below: the keyring's own file.  One
 * elsewhere may be another program's, and is never removed. */
static int kr_inside(const struct keyring *kr, const char *path)
{
	char tmp[PATH_MAX], home[PATH_MAX], dir[PATH_MAX];

	keyring_dirname(kr->manifest, tmp);
	if (realpath(tmp, home) == NULL)
		return 0;
	keyring_dirname(path, tmp);
	if (realpath(tmp, dir) == NULL)
		return 0;
	return keyring_beneath(home, dir);
}

/* The file of key i, which left the keyring: removed if it is the
 * keyring's own and no key that stays (in next) uses it. */
static void kr_remove_file(const struct keyring *kr, int i,
			   const struct keyring *next)
{
	char path[PATH_MAX], other[PATH_MAX], when[32];
	const struct kr_key *k = &kr->keys[i];
	time_t t = (time_t)k->retire;
	struct stat st, o;
	struct tm tm;
	int j;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* nor ever the manifest, whatever a key names */
	if (keyring_key_path(kr, k, path, sizeof path) != 0 ||
	    lstat(path, &st) != 0 || (lstat(kr->manifest, &o) == 0 &&
	    o.st_dev == st.st_dev && o.st_ino == st.st_ino))
		return;
	for (j = 0; j < next->n; j++)
		if (keyring_key_path(next, &next->keys[j], other,
				     sizeof other) == 0 &&
		    lstat(other, &o) == 0 && o.st_dev == st.st_dev &&
		    o.st_ino == st.st_ino) {
			log_info("key %s retired at %s: out of %s; %s stays, "
				 "key %s uses it", k->name, when, kr->manifest,
				 path, next->keys[j].name);
			return;
		}
	if (!kr_inside(kr, path)) {
		log_info("key %s retired at %s: out of %s; %s stays, outside "
			 "the keyring's directory", k->name, when,
			 kr->manifest, path);
		return;
	}
	if (unlink(path) != 0) {
		log_warn("key %s retired at %s: out of %s, but %s: %s; remove "
			 "it by hand", k->name, when, kr->manifest, path,
			 strerror(errno));
		return;
	}
	log_info("key %s retired at %s: out of %s, %s removed", k->name, when,
		 kr->manifest, path);
}

/*
 * kr's manifest rewritten for now (and fresh): written to MANIFEST.new
 * and synced, loaded (a keyring that does not load never goes live),
 * renamed over the manifest, its directory synced; then the files of the
 * keys that left go.  Refused, changing nothing, if the manifest is no
 * longer what kr was loaded from.
 */
static int kr_commit(const struct keyring *kr, const struct kr_key *fresh,
		     double now, int64_t retire, uint64_t generation,
		     struct keyring **out, struct ag_error *e)
{
	char tmp[PATH_MAX + 8];
	int i, kept = fresh != NULL;

	*out = NULL;
	/* a rewrite of an older picture would bring back what the
	 * operator removed since */
	if (keyring_current(kr, e) != 0)
		return -1;
	for (i = 0; i < kr->n; i++)
		kept += !kr_expired(kr, i, now);
	if (kept > AG_KEYRING_MAX)
		return ag_fail(e, AG_E_KEYRING, "%s: %d keys in force and a new "
			       "one are more than %d; remove one (or let one "
			       "retire), reload, and rotate again",
			       kr->manifest, kept - 1, AG_KEYRING_MAX);
	snprintf(tmp, sizeof tmp, "%s.new", kr->manifest);
	if (kr_write_manifest(kr, tmp, fresh, now, retire, e) != 0 ||
	    keyring_load(tmp, generation, kr->grace, out, e) != 0)
		goto fail;
	snprintf((*out)->manifest, sizeof (*out)->manifest, "%s", kr->manifest);
	if (rename(tmp, kr->manifest) != 0) {
		ag_fail(e, AG_E_KEYRING, "%s: %s", kr->manifest,
			strerror(errno));
		goto fail;
	}
	/* live either way now; only a power loss could bring the old one
	 * back */
	if (kr_sync_dir(kr->manifest) != 0)
		log_warn("%s: renamed, but its directory not synced: %s",
			 kr->manifest, strerror(errno));
	for (i = 0; i < kr->n; i++)
		if (kr_expired(kr, i, now))
			kr_remove_file(kr, i, *out);
	return 0;
fail:
	unlink(tmp);
	keyring_unref(*out);
	*out = NULL;
	return -1;
}

int keyring_prune(const struct keyring *kr, double now, struct keyring **out,
		  struct ag_error *e)
{
	int i;

	*out = NULL;
	for (i = 0; i < kr->n && !kr_expired(kr, i, now); i++)
		;
	if (i == kr->n)
		return 0;
	return kr_commit(kr, NULL, now, 0, kr->generation, out, e);
}

/* fresh's name, kid, algorithm, encoding and file as a rotation on kr
 * makes them: keys/NAME.pem (RSA, EC) or keys/NAME.key (a secret, in
 * base64) beside kr's manifest, keys/ made if need be. */
static int kr_fresh_init(const struct keyring *kr, struct kr_fresh *f,
			 const struct alg *a, const char *name, double now,
			 struct ag_error *e)
{
	const char *type = keygen_type_for_alg(a->name);
	int pem = strcmp(keygen_encoding(type), "pem") == 0;
	char home[PATH_MAX], dir[PATH_MAX + 8];

	keyring_dirname(kr->manifest, home);
	snprintf(dir, sizeof dir, "%s/keys", home);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ag_fail(e, AG_E_KEYRING, "%s: %s", dir, strerror(errno));
	snprintf(f->key.name, sizeof f->key.name, "%s", name);
	snprintf(f->spec, sizeof f->spec, "keys/%s.%s", f->key.name,
		 pem ? "pem" : "key");
	f->key.file_spec = f->spec;
	f->key.alg = a;
	f->key.encoding = pem ? KR_PEM : KR_BASE64;
	f->key.has_kid = 1;
	snprintf(f->key.kid, sizeof f->key.kid, "%s", f->key.name);
	f->key.created = (int64_t)now;
	if (keyring_key_path(kr, &f->key, f->path, sizeof f->path) != 0)
		return ag_fail(e, AG_E_KEYRING, "%s: path too long", dir);
	return 0;
}

int keyring_rotate_make(const struct keyring *kr, const char *alg,
			double now, struct kr_fresh *f, struct ag_error *e)
{
	const struct alg *a;
	char name[AG_KID_MAX + 1];
	unsigned char rnd[3];
	time_t t = (time_t)now;
	struct tm tm;
	int p;

	memset(f, 0, sizeof *f);
	p = keyring_primary(kr, now);
	if (alg == NULL)
		alg = p >= 0 ? kr->keys[p].alg->name : "HS256";
	/* the name comes from a client: only a signing algorithm we know
	 * names a key to make */
	a = alg_find(alg, strlen(alg));
	if (a == NULL || a->family == ALG_NONE ||
	    keygen_type_for_alg(a->name) == NULL)
		return ag_fail(e, AG_E_KEYRING, "cannot rotate to '%.64s'", alg);
	gmtime_r(&t, &tm);
	key_rng(NULL, rnd, sizeof rnd);
	snprintf(name, sizeof name, "k%04d%02d%02d-%02d%02d%02d-%02x%02x%02x",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, rnd[0], rnd[1], rnd[2]);
	if (kr_fresh_init(kr, f, a, name, now, e) != 0)
		return -1;
	if (keygen_write(keygen_type_for_alg(a->name), f->path, 0, e) != 0) {
		f->path[0] = '\0';
		return -1;
	}
	/* the manifest that names it is synced before it goes live: so is
	 * the file's name */
	if (kr_sync_dir(f->path) != 0) {
		ag_fail(e, AG_E_KEYRING, "%s: %s", f->path, strerror(errno));
		keyring_rotate_drop(f);
		return -1;
	}
	return 0;
}

int keyring_rotate_commit(const struct keyring *live, struct kr_fresh *f,
			  double now, double grace, struct keyring **out,
			  struct ag_error *e)
{
	if (kr_commit(live, &f->key, now, (int64_t)(now + grace),
		      live->generation + 1, out, e) != 0)
		return -1;
	f->path[0] = '\0';
	return 0;
}

void keyring_rotate_drop(struct kr_fresh *f)
{
	if (f->path[0] != '\0')
		unlink(f->path);
	f->path[0] = '\0';
}

/*
 * Has live this key already (1), another under its kid or name (-1), or
 * neither (0)?  A record sent again, or read again after a restart,
 * changes nothing; a kid that names another key here is never replaced
 * by the fleet's.
 */
static int kr_holds(const struct keyring *live, const struct kr_fresh *f,
		    struct ag_error *e)
{
	const struct kr_key *k = &f->key;
	char path[PATH_MAX];
	int i;

	for (i = 0; i < live->n; i++) {
		const struct kr_key *o = &live->keys[i];

		if ((o->has_kid && strcmp(o->kid, k->kid) == 0) ||
		    strcmp(o->name, k->name) == 0)
			return key_same(o->key, k->key) && o->alg == k->alg ?
			       1 : ag_fail(e, AG_E_KEYRING, "kid %s names "
					   "another key here ([key %s]); the "
					   "fleet's key of that kid is refused",
					   k->kid, o->name);
		if (keyring_key_path(live, o, path, sizeof path) == 0 &&
		    strcmp(path, f->path) == 0)
			return ag_fail(e, AG_E_KEYRING, "%s is [key %s]'s file "
				       "here; the fleet's key %s is refused",
				       path, o->name, k->kid);
	}
	return 0;
}

int keyring_rotate_install(const struct keyring *live, const char *kid,
			   const struct alg *alg, int64_t activate,
			   const uint8_t *text, size_t n, double now,
			   struct keyring **out, const char **why,
			   struct ag_error *e)
{
	unsigned char *buf = secmem_alloc(2 * AG_KEY_MAX);
	struct kr_fresh f;
	int i, rc = -1;

	*out = NULL;
	*why = NULL;
	memset(&f, 0, sizeof f);
	if (buf == NULL)
		return ag_fail(e, AG_E_NOMEM, "no locked memory left for keys");
	/* bounded before it is copied: buf holds AG_KEY_MAX and scratch */
	if (n > AG_KEY_MAX) {
		ag_fail(e, AG_E_KEYRING, "key %s: larger than %d bytes", kid,
			AG_KEY_MAX);
		goto out;
	}
	if (kr_fresh_init(live, &f, alg, kid, now, e) != 0)
		goto out;
	f.key.activate = activate;
	memcpy(buf, text, n);
	if (keyring_key_load(&f.key, buf, n, f.spec, e) != 0)
		goto out;
	rc = kr_holds(live, &f, e);
	if (rc == 1)
		*why = "this host holds it already";
	if (rc != 0)
		goto out;
	/* a later activation superseded it longer than grace ago: nothing
	 * it signed verifies any more (a host reading an old stream) */
	for (i = 0; i < live->n; i++)
		if (live->keys[i].activate > activate &&
		    (double)live->keys[i].activate + live->grace <= now) {
			*why = "a later key superseded it more than "
			       "default_expiry ago";
			rc = 1;
			goto out;
		}
	rc = -1;
	/* the kid is not here (kr_holds): a file of that name is a
	 * leftover of an install that did not commit */
	if (keygen_save(f.path, text, n, 1, e) != 0)
		goto out;
	if (kr_sync_dir(f.path) != 0)
		log_warn("%s: written, but its directory not synced: %s",
			 f.path, strerror(errno));
	if (kr_commit(live, &f.key, now, 0, live->generation + 1, out,
		      e) != 0) {
		unlink(f.path);
		goto out;
	}
	rc = 0;
out:
	key_free(f.key.key);
	secmem_free(buf);   /* zeroes the text */
	return rc;
}
