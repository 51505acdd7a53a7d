/*
 * test_cache_client.c - libagauth's cache, revoke and watch without a
 * daemon: the fake agauthd (fake.c) hands over a cache file laid out by
 * hand in a memfd, as agauthd lays it out (shared/cache.h), and answers
 * revoke and watch.  Checks hits without requests, the daemon's errors
 * on refusals, hit and miss reports, re-attaching to a restarted daemon,
 * descriptors (none leaks), events, and argument checks.
 */
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "client/lib/agauth.h"
#include "shared/b64url.h"
#include "shared/cache.h"
#include "shared/jwt.h"
#include "tests/unit/fake.h"

/* ------------------------------------------------------------ a cache */

#define FC_SLOT  512
#define FC_SLOTS 16
#define FC_TAGS ((sizeof(struct cache_header) + 63) & ~(size_t)63)
#define FC_HEADER ((FC_TAGS + FC_SLOTS * 8 + 4095) & ~(size_t)4095)
#define FC_HOUR_MS 3600000

/* A cache file in a memfd and the test's own writable mapping of it. */
struct fcache {
	int fd;
	size_t size;
	struct cache_header *h;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fc_make(struct fcache *c, uint64_t instance)
{
	struct cache_header *h;

	c->size = FC_HEADER + FC_SLOTS * FC_SLOT;
	c->fd = memfd_create("fcache", MFD_CLOEXEC);
	cr_assert_geq(c->fd, 0);
	cr_assert_eq(ftruncate(c->fd, (off_t)c->size), 0);
	h = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	cr_assert_neq(h, MAP_FAILED);
	memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
	h->version = CACHE_VERSION;
	h->header_size = FC_HEADER;
	h->cls[0].tags_off = FC_TAGS;
	h->cls[0].slots_off = FC_HEADER;
	h->file_size = c->size;
	h->cls[0].slot_size = FC_SLOT;
	h->ways = CACHE_WAYS;
	h->cls[0].nslots = FC_SLOTS;
	h->instance = instance;
	h->daemon_pid = (uint32_t)getpid();
	h->state = CACHE_LIVE;
	/* a beat in the future: no test goes stale unless it says so */
	h->heartbeat_ms = now_ms() + FC_HOUR_MS;
	memset(h->secret, 0x5a, sizeof h->secret);
	h->keys[0].gen = 2;
	strcpy(h->keys[0].kid, "k1");
	c->h = h;
}

static void fc_free(struct fcache *c)
{
	munmap(c->h, c->size);
	close(c->fd);
}

/* Puts tok (header.payload.sig) in, verified by key 0 (HS256), with
 * the time claims iat and exp: its signing input, and its signature's
 * digest. */
static void fc_put(struct fcache *c, const char *tok, double iat, double exp)
{
	size_t len = jwt_signing_len(tok, strlen(tok));
	uint64_t hash = cache_hash(c->h, tok, len);
	uint64_t first = hash % (FC_SLOTS / CACHE_WAYS) * CACHE_WAYS, i;
	const char *pay = strchr(tok, '.') + 1;
	struct cache_slot *s;

	for (i = first; i < first + CACHE_WAYS; i++) {
		s = (struct cache_slot *)((uint8_t *)c->h + FC_HEADER +
					  i * FC_SLOT);
		if (s->len != 0)
			continue;
		s->len = (uint16_t)len;
		s->key = 0;
		s->alg = (uint8_t)vopts_alg_index("HS256", 5);
		s->key_gen = 2;
		s->flags = CACHE_F_IAT | CACHE_F_EXP;
		s->pay_off = (uint16_t)(pay - tok);
		s->pay_len = (uint16_t)(strchr(pay, '.') - pay);
		s->hash = hash;
		s->iat = iat;
		s->exp = exp;
		memcpy(s->input, tok, len);
		cache_digest(tok + len + 1, strlen(tok) - len - 1, s->sig);
		s->seq = 2;
		((uint64_t *)((uint8_t *)c->h + FC_TAGS))[i] = hash;
		return;
	}
	cr_assert_fail("bucket full");
}

static const char fc_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";

/* A token for {"sub":sub,"iat":iat,"exp":exp} (the signature is not
 * checked: the cache vouches for it); its payload JSON in *json. */
static char *fc_token(const char *sub, double iat, double exp, char **json)
{
	char pay[256], *tok = malloc(1024), *p = tok;

	snprintf(pay, sizeof pay, "{\"sub\":\"%s\",\"iat\":%.0f,\"exp\":%.0f}",
		 sub, iat, exp);
	p += b64url_encode(p, (const uint8_t *)fc_header, strlen(fc_header));
	*p++ = '.';
	p += b64url_encode(p, (const uint8_t *)pay, strlen(pay));
	strcpy(p, ".c2ln");
	*json = strdup(pay);
	return tok;
}

/* ------------------------------------------------------------ the fake */

/* What the fake does beside fake_basic (f->user). */
struct fserve {
	struct fcache *c;        /* handed over on `cache` */
	enum ag_err refuse;      /* `cache` fails with this */
	int no_fd;               /* `cache` succeeds without a descriptor */
	int two_fds;             /* ... with two */
	uint64_t name;           /* the instance the reply names (0: c's) */
	int hang_up_on_ping;     /* answer ping, then hang up */
	char revoked[64];        /* "key=value" of the last revoke */
	int events;              /* watch: send this many events ... */
	int bad_event;           /* ... the first one malformed */
	int hang_up_after_watch;
};

/* The cache reply with the descriptor(s) of s->c beside its first byte. */
static void serve_cache(struct fserve *s, int fd, uint64_t id)
{
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	struct proto_out o;
	struct buf b;
	int fds[2] = { s->c->fd, s->c->fd };

	fake_ok(&b, &o, id, 2);
	proto_kv_uint(&o, "cache", s->name ? s->name : s->c->h->instance);
	proto_kv_uint(&o, "bytes", s->c->size);
	proto_end(&o);
	if (s->no_fd) {
		fake_send(fd, &b);
		return;
	}
	if (!s->two_fds) {
		fake_send_fd(fd, &b, s->c->fd);
		return;
	}
	memset(&u, 0, sizeof u);
	iov.iov_base = b.p;
	iov.iov_len = b.len;
	mh.msg_control = u.b;
	mh.msg_controllen = CMSG_SPACE(2 * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, sizeof fds);
	cr_assert_eq(sendmsg(fd, &mh, 0), (ssize_t)b.len);
	buf_free(&b);
}

static void serve_revoke(struct fserve *s, int fd, uint64_t id,
			 const msgpack_object *req)
{
	static const char *const keys[] = { "token", "jti", "sub" };
	struct proto_out o;
	struct buf b;
	const char *v;
	size_t n, i;

	for (i = 0; i < 3; i++)
		if (proto_str(req, keys[i], &v, &n) == 0)
			snprintf(s->revoked, sizeof s->revoked, "%s=%.*s",
				 keys[i], (int)n, v);
	if (strcmp(s->revoked, "sub=full-disk") == 0) {
		struct ag_error e;

		buf_init(&b, 1 << 16);
		ag_fail(&e, AG_E_STATE, "cannot persist to the state "
			"directory: No space left on device");
		proto_error(&b, id, &e);
		fake_send(fd, &b);
		return;
	}
	fake_ok(&b, &o, id, 2);
	proto_kv_uint(&o, "purged", 3);
	proto_kv_double(&o, "at", 1795000000.25);
	proto_end(&o);
	fake_send(fd, &b);
}

static void serve_event(struct fserve *s, int fd, uint64_t id, int i)
{
	static const char *const kinds[] = { "subject", "token" };
	static const char *const values[] = { "alice", "a.b.c" };
	struct proto_out o;
	struct buf b;

	fake_ok(&b, &o, id, 4);
	proto_kv_cstr(&o, "event", s->bad_event && i == 0 ? "other" : "revoke");
	proto_kv_cstr(&o, "kind", kinds[i % 2]);
	proto_kv_cstr(&o, "value", values[i % 2]);
	proto_kv_double(&o, "at", 1795000000.5 + i);
	proto_end(&o);
	fake_send(fd, &b);
}

static int fake_more(struct fake *f, int fd, uint64_t id, const char *op,
		     const msgpack_object *req)
{
	struct fserve *s = f->user;
	struct proto_out o;
	struct buf b;
	int i;

	if (fake_is(op, "cache") && s->refuse != AG_OK) {
		fake_fail(fd, id, s->refuse, 0);
	} else if (fake_is(op, "cache")) {
		serve_cache(s, fd, id);
	} else if (fake_is(op, "revoke")) {
		serve_revoke(s, fd, id, req);
	} else if (fake_is(op, "watch")) {
		fake_ok(&b, &o, id, 1);
		proto_kv_cstr(&o, "event", "watching");
		proto_end(&o);
		fake_send(fd, &b);
		for (i = 0; i < s->events; i++)
			serve_event(s, fd, id, i);
		return s->hang_up_after_watch;
	} else {
		fake_basic(f, fd, id, op, req);
		return fake_is(op, "ping") && s->hang_up_on_ping;
	}
	return 0;
}

static void fake_with(struct fake *f, struct fserve *s, struct fcache *c)
{
	memset(s, 0, sizeof *s);
	s->c = c;
	fake_setup(f, fake_more);
	f->user = s;
	f->cache = c != NULL ? c->h->instance : 0;
	fake_run(f);
}

/* Descriptors this process has open. */
static int fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Waits until the fake's hang-up is visible on the handle's socket. */
static void await_hang_up(agauth_t *a)
{
	struct pollfd p = { .fd = agauth_fd(a), .events = POLLIN };

	cr_assert_eq(poll(&p, 1, 5000), 1);
}

/* ------------------------------------------------------------ cache */

Test(cache_client, hits_answer_without_a_request, .timeout = 10)
{
	struct agauth_verified v;
	struct agauth_error e;
	struct fserve s;
	struct fcache c;
	struct fake f;
	double now = (double)(now_ms() / 1000);
	char *json, *tok = fc_token("alice", now, now + 3600, &json);
	agauth_t *a;
	int reqs;

	fc_make(&c, 77);
	fc_put(&c, tok, now, now + 3600);
	fake_with(&f, &s, &c);
	a = fake_open(&f);
	cr_assert_eq(agauth_cache_attach(a, &e), AGAUTH_OK, "%s", e.message);
	reqs = atomic_load(&f.reqs);
	cr_assert_eq(agauth_verify(a, tok, NULL, &v, &e), AGAUTH_OK);
	cr_assert_eq(e.status, AGAUTH_OK);
	cr_assert_eq(v.is_json, 1);
	cr_assert_str_eq(v.payload, json);
	cr_assert_eq(v.payload_len, strlen(json));
	cr_assert_null(v.header);
	cr_assert_str_eq(v.kid, "k1");
	agauth_verified_free(&v);
	/* complete: true takes the full check, and the header */
	cr_assert_eq(agauth_verify(a, tok, "{\"complete\":true}", &v, &e),
		     AGAUTH_OK, "%s", e.message);
	cr_assert_str_eq(v.header, fc_header);
	cr_assert_eq(v.header_len, strlen(fc_header));
	cr_assert_str_eq(v.payload, json);
	agauth_verified_free(&v);
	cr_assert_eq(agauth_cache_lookup(a, tok, "{}", &v, &e),
		     AGAUTH_CACHE_VALID);
	cr_assert_str_eq(v.payload, json);
	agauth_verified_free(&v);
	cr_assert_eq(agauth_cache_lookup(a, tok, NULL, NULL, NULL),
		     AGAUTH_CACHE_VALID);
	/* none of them asked */
	cr_assert_eq(atomic_load(&f.reqs), reqs);
	/* the next request reports the hits */
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK);
	cr_assert_eq(atomic_load(&f.ch), 4);
	cr_assert_eq(atomic_load(&f.cm), 0);
	/* a token the cache does not hold goes to the daemon: a miss */
	cr_assert_eq(agauth_cache_lookup(a, "x.y.z", NULL, &v, &e),
		     AGAUTH_CACHE_MISS);
	cr_assert_null(v.payload);
	cr_assert_eq(agauth_verify(a, "x.y.z", NULL, &v, &e), AGAUTH_OK);
	cr_assert_str_eq(v.payload, "{\"a\":1}");
	agauth_verified_free(&v);
	cr_assert_eq(atomic_load(&f.cm), 1);
	cr_assert_eq(atomic_load(&f.ch), 4);
	agauth_close(a);
	fake_stop(&f);
	fc_free(&c);
	free(tok);
	free(json);
}

