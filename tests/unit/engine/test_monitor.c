/* Tests for engine/monitor*.c pure parts: docker json-file log lines, the healthcheck state
 * machine, restart backoff, signal names, and the healthcheck config. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/sbuf.h"
#include "engine/monitor.h"
#include "engine/monitor_int.h"

static void
test_monitor__log_line_is_docker_json_file(void **state)
{
        struct sbuf sb = SBUF_INIT;

        (void)state;
        monitor_log_line(&sb, "a \"q\"\n", 6, "stderr", "2026-01-02T03:04:05.000000006Z");
        assert_string_equal(sb.buf, "{\"log\":\"a \\\"q\\\"\\n\",\"stream\":\"stderr\","
                                    "\"time\":\"2026-01-02T03:04:05.000000006Z\"}\n");
        sbuf_release(&sb);
}

static json_object *
health(const char *status)
{
        json_object *h = json_object_new_object();

        json_object_object_add(h, "Status", json_object_new_string(status));
        json_object_object_add(h, "FailingStreak", json_object_new_int(0));
        return h;
}

static const char *
status(json_object *h)
{
        return json_object_get_string(json_object_object_get(h, "Status"));
}

static void
test_monitor__health_goes_healthy_then_unhealthy_after_retries(void **state)
{
        json_object *h = health("starting");

        (void)state;
        monitor_health_apply(h, 1, 0, 2);
        assert_string_equal(status(h), "healthy");
        monitor_health_apply(h, 0, 0, 2);
        assert_string_equal(status(h), "healthy");
        monitor_health_apply(h, 0, 0, 2);
        assert_string_equal(status(h), "unhealthy");
        monitor_health_apply(h, 1, 0, 2);
        assert_string_equal(status(h), "healthy");
        assert_int_equal(json_object_get_int(json_object_object_get(h, "FailingStreak")), 0);
        json_object_put(h);
}

static void
test_monitor__health_failures_in_start_period_do_not_count(void **state)
{
        json_object *h = health("starting");

        (void)state;
        for (int i = 0; i < 5; i++)
                monitor_health_apply(h, 0, 1, 1);
        assert_string_equal(status(h), "starting");
        monitor_health_apply(h, 0, 0, 1);
        assert_string_equal(status(h), "unhealthy");
        json_object_put(h);
}

static void
test_monitor__health_config_defaults_and_shell_form(void **state)
{
        struct mon_health h;
        json_object *hc = json_tokener_parse(
                "{\"Test\":[\"CMD-SHELL\",\"test -f /ok\"],\"Interval\":2000000000}");

        (void)state;
        mon_health_init(&h, hc);
        assert_string_equal(h.test[0], "/bin/sh");
        assert_string_equal(h.test[2], "test -f /ok");
        assert_int_equal(h.interval, 2000);
        assert_int_equal(h.timeout, 30000);
        assert_int_equal(h.retries, 3);
        mon_health_free(&h);
        json_object_put(hc);
        hc = json_tokener_parse("{\"Test\":[\"NONE\"]}");
        mon_health_init(&h, hc);
        assert_null(h.test);
        json_object_put(hc);
}

static void
test_monitor__restart_backoff_doubles_and_resets(void **state)
{
        (void)state;
        assert_int_equal(mon_backoff(0, 0), 100);
        assert_int_equal(mon_backoff(1, 0), 200);
        assert_int_equal(mon_backoff(3, 500), 800);
        assert_int_equal(mon_backoff(30, 0), 60000);
        assert_int_equal(mon_backoff(30, 10000), 100);
}

static void
test_monitor__signal_names(void **state)
{
        (void)state;
        assert_int_equal(monitor_parse_signal("TERM"), SIGTERM);
        assert_int_equal(monitor_parse_signal("SIGKILL"), SIGKILL);
        assert_int_equal(monitor_parse_signal("sigusr1"), SIGUSR1);
        assert_int_equal(monitor_parse_signal("9"), 9);
        assert_int_equal(monitor_parse_signal("NOPE"), -1);
        assert_int_equal(monitor_parse_signal("99"), -1);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_monitor__log_line_is_docker_json_file),
                cmocka_unit_test(test_monitor__health_goes_healthy_then_unhealthy_after_retries),
                cmocka_unit_test(test_monitor__health_failures_in_start_period_do_not_count),
                cmocka_unit_test(test_monitor__health_config_defaults_and_shell_form),
                cmocka_unit_test(test_monitor__restart_backoff_doubles_and_resets),
                cmocka_unit_test(test_monitor__signal_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
