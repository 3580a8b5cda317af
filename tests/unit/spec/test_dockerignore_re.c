/* Tests for spec/dockerignore_re: the regexp subset patternmatcher generates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spec/dockerignore_re.h"

static bool
matches(const char *re, const char *s)
{
        struct dockerignore_re *r = NULL;
        struct err err = { 0 };
        bool m;

        if (dockerignore_re_compile(re, &r, &err) < 0)
                fail_msg("%s: %s", re, err.msg);
        m = dockerignore_re_search(r, s);
        dockerignore_re_free(r);
        return m;
}

static void
test_dockerignore_re__anchors_stars_groups(void **state)
{
        (void)state;
        assert_true(matches("^(.*/)?[^/]*\\.txt$", "a/b/c.txt"));
        assert_true(matches("^(.*/)?[^/]*\\.txt$", "c.txt"));
        assert_false(matches("^[^/]*\\.txt$", "a/c.txt"));
        assert_true(matches("^a.*$", "abc"));
        assert_false(matches("^a.*$", "a\nb")); /* . does not match a newline */
        assert_true(matches("b+c?", "xbbby"));
}

static void
test_dockerignore_re__classes(void **state)
{
        (void)state;
        assert_true(matches("^[a-c]$", "b"));
        assert_false(matches("^[^a-c]$", "b"));
        assert_true(matches("^[^a]$", "\n")); /* negated classes match newlines (Go) */
        assert_true(matches("^[]a]$", "]"));
        assert_true(matches("^[[:digit:]x]+$", "1x2"));
        assert_true(matches("^[\\d]\\w$", "1_"));
        assert_true(matches("^[\xce\xb1-\xce\xb3]$", "\xce\xb2"));
}

static void
test_dockerignore_re__errors(void **state)
{
        static const char *const bad[] = { "[a",    "a**", "*a",        "(a", "a)",
                                           "[z-a]", "\\q", "[[:foo:]]", "a\\" };
        struct dockerignore_re *r = NULL;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (dockerignore_re_compile(bad[i], &r, NULL) != -EINVAL)
                        fail_msg("'%s' compiled", bad[i]);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dockerignore_re__anchors_stars_groups),
                cmocka_unit_test(test_dockerignore_re__classes),
                cmocka_unit_test(test_dockerignore_re__errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
