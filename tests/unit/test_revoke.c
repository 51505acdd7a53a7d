/* test_revoke.c - revocation records, their check, log, prune and limits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/revoke.h"
#include "daemon/revoke_apply.h"
#include "shared/b64url.h"
#include "tests/unit/util.h"

#define NOW 1800000000.0
#define HORIZON 3600.0

static char dir[64], state[96], file[128];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/agauthd-rv-%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	/* as statedir_lock makes it */
	snprintf(state, sizeof state, "%s/state", dir);
	cr_assert_eq(mkdir(state, 0700), 0);
	snprintf(file, sizeof file, "%s/revocations", state);
}

static void teardown(void)
{
	char cmd[128];

	revoke_close();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(revoke, .init = setup, .fini = teardown);

/* An unsigned token: header and payload JSON, empty signature. */
static void mktok(char *out, size_t cap, const char *hdr, const char *payload)
{
	size_t n;

	cr_assert(B64URL_ENC_LEN(strlen(hdr)) + B64URL_ENC_LEN(strlen(payload))
		  + 3 <= cap);
	n = b64url_encode(out, (const uint8_t *)hdr, strlen(hdr));
	out[n++] = '.';
	n += b64url_encode(out + n, (const uint8_t *)payload, strlen(payload));
	out[n++] = '.';
	out[n] = '\0';
}

static void mkjwt(char *out, size_t cap, const char *payload)
{
	mktok(out, cap, "{\"alg\":\"none\",\"typ\":\"JWT\"}", payload);
}

static int check(const char *tok, struct ag_error *e)
{
	static struct jwt j;
	struct ag_error de;

	cr_assert_eq(jwt_decode(&j, tok, strlen(tok), &de), 0, "%s", de.msg);
	ag_clear(e);
	return revoke_check(&j, e);
}

static void refused(const char *tok)
{
	struct ag_error e;

	cr_assert_eq(check(tok, &e), -1, "%s is not refused", tok);
	cr_assert_eq(e.code, AG_E_REVOKED);
	cr_assert_str_eq(e.msg, "jwt revoked");
}

static void passes(const char *tok)
{
	struct ag_error e;

	cr_assert_eq(check(tok, &e), 0, "%s: %s", tok, e.msg);
}

static void add(enum revoke_kind k, const char *v, double now)
{
	struct ag_error e;

	cr_assert_eq(revoke_add(k, v, strlen(v), now, &e), REVOKE_PERSISTED,
		     "%s", e.msg);
}

static void open_at(const char *sd, double now)
{
	struct ag_error e;

	revoke_close();
	cr_assert_eq(revoke_open(sd, "sub", HORIZON, now, 0, &e), 0, "%s", e.msg);
}

static off_t fsize(void)
{
	struct stat st;

	cr_assert_eq(stat(file, &st), 0, "%s", file);
	return st.st_size;
}

static void cut(off_t len)
{
	cr_assert_eq(truncate(file, len), 0);
}

static void append(const char *text)
{
	FILE *f = fopen(file, "a");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(revoke, token)
{
	char a[256], b[256], text[256];

	open_at(NULL, NOW);
	mkjwt(a, sizeof a, "{\"sub\":\"alice\",\"n\":1}");
	mkjwt(b, sizeof b, "{\"sub\":\"alice\",\"n\":2}");
	/* no typ: a payload that is not JSON stays text, without claims */
	mktok(text, sizeof text, "{\"alg\":\"none\"}", "hello");
	passes(a);
	add(REVOKE_TOKEN, a, NOW);
	add(REVOKE_TOKEN, text, NOW);
	refused(a);
	refused(text);
	passes(b);
	cr_assert_eq(revoke_count(), 2);
}

Test(revoke, jti)
{
	char a[256], b[256], none[256], num[256];

	open_at(NULL, NOW);
	mkjwt(a, sizeof a, "{\"jti\":\"id-1\"}");
	mkjwt(b, sizeof b, "{\"jti\":\"id-2\"}");
	mkjwt(none, sizeof none, "{\"sub\":\"id-1\"}");
	mkjwt(num, sizeof num, "{\"jti\":7}");
	add(REVOKE_JTI, "id-1", NOW);
	add(REVOKE_JTI, "7", NOW);
	refused(a);
	refused(num);
	passes(b);
	passes(none);
}

Test(revoke, subject_by_issue_time)
{
	char before[256], same[256], after[256], noiat[256], textiat[256];
	char frac[256], other[256];

	open_at(NULL, NOW);
	mkjwt(before, sizeof before, "{\"sub\":\"alice\",\"iat\":1799999000}");
	mkjwt(same, sizeof same, "{\"sub\":\"alice\",\"iat\":1800000000}");
	mkjwt(after, sizeof after, "{\"sub\":\"alice\",\"iat\":1800000001}");
	/* after the revocation's second, though not after the revocation */
	mkjwt(frac, sizeof frac, "{\"sub\":\"alice\",\"iat\":1800000000.3}");
	mkjwt(noiat, sizeof noiat, "{\"sub\":\"alice\"}");
	mkjwt(textiat, sizeof textiat, "{\"sub\":\"alice\",\"iat\":\"later\"}");
	mkjwt(other, sizeof other, "{\"sub\":\"bob\",\"iat\":1799999000}");
	/* revoked in the middle of second NOW: its tokens go too */
	add(REVOKE_SUBJECT, "alice", NOW + 0.5);
	refused(before);
	refused(same);
	refused(noiat);
	refused(textiat);
	passes(after);
	passes(frac);
	passes(other);
}

Test(revoke, numeric_subject)
{
	char a[256], b[256];

	open_at(NULL, NOW);
	mkjwt(a, sizeof a, "{\"sub\":123}");
	mkjwt(b, sizeof b, "{\"sub\":1234}");
	add(REVOKE_SUBJECT, "123", NOW);
	refused(a);
	passes(b);
}

Test(revoke, subject_again_keeps_the_latest)
{
	char mid[256];

	open_at(state, NOW);
	mkjwt(mid, sizeof mid, "{\"sub\":\"alice\",\"iat\":1800000050}");
	add(REVOKE_SUBJECT, "alice", NOW);
	passes(mid);
	add(REVOKE_SUBJECT, "alice", NOW + 100);
	refused(mid);
	/* an older revocation arriving late narrows nothing */
	add(REVOKE_SUBJECT, "alice", NOW + 10);
	refused(mid);
	cr_assert_eq(revoke_count(), 1);
	open_at(state, NOW + 200);
	refused(mid);
	/* pruned by the latest revocation's horizon, not the last one's */
	revoke_prune(NOW + 10 + HORIZON);
	refused(mid);
	revoke_prune(NOW + 100 + HORIZON);
	passes(mid);
}

/* tok with sig as its signature. */
static void sign_as(char *tok, size_t cap, const char *sig)
{
	char *dot = strrchr(tok, '.');

	cr_assert_lt((size_t)(dot + 1 - tok) + strlen(sig), cap);
	strcpy(dot + 1, sig);
}

/*
 * A token's identity is its signing input: another spelling of its
 * signature (ECDSA's n - s, which jsonwebtoken accepts; a PSS signature
 * made again) is the same token and stays revoked.  Records of kind
 * token that a log already holds (the whole token, as earlier daemons
 * wrote them) cover every spelling once loaded.
 */
Test(revoke, token_identity_is_its_signing_input)
{
	char t[256], t2[256], other[256];

	mkjwt(t, sizeof t, "{\"sub\":\"root\",\"admin\":true}");
	strcpy(t2, t);
	sign_as(t, sizeof t, "c3BlbGxpbmctb25l");
	sign_as(t2, sizeof t2, "c3BlbGxpbmctdHdv");
	mkjwt(other, sizeof other, "{\"sub\":\"root\",\"admin\":false}");
	sign_as(other, sizeof other, "c3BlbGxpbmctb25l");
	open_at(state, NOW);
	add(REVOKE_TOKEN, t, NOW);
	refused(t);
	refused(t2);
	passes(other);
	/* the record as the log holds it, loaded by the next daemon */
	open_at(state, NOW + 1);
	refused(t2);
	passes(other);
	cr_assert_eq(revoke_count(), 1);
	/* both spellings revoked are one record */
	add(REVOKE_TOKEN, t2, NOW + 2);
	cr_assert_eq(revoke_count(), 1);
}

Test(revoke, persists_across_restarts)
{
	char t[256], j[256], s[256];
	struct stat st;

	mkjwt(t, sizeof t, "{\"n\":1}");
	mkjwt(j, sizeof j, "{\"jti\":\"x\"}");
	mkjwt(s, sizeof s, "{\"sub\":\"carol\",\"iat\":1}");
	open_at(state, NOW);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	add(REVOKE_TOKEN, t, NOW);
	add(REVOKE_JTI, "x", NOW);
	add(REVOKE_SUBJECT, "carol", NOW);
	revoke_close();
	revoke_close();
	passes(t);
	open_at(state, NOW + 1);
	cr_assert_eq(revoke_count(), 3);
	refused(t);
	refused(j);
	refused(s);
}

Test(revoke, file_format)
{
	char *text;
	size_t n;

	open_at(state, NOW);
	add(REVOKE_JTI, "ab?", NOW + 0.25);
	text = ut_read(file, &n);
	cr_assert_eq(strncmp(text, "v1 j 1800000000250 1800003600250 YWI_ ",
			     38), 0, "%s", text);
	cr_assert_eq(n, 38 + 8 + 1, "%s", text);
	cr_assert_eq(text[n - 1], '\n');
	free(text);
}

Test(revoke, prune_drops_expired_records)
{
	char exp[256], noexp[256], j[256];

	mkjwt(exp, sizeof exp, "{\"exp\":1800000005}");
	mkjwt(noexp, sizeof noexp, "{\"n\":1}");
	mkjwt(j, sizeof j, "{\"jti\":\"a\"}");
	open_at(state, NOW);
	add(REVOKE_TOKEN, exp, NOW);
	add(REVOKE_TOKEN, noexp, NOW);
	add(REVOKE_JTI, "a", NOW);
	revoke_prune(NOW + 4);
	cr_assert_eq(revoke_count(), 3);
	revoke_prune(NOW + 5);
	cr_assert_eq(revoke_count(), 2);
	passes(exp);
	refused(j);
	open_at(state, NOW + HORIZON);
	/* expired at load: dropped there too */
	cr_assert_eq(revoke_count(), 1);
	passes(j);
	refused(noexp);
	revoke_prune(1e12);
	refused(noexp);
}

Test(revoke, prune_keeps_the_rest_findable)
{
	char v[32], tok[256], p[64];
	int i;

	open_at(NULL, NOW);
	for (i = 0; i < 3000; i++) {
		snprintf(v, sizeof v, "id-%d", i);
		add(REVOKE_JTI, v, i % 3 ? NOW : NOW + 100);
	}
	cr_assert_eq(revoke_count(), 3000);
	revoke_prune(NOW + HORIZON + 50);
	cr_assert_eq(revoke_count(), 1000);
	for (i = 0; i < 3000; i++) {
		snprintf(p, sizeof p, "{\"jti\":\"id-%d\"}", i);
		mkjwt(tok, sizeof tok, p);
		if (i % 3)
			passes(tok);
		else
			refused(tok);
	}
}

/* Opens at NOW and revokes jti old-0 .. old-(n-1). */
static void add_old(int n)
{
	char v[32];
	int i;

	open_at(state, NOW);
	for (i = 0; i < n; i++) {
		snprintf(v, sizeof v, "old-%d", i);
		add(REVOKE_JTI, v, NOW);
	}
}

Test(revoke, compacts_the_file)
{
	char tok[256], *text;
	size_t n;
	off_t full;

	add_old(100);
	add(REVOKE_JTI, "new", NOW + 1000);
	add(REVOKE_JTI, "new", NOW + 1001);
	full = fsize();
	revoke_prune(NOW + HORIZON + 1);
	cr_assert_eq(revoke_count(), 1);
	cr_assert_lt(fsize(), full / 50, "%lld of %lld", (long long)fsize(),
		     (long long)full);
	/* one line for a value revoked twice: the later */
	text = ut_read(file, &n);
	cr_assert_eq(strncmp(text, "v1 j 1800001001000 ", 19), 0, "%s", text);
	cr_assert_eq(strchr(text, '\n'), text + n - 1, "%s", text);
	free(text);
	/* appends go on after the compaction */
	add(REVOKE_JTI, "newer", NOW + 1000);
	open_at(state, NOW + HORIZON + 1);
	cr_assert_eq(revoke_count(), 2);
	mkjwt(tok, sizeof tok, "{\"jti\":\"new\"}");
	refused(tok);
	mkjwt(tok, sizeof tok, "{\"jti\":\"newer\"}");
	refused(tok);
	mkjwt(tok, sizeof tok, "{\"jti\":\"old-1\"}");
	passes(tok);
}

Test(revoke, open_compacts)
{
	off_t full;

	add_old(100);
	full = fsize();
	open_at(state, NOW + HORIZON + 1);
	cr_assert_eq(revoke_count(), 0);
	cr_assert_lt(fsize(), full);
	cr_assert_eq(fsize(), 0);
}

/* Opens state and expects a refusal whose message has want in it. */
static void refuses(const char *want)
{
	struct ag_error e;

	revoke_close();
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, 0, &e), -1,
		     "opened a log that should be refused (%s)", want);
	cr_assert_eq(e.code, AG_E_STATE);
	cr_assert(strstr(e.msg, want) != NULL, "%s", e.msg);
	cr_assert_eq(revoke_count(), 0);
}

