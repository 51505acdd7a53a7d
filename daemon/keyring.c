/* keyring.c - the manifest, key files and key selection. */
#include "daemon/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "daemon/engine/keygen.h"
#include "shared/b64url.h"
#include "daemon/log.h"
#include "daemon/priv.h"
#include "daemon/engine/secmem.h"
#include "daemon/engine/verify.h"

struct kr_ctx {
	struct keyring *kr;
	char why[300];
};

#define KR_TIME_WANT "2026-11-27T10:00:00Z or seconds since the epoch"

static const char *const kr_states[] = { "primary", "verify", "retired" };
static const char *const kr_encodings[] = { "pem", "raw", "text", "base64" };
/* the options with a value to check, and what that value must be */
static const struct {
	const char *name, *want;
} kr_valued[] = {
	{ "state", "primary, verify or retired" },
	{ "encoding", "pem, raw, text or base64" },
	{ "created", KR_TIME_WANT },
	{ "retire", KR_TIME_WANT },
	{ "activate", KR_TIME_WANT },
};

const char *keyring_state_name(enum kr_state s)
{
	return kr_states[s];
}

const char *keyring_encoding_name(enum kr_encoding e)
{
	return kr_encodings[e];
}

/* kids travel in headers and logs: a small safe alphabet, never a path */
static int kr_kid_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > AG_KID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
			return 0;
	return 1;
}

/* "2026-11-27T10:00:00Z" or seconds since the epoch */
static int kr_time(const char *v, int64_t *out)
{
	struct tm tm;
	const char *end;
	char *e;
	long long n;

	memset(&tm, 0, sizeof tm);
	end = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end != NULL && *end == '\0') {
		*out = (int64_t)timegm(&tm);
		return 0;
	}
	errno = 0;
	n = strtoll(v, &e, 10);
	if (errno != 0 || *e != '\0' || e == v || n < 0)
		return -1;
	*out = n;
	return 0;
}

static int kr_pick(const char *v, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

static struct kr_key *kr_section(struct kr_ctx *x, const char *section)
{
	struct keyring *kr = x->kr;
	const char *name;
	int i;

	if (strncmp(section, "key ", 4) != 0) {
		snprintf(x->why, sizeof x->why, "sections are [key NAME], not "
			 "[%.100s]", section);
		return NULL;
	}
	name = section + 4;
	for (i = 0; i < kr->n; i++)
		if (strcmp(kr->keys[i].name, name) == 0)
			return &kr->keys[i];
	if (!kr_kid_ok(name)) {
		snprintf(x->why, sizeof x->why, "key name '%.80s' must be 1 to "
			 "%d of A-Z a-z 0-9 . _ -", name, AG_KID_MAX);
		return NULL;
	}
	if (kr->n == AG_KEYRING_MAX) {
		snprintf(x->why, sizeof x->why, "more than %d keys",
			 AG_KEYRING_MAX);
		return NULL;
	}
	i = kr->n++;
	snprintf(kr->keys[i].name, sizeof kr->keys[i].name, "%s", name);
	snprintf(kr->keys[i].kid, sizeof kr->keys[i].kid, "%s", name);
	kr->keys[i].has_kid = 1;
	kr->keys[i].state = KR_VERIFY;
	kr->keys[i].encoding = KR_PEM;
	return &kr->keys[i];
}

static int kr_field(struct kr_ctx *x, struct kr_key *k, const char *name,
		    const char *v)
{
	int i;

	if (strcmp(name, "file") == 0) {
		free(k->file_spec);
		k->file_spec = strdup(v);
		return k->file_spec != NULL;
	}
	if (strcmp(name, "algorithm") == 0) {
		k->alg = alg_find(v, strlen(v));
		if (k->alg != NULL && k->alg->family != ALG_NONE)
			return 1;
		snprintf(x->why, sizeof x->why, "unknown algorithm '%.40s'", v);
		return 0;
	}
	if (strcmp(name, "kid") == 0) {
		/* an empty kid: tokens without one (SocketCluster's authKey) */
		k->has_kid = v[0] != '\0';
		if (!k->has_kid || kr_kid_ok(v)) {
			snprintf(k->kid, sizeof k->kid, "%s", v);
			return 1;
		}
		snprintf(x->why, sizeof x->why, "kid must be empty or 1 to %d "
			 "of A-Z a-z 0-9 . _ -", AG_KID_MAX);
		return 0;
	}
	if (strcmp(name, "state") == 0 &&
	    (i = kr_pick(v, kr_states, 3)) >= 0) {
		k->state = (enum kr_state)i;
		return 1;
	}
	if (strcmp(name, "encoding") == 0 &&
	    (i = kr_pick(v, kr_encodings, 4)) >= 0) {
		k->encoding = (enum kr_encoding)i;
		return 1;
	}
	if (strcmp(name, "created") == 0 && kr_time(v, &k->created) == 0)
		return 1;
	if (strcmp(name, "retire") == 0 && kr_time(v, &k->retire) == 0)
		return 1;
	/* 0 would be no activation at all */
	if (strcmp(name, "activate") == 0 && kr_time(v, &k->activate) == 0 &&
	    k->activate > 0)
		return 1;
	/* a bad value of a known option; kr_handler names unknown ones */
	for (i = 0; i < (int)(sizeof kr_valued / sizeof *kr_valued); i++)
		if (strcmp(name, kr_valued[i].name) == 0)
			snprintf(x->why, sizeof x->why, "[key %s] bad %s '%.60s': "
				 "want %s", k->name, name, v, kr_valued[i].want);
	return 0;
}

static int kr_handler(void *user, const char *section, const char *name,
		      const char *value)
{
	struct kr_ctx *x = user;
	struct kr_key *k;

	if (x->why[0] != '\0')
		return 1;
	k = kr_section(x, section);
	if (k == NULL)
		return 0;
	if (kr_field(x, k, name, value))
		return 1;
	if (x->why[0] == '\0')
		snprintf(x->why, sizeof x->why, "unknown option '%.40s'", name);
	return 0;
}

void keyring_dirname(const char *path, char out[PATH_MAX])
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(out, PATH_MAX, ".");
	else
		snprintf(out, PATH_MAX, "%.*s", slash == path ? 1 :
			 (int)(slash - path), path);
}

