/* agerr.c - error codes, their classes and messages. */
#include "shared/agerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	enum ag_class cls;
	const char *msg;
} ag_errtab[AG_ERR_COUNT] = {
#define AG_X_TAB(code, cls, msg) [code] = { AG_CLS_##cls, msg },
	AG_ERR_LIST(AG_X_TAB)
#undef AG_X_TAB
};

static const char *const ag_codenames[AG_ERR_COUNT] = {
#define AG_X_NAME(code, cls, msg) [code] = #code,
	AG_ERR_LIST(AG_X_NAME)
#undef AG_X_NAME
};

static const char *const ag_clsname[] = {
	[AG_CLS_NONE] = "",
	[AG_CLS_JWT] = "JsonWebTokenError",
	[AG_CLS_EXPIRED] = "TokenExpiredError",
	[AG_CLS_NOTBEFORE] = "NotBeforeError",
	[AG_CLS_ERROR] = "Error",
	[AG_CLS_TYPE] = "TypeError",
	[AG_CLS_SYNTAX] = "SyntaxError",
	[AG_CLS_SYSTEM] = "AgauthError",
};

const char *ag_strerror(enum ag_err code)
{
	if ((unsigned)code >= AG_ERR_COUNT)
		return "unknown error";
	return ag_errtab[code].msg;
}

enum ag_class ag_errclass(enum ag_err code)
{
	if ((unsigned)code >= AG_ERR_COUNT)
		return AG_CLS_SYSTEM;
	return ag_errtab[code].cls;
}

const char *ag_errname(enum ag_err code)
{
	return ag_clsname[ag_errclass(code)];
}

const char *ag_codename(enum ag_err code)
{
	if ((unsigned)code >= AG_ERR_COUNT)
		return "AG_E_UNKNOWN";
	return ag_codenames[code];
}

static void ag_vset(struct ag_error *e, enum ag_err code, const char *fmt,
		    va_list ap)
{
	e->code = code;
	e->has_date = 0;
	e->date = 0;
	if (fmt == NULL)
		snprintf(e->msg, sizeof e->msg, "%s", ag_strerror(code));
	else
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int ag_fail(struct ag_error *e, enum ag_err code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	ag_vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int ag_fail_date(struct ag_error *e, enum ag_err code, double date,
		 const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	ag_vset(e, code, fmt, ap);
	va_end(ap);
	e->has_date = 1;
	e->date = date;
	return -1;
}

void ag_clear(struct ag_error *e)
{
	if (e == NULL)
		return;
	memset(e, 0, sizeof *e);
}
