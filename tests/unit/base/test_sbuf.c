#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/sbuf.h"

static void
test_sbuf__starts_empty_and_terminated(void **state)
{
        struct sbuf sb = SBUF_INIT;

        (void)state;
        assert_string_equal(sb.buf, "");
        assert_int_equal(sb.len, 0);
        sbuf_release(&sb);
}

static void
test_sbuf__appends_and_formats(void **state)
{
        struct sbuf sb = SBUF_INIT;

        (void)state;
        sbuf_adds(&sb, "abc");
        sbuf_addch(&sb, '-');
        sbuf_addf(&sb, "%d/%s", 42, "x");
        assert_string_equal(sb.buf, "abc-42/x");
        assert_int_equal(sb.len, 8);
        sbuf_truncate(&sb, 3);
        assert_string_equal(sb.buf, "abc");
        sbuf_release(&sb);
}

static void
test_sbuf__grows_past_initial_capacity(void **state)
{
        struct sbuf sb = SBUF_INIT;

        (void)state;
        for (int i = 0; i < 10000; i++)
                sbuf_addch(&sb, 'x');
        assert_int_equal(sb.len, 10000);
        assert_int_equal(strlen(sb.buf), 10000);
        sbuf_release(&sb);
}

static void
test_sbuf__detach_hands_over_ownership(void **state)
{
        struct sbuf sb = SBUF_INIT;
        char *s, *empty;

        (void)state;
        sbuf_adds(&sb, "hello");
        s = sbuf_detach(&sb);
        assert_string_equal(s, "hello");
        assert_int_equal(sb.len, 0);
        empty = sbuf_detach(&sb);
        assert_string_equal(empty, "");
        free(s);
        free(empty);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sbuf__starts_empty_and_terminated),
                cmocka_unit_test(test_sbuf__appends_and_formats),
                cmocka_unit_test(test_sbuf__grows_past_initial_capacity),
                cmocka_unit_test(test_sbuf__detach_hands_over_ownership),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
