/*
 * fuzz_request.c - a request frame's body from outside, taken apart as
 * dispatch does before it acts: proto_decode, then request_parse, which
 * reads id and op, the ch and cm counters, and each op's arguments
 * (hello's v; sign's payload, verify's token and rotate's alg, with opts;
 * revoke's one of token, jti and sub).  What it hands dispatch must hold
 * together: every string inside the frame, a known op for every request
 * not refused, bounded counters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/request.h"
#include "shared/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *fr_data;
static size_t fr_size;
static volatile unsigned fr_sink;

/* s[0..n) lies in the frame (msgpack-c points into it); every byte is
 * read, so that ASan sees any that does not. */
static void fr_inside(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	unsigned x = 0;
	size_t i;

	if (n == 0)
		return;
	if (s == NULL || p < fr_data || n > fr_size ||
	    p - fr_data > (ptrdiff_t)(fr_size - n))
		abort();
	for (i = 0; i < n; i++)
		x += p[i];
	fr_sink += x;
}

static void fr_check(const struct request *r)
{
	fr_inside(r->op_name, r->op_len);
	if (r->ch > UINT32_MAX || r->cm > UINT32_MAX)
		abort();
	switch (r->status) {
	case REQ_MALFORMED:
		if (r->op != REQ_NOPS || r->ch || r->cm)
			abort();
		return;
	case REQ_UNKNOWN_OP:
		if (r->op != REQ_NOPS)
			abort();
		return;
	case REQ_OK:
	case REQ_BAD_ARGS:
		break;
	default:
		abort();
	}
	/* a known op, named as sent */
	if ((unsigned)r->op >= REQ_NOPS ||
	    strlen(request_op_name(r->op)) != r->op_len ||
	    memcmp(request_op_name(r->op), r->op_name, r->op_len) != 0)
		abort();
	fr_inside(r->arg, r->arg_len);
	fr_inside(r->opts, r->opts_len);
	fr_inside(r->value, r->value_len);
	if (r->status != REQ_OK)
		return;
	switch (r->op) {
	case REQ_SIGN:
	case REQ_VERIFY:
		if (r->arg == NULL)
			abort();
		break;
	case REQ_REVOKE:
		if (r->value == NULL || (unsigned)r->revoke_kind >
		    REVOKE_SUBJECT)
			abort();
		break;
	default:
		break;
	}
	if (r->arg == NULL && r->arg_len != 0)
		abort();
	if (r->opts == NULL && r->opts_len != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg m;
	struct request r;

	fr_data = data;
	fr_size = size;
	if (proto_decode(&m, data, size, NULL) == 0) {
		request_parse(&r, m.root);
		fr_check(&r);
	}
	proto_msg_free(&m);
	return 0;
}
