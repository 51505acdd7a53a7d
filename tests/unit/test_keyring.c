/* test_keyring.c - manifest, key files, key choice and rotation. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/engine/keygen.h"
#include "daemon/keyring.h"
#include "daemon/engine/sign.h"
#include "tests/unit/util.h"

#define NOW 1800000000.0

static char dir[64], manifest[96];

static void mkfile(const char *name, const char *text, mode_t mode)
{
	char p[160];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

/* dir/name, in one of a few rotating buffers */
static const char *sub(const char *name)
{
	static char p[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void gen(const char *type, const char *name)
{
	char p[160];
	struct ag_error e;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	cr_assert_eq(keygen_write(type, p, 0, &e), 0, "%s", e.msg);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/agauthd-kr-%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	snprintf(manifest, sizeof manifest, "%s/keyring.conf", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(keyring, .init = setup, .fini = teardown);

static char *sign(const struct keyring *kr, const char *opts,
		  struct ag_error *e)
{
	struct sign_req r = { .payload = "{\"u\":1}", .payload_len = 7,
			      .opts = opts, .opts_len = opts ? strlen(opts) : 0,
			      .now = NOW };
	const struct kr_key *k;
	struct buf tok;
	char *out = NULL;

	buf_init(&tok, 1 << 16);
	if (keyring_sign(kr, &r, &tok, NULL, &k, e) == 0)
		out = strdup(buf_cstr(&tok));
	buf_free(&tok);
	return out;
}

static int verify(const struct keyring *kr, const char *tok,
		  const char **kid, struct ag_error *e)
{
	static struct vopts o;
	static struct jwt j;
	const struct kr_key *k = NULL;
	int rc;

	vopts_parse(&o, NULL, 0, e);
	rc = keyring_verify(kr, tok, strlen(tok), &o, NOW, &j, &k, e);
	*kid = k ? k->name : NULL;
	return rc;
}

Test(keyring, signs_with_primary_and_picks_by_kid)
{
	struct keyring *kr;
	struct ag_error e;
	const char *used;
	char *tok;

	gen("hs256", "a.key");
	gen("hs256", "b.key");
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n[key b]\nfile = b.key\n"
	       "encoding = base64\nalgorithm = HS256\nstate = verify\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), 0, "%s", e.msg);
	tok = sign(kr, NULL, &e);
	cr_assert_not_null(tok, "%s", e.msg);
	cr_assert(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImEifQ.",
			  51) == 0, "header carries kid a: %s", tok);
	cr_assert_eq(verify(kr, tok, &used, &e), 0, "%s", e.msg);
	cr_assert_str_eq(used, "a");
	free(tok);
	tok = sign(kr, "{\"keyid\":\"b\"}", &e);
	cr_assert_null(tok, "the daemon's key names the kid");
	cr_assert_eq(e.code, AG_E_SIGN_OPTION);
	keyring_unref(kr);
}

Test(keyring, refuses_unsafe_key_files)
{
	struct keyring *kr;
	struct ag_error e;
	char target[160], link[160];

	gen("hs256", "a.key");
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n", 0600);
	snprintf(target, sizeof target, "%s/a.key", dir);
	chmod(target, 0640);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1);
	cr_assert(strstr(e.msg, "readable by group or others") != NULL,
		  "%s", e.msg);
	chmod(target, 0600);
	/* a link out of the key's directory, to a good key */
	cr_assert_eq(mkdir(sub("in"), 0700), 0);
	snprintf(link, sizeof link, "%s/in/l.key", dir);
	cr_assert_eq(symlink(target, link), 0);
	mkfile("keyring.conf", "[key a]\nfile = in/l.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1);
	cr_assert(strstr(e.msg, "in/l.key: a symbolic link to ") != NULL &&
		  strstr(e.msg, "/a.key, outside ") != NULL, "%s", e.msg);
}

Test(keyring, refuses_inconsistent_manifests)
{
	struct keyring *kr;
	struct ag_error e;

	gen("hs256", "a.key");
	gen("p256", "e.pem");
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n[key b]\nfile = a.key\n"
	       "encoding = base64\nalgorithm = HS256\nstate = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1);
	cr_assert(strstr(e.msg, "more than one primary") != NULL, "%s", e.msg);
	mkfile("keyring.conf", "[key e]\nfile = e.pem\nalgorithm = ES384\n"
	       "state = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1);
	cr_assert(strstr(e.msg, "not a key for ES384") != NULL, "%s", e.msg);
	mkfile("keyring.conf", "[key ../x]\nfile = a.key\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1);
	cr_assert(strstr(e.msg, ":2: key name") != NULL, "%s", e.msg);
	mkfile("keyring.conf", "[key a]\nfile = a.key\nstate = sometimes\n",
	       0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1);
	cr_assert(strstr(e.msg, ":3: [key a] bad state 'sometimes': want "
			 "primary, verify or retired") != NULL, "%s", e.msg);
}

Test(keyring, imported_authkey_without_kid)
{
	struct keyring *kr;
	struct ag_error e;
	const char *used;
	/* {"alg":"HS256","typ":"JWT"}.{"u":1} signed with "socketcluster" */
	static char tok[256];
	struct key *k;
	struct sign_req r = { .payload = "{\"u\":1}", .payload_len = 7,
			      .now = NOW };
	struct buf b;

	mkfile("authkey", "socketcluster\n", 0600);
	mkfile("keyring.conf", "[key sc]\nfile = authkey\nencoding = text\n"
	       "algorithm = HS256\nkid =\nstate = verify\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), 0, "%s", e.msg);
	cr_assert_eq(key_load(&k, (const uint8_t *)"socketcluster", 13,
			      KEY_USE_SIGN, &e), 0);
	buf_init(&b, 4096);
	cr_assert_eq(sign_token(k, &r, &b, NULL, &e), 0);
	snprintf(tok, sizeof tok, "%s", buf_cstr(&b));
	cr_assert_eq(verify(kr, tok, &used, &e), 0, "%s", e.msg);
	cr_assert_str_eq(used, "sc");
	buf_free(&b);
	key_free(k);
	keyring_unref(kr);
}

/* keyring_rotate_make then keyring_rotate_commit on live, as a rotate
 * request does them (the make on a crypto thread, the commit on the
 * loop); -1 with *e from either. */
static int rotate(const struct keyring *snap, const struct keyring *live,
		  const char *alg, double now, double grace,
		  struct keyring **next, struct ag_error *e)
{
	struct kr_fresh f;
	int rc;

	*next = NULL;
	if (keyring_rotate_make(snap, alg, now, &f, e) != 0)
		return -1;
	rc = keyring_rotate_commit(live, &f, now, grace, next, e);
	keyring_rotate_drop(&f);
	return rc;
}

/* Files in dir/keys. */
static int nkeyfiles(void)
{
	char cmd[160], out[32] = "";
	FILE *p;

	snprintf(cmd, sizeof cmd, "ls %s/keys | wc -l", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(out, sizeof out, p));
	pclose(p);
	return atoi(out);
}

Test(keyring, rotation_demotes_and_keeps_verifying)
{
	struct keyring *kr, *next;
	struct ag_error e;
	const char *used;
	char *old, *fresh;

	gen("hs256", "a.key");
	mkfile("keyring.conf", "# comment\n[key a]\nfile = a.key\n"
	       "encoding = base64\nalgorithm = HS256\nstate = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), 0, "%s", e.msg);
	old = sign(kr, NULL, &e);
	cr_assert_eq(rotate(kr, kr, NULL, NOW, 3600, &next, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(next->generation, 2);
	cr_assert_eq(next->n, 2);
	cr_assert_eq(next->keys[0].state, KR_VERIFY);
	cr_assert_eq(next->keys[0].retire, (int64_t)NOW + 3600);
	cr_assert_str_neq(next->keys[next->primary].name, "a");
	fresh = sign(next, NULL, &e);
	cr_assert_eq(verify(next, old, &used, &e), 0, "%s", e.msg);
	cr_assert_str_eq(used, "a");
	cr_assert_eq(verify(next, fresh, &used, &e), 0, "%s", e.msg);
	cr_assert_str_eq(used, next->keys[next->primary].name);
	cr_assert(!keyring_usable(&next->keys[0], NOW + 3600),
		  "retired at its time");
	free(old);
	free(fresh);
	keyring_unref(kr);
	/* the rewritten manifest loads by itself */
	cr_assert_eq(keyring_load(manifest, 3, 86400, &kr, &e), 0, "%s", e.msg);
	cr_assert_eq(kr->n, 2);
	keyring_unref(kr);
	keyring_unref(next);
}

/* A reload while the key is made: the rotation commits into the keyring
 * the reload made live, not into the one it started from. */
Test(keyring, rotation_commits_into_the_live_keyring)
{
	struct keyring *before, *live, *next;
	struct kr_fresh f;
	struct ag_error e;
	char *text;
	size_t n;
	int i;

	gen("hs256", "a.key");
	gen("hs256", "leaked.key");
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n\n[key leaked]\n"
	       "file = leaked.key\nencoding = base64\nalgorithm = HS256\n",
	       0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &before, &e), 0, "%s", e.msg);
	cr_assert_eq(keyring_rotate_make(before, NULL, NOW, &f, &e), 0, "%s",
		     e.msg);
	/* meanwhile: leaked removed, reloaded */
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 2, 86400, &live, &e), 0, "%s", e.msg);
	cr_assert_eq(keyring_rotate_commit(live, &f, NOW, 60, &next, &e), 0,
		     "%s", e.msg);
	cr_assert_eq(next->generation, 3);
	cr_assert_eq(next->n, 2);
	for (i = 0; i < next->n; i++)
		cr_assert_str_neq(next->keys[i].name, "leaked");
	text = ut_read(manifest, &n);
	cr_assert_null(strstr(text, "leaked"), "%s", text);
	free(text);
	keyring_rotate_drop(&f);
	cr_assert_eq(nkeyfiles(), 1, "the committed key's file stays");
	keyring_unref(before);
	keyring_unref(live);
	keyring_unref(next);
}

/* The manifest edited but not reloaded: the commit refuses, and changes
 * nothing; the key made for it goes. */
Test(keyring, rotation_refuses_a_manifest_changed_since_it_was_loaded)
{
	struct keyring *kr, *next;
	struct kr_fresh f;
	struct ag_error e;
	static const char edited[] = "[key a]\nfile = a.key\n"
		"encoding = base64\nalgorithm = HS256\nstate = primary\n"
		"# edited\n";
	char *text;
	size_t n;

	gen("hs256", "a.key");
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), 0, "%s", e.msg);
	cr_assert_eq(keyring_rotate_make(kr, NULL, NOW, &f, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(nkeyfiles(), 1);
	mkfile("keyring.conf", edited, 0600);
	cr_assert_eq(keyring_rotate_commit(kr, &f, NOW, 60, &next, &e), -1);
	cr_assert_null(next);
	cr_assert_eq(e.code, AG_E_KEYRING);
	cr_assert(strstr(e.msg, "keyring.conf changed since keyring "
			 "generation 1 was loaded from it; reload it") != NULL,
		  "%s", e.msg);
	text = ut_read(manifest, &n);
	cr_assert_str_eq(text, edited);
	free(text);
	keyring_rotate_drop(&f);
	cr_assert_eq(nkeyfiles(), 0);
	keyring_unref(kr);
}

/* A daily rotation job, 70 days of it: keys past their retire time
 * leave, with their files, and the keyring never fills. */
Test(keyring, seventy_rotations_never_fill_the_keyring)
{
	struct keyring *kr, *next;
	struct ag_error e;
	char *text, p[160];
	size_t n;
	int i;

	gen("hs256", "a.key");
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), 0, "%s", e.msg);
	for (i = 0; i < 70; i++) {
		cr_assert_eq(rotate(kr, kr, NULL, NOW + i * 86400.0, 3600,
				    &next, &e), 0, "rotation %d: %s", i + 1,
			     e.msg);
		keyring_unref(kr);
		kr = next;
		cr_assert_leq(kr->n, 2, "rotation %d: %d keys", i + 1, kr->n);
	}
	cr_assert_eq(kr->n, 2);
	cr_assert_eq(nkeyfiles(), 2, "files of keys that left stay");
	snprintf(p, sizeof p, "%s/a.key", dir);
	cr_assert_eq(access(p, F_OK), -1, "a.key stays");
	text = ut_read(manifest, &n);
	cr_assert_null(strstr(text, "[key a]"), "%s", text);
	free(text);
	keyring_unref(kr);
}

Test(keyring, prune_drops_keys_past_their_retire_time)
{
	struct keyring *kr, *next;
	struct ag_error e;
	char p[160], far[400];

	gen("hs256", "p.key");
	gen("hs256", "v.key");
	gen("hs256", "r.key");
	gen("hs256", "s.key");
	mkfile("keyring.conf",
	       /* the primary signs whatever its retire time says */
	       "[key p]\nfile = p.key\nencoding = base64\nalgorithm = HS256\n"
	       "state = primary\nretire = 1000\n\n"
	       "[key v]\nfile = v.key\nencoding = base64\nalgorithm = HS256\n"
	       "retire = 1799999999\n\n"
	       "[key r]\nfile = r.key\nencoding = base64\nalgorithm = HS256\n"
	       "state = retired\nretire = 1000\n\n"
	       /* retired by hand, no time: kept */
	       "[key s]\nfile = s.key\nencoding = base64\nalgorithm = HS256\n"
	       "state = retired\n\n"
	       /* not yet */
	       "[key later]\nfile = v.key\nencoding = base64\n"
	       "algorithm = HS256\nkid = l\nretire = 1800000001\n", 0600);
	cr_assert_eq(keyring_load(manifest, 4, 86400, &kr, &e), 0, "%s", e.msg);
	cr_assert_eq(keyring_prune(kr, NOW, &next, &e), 0, "%s", e.msg);
	cr_assert_not_null(next);
	cr_assert_eq(next->generation, 4);
	cr_assert_eq(next->n, 3);
	cr_assert_str_eq(next->keys[0].name, "p");
	cr_assert_str_eq(next->keys[1].name, "s");
	cr_assert_str_eq(next->keys[2].name, "later");
	snprintf(p, sizeof p, "%s/r.key", dir);
	cr_assert_eq(access(p, F_OK), -1, "r.key stays");
	/* v is gone, but its file is later's too */
	snprintf(p, sizeof p, "%s/v.key", dir);
	cr_assert_eq(access(p, F_OK), 0, "v.key, which later uses, went");
	keyring_unref(kr);
	keyring_unref(next);

	/* a file outside the keyring's directory may be another program's:
	 * its key leaves the manifest, the file stays */
	snprintf(p, sizeof p, "%s-far.key", dir);
	cr_assert_eq(keygen_write("hs256", p, 0, &e), 0, "%s", e.msg);
	snprintf(far, sizeof far, "[key p]\nfile = p.key\nencoding = base64\n"
		 "algorithm = HS256\nstate = primary\n\n[key far]\nfile = "
		 "%s\nencoding = base64\nalgorithm = HS256\nretire = 1000\n",
		 p);
	mkfile("keyring.conf", far, 0600);
	cr_assert_eq(keyring_load(manifest, 5, 86400, &kr, &e), 0, "%s", e.msg);
	cr_assert_eq(keyring_prune(kr, NOW, &next, &e), 0, "%s", e.msg);
	cr_assert_eq(next->n, 1);
	cr_assert_eq(access(p, F_OK), 0, "a file outside the keyring went");
	cr_assert_eq(unlink(p), 0);
	keyring_unref(kr);
	/* nothing more to drop: no rewrite */
	cr_assert_eq(keyring_prune(next, NOW, &kr, &e), 0, "%s", e.msg);
	cr_assert_null(kr);
	keyring_unref(next);
}

Test(keyring, rotation_refuses_unknown_algorithms)
{
	struct keyring *kr, *next;
	struct ag_error e;
	static const char *const bad[] = { "RS999", "PSx", "none", "ES", "" };
	size_t i;

	gen("hs256", "a.key");
	mkfile("keyring.conf", "[key a]\nfile = a.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), 0, "%s", e.msg);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(rotate(kr, kr, bad[i], NOW, 60, &next, &e), -1,
			     "rotated to '%s'", bad[i]);
		cr_assert(strstr(e.msg, "cannot rotate to") != NULL, "%s", e.msg);
		cr_assert_null(next);
	}
	keyring_unref(kr);
}

Test(keyring, key_errors_name_the_file_and_the_reason)
{
	struct keyring *kr;
	struct ag_error e;

	mkfile("weak.pem", "", 0600);
	mkfile("keyring.conf", "[key w]\nfile = weak.pem\nalgorithm = HS256\n"
	       "state = primary\n", 0600);
	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1);
	cr_assert(strstr(e.msg, "weak.pem: key material must be 1 to") != NULL,
		  "%s", e.msg);
}

/* An HS key whose file holds PEM text: a public key (whoever has it
 * would forge tokens), a certificate or a damaged PEM.  Refused in every
 * state, naming the file and the key, never taken as a secret. */
Test(keyring, pem_file_is_never_an_hmac_secret)
{
	static const char *const states[] = { "primary", "verify", "retired" };
	static const char *const pems[] = {
		"tests/vectors/keys/rsa2048.spki.pem",
		"tests/vectors/keys/ecp256.spki.pem",
		"tests/vectors/keys/rsa2048.pkcs1.pub.pem",
		"tests/vectors/keys/rsa2048.cert.pem",
	};
	struct keyring *kr;
	struct ag_error e;
	char text[256];
	size_t i, s, n;
	char *pem;

	for (i = 0; i <= sizeof pems / sizeof *pems; i++) {
		if (i < sizeof pems / sizeof *pems) {
			pem = ut_read(pems[i], &n);
			mkfile("k.pem", pem, 0600);
			free(pem);
		} else {
			mkfile("k.pem", "-----BEGIN PUBLIC KEY-----\nMFkw\n", 0600);
		}
		for (s = 0; s < sizeof states / sizeof *states; s++) {
			snprintf(text, sizeof text, "[key hs0]\nfile = k.pem\n"
				 "encoding = raw\nalgorithm = HS256\nstate = %s\n",
				 states[s]);
			mkfile("keyring.conf", text, 0600);
			cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1,
				     "%s as %s HS256 loaded", i < 4 ? pems[i] :
				     "a damaged PEM", states[s]);
			cr_assert_null(kr);
			cr_assert_eq(e.code, AG_E_KEYRING);
			cr_assert(strstr(e.msg, "/k.pem: ") != NULL, "%s", e.msg);
			cr_assert(strstr(e.msg, "[key hs0]") != NULL, "%s", e.msg);
			cr_assert(strstr(e.msg, "HMAC secret") != NULL ||
				  strstr(e.msg, "not a key for HS256") != NULL,
				  "%s", e.msg);
		}
	}
}

