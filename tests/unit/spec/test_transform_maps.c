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
test_transform_maps__environment_values_are_strings_or_null(void **state)
{
        (void)state;
        tf_check(SVC "    environment:\n      - RACK_ENV=development\n      - SHOW=true\n"
                     "      - SESSION_SECRET\n      - EMPTY=\n      - EQ=a=b\n",
                 "services/web/environment",
                 "{RACK_ENV: development, SHOW: 'true', SESSION_SECRET: null, EMPTY: '', "
                 "EQ: a=b}");
        tf_check(SVC "    environment:\n      NUM: 3\n      FLOAT: 1.50\n      BOOL: true\n"
                     "      NOTHING:\n      HEX: 0x1F\n",
                 "services/web/environment",
                 "{NUM: '3', FLOAT: '1.5', BOOL: 'true', NOTHING: null, HEX: '31'}");
}

static void
test_transform_maps__labels_and_mappings_turn_null_into_empty(void **state)
{
        struct node *doc = tf_canon(SVC "    labels:\n      - com.example.flag\n      - a=1\n"
                                        "    annotations: [x=y]\n"
                                        "    sysctls:\n      net.core.somaxconn: 1024\n"
                                        "    deploy:\n      labels: {empty: null, n: 42}\n"
                                        "    build:\n      context: .\n      args: [FOO, BAR=1]\n"
                                        "    logging:\n      options: {max-size: 10m, n: 3}\n");

        (void)state;
        tf_expect(doc, "services/web/labels", "{com.example.flag: '', a: '1'}");
        tf_expect(doc, "services/web/annotations", "{x: y}");
        tf_expect(doc, "services/web/sysctls", "{net.core.somaxconn: '1024'}");
        tf_expect(doc, "services/web/deploy/labels", "{empty: '', n: '42'}");
        tf_expect(doc, "services/web/build/args", "{FOO: null, BAR: '1'}");
        tf_expect(doc, "services/web/logging/options", "{max-size: 10m, n: '3'}");
        node_free(doc);
}

static void
test_transform_maps__extra_hosts_print_as_sorted_host_equals_ip(void **state)
{
        (void)state;
        tf_check(SVC "    extra_hosts:\n      - somehost:162.242.195.82\n"
                     "      - otherhost=50.31.209.229\n      - ipv6=::1\n"
                     "      - multi=10.0.0.1,[fe80::1]\n",
                 "services/web/extra_hosts",
                 "[ipv6=::1, multi=10.0.0.1, multi=fe80::1, otherhost=50.31.209.229, "
                 "somehost=162.242.195.82]");
        tf_check(SVC "    extra_hosts:\n      somehost: 162.242.195.82\n"
                     "      many: ['1.1.1.1', '2.2.2.2']\n",
                 "services/web/extra_hosts",
                 "[many=1.1.1.1, many=2.2.2.2, somehost=162.242.195.82]");
}

static void
test_transform_maps__commands_split_like_a_shell(void **state)
{
        struct node *doc = tf_canon(SVC "    command: bundle exec thin -p 3000\n"
                                        "    entrypoint: ''\n"
                                        "    healthcheck:\n      test: echo \"hello world\"\n"
                                        "    post_start:\n      - command: echo 'a b'\n");

        (void)state;
        tf_expect(doc, "services/web/command", "[bundle, exec, thin, -p, '3000']");
        tf_expect(doc, "services/web/entrypoint", "[]");
        tf_expect(doc, "services/web/healthcheck/test", "[CMD-SHELL, echo \"hello world\"]");
        tf_expect(doc, "services/web/post_start/0/command", "[echo, a b]");
        node_free(doc);
}

static void
test_transform_maps__string_or_list_attributes(void **state)
{
        struct node *doc = tf_canon(SVC "    dns: 8.8.8.8\n    dns_search: [a, '']\n"
                                        "    tmpfs: /run\n    expose: ['3000', 8000]\n"
                                        "    label_file: a.label\n"
                                        "  other:\n    image: x\n    dns: ['', 1.1.1.1]\n");

        (void)state;
        tf_expect(doc, "services/web/dns", "['8.8.8.8']");
        tf_expect(doc, "services/web/dns_search", "[a, '']");
        tf_expect(doc, "services/web/tmpfs", "[/run]");
        tf_expect(doc, "services/web/expose", "['3000', '8000']");
        tf_expect(doc, "services/web/label_file", "[a.label]");
        /* compose drops empty dns entries */
        tf_expect(doc, "services/other/dns", "[1.1.1.1]");
        node_free(doc);
}

static void
test_transform_maps__ulimits(void **state)
{
        (void)state;
        tf_check(SVC "    ulimits:\n      nproc: 65535\n      core: '0'\n"
                     "      nofile: {soft: '20000', hard: 40000}\n      memlock: {soft: -1}\n",
                 "services/web/ulimits",
                 "{nproc: 65535, core: {soft: 0, hard: 0}, nofile: {soft: 20000, hard: 40000},"
                 " memlock: {soft: -1, hard: 0}}");
}

static void
test_transform_maps__bad_values_are_rejected(void **state)
{
        cleanup_free char *space = tf_canon_err(SVC "    environment: ['FOO =bar']\n");
        cleanup_free char *host = tf_canon_err(SVC "    extra_hosts: [nohost]\n");
        cleanup_free char *badhost = tf_canon_err(SVC "    extra_hosts: {'a:b': 1.2.3.4}\n");
        cleanup_free char *cmd = tf_canon_err(SVC "    command: echo 'oops\n");
        cleanup_free char *opts = tf_canon_err(SVC "    logging:\n      options: [a=b]\n");
        cleanup_free char *nested = tf_canon_err(SVC "    environment: {A: [1]}\n");

        (void)state;
        assert_non_null(strstr(space, "environment variable FOO  is declared with a trailing "
                                      "space"));
        assert_non_null(strstr(host, "invalid additional host, missing IP: nohost"));
        assert_non_null(strstr(badhost, "bad host name 'a:b'"));
        assert_non_null(strstr(cmd, "test.yaml:4:14: services.web.command: invalid command line "
                                    "string: unterminated single quote"));
        assert_non_null(strstr(opts, "services.web.logging.options: must be a mapping"));
        assert_non_null(strstr(nested, "A: must be a string, number, boolean or null"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transform_maps__environment_values_are_strings_or_null),
                cmocka_unit_test(test_transform_maps__labels_and_mappings_turn_null_into_empty),
                cmocka_unit_test(test_transform_maps__extra_hosts_print_as_sorted_host_equals_ip),
                cmocka_unit_test(test_transform_maps__commands_split_like_a_shell),
                cmocka_unit_test(test_transform_maps__string_or_list_attributes),
                cmocka_unit_test(test_transform_maps__ulimits),
                cmocka_unit_test(test_transform_maps__bad_values_are_rejected),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
