/* Tests for spec/dfstage_config: the image config and its docker JSON form. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "spec/dfstage.h"

static void
test_dfstage_config__unset_fields_are_null(void **state)
{
        struct dfstage_config c;
        json_object *o, *v;

        (void)state;
        dfstage_config_init(&c);
        o = dfstage_config_to_json(&c);
        assert_true(json_object_object_get_ex(o, "Cmd", &v) && v == NULL);
        assert_true(json_object_object_get_ex(o, "Labels", &v) && v == NULL);
        assert_true(json_object_object_get_ex(o, "User", &v));
        assert_string_equal(json_object_get_string(v), "");
        json_object_put(o);
        dfstage_config_release(&c);
}

static void
test_dfstage_config__json_round_trip(void **state)
{
        const char *text =
                "{\"Cmd\":[],\"Entrypoint\":[\"/e\"],\"Env\":[\"A=1\"],"
                "\"ExposedPorts\":{\"80/tcp\":{}},\"Healthcheck\":{\"Test\":[\"NONE\"],"
                "\"Interval\":5000000000},\"Labels\":{\"a\":\"b\"},\"OnBuild\":[\"RUN x\"],"
                "\"Shell\":[\"sh\",\"-c\"],\"StopSignal\":\"SIGTERM\",\"User\":\"u\","
                "\"Volumes\":{\"/v\":{}},\"WorkingDir\":\"/w\"}";
        json_object *in = json_tokener_parse(text), *out;
        struct dfstage_config c, copy;

        (void)state;
        assert_int_equal(dfstage_config_from_json(in, &c, NULL), 0);
        dfstage_config_copy(&copy, &c);
        out = dfstage_config_to_json(&copy);
        assert_true(json_object_equal(in, out));
        assert_non_null(copy.cmd); /* [] stays [], not null */
        json_object_put(in);
        json_object_put(out);
        dfstage_config_release(&c);
        dfstage_config_release(&copy);
}

static void
test_dfstage_config__wrong_types_rejected(void **state)
{
        json_object *in = json_tokener_parse("{\"Env\":\"A=1\"}");
        struct dfstage_config c;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(dfstage_config_from_json(in, &c, &err), -EINVAL);
        assert_string_equal(err.msg, "image config: Env is not a list");
        json_object_put(in);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dfstage_config__unset_fields_are_null),
                cmocka_unit_test(test_dfstage_config__json_round_trip),
                cmocka_unit_test(test_dfstage_config__wrong_types_rejected),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
