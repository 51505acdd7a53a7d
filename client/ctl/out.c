/* out.c - results, errors and exit statuses. */
#include "client/ctl/out.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shared/render.h"

int out_exit(enum agauth_status st)
{
	switch (st) {
	case AGAUTH_OK:
		return OUT_OK;
	case AGAUTH_INVALID:
		return OUT_INVALID;
	case AGAUTH_EXPIRED:
		return OUT_EXPIRED;
	case AGAUTH_NOT_BEFORE:
		return OUT_NOT_BEFORE;
	case AGAUTH_USAGE:
		return OUT_USAGE;
	case AGAUTH_UNREACHABLE:
		return OUT_UNREACHABLE;
	default:
		return OUT_FAILED;  /* sign errors, refusals */
	}
}

int out_error(int json, const struct agauth_error *e)
{
	return out_error_with(json, e, NULL, NULL);
}

int out_error_with(int json, const struct agauth_error *e, const char *key,
		   const char *val)
{
	struct buf b;

	fprintf(stderr, "%s: %s\n", e->name, e->message);
	if (json) {
		out_obj(&b);
		out_key(&b, "ok");
		buf_puts(&b, "false");
		out_key_str(&b, "code", e->code);
		out_key_str(&b, "name", e->name);
		out_key_str(&b, "message", e->message);
		if (e->has_date) {
			out_key(&b, "date");
			render_num(&b, e->date);
		}
		if (key != NULL && val != NULL)
			out_key_str(&b, key, val);
		out_close(&b);
	}
	return out_exit(e->status);
}

int out_usage(const char *who, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", who);
	return OUT_USAGE;
}

void out_obj(struct buf *b)
{
	buf_init(b, RENDER_MAX);
	buf_putc(b, '{');
}

void out_ok(struct buf *b)
{
	out_obj(b);
	out_key(b, "ok");
	buf_puts(b, "true");
}

void out_key(struct buf *b, const char *key)
{
	if (b->len > 1)
		buf_putc(b, ',');
	render_str(b, key, strlen(key));
	buf_putc(b, ':');
}

void out_key_str(struct buf *b, const char *key, const char *s)
{
	out_key(b, key);
	render_str(b, s, strlen(s));
}

int out_close(struct buf *b)
{
	int rc = OUT_OK;

	buf_putc(b, '}');
	if (b->err) {
		fprintf(stderr, "agauthctl: result too large to print\n");
		rc = OUT_FAILED;
	} else {
		out_line(b->p, b->len);
	}
	buf_free(b);
	return rc;
}

void out_line(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	putchar('\n');
}

int out_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "agauthctl: cannot write the output\n");
		return status == OUT_OK ? OUT_WRITE : status;
	}
	return status;
}
