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

Test(buf, lent_memory_is_written_in_place_and_never_freed)
{
	char mem[16];
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_lend(&b, mem, sizeof mem);
	buf_puts(&b, "partial");
	cr_assert_eq(b.p, mem, "an append that fits stays in lent memory");
	cr_assert_str_eq(buf_cstr(&b), "partial");
	buf_free(&b);  /* would crash freeing mem */
	cr_assert_null(b.p);
	cr_assert_eq(b.lent, 0);
}

Test(buf, lent_memory_outgrown_moves_into_memory_of_its_own)
{
	char mem[8];
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_lend(&b, mem, sizeof mem);
	buf_puts(&b, "abcd");
	buf_puts(&b, "efghijkl");
	cr_assert_eq(b.err, 0);
	cr_assert_neq(b.p, mem);
	cr_assert_eq(b.lent, 0);
	cr_assert_str_eq(buf_cstr(&b), "abcdefghijkl");
	/* the lender's memory may be reused at once */
	memset(mem, 'x', sizeof mem);
	cr_assert_str_eq(buf_cstr(&b), "abcdefghijkl");
	buf_free(&b);
}

Test(buf, settle_copies_what_lent_memory_holds_and_lets_it_go)
{
	char mem[64];
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_lend(&b, mem, sizeof mem);
	buf_puts(&b, "left over");
	cr_assert_eq(buf_settle(&b, 0), 0);
	cr_assert_eq(b.lent, 0);
	cr_assert(b.p != NULL && b.p != mem);
	memset(mem, 'x', sizeof mem);
	cr_assert_str_eq(buf_cstr(&b), "left over");
	buf_free(&b);
}

Test(buf, settle_of_empty_lent_memory_holds_nothing)
{
	char mem[64];
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_lend(&b, mem, sizeof mem);
	cr_assert_eq(buf_settle(&b, 0), 0);
	cr_assert_null(b.p);
	cr_assert_eq(b.cap, 0);
	cr_assert_eq(b.lent, 0);
	/* and it grows as any buffer afterwards */
	buf_puts(&b, "again");
	cr_assert_str_eq(buf_cstr(&b), "again");
	buf_free(&b);
}

Test(buf, settle_frees_an_empty_buffer_larger_than_keep)
{
	struct buf b;
	char *p;

	buf_init(&b, 1 << 20);
	buf_puts(&b, "0123456789");
	p = b.p;
	/* holding bytes: nothing changes */
	cr_assert_eq(buf_settle(&b, 0), 0);
	cr_assert_eq(b.p, p);
	buf_reset(&b);
	/* empty, and within keep: the memory stays for the next append */
	cr_assert_eq(buf_settle(&b, b.cap), 0);
	cr_assert_eq(b.p, p);
	/* empty, and more than keep: gone */
	cr_assert_eq(buf_settle(&b, b.cap - 1), 0);
	cr_assert_null(b.p);
	cr_assert_eq(b.cap, 0);
	buf_free(&b);
}

Test(buf, lend_frees_memory_of_its_own)
{
	char mem[32];
	struct buf b;

	/* under the sanitizers a leak here fails the suite */
	buf_init(&b, 1 << 20);
	buf_puts(&b, "owned");
	buf_reset(&b);
	buf_lend(&b, mem, sizeof mem);
	cr_assert_eq(b.p, mem);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(buf_settle(&b, 0), 0);
	cr_assert_null(b.p);
}

Test(buf, settle_keeps_the_ceiling)
{
	char mem[64];
	struct buf b;

	buf_init(&b, 8);
	buf_lend(&b, mem, sizeof mem);
	buf_puts(&b, "12345678");
	buf_puts(&b, "9");
	cr_assert_eq(b.err, -1, "the ceiling holds in lent memory too");
	cr_assert_eq(b.len, 8);
	buf_reset(&b);
	buf_puts(&b, "1234");
	cr_assert_eq(buf_settle(&b, 0), 0);
	cr_assert_eq(b.max, 8);
	cr_assert_str_eq(buf_cstr(&b), "1234");
	buf_free(&b);
}
