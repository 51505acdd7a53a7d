/*
 * revoke.c - revocations: an open-addressing table of keyed 128-bit hashes
 * for the check on every verify, and an append-only log so that they
 * survive restarts.
 *
 * The log, state_dir/revocations, holds one record a line:
 *
 *   v1 <t|j|s> <revoked_at_ms> <prune_at_ms> <value> <sum>\n
 *
 * t, j, s: token, jti, subject; the times are decimal milliseconds since
 * the epoch (prune_at 0: never); value is base64url without padding (the
 * strict form: one value, one spelling); sum is XXH32 (seed 0) of every
 * byte before it, its space included, as 8 lowercase hex digits.  A later
 * line for the same value supersedes nothing: records merge (latest
 * revocation, latest prune time).
 *
 * A crash in the middle of an append leaves a last line cut short before
 * the end of its checksum, and without its newline: that record was never
 * acknowledged (the fsync comes after the whole line), and it is cut off,
 * with a line in the log.  Any other line that does not check out, the
 * last one included, is damage: the daemon refuses to start rather than
 * forget a revocation.  A whole last record that lost only its newline
 * is kept, and given its newline back.
 */
#include "daemon/revoke.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "daemon/log.h"
#include "daemon/statedir.h"
#include "shared/b64url.h"
#include "shared/buf.h"
#include "shared/claims.h"
#include "shared/fields.h"
#include "shared/limits.h"

#define REVOKE_MIN_CAP     64          /* slots of a fresh table */
#define REVOKE_COMPACT_MIN 64          /* lines before compaction pays */
#define REVOKE_CHUNK       (1 << 20)   /* compaction writes this much */
/* Times the log holds: below 1e12 s (the year 33658), so that the
 * milliseconds fit REVOKE_MS_DIGITS digits and a double holds them
 * exactly. */
#define REVOKE_TIME_MAX    1e12
#define REVOKE_MS_DIGITS   15
#define REVOKE_SUM_LEN     8
#define REVOKE_B64_MAX     B64URL_ENC_LEN(AG_REVOKE_VALUE_MAX)
#define REVOKE_VAL_CAP     B64URL_DEC_MAX(REVOKE_B64_MAX)
/* "v1 k " + two times and their spaces + value + " " + sum + "\n" */
#define REVOKE_LINE_MAX    (5 + 2 * (REVOKE_MS_DIGITS + 1) + \
			    REVOKE_B64_MAX + 1 + REVOKE_SUM_LEN + 1)

_Static_assert(AG_REVOKE_PENDING_MAX >= REVOKE_LINE_MAX,
	       "the queue must hold a record");

struct revoke_rec {
	XXH128_hash_t h;        /* of (kind byte || value), seeded */
	double revoked_at;      /* seconds */
	double prune_at;        /* seconds; 0: never */
	uint64_t serial;        /* the revoke_add that made it, or last
				 * merged into it (revoke_serial); 0: loaded */
	unsigned char used;
	unsigned char kind;     /* enum revoke_kind */
	unsigned char mark;     /* written by the compaction under way */
};

static const char *const revoke_names[] = { "token", "jti", "subject" };
static const char revoke_letters[] = "tjs";

static struct revoke_rec *revoke_tab;
static size_t revoke_cap;               /* slots, a power of two, or 0 */
static size_t revoke_n;                 /* records */
static size_t revoke_nkind[3];          /* records of each kind */
static XXH64_hash_t revoke_seed;
static XXH3_state_t revoke_xs;          /* keeps the seed's secret */
static int revoke_ready;                /* between open and close */
static uint64_t revoke_serial_n;        /* revoke_adds since the start */
static double revoke_subject_last;      /* the latest subject revocation */
static char revoke_subjects[AG_SUBJECT_CLAIMS_LEN]; /* claims_subject's */
static double revoke_horizon;
static struct buf revoke_text;          /* a claim's text, kept across checks */
static struct jwt revoke_jwt;           /* a revoked token's decode */

static char revoke_dir[PATH_MAX];
static char revoke_path[PATH_MAX + 16];
static int revoke_fd = -1;              /* -1: memory only */
static off_t revoke_flen;               /* bytes of whole records */
static size_t revoke_lines;             /* its lines, live or not */
static int revoke_unsynced;             /* its rename may not be durable */
static int revoke_check_only;           /* REVOKE_CHECK: nothing is written */
static struct buf revoke_pending;       /* lines the file still lacks */
static size_t revoke_npending;

/*
 * The record's key: the value, or for a token its identity, its signing
 * input (header.payload).  A token's signature has more than one spelling
 * that verifies (ECDSA's s and n - s, PSS's random salt): a revocation
 * that named the signature bytes would let another spelling through.
 * Records of kind token keep the whole token in the log (older logs did
 * too) and are matched by its signing input when loaded.
 */