/* Flips bit `bit` of the byte at offset off of the log. */
static void flip(off_t off, int bit)
{
	FILE *f = fopen(file, "r+");
	int c;

	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, off, SEEK_SET), 0);
	c = fgetc(f);
	cr_assert_neq(c, EOF);
	cr_assert_eq(fseek(f, off, SEEK_SET), 0);
	fputc(c ^ (1 << bit), f);
	fclose(f);
}

Test(revoke, torn_last_record_is_dropped)
{
	char a[256], b[256], c[256];
	off_t two, three;
	int i;

	mkjwt(a, sizeof a, "{\"jti\":\"a\"}");
	mkjwt(b, sizeof b, "{\"jti\":\"b\"}");
	mkjwt(c, sizeof c, "{\"jti\":\"c\"}");
	open_at(state, NOW);
	add(REVOKE_JTI, "a", NOW);
	add(REVOKE_JTI, "b", NOW);
	two = fsize();
	add(REVOKE_JTI, "c", NOW);
	three = fsize();
	revoke_close();

	/* a crash in the middle of the last append, at every byte before
	 * its checksum ends: never acknowledged, so cut */
	for (i = 2; i < three - two; i++) {
		cut(three - i);
		open_at(state, NOW);
		cr_assert_eq(fsize(), two, "cut %d bytes short", i);
		refused(a);
		refused(b);
		passes(c);
		add(REVOKE_JTI, "c", NOW);
		cr_assert_eq(fsize(), three);
		revoke_close();
	}
	cut(two);

	/* garbage without a newline */
	append("v1 j 18000");
	open_at(state, NOW);
	cr_assert_eq(fsize(), two);
	cr_assert_eq(revoke_count(), 2);
	revoke_close();

	/* zeros where an append's last bytes never reached the disk, after
	 * part of a record or after all of it but its newline */
	append("v1 j 1800000000000 1800003600000 Yw 0");
	cr_assert_eq(truncate(file, fsize() + 20), 0);
	open_at(state, NOW);
	cr_assert_eq(fsize(), two);
	add(REVOKE_JTI, "c", NOW);
	revoke_close();
	cut(three - 1);
	cr_assert_eq(truncate(file, three + 3), 0);
	open_at(state, NOW);
	cr_assert_eq(fsize(), two);
	cr_assert_eq(revoke_count(), 2);
	passes(c);
}

