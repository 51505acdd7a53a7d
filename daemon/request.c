/* request.c - a request's op, id and arguments, out of its map. */
#include "request.h"

#include <string.h>

#include "shared/proto.h"

static const char *const request_ops[REQ_NOPS] = {
	[REQ_HELLO] = "hello", [REQ_PING] = "ping", [REQ_SIGN] = "sign",
	[REQ_VERIFY] = "verify", [REQ_KEYS] = "keys",
	[REQ_RELOAD] = "reload", [REQ_ROTATE] = "rotate",
	[REQ_STATS] = "stats", [REQ_CACHE] = "cache",
	[REQ_REVOKE] = "revoke", [REQ_WATCH] = "watch",
};

const char *request_op_name(enum request_op op)
{
	return (unsigned)op < REQ_NOPS ? request_ops[op] : NULL;
}

/* A client's count, bounded (0 if absent or out of bounds). */
static uint64_t request_count(const msgpack_object *root, const char *key)
{
	uint64_t v;

	return proto_uint(root, key, &v) == 0 && v <= UINT32_MAX ? v : 0;
}

/* {token | jti | sub: str}: exactly one. */
static int request_revoke(struct request *r, const msgpack_object *root)
{
	static const char *const keys[] = { "token", "jti", "sub" };
	static const enum revoke_kind kinds[] = {
		REVOKE_TOKEN, REVOKE_JTI, REVOKE_SUBJECT,
	};
	int k, found = -1;

	for (k = 0; k < 3; k++) {
		if (proto_get(root, keys[k]) == NULL)
			continue;
		if (found >= 0 ||
		    proto_str(root, keys[k], &r->value, &r->value_len) != 0)
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
static int request_job(struct request *r, const msgpack_object *root,
		       const char *argname, int optional)
{
	int ra = proto_str(root, argname, &r->arg, &r->arg_len);
	int ro = proto_str(root, "opts", &r->opts, &r->opts_len);

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

static int request_args(struct request *r, const msgpack_object *root)
{
	switch (r->op) {
	case REQ_HELLO:
		return proto_uint(root, "v", &r->version) == 0 ? 0 : -1;
	case REQ_SIGN:
		return request_job(r, root, "payload", 0);
	case REQ_VERIFY:
		return request_job(r, root, "token", 0);
	case REQ_ROTATE:
		return request_job(r, root, "alg", 1);
	case REQ_REVOKE:
		return request_revoke(r, root);
	default:
		return 0;
	}
}

enum request_status request_parse(struct request *r,
				  const msgpack_object *root)
{
	int i;

	memset(r, 0, sizeof *r);
	r->op = REQ_NOPS;
	r->op_name = "";
	/* the id, when there, goes with any reply: a malformed one too */
	if (proto_uint(root, "id", &r->id) != 0 ||
	    proto_str(root, "op", &r->op_name, &r->op_len) != 0)
		return r->status = REQ_MALFORMED;
	for (i = 0; i < REQ_NOPS; i++)
		if (strlen(request_ops[i]) == r->op_len &&
		    memcmp(request_ops[i], r->op_name, r->op_len) == 0)
			break;
	if (i == REQ_NOPS)
		return r->status = REQ_UNKNOWN_OP;
	r->op = (enum request_op)i;
	r->ch = request_count(root, "ch");
	r->cm = request_count(root, "cm");
	r->status = request_args(r, root) == 0 ? REQ_OK : REQ_BAD_ARGS;
	return r->status;
}