Test(cache_client, refusals_carry_the_daemons_error, .timeout = 10)
{
	struct agauth_verified v;
	struct agauth_error e;
	struct fserve s;
	struct fcache c;
	struct fake f;
	double now = (double)(now_ms() / 1000);
	char *json, *tok = fc_token("alice", now, now + 3600, &json);
	char opts[128];
	agauth_t *a;
	int reqs;

	fc_make(&c, 5);
	fc_put(&c, tok, now, now + 3600);
	fake_with(&f, &s, &c);
	a = fake_open(&f);
	cr_assert_eq(agauth_cache_attach(a, NULL), AGAUTH_OK);
	reqs = atomic_load(&f.reqs);
	cr_assert_eq(agauth_verify(a, tok, "{\"audience\":\"x\"}", &v, &e),
		     AGAUTH_INVALID);
	cr_assert_str_eq(e.code, "AG_E_AUDIENCE");
	cr_assert_str_eq(e.name, "JsonWebTokenError");
	cr_assert_eq(strncmp(e.message, "jwt audience invalid", 20), 0);
	cr_assert_null(v.payload);
	snprintf(opts, sizeof opts, "{\"clockTimestamp\":%.0f}", now + 7200);
	cr_assert_eq(agauth_verify(a, tok, opts, &v, &e), AGAUTH_EXPIRED);
	cr_assert_str_eq(e.name, "TokenExpiredError");
	cr_assert_str_eq(e.message, "jwt expired");
	cr_assert_eq(e.has_date, 1);
	cr_assert_eq(e.date, now + 3600);
	cr_assert_eq(agauth_cache_lookup(a, tok, "{\"algorithms\":[\"RS256\"]}",
					 &v, &e), AGAUTH_CACHE_REJECTED);
	cr_assert_eq(e.status, AGAUTH_INVALID);
	cr_assert_str_eq(e.message, "invalid algorithm");
	cr_assert_null(v.payload);
	cr_assert_eq(atomic_load(&f.reqs), reqs);
	/* options that are not an object are the daemon's to refuse */
	cr_assert_eq(agauth_cache_lookup(a, tok, "[1]", &v, &e),
		     AGAUTH_CACHE_MISS);
	cr_assert_eq(agauth_ping(a, NULL), AGAUTH_OK);
	cr_assert_eq(atomic_load(&f.ch), 3);
	agauth_close(a);
	fake_stop(&f);
	fc_free(&c);
	free(tok);
	free(json);
}