/*
 * A Kubernetes Secret volume as the kubelet's AtomicWriter makes it:
 * the files in a timestamped directory, `..data` a link to it, and each
 * key a link through `..data`; root's, mode 0440, in our group (fsGroup).
 * An update writes a new timestamped directory, points `..data_tmp` at
 * it and renames that over `..data`, then removes the old directory.
 */
static void secret_write(const char *stamp, const char *name,
			 const char *b64)
{
	char d[160], f[200];

	snprintf(d, sizeof d, "%s/secret/%s", dir, stamp);
	cr_assert_eq(mkdir(d, 0755), 0);
	snprintf(f, sizeof f, "%s/%s", d, name);
	mkfile(f + strlen(dir) + 1, b64, 0440);
	cr_assert_eq(chown(f, 0, getegid()), 0);
}

static void secret_point(const char *stamp)
{
	cr_assert_eq(symlink(stamp, sub("secret/..data_tmp")), 0);
	cr_assert_eq(rename(sub("secret/..data_tmp"), sub("secret/..data")), 0);
}

static struct keyring *load_ok(void)
{
	struct keyring *kr;
	struct ag_error e;

	cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), 0, "%s", e.msg);
	return kr;
}

/* The token kr signs for {"u":1} at NOW: which HS secret kr holds. */
static char *token_of(struct keyring *kr)
{
	struct ag_error e;
	char *tok = sign(kr, NULL, &e);

	cr_assert_not_null(tok, "%s", e.msg);
	keyring_unref(kr);
	return tok;
}

