/* request.c - a request's op, id and arguments, out of its map. */
#include "daemon/request.h"

#include <string.h>

#include "shared/limits.h"
#include "shared/proto.h"

static const struct proto_name request_ops[] = {
#define REQ_X_NAME(id, name, args, right, handler) \
	[REQ_##id] = PROTO_NAME(name),
	AG_OP_LIST(REQ_X_NAME)
#undef REQ_X_NAME
};
_Static_assert(sizeof request_ops / sizeof *request_ops == REQ_NOPS &&
	       REQ_NOPS == AG_OP_COUNT, "one name per op of shared/ops.h");

const char *request_op_name(enum request_op op)
{
	return (unsigned)op < REQ_NOPS ? request_ops[op].s : NULL;
}

/* The fields any request may carry, found in one walk of its map. */
enum request_field {
	RF_ID, RF_OP, RF_CH, RF_CM, RF_V, RF_PAYLOAD, RF_TOKEN, RF_ALG,
	RF_OPTS, RF_JTI, RF_SUB, RF_CLUSTER, RF_ACTIVATE_IN, RF_COUNT
};

static const struct proto_name request_fields[RF_COUNT] = {
	[RF_ID] = PROTO_NAME("id"), [RF_OP] = PROTO_NAME("op"),
	[RF_CH] = PROTO_NAME("ch"), [RF_CM] = PROTO_NAME("cm"),
	[RF_V] = PROTO_NAME("v"), [RF_PAYLOAD] = PROTO_NAME("payload"),
	[RF_TOKEN] = PROTO_NAME("token"), [RF_ALG] = PROTO_NAME("alg"),
	[RF_OPTS] = PROTO_NAME("opts"), [RF_JTI] = PROTO_NAME("jti"),
	[RF_SUB] = PROTO_NAME("sub"), [RF_CLUSTER] = PROTO_NAME("cluster"),
	[RF_ACTIVATE_IN] = PROTO_NAME("activate_in"),
};

/* A client's count, bounded (0 if absent or out of bounds). */
static uint64_t request_count(const msgpack_object *o)
{
	uint64_t v;

	return proto_val_uint(o, &v) == 0 && v <= UINT32_MAX ? v : 0;
}

/* {token | jti | sub: str}: exactly one. */
static int request_args_revoke(struct request *r,
			       const msgpack_object **f)
{
	static const enum request_field keys[] = { RF_TOKEN, RF_JTI, RF_SUB };
	static const enum revoke_kind kinds[] = {
		REVOKE_TOKEN, REVOKE_JTI, REVOKE_SUBJECT,
	};
	int k, found = -1;

	for (k = 0; k < 3; k++) {
		if (f[keys[k]] == NULL)
			continue;
		if (found >= 0 ||
		    proto_val_str(f[keys[k]], &r->value, &r->value_len) != 0)
			return -1;
		found = k;
	}
	if (found < 0)
		return -1;
	r->revoke_kind = kinds[found];
	return 0;
}

/* sign and verify need their argument; rotate's alg is optional; opts,
 * if there, is a string. */
static int request_job(struct request *r, const msgpack_object **f,
		       enum request_field arg, int optional)
{
	int ra = proto_val_str(f[arg], &r->arg, &r->arg_len);
	int ro = proto_val_str(f[RF_OPTS], &r->opts, &r->opts_len);

	/* present (even empty) is never NULL */
	if (ra == 0 && r->arg == NULL)
		r->arg = "";
	if (ra != 0) {
		r->arg = NULL;
		r->arg_len = 0;
	}
	if (ro != 0) {
		r->opts = NULL;
		r->opts_len = 0;
	}
	return (ra == -1 && !optional) || ra == -2 || ro == -2 ? -1 : 0;
}

/* The arguments of each op, by the args column of shared/ops.h. */
static int request_args_none(struct request *r, const msgpack_object **f)
{
	(void)r;
	(void)f;
	return 0;
}

static int request_args_version(struct request *r, const msgpack_object **f)
{
	return proto_val_uint(f[RF_V], &r->version) == 0 ? 0 : -1;
}

static int request_args_payload(struct request *r, const msgpack_object **f)
{
	return request_job(r, f, RF_PAYLOAD, 0);
}

static int request_args_token(struct request *r, const msgpack_object **f)
{
	return request_job(r, f, RF_TOKEN, 0);
}

/* {alg?: str, cluster?: bool, activate_in?: uint}: activate_in (seconds,
 * at most AG_CLUSTER_ACTIVATE_MAX) only with cluster */
static int request_args_rotate(struct request *r, const msgpack_object **f)
{
	const msgpack_object *c = f[RF_CLUSTER], *in = f[RF_ACTIVATE_IN];

	if (request_job(r, f, RF_ALG, 1) != 0 ||
	    (c != NULL && c->type != MSGPACK_OBJECT_BOOLEAN))
		return -1;
	r->cluster = c != NULL && c->via.boolean;
	r->activate_in = AG_CLUSTER_ACTIVATE_IN;
	if (in != NULL && (!r->cluster ||
			   proto_val_uint(in, &r->activate_in) != 0 ||
			   r->activate_in > AG_CLUSTER_ACTIVATE_MAX))
		return -1;
	return 0;
}

static int (*const request_args[])(struct request *,
				   const msgpack_object **) = {
#define REQ_X_ARGS(id, name, args, right, handler) \
	[REQ_##id] = request_args_##args,
	AG_OP_LIST(REQ_X_ARGS)
#undef REQ_X_ARGS
};
_Static_assert(sizeof request_args / sizeof *request_args == REQ_NOPS,
	       "one argument parser per op of shared/ops.h");

enum request_status request_parse(struct request *r,
				  const msgpack_object *root)
{
	const msgpack_object *f[RF_COUNT];
	int i;

	memset(r, 0, sizeof *r);
	r->op = REQ_NOPS;
	r->op_name = "";
	proto_get_many(root, request_fields, RF_COUNT, f);
	/* the id, when there, goes with any reply: a malformed one too */
	if (proto_val_uint(f[RF_ID], &r->id) != 0 ||
	    proto_val_str(f[RF_OP], &r->op_name, &r->op_len) != 0)
		return r->status = REQ_MALFORMED;
	for (i = 0; i < REQ_NOPS; i++)
		if (request_ops[i].n == r->op_len &&
		    memcmp(request_ops[i].s, r->op_name, r->op_len) == 0)
			break;
	if (i == REQ_NOPS)
		return r->status = REQ_UNKNOWN_OP;
	r->op = (enum request_op)i;
	r->ch = request_count(f[RF_CH]);
	r->cm = request_count(f[RF_CM]);
	r->status = request_args[r->op](r, f) == 0 ? REQ_OK : REQ_BAD_ARGS;
	return r->status;
}
