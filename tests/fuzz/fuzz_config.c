/*
 * fuzz_config.c - the bytes as agauthd.conf: config_load over the
 * defaults, through inih, from a memfd (read by its /proc/self/fd path).
 * Beyond not crashing or leaking: a file that loads holds only values
 * agauthd can run with (the bounds of daemon/config.c's table, strings
 * terminated within their arrays, access lists that config_allows reads
 * as written), and a file refused says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FC_YEARS10 (10.0 * 366 * 86400)

static void fc_str(const char *s, size_t cap, int nonempty)
{
	size_t n = strnlen(s, cap);

	if (n == cap || (nonempty && n == 0))
		abort();
}

/* A word as CK_TEXT keeps it: printable ASCII, no spaces, bounded. */
static void fc_word(const char *s, size_t cap)
{
	fc_str(s, cap, 0);
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			abort();
}

/* A list of claim names as config_names keeps it: 1 to
 * AG_SUBJECT_CLAIMS_MAX names, each separated by one space. */
static void fc_names(const char *s, size_t cap)
{
	size_t n;
	int count = 0;

	fc_str(s, cap, 1);
	for (; *s != '\0'; s += n + (s[n] == ' ')) {
		n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "abcdefghijklmnopqrstuvwxyz0123456789_.-");
		if (n == 0 || n > AG_KID_MAX || (s[n] != ' ' && s[n] != '\0') ||
		    (s[n] == ' ' && s[n + 1] == '\0') ||
		    ++count > AG_SUBJECT_CLAIMS_MAX)
			abort();
	}
}

/* An access list within bounds, that allows whom it lists and, unless
 * it allows anyone, no one else ((uid_t)-1 and (gid_t)-1 name no one). */
static void fc_acl(const struct acl *a)
{
	int i;

	if (a->n < 0 || a->n > CONFIG_ACL_MAX || (a->any != 0 && a->any != 1))
		abort();
	for (i = 0; i < a->n; i++) {
		if (a->e[i].id > 0xfffffffeU ||
		    (a->e[i].is_gid != 0 && a->e[i].is_gid != 1))
			abort();
		if (!config_allows(a, a->e[i].is_gid ? (uid_t)-1 : a->e[i].id,
				   a->e[i].is_gid ? a->e[i].id : (gid_t)-1))
			abort();
	}
	if (config_allows(a, (uid_t)-1, (gid_t)-1) != a->any)
		abort();
}

static void fc_range(unsigned long long v, unsigned long long lo,
		     unsigned long long hi)
{
	if (v < lo || v > hi)
		abort();
}

static void fc_check(const struct config *c)
{
	if (c->log_level != LOG_LEVEL_ERR && c->log_level != LOG_LEVEL_WARN &&
	    c->log_level != LOG_LEVEL_INFO && c->log_level != LOG_LEVEL_DEBUG)
		abort();
	fc_range(c->threads, 0, AG_POOL_THREADS_MAX);
	fc_range(c->crypto_nice, 0, 19);
	fc_str(c->socket_path, sizeof c->socket_path, 1);
	fc_range(c->socket_mode, 0, 0777);
	if (c->socket_gid < -1 || c->socket_gid > 0xfffffffeL)
		abort();
	fc_str(c->keyring, sizeof c->keyring, 1);
	fc_str(c->state_dir, sizeof c->state_dir, 1);
	if (!(c->default_expiry >= 1 && c->default_expiry <= FC_YEARS10))
		abort();
	if (c->allow_none != 0 && c->allow_none != 1)
		abort();
	fc_acl(&c->sign);
	fc_acl(&c->verify);
	fc_acl(&c->admin);
	fc_range(c->max_connections, 1, 1000000);
	fc_range(c->max_frame, 64, AG_FRAME_HARD_MAX);
	fc_range(c->max_inflight, 1, 65536);
	fc_range(c->max_output, 4096, 1U << 30);
	fc_range(c->idle_timeout, 1, 86400 * 7);
	fc_range(c->frame_timeout, 1, 3600);
	fc_range(c->pool_queue, 1, 1000000);
	if (c->cache_size != 0)
		fc_range(c->cache_size, AG_CACHE_MIN, AG_CACHE_MAX);
	fc_range(c->cache_slot, AG_CACHE_SLOT_MIN, AG_CACHE_SLOT_MAX);
	if (c->cache_slot % 64 != 0)
		abort();
	fc_names(c->revoke_subject, sizeof c->revoke_subject);
	/* [cluster]: bounded words of printable ASCII, and a key whenever
	 * there is a Redis */
	fc_word(c->cluster_redis, sizeof c->cluster_redis);
	fc_word(c->cluster_name, sizeof c->cluster_name);
	fc_word(c->cluster_user, sizeof c->cluster_user);
	fc_word(c->cluster_prefix, sizeof c->cluster_prefix);
	if (c->cluster_prefix[0] == '\0' ||
	    (c->cluster_redis[0] != '\0' && c->cluster_key[0] == '\0'))
		abort();
	if (c->revoke_horizon != 0 &&
	    !(c->revoke_horizon >= 1 && c->revoke_horizon <= FC_YEARS10))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static struct config c;
	struct ag_error e;

	if (fd < 0) {
		fd = memfd_create("fuzz-config", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	config_defaults(&c);
	memset(&e, 0, sizeof e);
	if (config_load(&c, path, &e) == 0) {
		fc_check(&c);
	} else if (e.code != AG_E_CONFIG || e.msg[0] == '\0' ||
		   strncmp(e.msg, path, strlen(path)) != 0) {
		abort();
	}
	return 0;
}