static XXH128_hash_t revoke_hash(enum revoke_kind k, const char *v, size_t n)
{
	unsigned char kb = (unsigned char)k;

	if (k == REVOKE_TOKEN && jwt_signing_len(v, n) != 0)
		n = jwt_signing_len(v, n);

	/* same seed as last time: the reset keeps the derived secret */
	XXH3_128bits_reset_withSeed(&revoke_xs, revoke_seed);
	XXH3_128bits_update(&revoke_xs, &kb, 1);
	XXH3_128bits_update(&revoke_xs, v, n);
	return XXH3_128bits_digest(&revoke_xs);
}

/* The slot holding h, or the empty one where it would go. */
static size_t revoke_slot(XXH128_hash_t h)
{
	size_t mask = revoke_cap - 1, i = (size_t)h.low64 & mask;

	while (revoke_tab[i].used && !XXH128_isEqual(revoke_tab[i].h, h))
		i = (i + 1) & mask;
	return i;
}

static struct revoke_rec *revoke_lookup(XXH128_hash_t h)
{
	struct revoke_rec *t;

	if (revoke_n == 0)
		return NULL;
	t = &revoke_tab[revoke_slot(h)];
	return t->used ? t : NULL;
}

static const struct revoke_rec *revoke_find(enum revoke_kind k,
					    const char *v, size_t n)
{
	if (revoke_nkind[k] == 0 || n == 0)
		return NULL;
	return revoke_lookup(revoke_hash(k, v, n));
}

static int revoke_grow(void)
{
	size_t i, oldcap = revoke_cap;
	size_t cap = oldcap ? oldcap * 2 : REVOKE_MIN_CAP;
	struct revoke_rec *old = revoke_tab, *t = calloc(cap, sizeof *t);

	if (t == NULL)
		return -1;
	revoke_tab = t;
	revoke_cap = cap;
	for (i = 0; i < oldcap; i++)
		if (old[i].used)
			revoke_tab[revoke_slot(old[i].h)] = old[i];
	free(old);
	return 0;
}

/* Two revocations of one value cover what either does. */
static void revoke_merge(struct revoke_rec *t, const struct revoke_rec *r)
{
	t->revoked_at = fmax(t->revoked_at, r->revoked_at);
	t->prune_at = t->prune_at == 0 || r->prune_at == 0 ? 0 :
		      fmax(t->prune_at, r->prune_at);
	t->serial = r->serial > t->serial ? r->serial : t->serial;
}

/* Puts r in force: a new record, or merged into the one it repeats. */
static int revoke_put(const struct revoke_rec *r, struct ag_error *e)
{
	struct revoke_rec *t = revoke_lookup(r->h);

	if (t != NULL) {
		revoke_merge(t, r);
		return 0;
	}
	/* memory is bounded: a full table refuses rather than grows */
	if (revoke_n >= AG_REVOKE_MAX)
		return ag_fail(e, AG_E_INPUT_LIMIT, "more than %d revocations",
			       AG_REVOKE_MAX);
	if ((revoke_n + 1) * 4 > revoke_cap * 3 && revoke_grow() != 0)
		return ag_fail(e, AG_E_NOMEM, NULL);
	t = &revoke_tab[revoke_slot(r->h)];
	*t = *r;
	t->used = 1;
	revoke_n++;
	revoke_nkind[r->kind]++;
	return 0;
}

/* r is in force: the quick answer of revoke_resign_at follows it. */
static void revoke_note(const struct revoke_rec *r)
{
	if (r->kind == REVOKE_SUBJECT)
		revoke_subject_last = fmax(revoke_subject_last, r->revoked_at);
}

/* Empties slot i and moves back the records that probed past it
 * (backward-shift deletion: linear probing without tombstones). */
static void revoke_del(size_t i)
{
	size_t mask = revoke_cap - 1, j = i, home;

	revoke_nkind[revoke_tab[i].kind]--;
	revoke_n--;
	for (;;) {
		j = (j + 1) & mask;
		if (!revoke_tab[j].used)
			break;
		home = (size_t)revoke_tab[j].h.low64 & mask;
		/* it stays if its home lies after i */
		if (((j - home) & mask) < ((j - i) & mask))
			continue;
		revoke_tab[i] = revoke_tab[j];
		i = j;
	}
	revoke_tab[i].used = 0;
}

static int revoke_dead(const struct revoke_rec *r, double now)
{
	return r->prune_at != 0 && r->prune_at <= now;
}

/* t on the log's millisecond grid, so that it reads back the same: down
 * for a revocation (its second must not move), up for a prune time (late
 * is safe).  0 if the log cannot hold it (for prune_at: never). */
