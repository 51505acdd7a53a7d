/* config.c - agauthd.conf over inih. */
#include "daemon/config.h"

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/limits.h"

struct config_ctx {
	struct config *c;
	char dir[PATH_MAX];
	char why[256];               /* the first error */
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->log_level = LOG_LEVEL_INFO;
	c->crypto_nice = 10;
	c->run_uid = c->run_gid = c->run_group = -1;
	snprintf(c->socket_path, sizeof c->socket_path,
		 "/run/agauthd/agauthd.sock");
	c->socket_mode = 0660;
	c->socket_gid = -1;
	snprintf(c->keyring, sizeof c->keyring, "/etc/agauthd/keyring.conf");
	snprintf(c->state_dir, sizeof c->state_dir, "/var/lib/agauthd");
	c->default_expiry = 86400;
	c->sign.any = 1;
	c->verify.any = 1;
	c->admin.n = 1;              /* root */
	c->metrics.any = 1;          /* verify's */
	c->max_connections = AG_CONN_MAX_DEFAULT;
	c->max_frame = AG_FRAME_DEFAULT;
	c->max_inflight = AG_INFLIGHT_DEFAULT;
	c->max_output = AG_OUTPUT_DEFAULT;
	c->idle_timeout = AG_IDLE_TIMEOUT_DEFAULT;
	c->frame_timeout = AG_FRAME_TIMEOUT_DEFAULT;
	c->pool_queue = AG_POOL_QUEUE_DEFAULT;
	c->watch_output = AG_WATCH_OUTPUT_DEFAULT;
	c->cache_size = AG_CACHE_DEFAULT;
	c->cache_slot = AG_CACHE_SLOT_DEFAULT;
	/* socket.setAuthToken({username}) is SocketCluster's habit */
	snprintf(c->revoke_subject, sizeof c->revoke_subject, "sub username");
	snprintf(c->cluster_prefix, sizeof c->cluster_prefix, "agauthd:");
}

static int config_uint(const char *v, unsigned long long lo,
		       unsigned long long hi, unsigned long long *out, int base)
{
	char *end;
	unsigned long long n;

	errno = 0;
	if (*v == '-' || *v == '\0')
		return -1;
	n = strtoull(v, &end, base);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

/* A byte count with an optional binary suffix: 512M, 4G, 65536. */
static int config_size(const char *v, unsigned long long lo,
		       unsigned long long hi, unsigned long long *out)
{
	static const char units[] = "KMGT";
	char num[32];
	const char *u;
	size_t n = strlen(v);
	unsigned long long x;
	int shift = 0;

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, v, n + 1);
	u = strchr(units, num[n - 1]);
	if (u != NULL && num[n - 1] != '\0') {
		shift = 10 * (int)(u - units + 1);
		num[n - 1] = '\0';
	}
	if (config_uint(num, 0, ~0ULL >> shift, &x, 10) != 0 ||
	    (x << shift) < lo || (x << shift) > hi)
		return -1;
	*out = x << shift;
	return 0;
}

/* The one boolean of agauthd.conf: yes/no or true/false. */
static int config_bool(const char *v, int *out)
{
	static const char *const words[][2] = {
		{ "no", "yes" }, { "false", "true" },
	};
	size_t i;
	int b;

	for (i = 0; i < sizeof words / sizeof *words; i++)
		for (b = 0; b < 2; b++)
			if (strcmp(v, words[i][b]) == 0) {
				*out = b;
				return 0;
			}
	return -1;
}

/* A JSON member name for a claim: letters, digits, _ . - */
static int config_is_name(const char *v, size_t n)
{
	return n > 0 && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "abcdefghijklmnopqrstuvwxyz0123456789_.-") >= n;
}

/* Printable ASCII without spaces. */
static int config_printable(const char *v)
{
	for (; *v != '\0'; v++)
		if (*v <= ' ' || *v > '~')
			return 0;
	return 1;
}

/* Claim names separated by white space, kept separated by one space:
 * one to AG_SUBJECT_CLAIMS_MAX of them, each at most AG_KID_MAX bytes. */
