/*
 * agauthd - the key-holding JWT daemon.
 *
 *   agauthd [-c FILE] [-t]        run (foreground), or only check (-t)
 *   agauthd keygen TYPE FILE [--force]
 *   agauthd --version
 */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/dispatch.h"
#include "daemon/engine/crypto.h"
#include "daemon/engine/keygen.h"
#include "daemon/keyring.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/pool.h"
#include "daemon/priv.h"
#include "daemon/revoke.h"
#include "daemon/engine/secmem.h"
#include "daemon/server.h"
#include "shared/limits.h"

#define MAIN_DEFAULT_CONFIG "/etc/agauthd/agauthd.conf"

static const struct option main_long[] = {
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void main_usage(FILE *f)
{
	fprintf(f,
		"usage: agauthd [-c FILE] [-t]\n"
		"       agauthd keygen TYPE FILE [--force]\n"
		"       agauthd --version\n"
		"\n"
		"  -c FILE   configuration (default " MAIN_DEFAULT_CONFIG ")\n"
		"  -t        check the configuration and keyring, then exit\n"
		"  -h        this help\n"
		"  -V, --version  the release, then exit\n"
		"\n"
		"keygen TYPE: hs256 hs384 hs512 rsa2048 rsa3072 rsa4096 p256 "
		"p384 p521 cluster\n");
}

/* Key material must not reach a core file or another process's ptrace:
 * agauthd does not start unless both are ruled out.  Thousands of
 * clients need as many descriptors as we may have. */
static int main_harden(struct ag_error *e)
{
	struct rlimit no = { 0, 0 }, files;

	if (setrlimit(RLIMIT_CORE, &no) != 0)
		return ag_fail(e, AG_E_SYSTEM, "setrlimit(RLIMIT_CORE, 0): %s: "
			       "a core file could hold key material; refusing "
			       "to run (a seccomp filter must allow setrlimit)",
			       strerror(errno));
	if (priv_undumpable(e) != 0)
		return -1;
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 &&
	    files.rlim_cur < files.rlim_max) {
		files.rlim_cur = files.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &files) != 0)
			fprintf(stderr, "agauthd: warning: setrlimit("
				"RLIMIT_NOFILE): %s: fewer connections fit\n",
				strerror(errno));
	}
	return 0;
}

/* A file or setting must change (systemd does not restart EX_CONFIG), or
 * the system refused a call agauthd needs. */
static int main_status(const struct ag_error *e)
{
	return e->code == AG_E_CONFIG || e->code == AG_E_KEYRING ||
	       e->code == AG_E_STATE ? EX_CONFIG : EX_OSERR;
}

static int main_keygen(int argc, char **argv)
{
	struct ag_error e;
	int force = argc == 5 && strcmp(argv[4], "--force") == 0;

	if (argc != 4 && !force) {
		main_usage(stderr);
		return EX_USAGE;
	}
	if (main_harden(&e) != 0) {
		fprintf(stderr, "agauthd keygen: %s\n", e.msg);
		return EX_OSERR;
	}
	/* locked memory for the one key it makes, not a keyring's */
	if (crypto_init(1, 1) < 0) {
		fprintf(stderr, "agauthd keygen: cannot set up locked memory "
			"for the key\n");
		return EX_OSERR;
	}
	if (keygen_write(argv[2], argv[3], force, &e) != 0) {
		fprintf(stderr, "agauthd keygen: %s\n", e.msg);
		return 1;
	}
	return 0;
}

static void main_secmem_warn(const char *why)
{
	log_warn("%s", why);
}

/*
 * The backend's locked memory for private keys (OpenSSL's secure heap),
 * sized for every key two keyrings hold (a reload holds the old and the
 * new) and a copy per crypto thread; made while agauthd is root, whom
 * RLIMIT_MEMLOCK does not bind.  When locking is refused the keys are
 * still left out of core dumps and zeroed, so agauthd starts, but says
 * what limit to raise and where.
 */
static int main_secure_heap(const struct config *cfg, struct ag_error *e)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cfg->threads ? cfg->threads :
			   cpus > 0 ? (unsigned)cpus : 1;
	size_t size = crypto_secure_size(AG_SECURE_KEYS, threads);
	char why[768];
	int rc, err;

	/* locked like the rest: the figure a refused mlock names counts it */
	secmem_plan(size);
	errno = 0;
	rc = crypto_init(AG_SECURE_KEYS, threads);
	err = errno != 0 ? errno : EPERM;
	if (rc < 0)
		return ag_fail(e, AG_E_NOMEM, "cannot set up the secure heap "
			       "for private keys (%zu KiB): the system refused "
			       "the memory", size / 1024);
	if (rc == 0)
		return 0;
	/* the one sentence for every refused lock (daemon/engine/secmem.h) */
	secmem_memlock_advice(why, sizeof why, "secure heap for private keys",
			      err);
	log_warn("%s", why);
	return 0;
}

/* The user's identity, planned; then the keyring, read as that user. */
static int main_keyring(const struct config *cfg, struct keyring **kr,
			struct ag_error *e)
{
	struct ag_error back;
	int rc;

