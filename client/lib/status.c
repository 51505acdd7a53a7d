/* status.c - statuses, error classes, and libagauth's own errors. */
#include "client/lib/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[] = {
	[AGAUTH_OK] = "success",
	[AGAUTH_INVALID] = "invalid token",
	[AGAUTH_EXPIRED] = "token expired",
	[AGAUTH_NOT_BEFORE] = "token not yet valid",
	[AGAUTH_SIGN_ERROR] = "sign failed",
	[AGAUTH_REFUSED] = "refused by agauthd",
	[AGAUTH_UNREACHABLE] = "agauthd unreachable",
	[AGAUTH_USAGE] = "bad arguments",
	[AGAUTH_NO_EVENT] = "no event yet",
};

const char *agauth_strerror(enum agauth_status s)
{
	/* a caller may hand in any int */
	if ((unsigned)s >= sizeof status_text / sizeof *status_text)
		return "unknown status";
	return status_text[s];
}

/*
 * jsonwebtoken's classes, by the op that raised them.  Anything a verify
 * throws means the token is not good (jws throws Error and TypeError
 * too); anything a sign throws is a sign error.  AgauthError, and any
 * name a newer daemon may invent, is a refusal.
 */
static const struct {
	const char *name;
	enum agauth_status verify, sign;
} status_classes[] = {
	{ "TokenExpiredError", AGAUTH_EXPIRED, AGAUTH_EXPIRED },
	{ "NotBeforeError", AGAUTH_NOT_BEFORE, AGAUTH_NOT_BEFORE },
	{ "JsonWebTokenError", AGAUTH_INVALID, AGAUTH_SIGN_ERROR },
	{ "TypeError", AGAUTH_INVALID, AGAUTH_SIGN_ERROR },
	{ "SyntaxError", AGAUTH_INVALID, AGAUTH_SIGN_ERROR },
	{ "Error", AGAUTH_INVALID, AGAUTH_SIGN_ERROR },
};

enum agauth_status status_of(const char *name, size_t n, enum agauth_op op)
{
	size_t i;

	for (i = 0; i < sizeof status_classes / sizeof *status_classes; i++) {
		if (strlen(status_classes[i].name) != n ||
		    memcmp(status_classes[i].name, name, n) != 0)
			continue;
		if (op == AGAUTH_OP_VERIFY)
			return status_classes[i].verify;
		if (op == AGAUTH_OP_SIGN)
			return status_classes[i].sign;
		break;
	}
	return AGAUTH_REFUSED;
}

int status_set(struct agauth_error *err, enum agauth_status st,
	       enum ag_err code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	memset(err, 0, sizeof *err);
	err->status = st;
	snprintf(err->code, sizeof err->code, "%s", ag_codename(code));
	snprintf(err->name, sizeof err->name, "AgauthError");
	if (fmt == NULL) {
		snprintf(err->message, sizeof err->message, "%s",
			 ag_strerror(code));
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

void status_ok(struct agauth_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof *err);
}

void status_from(struct agauth_error *err, const struct ag_error *e,
		 enum agauth_op op)
{
	const char *name = ag_errname(e->code);

	if (err == NULL)
		return;
	/* what reply_error makes of the frame agauthd would send */
	memset(err, 0, sizeof *err);
	err->status = status_of(name, strlen(name), op);
	snprintf(err->code, sizeof err->code, "%s", ag_codename(e->code));
	snprintf(err->name, sizeof err->name, "%s", name);
	snprintf(err->message, sizeof err->message, "%s", e->msg);
	err->has_date = e->has_date;
	err->date = e->has_date ? e->date : 0;
}