#define SECRET_A "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=\n"
#define SECRET_B "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI=\n"
#define SECRET_MANIFEST "[key hs]\nfile = secret/hs.key\nencoding = base64\n" \
	"algorithm = HS256\nstate = primary\n"

Test(keyring, secret_volume_loads_as_mounted_and_after_an_update)
{
	char *first, *second;

	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to root");
	cr_assert_eq(mkdir(sub("secret"), 0755), 0);
	secret_write("..2026_12_07_10_00_00.123456789", "hs.key", SECRET_A);
	secret_point("..2026_12_07_10_00_00.123456789");
	cr_assert_eq(symlink("..data/hs.key", sub("secret/hs.key")), 0);
	mkfile("keyring.conf", SECRET_MANIFEST, 0600);
	first = token_of(load_ok());
	/* the kubelet's update, then a reload */
	secret_write("..2026_12_07_11_00_00.987654321", "hs.key", SECRET_B);
	secret_point("..2026_12_07_11_00_00.987654321");
	cr_assert_eq(unlink(sub("secret/..2026_12_07_10_00_00.123456789/hs.key")), 0);
	cr_assert_eq(rmdir(sub("secret/..2026_12_07_10_00_00.123456789")), 0);
	second = token_of(load_ok());
	cr_assert(strcmp(first, second) != 0, "the update's key is in use");
	free(first);
	free(second);
}

