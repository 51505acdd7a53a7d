/*
 * agjwt - drives the JWT engine without the daemon.
 *
 * Reads one JSON request per line on stdin and writes one JSON reply per
 * line on stdout, so test suites in any language (the differential suite
 * runs it next to jsonwebtoken) can exercise sign and verify directly:
 *
 *   {"op":"sign","key":K,"payload":"<json>","options":"<json>","now":MS}
 *   {"op":"verify","key":K|null,"token":T,"options":"<json>","now":MS}
 *
 * K is the key as jsonwebtoken takes it: a secret string or PEM text.
 * Replies: {"ok":true,"token":T} for sign; for verify {"ok":true,"kind":
 * "json"|"text","header":B64,"payload":B64,"signature":S}; failures
 * {"ok":false,"code":C,"name":N,"message":M[,"date":SECONDS]}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/agerr.h"
#include "shared/b64url.h"
#include "shared/buf.h"
#include "shared/json.h"
#include "daemon/engine/key.h"
#include "shared/limits.h"
#include "daemon/engine/sign.h"
#include "daemon/engine/verify.h"
#include "shared/vopts.h"

#define DRV_LINE_MAX (1 << 20)
#define DRV_KEYS 32

struct drv_key {
	char *material;
	size_t len;
	enum key_use use;
	struct key *k;
	struct ag_error err;
};

static struct drv_key drv_keys[DRV_KEYS];
static unsigned drv_next;

/* Parsing RSA keys takes milliseconds: keep the last few. */
static const struct drv_key *drv_key(const char *m, size_t n,
				     enum key_use use)
{
	struct drv_key *dk;
	unsigned i;

	for (i = 0; i < DRV_KEYS; i++) {
		dk = &drv_keys[i];
		if (dk->material && dk->use == use && dk->len == n &&
		    memcmp(dk->material, m, n) == 0)
			return dk;
	}
	dk = &drv_keys[drv_next++ % DRV_KEYS];
	key_free(dk->k);
	free(dk->material);
	dk->material = malloc(n ? n : 1);
	if (dk->material == NULL)
		abort();
	memcpy(dk->material, m, n);
	dk->len = n;
	dk->use = use;
	ag_clear(&dk->err);
	key_load(&dk->k, (const uint8_t *)m, n, use, &dk->err);
	return dk;
}

static void drv_str(struct buf *out, const char *k, const char *v, size_t n)
{
	json_write_str(out, k, strlen(k));
	buf_putc(out, ':');
	json_write_str(out, v, n);
}

static void drv_b64(struct buf *out, const char *k, const void *v, size_t n)
{
	char *enc = malloc(B64URL_ENC_LEN(n) + 1);

	if (enc == NULL)
		abort();
	drv_str(out, k, enc, b64url_encode(enc, v, n));
	free(enc);
}

static void drv_error(struct buf *out, const struct ag_error *e)
{
	buf_puts(out, "{\"ok\":false,");
	buf_printf(out, "\"code\":%d,", (int)e->code);
	drv_str(out, "name", ag_errname(e->code), strlen(ag_errname(e->code)));
	buf_putc(out, ',');
	drv_str(out, "message", e->msg, strlen(e->msg));
	if (e->has_date) {
		buf_puts(out, ",\"date\":");
		json_write_num(out, e->date);
	}
	buf_putc(out, '}');
}

/* A string member of the request, decoded into b. */
static int drv_get(const struct json_doc *d, const char *name, struct buf *b)
{
	int v = json_get(d, 0, name);

	buf_reset(b);
	if (json_type(d, v) != JSON_STRING)
		return -1;
	json_str_utf8(d, v, b);
	return b->err;
}

static void drv_sign(const struct json_doc *d, const struct buf *key,
		     struct buf *out)
{
	struct buf payload, opts, token;
	struct ag_error e;
	struct sign_req r;
	const struct drv_key *dk;

