#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "transform_fixture.h"

static void
test_transform_defaults__build_context_and_dockerfile(void **state)
{
        struct node *doc = tf_canon("services:\n  a:\n    build: {dockerfile_inline: 'FROM x'}\n"
                                    "  b:\n    build: {context: ./b}\n"
                                    "  c:\n    build: {dockerfile: Other}\n");

        (void)state;
        tf_expect(doc, "services/a/build", "{context: ., dockerfile_inline: 'FROM x'}");
        tf_expect(doc, "services/b/build", "{context: ./b, dockerfile: Dockerfile}");
        tf_expect(doc, "services/c/build", "{context: ., dockerfile: Other}");
        node_free(doc);
}

static void
test_transform_defaults__long_syntax_entries_get_compose_defaults(void **state)
{
        struct node *doc = tf_canon("services:\n  web:\n    image: x\n"
                                    "    ports: [{target: 80}]\n"
                                    "    secrets: [{source: s}, {source: t, target: /t}]\n"
                                    "    gpus: [{driver: nvidia}, {device_ids: ['1']}]\n"
                                    "    volumes: [{type: volume, source: v, target: /a/./b/}]\n"
                                    "    pull_policy: if_not_present\n");

        (void)state;
        tf_expect(doc, "services/web/ports", "[{target: 80, protocol: tcp, mode: ingress}]");
        tf_expect(doc, "services/web/secrets",
                  "[{source: s, target: /run/secrets/s},"
                  " {source: t, target: /t}]");
        tf_expect(doc, "services/web/gpus", "[{driver: nvidia, count: -1}, {device_ids: ['1']}]");
        tf_expect(doc, "services/web/volumes/0/target", "/a/b");
        tf_expect(doc, "services/web/pull_policy", "missing");
        node_free(doc);
}

static void
test_transform_defaults__idempotent(void **state)
{
        struct node *once = tf_canon("services:\n  web:\n    build:\n      context: .\n"
                                     "      ssh: [default, id=/k]\n    ports: ['80']\n"
                                     "    extra_hosts: ['h:::1']\n"
                                     "    ulimits: {nproc: 0}\n    stop_grace_period: 1m\n"
                                     "    secrets: [{source: s, mode: 0440}]\n"
                                     "    deploy: {resources: {limits: {memory: 1g}}}\n");
        struct node *twice = node_clone(once);
        struct err err = { 0 };

        (void)state;
        assert_int_equal(transform_canonical(twice, &err), 0);
        assert_int_equal(transform_defaults(twice, &err), 0);
        tf_expect_node(twice, once, "second pass");
        node_free(once);
        node_free(twice);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transform_defaults__build_context_and_dockerfile),
                cmocka_unit_test(test_transform_defaults__long_syntax_entries_get_compose_defaults),
                cmocka_unit_test(test_transform_defaults__idempotent),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