static int config_names(const char *v, char *out, size_t cap)
{
	size_t n, len = 0;
	int count = 0;

	for (;;) {
		v += strspn(v, " \t");
		n = strcspn(v, " \t");
		if (n == 0)
			break;
		if (!config_is_name(v, n) || n > AG_KID_MAX ||
		    ++count > AG_SUBJECT_CLAIMS_MAX || len + n + 1 >= cap)
			return -1;
		if (len != 0)
			out[len++] = ' ';
		memcpy(out + len, v, n);
		len += n;
		v += n;
	}
	out[len] = '\0';
	return count > 0 ? 0 : -1;
}

/* A relative path is taken from the configuration file's directory. */
static int config_path(struct config_ctx *x, const char *v, char *out,
		       size_t cap)
{
	int n = v[0] == '/' ? snprintf(out, cap, "%s", v) :
		snprintf(out, cap, "%s/%s", x->dir, v);

	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* "uid:0 gid:100 user:www group:workers" or "*" */
static int config_acl(struct config_ctx *x, const char *v, struct acl *a)
{
	char tmp[1024], *save = NULL, *tok, *val;
	struct passwd *pw;
	struct group *gr;
	unsigned long long id;

	memset(a, 0, sizeof *a);
	a->given = 1;
	if (strlen(v) >= sizeof tmp)
		return -1;
	strcpy(tmp, v);
	for (tok = strtok_r(tmp, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "*") == 0) {
			a->any = 1;
			continue;
		}
		val = strchr(tok, ':');
		if (a->n == CONFIG_ACL_MAX || val == NULL)
			goto bad;
		val++;
		a->e[a->n].is_gid = strncmp(tok, "gid:", 4) == 0 ||
				    strncmp(tok, "group:", 6) == 0;
		if (strncmp(tok, "uid:", 4) == 0 || strncmp(tok, "gid:", 4) == 0) {
			if (config_uint(val, 0, 0xfffffffeULL, &id, 10) != 0)
				goto bad;
		} else if (strncmp(tok, "user:", 5) == 0) {
			/* a name that matches no one would grant no one, and
			 * silently: most likely a typing error */
			if ((pw = getpwnam(val)) == NULL)
				goto nobody;
			id = pw->pw_uid;
		} else if (strncmp(tok, "group:", 6) == 0) {
			if ((gr = getgrnam(val)) == NULL)
				goto nobody;
			id = gr->gr_gid;
		} else {
			goto bad;
		}
		a->e[a->n++].id = (unsigned)id;
	}
	return 0;
nobody:
	snprintf(x->why, sizeof x->why, "%s '%.64s' does not exist (entry "
		 "'%.80s')", a->e[a->n].is_gid ? "group" : "user", val, tok);
	return -1;
bad:
	snprintf(x->why, sizeof x->why, "bad entry '%.80s' (want uid:N, gid:N, "
		 "user:NAME, group:NAME or *)", tok);
	return -1;
}

/* CK_SIZE: 0 (off) or a byte count from lo to hi; CK_SLOT: a CK_UINT
 * that is a multiple of 64 (shared/cache.h) */
enum config_kind { CK_UINT, CK_OCTAL, CK_SIZE, CK_PATH, CK_SOCK, CK_ACL,
		   CK_LEVEL, CK_BOOL, CK_GROUP, CK_SECONDS, CK_NAMES, CK_SLOT, CK_TEXT,
		   CK_USER };

/* Every option, one row each; a section's rows stay together
 * (config_no_section names the sections in this order). */
