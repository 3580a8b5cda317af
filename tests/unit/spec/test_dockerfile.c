/* Tests for spec/dockerfile: the Dockerfile parser (lines, directives, continuations,
 * heredocs, flags, argument shapes, errors and caps). */
#include <errno.h>
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
#include "spec/dockerfile.h"

static struct dockerfile *
parse_ok(const char *text)
{
        struct dockerfile *df = NULL;
        struct err err = { 0 };
        int r = dockerfile_parse(NULL, text, strlen(text), NULL, &df, &err);

        if (r < 0)
                fail_msg("parse failed: %s", err.msg);
        return df;
}

/* parse must fail; returns the message */
static char *
parse_err(const char *text, const struct dockerfile_limits *lim)
{
        struct dockerfile *df = NULL;
        struct err err = { 0 };
        int r = dockerfile_parse(NULL, text, strlen(text), lim, &df, &err);

        assert_true(r < 0);
        assert_null(df);
        return xstrdup(err.msg);
}

static void
test_dockerfile__instructions_and_line_numbers(void **state)
{
        struct dockerfile *df = parse_ok("# comment\n\nFROM alpine AS build\nRUN echo a \\\n"
                                         "    b\n\ncopy --from=build /a /b\n");

        (void)state;
        assert_int_equal(df->n, 3);
        assert_int_equal(df->instrs[0].cmd, DF_FROM);
        assert_int_equal(df->instrs[0].start_line, 3);
        assert_int_equal(df->instrs[1].cmd, DF_RUN);
        assert_int_equal(df->instrs[1].start_line, 4);
        assert_int_equal(df->instrs[1].end_line, 5);
        assert_string_equal(df->instrs[1].args[0], "echo a     b");
        assert_int_equal(df->instrs[2].cmd, DF_COPY);
        assert_string_equal(df->instrs[2].keyword, "copy");
        assert_string_equal(df->instrs[2].flags[0], "--from=build");
        assert_int_equal(df->instrs[2].nargs, 2);
        dockerfile_free(df);
}

static void
test_dockerfile__exec_form_and_shell_fallback(void **state)
{
        struct dockerfile *df = parse_ok("FROM x\nCMD [\"a\", \"b c\"]\nCMD ['a']\nCMD []\n"
                                         "VOLUME [/x]\n");

        (void)state;
        assert_true(df->instrs[1].json);
        assert_int_equal(df->instrs[1].nargs, 2);
        assert_string_equal(df->instrs[1].args[1], "b c");
        assert_false(df->instrs[2].json);
        assert_string_equal(df->instrs[2].args[0], "['a']");
        assert_true(df->instrs[3].json);
        assert_int_equal(df->instrs[3].nargs, 0);
        assert_false(df->instrs[4].json);
        assert_string_equal(df->instrs[4].args[0], "[/x]");
        dockerfile_free(df);
}

static void
test_dockerfile__escape_directive_backtick(void **state)
{
        struct dockerfile *df = parse_ok("# escape=`\nFROM x\nRUN dir c:\\\nRUN a `\n  b\n");

        (void)state;
        assert_int_equal(df->escape, '`');
        assert_string_equal(df->instrs[1].args[0], "dir c:\\");
        assert_string_equal(df->instrs[2].args[0], "a   b");
        dockerfile_free(df);
}

static void
test_dockerfile__directives_only_at_top(void **state)
{
        struct dockerfile *df = parse_ok("# syntax=docker/dockerfile:1\n# check=skip=all\n"
                                         "FROM x\n# escape=`\nRUN a \\\n b\n");

        (void)state;
        assert_string_equal(df->syntax, "docker/dockerfile:1");
        assert_string_equal(df->check, "skip=all");
        assert_int_equal(df->escape, '\\');
        assert_string_equal(df->instrs[1].args[0], "a  b");
        dockerfile_free(df);
}