Test(cache_client, attach_refused_leaves_no_cache, .timeout = 10)
{
	struct agauth_verified v;
	struct agauth_error e;
	struct fserve s;
	struct fake f;
	agauth_t *a;

	fake_with(&f, &s, NULL);
	s.refuse = AG_E_NO_CACHE;
	a = fake_open(&f);
	cr_assert_eq(agauth_cache_attach(a, &e), AGAUTH_REFUSED);
	cr_assert_str_eq(e.code, "AG_E_NO_CACHE");
	cr_assert_str_eq(e.name, "AgauthError");
	cr_assert_eq(agauth_cache_lookup(a, "x.y.z", NULL, &v, &e),
		     AGAUTH_CACHE_MISS);
	cr_assert_eq(agauth_verify(a, "x.y.z", NULL, &v, &e), AGAUTH_OK);
	agauth_verified_free(&v);
	cr_assert_eq(agauth_ping(a, NULL), AGAUTH_OK);
	/* without a cache nothing is a miss */
	cr_assert_eq(atomic_load(&f.cm), 0);
	agauth_close(a);
	fake_stop(&f);
}

/* Attach against a fake that answers with s as set; the result. */
static enum agauth_status attach_with(struct fserve *set,
				      struct agauth_error *e)
{
	enum agauth_status st;
	struct fserve s;
	struct fcache c;
	struct fake f;
	agauth_t *a;
	int before;

