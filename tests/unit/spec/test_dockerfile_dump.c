/* Tests for spec/dockerfile_dump: the AST dump of docker's parser tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/sbuf.h"
#include "spec/dockerfile.h"

static void
dump_is(const char *text, const char *want)
{
        struct dockerfile *df = NULL;
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        if (dockerfile_parse(NULL, text, strlen(text), NULL, &df, &err) < 0)
                fail_msg("parse: %s", err.msg);
        dockerfile_dump(df, &out);
        assert_string_equal(out.buf, want);
        sbuf_release(&out);
        dockerfile_free(df);
}

static void
test_dockerfile_dump__flags_args_and_quoting(void **state)
{
        (void)state;
        dump_is("FROM busybox\nCOPY --from=build --chown=1:1 [\"a b\", \"/c\"]\n",
                "(from \"busybox\")\n(copy [\"--from=build\" \"--chown=1:1\"] \"a b\" \"/c\")\n");
        dump_is("FROM x\nRUN --mount=\"type=secret,id=a b\" cat \"q\"\n",
                "(from \"x\")\n(run [\"--mount=type=secret,id=a b\"] \"cat \\\"q\\\"\")\n");
}

static void
test_dockerfile_dump__onbuild_nested_and_empty(void **state)
{
        (void)state;
        dump_is("FROM x\nONBUILD RUN make\nCMD\nFOO bar\n",
                "(from \"x\")\n(onbuild (run \"make\"))\n(cmd)\n(foo \"\")\n");
}

static void
test_dockerfile_dump__go_string_escapes(void **state)
{
        (void)state;
        /* controls as \x / \t, printable UTF-8 raw, NUL from JSON as \x00, U+00A0 as \u00a0 */
        dump_is("FROM x\nCMD [\"\\u0000\\t\\u0007\", \"\xc3\xa9\", \"\\u00a0\", \"\\ud800\"]\n",
                "(from \"x\")\n(cmd \"\\x00\\t\\a\" \"\xc3\xa9\" \"\\u00a0\" \"\xef\xbf\xbd\")\n");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dockerfile_dump__flags_args_and_quoting),
                cmocka_unit_test(test_dockerfile_dump__onbuild_nested_and_empty),
                cmocka_unit_test(test_dockerfile_dump__go_string_escapes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
