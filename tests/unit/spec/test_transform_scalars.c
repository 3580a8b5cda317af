#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "transform_fixture.h"

#define SVC "services:\n  web:\n    image: x\n"

/* Interpolation hands the transform strings; compose casts them back to the Go types. */
static void
test_transform_scalars__interpolated_strings_are_cast_back(void **state)
{
        struct node *doc = tf_canon(SVC "    scale: '3'\n    privileged: 'true'\n    tty: 'yes'\n"
                                        "    stdin_open: 'On'\n    init: 'false'\n"
                                        "    read_only: 'FALSE'\n    cpu_shares: '512'\n"
                                        "    oom_score_adj: '-500'\n    cpus: '1.5'\n"
                                        "    deploy:\n      replicas: '2'\n"
                                        "      restart_policy: {max_attempts: '3'}\n"
                                        "      update_config: {max_failure_ratio: '0.25'}\n"
                                        "    healthcheck: {retries: '5', disable: 'false'}\n"
                                        "networks:\n  n:\n    internal: 'true'\n"
                                        "    enable_ipv6: 'false'\n");

        (void)state;
        tf_expect(doc, "services/web/scale", "3");
        tf_expect(doc, "services/web/privileged", "true");
        tf_expect(doc, "services/web/tty", "true");
        tf_expect(doc, "services/web/stdin_open", "true");
        tf_expect(doc, "services/web/init", "false");
        tf_expect(doc, "services/web/read_only", "~");
        tf_expect(doc, "services/web/cpu_shares", "512");
        tf_expect(doc, "services/web/oom_score_adj", "-500");
        tf_expect(doc, "services/web/cpus", "1.5");
        tf_expect(doc, "services/web/deploy",
                  "{replicas: 2, restart_policy: {max_attempts: 3},"
                  " update_config: {max_failure_ratio: 0.25}}");
        tf_expect(doc, "services/web/healthcheck", "{retries: 5}");
        tf_expect(doc, "networks/n", "{internal: true, enable_ipv6: false}");
        node_free(doc);
}

static void
test_transform_scalars__durations_and_sizes_are_normalised(void **state)
{
        struct node *doc =
                tf_canon(SVC "    stop_grace_period: 90s\n    mem_limit: 1g\n"
                             "    memswap_limit: -1\n    shm_size: '64M'\n"
                             "    mem_reservation: 1024\n"
                             "    healthcheck:\n      interval: 1m30s\n"
                             "      timeout: 0s\n      start_period: 1.5s\n"
                             "      start_interval: 500ms\n"
                             "    deploy:\n      update_config: {delay: 0s, monitor: 2h}\n"
                             "      resources:\n        limits: {cpus: 0.50, memory: 512m,"
                             " pids: '100'}\n");

        (void)state;
        tf_expect(doc, "services/web/stop_grace_period", "1m30s");
        tf_expect(doc, "services/web/mem_limit", "'1073741824'");
        tf_expect(doc, "services/web/memswap_limit", "'-1'");
        tf_expect(doc, "services/web/shm_size", "'67108864'");
        tf_expect(doc, "services/web/mem_reservation", "'1024'");
        /* a set pointer duration is printed even when zero */
        tf_expect(doc, "services/web/healthcheck",
                  "{interval: 1m30s, timeout: 0s,"
                  " start_period: 1.5s, start_interval: 500ms}");
        tf_expect(doc, "services/web/deploy/update_config", "{monitor: 2h0m0s}");
        tf_expect(doc, "services/web/deploy/resources/limits",
                  "{cpus: 0.5, memory: '536870912', pids: 100}");
        node_free(doc);
}

static void
test_transform_scalars__file_modes_print_in_octal(void **state)
{
        (void)state;
        tf_check(
                SVC
                "    secrets:\n      - {source: a, mode: 0440}\n      - {source: b, mode: '0600'}\n"
                "      - {source: c, mode: 440}\n      - {source: d, mode: 0o755}\n",
                "services/web/secrets",
                "[{source: a, target: /run/secrets/a, mode: '0440'},"
                " {source: b, target: /run/secrets/b, mode: '0600'},"
                " {source: c, target: /run/secrets/c, mode: '0670'},"
                " {source: d, target: /run/secrets/d, mode: '0755'}]");
}

static void
test_transform_scalars__device_counts(void **state)
{
        (void)state;
        tf_check(SVC "    deploy:\n      resources:\n        reservations:\n          devices:\n"
                     "            - {capabilities: [gpu], count: all}\n"
                     "            - {capabilities: [gpu], count: '2'}\n"
                     "            - {capabilities: [gpu], device_ids: ['0']}\n",
                 "services/web/deploy/resources/reservations/devices",
                 "[{capabilities: [gpu], count: -1}, {capabilities: [gpu], count: 2},"
                 " {capabilities: [gpu], device_ids: ['0']}]");
}

static void
test_transform_scalars__numbers_in_string_fields_become_text(void **state)
{
        (void)state;
        tf_check(SVC "    user: 1000\n    group_add: [100, wheel]\n", "services/web",
                 "{image: x, user: '1000', group_add: ['100', wheel]}");
}

static void
test_transform_scalars__bad_values_are_rejected(void **state)
{
        cleanup_free char *b = tf_canon_err(SVC "    privileged: maybe\n");
        cleanup_free char *i = tf_canon_err(SVC "    scale: three\n");
        cleanup_free char *d = tf_canon_err(SVC "    stop_grace_period: 10\n");
        cleanup_free char *s = tf_canon_err(SVC "    mem_limit: 12q\n");
        cleanup_free char *f = tf_canon_err(SVC "    cpus: lots\n");
        cleanup_free char *m = tf_canon_err(SVC "    secrets: [{source: a, mode: '0999'}]\n");
        cleanup_free char *c = tf_canon_err(SVC "    gpus: [{count: many}]\n");
        cleanup_free char *u = tf_canon_err(SVC "    ports: [{target: -1}]\n");

        (void)state;
        assert_string_equal(b, "test.yaml:4:17: services.web.privileged: invalid boolean "
                               "\"maybe\"");
        assert_non_null(strstr(i, "services.web.scale: invalid integer \"three\""));
        assert_non_null(strstr(d, "invalid duration \"10\": missing unit"));
        assert_non_null(strstr(s, "invalid size \"12q\": invalid suffix \"q\""));
        assert_non_null(strstr(f, "services.web.cpus: invalid number \"lots\""));
        assert_non_null(strstr(m, "invalid file mode \"0999\""));
        assert_non_null(strstr(c, "the only value allowed is 'all' or a number"));
        assert_non_null(strstr(u, "must not be negative"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transform_scalars__interpolated_strings_are_cast_back),
                cmocka_unit_test(test_transform_scalars__durations_and_sizes_are_normalised),
                cmocka_unit_test(test_transform_scalars__file_modes_print_in_octal),
                cmocka_unit_test(test_transform_scalars__device_counts),
                cmocka_unit_test(test_transform_scalars__numbers_in_string_fields_become_text),
                cmocka_unit_test(test_transform_scalars__bad_values_are_rejected),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
