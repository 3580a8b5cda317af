/* Tests for compose/container_log.c: --log-driver and --log-opt into a container's config. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "compose/container_int.h"
#include "engine/monitor.h"

static int
config(const char *driver, const char *const *opts, json_object **cfg, struct err *e)
{
        json_object *hc = json_object_new_object();
        int r;

        err_clear(e);
        *cfg = json_object_new_object();
        json_object_object_add(*cfg, "HostConfig", hc);
        r = cmd_container_log_config(driver, (char *const *)opts, *cfg, hc, e);
        return r;
}

static void
test_container_log__defaults_and_docker_shape(void **state)
{
        json_object *cfg = NULL;
        struct err e = { 0 };
        uint64_t size;
        int files;

        (void)state;
        assert_int_equal(config(NULL, NULL, &cfg, &e), 0);
        assert_string_equal(json_object_to_json_string_ext(
                                    json_object_object_get(
                                            json_object_object_get(cfg, "HostConfig"), "LogConfig"),
                                    JSON_C_TO_STRING_PLAIN),
                            "{\"Type\":\"json-file\",\"Config\":{}}");
        monitor_log_limits(cfg, &size, &files);
        assert_int_equal(size, MONITOR_LOG_MAX);
        assert_int_equal(files, 2);
        json_object_put(cfg);
        /* the local driver's own defaults */
        assert_int_equal(config("local", NULL, &cfg, &e), 0);
        monitor_log_limits(cfg, &size, &files);
        assert_int_equal(size, 20u << 20);
        assert_int_equal(files, 5);
        json_object_put(cfg);
}

static void
test_container_log__options_resolved(void **state)
{
        const char *both[] = { "max-size=1.5k", "max-file=3", NULL };
        const char *size_only[] = { "max-size=10m", NULL };
        json_object *cfg = NULL;
        struct err e = { 0 };
        uint64_t size;
        int files;

        (void)state;
        assert_int_equal(config("json-file", both, &cfg, &e), 0);
        monitor_log_limits(cfg, &size, &files);
        assert_int_equal(size, 1536);
        assert_int_equal(files, 3);
        json_object_put(cfg);
        /* docker's json-file keeps one file (truncated when full) once max-size is set */
        assert_int_equal(config(NULL, size_only, &cfg, &e), 0);
        monitor_log_limits(cfg, &size, &files);
        assert_int_equal(size, 10u << 20);
        assert_int_equal(files, 1);
        json_object_put(cfg);
        assert_int_equal(config("none", NULL, &cfg, &e), 0);
        monitor_log_limits(cfg, &size, &files);
        assert_int_equal(files, 0);
        json_object_put(cfg);
        /* a config from before LogRotate existed */
        cfg = json_object_new_object();
        monitor_log_limits(cfg, &size, &files);
        assert_int_equal(size, MONITOR_LOG_MAX);
        assert_int_equal(files, 2);
        json_object_put(cfg);
}

static void
test_container_log__refusals_say_why(void **state)
{
        const char *bad_key[] = { "compress=true", NULL };
        const char *no_eq[] = { "max-size", NULL };
        const char *zero[] = { "max-size=0", NULL };
        const char *huge[] = { "max-size=2g", NULL };
        const char *files[] = { "max-file=101", NULL };
        const char *opt[] = { "max-file=2", NULL };
        json_object *cfg = NULL;
        struct err e = { 0 };

        (void)state;
        assert_int_equal(config("syslog", NULL, &cfg, &e), -ENOTSUP);
        assert_non_null(strstr(e.msg, "logging driver 'syslog' is not available"));
        json_object_put(cfg);
        assert_int_equal(config(NULL, bad_key, &cfg, &e), -ENOTSUP);
        assert_non_null(strstr(e.msg, "log-opt 'compress'"));
        json_object_put(cfg);
        assert_int_equal(config(NULL, no_eq, &cfg, &e), -EINVAL);
        json_object_put(cfg);
        assert_int_equal(config(NULL, zero, &cfg, &e), -EINVAL);
        json_object_put(cfg);
        assert_int_equal(config(NULL, huge, &cfg, &e), -EINVAL);
        json_object_put(cfg);
        assert_int_equal(config(NULL, files, &cfg, &e), -EINVAL);
        json_object_put(cfg);
        assert_int_equal(config("none", opt, &cfg, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "driver none takes no log-opt"));
        json_object_put(cfg);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_container_log__defaults_and_docker_shape),
                cmocka_unit_test(test_container_log__options_resolved),
                cmocka_unit_test(test_container_log__refusals_say_why),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
