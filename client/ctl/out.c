/* out.c - results, errors and exit statuses. */
#include "client/ctl/out.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
	return out_error_hint(json, e, NULL, NULL, NULL);
}

int out_error_with(int json, const struct agauth_error *e, const char *key,
		   const char *val)
{
	return out_error_hint(json, e, key, val, NULL);
}

/* The words a person reads after the message: when the token expired or
 * becomes active ("" if the error has no date). */
static void out_when(const struct agauth_error *e, char *s, size_t n)
{
	char t[OUT_TIME_MAX];

	s[0] = '\0';
	if (!e->has_date)
		return;
	out_time(e->date, t, sizeof t);
	snprintf(s, n, " %s %s", e->status == AGAUTH_NOT_BEFORE ? "until" :
		 "at", t);
}

int out_error_hint(int json, const struct agauth_error *e, const char *key,
		   const char *val, const char *hint)
{
	char when[OUT_TIME_MAX + 8];
	struct buf b;

	/* --json: the error is the result, on stdout alone, its fields
	 * jsonwebtoken's (the date a number, as expiredAt is) */
	if (!json) {
		out_when(e, when, sizeof when);
		fprintf(stderr, "%s: %s%s\n", e->name, e->message, when);
		if (hint != NULL)
			fprintf(stderr, "%s\n", hint);
		return out_exit(e->status);
	}
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
	if (hint != NULL)
		out_key_str(&b, "hint", hint);
	out_close(&b);
	return out_exit(e->status);
}

void out_time(double secs, char *s, size_t n)
{
	time_t t = (time_t)secs;
	struct tm tm;

	/* the daemon's dates are whole seconds; 0 is a time never set */
	if (secs <= 0 || secs >= OUT_TIME_LAST || gmtime_r(&t, &tm) == NULL)
		snprintf(s, n, secs == 0 ? "never" : "%.0f", secs);
	else
		strftime(s, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