/* The last record, whole but for its newline: in force, and mended so
 * that the next append starts a line of its own. */
Test(revoke, whole_last_record_without_its_newline_stays)
{
	char b[256], c[256];
	off_t two;

	mkjwt(b, sizeof b, "{\"jti\":\"b\"}");
	mkjwt(c, sizeof c, "{\"jti\":\"c\"}");
	open_at(state, NOW);
	add(REVOKE_JTI, "a", NOW);
	add(REVOKE_JTI, "b", NOW);
	two = fsize();
	revoke_close();
	cut(two - 1);
	open_at(state, NOW);
	refused(b);
	cr_assert_eq(revoke_count(), 2);
	cr_assert_eq(fsize(), two, "the newline is back");
	add(REVOKE_JTI, "c", NOW);
	open_at(state, NOW);
	cr_assert_eq(revoke_count(), 3);
	refused(b);
	refused(c);
}

/* A whole record that does not check out is damage wherever it is, the
 * last line included: cutting it would un-revoke silently. */
Test(revoke, damaged_last_record_refuses_to_start)
{
	char b[256], want[160];
	off_t one, two, bit;

	mkjwt(b, sizeof b, "{\"jti\":\"b\"}");
	open_at(state, NOW);
	add(REVOKE_JTI, "a", NOW);
	one = fsize();
	add(REVOKE_JTI, "b", NOW);
	two = fsize();
	revoke_close();
	snprintf(want, sizeof want, "revocations: line 2 (byte %lld) is "
		 "damaged", (long long)one);
	/* any one bit of the last line, its newline and checksum included */
	for (bit = one * 8; bit < two * 8; bit++) {
		flip(bit / 8, (int)(bit % 8));
		refuses(want);
		flip(bit / 8, (int)(bit % 8));
	}
	/* the same without the newline */
	cut(two - 1);
	flip(one + 10, 0);
	refuses(want);
	refuses("is damaged: its checksum does not match; agauthd will not "
		"start rather than forget a revocation: restore the file from "
		"a backup, or delete that line");
	flip(one + 10, 0);
	/* a checksum with a byte too many, without a newline */
	cut(one);
	append("v1 j 1 1 Yw 00000000 ");
	refuses(want);
	cut(one);
	open_at(state, NOW);
	passes(b);
}