/* Each link the Secret layout does not make: refused, saying why. */
Test(keyring, secret_volume_refuses_links_it_does_not_make)
{
	static const struct {
		const char *what, *target, *why;
		mode_t mode;
		uid_t uid;
		gid_t gid;           /* (gid_t)-1: ours */
	} cases[] = {
		{ "outside, absolute", "/etc/hostname", "a symbolic link to /etc/hostname, outside ", 0, 0, 0 },
		{ "outside, by ..", "../a.key", "/a.key, outside ", 0, 0, 0 },
		{ "a loop", "loop.key", "its symbolic links loop", 0, 0, 0 },
		{ "a directory inside", "..data", "not a regular file", 0, 0, 0 },
		{ "its own directory", ".", "not a regular file", 0, 0, 0 },
		{ "dangling", "..data/none.key", "a symbolic link that cannot be followed: No such file", 0, 0, 0 },
		{ "a target of mode 0640", "..data/t.key", "readable by group or others (mode 0640)", 0640, 0, (gid_t)-1 },
		{ "a target of mode 0444", "..data/t.key", "readable by group or others (mode 0444)", 0444, 0, (gid_t)-1 },
		{ "a target in another group", "..data/t.key", "(mode 0440 only if root owns it and its group is agauthd's)", 0440, 0, 65534 },
		{ "a target of another user", "..data/t.key", "owned by nobody (uid 65534), but this agauthd runs as root", 0400, 65534, (gid_t)-1 },
		{ "a target of another user, 0440", "..data/t.key", "(mode 0440 only if root owns it", 0440, 65534, (gid_t)-1 },
	};
	struct keyring *kr;
	struct ag_error e;
	size_t i;

	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to root");
	gen("hs256", "a.key");
	cr_assert_eq(mkdir(sub("secret"), 0755), 0);
	secret_write("..2026_12_07_10_00_00.1", "t.key", SECRET_A);
	secret_point("..2026_12_07_10_00_00.1");
	cr_assert_eq(symlink("loop2.key", sub("secret/loop.key")), 0);
	cr_assert_eq(symlink("loop.key", sub("secret/loop2.key")), 0);
	mkfile("keyring.conf", SECRET_MANIFEST, 0600);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (cases[i].mode != 0) {
			cr_assert_eq(chmod(sub("secret/..data/t.key"), cases[i].mode), 0);
			cr_assert_eq(chown(sub("secret/..data/t.key"), cases[i].uid,
					   cases[i].gid == (gid_t)-1 ? getegid() :
					   cases[i].gid), 0);
		}
		unlink(sub("secret/hs.key"));
		cr_assert_eq(symlink(cases[i].target, sub("secret/hs.key")), 0);
		cr_assert_eq(keyring_load(manifest, 1, 86400, &kr, &e), -1,
			     "a link %s loaded", cases[i].what);
		cr_assert_eq(e.code, AG_E_KEYRING);
		cr_assert(strstr(e.msg, "/secret/hs.key: ") != NULL &&
			  strstr(e.msg, cases[i].why) != NULL,
			  "a link %s: %s", cases[i].what, e.msg);
	}
	/* the good one, to show the cases failed for their own reason */
	cr_assert_eq(chmod(sub("secret/..data/t.key"), 0440), 0);
	cr_assert_eq(chown(sub("secret/..data/t.key"), 0, getegid()), 0);
	unlink(sub("secret/hs.key"));
	cr_assert_eq(symlink("..data/t.key", sub("secret/hs.key")), 0);
	keyring_unref(load_ok());
}

