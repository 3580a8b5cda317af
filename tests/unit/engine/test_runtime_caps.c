/* Tests for engine/runtime_caps.c: docker's capability arithmetic (TweakCapabilities) and
 * capability names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/capability.h>

#include <cmocka.h>

#include "base/strv.h"
#include "engine/runtime_int.h"

#define ALL_40 ((1ULL << 41) - 1)
#define BIT(c) (1ULL << (c))

static void
test_runtime_caps__names_in_any_spelling(void **state)
{
        int cap = -1;

        (void)state;
        assert_int_equal(rt_cap_parse("SYS_ADMIN", &cap, NULL), 0);
        assert_int_equal(cap, CAP_SYS_ADMIN);
        assert_int_equal(rt_cap_parse("cap_net_raw", &cap, NULL), 0);
        assert_int_equal(cap, CAP_NET_RAW);
        assert_int_equal(rt_cap_parse("Cap_Chown", &cap, NULL), 0);
        assert_int_equal(cap, CAP_CHOWN);
        assert_int_equal(rt_cap_parse("NOPE", &cap, NULL), -EINVAL);
        assert_int_equal(rt_cap_parse("", &cap, NULL), -EINVAL);
}

static void
test_runtime_caps__default_is_dockers_set(void **state)
{
        uint64_t c = 0;

        (void)state;
        assert_int_equal(rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, NULL, NULL, 0, ALL_40, &c, NULL),
                         0);
        assert_true(c == 0xa80425fbULL);
}

static void
test_runtime_caps__add_and_drop(void **state)
{
        cleanup_strv char **add = strv_split("SYS_ADMIN", ",");
        cleanup_strv char **drop = strv_split("chown,CAP_NET_RAW", ",");
        uint64_t c = 0;

        (void)state;
        assert_int_equal(rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, add, NULL, 0, ALL_40, &c, NULL),
                         0);
        assert_true(c == 0xa82425fbULL);
        assert_int_equal(rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, NULL, drop, 0, ALL_40, &c, NULL),
                         0);
        assert_true(c == (0xa80425fbULL & ~BIT(CAP_CHOWN) & ~BIT(CAP_NET_RAW)));
}

static void
test_runtime_caps__all_in_drop_keeps_only_adds_all_in_add_gives_all_minus_drops(void **state)
{
        cleanup_strv char **drop_all = strv_split("ALL", ",");
        cleanup_strv char **add_one = strv_split("KILL", ",");
        cleanup_strv char **add_all = strv_split("all", ",");
        cleanup_strv char **drop_one = strv_split("SYS_ADMIN", ",");
        uint64_t c = 0;

        (void)state;
        assert_int_equal(
                rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, NULL, drop_all, 0, ALL_40, &c, NULL), 0);
        assert_true(c == 0);
        assert_int_equal(
                rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, add_one, drop_all, 0, ALL_40, &c, NULL), 0);
        assert_true(c == BIT(CAP_KILL));
        assert_int_equal(
                rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, add_all, drop_one, 0, ALL_40, &c, NULL), 0);
        assert_true(c == (ALL_40 & ~BIT(CAP_SYS_ADMIN)));
}

static void
test_runtime_caps__privileged_gets_what_the_host_can_grant(void **state)
{
        uint64_t host = ALL_40 & ~BIT(CAP_SYS_RESOURCE), c = 0;
        cleanup_strv char **add = strv_split("SYS_RESOURCE", ",");
        cleanup_strv char **drop = strv_split("SYS_RESOURCE", ",");
        struct err err = { 0 };

        (void)state;
        assert_int_equal(rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, NULL, NULL, 1, host, &c, NULL), 0);
        assert_true(c == host);
        /* asking for a capability the host lacks is an error; dropping it is fine */
        assert_int_equal(rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, add, NULL, 0, host, &c, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "SYS_RESOURCE"));
        assert_int_equal(rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, NULL, drop, 0, host, &c, NULL), 0);
}

static void
test_runtime_caps__unknown_name_is_an_error(void **state)
{
        cleanup_strv char **add = strv_split("CAP_FLY", ",");
        struct err err = { 0 };
        uint64_t c;

        (void)state;
        assert_int_equal(rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, add, NULL, 0, ALL_40, &c, &err),
                         -EINVAL);
        assert_string_equal(err.msg, "unknown capability: \"CAP_FLY\"");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_caps__names_in_any_spelling),
                cmocka_unit_test(test_runtime_caps__default_is_dockers_set),
                cmocka_unit_test(test_runtime_caps__add_and_drop),
                cmocka_unit_test(
                        test_runtime_caps__all_in_drop_keeps_only_adds_all_in_add_gives_all_minus_drops),
                cmocka_unit_test(test_runtime_caps__privileged_gets_what_the_host_can_grant),
                cmocka_unit_test(test_runtime_caps__unknown_name_is_an_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
