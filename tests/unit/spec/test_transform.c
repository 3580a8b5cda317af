#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "transform_fixture.h"

#define FULL_EXAMPLE CONFORMANCE_DIR "/compose/compose-go/full-example"

/* load_file: a file as one document; the only variable of the full example is replaced
 * as interpolation (which runs before the transform) would. */
static struct node *
load_file(const char *path)
{
        static const char var[] = "${COMPOSE_PROJECT_NAME}";
        cleanup_free char *text = NULL;
        struct sbuf sb = SBUF_INIT;
        struct err err = { 0 };
        struct node *doc;
        size_t len = 0;
        char *at;

        if (fs_read_capped(path, 1 << 20, &text, &len, &err) < 0) {
                print_error("%s\n", err.msg);
                fail();
        }
        at = strstr(text, var);
        if (at) {
                sbuf_add(&sb, text, (size_t)(at - text));
                sbuf_addf(&sb, "full_example_project_name%s", at + strlen(var));
        } else {
                sbuf_adds(&sb, text);
        }
        doc = tf_load(sb.buf);
        sbuf_release(&sb);
        return doc;
}

/* The attributes of the full example that the loader resolves (paths, env_file and
 * label_file contents) and so cannot match before it runs. */
static bool
loader_attribute(const char *service, const char *key)
{
        static const char *const skipped[] = { "build",       "env_file", "label_file",
                                               "environment", "labels",   "volumes" };

        (void)service;
        for (size_t i = 0; i < ARRAY_SIZE(skipped); i++)
                if (strcmp(key, skipped[i]) == 0)
                        return true;
        return false;
}

static void
compare_service(struct node *got, struct node *want, const char *name)
{
        node_foreach_entry(e, want) {
                char what[128];

                if (loader_attribute(name, e->key))
                        continue;
                snprintf(what, sizeof(what), "services.%s.%s", name, e->key);
                tf_expect_node(node_map_get(got, e->key), e->val, what);
        }
        node_foreach_entry(e, got) {
                if (!node_map_get(want, e->key) && !loader_attribute(name, e->key)) {
                        print_error("services.%s.%s: not in the expected model\n", name, e->key);
                        fail();
                }
        }
}

/* compare_build: everything but the resolved paths and ssh. */
static void
compare_build(struct node *got, struct node *want)
{
        static const char *const paths[] = { "context", "additional_contexts" };

        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                node_map_del(got, paths[i]);
                node_map_del(want, paths[i]);
        }
        tf_expect_node(got, want, "build");
}

/* compare_volumes: relative sources are resolved by the loader; the rest must match. */
static void
compare_volumes(struct node *got, struct node *want)
{
        assert_int_equal(got->n, want->n);
        for (size_t i = 0; i < got->n; i++) {
                const char *src = node_map_str(got->items[i], "source");

                if (src && src[0] != '/') {
                        node_map_del(got->items[i], "source");
                        node_map_del(want->items[i], "source");
                }
                tf_expect_node(got->items[i], want->items[i], "volume");
        }
}

static void
test_transform__full_example_matches_compose(void **state)
{
        struct node *in = load_file(FULL_EXAMPLE "/full-example.yml");
        struct node *want = load_file(FULL_EXAMPLE "/expected-normalized.yaml");
        struct err err = { 0 };

        (void)state;
        assert_int_equal(transform_canonical(in, &err), 0);
        assert_int_equal(transform_defaults(in, &err), 0);
        node_foreach_entry(s, tf_at(want, "services"))
                compare_service(tf_at(tf_at(in, "services"), s->key), s->val, s->key);
        compare_build(tf_at(in, "services/foo/build"), tf_at(want, "services/foo/build"));
        compare_volumes(tf_at(in, "services/foo/volumes"), tf_at(want, "services/foo/volumes"));
        tf_expect_node(tf_at(in, "services/foo/labels/com.example.number"),
                       tf_at(want, "services/foo/labels/com.example.number"), "label");
        tf_expect_node(tf_at(in, "services/foo/labels/com.example.empty-label"),
                       tf_at(want, "services/foo/labels/com.example.empty-label"), "label");
        tf_expect(in, "services/foo/environment/QUX", "null"); /* resolved by the loader */
        tf_expect_node(tf_at(in, "networks"), tf_at(want, "networks"), "networks");
        tf_expect_node(tf_at(in, "volumes"), tf_at(want, "volumes"), "volumes");
        for (size_t i = 0; i < 2; i++) {
                struct node *g = tf_at(in, i ? "configs" : "secrets");
                struct node *w = tf_at(want, i ? "configs" : "secrets");

                node_foreach_entry(e, g) {
                        node_map_del(e->val, "file");
                        node_map_del(node_map_get(w, e->key), "file");
                }
                tf_expect_node(g, w, i ? "configs" : "secrets");
        }
        tf_expect(in, "x-nested", "{bar: baz, foo: bar}");
        node_free(in);
        node_free(want);
}

