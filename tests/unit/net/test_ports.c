#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "net/net.h"

static struct net_port_map
parse_ok(const char *spec)
{
        struct err e = {0};
        struct net_port_map m;

        if (net_port_parse(spec, &m, &e) != 0)
                fail_msg("%s: %s", spec, e.msg);
        return m;
}

static void
test_ports__container_port_alone_takes_a_random_host_port(void **state)
{
        struct net_port_map m = parse_ok("80");

        (void)state;
        assert_int_equal(m.host_ip, 0);
        assert_int_equal(m.host_port, 0);
        assert_int_equal(m.port, 80);
        assert_int_equal(m.port_end, 80);
        assert_int_equal(m.proto, NET_PROTO_TCP);
}

static void
test_ports__ip_host_container_and_protocol(void **state)
{
        struct net_port_map m = parse_ok("127.0.0.1:8080:80/udp");

        (void)state;
        assert_int_equal(m.host_ip, 0x7f000001u);
        assert_int_equal(m.host_port, 8080);
        assert_int_equal(m.host_port_end, 8080);
        assert_int_equal(m.port, 80);
        assert_int_equal(m.proto, NET_PROTO_UDP);
        m = parse_ok("127.0.0.1::80");
        assert_int_equal(m.host_ip, 0x7f000001u);
        assert_int_equal(m.host_port, 0);
        m = parse_ok("0.0.0.0:53:53/SCTP");
        assert_int_equal(m.host_ip, 0);
        assert_int_equal(m.proto, NET_PROTO_SCTP);
}

static void
test_ports__ranges(void **state)
{
        struct net_port_map m = parse_ok("8000-8010:80-90");

        (void)state;
        assert_int_equal(m.host_port, 8000);
        assert_int_equal(m.host_port_end, 8010);
        assert_int_equal(m.port, 80);
        assert_int_equal(m.port_end, 90);
        m = parse_ok("8000-8010:80"); /* one free port of the host range */
        assert_int_equal(m.host_port_end, 8010);
        assert_int_equal(m.port_end, 80);
        m = parse_ok("80-82");
        assert_int_equal(m.host_port, 0);
        assert_int_equal(m.port_end, 82);
}

static void
test_ports__bad_specs_are_refused_clearly(void **state)
{
        static const char *const bad[] = {"",       "0",         "65536",     "80/icmp",
                                          "x:80",   "8080:",     "90-80",     "1.2.3:80:80",
                                          "8080:80-90", "8000-8002:80-81", "a:b:c:d"};
        struct net_port_map m;
        struct err e = {0};

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (net_port_parse(bad[i], &m, NULL) == 0)
                        fail_msg("'%s' accepted", bad[i]);
        }
        assert_int_equal(net_port_parse("[::1]:80:80", &m, &e), -EOPNOTSUPP);
        assert_non_null(strstr(e.msg, "IPv6"));
        err_clear(&e);
        net_port_parse("80/icmp", &m, &e);
        assert_string_equal(e.msg, "invalid port '80/icmp': unknown protocol 'icmp'");
}

static void
test_ports__format_like_docker_port(void **state)
{
        struct net_port_map m = {0, 8000, 8001, 80, 81, NET_PROTO_TCP};
        struct sbuf sb = SBUF_INIT;

        (void)state;
        net_port_format(&m, &sb);
        assert_string_equal(sb.buf, "80/tcp -> 0.0.0.0:8000\n81/tcp -> 0.0.0.0:8001\n");
        sbuf_release(&sb);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ports__container_port_alone_takes_a_random_host_port),
                cmocka_unit_test(test_ports__ip_host_container_and_protocol),
                cmocka_unit_test(test_ports__ranges),
                cmocka_unit_test(test_ports__bad_specs_are_refused_clearly),
                cmocka_unit_test(test_ports__format_like_docker_port),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
