#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "transform_fixture.h"

/* expect_port: the long entries of one short spec. */
static void
expect_port(const char *spec, const char *want_yaml)
{
        struct node *want = tf_load(want_yaml), *got = NULL;
        struct node_pos pos = { "test.yaml", 1, 1 };
        struct err err = { 0 };

        if (transform_parse_port(spec, &pos, &got, &err) < 0) {
                print_error("%s: %s\n", spec, err.msg);
                fail();
        }
        tf_expect_node(got, want, spec);
        node_free(got);
        node_free(want);
}

static void
expect_bad_port(const char *spec, const char *why)
{
        struct node_pos pos = { "test.yaml", 3, 9 };
        struct err err = { 0 };
        struct node *got = NULL;

        assert_int_equal(transform_parse_port(spec, &pos, &got, &err), -EINVAL);
        assert_null(got);
        assert_non_null(strstr(err.msg, "test.yaml:3:9: invalid port spec"));
        if (!strstr(err.msg, why)) {
                print_error("%s: %s\n", spec, err.msg);
                fail();
        }
}

static void
test_transform_ports__single_and_published_ports(void **state)
{
        (void)state;
        expect_port("3000", "[{mode: ingress, target: 3000, protocol: tcp}]");
        expect_port("8000:8000",
                    "[{mode: ingress, target: 8000, published: '8000', protocol: tcp}]");
        expect_port("49100:22", "[{mode: ingress, target: 22, published: '49100', protocol: tcp}]");
        expect_port("127.0.0.1:8001:8001", "[{mode: ingress, host_ip: 127.0.0.1, target: 8001, "
                                           "published: '8001', protocol: tcp}]");
        expect_port("53:53/UDP", "[{mode: ingress, target: 53, published: '53', protocol: udp}]");
        expect_port("[::1]:80:8080/sctp", "[{mode: ingress, host_ip: '::1', target: 8080, "
                                          "published: '80', protocol: sctp}]");
        expect_port("127.0.0.1::80", "[{mode: ingress, host_ip: 127.0.0.1, target: 80, "
                                     "protocol: tcp}]");
}

static void
test_transform_ports__ranges_expand_per_container_port(void **state)
{
        (void)state;
        expect_port("3001-3003", "[{mode: ingress, target: 3001, protocol: tcp},"
                                 " {mode: ingress, target: 3002, protocol: tcp},"
                                 " {mode: ingress, target: 3003, protocol: tcp}]");
        expect_port("9090-9091:8080-8081",
                    "[{mode: ingress, target: 8080, published: '9090', protocol: tcp},"
                    " {mode: ingress, target: 8081, published: '9091', protocol: tcp}]");
        expect_port("127.0.0.1:5000-5001:5000-5001",
                    "[{mode: ingress, host_ip: 127.0.0.1, target: 5000, published: '5000', "
                    "protocol: tcp}, {mode: ingress, host_ip: 127.0.0.1, target: 5001, "
                    "published: '5001', protocol: tcp}]");
        /* a host range for one container port is kept as a range to pick from */
        expect_port("8000-8010:80",
                    "[{mode: ingress, target: 80, published: 8000-8010, protocol: tcp}]");
        /* compose sorts the expanded entries as "port/proto" strings */
        expect_port("998-1000", "[{mode: ingress, target: 1000, protocol: tcp},"
                                " {mode: ingress, target: 998, protocol: tcp},"
                                " {mode: ingress, target: 999, protocol: tcp}]");
}

static void
test_transform_ports__bad_specs_are_rejected(void **state)
{
        (void)state;
        expect_bad_port("abc", "invalid container port \"abc\"");
        expect_bad_port("", "no port specified");
        expect_bad_port("8080:", "no port specified");
        expect_bad_port("70000", "invalid container port");
        expect_bad_port("x:80", "invalid host port \"x\"");
        expect_bad_port("80/xyz", "invalid protocol \"xyz\"");
        expect_bad_port("8080-8081:80-82", "ranges differ");
        expect_bad_port("90-80", "invalid container port");
        expect_bad_port("::1:80:80", "IPv6 addresses must be in brackets");
        expect_bad_port("300.1.1.1:80:80", "not an IP address");
}

static void
test_transform_ports__service_ports_mix_short_and_long(void **state)
{
        struct node *doc = tf_canon("services:\n  web:\n    image: x\n    ports:\n"
                                    "      - 3000\n      - '8080:80'\n"
                                    "      - target: '81'\n        published: 8081\n"
                                    "        host_ip: 0.0.0.0\n");

        (void)state;
        tf_expect(doc, "services/web/ports",
                  "[{mode: ingress, target: 3000, protocol: tcp},"
                  " {mode: ingress, target: 80, published: '8080', protocol: tcp},"
                  " {target: 81, published: '8081', host_ip: 0.0.0.0, protocol: tcp,"
                  " mode: ingress}]");
        node_free(doc);
}

static void
test_transform_ports__interpolated_port_spec(void **state)
{
        (void)state;
        /* `- ${PORT:-8080}:80` after interpolation is the string "8080:80" */
        tf_check("services:\n  test:\n    image: test\n    ports:\n      - 8080:80\n",
                 "services/test/ports/0",
                 "{mode: ingress, target: 80, published: '8080', protocol: tcp}");
}

static void
test_transform_ports__errors_point_at_the_entry(void **state)
{
        cleanup_free char *msg = tf_canon_err("services:\n  web:\n    ports:\n      - [1]\n");

        (void)state;
        assert_string_equal(msg, "test.yaml:4:9: services.web.ports[0]: invalid type array "
                                 "for port");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transform_ports__single_and_published_ports),
                cmocka_unit_test(test_transform_ports__ranges_expand_per_container_port),
                cmocka_unit_test(test_transform_ports__bad_specs_are_rejected),
                cmocka_unit_test(test_transform_ports__service_ports_mix_short_and_long),
                cmocka_unit_test(test_transform_ports__interpolated_port_spec),
                cmocka_unit_test(test_transform_ports__errors_point_at_the_entry),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
