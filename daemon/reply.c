/* reply.c - replies common to every operation. */
#include "daemon/reply.h"

#include "daemon/conn.h"
#include "daemon/stats.h"

void reply_ok(struct proto_out *o, struct buf *b, uint64_t id, size_t fields)
{
	proto_begin(o, b);
	msgpack_pack_map(&o->pk, fields + 2);
	proto_kv_uint(o, "id", id);
	proto_kv_bool(o, "ok", 1);
}

void reply_fail(struct conn *c, uint64_t id, const struct ag_error *e)
{
	stats_get()->failures++;
	proto_error(conn_out(c), id, e);
	conn_sent(c, 1);
}

void reply_fail_code(struct conn *c, uint64_t id, enum ag_err code,
		     const char *msg)
{
	struct ag_error e;

	ag_fail(&e, code, "%s", msg ? msg : ag_strerror(code));
	reply_fail(c, id, &e);
}