static void
test_dockerfile__bom_crlf_and_comments_in_continuation(void **state)
{
        struct dockerfile *df = parse_ok("\xEF\xBB\xBF"
                                         "FROM x\r\nRUN a \\\r\n# dropped\r\n\r\n  b\r\n");

        (void)state;
        assert_int_equal(df->n, 2);
        assert_string_equal(df->instrs[1].args[0], "a   b");
        assert_non_null(df->warnings);
        assert_string_equal(df->warnings[0], "Empty continuation line found in: RUN a   b");
        dockerfile_free(df);
}

static void
test_dockerfile__heredocs(void **state)
{
        struct dockerfile *df = parse_ok("FROM x\nRUN <<EOF bash\necho $HOME\nEOF\n"
                                         "COPY <<-'A' <<B /d/\n\tone\n\tA\ntwo\nB\nRUN ok\n");
        const struct df_instr *run = &df->instrs[1], *copy = &df->instrs[2];
        cleanup_free char *body = NULL;

        (void)state;
        assert_int_equal(df->n, 4);
        assert_int_equal(run->nheredocs, 1);
        assert_string_equal(run->heredocs[0].name, "EOF");
        assert_string_equal(run->heredocs[0].content, "echo $HOME\n");
        assert_true(run->heredocs[0].expand);
        assert_int_equal(copy->nheredocs, 2);
        assert_false(copy->heredocs[0].expand);
        assert_true(copy->heredocs[0].chomp);
        assert_string_equal(copy->heredocs[0].content, "\tone\n");
        body = dockerfile_heredoc_body(&copy->heredocs[0]);
        assert_string_equal(body, "one\n");
        assert_string_equal(copy->heredocs[1].content, "two\n");
        assert_int_equal(df->instrs[3].start_line, 10);
        dockerfile_free(df);
}

static void
test_dockerfile__heredoc_markers(void **state)
{
        struct df_heredoc h = { 0 };
        struct df_heredoc *v = NULL;
        size_t n = 0;

        (void)state;
        assert_int_equal(dockerfile_heredoc_word("3<<-\"EOF\"", &h, NULL), 1);
        assert_string_equal(h.name, "EOF");
        assert_int_equal(h.fd, 3);
        assert_true(h.chomp);
        assert_false(h.expand);
        dockerfile_heredoc_release(&h);
        assert_int_equal(dockerfile_heredoc_word("<<EOF sh", &h, NULL), 0);
        assert_int_equal(dockerfile_heredoc_word("<<'EOF", &h, NULL), -EINVAL);
        assert_int_equal(dockerfile_heredoc_markers("RUN '<<EOF' <<A <<- B", &v, &n, NULL), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0].name, "A");
        assert_string_equal(v[1].name, "B");
        for (size_t i = 0; i < n; i++)
                dockerfile_heredoc_release(&v[i]);
        free(v);
}

static void
test_dockerfile__env_label_forms(void **state)
{
        struct dockerfile *df = parse_ok("FROM x\nENV A=1 B=\"2 3\"\nENV OLD the rest\n");
        const struct df_instr *e = &df->instrs[1], *old = &df->instrs[2];

        (void)state;
        assert_int_equal(e->nargs, 6);
        assert_string_equal(e->args[3], "B");
        assert_string_equal(e->args[4], "\"2 3\"");
        assert_string_equal(e->args[5], "=");
        assert_int_equal(old->nargs, 3);
        assert_string_equal(old->args[1], "the rest");
        assert_string_equal(old->args[2], "");
        dockerfile_free(df);
}

static void
test_dockerfile__onbuild_and_unknown_kept(void **state)
{
        struct dockerfile *df = parse_ok("FROM x\nONBUILD RUN --network=none make\nFOO bar\n");

        (void)state;
        assert_int_equal(df->instrs[1].cmd, DF_ONBUILD);
        assert_non_null(df->instrs[1].sub);
        assert_int_equal(df->instrs[1].sub->cmd, DF_RUN);
        assert_string_equal(df->instrs[1].sub->flags[0], "--network=none");
        assert_int_equal(df->instrs[2].cmd, DF_UNKNOWN);
        assert_string_equal(df->instrs[2].keyword, "FOO");
        dockerfile_free(df);
}