	buf_init(&payload, DRV_LINE_MAX);
	buf_init(&opts, DRV_LINE_MAX);
	buf_init(&token, DRV_LINE_MAX);
	ag_clear(&e);
	drv_get(d, "payload", &payload);
	drv_get(d, "options", &opts);
	memset(&r, 0, sizeof r);
	r.payload = payload.p ? payload.p : "";
	r.payload_len = payload.len;
	r.opts = opts.len ? opts.p : NULL;
	r.opts_len = opts.len;
	r.now = json_num(d, json_get(d, 0, "now")) / 1000.0;
	r.allow_none = json_truthy(d, json_get(d, 0, "allowNone"));
	dk = drv_key(key->p ? key->p : "", key->len, KEY_USE_SIGN);
	if (dk->k == NULL)
		drv_error(out, &dk->err);
	else if (sign_token(dk->k, &r, &token, NULL, &e) != 0)
		drv_error(out, &e);
	else {
		buf_puts(out, "{\"ok\":true,");
		drv_str(out, "token", token.p, token.len);
		buf_putc(out, '}');
	}
	buf_free(&payload);
	buf_free(&opts);
	buf_free(&token);
}

static void drv_verify(const struct json_doc *d, const struct buf *key,
		       int nokey, struct buf *out)
{
	static struct vopts o;
	static struct jwt j;
	struct buf token, opts;
	struct ag_error e;
	const struct drv_key *dk = NULL;
	double now = json_num(d, json_get(d, 0, "now")) / 1000.0;

	buf_init(&token, DRV_LINE_MAX);
	buf_init(&opts, DRV_LINE_MAX);
	ag_clear(&e);
	drv_get(d, "token", &token);
	drv_get(d, "options", &opts);
	if (!nokey)
		dk = drv_key(key->p ? key->p : "", key->len, KEY_USE_VERIFY);
	if (dk != NULL && dk->k == NULL)
		drv_error(out, &dk->err);
	else if (vopts_parse(&o, opts.p, opts.len, &e) != 0 ||
		 verify_token(dk ? dk->k : NULL, token.p ? token.p : "",
			      token.len, &o, now, &j, &e) != 0)
		drv_error(out, &e);
	else {
		buf_puts(out, "{\"ok\":true,\"kind\":");
		buf_puts(out, j.kind == JWT_PAYLOAD_JSON ? "\"json\"," :
			 "\"text\",");
		drv_b64(out, "header", j.hdoc.src, j.hdoc.len);
		buf_putc(out, ',');
		drv_b64(out, "payload", j.payload, j.plen);
		buf_putc(out, ',');
		drv_str(out, "signature", j.seg[2], j.seglen[2]);
		buf_putc(out, '}');
	}
	buf_free(&token);
	buf_free(&opts);
}

int main(void)
{
	static struct json_tok tok[64];
	char *line = malloc(DRV_LINE_MAX);
	struct buf out, key;
	struct json_doc d;
	int kv;

	if (line == NULL)
		return 1;
	buf_init(&out, 4 * DRV_LINE_MAX);
	buf_init(&key, DRV_LINE_MAX);
	while (fgets(line, DRV_LINE_MAX, stdin) != NULL) {
		size_t n = strcspn(line, "\n");

		buf_reset(&out);
		if (json_parse(&d, line, n, tok, 64, 0) < 0 ||
		    json_type(&d, 0) != JSON_OBJECT) {
			puts("{\"ok\":false,\"name\":\"DriverError\","
			     "\"message\":\"bad request line\"}");
			continue;
		}
		kv = json_get(&d, 0, "key");
		drv_get(&d, "key", &key);
		if (json_str_eq(&d, json_get(&d, 0, "op"), "sign", 4))
			drv_sign(&d, &key, &out);
		else
			drv_verify(&d, &key, json_type(&d, kv) == JSON_NULL,
				   &out);
		fwrite(out.p, 1, out.len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	buf_free(&out);
	buf_free(&key);
	free(line);
	return 0;
}