	fc_make(&c, 9);
	before = fds_open();
	fake_with(&f, &s, &c);
	s.no_fd = set->no_fd;
	s.two_fds = set->two_fds;
	s.name = set->name;
	a = fake_open(&f);
	st = agauth_cache_attach(a, e);
	/* the connection is still good */
	cr_assert_eq(agauth_ping(a, NULL), AGAUTH_OK);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(fds_open(), before, "a descriptor leaked");
	fc_free(&c);
	return st;
}

Test(cache_client, descriptors_that_do_not_fit, .timeout = 10)
{
	struct agauth_error e;
	struct fserve s;

	memset(&s, 0, sizeof s);
	cr_assert_eq(attach_with(&s, &e), AGAUTH_OK, "%s", e.message);
	s.no_fd = 1;
	cr_assert_eq(attach_with(&s, &e), AGAUTH_UNREACHABLE);
	cr_assert_str_eq(e.code, "AG_E_PROTOCOL");
	s.no_fd = 0;
	s.name = 10;
	cr_assert_eq(attach_with(&s, &e), AGAUTH_UNREACHABLE);
	cr_assert_str_eq(e.code, "AG_E_PROTOCOL");
	/* one too many: kept one, closed the other */
	s.name = 0;
	s.two_fds = 1;
	cr_assert_eq(attach_with(&s, &e), AGAUTH_OK, "%s", e.message);
}