static void
test_dockerfile__errors_name_the_line(void **state)
{
        static const struct {
                const char *text, *msg;
        } cases[] = {
                { "", "Dockerfile:0: file with no instructions" },
                { "# only a comment\n", "Dockerfile:1: file with no instructions" },
                { "FROM x\nENV PATH\n", "Dockerfile:2: ENV must have two arguments" },
                { "FROM x\nCMD [\"a\", 1]\n", "Dockerfile:2: when using JSON array syntax" },
                { "FROM x\nRUN <<EOF\nnever closed\n", "Dockerfile:2: unterminated heredoc" },
                { "# escape=x\nFROM x\n", "Dockerfile:1: invalid escape token" },
                { "# syntax=a\n# syntax=b\nFROM x\n", "Dockerfile:2: only one syntax" },
                { "FROM x\nLABEL a=b c\n", "Dockerfile:2: syntax error: can't find =" },
                { "FROM x\nRUN a\0b\n", "Dockerfile:2: NUL byte" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t len = strlen(cases[i].text);
                struct dockerfile *df = NULL;
                struct err err = { 0 };

                if (strstr(cases[i].msg, "NUL"))
                        len = 13;
                assert_true(dockerfile_parse(NULL, cases[i].text, len, NULL, &df, &err) < 0);
                if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
                        fail_msg("case %zu: got '%s'", i, err.msg);
        }
}

static void
test_dockerfile__sizes_are_capped(void **state)
{
        struct dockerfile_limits lim = { 64, 16, 8, 2 };
        cleanup_free char *m1 = parse_err("FROM a-very-long-image-name\n", &lim);
        cleanup_free char *m2 = parse_err("FROM x\nRUN a\nRUN b\n", &lim);
        cleanup_free char *m3 = parse_err("FROM x\nRUN <<E\n123456789\nE\n", &lim);
        cleanup_free char *m4 = NULL;
        struct dockerfile_limits big = { 16, 1000, 1000, 1000 };

        (void)state;
        assert_non_null(strstr(m1, "Dockerfile:1: line longer than 16 bytes"));
        assert_non_null(strstr(m2, "Dockerfile:3: more than 2 instructions"));
        assert_non_null(strstr(m3, "Dockerfile:2: heredoc 'E' longer than 8 bytes"));
        m4 = parse_err("FROM x\nRUN true\nRUN more\n", &big);
        assert_non_null(strstr(m4, "larger than 16 bytes"));
}

static void
test_dockerfile__cmd_names(void **state)
{
        (void)state;
        assert_int_equal(dockerfile_cmd_lookup("healthCheck"), DF_HEALTHCHECK);
        assert_int_equal(dockerfile_cmd_lookup("nope"), DF_UNKNOWN);
        assert_string_equal(dockerfile_cmd_name(DF_STOPSIGNAL), "STOPSIGNAL");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dockerfile__instructions_and_line_numbers),
                cmocka_unit_test(test_dockerfile__exec_form_and_shell_fallback),
                cmocka_unit_test(test_dockerfile__escape_directive_backtick),
                cmocka_unit_test(test_dockerfile__directives_only_at_top),
                cmocka_unit_test(test_dockerfile__bom_crlf_and_comments_in_continuation),
                cmocka_unit_test(test_dockerfile__heredocs),
                cmocka_unit_test(test_dockerfile__heredoc_markers),
                cmocka_unit_test(test_dockerfile__env_label_forms),
                cmocka_unit_test(test_dockerfile__onbuild_and_unknown_kept),
                cmocka_unit_test(test_dockerfile__errors_name_the_line),
                cmocka_unit_test(test_dockerfile__sizes_are_capped),
                cmocka_unit_test(test_dockerfile__cmd_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