Test(revoke, damage_before_good_records_refuses_to_start)
{
	struct ag_error e;
	FILE *f;

	open_at(state, NOW);
	add(REVOKE_JTI, "a", NOW);
	add(REVOKE_JTI, "b", NOW);
	revoke_close();
	/* "a" is YQ: make it "c" (Yw), so that its sum no longer fits */
	f = fopen(file, "r+");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 34, SEEK_SET), 0);
	cr_assert_eq(fgetc(f), 'Q');
	cr_assert_eq(fseek(f, 34, SEEK_SET), 0);
	fputc('w', f);
	fclose(f);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, 0, &e), -1);
	cr_assert_eq(e.code, AG_E_STATE);
	cr_assert(strstr(e.msg, "revocations: line 1 (byte 0) is damaged") !=
		  NULL, "%s", e.msg);
	cr_assert_eq(revoke_count(), 0);
}

/* REVOKE_CHECK (agauthd -t) reads what a start would, refuses what a
 * start would, and writes nothing: not the directory, not a cut, not a
 * newline. */
Test(revoke, check_only_writes_nothing)
{
	struct ag_error e;
	char b[256], *before, *after;
	size_t n, m;
	off_t two;
	int i;

	mkjwt(b, sizeof b, "{\"jti\":\"b\"}");
	/* nothing there yet is no error, and makes nothing */
	cr_assert_eq(rmdir(state), 0);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, REVOKE_CHECK,
				 &e), 0, "%s", e.msg);
	cr_assert_eq(access(state, F_OK), -1);
	cr_assert_eq(mkdir(state, 0700), 0);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, REVOKE_CHECK,
				 &e), 0, "%s", e.msg);
	cr_assert_eq(access(file, F_OK), -1);

	open_at(state, NOW);
	add(REVOKE_JTI, "a", NOW);
	add(REVOKE_JTI, "b", NOW);
	two = fsize();
	revoke_close();
	/* a torn tail stays, and so does a missing newline */
	for (i = 0; i < 2; i++) {
		if (i == 0)
			append("v1 j 18");
		else
			cut(two - 1);
		before = ut_read(file, &n);
		cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW,
					 REVOKE_CHECK, &e), 0, "%s", e.msg);
		cr_assert_eq(revoke_count(), 2);
		refused(b);
		after = ut_read(file, &m);
		cr_assert(m == n && memcmp(before, after, n) == 0,
			  "-t changed the log");
		free(before);
		free(after);
		revoke_close();
		cut(two);
	}

	/* damage: refused as a start refuses it */
	revoke_close();
	flip(3, 1);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, REVOKE_CHECK,
				 &e), -1);
	cr_assert(strstr(e.msg, "line 1 (byte 0) is damaged") != NULL, "%s",
		  e.msg);
	flip(3, 1);
	/* and so are a directory and a log others may write */
	cr_assert_eq(chmod(state, 0777), 0);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, REVOKE_CHECK,
				 &e), -1);
	cr_assert(strstr(e.msg, "/state: writable by others") != NULL, "%s",
		  e.msg);
	cr_assert_eq(chmod(state, 0700), 0);
	cr_assert_eq(chmod(file, 0602), 0);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, REVOKE_CHECK,
				 &e), -1);
	cr_assert(strstr(e.msg, "revocations: writable by others") != NULL,
		  "%s", e.msg);
}

