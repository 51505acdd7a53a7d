/* keyring_rotate.c - a new primary key and the manifest rewritten for it. */
#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/keygen.h"

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
		       int64_t retire)
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
}

/* The manifest as it must read after the rotation, to path. */
static int kr_write_manifest(const struct keyring *kr, const char *path,
			     const struct kr_key *fresh, int64_t retire,
			     struct ag_error *e)
{
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
	fprintf(f, "# agauthd keyring, rewritten by rotation of %s\n",
		fresh->name);
	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		if (i == kr->primary)
			kr_put_key(f, k, KR_VERIFY, k->retire != 0 &&
				   k->retire < retire ? k->retire : retire);
		else
			kr_put_key(f, k, k->state, k->retire);
	}
	kr_put_key(f, fresh, KR_PRIMARY, 0);
	rc = fflush(f) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (fclose(f) != 0 || rc != 0)
		return ag_fail(e, AG_E_KEYRING, "%s: %s", path, strerror(errno));
	return 0;
}

int keyring_rotate(const struct keyring *kr, const char *alg, double now,
		   double grace, struct keyring **out, struct ag_error *e)
{
	struct kr_key fresh;
	const struct jws_alg *a;
	char dir[PATH_MAX], file[PATH_MAX + 64], tmp[PATH_MAX + 8], spec[128];
	unsigned char rnd[3];
	const char *type, *slash = strrchr(kr->manifest, '/');
	time_t t = (time_t)now;
	struct tm tm;
	int rc = -1;

	*out = NULL;
	if (alg == NULL)
		alg = kr->primary >= 0 ? kr->keys[kr->primary].alg->name :
		      "HS256";
	/* the name comes from a client: only a signing algorithm we know
	 * names a key to make */
	a = jws_alg_find(alg, strlen(alg));
	type = a != NULL && a->family != JWS_NONE ?
	       keygen_type_for_alg(a->name) : NULL;
	if (type == NULL)
		return ag_fail(e, AG_E_KEYRING, "cannot rotate to '%.64s'", alg);
	memset(&fresh, 0, sizeof fresh);
	gmtime_r(&t, &tm);
	key_rng(NULL, rnd, sizeof rnd);
	snprintf(fresh.name, sizeof fresh.name,
		 "k%04d%02d%02d-%02d%02d%02d-%02x%02x%02x", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 rnd[0], rnd[1], rnd[2]);
	snprintf(dir, sizeof dir, "%.*s/keys", slash ? (int)(slash -
		 kr->manifest) : 1, slash ? kr->manifest : ".");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ag_fail(e, AG_E_KEYRING, "%s: %s", dir, strerror(errno));
	snprintf(spec, sizeof spec, "keys/%s.%s", fresh.name,
		 strcmp(keygen_encoding(type), "pem") == 0 ? "pem" : "key");
	snprintf(file, sizeof file, "%.*s/%s", slash ? (int)(slash -
		 kr->manifest) : 1, slash ? kr->manifest : ".", spec);
	fresh.file_spec = spec;
	fresh.alg = a;
	fresh.encoding = strcmp(keygen_encoding(type), "pem") == 0 ?
			 KR_PEM : KR_BASE64;
	fresh.has_kid = 1;
	snprintf(fresh.kid, sizeof fresh.kid, "%s", fresh.name);
	fresh.created = (int64_t)now;
	snprintf(tmp, sizeof tmp, "%s.new", kr->manifest);
	if (keygen_write(type, file, 0, e) != 0)
		return -1;
	/* load what we wrote before it replaces the manifest: a keyring
	 * that does not load never goes live */
	if (kr_write_manifest(kr, tmp, &fresh, (int64_t)(now + grace), e) != 0 ||
	    keyring_load(tmp, kr->generation + 1, out, e) != 0)
		goto out;
	snprintf((*out)->manifest, sizeof (*out)->manifest, "%s", kr->manifest);
	if (rename(tmp, kr->manifest) != 0) {
		ag_fail(e, AG_E_KEYRING, "%s: %s", kr->manifest,
			strerror(errno));
		keyring_unref(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		unlink(tmp);
		unlink(file);
	}
	return rc;
}
