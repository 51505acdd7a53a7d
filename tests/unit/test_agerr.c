/* test_agerr.c - codes, classes and messages. */
#include <string.h>

#include <criterion/criterion.h>

#include "shared/agerr.h"

Test(agerr, classes_name_the_javascript_errors)
{
	cr_assert_str_eq(ag_errname(AG_E_EXPIRED), "TokenExpiredError");
	cr_assert_str_eq(ag_errname(AG_E_MAXAGE), "TokenExpiredError");
	cr_assert_str_eq(ag_errname(AG_E_NOT_ACTIVE), "NotBeforeError");
	cr_assert_str_eq(ag_errname(AG_E_BAD_SIGNATURE), "JsonWebTokenError");
	cr_assert_str_eq(ag_errname(AG_E_SIGN_OPTION), "Error");
	cr_assert_str_eq(ag_errname(AG_E_SIG_LENGTH), "TypeError");
	cr_assert_str_eq(ag_errname(AG_E_PAYLOAD_JSON), "SyntaxError");
	cr_assert_str_eq(ag_errname(AG_E_NOMEM), "AgauthError");
	cr_assert_str_eq(ag_strerror(AG_E_EXPIRED), "jwt expired");
	cr_assert_str_eq(ag_strerror((enum ag_err)9999), "unknown error");
}

Test(agerr, every_code_has_a_message_and_class)
{
	int c;

	for (c = 1; c < AG_ERR_COUNT; c++) {
		cr_assert_neq(ag_errclass((enum ag_err)c), AG_CLS_NONE);
		cr_assert_gt(strlen(ag_strerror((enum ag_err)c)), 0);
	}
}

Test(agerr, fail_formats_and_bounds)
{
	struct ag_error e;
	char big[2 * AG_ERRMSG_MAX];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cr_assert_eq(ag_fail(&e, AG_E_ISSUER, "expected: %s", big), -1);
	cr_assert_eq(strlen(e.msg), AG_ERRMSG_MAX - 1);
	cr_assert_eq(ag_fail_date(&e, AG_E_EXPIRED, 12.5, NULL), -1);
	cr_assert_str_eq(e.msg, "jwt expired");
	cr_assert(e.has_date);
	cr_assert_eq(e.date, 12.5);
	cr_assert_eq(ag_fail(NULL, AG_E_NOMEM, NULL), -1);
}