static double revoke_time(double t, int up)
{
	if (!(t > 0 && t < REVOKE_TIME_MAX))
		return 0;
	return (up ? ceil(t * 1000) : floor(t * 1000)) / 1000;
}

/* A token's exp: 1 and *exp, 0 if it has none (or not a number), -1 if
 * it is no JSON-payload token at all. */
static int revoke_exp(const char *v, size_t n, double *exp)
{
	const struct json_doc *p = &revoke_jwt.pdoc;
	int x;

	if (jwt_decode(&revoke_jwt, v, n, NULL) != 0 ||
	    revoke_jwt.kind != JWT_PAYLOAD_JSON ||
	    json_type(p, 0) != JSON_OBJECT)
		return -1;
	x = json_get(p, 0, "exp");
	if (json_type(p, x) != JSON_NUMBER)
		return 0;
	*exp = json_num(p, x);
	return 1;
}

/* When every token the record covers has expired. */
static double revoke_prune_at(enum revoke_kind k, const char *v, size_t n,
			      double now)
{
	double exp;

	if (k != REVOKE_TOKEN)
		return revoke_time(now + revoke_horizon, 1);
	/* a token that does not decode or lacks a numeric exp never
	 * expires, so its record is kept */
	return revoke_exp(v, n, &exp) == 1 ? revoke_time(exp, 1) : 0;
}

int revoke_token_live(const char *tok, size_t n, double now)
{
	double exp;
	int rc = revoke_exp(tok, n, &exp);

	return rc == 0 || (rc == 1 && exp > now);
}

/* The longest value of kind k: a token is no longer than a token. */
static size_t revoke_value_max(enum revoke_kind k)
{
	return k == REVOKE_TOKEN && AG_TOKEN_MAX < AG_REVOKE_VALUE_MAX ?
	       AG_TOKEN_MAX : AG_REVOKE_VALUE_MAX;
}

/* Appends r's line; b->err says if it did not fit. */
static void revoke_format(struct buf *b, const struct revoke_rec *r,
			  const void *v, size_t n)
{
	size_t start = b->len;

	/* the times are on the grid (revoke_time): rounding finds it */
	buf_printf(b, "v1 %c %lld %lld ", revoke_letters[r->kind],
		   llround(r->revoked_at * 1000), llround(r->prune_at * 1000));
	if (buf_reserve(b, B64URL_ENC_LEN(n) + REVOKE_SUM_LEN + 2) != 0)
		return;
	b->len += b64url_encode(b->p + b->len, v, n);
	buf_putc(b, ' ');
	buf_printf(b, "%08x\n", (unsigned)XXH32(b->p + start, b->len - start,
						 0));
}

/* Parses a line (without its newline) into r and its value val[*vlen];
 * NULL, or what is wrong with it. */
static const char *revoke_parse(const char *line, size_t n,
				struct revoke_rec *r, uint8_t *val,
				size_t *vlen)
{
	const char *p = line, *end, *f[5], *k;
	size_t fn[5];
	char sum[REVOKE_SUM_LEN + 1];
	long dn;
	int i;

	/* bounded before anything is decoded */
	if (n <= REVOKE_SUM_LEN || n > REVOKE_LINE_MAX)
		return "not the length of a record";
	end = line + n - REVOKE_SUM_LEN;
	snprintf(sum, sizeof sum, "%08x", (unsigned)XXH32(line, n -
		 REVOKE_SUM_LEN, 0));
	if (memcmp(sum, end, REVOKE_SUM_LEN) != 0)
		return "its checksum does not match";
	for (i = 0; i < 5; i++)
		if ((f[i] = fields_next(&p, end, &fn[i])) == NULL)
			return "a field is missing";
	k = fn[1] == 1 ? memchr(revoke_letters, f[1][0], 3) : NULL;
	if (p != end || fn[0] != 2 || memcmp(f[0], "v1", 2) != 0 ||
	    k == NULL || fn[4] == 0 || fn[4] > REVOKE_B64_MAX)
		return "a field is malformed";
	memset(r, 0, sizeof *r);
	r->kind = (unsigned char)(k - revoke_letters);
	dn = b64url_decode_strict(val, f[4], fn[4]);
	if (fields_ms(f[2], fn[2], REVOKE_MS_DIGITS, &r->revoked_at) != 0 ||
	    fields_ms(f[3], fn[3], REVOKE_MS_DIGITS, &r->prune_at) != 0 ||
	    dn <= 0 ||
	    (size_t)dn > revoke_value_max(r->kind))
		return "a field is malformed";
	*vlen = (size_t)dn;
	return NULL;
}