/* Files this process writes may grow to `size` bytes, no further (as on
 * a full filesystem) until unlimit_file. */
static void limit_file(off_t size, struct rlimit *old)
{
	struct rlimit low;

	cr_assert_eq(getrlimit(RLIMIT_FSIZE, old), 0);
	low = *old;
	low.rlim_cur = (rlim_t)size;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &low), 0);
}

static void unlimit_file(const struct rlimit *old)
{
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, old), 0);
	signal(SIGXFSZ, SIG_DFL);
}

Test(revoke, write_failure_keeps_the_record_and_the_file)
{
	char a[256], b[256], c[256], *before, *after;
	struct rlimit old;
	struct ag_error e;
	size_t n, m;
	off_t len;

	mkjwt(a, sizeof a, "{\"jti\":\"a\"}");
	mkjwt(b, sizeof b, "{\"jti\":\"b\"}");
	mkjwt(c, sizeof c, "{\"jti\":\"c\"}");
	open_at(state, NOW);
	add(REVOKE_JTI, "a", NOW);
	len = fsize();
	before = ut_read(file, &n);

	/* the file may grow by 10 bytes: the append is torn, then refused */
	limit_file(len + 10, &old);
	cr_assert_eq(revoke_add(REVOKE_JTI, "b", 1, NOW, &e),
		     REVOKE_IN_FORCE_NOT_PERSISTED);
	unlimit_file(&old);

	cr_assert_eq(e.code, AG_E_STATE);
	cr_assert(strstr(e.msg, "revoked, but not persisted: ") == e.msg &&
		  strstr(e.msg, "/revocations: File too large") != NULL,
		  "%s", e.msg);
	refused(b);
	after = ut_read(file, &m);
	cr_assert_eq(m, n);
	cr_assert_eq(memcmp(before, after, n), 0);
	free(before);
	free(after);

	/* the next append that works writes both */
	add(REVOKE_JTI, "c", NOW);
	open_at(state, NOW);
	cr_assert_eq(revoke_count(), 3);
	refused(a);
	refused(b);
	refused(c);
}

