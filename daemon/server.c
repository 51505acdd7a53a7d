/* server.c - listening, accepting, signals, keyring swaps. */
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/cachew.h"
#include "daemon/clock.h"
#include "daemon/cluster.h"
#include "daemon/conn.h"
#include "daemon/hold.h"
#include "daemon/job.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/pool.h"
#include "daemon/reply.h"
#include "daemon/revoke.h"
#include "daemon/statedir.h"
#include "daemon/stats.h"
#include "shared/cache.h"

#define SERVER_ACCEPT_BATCH 64
#define SD_LISTEN_FDS_START 3
#define SERVER_NOT_PASSED   (-2)     /* server_inherited: no socket */
/* revocations whose tokens all expired are dropped this often (beats) */
#define SERVER_PRUNE_BEATS  (60 * 1000 / CACHE_BEAT_MS)

static struct {
	struct ev_loop *loop;
	const struct config *cfg;
	const struct conn_opts *conn;    /* what connections open with */
	struct keyring *kr;
	int lfd, own_path, spare;
	ev_io accept_w;
	ev_timer resume_w, beat_w;
	unsigned beats;
	ev_signal hup_w, term_w, int_w;
} srv = { .lfd = -1, .spare = -1 };

const struct config *server_config(void)
{
	return srv.cfg;
}

struct ev_loop *server_loop(void)
{
	return srv.loop;
}

struct keyring *server_keyring(void)
{
	return srv.kr;
}

/* "keyring generation N live: K keys, primary P", for the log and for
 * systemd's STATUS= */
static const char *server_live(char *out, size_t cap)
{
	const struct keyring *kr = srv.kr;
	int p = keyring_primary(kr, clock_wall());

	snprintf(out, cap, "keyring generation %llu live: %d key%s, primary "
		 "%s", (unsigned long long)kr->generation, kr->n,
		 LOG_PLURAL(kr->n), p >= 0 ? kr->keys[p].name : "(none)");
	return out;
}

void server_notify_ready(void)
{
	char live[160];

	notify_ready("%s", server_live(live, sizeof live));
}

void server_set_keyring(struct keyring *kr)
{
	struct keyring *old = srv.kr;
	char live[160];

	/* a rotation that began before a reload ends after it: generations
	 * still only go up */
	if (kr->generation <= old->generation)
		kr->generation = old->generation + 1;
	/* entries of keys that left stop hitting before the swap */
	cachew_keys(kr);
	srv.kr = kr;
	keyring_unref(old);
	log_info("%s", server_live(live, sizeof live));
	/* agauthctl reload and rotate as well as SIGHUP: systemctl status
	 * names the generation that answers */
	notify_status("%s", live);
}

int server_reload(struct ag_error *e)
{
	struct keyring *kr, *pruned;
	struct ag_error pe;

	if (keyring_load(srv.kr->manifest, srv.kr->generation + 1,
			 srv.kr->grace, &kr, e) != 0) {
		log_err("reload failed, keeping generation %llu: %s",
			(unsigned long long)srv.kr->generation, e->msg);
		return -1;
	}
	/* keys past their retire time leave the manifest, and their files
	 * go; if that cannot be done they stay, unused */
	if (keyring_prune(kr, clock_wall(), &pruned, &pe) != 0) {
		log_warn("reload: keys past their retire time stay: %s",
			 pe.msg);
	} else if (pruned != NULL) {
		keyring_unref(kr);
		kr = pruned;
	}
	server_set_keyring(kr);
	return 0;
}

/* A key of the fleet (daemon/cluster.h): into the live keyring, which
 * verifies with it at once; primary from its instant. */
static int server_install(const struct cluster_record *r, struct ag_error *e)
{
	struct keyring *kr;
	const char *why;
	char when[32];
	struct tm tm;
	time_t t = (time_t)r->at;
	int rc;

	rc = keyring_rotate_install(srv.kr, r->kid, r->alg, (int64_t)r->at,
				    r->value, r->len, clock_wall(), &kr, &why,
				    e);
	if (rc > 0)
		log_debug("cluster: key %s from %s: nothing to do (%s)",
			  r->kid, r->origin, why);
	if (rc != 0)
		return rc;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_info("cluster: key %s (%s) from %s installed: it verifies now "
		 "and signs from %s", r->kid, r->alg->name, r->origin, when);
	server_set_keyring(kr);
	return 0;
}

/* systemd socket activation: fd 3, if LISTEN_PID names us;
 * SERVER_NOT_PASSED if it does not, -1 (e says why) if fd 3 cannot be
 * made safe to serve on. */