static atomic_int swapping;

/* Flips secret/hs.key between its own target and one outside, atomically
 * (a new link renamed over it), until told to stop. */
static void *swapper(void *arg)
{
	const char *outside = arg;
	char tmp[160], link[160];
	int n = 0;

	snprintf(tmp, sizeof tmp, "%s/secret/hs.key.tmp", dir);
	snprintf(link, sizeof link, "%s/secret/hs.key", dir);
	while (atomic_load(&swapping)) {
		unlink(tmp);
		if (symlink(n++ % 2 ? "..data/hs.key" : outside, tmp) == 0)
			rename(tmp, link);
	}
	return NULL;
}

/* A link swapped between being resolved and being opened: the key
 * outside is never loaded, however the race falls. */
Test(keyring, secret_link_swapped_while_read_never_leaves_the_directory)
{
	struct keyring *kr;
	struct ag_error e;
	char outside[160], *bad, *tok;
	pthread_t t;
	int i, loaded = 0, escaped = 0;

	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to root");
	cr_assert_eq(mkdir(sub("secret"), 0755), 0);
	cr_assert_eq(mkdir(sub("out"), 0755), 0);
	secret_write("..2026_12_07_10_00_00.1", "hs.key", SECRET_A);
	secret_point("..2026_12_07_10_00_00.1");
	mkfile("out/b.key", SECRET_B, 0600);
	snprintf(outside, sizeof outside, "%s/out/b.key", dir);
	/* the token the key outside would sign */
	mkfile("keyring.conf", "[key hs]\nfile = out/b.key\nencoding = base64\n"
	       "algorithm = HS256\nstate = primary\n", 0600);
	bad = token_of(load_ok());
	cr_assert_eq(symlink("..data/hs.key", sub("secret/hs.key")), 0);
	mkfile("keyring.conf", SECRET_MANIFEST, 0600);
	atomic_store(&swapping, 1);
	cr_assert_eq(pthread_create(&t, NULL, swapper, outside), 0);
	for (i = 0; i < 3000; i++) {
		if (keyring_load(manifest, 1, 86400, &kr, &e) != 0)
			continue;
		loaded++;
		tok = token_of(kr);
		escaped += strcmp(tok, bad) == 0;
		free(tok);
	}
	atomic_store(&swapping, 0);
	pthread_join(t, NULL);
	free(bad);
	cr_assert_eq(escaped, 0, "%d of %d loads took the key outside",
		     escaped, loaded);
	cr_assert_gt(loaded, 0, "the link inside never loaded");
}

