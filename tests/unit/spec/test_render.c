#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spec/render.h"
#include "spec/yaml.h"

static struct node *
model(const char *text)
{
        struct node *docs = NULL, *doc;
        struct err err = { 0 };

        assert_int_equal(yaml_load(text, strlen(text), "t", NULL, &docs, &err), 0);
        doc = node_seq_take(docs, 0);
        node_free(docs);
        return doc;
}

static void
test_render__dollars_are_escaped_unless_not_interpolated(void **state)
{
        struct node *m = model("name: p\nservices:\n  s:\n    command: [sh, -c, echo $HOME]\n");
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(render_model(m, false, false, &out, &err), 0);
        assert_non_null(strstr(out.buf, "echo $$HOME"));
        sbuf_reset(&out);
        assert_int_equal(render_model(m, false, true, &out, &err), 0);
        assert_non_null(strstr(out.buf, "echo $HOME"));
        assert_null(strstr(out.buf, "$$"));
        sbuf_release(&out);
        node_free(m);
}

static void
test_render__yaml_and_json_order_name_first(void **state)
{
        struct node *m = model("services:\n  s:\n    image: x\nname: p\n");
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(render_model(m, false, false, &out, &err), 0);
        assert_int_equal(strncmp(out.buf, "name: p\nservices:", 17), 0);
        sbuf_reset(&out);
        assert_int_equal(render_model(m, true, false, &out, &err), 0);
        assert_int_equal(out.buf[0], '{');
        assert_non_null(strstr(out.buf, "\"name\": \"p\""));
        assert_int_equal(out.buf[out.len - 1], '\n');
        sbuf_release(&out);
        node_free(m);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render__dollars_are_escaped_unless_not_interpolated),
                cmocka_unit_test(test_render__yaml_and_json_order_name_first),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