static void
test_transform__zero_values_are_omitted_as_compose_prints_them(void **state)
{
        struct node *doc = tf_canon("services:\n  web:\n    image: x\n    privileged: false\n"
                                    "    read_only: 'false'\n    init: false\n    command: []\n"
                                    "    environment: []\n    container_name: ''\n"
                                    "    healthcheck:\n      retries: 0\n      disable: false\n");

        (void)state;
        tf_expect(doc, "services/web/privileged", "~");
        tf_expect(doc, "services/web/read_only", "~");
        tf_expect(doc, "services/web/environment", "~");
        tf_expect(doc, "services/web/container_name", "~");
        tf_expect(doc, "services/web/init", "false"); /* *bool: set means printed */
        tf_expect(doc, "services/web/command", "[]"); /* [] clears the image's command */
        tf_expect(doc, "services/web/healthcheck", "{retries: 0}");
        node_free(doc);
}

static void
test_transform__null_resources_become_empty_mappings(void **state)
{
        struct node *doc = tf_canon("services:\n  web:\n    image: x\nnetworks:\n  front:\n"
                                    "volumes:\n  data:\n");

        (void)state;
        tf_expect(doc, "networks/front", "{}");
        tf_expect(doc, "volumes/data", "{}");
        node_free(doc);
}

static void
test_transform__extensions_and_unknown_keys_are_kept(void **state)
{
        struct node *doc =
                tf_canon("services:\n  web:\n    image: x\n    x-num: 0x10\n"
                         "    x-float: 1.0\n    x-null:\n    bogus: [1]\nx-top: {a: 1}\n");

        (void)state;
        tf_expect(doc, "services/web/x-num", "16");
        tf_expect(doc, "services/web/x-float", "!!float 1");
        tf_expect(doc, "services/web/x-null", "null");
        tf_expect(doc, "services/web/bogus", "[1]");
        tf_expect(doc, "x-top", "{a: 1}");
        node_free(doc);
}

static void
test_transform__errors_name_the_place_and_the_attribute(void **state)
{
        cleanup_free char *port = tf_canon_err("services:\n  web:\n    image: x\n"
                                               "    ports:\n      - 8080\n      - abc\n");
        cleanup_free char *dur = tf_canon_err("services:\n  web:\n    image: x\n"
                                              "    stop_grace_period: 10x\n");
        cleanup_free char *kind = tf_canon_err("services:\n  web:\n    cap_add: ALL\n");
        cleanup_free char *top = NULL;
        struct err err = { 0 };
        struct node *seq = node_new(NODE_SEQ, NULL);

        (void)state;
        assert_string_equal(port, "test.yaml:6:9: services.web.ports[1]: invalid port spec "
                                  "\"abc\": invalid container port \"abc\"");
        assert_non_null(strstr(dur, "test.yaml:4:24: services.web.stop_grace_period: "
                                    "invalid duration \"10x\""));
        assert_non_null(strstr(kind, "services.web.cap_add: must be a list"));
        assert_int_equal(transform_canonical(seq, &err), -EINVAL);
        top = xstrdup(err.msg);
        assert_non_null(strstr(top, "top-level object must be a mapping"));
        node_free(seq);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transform__full_example_matches_compose),
                cmocka_unit_test(test_transform__zero_values_are_omitted_as_compose_prints_them),
                cmocka_unit_test(test_transform__null_resources_become_empty_mappings),
                cmocka_unit_test(test_transform__extensions_and_unknown_keys_are_kept),
                cmocka_unit_test(test_transform__errors_name_the_place_and_the_attribute),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