Test(cache_client, a_restarted_daemon_is_re_attached, .timeout = 10)
{
	struct agauth_verified v;
	struct agauth_error e;
	struct fserve s;
	struct fcache c1, c2;
	struct fake f;
	double now = (double)(now_ms() / 1000);
	char *j1, *j2, *t1 = fc_token("alice", now, now + 3600, &j1);
	char *t2 = fc_token("bob", now, now + 3600, &j2);
	agauth_t *a;
	int reqs, before;

	fc_make(&c1, 1);
	fc_make(&c2, 2);
	fc_put(&c1, t1, now, now + 3600);
	fc_put(&c2, t1, now, now + 3600);
	fc_put(&c2, t2, now, now + 3600);
	before = fds_open();
	fake_with(&f, &s, &c1);
	a = fake_open(&f);
	cr_assert_eq(agauth_cache_attach(a, &e), AGAUTH_OK, "%s", e.message);
	cr_assert_eq(agauth_cache_lookup(a, t1, NULL, NULL, NULL),
		     AGAUTH_CACHE_VALID);
	/* the daemon stops late: its cache says so, hello still names it,
	 * so it is kept and the daemon asked */
	c1.h->heartbeat_ms = now_ms() - 10000;
	reqs = atomic_load(&f.reqs);
	cr_assert_eq(agauth_verify(a, t1, NULL, &v, &e), AGAUTH_OK);
	cr_assert_str_eq(v.payload, "{\"a\":1}");
	agauth_verified_free(&v);
	cr_assert_eq(atomic_load(&f.reqs), reqs + 1);
	/* another daemon comes up with another cache */
	c1.h->state = CACHE_CLOSED;
	s.c = &c2;
	f.cache = 2;
	s.hang_up_on_ping = 1;
	cr_assert_eq(agauth_ping(a, NULL), AGAUTH_OK);
	await_hang_up(a);
	s.hang_up_on_ping = 0;
	/* stale: reconnect, hello names cache 2, re-attach, hit */
	reqs = atomic_load(&f.reqs);
	cr_assert_eq(agauth_verify(a, t2, NULL, &v, &e), AGAUTH_OK,
		     "%s", e.message);
	cr_assert_str_eq(v.payload, j2);
	agauth_verified_free(&v);
	cr_assert_eq(atomic_load(&f.reqs), reqs + 1, "only the cache request");
	cr_assert_eq(atomic_load(&f.conns), 2);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(fds_open(), before, "a descriptor leaked");
	fc_free(&c1);
	fc_free(&c2);
	free(t1);
	free(t2);
	free(j1);
	free(j2);
}

