/* Tests for spec/dockerfile_json: exec-form arrays as docker's builder reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "spec/dockerfile_json.h"

static enum dockerfile_json_result
parse(const char *s, char ***v, size_t **len, size_t *n)
{
        *v = NULL;
        *len = NULL;
        *n = 0;
        return dockerfile_json_strings(s, strlen(s), v, len, n);
}

static void
test_dockerfile_json__strings_decoded(void **state)
{
        char **v;
        size_t *len, n;

        (void)state;
        assert_int_equal(parse(" [ \"a\\\"b\" , \"\\u00e9\\ud83d\\ude00\\/\" ] ", &v, &len, &n),
                         DOCKERFILE_JSON_STRINGS);
        assert_int_equal(n, 2);
        assert_string_equal(v[0], "a\"b");
        assert_string_equal(v[1], "\xc3\xa9\xf0\x9f\x98\x80/");
        strv_free(v);
        free(len);
        assert_int_equal(parse("[\"\\u0000x\"]", &v, &len, &n), DOCKERFILE_JSON_STRINGS);
        assert_int_equal(len[0], 2);
        strv_free(v);
        free(len);
        assert_int_equal(parse("[]", &v, &len, &n), DOCKERFILE_JSON_STRINGS);
        assert_int_equal(n, 0);
        assert_null(v);
}

static void
test_dockerfile_json__invalid_json_is_shell_form(void **state)
{
        static const char *const bad[] = {
                "['a']",     "[\"a\"", "[\"a\",]", "[\"a\"] x",     "{\"a\": 1}", "[\"a\tb\"]",
                "[\"\\x\"]", "[01]",   "[1.]",     "[\"a\" \"b\"]", "",
        };
        char **v;
        size_t *len, n;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(parse(bad[i], &v, &len, &n), DOCKERFILE_JSON_NOT_ARRAY);
}

static void
test_dockerfile_json__non_strings_rejected(void **state)
{
        static const char *const bad[] = {
                "[\"a\", 1]",
                "[null]",
                "[\"a\", [\"b\"]]",
                "[{\"k\": [1, {\"x\": true}]}]",
        };
        char **v;
        size_t *len, n;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(parse(bad[i], &v, &len, &n), DOCKERFILE_JSON_NOT_STRINGS);
}

static void
test_dockerfile_json__depth_is_capped(void **state)
{
        size_t depth = DOCKERFILE_JSON_MAX_DEPTH + 5;
        char *s = xmalloc(2 * depth + 1);
        char **v;
        size_t *len, n;

        (void)state;
        memset(s, '[', depth);
        memset(s + depth, ']', depth);
        s[2 * depth] = '\0';
        assert_int_equal(parse(s, &v, &len, &n), DOCKERFILE_JSON_NOT_ARRAY);
        free(s);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dockerfile_json__strings_decoded),
                cmocka_unit_test(test_dockerfile_json__invalid_json_is_shell_form),
                cmocka_unit_test(test_dockerfile_json__non_strings_rejected),
                cmocka_unit_test(test_dockerfile_json__depth_is_capped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
