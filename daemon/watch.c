/* watch.c - pushing revocation events to the connections that watch. */
#include "watch.h"

#include "daemon/conn.h"
#include "daemon/reply.h"
#include "shared/limits.h"

static struct {
	struct conn *c;
	uint64_t id;
} watch_list[AG_WATCH_MAX];
static unsigned watch_n;

int watch_add(struct conn *c, uint64_t id)
{
	if (c->watching || watch_n == AG_WATCH_MAX)
		return -1;
	conn_ref(c);
	c->watching = 1;
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
	c->watching = 0;
	watch_list[i] = watch_list[--watch_n];
	conn_unref(c);
}

void watch_publish(enum revoke_kind k, const char *value, size_t n,
		   double at)
{
	struct proto_out o;
	struct conn *c;
	unsigned i;

	/* backwards: a watcher whose output overflows is dropped here, and
	 * the one swapped into its place has had its event already */
	for (i = watch_n; i-- > 0;) {
		c = watch_list[i].c;
		reply_ok(&o, &c->out, watch_list[i].id, 4);
		proto_kv_cstr(&o, "event", "revoke");
		proto_kv_cstr(&o, "kind", revoke_kind_name(k));
		proto_kv_str(&o, "value", value, n);
		proto_kv_double(&o, "at", at);
		proto_end(&o);
		conn_sent(c, 0);
	}
}

unsigned watch_count(void)
{
	return watch_n;
}