Test(revoke, limits)
{
	struct ag_error e;
	char *big = malloc(AG_REVOKE_VALUE_MAX + 1);

	cr_assert_not_null(big);
	memset(big, 'x', AG_REVOKE_VALUE_MAX + 1);
	open_at(state, NOW);
	cr_assert_eq(revoke_add(REVOKE_JTI, "", 0, NOW, &e), REVOKE_REFUSED);
	cr_assert_eq(e.code, AG_E_INPUT_LIMIT);
	cr_assert_str_eq(e.msg, "empty jti revocation");
	cr_assert_eq(revoke_add(REVOKE_TOKEN, big, AG_REVOKE_VALUE_MAX + 1,
				NOW, &e), REVOKE_REFUSED);
	cr_assert_eq(e.code, AG_E_INPUT_LIMIT);
	cr_assert(strstr(e.msg, "token revocation longer than") != NULL,
		  "%s", e.msg);
	cr_assert_null(strstr(e.msg, "xxxx"), "no token bytes in messages");
	cr_assert_eq(revoke_count(), 0);
	/* the longest value goes through the log and back */
	cr_assert_eq(revoke_add(REVOKE_SUBJECT, big, AG_REVOKE_VALUE_MAX, NOW,
				&e), REVOKE_PERSISTED, "%s", e.msg);
	open_at(state, NOW);
	cr_assert_eq(revoke_count(), 1);
	free(big);
}