Test(cache_client, hello_naming_another_cache_re_attaches, .timeout = 10)
{
	struct fserve s;
	struct fcache c1, c2;
	struct fake f;
	double now = (double)(now_ms() / 1000);
	char *j2, *t2 = fc_token("bob", now, now + 3600, &j2);
	agauth_t *a;

	fc_make(&c1, 1);
	fc_make(&c2, 2);
	fc_put(&c2, t2, now, now + 3600);
	fake_with(&f, &s, &c1);
	a = fake_open(&f);
	cr_assert_eq(agauth_cache_attach(a, NULL), AGAUTH_OK);
	cr_assert_eq(agauth_cache_lookup(a, t2, NULL, NULL, NULL),
		     AGAUTH_CACHE_MISS);
	/* the old cache still looks alive, but a reconnect's hello names
	 * the new one */
	s.c = &c2;
	f.cache = 2;
	s.hang_up_on_ping = 1;
	cr_assert_eq(agauth_ping(a, NULL), AGAUTH_OK);
	await_hang_up(a);
	s.hang_up_on_ping = 0;
	cr_assert_eq(agauth_ping(a, NULL), AGAUTH_OK);
	cr_assert_eq(agauth_cache_lookup(a, t2, NULL, NULL, NULL),
		     AGAUTH_CACHE_VALID);
	agauth_close(a);
	fake_stop(&f);
	fc_free(&c1);
	fc_free(&c2);
	free(t2);
	free(j2);
}

Test(cache_client, pipelined_lookups_never_block, .timeout = 10)
{
	struct agauth_reply r;
	struct fserve s;
	struct fcache c;
	struct fake f;
	double now = (double)(now_ms() / 1000);
	char *json, *tok = fc_token("alice", now, now + 3600, &json);
	agauth_t *a;

	fc_make(&c, 3);
	fc_put(&c, tok, now, now + 3600);
	fake_with(&f, &s, &c);
	a = fake_open(&f);
	cr_assert_eq(agauth_cache_attach(a, NULL), AGAUTH_OK);
	cr_assert_neq(agauth_submit_ping(a, NULL, NULL), 0);
	/* gone with a request in flight: a miss, and no re-attach */
	c.h->state = CACHE_CLOSED;
	cr_assert_eq(agauth_cache_lookup(a, tok, NULL, NULL, NULL),
		     AGAUTH_CACHE_MISS);
	cr_assert_eq(agauth_inflight(a), 1);
	fake_drain(a, &r, 1);
	cr_assert_eq(r.status, AGAUTH_OK);
	agauth_reply_free(&r);
	/* hello, cache, ping */
	cr_assert_eq(atomic_load(&f.reqs), 2);
	/* a verify submitted with a cache attached is a miss */
	cr_assert_neq(agauth_submit_verify(a, "x.y.z", NULL, NULL, NULL), 0);
	fake_drain(a, &r, 1);
	agauth_reply_free(&r);
	cr_assert_eq(atomic_load(&f.cm), 1);
	agauth_close(a);
	fake_stop(&f);
	fc_free(&c);
	free(tok);
	free(json);
}