/*
 * A last line without its newline that a torn append left: one that ends
 * in zeros (its last bytes never reached the disk) or before its checksum
 * does (fewer than the five spaces before the checksum, or fewer than its
 * digits after them).  A record is acknowledged only once all of it, its
 * newline too, is on disk, so neither was.  A line any longer is a whole
 * record, whose checksum must match.
 */
static int revoke_incomplete(const char *p, size_t n)
{
	const char *end = p + n;
	int spaces;

	if (n >= REVOKE_LINE_MAX)
		return 0;
	if (p[n - 1] == '\0')
		return 1;
	for (spaces = 0; spaces < 5; spaces++) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (p == NULL)
			return 1;
		p++;
	}
	return (size_t)(end - p) < REVOKE_SUM_LEN;
}

static int revoke_pwrite(int fd, const char *p, size_t n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, p, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static int revoke_sync_dir(void)
{
	int fd = open(revoke_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Maps the file's whole records (there are some). */
static int revoke_map(const char **map)
{
	void *m;

	m = mmap(NULL, (size_t)revoke_flen, PROT_READ, MAP_PRIVATE, revoke_fd,
		 0);
	if (m == MAP_FAILED)
		return -1;
	*map = m;
	return 0;
}

static void revoke_unmap(const char *map, off_t len)
{
	if (map != NULL)
		munmap((void *)(uintptr_t)map, (size_t)len);
}

/* Calls fn once for each record in force, with the value of one of the
 * lines of the log that made it (the record's times are the merge of
 * them all), in the order of the log; stops at the first fn that does
 * not return 0.  -1 if a line does not parse (the log changed under us)
 * or fn said so. */
typedef int (*revoke_walk_fn)(void *arg, const struct revoke_rec *r,
			      const uint8_t *val, size_t vlen);

static int revoke_walk(const char *map, uint8_t *val, revoke_walk_fn fn,
		       void *arg)
{
	const char *p, *nl, *end = map + revoke_flen;
	struct revoke_rec r, *t;
	size_t i, vlen;
	int rc = 0;

	for (p = map; p < end && rc == 0; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL ||
		    revoke_parse(p, (size_t)(nl - p), &r, val, &vlen) != NULL) {
			rc = -1;
			break;
		}
		t = revoke_lookup(revoke_hash(r.kind, (const char *)val, vlen));
		if (t == NULL || t->mark)
			continue;
		t->mark = 1;
		rc = fn(arg, t, val, vlen);
	}
	for (i = 0; i < revoke_cap; i++)
		revoke_tab[i].mark = 0;
	return rc;
}

/* Where revoke_rewrite's lines go. */
struct revoke_out {
	int fd;
	struct buf b;
	size_t lines;
	off_t off;
};

static int revoke_write_one(void *arg, const struct revoke_rec *r,
			    const uint8_t *val, size_t vlen)
{
	struct revoke_out *o = arg;

	revoke_format(&o->b, r, val, vlen);
	o->lines++;
	if (o->b.len < REVOKE_CHUNK)
		return 0;
	if (revoke_pwrite(o->fd, o->b.p, o->b.len, o->off) != 0)
		return -1;
	o->off += (off_t)o->b.len;
	buf_reset(&o->b);
	return 0;
}

/* Writes one line per record in force, from the lines of the old log. */
static int revoke_rewrite(int fd, const char *map, uint8_t *val,
			  size_t *lines, off_t *off)
{
	struct revoke_out o = { .fd = fd, .off = *off };
	int rc = -1;

	buf_init(&o.b, REVOKE_CHUNK + REVOKE_LINE_MAX);
	if (revoke_walk(map, val, revoke_write_one, &o) != 0 || o.b.err ||
	    revoke_pwrite(fd, o.b.p, o.b.len, o.off) != 0)
		goto out;
	*off = o.off + (off_t)o.b.len;
	*lines = o.lines;
	rc = 0;
out:
	buf_free(&o.b);
	return rc;
}

/*
 * Rewrites the log with a line per record in force: a temp file in the
 * same directory, synced, renamed over the log.  A failure changes
 * nothing; the next prune tries again.
 */
static void revoke_compact(void)
{
	char tmp[sizeof revoke_path + 8];
	const char *map = NULL;
	uint8_t *val = malloc(REVOKE_VAL_CAP);
	size_t lines = 0;
	off_t off = 0;
	int fd = -1;

	snprintf(tmp, sizeof tmp, "%s.new", revoke_path);
	if (val == NULL || revoke_map(&map) != 0)
		goto out;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 || revoke_rewrite(fd, map, val, &lines, &off) != 0 ||
	    fsync(fd) != 0 || rename(tmp, revoke_path) != 0)
		goto out;
	close(revoke_fd);
	revoke_fd = fd;
	fd = -1;
	revoke_unmap(map, revoke_flen);
	map = NULL;
	revoke_flen = off;
	revoke_lines = lines;
	/* until the rename is durable, a crash brings back the old log and
	 * loses what is appended to the new one: revoke_flush retries */
	revoke_unsynced = revoke_sync_dir() != 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	revoke_unmap(map, revoke_flen);
	free(val);
}

/* Worth it once most of the log is expired or repeated. */
static void revoke_compact_maybe(void)
{
	if (revoke_fd >= 0 && revoke_lines > REVOKE_COMPACT_MIN &&
	    revoke_lines > 2 * revoke_n)
		revoke_compact();
}

/* The incomplete last record a crash left at off: cut off (it was never
 * acknowledged), and said so. */
static int revoke_cut(off_t off, size_t n, struct ag_error *e)
{
	log_warn("%s: %s an incomplete last record (%zu bytes at byte %lld) "
		 "that a crash in the middle of an append left; it was never "
		 "acknowledged", revoke_path, revoke_check_only ?
		 "agauthd will cut" : "cutting", n, (long long)off);
	if (revoke_check_only)
		return 0;
	if (ftruncate(revoke_fd, off) != 0 || fdatasync(revoke_fd) != 0)
		return ag_fail(e, AG_E_STATE, "%s: cannot cut off an incomplete "
			       "last record: %s", revoke_path, strerror(errno));
	revoke_flen = off;
	return 0;
}

/* A whole last record without its newline gets it back, so that the next
 * append starts a line of its own. */
static int revoke_terminate(struct ag_error *e)
{
	if (revoke_check_only)
		return 0;
	if (revoke_pwrite(revoke_fd, "\n", 1, revoke_flen) != 0 ||
	    fdatasync(revoke_fd) != 0)
		return ag_fail(e, AG_E_STATE, "%s: cannot end the last record "
			       "with a newline: %s", revoke_path,
			       strerror(errno));
	log_info("%s: the last record lacked its newline; added it",
		 revoke_path);
	revoke_flen++;
	return 0;
}

/* A loaded record: in force unless every token it covers has expired. */
static int revoke_keep(struct revoke_rec *r, const uint8_t *val, size_t n,
		       double now, struct ag_error *e)
{
	revoke_lines++;
	if (revoke_dead(r, now))
		return 0;
	r->h = revoke_hash(r->kind, (const char *)val, n);
	if (revoke_put(r, e) == 0) {
		revoke_note(r);
		return 0;
	}
	if (e != NULL && e->code == AG_E_INPUT_LIMIT)
		ag_fail(e, AG_E_STATE, "%s: more than %d revocations in force",
			revoke_path, AG_REVOKE_MAX);
	return -1;
}

static int revoke_load(double now, struct ag_error *e)
{
	const char *map = NULL, *p, *nl, *end, *why;
	struct revoke_rec r;
	uint8_t *val;
	size_t n, vlen, lineno = 0;
	off_t len = revoke_flen;	/* revoke_cut changes revoke_flen */
	int rc = -1;

	if (len == 0)
		return 0;
	val = malloc(REVOKE_VAL_CAP);
	if (val == NULL) {
		ag_fail(e, AG_E_NOMEM, NULL);
		goto out;
	}
	if (revoke_map(&map) != 0) {
		ag_fail(e, AG_E_STATE, "%s: %s", revoke_path, strerror(errno));
		goto out;
	}
	end = map + len;
	for (p = map; p < end; p = nl + 1) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl == NULL && revoke_incomplete(p, n)) {
			rc = revoke_cut((off_t)(p - map), n, e);
			goto out;
		}
		/* skipping a whole record that does not check out could
		 * silently un-revoke */
		why = revoke_parse(p, n, &r, val, &vlen);
		if (why != NULL) {
			ag_fail(e, AG_E_STATE, "%s: line %zu (byte %lld) is "
				"damaged: %s; agauthd will not start rather "
				"than forget a revocation: restore the file "
				"from a backup, or delete that line and accept "
				"that its revocation is lost", revoke_path,
				lineno, (long long)(p - map), why);
			goto out;
		}
		if (revoke_keep(&r, val, vlen, now, e) != 0)
			goto out;
		if (nl == NULL) {
			rc = revoke_terminate(e);
			goto out;
		}
	}
	rc = 0;