static const struct config_opt {
	const char *section, *name;
	enum config_kind kind;
	size_t off;
	unsigned long long lo, hi;
} config_opts[] = {
#define O(s, n, k, f, lo, hi) { s, n, k, offsetof(struct config, f), lo, hi }
	O("daemon", "log_level", CK_LEVEL, log_level, 0, 0),
	O("daemon", "threads", CK_UINT, threads, 0, AG_POOL_THREADS_MAX),
	O("daemon", "crypto_nice", CK_UINT, crypto_nice, 0, 19),
	O("daemon", "state_dir", CK_PATH, state_dir, 0, 0),
	O("daemon", "user", CK_USER, run_user, 0, 0),
	O("daemon", "group", CK_GROUP, run_group, 0, 0),
	O("socket", "path", CK_SOCK, socket_path, 0, 0),
	O("socket", "mode", CK_OCTAL, socket_mode, 0, 0777),
	O("socket", "group", CK_GROUP, socket_gid, 0, 0),
	O("keys", "keyring", CK_PATH, keyring, 0, 0),
	O("keys", "default_expiry", CK_SECONDS, default_expiry, 1,
	  10ULL * 366 * 86400),
	O("keys", "allow_none", CK_BOOL, allow_none, 0, 0),
	O("access", "sign", CK_ACL, sign, 0, 0),
	O("access", "verify", CK_ACL, verify, 0, 0),
	O("access", "admin", CK_ACL, admin, 0, 0),
	O("access", "metrics", CK_ACL, metrics, 0, 0),
	O("limits", "max_connections", CK_UINT, max_connections, 1, 1000000),
	O("limits", "max_frame", CK_UINT, max_frame, 64, AG_FRAME_HARD_MAX),
	O("limits", "max_inflight", CK_UINT, max_inflight, 1, 65536),
	O("limits", "max_output", CK_UINT, max_output, 4096, 1U << 30),
	O("limits", "idle_timeout", CK_UINT, idle_timeout, 1, 86400 * 7),
	O("limits", "frame_timeout", CK_UINT, frame_timeout, 1, 3600),
	O("limits", "pool_queue", CK_UINT, pool_queue, 1, 1000000),
	O("limits", "watch_output", CK_UINT, watch_output, 65536, 1U << 30),
	O("cache", "size", CK_SIZE, cache_size, AG_CACHE_MIN, AG_CACHE_MAX),
	O("cache", "slot", CK_SLOT, cache_slot, AG_CACHE_SLOT_MIN,
	  AG_CACHE_SLOT_MAX),
	O("cache", "preallocate", CK_BOOL, cache_preallocate, 0, 0),
	O("revocation", "subject_claims", CK_NAMES, revoke_subject, 0, 0),
	/* the one-claim spelling of earlier releases */
	O("revocation", "claim", CK_NAMES, revoke_subject, 0, 0),
	O("revocation", "horizon", CK_SECONDS, revoke_horizon, 1,
	  10ULL * 366 * 86400),
	O("cluster", "redis", CK_TEXT, cluster_redis, 1, AG_CLUSTER_ADDR_MAX),
	O("cluster", "key", CK_PATH, cluster_key, 0, 0),
	O("cluster", "name", CK_TEXT, cluster_name, 1, AG_CLUSTER_NAME_MAX),
	O("cluster", "password_file", CK_PATH, cluster_password_file, 0, 0),
	O("cluster", "user", CK_TEXT, cluster_user, 1, AG_CLUSTER_NAME_MAX),
	O("cluster", "prefix", CK_TEXT, cluster_prefix, 1,
	  AG_CLUSTER_PREFIX_MAX),
#undef O
};

