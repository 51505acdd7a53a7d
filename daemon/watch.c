/* watch.c - pushing revocation events to the connections that watch. */
#include "daemon/watch.h"

#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "shared/limits.h"

static struct {
	struct conn *c;
	uint64_t id;
} watch_list[AG_WATCH_MAX];
static unsigned watch_n;

int watch_add(struct conn *c, uint64_t id)
{
	if (conn_watching(c) || watch_n == AG_WATCH_MAX)
		return -1;
	conn_ref(c);
	conn_set_watching(c, 1);
	watch_list[watch_n].c = c;
	watch_list[watch_n].id = id;
	watch_n++;
	return 0;
}

void watch_drop(struct conn *c)
{
	unsigned i;

	for (i = 0; i < watch_n; i++)
		if (watch_list[i].c == c)
			break;
	if (i == watch_n)
		return;
	conn_set_watching(c, 0);
	watch_list[i] = watch_list[--watch_n];
	conn_unref(c);
}

/* The bytes a watcher has not read yet. */
static size_t watch_unread(unsigned i)
{
	return conn_unread(watch_list[i].c);
}

/*
 * Ends the watch of watcher i and tells it so: the events it has not
 * begun to read are dropped (their memory given back), a rewatch event
 * follows the one it has begun, and the connection closes once that is
 * written.  The client watches again and re-checks what it holds: the
 * events in between are lost to it.
 */
static void watch_evict(unsigned i, size_t total)
{
	struct conn *c = watch_list[i].c;
	const struct conn_peer *p = conn_peer(c);
	uint64_t id = watch_list[i].id;
	struct proto_out o;

	log_warn_limited("dropped watchers", "conn %llu (uid %u pid %d) "
			 "dropped as a watcher and told to watch again: it "
			 "left %zu bytes of revocation events unread, the most "
			 "of the %u watchers, %zu in all ([limits] max_output "
			 "= %u, watch_output = %u)",
			 (unsigned long long)p->serial, (unsigned)p->uid,
			 (int)p->pid, watch_unread(i), watch_n, total,
			 server_config()->max_output,
			 server_config()->watch_output);
	conn_ref(c);
	watch_drop(c);
	if (conn_drop_output(c) == 0) {
		reply_ok(&o, conn_out(c), id, 2);
		proto_kv_cstr(&o, "event", "rewatch");
		proto_kv_cstr(&o, "message", "agauthd dropped this watch: its "
			      "events went unread (past [limits] max_output "
			      "for one watcher, or watch_output for all); "
			      "watch again and re-check what you hold");
		proto_end(&o);
		conn_close_after(c);
		conn_sent(c, 0);
	}
	conn_unref(c);
}

/* Watchers that do not read must not hold memory without end: one may
 * leave max_output bytes unread, all of them together watch_output;
 * past either, the one that leaves the most goes first. */
static void watch_trim(void)
{
	const struct config *cfg = server_config();
	size_t total = 0, most;
	unsigned i, worst;

	for (i = 0; i < watch_n; i++)
		total += watch_unread(i);
	while (watch_n > 0) {
		worst = 0;
		for (i = 1; i < watch_n; i++)
			if (watch_unread(i) > watch_unread(worst))
				worst = i;
		most = watch_unread(worst);
		if (total <= cfg->watch_output && most <= cfg->max_output)
			break;
		watch_evict(worst, total);
		total -= most;
	}
}

void watch_publish(enum revoke_kind k, const char *value, size_t n,
		   double at, const char *origin)
{
	struct proto_out o;
	struct conn *c;
	unsigned i;

	/* backwards: a watcher whose output overflows is dropped here, and
	 * the one swapped into its place has had its event already */
	for (i = watch_n; i-- > 0;) {
		c = watch_list[i].c;
		reply_ok(&o, conn_out(c), watch_list[i].id,
			 origin != NULL ? 5 : 4);
		proto_kv_cstr(&o, "event", "revoke");
		proto_kv_cstr(&o, "kind", revoke_kind_name(k));
		proto_kv_str(&o, "value", value, n);
		proto_kv_double(&o, "at", at);
		if (origin != NULL)
			proto_kv_cstr(&o, "origin", origin);
		proto_end(&o);
		conn_sent(c, 0);
	}
	watch_trim();
}

unsigned watch_count(void)
{
	return watch_n;
}