out:
	revoke_unmap(map, len);
	free(val);
	return rc;
}

/* Opens the log the way it must be: a regular file, not through a link,
 * in a directory only we may change.  Checking only, a directory or a log
 * that is not there yet is no error: there is nothing to load. */
static int revoke_file(const char *dir, struct ag_error *e)
{
	struct stat st;

	if (strlen(dir) >= sizeof revoke_dir)
		return ag_fail(e, AG_E_STATE, "state directory path too long");
	snprintf(revoke_dir, sizeof revoke_dir, "%s", dir);
	snprintf(revoke_path, sizeof revoke_path, "%s/revocations", dir);
	if (statedir_check(dir, e) != 0)
		return revoke_check_only && errno == ENOENT ? 0 : -1;
	/* O_NONBLOCK: a FIFO there must not hold up the open (fstat
	 * refuses it just after) */
	revoke_fd = revoke_check_only ?
		    open(revoke_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			 O_NOCTTY | O_NONBLOCK) :
		    open(revoke_path, O_RDWR | O_CREAT | O_NOFOLLOW |
			 O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (revoke_fd < 0)
		return revoke_check_only && errno == ENOENT ? 0 :
		       ag_fail(e, AG_E_STATE, "%s: %s", revoke_path,
			       strerror(errno));
	if (fstat(revoke_fd, &st) != 0 || !S_ISREG(st.st_mode))
		return ag_fail(e, AG_E_STATE, "%s: not a regular file",
			       revoke_path);
	if (statedir_owned(revoke_path, &st, 0, e) != 0)
		return -1;
	/* a log just created must not vanish with its first records */
	if (!revoke_check_only && revoke_sync_dir() != 0)
		return ag_fail(e, AG_E_STATE, "%s: %s", dir, strerror(errno));
	revoke_flen = st.st_size;
	return 0;
}

int revoke_open(const char *state_dir, const char *subjects,
		double horizon, double now, int flags, struct ag_error *e)
{
	revoke_close();
	if (strlen(subjects) >= sizeof revoke_subjects)
		return ag_fail(e, AG_E_CONFIG, "revocation subject claims "
			       "longer than %zu bytes",
			       sizeof revoke_subjects - 1);
	/* the seed keeps the table's probe sequences out of a revoker's
	 * hands */
	if (getrandom(&revoke_seed, sizeof revoke_seed, 0) !=
	    (ssize_t)sizeof revoke_seed)
		return ag_fail(e, AG_E_CRYPTO, "getrandom: %s",
			       strerror(errno));
	snprintf(revoke_subjects, sizeof revoke_subjects, "%s", subjects);
	revoke_horizon = horizon;
	revoke_check_only = (flags & REVOKE_CHECK) != 0;
	buf_init(&revoke_text, AG_REVOKE_VALUE_MAX);
	buf_init(&revoke_pending, AG_REVOKE_PENDING_MAX);
	revoke_ready = 1;
	if (state_dir == NULL || state_dir[0] == '\0')
		return 0;
	if (revoke_file(state_dir, e) != 0 || revoke_load(now, e) != 0) {
		revoke_close();
		return -1;
	}
	if (revoke_check_only) {
		/* what was read stays in memory; the file is left alone */
		if (revoke_fd >= 0)
			close(revoke_fd);
		revoke_fd = -1;
		return 0;
	}
	revoke_compact_maybe();
	return 0;
}

void revoke_close(void)
{
	if (revoke_fd >= 0)
		close(revoke_fd);
	revoke_fd = -1;
	free(revoke_tab);
	revoke_tab = NULL;
	revoke_cap = 0;
	revoke_n = 0;
	memset(revoke_nkind, 0, sizeof revoke_nkind);
	revoke_subject_last = 0;
	buf_free(&revoke_text);
	buf_free(&revoke_pending);
	revoke_npending = 0;
	revoke_flen = 0;
	revoke_lines = 0;
	revoke_unsynced = 0;
	revoke_check_only = 0;
	revoke_ready = 0;
}

/*
 * A failed append stays queued; what it wrote is cut off so that no torn
 * line ends up before a whole one.  Should the cut fail too, the next
 * append rewrites those bytes: it starts at the same offset with the same
 * lines and more.
 */
static int revoke_unflush(struct ag_error *e)
{
	struct stat st;
	int err = errno, torn;

	/* a write refused outright (EPERM, EROFS) wrote nothing: then the
	 * cut, refused as well, must not claim a torn record */
	torn = fstat(revoke_fd, &st) != 0 || st.st_size != revoke_flen;
	if (torn && ftruncate(revoke_fd, revoke_flen) == 0)
		torn = 0;
	return ag_fail(e, AG_E_STATE, "revoked, but not persisted: %s: %s%s",
		       revoke_path, strerror(err), torn ?
		       " (a torn record stays until the next write)" : "");
}

/* Appends the queued lines after the last whole record and syncs them. */
static int revoke_flush(struct ag_error *e)
{
	off_t end = revoke_flen + (off_t)revoke_pending.len;

	if (revoke_pwrite(revoke_fd, revoke_pending.p, revoke_pending.len,
			  revoke_flen) != 0 || fdatasync(revoke_fd) != 0 ||
	    (revoke_unsynced && revoke_sync_dir() != 0))
		return revoke_unflush(e);
	revoke_unsynced = 0;
	revoke_flen = end;
	revoke_lines += revoke_npending;
	buf_reset(&revoke_pending);
	revoke_npending = 0;
	return 0;
}

/* Queues r's line for the file; -1 if the queue is full. */
static int revoke_queue(const struct revoke_rec *r, const char *v, size_t n)
{
	size_t start = revoke_pending.len;

	revoke_format(&revoke_pending, r, v, n);
	if (revoke_pending.err == 0) {
		revoke_npending++;
		return 0;
	}
	revoke_pending.len = start;
	revoke_pending.err = 0;
	return -1;
}

/* r's line, queued for the file (revoke_commit writes it). */
static int revoke_persist(const struct revoke_rec *r, const char *v,
			  size_t n, struct ag_error *e)
{
	/* the queue fills only while the directory fails: empty it first
	 * if it now can be */
	if (revoke_queue(r, v, n) != 0 &&
	    (revoke_flush(e) != 0 || revoke_queue(r, v, n) != 0))
		return ag_fail(e, AG_E_STATE, "revoked until restart only: "
			       "%zu revocations wait to be written to %s",
			       revoke_npending, revoke_path);
	return 0;
}

enum revoke_result revoke_commit(struct ag_error *e)
{
	if (revoke_fd < 0 || revoke_npending == 0)
		return REVOKE_PERSISTED;
	return revoke_flush(e) == 0 ? REVOKE_PERSISTED :
	       REVOKE_IN_FORCE_NOT_PERSISTED;
}

/* 0 if a revocation of kind k with an n-byte value may be added. */
static int revoke_admit(enum revoke_kind k, size_t n, struct ag_error *e)
{
	if (!revoke_ready)
		return ag_fail(e, AG_E_STATE, "revocations are not loaded");
	/* k indexes tables */
	if ((unsigned)k > REVOKE_SUBJECT)
		return ag_fail(e, AG_E_BAD_REQUEST, "unknown revocation kind");
	if (n == 0)
		return ag_fail(e, AG_E_INPUT_LIMIT, "empty %s revocation",
			       revoke_names[k]);
	/* bound the work and the log's lines */
	if (n > revoke_value_max(k))
		return ag_fail(e, AG_E_INPUT_LIMIT, "%s revocation longer than "
			       "%zu bytes", revoke_names[k],
			       revoke_value_max(k));
	return 0;
}

enum revoke_result revoke_add_later(enum revoke_kind k, const char *value,
				    size_t n, double now, struct ag_error *e)
{
	struct revoke_rec r;

	if (revoke_admit(k, n, e) != 0)
		return REVOKE_REFUSED;
	memset(&r, 0, sizeof r);
	r.h = revoke_hash(k, value, n);
	r.kind = (unsigned char)k;
	r.revoked_at = revoke_time(now, 0);
	r.prune_at = revoke_prune_at(k, value, n, r.revoked_at);
	r.serial = revoke_serial_n + 1;
	if (revoke_put(&r, e) != 0)
		return REVOKE_REFUSED;
	revoke_serial_n++;
	revoke_note(&r);
	/* in force from here on, whatever the disk says */
	if (revoke_fd >= 0 && revoke_persist(&r, value, n, e) != 0)
		return REVOKE_IN_FORCE_NOT_PERSISTED;
	return REVOKE_PERSISTED;
}

enum revoke_result revoke_add(enum revoke_kind k, const char *value,
			      size_t n, double now, struct ag_error *e)
{
	enum revoke_result rc = revoke_add_later(k, value, n, now, e);

	return rc == REVOKE_PERSISTED ? revoke_commit(e) : rc;
}

/* The record of kind k naming the value of the first of the claims
 * `names` (claims_subject).  The text goes to a buffer kept across calls:
 * the common path does not allocate. */
static const struct revoke_rec *revoke_claim(const struct jwt *j,
					     const char *names,
					     enum revoke_kind k)
{
	if (revoke_nkind[k] == 0)
		return NULL;
	/* a claim longer than any value cannot match: the buffer's ceiling
	 * fails it */
	if (claims_subject(j, names, &revoke_text) != 0)
		return NULL;
	return revoke_find(k, revoke_text.p, revoke_text.len);
}

/* A subject revocation covers the tokens issued at or before its second,
 * and those that do not say when they were issued. */
static int revoke_covers(const struct jwt *j, const struct revoke_rec *r)
{
	int iat = json_get(&j->pdoc, 0, "iat");

	return json_type(&j->pdoc, iat) != JSON_NUMBER ||
	       json_num(&j->pdoc, iat) <= floor(r->revoked_at);
}

int revoke_check(const struct jwt *j, struct ag_error *e)
{
	const struct revoke_rec *r;

	/* every verify comes here: nothing to hash while nothing is
	 * revoked */
	if (revoke_n == 0)
		return 0;
	if (revoke_find(REVOKE_TOKEN, j->token, j->len) != NULL ||
	    revoke_claim(j, "jti", REVOKE_JTI) != NULL)
		return ag_fail(e, AG_E_REVOKED, NULL);
	r = revoke_claim(j, revoke_subjects, REVOKE_SUBJECT);
	if (r != NULL && revoke_covers(j, r))
		return ag_fail(e, AG_E_REVOKED, NULL);
	return 0;
}

int revoke_known(enum revoke_kind k, const char *value, size_t n,
		 double at)
{
	const struct revoke_rec *t;

	if ((unsigned)k > REVOKE_SUBJECT)
		return 0;
	t = revoke_find(k, value, n);
	return t != NULL && t->revoked_at >= revoke_time(at, 0);
}

/* revoke_each's walk: the record as its caller sees it. */
struct revoke_each_arg {
	revoke_each_fn fn;
	void *arg;
};

static int revoke_each_one(void *arg, const struct revoke_rec *r,
			   const uint8_t *val, size_t vlen)
{
	const struct revoke_each_arg *a = arg;

	return a->fn(a->arg, (enum revoke_kind)r->kind, (const char *)val,
		     vlen, r->revoked_at);
}

int revoke_each(revoke_each_fn fn, void *arg)
{
	struct revoke_each_arg a = { fn, arg };
	const char *map = NULL;
	uint8_t *val;
	int rc;

	/* only what the log holds: what waits to be written is in force
	 * too, and goes out the next time its record is written */
	if (revoke_fd < 0 || revoke_flen == 0)
		return 0;
	val = malloc(REVOKE_VAL_CAP);
	if (val == NULL || revoke_map(&map) != 0) {
		free(val);
		return -1;
	}
	rc = revoke_walk(map, val, revoke_each_one, &a);
	revoke_unmap(map, revoke_flen);
	free(val);
	return rc;
}

double revoke_resign_at(const char *tok, size_t n, uint64_t serial,
			double signed_at)
{
	const struct json_doc *p = &revoke_jwt.pdoc;
	const struct revoke_rec *r;
	double second = floor(signed_at);
	int iat;

	/* every sign comes here: nothing to decode unless a subject was
	 * revoked in the second it signed in (or, the clock stepped back,
	 * later) */
	if (revoke_nkind[REVOKE_SUBJECT] == 0 ||
	    floor(revoke_subject_last) < second ||
	    jwt_decode(&revoke_jwt, tok, n, NULL) != 0)
		return 0;
	r = revoke_claim(&revoke_jwt, revoke_subjects, REVOKE_SUBJECT);
	iat = json_get(p, 0, "iat");
	/* only a token dated by this sign (an iat the payload brought
	 * stays covered, however late it is signed), that a revocation made
	 * before the request came covers (one that came while it waited
	 * covers what it signs, as any revocation covers what was issued
	 * before it) */
	if (r == NULL || r->serial > serial || !revoke_covers(&revoke_jwt, r) ||
	    json_type(p, iat) != JSON_NUMBER || json_num(p, iat) != second)
		return 0;
	/* a clock far behind the revocation's is not waited out: the token
	 * goes out covered, as it would have without the wait */
	if (floor(r->revoked_at) + 1 - signed_at > AG_RESIGN_WAIT_MAX)
		return 0;
	return floor(r->revoked_at) + 1 + AG_RESIGN_MARGIN;
}

uint64_t revoke_serial(void)
{
	return revoke_serial_n;
}

void revoke_prune(double now)
{
	size_t i = 0;

	while (i < revoke_cap) {
		/* a deletion may move another record into slot i */
		if (revoke_tab[i].used && revoke_dead(&revoke_tab[i], now))
			revoke_del(i);
		else
			i++;
	}
	revoke_compact_maybe();
}

size_t revoke_count(void)
{
	return revoke_n;
}

const char *revoke_kind_name(enum revoke_kind k)
{
	return (unsigned)k <= REVOKE_SUBJECT ? revoke_names[k] : "unknown";
}

int revoke_kind_parse(const char *s, size_t n)
{
	int k;

	for (k = REVOKE_TOKEN; k <= REVOKE_SUBJECT; k++)
		if (strlen(revoke_names[k]) == n &&
		    memcmp(s, revoke_names[k], n) == 0)
			return k;
	return n == 3 && memcmp(s, "sub", 3) == 0 ? REVOKE_SUBJECT : -1;
}