static int config_set(struct config_ctx *x, const struct config_opt *o,
		      const char *v)
{
	void *f = (char *)x->c + o->off;
	unsigned long long n;
	struct group *gr;
	struct passwd *pw;

	switch (o->kind) {
	case CK_USER:
		/* resolved now: a user that does not exist is a configuration
		 * error, not a surprise after the socket is open */
		pw = getpwnam(v);
		if (pw != NULL && strlen(v) < sizeof x->c->run_user) {
			snprintf(x->c->run_user, sizeof x->c->run_user, "%s", v);
			x->c->run_uid = (long)pw->pw_uid;
			x->c->run_gid = (long)pw->pw_gid;
			return 0;
		}
		snprintf(x->why, sizeof x->why, "no user '%s'", v);
		return -1;
	case CK_SIZE:
		if (config_size(v, 0, o->hi, &n) == 0 &&
		    (n == 0 || n >= o->lo)) {
			*(unsigned long long *)f = n;
			return 0;
		}
		snprintf(x->why, sizeof x->why, "%s must be 0 (off) or a byte "
			 "count from %llu to %llu (suffixes K, M, G, T)",
			 o->name, o->lo, o->hi);
		return -1;
	case CK_SLOT:
		if (config_uint(v, o->lo, o->hi, &n, 10) == 0 && n % 64 == 0) {
			*(unsigned *)f = (unsigned)n;
			return 0;
		}
		snprintf(x->why, sizeof x->why, "%s must be a multiple of 64 "
			 "from %llu to %llu", o->name, o->lo, o->hi);
		return -1;
	case CK_NAMES:
		if (config_names(v, f, AG_SUBJECT_CLAIMS_LEN) == 0)
			return 0;
		snprintf(x->why, sizeof x->why, "%s must be 1 to %d claim "
			 "names (letters, digits, _ . -; at most %d bytes "
			 "each) separated by spaces", o->name,
			 AG_SUBJECT_CLAIMS_MAX, AG_KID_MAX);
		return -1;
	case CK_TEXT:
		/* one word of printable ASCII: it goes into Redis commands
		 * and log lines as it is */
		n = strlen(v);
		if (n >= o->lo && n <= o->hi && config_printable(v)) {
			memcpy(f, v, n + 1);
			return 0;
		}
		snprintf(x->why, sizeof x->why, "%s must be %llu to %llu "
			 "printable characters without spaces", o->name, o->lo,
			 o->hi);
		return -1;
	case CK_UINT:
	case CK_OCTAL:
	case CK_SECONDS:
		if (config_uint(v, o->lo, o->hi, &n, o->kind == CK_OCTAL ?
				8 : 10) != 0) {
			snprintf(x->why, sizeof x->why, "%s must be %s from "
				 "%llu to %llu", o->name, o->kind == CK_OCTAL ?
				 "an octal mode" : "a whole number", o->lo,
				 o->hi);
			return -1;
		}
		if (o->kind == CK_SECONDS)
			*(double *)f = (double)n;
		else
			*(unsigned *)f = (unsigned)n;
		return 0;
	case CK_PATH:
		if (config_path(x, v, f, PATH_MAX) == 0)
			return 0;
		break;
	case CK_SOCK:
		if (config_path(x, v, f, sizeof x->c->socket_path) == 0)
			return 0;
		snprintf(x->why, sizeof x->why, "socket path longer than "
			 "%zu bytes", sizeof x->c->socket_path - 1);
		return -1;
	case CK_ACL:
		return config_acl(x, v, f);
	case CK_LEVEL:
		if (log_level_parse(v, f) == 0)
			return 0;
		snprintf(x->why, sizeof x->why, "log_level must be error, "
			 "warning, info or debug");
		return -1;
	case CK_BOOL:
		if (config_bool(v, f) == 0)
			return 0;
		snprintf(x->why, sizeof x->why, "%s must be yes, no, true or "
			 "false", o->name);
		return -1;
	case CK_GROUP:
		if ((gr = getgrnam(v)) != NULL) {
			*(long *)f = (long)gr->gr_gid;
			return 0;
		}
		if (config_uint(v, 0, 0xfffffffeULL, &n, 10) == 0) {
			*(long *)f = (long)n;
			return 0;
		}
		snprintf(x->why, sizeof x->why, "no group '%s'", v);
		return -1;
	}
	snprintf(x->why, sizeof x->why, "path too long");
	return -1;
}

/*
 * After config_set's reason: the value as read, unless the reason quotes
 * what it could not find (users, groups, entries), and, for a value that
 * holds " #", that inih ends a value only at " ;": "4 # four" is all of
 * it.
 */
static void config_quote(struct config_ctx *x, const struct config_opt *o,
			 const char *v)
{
	size_t n = strlen(x->why);

	if (o->kind != CK_USER && o->kind != CK_GROUP && o->kind != CK_ACL &&
	    n < sizeof x->why)
		n += (size_t)snprintf(x->why + n, sizeof x->why - n,
				      ", not '%.80s'", v);
	if (strstr(v, " #") != NULL && n < sizeof x->why)
		snprintf(x->why + n, sizeof x->why - n, "; a comment takes a "
			 "line of its own, starting with # or ;");
}