static int server_inherited(struct ag_error *e)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int acc = 0, fl;
	socklen_t len = sizeof acc;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
	    atoi(fds) < 1)
		return SERVER_NOT_PASSED;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_ACCEPTCONN, &acc,
		       &len) != 0 || !acc)
		return SERVER_NOT_PASSED;
	/* close-on-exec: the socket reaches no program a library might
	 * run; non-blocking: a connection gone before accept must not
	 * stall the loop that every client waits on */
	if (fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) != 0 ||
	    (fl = fcntl(SD_LISTEN_FDS_START, F_GETFL)) < 0 ||
	    fcntl(SD_LISTEN_FDS_START, F_SETFL, fl | O_NONBLOCK) != 0)
		return ag_fail(e, AG_E_SYSTEM, "the socket systemd passed "
			       "(fd %d): fcntl: %s; refusing to serve on it (a "
			       "seccomp filter must allow fcntl)",
			       SD_LISTEN_FDS_START, strerror(errno));
	return SD_LISTEN_FDS_START;
}

static int server_listen(const struct config *cfg, struct ag_error *e)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, rc;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", cfg->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ag_fail(e, AG_E_CONFIG, "socket: %s", strerror(errno));
	/* a socket file left by a dead daemon goes; a live daemon's stays */
	if (lstat(sa.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) ||
		    connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ||
		    errno == EAGAIN) {
			close(fd);
			return ag_fail(e, AG_E_CONFIG, "%s: %s", sa.sun_path,
				       S_ISSOCK(st.st_mode) ? "another agauthd "
				       "is listening there" : "exists and is "
				       "not a socket");
		}
		unlink(sa.sun_path);
	}
	/* the mode is right from the first instant: no window in which
	 * others could connect */
	old = umask(~(mode_t)cfg->socket_mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || (cfg->socket_gid >= 0 &&
			chown(sa.sun_path, (uid_t)-1, (gid_t)cfg->socket_gid)
			!= 0) || listen(fd, SOMAXCONN) != 0) {
		ag_fail(e, AG_E_CONFIG, "%s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	srv.own_path = 1;
	return fd;
}

/* The listening socket closed; our own socket file removed (systemd's is
 * systemd's). */
static void server_unlisten(void)
{
	if (srv.lfd >= 0)
		close(srv.lfd);
	srv.lfd = -1;
	if (srv.own_path)
		unlink(srv.cfg->socket_path);
	srv.own_path = 0;
}

static void server_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_io_start(loop, &srv.accept_w);
}

/*
 * Out of descriptors, a pending connection would wake the loop forever.
 * Drop it through a spare descriptor kept for the purpose, and pause
 * accepting for a moment so the loop does not spin.
 */
static void server_shed(struct ev_loop *loop)
{
	int fd;

	if (srv.spare >= 0) {
		close(srv.spare);
		fd = accept(srv.lfd, NULL, NULL);
		if (fd >= 0)
			close(fd);
		srv.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	log_warn("out of file descriptors with %u connections; pausing "
		 "accept for 100 ms (raise LimitNOFILE= or lower [limits] "
		 "max_connections)", conn_count());
	ev_io_stop(loop, &srv.accept_w);
	ev_timer_set(&srv.resume_w, 0.1, 0);
	ev_timer_start(loop, &srv.resume_w);
}

static void server_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	int i, fd;

	(void)w;
	(void)revents;
	for (i = 0; i < SERVER_ACCEPT_BATCH; i++) {
		fd = accept4(srv.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				server_shed(loop);
			else if (errno != EAGAIN && errno != EINTR &&
				 errno != ECONNABORTED)
				/* limited: each wake may fail again */
				log_warn_limited("accept errors", "accept: %s",
						 strerror(errno));
			return;
		}
		if (conn_count() >= srv.cfg->max_connections) {
			close(fd);  /* over the configured ceiling */
			stats_get()->busy++;
			continue;
		}
		conn_open(loop, fd, srv.conn);
	}
}

/* The cache's heartbeat tells clients the daemon is alive, and the
 * watchdog tells systemd; log lines a rate limit held back are told;
 * now and then revocations past their tokens' lifetime go. */
static void server_beat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	double now = clock_wall();

	(void)loop;
	(void)w;
	(void)revents;
	cachew_heartbeat(now);
	notify_watchdog();
	log_flush(0);
	if (++srv.beats % SERVER_PRUNE_BEATS == 0)
		revoke_prune(now);
}

