/* Tests for spec/shellexpand: builder variable expansion, quoting and word splitting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "spec/env.h"
#include "spec/shellexpand.h"

static struct env *
test_env(void)
{
        struct env *e = xcalloc(1, sizeof(*e));

        env_set(e, "A", "apple");
        env_set(e, "EMPTY", "");
        env_set(e, "P", "/usr/local/bin/tool.tar.gz");
        env_set(e, "SP", "x  y");
        return e;
}

static void
expect(const char *in, const char *want)
{
        struct env *e = test_env();
        struct shellexpand sx = { .lookup = env_lookup, .ctx = e };
        struct err err = { 0 };
        cleanup_free char *got = NULL;

        if (shellexpand_word(&sx, in, &got, &err) < 0)
                fail_msg("'%s': %s", in, err.msg);
        if (strcmp(got, want) != 0)
                fail_msg("'%s': got '%s', want '%s'", in, got, want);
        env_release(e);
        free(e);
}

static void
expect_error(const char *in, const char *msg)
{
        struct env *e = test_env();
        struct shellexpand sx = { .lookup = env_lookup, .ctx = e };
        struct err err = { 0 };
        char *got = NULL;

        assert_true(shellexpand_word(&sx, in, &got, &err) < 0);
        assert_null(got);
        if (!strstr(err.msg, msg))
                fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, msg);
        env_release(e);
        free(e);
}

static void
test_shellexpand__defaults_and_alternatives(void **state)
{
        (void)state;
        expect("${A:-x} ${EMPTY:-x} ${NOPE:-x}", "apple x x");
        expect("${A-x} ${EMPTY-x} ${NOPE-x}", "apple  x");
        expect("${A:+y} ${EMPTY:+y} ${NOPE:+y}", "y  ");
        expect("${A+y} ${EMPTY+y} ${NOPE+y}", "y y ");
        expect("${A:?m} ${EMPTY?m}", "apple ");
        expect_error("${EMPTY:?must be set}", "EMPTY: must be set");
        expect_error("${NOPE?}", "NOPE: is not allowed to be unset");
}

static void
test_shellexpand__pattern_operators(void **state)
{
        (void)state;
        expect("${P#*/}", "usr/local/bin/tool.tar.gz");
        expect("${P##*/}", "tool.tar.gz");
        expect("${P%.*}", "/usr/local/bin/tool.tar");
        expect("${P%%.*}", "/usr/local/bin/tool");
        expect("${P/local/opt}", "/usr/opt/bin/tool.tar.gz");
        expect("${P//\\//:}", ":usr:local:bin:tool.tar.gz");
        expect("${P//?ar/X}", "/usr/local/bin/tool.X.gz");
        expect_error("${P:#x}", "unsupported modifier");
}

static void
test_shellexpand__quotes_and_escapes(void **state)
{
        (void)state;
        expect("'$A'\"$A\"\\$A", "$Aapple$A");
        expect("\"a\\tb\"", "a\\tb");
        expect("a\\ b", "a b");
        expect("$1${@}$", "$");
        expect_error("'open", "single-quote");
        expect_error("${A", "missing '}'");
        expect_error("${}", "bad substitution");
}

static void
test_shellexpand__words_split_unquoted_results(void **state)
{
        struct env *e = test_env();
        struct shellexpand sx = { .lookup = env_lookup, .ctx = e };
        cleanup_strv char **w = NULL;
        cleanup_free char *j = NULL;

        (void)state;
        assert_int_equal(shellexpand_words(&sx, "a${SP}b \"q ${SP}\" ''", &w, NULL), 0);
        j = strv_join(w, "|");
        assert_string_equal(j, "ax|yb|q x  y");
        env_release(e);
        free(e);
}

static void
test_shellexpand__skip_unset_and_raw(void **state)
{
        struct shellexpand sx = { .skip_unset = true, .raw_quotes = true, .raw_escapes = true };
        cleanup_free char *got = NULL;

        (void)state;
        assert_int_equal(shellexpand_word(&sx, "$X ${Y:-d} '\\a' \\$", &got, NULL), 0);
        assert_string_equal(got, "$X ${Y:-d} '\\a' \\$");
}

static void
test_shellexpand__backtick_escape(void **state)
{
        struct env *e = test_env();
        struct shellexpand sx = { .escape = '`', .lookup = env_lookup, .ctx = e };
        cleanup_free char *got = NULL;

        (void)state;
        assert_int_equal(shellexpand_word(&sx, "c:\\dir `$A $A", &got, NULL), 0);
        assert_string_equal(got, "c:\\dir $A apple");
        env_release(e);
        free(e);
}

static void
test_shellexpand__nesting_is_capped(void **state)
{
        struct sbuf sb = SBUF_INIT;

        (void)state;
        for (int i = 0; i < SHELLEXPAND_MAX_DEPTH + 2; i++)
                sbuf_adds(&sb, "${X:-");
        for (int i = 0; i < SHELLEXPAND_MAX_DEPTH + 2; i++)
                sbuf_addch(&sb, '}');
        expect_error(sb.buf, "nested");
        sbuf_release(&sb);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shellexpand__defaults_and_alternatives),
                cmocka_unit_test(test_shellexpand__pattern_operators),
                cmocka_unit_test(test_shellexpand__quotes_and_escapes),
                cmocka_unit_test(test_shellexpand__words_split_unquoted_results),
                cmocka_unit_test(test_shellexpand__skip_unset_and_raw),
                cmocka_unit_test(test_shellexpand__backtick_escape),
                cmocka_unit_test(test_shellexpand__nesting_is_capped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