/* The kid of the key that signs at now. */
static const char *signer_at(const struct keyring *kr, double now)
{
	struct sign_req r = { .payload = "{\"u\":1}", .payload_len = 7,
			      .now = now };
	const struct kr_key *k = NULL;
	struct ag_error e;
	struct buf tok;

	buf_init(&tok, 1 << 16);
	cr_assert_eq(keyring_sign(kr, &r, &tok, NULL, &k, &e), 0, "%s", e.msg);
	buf_free(&tok);
	return k->kid;
}

#define ACT_KEYS "[key a]\nfile = a.key\nencoding = base64\n" \
	"algorithm = HS256\nstate = primary\n[key b]\nfile = b.key\n" \
	"encoding = base64\nalgorithm = HS256\nactivate = 1800000100\n" \
	"[key c]\nfile = c.key\nencoding = base64\nalgorithm = HS256\n" \
	"activate = 2027-01-15T08:03:20Z\n"

/* ACT_KEYS, loaded with a grace of 50 s. */
static struct keyring *act_keyring(void)
{
	struct keyring *kr;
	struct ag_error e;

	gen("hs256", "a.key");
	gen("hs256", "b.key");
	gen("hs256", "c.key");
	mkfile("keyring.conf", ACT_KEYS, 0600);
	cr_assert_eq(keyring_load(manifest, 1, 50, &kr, &e), 0, "%s", e.msg);
	return kr;
}

