/* test_buf.c - the bounded buffer latches its first failure. */
#include <string.h>

#include <criterion/criterion.h>

#include "shared/buf.h"

Test(buf, grows_and_terminates)
{
	struct buf b;
	int i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	cr_assert_eq(b.err, 0);
	cr_assert(strncmp(buf_cstr(&b), "0,1,2,", 6) == 0);
	cr_assert_eq(strlen(b.p), b.len);
	buf_free(&b);
}

Test(buf, ceiling_latches_and_later_writes_do_nothing)
{
	struct buf b;

	buf_init(&b, 4);
	buf_puts(&b, "abc");
	buf_puts(&b, "de");
	cr_assert_eq(b.err, -1);
	cr_assert_eq(b.len, 3);
	buf_putc(&b, 'x');
	cr_assert_eq(b.len, 3);
	cr_assert_null(buf_cstr(&b));
	buf_reset(&b);
	buf_puts(&b, "ok");
	cr_assert_str_eq(buf_cstr(&b), "ok");
	buf_free(&b);
}