Test(cache_client, peeks_never_ask_count_or_re_attach, .timeout = 10)
{
	struct agauth_verified v;
	struct agauth_error e;
	struct fserve s;
	struct fcache c;
	struct fake f;
	double now = (double)(now_ms() / 1000);
	char *json, *tok = fc_token("alice", now, now + 3600, &json);
	agauth_t *a;
	int reqs;

	fc_make(&c, 11);
	fc_put(&c, tok, now, now + 3600);
	fake_with(&f, &s, &c);
	a = fake_open(&f);
	cr_assert_eq(agauth_cache_peek(a, tok, NULL, &v, &e),
		     AGAUTH_CACHE_MISS, "no cache attached yet");
	cr_assert_eq(agauth_cache_attach(a, &e), AGAUTH_OK, "%s", e.message);
	reqs = atomic_load(&f.reqs);
	cr_assert_eq(agauth_cache_peek(a, tok, "{\"complete\":true}", &v, &e),
		     AGAUTH_CACHE_VALID);
	cr_assert_eq(e.status, AGAUTH_OK);
	cr_assert_str_eq(v.payload, json);
	cr_assert_str_eq(v.header, fc_header);
	cr_assert_str_eq(v.kid, "k1");
	agauth_verified_free(&v);
	cr_assert_eq(agauth_cache_peek(a, tok, "{\"audience\":\"x\"}", &v, &e),
		     AGAUTH_CACHE_REJECTED);
	cr_assert_str_eq(e.code, "AG_E_AUDIENCE");
	cr_assert_null(v.payload);
	cr_assert_eq(agauth_cache_peek(a, "x.y.z", NULL, &v, &e),
		     AGAUTH_CACHE_MISS);
	/* gone: stale, and still no request (no reconnect, no re-attach) */
	c.h->heartbeat_ms = now_ms() - 10000;
	cr_assert_eq(agauth_cache_peek(a, tok, NULL, &v, &e),
		     AGAUTH_CACHE_STALE);
	cr_assert_null(v.payload);
	c.h->state = CACHE_CLOSED;
	c.h->heartbeat_ms = now_ms() + FC_HOUR_MS;
	cr_assert_eq(agauth_cache_peek(a, tok, NULL, NULL, NULL),
		     AGAUTH_CACHE_STALE);
	cr_assert_eq(atomic_load(&f.reqs), reqs);
	/* attach again maps it afresh; nothing was counted */
	c.h->state = CACHE_LIVE;
	cr_assert_eq(agauth_cache_attach(a, &e), AGAUTH_OK, "%s", e.message);
	cr_assert_eq(agauth_cache_peek(a, tok, NULL, NULL, NULL),
		     AGAUTH_CACHE_VALID);
	cr_assert_eq(agauth_ping(a, NULL), AGAUTH_OK);
	cr_assert_eq(atomic_load(&f.ch), 0);
	cr_assert_eq(atomic_load(&f.cm), 0);
	agauth_close(a);
	fake_stop(&f);
	fc_free(&c);
	free(tok);
	free(json);
}

Test(cache_client, arguments)
{
	struct agauth_verified v;
	struct agauth_error e;
	struct agauth_event ev;

	cr_assert_eq(agauth_cache_attach(NULL, &e), AGAUTH_USAGE);
	cr_assert_eq(agauth_cache_lookup(NULL, "a.b.c", NULL, &v, &e),
		     AGAUTH_CACHE_MISS);
	cr_assert_null(v.payload);
	cr_assert_eq(agauth_revoke(NULL, "sub", "x", NULL, &e),
		     AGAUTH_USAGE);
	cr_assert_eq(agauth_watch(NULL, &e), AGAUTH_USAGE);
	cr_assert_eq(agauth_watch_next(NULL, &ev, 0, &e), AGAUTH_USAGE);
	cr_assert_null(ev.value);
	agauth_event_free(NULL);
	agauth_event_free(&ev);
	cr_assert_str_eq(agauth_strerror(AGAUTH_NO_EVENT), "no event yet");
}

/* ------------------------------------------------------------ revoke */

Test(cache_client, revoke, .timeout = 10)
{
	struct agauth_error e;
	struct fserve s;
	struct fake f;
	uint64_t purged = 99;
	agauth_t *a;

	fake_with(&f, &s, NULL);
	a = fake_open(&f);
	cr_assert_eq(agauth_revoke(a, "sub", "alice", &purged, &e),
		     AGAUTH_OK);
	cr_assert_eq(purged, 3);
	cr_assert_str_eq(s.revoked, "sub=alice");
	cr_assert_eq(agauth_revoke(a, "subject", "bob", NULL, NULL),
		     AGAUTH_OK);
	cr_assert_str_eq(s.revoked, "sub=bob");
	cr_assert_eq(agauth_revoke(a, "jti", "j-1", NULL, NULL), AGAUTH_OK);
	cr_assert_str_eq(s.revoked, "jti=j-1");
	cr_assert_eq(agauth_revoke(a, "token", "a.b.c", NULL, NULL),
		     AGAUTH_OK);
	cr_assert_str_eq(s.revoked, "token=a.b.c");
	/* not saved, in force all the same: the daemon's words */
	cr_assert_eq(agauth_revoke(a, "sub", "full-disk", &purged, &e),
		     AGAUTH_REFUSED);
	cr_assert_eq(purged, 0);
	cr_assert_str_eq(e.code, "AG_E_STATE");
	cr_assert_str_eq(e.message, "cannot persist to the state directory: "
			 "No space left on device");
	/* refused here, never sent */
	cr_assert_eq(agauth_revoke(a, "user", "x", &purged, &e),
		     AGAUTH_USAGE);
	cr_assert_eq(agauth_revoke(a, "jti", "", NULL, &e), AGAUTH_USAGE);
	cr_assert_eq(agauth_revoke(a, NULL, "x", NULL, &e), AGAUTH_USAGE);
	cr_assert_eq(agauth_revoke(a, "jti", NULL, NULL, &e), AGAUTH_USAGE);
	cr_assert_eq(atomic_load(&f.reqs), 5);
	agauth_close(a);
	fake_stop(&f);
}