int keyring_beneath(const char *top, const char *path)
{
	size_t n = strlen(top);

	return strncmp(path, top, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/' || top[1] == '\0');
}

/* Is gid one of ours (effective or supplementary)? */
static int kr_group_ours(gid_t gid)
{
	gid_t *groups = NULL;
	int n, i, ours = gid == getegid();

	n = ours ? 0 : getgroups(0, NULL);
	if (n > 0 && (groups = calloc((size_t)n, sizeof *groups)) != NULL)
		n = getgroups(n, groups);
	for (i = 0; groups != NULL && i < n && !ours; i++)
		ours = groups[i] == gid;
	free(groups);
	return ours;
}

/*
 * path is a symbolic link (a Kubernetes Secret's key is one: hs2.key ->
 * ..data/hs2.key, ..data -> ..2026_12_07_10_00_00.1): opens what it
 * leads to, if that stays inside the directory that holds the link.  The
 * target is resolved, then opened by walking down from that directory
 * with O_NOFOLLOW at every step: a link swapped after it was resolved is
 * refused, never followed out.  Returns the descriptor, or -1 with e set.
 */
static int kr_open_link(const char *path, struct ag_error *e)
{
	char dir[PATH_MAX], top[PATH_MAX], real[PATH_MAX], *step, *next;
	int fd, at, err;

	keyring_dirname(path, dir);
	if (realpath(dir, top) == NULL || realpath(path, real) == NULL)
		return ag_fail(e, AG_E_KEYRING, "%s: %s: %s", path,
			       errno == ELOOP ? "its symbolic links loop "
			       "(or nest too deep)" : "a symbolic link that "
			       "cannot be followed", strerror(errno));
	/* a link out of the key's directory could name any file we may
	 * read; the kubelet's never leave it */
	if (!keyring_beneath(top, real))
		return ag_fail(e, AG_E_KEYRING, "%s: a symbolic link to %s, "
			       "outside %s: a key file's link must stay inside "
			       "its directory (as a Kubernetes Secret's do); "
			       "copy the key there", path, real, top);
	fd = at = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = errno;
	/* what follows top in real: "" when the link leads to top itself */
	step = real + strlen(top);
	step += *step == '/';
	for (; fd >= 0 && step != NULL && *step != '\0'; step = next) {
		next = strchr(step, '/');
		if (next != NULL)
			*next++ = '\0';
		/* O_NOFOLLOW at every step: what was resolved is what is
		 * opened, and a link put there since is refused */
		fd = openat(at, step, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			    O_NOCTTY | O_NONBLOCK | (next ? O_DIRECTORY : 0));
		err = errno;
		close(at);
		at = fd;
	}
	if (fd < 0)
		return ag_fail(e, AG_E_KEYRING, "%s: %s%s", path,
			       strerror(err), err == ELOOP || err == ENOTDIR ||
			       err == ENOENT ? " (its link changed while it was "
			       "read; try again)" : "");
	return fd;
}

/*
 * May a key file with this owner and mode be read?  Readable by its
 * owner only, owned by us or root; or root's, 0440, in one of our
 * groups, as a Kubernetes Secret mounted with fsGroup is.  0 or -1 with
 * e set.
 */
static int kr_perm(const char *path, const struct stat *st, struct ag_error *e)
{
	char why[AG_ERRMSG_MAX];

	/* only root can change it, and only our group can read it */
	if (st->st_uid == 0 && (st->st_mode & 0777) == 0440 &&
	    kr_group_ours(st->st_gid))
		return 0;
	/* a key others can read is a key others have; one they can write
	 * is a key they choose */
	if ((st->st_mode & 077) != 0)
		return ag_fail(e, AG_E_KEYRING, "%s: %s by group or others "
			       "(mode %04o); chmod 600 it%s", path,
			       (st->st_mode & 044) ? "readable" :
			       (st->st_mode & 022) ? "writable" : "executable",
			       (unsigned)(st->st_mode & 07777),
			       (st->st_mode & 0777) == 0440 ? " (mode 0440 "
			       "only if root owns it and its group is "
			       "agauthd's)" : "");
	/* whoever owns a key file can rewrite it: only we, and root */
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		priv_not_owner(st->st_uid, why, sizeof why);
		return ag_fail(e, AG_E_KEYRING, "%s: %s", path, why);
	}
	return 0;
}