	if (priv_plan(cfg->run_user, (uid_t)cfg->run_uid,
		      (gid_t)(cfg->run_group >= 0 ? cfg->run_group :
			      cfg->run_gid), cfg->run_group >= 0, e) != 0)
		return -1;
	/* locked while we are root, whom RLIMIT_MEMLOCK does not bind: the
	 * keys loaded next go into it */
	secmem_prelock(AG_SECMEM_PRELOCK);
	if (main_secure_heap(cfg, e) != 0)
		return -1;
	/* what a reload will see, since reloads run as the user; then root
	 * again, for the socket and the state directory */
	if (priv_assume(e) != 0)
		return -1;
	rc = keyring_load(cfg->keyring, 1, cfg->default_expiry, kr, e);
	if (priv_resume(rc == 0 ? e : &back) != 0) {
		keyring_unref(*kr);
		*kr = NULL;
		return -1;
	}
	return rc;
}

/*
 * agauthd -t: what a start reads before it changes anything, read the
 * same way: the configuration (done), the keyring as the user agauthd
 * runs as (done), and the state directory with every revocation record,
 * through the loader the start uses, told to write nothing (a running
 * daemon may own the directory).
 */
static int main_check(const char *file, const struct config *cfg,
		      const struct keyring *kr, struct ag_error *e)
{
	if (server_revocations(cfg, REVOKE_CHECK, e) != 0)
		return -1;
	printf("agauthd: %s and %s are valid (%d key%s); state directory "
	       "%s: %zu revocation%s in force\n", file, cfg->keyring, kr->n,
	       LOG_PLURAL(kr->n), cfg->state_dir, revoke_count(),
	       LOG_PLURAL(revoke_count()));
	revoke_close();
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = MAIN_DEFAULT_CONFIG;
	static struct config cfg;
	struct keyring *kr = NULL;
	struct conn_opts co;
	struct ag_error e;
	int opt, check = 0, rc, p;

	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return main_keygen(argc, argv);
	while ((opt = getopt_long(argc, argv, "c:thV", main_long, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'V':
			printf("agauthd %s\n", AG_VERSION);
			return 0;
		default:
			main_usage(stderr);
			return EX_USAGE;
		}
	}
	if (main_harden(&e) != 0) {
		fprintf(stderr, "agauthd: %s\n", e.msg);
		return EX_OSERR;
	}
	/* before any thread: they all share the main arena */
	mallopt(M_ARENA_MAX, AG_MALLOC_ARENAS);
	secmem_set_warn(main_secmem_warn);
	config_defaults(&cfg);
	if (config_load(&cfg, file, &e) != 0) {
		fprintf(stderr, "agauthd: %s\n", e.msg);
		return main_status(&e);
	}
	log_init(cfg.log_level);
	/* the figure a refused mlock names: the crypto threads' stacks are
	 * locked too */
	secmem_plan((size_t)pool_size(cfg.threads) * AG_POOL_STACK);
	if (main_keyring(&cfg, &kr, &e) != 0) {
		log_err("%s", e.msg);
		return main_status(&e);
	}
	if (check) {
		rc = main_check(file, &cfg, kr, &e);
		if (rc != 0)
			log_err("%s", e.msg);
		keyring_unref(kr);
		return rc != 0 ? main_status(&e) : 0;
	}
	signal(SIGPIPE, SIG_IGN);
	/* a file-size limit (LimitFSIZE=, ulimit -f) makes an append to the
	 * revocation log fail with EFBIG, which revoke answers with
	 * AG_E_STATE; the default action would kill the daemon instead */
	signal(SIGXFSZ, SIG_IGN);
	if (notify_init() < 0)
		log_warn("NOTIFY_SOCKET is set but unusable; systemd will not "
			 "hear from agauthd");
	/* the state directory and the socket as root, then root never
	 * again */
	dispatch_opts(&cfg, &co);
	if (server_start(EV_DEFAULT, &cfg, &co, kr, &e) != 0) {
		log_err("%s", e.msg);
		keyring_unref(kr);
		return main_status(&e);
	}
	if (priv_drop(&e) != 0) {
		log_err("%s", e.msg);
		return EX_OSERR;
	}
	if (priv_drops())
		log_info("running as %s (uid %ld gid %ld), root given up",
			 cfg.run_user, cfg.run_uid, cfg.run_group >= 0 ?
			 cfg.run_group : cfg.run_gid);
	/* the crypto threads are started by the user alone */
	if (pool_start(EV_DEFAULT, cfg.threads, cfg.pool_queue,
		       (int)cfg.crypto_nice) != 0) {
		log_err("cannot start the crypto pool");
		return EX_OSERR;
	}
	p = keyring_primary(kr, clock_wall());
	log_info("agauthd ready: keyring %s, %d key%s, primary %s",
		 cfg.keyring, kr->n, LOG_PLURAL(kr->n), p >= 0 ? kr->keys[p].name :
		 "none");
	server_notify_ready();
	server_run();
	dispatch_end();
	notify_close();
	log_info("agauthd stopped");
	return 0;
}