/* ------------------------------------------------------------ watch */

Test(cache_client, watch_events, .timeout = 10)
{
	struct agauth_event ev;
	struct agauth_error e;
	struct fserve s;
	struct fake f;
	agauth_t *a;

	fake_with(&f, &s, NULL);
	s.events = 2;
	a = fake_open(&f);
	cr_assert_eq(agauth_watch_next(a, &ev, 0, &e), AGAUTH_USAGE);
	cr_assert_eq(agauth_watch(a, &e), AGAUTH_OK, "%s", e.message);
	cr_assert_eq(agauth_watch_next(a, &ev, 5000, &e), AGAUTH_OK);
	cr_assert_str_eq(ev.kind, "subject");
	cr_assert_str_eq(ev.value, "alice");
	cr_assert_eq(ev.value_len, 5);
	cr_assert_eq(ev.at, 1795000000.5);
	agauth_event_free(&ev);
	cr_assert_null(ev.value);
	cr_assert_eq(agauth_watch_next(a, &ev, 5000, &e), AGAUTH_OK);
	cr_assert_str_eq(ev.kind, "token");
	cr_assert_str_eq(ev.value, "a.b.c");
	agauth_event_free(&ev);
	cr_assert_eq(agauth_watch_next(a, &ev, 50, &e), AGAUTH_NO_EVENT);
	cr_assert_null(ev.value);
	cr_assert_eq(agauth_watch_next(a, &ev, 0, &e), AGAUTH_NO_EVENT);
	/* a watcher is for events only */
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_USAGE);
	cr_assert_eq(agauth_watch(a, &e), AGAUTH_USAGE);
	cr_assert_eq(agauth_submit_verify(a, "a.b.c", NULL, NULL, &e), 0);
	cr_assert_eq(e.status, AGAUTH_USAGE);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(f.reqs, 1);
}

Test(cache_client, a_broken_watch_ends_and_can_start_again, .timeout = 10)
{
	struct agauth_event ev;
	struct agauth_error e;
	struct fserve s;
	struct fake f;
	agauth_t *a;

	fake_with(&f, &s, NULL);
	s.events = 1;
	s.hang_up_after_watch = 1;
	a = fake_open(&f);
	cr_assert_eq(agauth_watch(a, &e), AGAUTH_OK);
	cr_assert_eq(agauth_watch_next(a, &ev, 5000, &e), AGAUTH_OK);
	agauth_event_free(&ev);
	cr_assert_eq(agauth_watch_next(a, &ev, 5000, &e), AGAUTH_UNREACHABLE);
	cr_assert_str_eq(e.code, "AG_E_DISCONNECTED");
	cr_assert_eq(agauth_watch_next(a, &ev, 0, &e), AGAUTH_USAGE);
	/* the handle is usable again: a new connection, a new watch */
	s.hang_up_after_watch = 0;
	s.bad_event = 1;
	cr_assert_eq(agauth_watch(a, &e), AGAUTH_OK, "%s", e.message);
	cr_assert_eq(agauth_watch_next(a, &ev, 5000, &e), AGAUTH_UNREACHABLE);
	cr_assert_str_eq(e.code, "AG_E_PROTOCOL");
	cr_assert_null(ev.value);
	cr_assert_eq(agauth_ping(a, &e), AGAUTH_OK);
	agauth_close(a);
	fake_stop(&f);
	cr_assert_eq(f.conns, 3);
}
