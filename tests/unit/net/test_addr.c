#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "net/net.h"

static void
test_addr__parses_and_prints_dotted_quads(void **state)
{
        char s[NET_IP4_STRLEN];
        uint32_t a;

        (void)state;
        assert_int_equal(net_ip4_parse("172.17.0.1", &a, NULL), 0);
        assert_int_equal(a, 0xac110001u);
        net_ip4_format(a, s);
        assert_string_equal(s, "172.17.0.1");
        assert_int_equal(net_ip4_parse("255.255.255.255", &a, NULL), 0);
        assert_int_equal(a, 0xffffffffu);
}

static void
test_addr__rejects_shorthand_octal_and_junk(void **state)
{
        struct err e = {0};
        uint32_t a;

        (void)state;
        assert_int_equal(net_ip4_parse("1.2.3", &a, NULL), -EINVAL);
        assert_int_equal(net_ip4_parse("010.0.0.1", &a, NULL), -EINVAL);
        assert_int_equal(net_ip4_parse("256.0.0.1", &a, NULL), -EINVAL);
        assert_int_equal(net_ip4_parse("1.2.3.4 ", &a, NULL), -EINVAL);
        assert_int_equal(net_ip4_parse("1.2.3.4.5", &a, NULL), -EINVAL);
        assert_int_equal(net_ip4_parse("", &a, &e), -EINVAL);
        assert_string_equal(e.msg, "invalid IPv4 address ''");
}

static void
test_addr__prefixes_parse_and_keep_host_bits(void **state)
{
        struct net_prefix p;
        char s[NET_PFX_STRLEN];

        (void)state;
        assert_int_equal(net_prefix_parse("10.1.2.3/8", &p, NULL), 0);
        assert_int_equal(p.len, 8);
        assert_false(net_prefix_is_network(&p));
        p = net_prefix_network(p);
        net_prefix_format(&p, s);
        assert_string_equal(s, "10.0.0.0/8");
        assert_int_equal(net_prefix_parse("10.0.0.0/33", &p, NULL), -EINVAL);
        assert_int_equal(net_prefix_parse("10.0.0.0", &p, NULL), -EINVAL);
        assert_int_equal(net_prefix_parse("10.0.0.0/", &p, NULL), -EINVAL);
        assert_int_equal(net_prefix_parse("10.0.0.0/08", &p, NULL), -EINVAL);
        assert_int_equal(net_prefix_parse("0.0.0.0/0", &p, NULL), 0);
}

static void
test_addr__overlap_and_containment(void **state)
{
        struct net_prefix a = {0xac110000u, 16}, b = {0xac11ff00u, 24}, c = {0xac120000u, 16};
        struct net_prefix all = {0, 0};

        (void)state;
        assert_true(net_prefix_overlaps(&a, &b));
        assert_true(net_prefix_overlaps(&b, &a));
        assert_false(net_prefix_overlaps(&a, &c));
        assert_true(net_prefix_overlaps(&all, &c));
        assert_true(net_prefix_contains(&a, 0xac11ffffu));
        assert_false(net_prefix_contains(&a, 0xac120000u));
        assert_int_equal(net_prefix_broadcast(&b), 0xac11ffffu);
        assert_int_equal(net_prefix_mask(0), 0);
        assert_int_equal(net_prefix_mask(32), 0xffffffffu);
}

static void
test_addr__ifnames_fit_and_differ(void **state)
{
        char a[NET_IFNAMSIZ], b[NET_IFNAMSIZ], c[NET_IFNAMSIZ];

        (void)state;
        net_ifname("berth-", "proj_web_1", a);
        net_ifname("berth-", "proj_web_2", b);
        net_ifname("berth-", "proj_web_1", c);
        assert_int_equal(strlen(a), 15);
        assert_memory_equal(a, "berth-", 6);
        assert_string_not_equal(a, b);
        assert_string_equal(a, c);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_addr__parses_and_prints_dotted_quads),
                cmocka_unit_test(test_addr__rejects_shorthand_octal_and_junk),
                cmocka_unit_test(test_addr__prefixes_parse_and_keep_host_bits),
                cmocka_unit_test(test_addr__overlap_and_containment),
                cmocka_unit_test(test_addr__ifnames_fit_and_differ),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