/* activate = TIME: verify-only until then, primary after, with no new
 * keyring; the key it supersedes verifies for grace more, then
 * retires.  c's instant (NOW + 200) is written as a date. */
Test(keyring, activation_chooses_the_primary_by_the_clock)
{
	struct keyring *kr = act_keyring();
	cr_assert_eq(kr->keys[2].activate, (int64_t)NOW + 200);
	cr_assert_str_eq(signer_at(kr, NOW), "a");
	cr_assert_str_eq(signer_at(kr, NOW + 99.999), "a");
	cr_assert_str_eq(signer_at(kr, NOW + 100), "b");
	cr_assert_str_eq(signer_at(kr, NOW + 199), "b");
	cr_assert_str_eq(signer_at(kr, NOW + 200), "c");
	cr_assert_eq(keyring_state_at(kr, 1, NOW), KR_VERIFY, "b pending");
	cr_assert_eq(keyring_state_at(kr, 0, NOW + 100), KR_VERIFY);
	cr_assert_eq(keyring_state_at(kr, 0, NOW + 149), KR_VERIFY);
	cr_assert_eq(keyring_state_at(kr, 0, NOW + 150), KR_RETIRED,
		     "a retires grace after b's activation");
	cr_assert_eq(keyring_state_at(kr, 1, NOW + 249), KR_VERIFY);
	cr_assert_eq(keyring_state_at(kr, 1, NOW + 250), KR_RETIRED);
	cr_assert_eq(keyring_state_at(kr, 2, NOW + 1e6), KR_PRIMARY);
	cr_assert_eq(kr->keys[0].until, (int64_t)NOW + 150);
	cr_assert_eq(kr->keys[2].until, 0, "the last one has no end");
	keyring_unref(kr);
}