/* A section no option belongs to: most likely misspelt ([deamon]); name
 * the ones there are, in the order of config_opts. */
static void config_no_section(struct config_ctx *x, const char *section)
{
	size_t i, n;

	n = (size_t)snprintf(x->why, sizeof x->why, section[0] == '\0' ?
			     "an option before any section%.0s; the sections "
			     "are" : "unknown section [%.40s]; the sections are",
			     section);
	for (i = 0; i < sizeof config_opts / sizeof *config_opts &&
	     n < sizeof x->why; i++)
		if (i == 0 || strcmp(config_opts[i].section,
				     config_opts[i - 1].section) != 0)
			n += (size_t)snprintf(x->why + n, sizeof x->why - n,
					      "%s [%s]", i == 0 ? "" : ",",
					      config_opts[i].section);
}

static int config_handler(void *user, const char *section, const char *name,
			  const char *value)
{
	struct config_ctx *x = user;
	size_t i;
	int known = 0;

	if (x->why[0] != '\0')
		return 1;  /* keep the first error only */
	for (i = 0; i < sizeof config_opts / sizeof *config_opts; i++) {
		if (strcmp(config_opts[i].section, section) != 0)
			continue;
		known = 1;
		if (strcmp(config_opts[i].name, name) != 0)
			continue;
		if (config_set(x, &config_opts[i], value) == 0)
			return 1;
		config_quote(x, &config_opts[i], value);
		return 0;
	}
	if (!known)
		config_no_section(x, section);
	else
		snprintf(x->why, sizeof x->why, "unknown option '%s' in [%s]",
			 name, section);
	return 0;
}

int config_load(struct config *c, const char *file, struct ag_error *e)
{
	struct config_ctx x;
	const char *slash;
	int line;

	memset(&x, 0, sizeof x);
	x.c = c;
	snprintf(c->file, sizeof c->file, "%s", file);
	slash = strrchr(file, '/');
	if (slash == NULL)
		snprintf(x.dir, sizeof x.dir, ".");
	else
		snprintf(x.dir, sizeof x.dir, "%.*s", (int)(slash - file), file);
	line = ini_parse(file, config_handler, &x);
	if (line < 0)
		return ag_fail(e, AG_E_CONFIG, "%s: cannot read: %s", file,
			       strerror(errno));
	if (line > 0)
		return ag_fail(e, AG_E_CONFIG, "%s:%d: %s", file, line,
			       x.why[0] ? x.why : "syntax error");
	/* whoever may verify may read the figures, unless the file says
	 * who: verify's list as the file left it, whatever the order */
	if (!c->metrics.given)
		c->metrics = c->verify;
	if (c->run_group >= 0 && c->run_user[0] == '\0')
		return ag_fail(e, AG_E_CONFIG, "%s: [daemon] group needs user "
			       "(the group to run as, with the user)", file);
	if (c->cluster_redis[0] != '\0' && c->cluster_key[0] == '\0')
		return ag_fail(e, AG_E_CONFIG, "%s: [cluster] redis needs key "
			       "(the fleet key file, the same on every host: "
			       "agauthctl keygen --type cluster --out FILE)",
			       file);
	if (c->cluster_redis[0] == '\0' && (c->cluster_key[0] != '\0' ||
	    c->cluster_password_file[0] != '\0'))
		return ag_fail(e, AG_E_CONFIG, "%s: [cluster] needs redis (a "
			       "Unix socket path, or host:port)", file);
	return 0;
}

int config_allows(const struct acl *a, uid_t uid, gid_t gid)
{
	int i;

	if (a->any)
		return 1;
	for (i = 0; i < a->n; i++)
		if (a->e[i].is_gid ? a->e[i].id == gid : a->e[i].id == uid)
			return 1;
	return 0;
}
