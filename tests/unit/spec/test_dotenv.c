/* Unit tests for spec/dotenv: .env files as users write them for --env-file, the project
 * .env and env_file (including `format: raw`), the errors they get, and the size caps. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "spec/dotenv.h"

static int
parse(const char *text, const struct env *os, struct env *out, struct err *err)
{
        return dotenv_parse(text, strlen(text), "test.env", os ? env_lookup : NULL, (void *)os, out,
                            err);
}

static void
test_dotenv__statements_comments_and_quotes(void **state)
{
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(parse("# comment\n"
                               "\n"
                               "export A=1\n"
                               "B: two words # trailing comment\n"
                               "C=x#y\n"
                               "D=\"a\\tb\\n\\\"q\\\" \\$HOME \\0101\" # comment\n"
                               "E='it\\'s $A\n"
                               "second line'\n"
                               "F=a\\tb\n"
                               "G=\n",
                               NULL, &out, &err),
                         0);
        assert_int_equal(out.n, 7);
        assert_string_equal(env_get(&out, "A"), "1");
        assert_string_equal(env_get(&out, "B"), "two words");
        assert_string_equal(env_get(&out, "C"), "x#y");
        assert_string_equal(env_get(&out, "D"), "a\tb\n\"q\" $HOME A");
        assert_string_equal(env_get(&out, "E"), "it's $A\nsecond line");
        assert_string_equal(env_get(&out, "F"), "a\\tb");
        assert_string_equal(env_get(&out, "G"), "");
}

static void
test_dotenv__lookup_first_then_earlier_keys(void **state)
{
        cleanup_env struct env os = ENV_INIT;
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };

        (void)state;
        env_set(&os, "HOST", "from-shell");
        env_set(&os, "INHERIT", "inherited");
        assert_int_equal(parse("HOST=from-file\n"
                               "URL=http://${HOST}:${PORT:-80}/$NAME\n"
                               "NAME=app\n"
                               "AGAIN=$NAME\n"
                               "INHERIT\n"
                               "MISSING\n",
                               &os, &out, &err),
                         0);
        assert_string_equal(env_get(&out, "HOST"), "from-file");
        assert_string_equal(env_get(&out, "URL"), "http://from-shell:80/");
        assert_string_equal(env_get(&out, "AGAIN"), "app");
        assert_string_equal(env_get(&out, "INHERIT"), "inherited");
        assert_false(env_has(&out, "MISSING"));
}

static void
test_dotenv__replaces_existing_entries_in_place(void **state)
{
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };

        (void)state;
        env_set(&out, "A", "old");
        env_set(&out, "B", "kept");
        assert_int_equal(parse("C=$B\nA=new\n", NULL, &out, &err), 0);
        assert_int_equal(out.n, 3);
        assert_string_equal(out.names[0], "A");
        assert_string_equal(out.values[0], "new");
        assert_string_equal(env_get(&out, "C"), "kept");
}

static void
test_dotenv__crlf_and_bom(void **state)
{
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(parse("\xef\xbb\xbf"
                               "A=1\r\nB=\"2\"\r\n# c\r\nC = 3 \r\n",
                               NULL, &out, &err),
                         0);
        assert_int_equal(out.n, 3);
        assert_string_equal(out.names[0], "A");
        assert_string_equal(env_get(&out, "A"), "1");
        assert_string_equal(env_get(&out, "B"), "2");
        assert_string_equal(env_get(&out, "C"), "3");
}

static void
test_dotenv__errors_name_file_and_line(void **state)
{
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(parse("A=1\nB=\"multi\nline\"\nBAD KEY=1\n", NULL, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "test.env:4: key cannot contain a space");
        /* the lines before the bad one were applied */
        assert_string_equal(env_get(&out, "B"), "multi\nline");
        err_clear(&err);
        assert_int_equal(parse("A=1\n\nB='open\nC=3\n", NULL, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "test.env:3: unterminated quoted value \"'open\"");
        err_clear(&err);
        assert_int_equal(parse("ok=1\nlol$wut\n", NULL, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "test.env:2: parse error (invalid line): unexpected "
                                     "character \"$\" in variable name \"lol$wut\"");
        err_clear(&err);
        assert_int_equal(parse("A=1\nB=${\n", NULL, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "test.env:2: Invalid template: \"${\"");
        err_clear(&err);
        assert_int_equal(parse("A=${NEED:?set it}\n", NULL, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "test.env:1: required variable NEED is missing a value: "
                                     "set it");
}

static void
test_dotenv__caps_and_nul_bytes(void **state)
{
        cleanup_free char *big = xmalloc(DOTENV_MAX_BYTES + 2);
        cleanup_free char *key = xmalloc(DOTENV_MAX_KEY + 4);
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };

        (void)state;
        memset(big, '#', DOTENV_MAX_BYTES + 1);
        big[DOTENV_MAX_BYTES + 1] = '\0';
        assert_int_equal(dotenv_parse(big, DOTENV_MAX_BYTES, "f", NULL, NULL, &out, &err), 0);
        assert_int_equal(dotenv_parse(big, DOTENV_MAX_BYTES + 1, "f", NULL, NULL, &out, &err),
                         -EFBIG);
        err_clear(&err);
        memset(key, 'K', DOTENV_MAX_KEY + 1);
        memcpy(key + DOTENV_MAX_KEY + 1, "=1", 3);
        assert_int_equal(parse(key, NULL, &out, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "variable name longer than"));
        err_clear(&err);
        assert_int_equal(dotenv_parse("A=1\nB=x\0y\n", 10, "f", NULL, NULL, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "f:2: NUL byte in input");
}

static void
test_dotenv__raw_format_is_literal(void **state)
{
        cleanup_env struct env os = ENV_INIT;
        cleanup_env struct env out = ENV_INIT;
        const char *text = "\xef\xbb\xbf# comment\n"
                           "  JSON='{\"key\": \"value\"}'\n"
                           "LIT=$HOME ${X:-y} \\n # not a comment \r\n"
                           "Q=\"half\n"
                           "FROM_OS\n"
                           "NOT_SET\n";
        struct err err = { 0 };

        (void)state;
        env_set(&os, "FROM_OS", "'v'");
        assert_int_equal(
                dotenv_parse_raw(text, strlen(text), "raw.env", env_lookup, &os, &out, &err), 0);
        assert_int_equal(out.n, 4);
        assert_string_equal(env_get(&out, "JSON"), "{\"key\": \"value\"}");
        assert_string_equal(env_get(&out, "LIT"), "$HOME ${X:-y} \\n # not a comment ");
        assert_string_equal(env_get(&out, "Q"), "\"half");
        assert_string_equal(env_get(&out, "FROM_OS"), "v");
        assert_int_equal(dotenv_parse_raw("A=1\nB C=2\n", 10, "raw.env", NULL, NULL, &out, &err),
                         -EINVAL);
        assert_string_equal(err.msg, "raw.env:2: variable 'B C' contains whitespaces");
        err_clear(&err);
        assert_int_equal(dotenv_parse_raw("A=\xff\n", 4, "raw.env", NULL, NULL, &out, &err),
                         -EINVAL);
        assert_string_equal(err.msg, "raw.env:1: invalid UTF-8");
}

static void
test_dotenv__read_files(void **state)
{
        char path[] = "/tmp/test_dotenv_XXXXXX";
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "A=\"$$x\"\n", 8), 8);
        close(fd);
        assert_int_equal(dotenv_read(path, false, NULL, NULL, &out, &err), 0);
        assert_string_equal(env_get(&out, "A"), "$x");
        assert_int_equal(dotenv_read(path, true, NULL, NULL, &out, &err), 0);
        assert_string_equal(env_get(&out, "A"), "$$x");
        unlink(path);
        assert_int_equal(dotenv_read(path, false, NULL, NULL, &out, &err), -ENOENT);
        assert_non_null(strstr(err.msg, path));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dotenv__statements_comments_and_quotes),
                cmocka_unit_test(test_dotenv__lookup_first_then_earlier_keys),
                cmocka_unit_test(test_dotenv__replaces_existing_entries_in_place),
                cmocka_unit_test(test_dotenv__crlf_and_bom),
                cmocka_unit_test(test_dotenv__errors_name_file_and_line),
                cmocka_unit_test(test_dotenv__caps_and_nul_bytes),
                cmocka_unit_test(test_dotenv__raw_format_is_literal),
                cmocka_unit_test(test_dotenv__read_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
