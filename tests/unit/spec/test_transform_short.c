#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "transform_fixture.h"

#define SVC "services:\n  web:\n    image: x\n"

static void
test_transform_short__build_string_is_a_context(void **state)
{
        (void)state;
        tf_check("services:\n  web:\n    build: ./app\n", "services/web/build",
                 "{context: ./app, dockerfile: Dockerfile}");
}

static void
test_transform_short__depends_on_list_and_map(void **state)
{
        struct node *doc = tf_canon("services:\n  web:\n    image: x\n    depends_on: [db, cache]\n"
                                    "  worker:\n    image: x\n    depends_on:\n"
                                    "      db: {condition: service_healthy, restart: true}\n"
                                    "      metrics: {required: 'false'}\n"
                                    "      cache: {restart: false}\n");

        (void)state;
        tf_expect(doc, "services/web/depends_on",
                  "{db: {condition: service_started, required: true},"
                  " cache: {condition: service_started, required: true}}");
        /* restart: false is omitted, as compose prints it; required is always printed */
        tf_expect(doc, "services/worker/depends_on",
                  "{db: {condition: service_healthy, restart: true, required: true},"
                  " metrics: {condition: service_started, required: false},"
                  " cache: {condition: service_started, required: true}}");
        node_free(doc);
}

static void
test_transform_short__env_file_entries_become_paths(void **state)
{
        (void)state;
        tf_check(SVC "    env_file: .env\n", "services/web/env_file", "[{path: .env}]");
        tf_check(SVC "    env_file:\n      - a.env\n      - path: b.env\n        required: false\n"
                     "      - path: c.env\n        required: true\n        format: raw\n",
                 "services/web/env_file",
                 "[{path: a.env}, {path: b.env, required: false}, {path: c.env, format: raw}]");
}

static void
test_transform_short__file_references(void **state)
{
        struct node *doc = tf_canon(SVC "    secrets:\n      - token\n      - source: cert\n"
                                        "        target: /etc/cert\n        uid: 103\n"
                                        "        mode: 0440\n"
                                        "    configs:\n      - app\n      - source: other\n"
                                        "        mode: '0644'\n");

        (void)state;
        tf_expect(doc, "services/web/secrets",
                  "[{source: token, target: /run/secrets/token},"
                  " {source: cert, target: /etc/cert, uid: '103',"
                  " mode: '0440'}]");
        tf_expect(doc, "services/web/configs", "[{source: app}, {source: other, mode: '0644'}]");
        node_free(doc);
}

static void
test_transform_short__extends_gpus_networks_devices(void **state)
{
        struct node *doc = tf_canon(SVC "    extends: base\n    gpus: all\n"
                                        "    networks: [front, back]\n    models: [llm]\n"
                                        "    devices:\n      - /dev/a\n      - /dev/b:/dev/c\n"
                                        "      - /dev/d:/dev/e:r\n"
                                        "  base:\n    image: y\n");

        (void)state;
        tf_expect(doc, "services/web/extends", "{service: base}");
        tf_expect(doc, "services/web/gpus", "[{count: -1}]");
        tf_expect(doc, "services/web/networks", "{front: null, back: null}");
        tf_expect(doc, "services/web/models", "{llm: null}");
        tf_expect(doc, "services/web/devices",
                  "[{source: /dev/a, target: /dev/a, permissions: rwm},"
                  " {source: /dev/b, target: /dev/c, permissions: rwm},"
                  " {source: /dev/d, target: /dev/e, permissions: r}]");
        node_free(doc);
}

static void
test_transform_short__build_ssh_and_contexts(void **state)
{
        struct node *doc = tf_canon("services:\n  web:\n    build:\n      context: .\n"
                                    "      ssh: [default, key=/k]\n"
                                    "      additional_contexts: [src=../src]\n"
                                    "      provenance: true\n"
                                    "  api:\n    build:\n      context: .\n"
                                    "      ssh: {default: null, id: ./id}\n");

        (void)state;
        tf_expect(doc, "services/web/build/ssh", "[default, 'key: /k']");
        tf_expect(doc, "services/api/build/ssh", "[default, 'id: ./id']");
        tf_expect(doc, "services/web/build/additional_contexts", "{src: ../src}");
        tf_expect(doc, "services/web/build/provenance", "'true'");
        node_free(doc);
}

static void
test_transform_short__external_name_becomes_name(void **state)
{
        struct node *doc = tf_canon(SVC "networks:\n  n:\n    external:\n      name: real\n"
                                        "volumes:\n  v:\n    name: same\n"
                                        "    external: {name: same}\n"
                                        "secrets:\n  s:\n    external: 'true'\n");

        (void)state;
        tf_expect(doc, "networks/n", "{name: real, external: true}");
        tf_expect(doc, "volumes/v", "{name: same, external: true}");
        tf_expect(doc, "secrets/s", "{external: true}");
        node_free(doc);
}

static void
test_transform_short__bad_short_syntax_is_rejected(void **state)
{
        cleanup_free char *conflict = tf_canon_err(SVC "networks:\n  front:\n    name: a\n"
                                                       "    external: {name: b}\n");
        cleanup_free char *ssh = tf_canon_err("services:\n  web:\n    build:\n      context: .\n"
                                              "      ssh: [mykey]\n");
        cleanup_free char *ctx = tf_canon_err("services:\n  web:\n    build:\n      context: .\n"
                                              "      additional_contexts: [nokey]\n");
        cleanup_free char *dep = tf_canon_err(SVC "    depends_on: {db: yes}\n");
        cleanup_free char *dev = tf_canon_err(SVC "    devices: ['a:b:c:d']\n");

        (void)state;
        assert_string_equal(conflict, "test.yaml:6:5: networks.front: name and external.name "
                                      "conflict; only use name");
        assert_non_null(strstr(ssh, "services.web.build.ssh[0]: invalid ssh key \"mykey\""));
        assert_non_null(strstr(ctx, "invalid value nokey, expected key=value"));
        assert_non_null(strstr(dep, "db: unsupported value"));
        assert_non_null(strstr(dev, "confusing device mapping, please use long syntax: a:b:c:d"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transform_short__build_string_is_a_context),
                cmocka_unit_test(test_transform_short__depends_on_list_and_map),
                cmocka_unit_test(test_transform_short__env_file_entries_become_paths),
                cmocka_unit_test(test_transform_short__file_references),
                cmocka_unit_test(test_transform_short__extends_gpus_networks_devices),
                cmocka_unit_test(test_transform_short__build_ssh_and_contexts),
                cmocka_unit_test(test_transform_short__external_name_becomes_name),
                cmocka_unit_test(test_transform_short__bad_short_syntax_is_rejected),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
