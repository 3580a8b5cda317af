/* Tests for engine/runtime_limits.c: --sysctl, --ulimit and size spellings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sys/resource.h>

#include <cmocka.h>

#include "engine/runtime_int.h"

static void
test_runtime_limits__sysctl_namespaced_only(void **state)
{
        char *path = NULL, *value = NULL;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(rt_sysctl_check("net.ipv4.ip_forward=1", 0, &path, &value, NULL), 0);
        assert_string_equal(path, "net/ipv4/ip_forward");
        assert_string_equal(value, "1");
        free(path);
        free(value);
        assert_int_equal(rt_sysctl_check("kernel.shmmax=1024", 1, &path, &value, NULL), 0);
        free(path);
        free(value);
        assert_int_equal(rt_sysctl_check("kernel.panic=1", 0, &path, &value, &err), -EINVAL);
        assert_string_equal(err.msg, "invalid argument \"kernel.panic=1\" for \"--sysctl\" flag: "
                                     "sysctl 'kernel.panic=1' is not allowed");
        err_clear(&err);
        assert_int_equal(rt_sysctl_check("net.ipv4.ip_forward=1", 1, &path, &value, &err), -EINVAL);
        assert_string_equal(err.msg,
                            "sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace");
        assert_int_equal(rt_sysctl_check("net/../kernel/panic=1", 0, &path, &value, NULL), -EINVAL);
        assert_int_equal(rt_sysctl_check("noequals", 0, &path, &value, NULL), -EINVAL);
}

static void
test_runtime_limits__ulimit(void **state)
{
        struct rt_ulimit u;

        (void)state;
        assert_int_equal(rt_ulimit_parse("nofile=512:1024", &u, NULL), 0);
        assert_int_equal(u.resource, RLIMIT_NOFILE);
        assert_true(u.soft == 512 && u.hard == 1024);
        assert_int_equal(rt_ulimit_parse("core=-1", &u, NULL), 0);
        assert_true(u.soft == RT_ULIMIT_UNLIMITED && u.hard == RT_ULIMIT_UNLIMITED);
        assert_int_equal(rt_ulimit_parse("nproc=10:5", &u, NULL), -EINVAL);
        assert_int_equal(rt_ulimit_parse("fly=1", &u, NULL), -EINVAL);
        assert_int_equal(rt_ulimit_parse("nofile=x", &u, NULL), -EINVAL);
}

static void
test_runtime_limits__sizes(void **state)
{
        int64_t v;

        (void)state;
        assert_int_equal(rt_size_parse("64m", &v, NULL), 0);
        assert_true(v == 64 << 20);
        assert_int_equal(rt_size_parse("1.5g", &v, NULL), 0);
        assert_true(v == 3LL << 29);
        assert_int_equal(rt_size_parse("512KB", &v, NULL), 0);
        assert_true(v == 512 << 10);
        assert_int_equal(rt_size_parse("100", &v, NULL), 0);
        assert_true(v == 100);
        assert_int_equal(rt_size_parse("12x", &v, NULL), -EINVAL);
        assert_int_equal(rt_size_parse("-1m", &v, NULL), -EINVAL);
        assert_int_equal(rt_size_parse("99999999999p", &v, NULL), -ERANGE);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_limits__sysctl_namespaced_only),
                cmocka_unit_test(test_runtime_limits__ulimit),
                cmocka_unit_test(test_runtime_limits__sizes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