/* A rewrite after an activation keeps what the clock says: a plain
 * rotation then supersedes the activated key (its activate goes, a
 * retire comes), and an activation still to come stays. */
Test(keyring, rotation_after_an_activation)
{
	struct keyring *kr = act_keyring(), *next, *again;
	struct ag_error e;
	cr_assert_eq(rotate(kr, kr, NULL, NOW + 120, 3600, &next, &e), 0,
		     "%s", e.msg);
	cr_assert_eq(next->n, 4);
	cr_assert_str_eq(signer_at(next, NOW + 120), next->keys[3].kid);
	cr_assert_eq(next->keys[1].activate, 0);
	cr_assert_eq(next->keys[1].retire, (int64_t)NOW + 250,
		     "c's activation + grace came before the rotation's");
	cr_assert_eq(next->keys[0].retire, (int64_t)NOW + 150);
	cr_assert_eq(next->keys[2].activate, (int64_t)NOW + 200);
	cr_assert_str_eq(signer_at(next, NOW + 200), "c");
	cr_assert_eq(keyring_load(manifest, 3, 50, &again, &e), 0, "%s",
		     e.msg);
	cr_assert_str_eq(signer_at(again, NOW + 120), next->keys[3].kid);
	keyring_unref(again);
	keyring_unref(next);
	keyring_unref(kr);
}

Test(keyring, activation_refused_when_it_cannot_be_meant)
{
	static const struct {
		const char *extra, *why;
	} rows[] = {
		{ "activate = soon\n", "[key b] bad activate 'soon': want "
		  "2026-11-27T10:00:00Z or seconds since the epoch" },
		{ "activate = 0\n", "[key b] bad activate '0'" },
		{ "activate = 1800000100\nretire = 1800000900\n",
		  "[key b] activate: only for a key in state verify without "
		  "retire" },
		{ "activate = 1800000100\nstate = retired\n",
		  "[key b] activate: only for a key in state verify" },
		{ "activate = 1800000100\n[key c]\nfile = b.key\n"
		  "encoding = base64\nalgorithm = HS256\n"
		  "activate = 1800000100\n",
		  "[key b] and [key c] activate at the same instant" },
	};
	struct keyring *kr;
	struct ag_error e;
	char text[512];
	size_t i;

	gen("hs256", "a.key");
	gen("hs256", "b.key");
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		snprintf(text, sizeof text, "[key a]\nfile = a.key\nencoding = "
			 "base64\nalgorithm = HS256\nstate = primary\n[key b]\n"
			 "file = b.key\nencoding = base64\nalgorithm = HS256\n"
			 "%s", rows[i].extra);
		mkfile("keyring.conf", text, 0600);
		cr_assert_eq(keyring_load(manifest, 1, 50, &kr, &e), -1,
			     "row %zu loaded", i);
		cr_assert_null(kr);
		cr_assert_not_null(strstr(e.msg, rows[i].why), "row %zu: %s",
				   i, e.msg);
		cr_assert_not_null(strstr(e.msg, manifest), "%s", e.msg);
	}
}
