#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/nat_ports.h"

/* the host: 20001/tcp is taken by some process */
static bool
probe(void *ctx, uint32_t ip, enum net_proto proto, uint16_t port)
{
        (void)ctx;
        (void)ip;
        return !(proto == NET_PROTO_TCP && port == 20001);
}

static struct net_port_map other_maps[] = {{0, 20000, 20000, 80, 80, NET_PROTO_TCP},
                                           {0x7f000001u, 30000, 30000, 80, 80, NET_PROTO_UDP}};
static struct net_nat_ports other = {(char *)"other", 0x0a000002u, other_maps, 2};
static struct net_nat_state st = {NULL, 0, &other, 1};

static int
resolve(const char *owner, struct net_port_map *in, size_t n, uint32_t seed,
        struct net_port_map **out, size_t *n_out, struct err *e)
{
        return net_nat_ports_resolve(&st, owner, in, n, probe, NULL, seed, out, n_out, e);
}

static void
test_nat_ports__fixed_port_of_another_container_is_refused(void **state)
{
        struct net_port_map m = {0, 20000, 20000, 8080, 8080, NET_PROTO_TCP};
        struct net_port_map *out = NULL;
        struct err e = {0};
        size_t n;

        (void)state;
        assert_int_equal(resolve("me", &m, 1, 0, &out, &n, &e), -EADDRINUSE);
        assert_string_equal(e.msg, "publish 0.0.0.0:20000/tcp: port is already allocated to "
                                   "'other'");
        /* the same port on one address clashes with "every address" too */
        m.host_ip = 0x7f000001u;
        assert_int_equal(resolve("me", &m, 1, 0, &out, &n, NULL), -EADDRINUSE);
        /* but the owner itself may publish it again */
        assert_int_equal(resolve("other", &m, 1, 0, &out, &n, NULL), 0);
        free(out);
}

static void
test_nat_ports__port_busy_on_the_host_is_refused(void **state)
{
        struct net_port_map m = {0, 20001, 20001, 80, 80, NET_PROTO_TCP};
        struct net_port_map *out = NULL;
        struct err e = {0};
        size_t n;

        (void)state;
        assert_int_equal(resolve("me", &m, 1, 0, &out, &n, &e), -EADDRINUSE);
        assert_non_null(strstr(e.msg, "address already in use on the host"));
        m.proto = NET_PROTO_UDP; /* udp 20001 is free */
        assert_int_equal(resolve("me", &m, 1, 0, &out, &n, NULL), 0);
        free(out);
}

static void
test_nat_ports__random_ports_skip_what_is_taken(void **state)
{
        struct net_port_map m = {0, 0, 0, 80, 82, NET_PROTO_TCP};
        struct net_port_map *out = NULL;
        size_t n;

        (void)state;
        /* seed 0 starts at the bottom of the ephemeral range; each container port gets one */
        assert_int_equal(resolve("me", &m, 1, 0, &out, &n, NULL), 0);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(out[i].port, 80 + i);
                assert_int_equal(out[i].host_port, out[i].host_port_end);
                assert_true(out[i].host_port >= 1024);
                for (size_t j = 0; j < i; j++)
                        assert_int_not_equal(out[i].host_port, out[j].host_port);
        }
        free(out);
}

static void
test_nat_ports__host_range_with_one_container_port_takes_a_free_one(void **state)
{
        struct net_port_map m = {0, 20000, 20010, 80, 80, NET_PROTO_TCP};
        struct net_port_map *out = NULL;
        size_t n;

        (void)state;
        assert_int_equal(resolve("me", &m, 1, 0, &out, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(out[0].host_port, 20002); /* 20000 published, 20001 busy */
        free(out);
}

static void
test_nat_ports__the_same_port_twice_in_one_request_is_refused(void **state)
{
        struct net_port_map m[2] = {{0, 25000, 25000, 80, 80, NET_PROTO_TCP},
                                    {0, 25000, 25000, 81, 81, NET_PROTO_TCP}};
        struct net_port_map *out = NULL;
        struct err e = {0};
        size_t n;

        (void)state;
        assert_int_equal(resolve("me", m, 2, 0, &out, &n, &e), -EADDRINUSE);
        assert_non_null(strstr(e.msg, "published twice"));
}

static void
test_nat_ports__counts_are_capped(void **state)
{
        struct net_port_map m = {0, 1, 65535, 1, 65535, NET_PROTO_UDP};
        struct net_port_map *out = NULL;
        struct err e = {0};
        size_t n;

        (void)state;
        assert_int_equal(resolve("me", &m, 1, 0, &out, &n, &e), -E2BIG);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nat_ports__fixed_port_of_another_container_is_refused),
                cmocka_unit_test(test_nat_ports__port_busy_on_the_host_is_refused),
                cmocka_unit_test(test_nat_ports__random_ports_skip_what_is_taken),
                cmocka_unit_test(test_nat_ports__host_range_with_one_container_port_takes_a_free_one),
                cmocka_unit_test(test_nat_ports__the_same_port_twice_in_one_request_is_refused),
                cmocka_unit_test(test_nat_ports__counts_are_capped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
