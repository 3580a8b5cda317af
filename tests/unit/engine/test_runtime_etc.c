/* Tests for engine/runtime_etc.c: the generated /etc/hosts and /etc/resolv.conf, the
 * environment, and id/hostname checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/strv.h"
#include "engine/runtime_int.h"

static void
test_runtime_etc__hosts_like_docker(void **state)
{
        cleanup_strv char **extra = strv_split("db:10.0.0.5,v6:fe80::1", ",");
        char *text = NULL;

        (void)state;
        assert_int_equal(rt_etc_hosts("abc", NULL, NULL, &text, NULL), 0);
        assert_string_equal(text,
                            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                            "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
                            "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
        free(text);
        assert_int_equal(rt_etc_hosts("abc", "172.17.0.2", extra, &text, NULL), 0);
        assert_non_null(
                strstr(text, "ip6-allrouters\n10.0.0.5\tdb\nfe80::1\tv6\n172.17.0.2\tabc\n"));
        free(text);
}

static void
test_runtime_etc__bad_add_host(void **state)
{
        cleanup_strv char **extra = strv_split("nocolon", ",");
        struct err err = { 0 };
        char *text = NULL;

        (void)state;
        assert_int_equal(rt_etc_hosts("abc", NULL, extra, &text, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "--add-host"));
}

static void
test_runtime_etc__resolv_filters_loopback_and_falls_back(void **state)
{
        char *text = NULL;

        (void)state;
        assert_int_equal(rt_etc_resolv("nameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch lan\n",
                                       NULL, NULL, NULL, 0, &text, NULL),
                         0);
        assert_string_equal(text, "nameserver 10.1.1.1\nsearch lan\n");
        free(text);
        assert_int_equal(rt_etc_resolv("nameserver 127.0.0.53\noptions edns0\n", NULL, NULL, NULL,
                                       0, &text, NULL),
                         0);
        assert_string_equal(text, "options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        free(text);
        assert_int_equal(rt_etc_resolv("nameserver 127.0.0.53\n", NULL, NULL, NULL, 1, &text, NULL),
                         0);
        assert_string_equal(text, "nameserver 127.0.0.53\n"); /* host network: as is */
        free(text);
}

static void
test_runtime_etc__resolv_from_flags_keeps_the_rest_of_the_host(void **state)
{
        cleanup_strv char **dns = strv_split("192.0.2.1,192.0.2.2", ",");
        cleanup_strv char **opts = strv_split("ndots:2", ",");
        char *text = NULL;

        (void)state;
        assert_int_equal(rt_etc_resolv("nameserver 10.1.1.1\nsearch a b\nsearch c\n", dns, NULL,
                                       opts, 0, &text, NULL),
                         0);
        assert_string_equal(text, "search c\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n"
                                  "options ndots:2\n");
        free(text);
}

static void
test_runtime_etc__env_docker_order_and_overrides(void **state)
{
        cleanup_strv char **in = strv_split("FOO=1,PATH=/bin,HOSTNAME=mine,NOEQUALS,HOME=/h", ",");
        cleanup_strv char **env = NULL;
        cleanup_strv char **def = NULL;

        (void)state;
        env = rt_env_build(in, "abc", "/root");
        assert_int_equal(strv_length(env), 4);
        assert_string_equal(env[0], "PATH=/bin");
        assert_string_equal(env[1], "HOSTNAME=mine");
        assert_string_equal(env[2], "FOO=1");
        assert_string_equal(env[3], "HOME=/h");
        def = rt_env_build(NULL, "abc", "/root");
        assert_string_equal(def[0],
                            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assert_string_equal(def[1], "HOSTNAME=abc");
        assert_string_equal(def[2], "HOME=/root");
        assert_string_equal(rt_env_get(def, "HOSTNAME"), "abc");
        assert_null(rt_env_get(def, "HOST"));
}

static void
test_runtime_etc__id_and_hostname_checks(void **state)
{
        (void)state;
        assert_int_equal(rt_id_check("a1_b.c-d", NULL), 0);
        assert_int_equal(rt_id_check("-x", NULL), -EINVAL);
        assert_int_equal(rt_id_check("a/b", NULL), -EINVAL);
        assert_int_equal(rt_id_check("", NULL), -EINVAL);
        assert_int_equal(rt_hostname_check("web-1.example", NULL), 0);
        assert_int_equal(rt_hostname_check("a b", NULL), -EINVAL);
        assert_int_equal(
                rt_hostname_check(
                        "0123456789012345678901234567890123456789012345678901234567890123456789",
                        NULL),
                -EINVAL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_etc__hosts_like_docker),
                cmocka_unit_test(test_runtime_etc__bad_add_host),
                cmocka_unit_test(test_runtime_etc__resolv_filters_loopback_and_falls_back),
                cmocka_unit_test(test_runtime_etc__resolv_from_flags_keeps_the_rest_of_the_host),
                cmocka_unit_test(test_runtime_etc__env_docker_order_and_overrides),
                cmocka_unit_test(test_runtime_etc__id_and_hostname_checks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
