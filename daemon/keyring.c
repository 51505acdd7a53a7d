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
#include "daemon/engine/secmem.h"
#include "daemon/engine/verify.h"

struct kr_ctx {
	struct keyring *kr;
	char why[300];
};

static const char *const kr_states[] = { "primary", "verify", "retired" };
static const char *const kr_encodings[] = { "pem", "raw", "text", "base64" };
static const char *const kr_valued[] = { "state", "encoding", "created",
					 "retire" };

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
	/* a bad value of a known option; kr_handler names unknown ones */
	if (kr_pick(name, kr_valued, 4) >= 0)
		snprintf(x->why, sizeof x->why, "bad %s '%.60s'", name, v);
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

/*
 * Reads a key file the way a key file must be: a regular file, not through
 * a link, readable by its owner only, owned by us or root.  "Us" is the
 * user agauthd runs as: a daemon that drops root reads its keys as that
 * user from the start (daemon/priv.h), so a key it loads at start is a
 * key it can load again on reload.  Root may own a key because root could
 * change it anyway; such a key is readable only while agauthd stays root.
 */
int keyring_read_file(const char *path, unsigned char *buf, size_t cap,
		      size_t *len, struct ag_error *e)
{
	struct stat st;
	ssize_t r;
	int fd, rc = -1;

	/* O_NOFOLLOW: a link could point anywhere, and its target's owner
	 * is not checked; O_NONBLOCK: a FIFO would block the open until
	 * someone writes it (fstat refuses it just after) */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		  O_NONBLOCK);
	if (fd < 0)
		return ag_fail(e, AG_E_KEYRING, "%s: %s%s", path,
			       strerror(errno), errno == ELOOP ?
			       " (key files may not be symbolic links)" :
			       errno == EACCES && geteuid() != 0 ?
			       " (agauthd reads keys as its own user: the file "
			       "must be owned by it, and the directories above "
			       "open to it)" : "");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ag_fail(e, AG_E_KEYRING, "%s: not a regular file", path);
		goto out;
	}
	/* a key others can read is a key others have; one they can write
	 * is a key they choose */
	if ((st.st_mode & 077) != 0) {
		ag_fail(e, AG_E_KEYRING, "%s: %s by group or others (mode %04o); "
			"chmod 600 it", path, (st.st_mode & 044) ? "readable" :
			(st.st_mode & 022) ? "writable" : "executable",
			(unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* whoever owns a key file can rewrite it: only we, and root */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		ag_fail(e, AG_E_KEYRING, "%s: owned by uid %u, not by agauthd "
			"(uid %u) or root", path, (unsigned)st.st_uid,
			(unsigned)geteuid());
		goto out;
	}
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
	if (keyring_read_file(path, buf, AG_KEY_MAX, &len, e) != 0 ||
	    kr_decode(k, buf, &len, buf + AG_KEY_MAX, path, e) != 0)
		goto out;
	/* a primary signs: key_load refuses a public key for it */
	if (key_load(&k->key, buf, len, k->state == KR_PRIMARY ?
		     KEY_USE_SIGN : KEY_USE_VERIFY, e) != 0) {
		char why[sizeof e->msg];

		/* e->msg is the reason: copy it before rewriting e */
		snprintf(why, sizeof why, "%s", e->msg);
		ag_fail(e, AG_E_KEYRING, "%s: %s [key %s]", path, why,
			k->name);
		goto out;
	}
	/* the algorithm is bound to the key: HS to a secret, RS/PS to RSA,
	 * ES to EC on its own curve */
	if ((k->alg->key == ALG_KEY_SECRET) != (k->key->type == ALG_KEY_SECRET) ||
	    jws_key_fits(k->key, k->alg->name, e) != 0) {
		ag_fail(e, AG_E_KEYRING, "%s: not a key for %s [key %s]", path,
			k->alg->name, k->name);
		goto out;
	}
	kr_warn_short(k, path);
	rc = 0;
out:
	secmem_free(buf);   /* zeroes both halves */
	return rc;
}

static int kr_validate(struct kr_ctx *x, struct ag_error *e)
{
	struct keyring *kr = x->kr;
	int i, j;

	for (i = 0; i < kr->n; i++) {
		if (kr_load_key(x, &kr->keys[i], e) != 0)
			return -1;
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

int keyring_load(const char *manifest, uint64_t generation,
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
	return k->state == KR_PRIMARY || k->retire == 0 ||
	       now < (double)k->retire;
}

int keyring_sign(const struct keyring *kr, struct sign_req *r,
		 struct buf *token, struct buf *added,
		 const struct kr_key **used, struct ag_error *e)
{
	const struct kr_key *k;

	if (kr->primary < 0)
		return ag_fail(e, AG_E_NO_KEY, "no primary key to sign with");
	k = &kr->keys[kr->primary];
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
	int n, i;

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
		if (kr->primary < 0 && i == kr->n)
			return ag_fail(e, AG_E_NO_KEY, "no key may verify");
		c[0] = kr->primary >= 0 ? &kr->keys[kr->primary] : &kr->keys[i];
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
