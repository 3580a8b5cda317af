#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/strv.h"
#include "spec/shellwords.h"

/* expect: split s and compare with the words of want, separated by '|'. */
static void
expect(const char *s, const char *want)
{
        struct err err = { 0 };
        char **got = NULL, *joined;

        if (shellwords_split(s, &got, &err) < 0) {
                print_error("%s: %s\n", s, err.msg);
                fail();
        }
        joined = strv_join(got, "|");
        if (strcmp(joined, want) != 0) {
                print_error("split(%s):\n  got:  %s\n  want: %s\n", s, joined, want);
                fail();
        }
        free(joined);
        strv_free(got);
}

static void
expect_error(const char *s, const char *why)
{
        struct err err = { 0 };
        char **got = NULL;

        assert_int_equal(shellwords_split(s, &got, &err), -EINVAL);
        assert_null(got);
        assert_non_null(strstr(err.msg, why));
}

static void
test_shellwords__splits_like_compose(void **state)
{
        (void)state;
        expect("bundle exec thin -p 3000", "bundle|exec|thin|-p|3000");
        expect("  a \t b\n", "a|b");
        expect("echo \"hello world\"", "echo|hello world");
        expect("echo 'a \"b\" c'", "echo|a \"b\" c");
        expect("sh -c 'echo $HOME'", "sh|-c|echo $HOME");
        expect("a\\ b c", "a b|c");
        expect("\"a\\\"b\"", "a\"b");
        expect("'a\\b'", "a\\b");
        expect("x\\ty", "x\ty");
        expect("a\"b\"c", "abc");
}

static void
test_shellwords__empty_quotes_make_an_empty_word(void **state)
{
        struct err err = { 0 };
        char **got = NULL;

        (void)state;
        expect("a '' b", "a||b");
        assert_int_equal(shellwords_split("", &got, &err), 0);
        assert_non_null(got);
        assert_int_equal(strv_length(got), 0);
        strv_free(got);
}

static void
test_shellwords__substitutions_stay_verbatim(void **state)
{
        (void)state;
        expect("echo $(date +%s) done", "echo|$(date +%s)|done");
        expect("echo `date +%s`", "echo|`date +%s`");
}

static void
test_shellwords__operators_end_the_command_line(void **state)
{
        (void)state;
        expect("echo a && echo b", "echo|a");
        expect("echo a;echo b", "echo|a");
        expect("cat x | grep y", "cat|x");
        expect("echo hi>out", "echo|hi");
        expect("cmd 2>/dev/null", "cmd");
        expect("echo 'a | b'", "echo|a | b");
}

static void
test_shellwords__unbalanced_input_is_an_error(void **state)
{
        (void)state;
        expect_error("echo 'abc", "unterminated single quote");
        expect_error("echo \"abc", "unterminated double quote");
        expect_error("echo abc\\", "trailing backslash");
        expect_error("echo (a)", "unexpected '('");
        expect_error("echo a)", "unbalanced ')'");
        expect_error("echo $(a", "unterminated $(");
        expect_error("echo `a", "unterminated backquote");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shellwords__splits_like_compose),
                cmocka_unit_test(test_shellwords__empty_quotes_make_an_empty_word),
                cmocka_unit_test(test_shellwords__substitutions_stay_verbatim),
                cmocka_unit_test(test_shellwords__operators_end_the_command_line),
                cmocka_unit_test(test_shellwords__unbalanced_input_is_an_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
