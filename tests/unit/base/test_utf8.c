/* Tests for base/utf8: UTF-8 decoding and the Go-compatible predicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/sbuf.h"
#include "base/utf8.h"

static void
test_utf8__decode_rejects_bad_sequences(void **state)
{
        uint32_t r;

        (void)state;
        assert_int_equal(utf8_decode("\xe2\x98\xba", 3, &r), 3);
        assert_int_equal(r, 0x263A);
        /* overlong, surrogate, truncated, stray continuation: one bad byte each */
        assert_int_equal(utf8_decode("\xc0\xaf", 2, &r), 1);
        assert_int_equal(r, UTF8_BAD);
        assert_int_equal(utf8_decode("\xed\xa0\x80", 3, &r), 1);
        assert_int_equal(utf8_decode("\xe2\x98", 2, &r), 1);
        assert_int_equal(utf8_decode("\x80", 1, &r), 1);
        assert_int_equal(r, UTF8_BAD);
}

static void
test_utf8__trim_unicode_space(void **state)
{
        const char *s = "\xc2\xa0 \tword\xe3\x80\x80\n";

        (void)state;
        assert_int_equal(utf8_lspace(s, strlen(s)), 4);
        assert_int_equal(utf8_rspace(s, strlen(s)), 4);
        assert_true(utf8_isspace(0x85));
        assert_false(utf8_isspace(0x200B));
}

static void
test_utf8__quote_like_go(void **state)
{
        struct sbuf sb = SBUF_INIT;

        (void)state;
        utf8_quote(&sb, "a\"\\\n\x01\x7f\xff\xc3\xa9\xc2\xa0\xf4\x8f\xbf\xbf", 15);
        assert_string_equal(sb.buf, "\"a\\\"\\\\\\n\\x01\\x7f\\xff\xc3\xa9\\u00a0\\U0010ffff\"");
        sbuf_release(&sb);
}

static void
test_utf8__runes_skip_leading_bom(void **state)
{
        size_t n;
        uint32_t *r = utf8_runes("\xef\xbb\xbf"
                                            "a\xef\xbb\xbf",
                                            7, true, &n);

        (void)state;
        assert_int_equal(n, 2);
        assert_int_equal(r[0], 'a');
        assert_int_equal(r[1], 0xFEFF);
        free(r);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_utf8__decode_rejects_bad_sequences),
                cmocka_unit_test(test_utf8__trim_unicode_space),
                cmocka_unit_test(test_utf8__quote_like_go),
                cmocka_unit_test(test_utf8__runes_skip_leading_bom),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