Test(revoke, refuses_a_log_others_may_write)
{
	struct ag_error e;
	char real[96];

	open_at(state, NOW);
	revoke_close();
	cr_assert_eq(chmod(file, 0662), 0);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, 0, &e), -1);
	cr_assert_eq(e.code, AG_E_STATE);
	cr_assert(strstr(e.msg, "revocations: writable by others") != NULL,
		  "%s", e.msg);
	/* a directory others may write lets them swap the log */
	cr_assert_eq(chmod(file, 0600), 0);
	cr_assert_eq(chmod(state, 0777), 0);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, 0, &e), -1);
	cr_assert(strstr(e.msg, "/state: writable by others") != NULL,
		  "%s", e.msg);
	cr_assert_eq(chmod(state, 0700), 0);
	open_at(state, NOW);
	revoke_close();
	/* nor a log reached through a link */
	snprintf(real, sizeof real, "%s/real", dir);
	cr_assert_eq(rename(file, real), 0);
	cr_assert_eq(symlink(real, file), 0);
	cr_assert_eq(revoke_open(state, "sub", HORIZON, NOW, 0, &e), -1);
	cr_assert_eq(e.code, AG_E_STATE);
}

Test(revoke, kind_names)
{
	cr_assert_str_eq(revoke_kind_name(REVOKE_TOKEN), "token");
	cr_assert_str_eq(revoke_kind_name(REVOKE_JTI), "jti");
	cr_assert_str_eq(revoke_kind_name(REVOKE_SUBJECT), "subject");
	cr_assert_eq(revoke_kind_parse("token", 5), REVOKE_TOKEN);
	cr_assert_eq(revoke_kind_parse("jti", 3), REVOKE_JTI);
	cr_assert_eq(revoke_kind_parse("subject", 7), REVOKE_SUBJECT);
	cr_assert_eq(revoke_kind_parse("sub", 3), REVOKE_SUBJECT);
	cr_assert_eq(revoke_kind_parse("subj", 4), -1);
	/* n bounds the name */
	cr_assert_eq(revoke_kind_parse("tokens", 5), REVOKE_TOKEN);
	cr_assert_eq(revoke_kind_parse("tok", 3), -1);
}