/*
 * Reads a key file the way a key file must be: a regular file, reached
 * directly or through links that stay inside its directory
 * (kr_open_link), with an owner and mode kr_perm accepts.  "Us" is the
 * user agauthd runs as: a daemon that drops root reads its keys as that
 * user from the start (daemon/priv.h), so a key it loads at start is a
 * key it can load again on reload.  Root may own a key because root could
 * change it anyway; such a key is readable only while agauthd stays root,
 * or through a group of ours.
 */
int keyring_read_file(const char *path, unsigned char *buf, size_t cap,
		      size_t *len, struct ag_error *e)
{
	struct stat st;
	ssize_t r;
	int fd, rc = -1;

	/* O_NOFOLLOW: a link could point anywhere, and is followed only
	 * by kr_open_link; O_NONBLOCK: a FIFO would block the open until
	 * someone writes it (fstat refuses it just after) */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		  O_NONBLOCK);
	if (fd < 0 && errno == ELOOP)
		fd = kr_open_link(path, e);
	else if (fd < 0)
		ag_fail(e, AG_E_KEYRING, "%s: %s%s", path, strerror(errno),
			errno == EACCES && geteuid() != 0 ?
			" (agauthd reads keys as its own user: the file "
			"must be owned by it, and the directories above "
			"open to it)" : "");
	if (fd < 0)
		return -1;
	/* the descriptor's file, whatever the path names by now */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ag_fail(e, AG_E_KEYRING, "%s: not a regular file", path);
		goto out;
	}
	if (kr_perm(path, &st, e) != 0)
		goto out;
	/* bounded before reading: the buffer is locked memory */
	if ((size_t)st.st_size > cap) {
		ag_fail(e, AG_E_KEYRING, "%s: larger than %zu bytes", path, cap);
		goto out;
	}
	*len = 0;
	while (*len < cap && (r = read(fd, buf + *len, cap - *len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ag_fail(e, AG_E_KEYRING, "%s: %s", path, strerror(errno));
			goto out;
		}
		*len += (size_t)r;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* The bytes a key file stands for, per its encoding; base64 is decoded
 * through tmp (AG_KEY_MAX bytes, locked memory like buf). */
static int kr_decode(struct kr_key *k, unsigned char *buf, size_t *len,
		     unsigned char *tmp, const char *path, struct ag_error *e)
{
	size_t i, o = 0;
	long rc;

	if (k->encoding == KR_TEXT) {
		/* one trailing newline is the file's, not the secret's */
		if (*len > 0 && buf[*len - 1] == '\n')
			(*len)--;
		if (*len > 0 && buf[*len - 1] == '\r')
			(*len)--;
		return 0;
	}
	if (k->encoding != KR_BASE64)
		return 0;
	for (i = 0; i < *len; i++)
		if (strchr(" \t\r\n", buf[i]) == NULL)
			tmp[o++] = buf[i];
	/* o <= AG_KEY_MAX characters decode to fewer bytes: buf holds them */
	rc = b64url_decode_std(buf, (const char *)tmp, o);
	if (rc < 0)
		return ag_fail(e, AG_E_KEYRING, "%s: not base64", path);
	*len = (size_t)rc;
	return 0;
}

/* RFC 7518 section 3.2: an HS key must be at least as long as the hash
 * output.  A shorter one is only warned about, at every load: an imported
 * SocketCluster authKey must keep verifying the tokens already issued
 * with it.  The line names the key, never a byte of it. */
static void kr_warn_short(const struct kr_key *k, const char *path)
{
	unsigned want = k->alg->bits;

	if (k->key->type != ALG_KEY_SECRET || k->key->bits >= want)
		return;
	log_warn("%s: [key %s] (%s%s): the HMAC secret has %u byte%s, fewer "
		 "than the %u of %s's hash output that RFC 7518 \u00a73.2 "
		 "requires: a short secret can be guessed; make a new key "
		 "(agauthctl keygen --type %s) and rotate to it", path, k->name,
		 k->has_kid ? "kid " : "no kid", k->has_kid ? k->kid : "",
		 k->key->bits / 8, k->key->bits == 8 ? "" : "s", want / 8,
		 k->alg->name, keygen_type_for_alg(k->alg->name));
}

int keyring_key_path(const struct keyring *kr, const struct kr_key *k,
		     char *out, size_t cap)
{
	const char *slash = strrchr(kr->manifest, '/');
	int n = k->file_spec[0] == '/' ?
		snprintf(out, cap, "%s", k->file_spec) :
		snprintf(out, cap, "%.*s/%s", slash ? (int)(slash -
			 kr->manifest) : 1, slash ? kr->manifest : ".",
			 k->file_spec);

	return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static int kr_load_key(struct kr_ctx *x, struct kr_key *k, struct ag_error *e)
{
	unsigned char *buf = NULL;
	char path[PATH_MAX];
	size_t len = 0;
	int rc = -1;

	if (k->file_spec == NULL || k->alg == NULL)
		return ag_fail(e, AG_E_KEYRING, "%s: [key %s] needs file and "
			       "algorithm", x->kr->manifest, k->name);
	if (keyring_key_path(x->kr, k, path, sizeof path) != 0)
		return ag_fail(e, AG_E_KEYRING, "[key %s]: path too long",
			       k->name);
	/* the file's bytes, and room to decode them: key material goes to
	 * locked memory, never to a stack that may be swapped */
	buf = secmem_alloc(2 * AG_KEY_MAX);
	if (buf == NULL)
		return ag_fail(e, AG_E_NOMEM, "%s: no locked memory left for "
			       "keys", path);
	if (keyring_read_file(path, buf, AG_KEY_MAX, &len, e) == 0)
		rc = keyring_key_load(k, buf, len, path, e);
	secmem_free(buf);   /* zeroes both halves */
	return rc;
}

int keyring_key_load(struct kr_key *k, unsigned char *buf, size_t len,
		     const char *path, struct ag_error *e)
{
	if (kr_decode(k, buf, &len, buf + AG_KEY_MAX, path, e) != 0)
		return -1;
	/* a primary signs, and so will a key that activates: key_load
	 * refuses a public key for them */
	if (key_load(&k->key, buf, len, k->state == KR_PRIMARY ||
		     k->activate != 0 ? KEY_USE_SIGN : KEY_USE_VERIFY, e) != 0) {
		char why[sizeof e->msg];

		/* e->msg is the reason: copy it before rewriting e */
		snprintf(why, sizeof why, "%s", e->msg);
		return ag_fail(e, AG_E_KEYRING, "%s: %s [key %s]", path, why,
			       k->name);
	}
	/* the algorithm is bound to the key: HS to a secret, RS/PS to RSA,
	 * ES to EC on its own curve */
	if ((k->alg->key == ALG_KEY_SECRET) != (k->key->type == ALG_KEY_SECRET) ||
	    jws_key_fits(k->key, k->alg->name, e) != 0) {
		key_free(k->key);
		k->key = NULL;
		return ag_fail(e, AG_E_KEYRING, "%s: not a key for %s [key %s]",
			       path, k->alg->name, k->name);
	}
	kr_warn_short(k, path);
	return 0;
}

/*
 * An activation instant is for a verify key without retire: it is
 * primary from then on, and its end comes from the next key's
 * activation.  Two keys activating at once would leave the primary to
 * chance.
 */
static int kr_check_activate(const struct keyring *kr, int i,
			     struct ag_error *e)
{
	const struct kr_key *k = &kr->keys[i];
	int j;

	if (k->activate == 0)
		return 0;
	if (k->state != KR_VERIFY || k->retire != 0)
		return ag_fail(e, AG_E_KEYRING, "%s: [key %s] activate: only "
			       "for a key in state verify without retire (it "
			       "is primary from that instant, and retires "
			       "after the next key's activation); remove %s",
			       kr->manifest, k->name, k->retire != 0 ?
			       "its retire" : "activate, or its state");
	for (j = 0; j < i; j++)
		if (kr->keys[j].activate == k->activate)
			return ag_fail(e, AG_E_KEYRING, "%s: [key %s] and [key "
				       "%s] activate at the same instant; one "
				       "of them must come later", kr->manifest,
				       kr->keys[j].name, k->name);
	return 0;
}

/* When each key stops verifying: a key another key's activation
 * supersedes (the manifest's primary, or an earlier activated key)
 * verifies until that instant + grace, whatever else; any other until
 * its retire time. */
static void kr_until(struct keyring *kr)
{
	struct kr_key *k;
	int64_t next;
	int i, j;

	for (i = 0; i < kr->n; i++) {
		k = &kr->keys[i];
		k->until = k->retire;
		if (i != kr->primary && k->activate == 0)
			continue;
		next = 0;
		for (j = 0; j < kr->n; j++)
			if (kr->keys[j].activate > k->activate &&
			    (next == 0 || kr->keys[j].activate < next))
				next = kr->keys[j].activate;
		k->until = next != 0 ? next + (int64_t)kr->grace : 0;
	}
}

static int kr_validate(struct kr_ctx *x, struct ag_error *e)
{
	struct keyring *kr = x->kr;
	int i, j;

	for (i = 0; i < kr->n; i++) {
		if (kr_check_activate(kr, i, e) != 0 ||
		    kr_load_key(x, &kr->keys[i], e) != 0)
			return -1;
		kr->activations += kr->keys[i].activate != 0;
		if (kr->keys[i].state == KR_PRIMARY) {
			if (kr->primary >= 0)
				return ag_fail(e, AG_E_KEYRING, "%s: more than "
					       "one primary key (%s, %s)",
					       kr->manifest,
					       kr->keys[kr->primary].name,
					       kr->keys[i].name);
			kr->primary = i;
		}
		for (j = 0; j < i; j++)
			if (kr->keys[i].has_kid && kr->keys[j].has_kid &&
			    strcmp(kr->keys[i].kid, kr->keys[j].kid) == 0)
				return ag_fail(e, AG_E_KEYRING, "%s: kid '%s' "
					       "used twice", kr->manifest,
					       kr->keys[i].kid);
	}
	kr_until(kr);
	return 0;
}

/*
 * The manifest's bytes, NUL-terminated, and their digest: read whole, so
 * that what is parsed is what the digest describes.  Bounded before it is
 * read.
 */
static char *kr_manifest_read(const char *path, unsigned char digest[16],
			      struct ag_error *e)
{
	XXH128_canonical_t c;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	/* O_NONBLOCK: a FIFO must not hold up the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ag_fail(e, AG_E_KEYRING, "%s: cannot read: %s%s", path,
			strerror(errno), errno == EACCES && geteuid() != 0 ?
			" (agauthd reads its keyring as its own user)" : "");
		return NULL;
	}
	buf = malloc(AG_MANIFEST_MAX + 1);
	if (buf == NULL) {
		ag_fail(e, AG_E_NOMEM, NULL);
		goto out;
	}
	while (n <= AG_MANIFEST_MAX &&
	       (r = read(fd, buf + n, AG_MANIFEST_MAX + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ag_fail(e, AG_E_KEYRING, "%s: cannot read: %s", path,
				strerror(errno));
			goto fail;
		}
		n += (size_t)r;
	}
	if (n > AG_MANIFEST_MAX) {
		ag_fail(e, AG_E_KEYRING, "%s: larger than %d bytes", path,
			AG_MANIFEST_MAX);
		goto fail;
	}
	/* the parser would stop at it, and take the rest for absent */
	if (memchr(buf, '\0', n) != NULL) {
		ag_fail(e, AG_E_KEYRING, "%s: holds a NUL byte", path);
		goto fail;
	}
	buf[n] = '\0';
	XXH128_canonicalFromHash(&c, XXH3_128bits(buf, n));
	memcpy(digest, c.digest, sizeof c.digest);
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	close(fd);
	return buf;
}

int keyring_current(const struct keyring *kr, struct ag_error *e)
{
	unsigned char digest[16];
	char *text = kr_manifest_read(kr->manifest, digest, e);

	if (text == NULL)
		return -1;
	free(text);
	if (memcmp(digest, kr->digest, sizeof digest) == 0)
		return 0;
	return ag_fail(e, AG_E_KEYRING, "%s changed since keyring generation "
		       "%llu was loaded from it; reload it (agauthctl reload), "
		       "then rotate again", kr->manifest,
		       (unsigned long long)kr->generation);
}

int keyring_load(const char *manifest, uint64_t generation, double grace,
		 struct keyring **out, struct ag_error *e)
{
	struct kr_ctx x;
	char *text = NULL;
	int line, rc = -1;

	memset(&x, 0, sizeof x);
	*out = NULL;
	x.kr = calloc(1, sizeof *x.kr);
	if (x.kr == NULL)
		return ag_fail(e, AG_E_NOMEM, NULL);
	atomic_init(&x.kr->refs, 1);
	x.kr->generation = generation;
	x.kr->grace = grace;
	x.kr->primary = -1;
	snprintf(x.kr->manifest, sizeof x.kr->manifest, "%s", manifest);
	text = kr_manifest_read(manifest, x.kr->digest, e);
	if (text == NULL)
		goto out;
	line = ini_parse_string(text, kr_handler, &x);
	if (line < 0) {
		ag_fail(e, AG_E_NOMEM, "%s: no memory to parse it", manifest);
		goto out;
	}
	if (line > 0) {
		ag_fail(e, AG_E_KEYRING, "%s:%d: %s", manifest, line,
			x.why[0] ? x.why : "syntax error");
		goto out;
	}
	if (kr_validate(&x, e) != 0)
		goto out;
	*out = x.kr;
	x.kr = NULL;
	rc = 0;
out:
	free(text);
	if (x.kr != NULL)
		keyring_unref(x.kr);
	return rc;
}

void keyring_ref(struct keyring *kr)
{
	atomic_fetch_add(&kr->refs, 1);
}

void keyring_unref(struct keyring *kr)
{
	int i;

	if (kr == NULL || atomic_fetch_sub(&kr->refs, 1) != 1)
		return;
	for (i = 0; i < kr->n; i++) {
		key_free(kr->keys[i].key);
		free(kr->keys[i].file_spec);
	}
	free(kr);
}

int keyring_usable(const struct kr_key *k, double now)
{
	if (k->state == KR_RETIRED)
		return 0;
	return k->until == 0 || now < (double)k->until;
}

int keyring_primary(const struct keyring *kr, double now)
{
	int i, p = kr->primary;
	int64_t at = 0;

	/* the activation that came last wins: no reload at its instant */
	for (i = 0; kr->activations > 0 && i < kr->n; i++)
		if (kr->keys[i].activate != 0 &&
		    (double)kr->keys[i].activate <= now &&
		    kr->keys[i].activate > at) {
			at = kr->keys[i].activate;
			p = i;
		}
	return p;
}

enum kr_state keyring_state_at(const struct keyring *kr, int i, double now)
{
	if (i == keyring_primary(kr, now))
		return KR_PRIMARY;
	return keyring_usable(&kr->keys[i], now) ? KR_VERIFY : KR_RETIRED;
}

int keyring_sign(const struct keyring *kr, struct sign_req *r,
		 struct buf *token, struct buf *added,
		 const struct kr_key **used, struct ag_error *e)
{
	const struct kr_key *k;
	int p = keyring_primary(kr, r->now);

	if (p < 0)
		return ag_fail(e, AG_E_NO_KEY, "no primary key to sign with");
	k = &kr->keys[p];
	r->alg_default = k->alg->name;
	r->kid_locked = 1;
	r->kid = k->has_kid ? k->kid : NULL;
	*used = k;
	return sign_token(k->key, r, token, added, e);
}

/* The key type of the family of the token's algorithm: jsonwebtoken
 * tells families apart by header.alg's first two characters. */
static int kr_family_type(const struct jwt *j, enum alg_keytype *t)
{
	const struct alg *a;
	const char *raw;
	size_t n;

	if (json_type(&j->hdoc, j->alg) != JSON_STRING)
		return -1;
	raw = json_raw(&j->hdoc, j->alg, &n);
	a = alg_of_prefix(raw, n);
	if (a == NULL)
		return -1;
	*t = a->key;
	return 0;
}

static int kr_candidates(const struct keyring *kr, const struct jwt *j,
			 double now, const struct kr_key **c)
{
	enum alg_keytype t;
	int i, n = 0;
	size_t klen;

	for (i = 0; j->kid >= 0 && i < kr->n; i++) {
		const struct kr_key *k = &kr->keys[i];

		klen = strlen(k->kid);
		if (k->has_kid && keyring_usable(k, now) &&
		    json_str_eq(&j->hdoc, j->kid, k->kid, klen)) {
			c[0] = k;
			return 1;
		}
	}
	if (kr_family_type(j, &t) != 0)
		return 0;
	for (i = 0; i < kr->n && n < AG_KEYRING_TRY_MAX; i++)
		if (kr->keys[i].key->type == t &&
		    keyring_usable(&kr->keys[i], now))
			c[n++] = &kr->keys[i];
	return n;
}

int keyring_verify(const struct keyring *kr, const char *token, size_t len,
		   const struct vopts *o, double now, struct jwt *j,
		   const struct kr_key **used, struct ag_error *e)
{
	const struct kr_key *c[AG_KEYRING_TRY_MAX];
	int n, i, p;

	if (o->early.code != AG_OK) {
		*e = o->early;
		return -1;
	}
	if (jwt_decode(j, token, len, e) != 0)
		return -1;
	n = kr_candidates(kr, j, now, c);
	if (n == 0) {
		/* no key fits: the primary (or any key) gives the error a
		 * single-key jsonwebtoken would give */
		for (i = 0; i < kr->n && !keyring_usable(&kr->keys[i], now); i++)
			;
		p = keyring_primary(kr, now);
		if (p < 0 && i == kr->n)
			return ag_fail(e, AG_E_NO_KEY, "no key may verify");
		c[0] = p >= 0 ? &kr->keys[p] : &kr->keys[i];
		n = 1;
	}
	for (i = 0; i < n; i++) {
		*used = c[i];
		if (verify_decoded(c[i]->key, j, o, now, e) == 0)
			return 0;
		/* only a wrong key is worth trying the next one for */
		if (e->code != AG_E_BAD_SIGNATURE && e->code != AG_E_KEY_ALG &&
		    e->code != AG_E_SIG_LENGTH)
			return -1;
	}
	return -1;
}
