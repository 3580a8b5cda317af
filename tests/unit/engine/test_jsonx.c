/* Tests for engine/jsonx.c: capped parsing and Go-compatible JSON output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/strv.h"
#include "engine/jsonx.h"

static json_object *
parse(const char *s)
{
        json_object *o = NULL;

        assert_int_equal(jsonx_parse(s, strlen(s), 1 << 20, "test", &o, NULL), 0);
        return o;
}

static void
test_jsonx__parse_errors_are_clear(void **state)
{
        json_object *o = NULL;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(jsonx_parse("{\"a\":1} x", 9, 100, "manifest", &o, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "parse manifest: "));
        err_clear(&err);
        assert_int_equal(jsonx_parse("{\"a\":", 5, 100, "config", &o, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "config"));
        err_clear(&err);
        assert_int_equal(jsonx_parse("[1,2,3]", 7, 3, "index", &o, &err), -EFBIG);
        err_clear(&err);
        assert_int_equal(jsonx_parse("  ", 2, 100, "empty", &o, &err), -EINVAL);
        o = parse(" {\"a\": [1, 2]} \n");
        assert_int_equal(json_object_array_length(jsonx_get(o, "a")), 2);
        json_object_put(o);
}

static void
test_jsonx__deep_nesting_is_refused(void **state)
{
        char deep[400];
        json_object *o = NULL;

        (void)state;
        memset(deep, '[', 200);
        memset(deep + 200, ']', 200);
        assert_int_equal(jsonx_parse(deep, sizeof(deep), 1000, "deep", &o, NULL), -EINVAL);
}

static void
test_jsonx__writes_what_go_writes(void **state)
{
        json_object *o = parse("{\"cmd\":\"a && b > c < d\",\"u\":\"\\u2028/\\t\\u0001\","
                               "\"n\":null,\"b\":true,\"i\":-5,\"e\":{},\"l\":[]}");
        char *s = jsonx_string(o, NULL);

        (void)state;
        assert_string_equal(s, "{\"cmd\":\"a \\u0026\\u0026 b \\u003e c \\u003c d\","
                               "\"u\":\"\\u2028/\\t\\u0001\",\"n\":null,\"b\":true,\"i\":-5,"
                               "\"e\":{},\"l\":[]}");
        free(s);
        json_object_put(o);
}

static void
test_jsonx__indents_like_marshal_indent(void **state)
{
        json_object *o = parse("{\"a\":[\"x\",{\"b\":1}],\"c\":{},\"d\":[]}");
        char *s = jsonx_string(o, "    ");

        (void)state;
        assert_string_equal(s, "{\n"
                               "    \"a\": [\n"
                               "        \"x\",\n"
                               "        {\n"
                               "            \"b\": 1\n"
                               "        }\n"
                               "    ],\n"
                               "    \"c\": {},\n"
                               "    \"d\": []\n"
                               "}");
        free(s);
        json_object_put(o);
}

static void
test_jsonx__getters_tolerate_absence(void **state)
{
        json_object *o = parse("{\"s\":\"v\",\"i\":7,\"b\":true,\"a\":[\"x\",1,\"y\"]}");
        char **v = jsonx_to_strv(jsonx_get(o, "a"));

        (void)state;
        assert_string_equal(jsonx_str(o, "s"), "v");
        assert_null(jsonx_str(o, "i"));
        assert_null(jsonx_str(NULL, "s"));
        assert_int_equal(jsonx_int(o, "i", 0), 7);
        assert_int_equal(jsonx_int(o, "s", 42), 42);
        assert_true(jsonx_bool(o, "b"));
        assert_false(jsonx_bool(o, "missing"));
        assert_int_equal(strv_length(v), 2);
        assert_string_equal(v[1], "y");
        strv_free(v);
        json_object_put(o);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jsonx__parse_errors_are_clear),
                cmocka_unit_test(test_jsonx__deep_nesting_is_refused),
                cmocka_unit_test(test_jsonx__writes_what_go_writes),
                cmocka_unit_test(test_jsonx__indents_like_marshal_indent),
                cmocka_unit_test(test_jsonx__getters_tolerate_absence),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