Test(revoke, subject_claim_is_configurable)
{
	struct ag_error e;
	char tok[256];

	cr_assert_eq(revoke_open(NULL, "uid", HORIZON, NOW, 0, &e), 0, "%s",
		     e.msg);
	mkjwt(tok, sizeof tok, "{\"uid\":\"alice\",\"sub\":\"bob\"}");
	add(REVOKE_SUBJECT, "bob", NOW);
	passes(tok);
	add(REVOKE_SUBJECT, "alice", NOW);
	refused(tok);
}

Test(revoke, table_is_bounded)
{
	struct ag_error e;
	char v[32];
	int i;

	revoke_close();
	cr_assert_eq(revoke_add(REVOKE_JTI, "a", 1, NOW, &e), REVOKE_REFUSED);
	cr_assert_eq(e.code, AG_E_STATE, "not before revoke_open");
	open_at(NULL, NOW);
	for (i = 0; i < AG_REVOKE_MAX; i++) {
		snprintf(v, sizeof v, "%d", i);
		cr_assert_eq(revoke_add(REVOKE_JTI, v, strlen(v), NOW, &e),
			     REVOKE_PERSISTED);
	}
	cr_assert_eq(revoke_add(REVOKE_JTI, "full", 4, NOW, &e),
		     REVOKE_REFUSED);
	cr_assert_eq(e.code, AG_E_INPUT_LIMIT);
	cr_assert_eq(revoke_count(), AG_REVOKE_MAX);
	/* a value already revoked is revoked again */
	add(REVOKE_JTI, "7", NOW + 1);
}

/* revoke_apply: what the revoke op (and the fleet's replication) calls.
 * No cache is open and nobody watches here: test_cache.c covers the
 * purges by kind, the integration suite the events. */
Test(revoke, apply_persisted)
{
	char a[256];
	struct ag_error e;
	size_t purged = 1;

	mkjwt(a, sizeof a, "{\"jti\":\"a\"}");
	open_at(state, NOW);
	cr_assert_eq(revoke_apply(REVOKE_JTI, "a", 1, NOW, NULL, &purged, &e),
		     REVOKE_PERSISTED, "%s", e.msg);
	cr_assert_eq(purged, 0);
	refused(a);
	open_at(state, NOW);
	refused(a);
}

Test(revoke, apply_in_force_though_the_log_is_full)
{
	char a[256];
	struct rlimit old;
	struct ag_error e;
	size_t purged = 1;

	mkjwt(a, sizeof a, "{\"jti\":\"a\"}");
	open_at(state, NOW);
	limit_file(fsize(), &old);
	cr_assert_eq(revoke_apply(REVOKE_JTI, "a", 1, NOW, NULL, &purged, &e),
		     REVOKE_IN_FORCE_NOT_PERSISTED);
	unlimit_file(&old);
	cr_assert_eq(e.code, AG_E_STATE);
	cr_assert(strstr(e.msg, "revoked, but not persisted: ") == e.msg,
		  "%s", e.msg);
	cr_assert_eq(purged, 0);
	/* in force all the same, until a restart */
	refused(a);
	open_at(state, NOW);
	passes(a);
}

/* A revocation that is not in force must not be told as one: before the
 * store is loaded its error is AG_E_STATE too, which op_revoke used to
 * take for "in force, not persisted" (and purge and publish). */
Test(revoke, apply_refused_is_never_in_force)
{
	char a[256];
	struct ag_error e;
	size_t purged = 1;

	mkjwt(a, sizeof a, "{\"jti\":\"a\"}");
	revoke_close();
	cr_assert_eq(revoke_apply(REVOKE_JTI, "a", 1, NOW, NULL, &purged, &e),
		     REVOKE_REFUSED);
	cr_assert_eq(purged, 0);
	cr_assert_str_eq(e.msg, "revocations are not loaded");
	open_at(state, NOW);
	cr_assert_eq(revoke_apply(REVOKE_SUBJECT, "", 0, NOW, NULL, &purged, &e),
		     REVOKE_REFUSED);
	cr_assert_eq(e.code, AG_E_INPUT_LIMIT);
	cr_assert_eq(revoke_count(), 0);
	passes(a);
}