int server_revocations(const struct config *cfg, int flags,
		       struct ag_error *e)
{
	return revoke_open(cfg->state_dir, cfg->revoke_subject,
			   cfg->revoke_horizon > 0 ? cfg->revoke_horizon :
			   cfg->default_expiry, clock_wall(), flags, e);
}

/* The revocations and the cache, before the first client. */
static int server_state(const struct config *cfg, struct keyring *kr,
			struct ag_error *e)
{
	double now = clock_wall();

	if (server_revocations(cfg, 0, e) != 0)
		return -1;
	if (cachew_open(cfg->cache_size, cfg->cache_slot, cfg->cache_preallocate,
			cfg->revoke_subject, now, e) != 0)
		return -1;
	cachew_keys(kr);
	/* after the revocations: what the stream brings applies to them */
	if (cluster_start(srv.loop, cfg, server_install, e) != 0)
		return -1;
	if (cachew_enabled())
		log_info("cache: %llu bytes, %u-byte slots",
			 (unsigned long long)cfg->cache_size, cfg->cache_slot);
	if (revoke_count() > 0)
		log_info("%zu revocation%s in force", revoke_count(),
			 LOG_PLURAL(revoke_count()));
	return 0;
}

static void server_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ag_error e;

	(void)revents;
	if (w->signum == SIGHUP) {
		log_info("SIGHUP: reloading the keyring");
		notify_reloading();
		if (server_reload(&e) == 0)
			server_notify_ready();
		else
			notify_ready("reload failed, keyring generation %llu "
				     "still live: %s",
				     (unsigned long long)srv.kr->generation,
				     e.msg);
		return;
	}
	log_info("signal %d: stopping", w->signum);
	notify_stopping();
	ev_break(loop, EVBREAK_ALL);
}

/* The socket: systemd's, or our own. */
static int server_socket(const struct config *cfg, struct ag_error *e)
{
	srv.lfd = server_inherited(e);
	if (srv.lfd >= 0)
		log_info("listening on the socket systemd passed");
	else if (srv.lfd == SERVER_NOT_PASSED)
		srv.lfd = server_listen(cfg, e);
	return srv.lfd >= 0 ? 0 : -1;
}

int server_start(struct ev_loop *loop, const struct config *cfg,
		 const struct conn_opts *co, struct keyring *kr,
		 struct ag_error *e)
{
	srv.loop = loop;
	srv.cfg = cfg;
	srv.conn = co;
	srv.kr = kr;
	stats_get()->started = ev_now(loop);
	/* signals first: once the socket listens, a client may connect
	 * and a supervisor may stop us; a SIGTERM that came before the
	 * handler would kill the daemon mid-start instead of stopping it */
	ev_signal_init(&srv.hup_w, server_signal_cb, SIGHUP);
	ev_signal_init(&srv.term_w, server_signal_cb, SIGTERM);
	ev_signal_init(&srv.int_w, server_signal_cb, SIGINT);
	ev_signal_start(loop, &srv.hup_w);
	ev_signal_start(loop, &srv.term_w);
	ev_signal_start(loop, &srv.int_w);
	/* the state directory is locked, and the socket held, before
	 * anything in the directory is read or written: a second daemon
	 * stops at either having changed nothing */
	if (statedir_lock(cfg->state_dir, e) != 0)
		return -1;
	if (server_socket(cfg, e) != 0 || server_state(cfg, kr, e) != 0) {
		server_unlisten();
		statedir_unlock();
		return -1;
	}
	srv.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev_io_init(&srv.accept_w, server_accept_cb, srv.lfd, EV_READ);
	ev_io_start(loop, &srv.accept_w);
	ev_init(&srv.resume_w, server_resume_cb);
	ev_timer_init(&srv.beat_w, server_beat_cb, CACHE_BEAT_MS / 1000.0,
		      CACHE_BEAT_MS / 1000.0);
	ev_timer_start(loop, &srv.beat_w);
	hold_start(loop, cfg->state_dir);
	if (srv.own_path)
		log_info("listening on %s", cfg->socket_path);
	return 0;
}

void server_run(void)
{
	ev_run(srv.loop, 0);
	cluster_stop();
	/* clients stop hitting at once: nothing may answer for a daemon
	 * that no longer purges what it revokes */
	cachew_close();
	hold_stop();
	job_stop();
	ev_io_stop(srv.loop, &srv.accept_w);
	server_unlisten();
	pool_stop();
	/* after the pool: the replies of jobs that were running are out */
	conn_close_all();
	revoke_close();
	statedir_unlock();
	if (srv.spare >= 0)
		close(srv.spare);
	keyring_unref(srv.kr);
	srv.kr = NULL;
	log_flush(1);
}
