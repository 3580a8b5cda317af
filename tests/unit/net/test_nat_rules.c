#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "net/net.h"

static struct net_nat_network nets[] = {
        {"front", "berth-f", {0xac120000u, 16}, 0xac120001u, false, false},
        {"back", "berth-b", {0xac130000u, 16}, 0xac130001u, true, false},
};

static struct net_port_map web_maps[] = {
        {0, 8080, 8080, 80, 80, NET_PROTO_TCP},
        {0x7f000001u, 9000, 9001, 90, 91, NET_PROTO_UDP},
};
static struct net_port_map dup_maps[] = {
        {0, 8080, 8080, 81, 81, NET_PROTO_TCP}, /* clashes with web: web keeps it */
};
static struct net_nat_ports ports[] = {
        {(char *)"web", 0xac120002u, web_maps, 2},
        {(char *)"dup", 0xac120003u, dup_maps, 1},
};

static char *
ruleset(size_t n_nets, size_t n_ports)
{
        struct net_nat_state st = {nets, n_nets, ports, n_ports};
        struct sbuf sb = SBUF_INIT;

        net_nat_ruleset("bttest", &st, &sb);
        return sbuf_detach(&sb);
}

static void
test_nat_rules__empty_state_only_deletes_the_table(void **state)
{
        char *r = ruleset(0, 0);

        (void)state;
        assert_string_equal(r, "add table ip bttest\ndelete table ip bttest\n");
        free(r);
}

static void
test_nat_rules__outbound_masquerade_except_internal(void **state)
{
        char *r = ruleset(2, 0);

        (void)state;
        assert_non_null(strstr(r, "ip saddr 172.18.0.0/16 oifname != \"berth-f\" masquerade"));
        assert_null(strstr(r, "ip saddr 172.19.0.0/16 oifname != \"berth-b\" masquerade"));
        assert_non_null(strstr(r, "iifname \"berth-b\" oifname != \"berth-b\" drop"));
        assert_non_null(strstr(r, "oifname \"berth-b\" iifname != \"berth-b\" drop"));
        /* berth networks do not route into one another */
        assert_non_null(strstr(r, "iifname \"berth-f\" oifname @bridges oifname != \"berth-f\" drop"));
        /* the whole table is replaced in one batch */
        assert_memory_equal(r, "add table ip bttest\ndelete table ip bttest\ntable ip bttest {\n",
                            58);
        free(r);
}

static void
test_nat_rules__published_ports_become_map_elements(void **state)
{
        char *r = ruleset(1, 2);

        (void)state;
        assert_non_null(strstr(r, "tcp . 8080 : 172.18.0.2 . 80"));
        assert_non_null(strstr(r, "127.0.0.1 . udp . 9000 : 172.18.0.2 . 90"));
        assert_non_null(strstr(r, "127.0.0.1 . udp . 9001 : 172.18.0.2 . 91"));
        assert_null(strstr(r, "172.18.0.3 . 81"));
        assert_non_null(strstr(r, "fib daddr type local dnat ip to meta l4proto . th dport map "
                                  "@ports_any"));
        assert_non_null(strstr(r, "type nat hook output priority -100"));
        /* loopback sources DNATed into the bridge are masqueraded (route_localnet) */
        assert_non_null(strstr(r, "oifname \"berth-f\" ip saddr 127.0.0.0/8 masquerade"));
        /* a published 53/udp never hides the network's DNS on its gateway */
        assert_non_null(strstr(r, "iifname @bridges ip daddr @gateways meta l4proto . th dport "
                                  "{ udp . 53, tcp . 53 } return"));
        free(r);
}

static void
test_nat_rules__nft_accepts_the_ruleset(void **state)
{
        char *r = ruleset(2, 2);
        char path[] = "/tmp/berth-nft-XXXXXX";
        int fd, st;
        char *cmd;

        (void)state;
        if (geteuid() != 0 || access("/usr/sbin/nft", X_OK) != 0) {
                free(r);
                skip(); /* `nft -c` needs CAP_NET_ADMIN */
        }
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, r, strlen(r)), (ssize_t)strlen(r));
        close(fd);
        /* -c: check only, nothing is changed */
        cmd = xasprintf("/usr/sbin/nft -c -f %s", path);
        st = system(cmd);
        unlink(path);
        free(cmd);
        free(r);
        assert_int_equal(st, 0);
}

static char **
statements(size_t n_nets, size_t n_ports)
{
        struct net_nat_state st = {nets, n_nets, ports, n_ports};

        return net_nat_statements("bttest", &st);
}

/* what lets a network's creation or a published port be applied as additions only: more
 * state never changes or drops a statement of less state */
static void
test_nat_rules__more_state_only_adds_statements(void **state)
{
        char **small = statements(1, 0), **big = statements(2, 2);
        char *full = ruleset(2, 2);

        (void)state;
        assert_true(strv_length(small) > 0);
        assert_true(strv_length(big) > strv_length(small));
        for (size_t i = 0; small[i]; i++)
                assert_true(strv_contains(big, small[i]));
        for (size_t i = 0; big[i]; i++) {
                assert_memory_equal(big[i], "add ", 4);
                assert_non_null(strstr(full, big[i]));
        }
        assert_true(strv_contains(big, "add element ip bttest ports_any { tcp . 8080 : "
                                       "172.18.0.2 . 80 }"));
        assert_null(statements(0, 0));
        strv_free(small);
        strv_free(big);
        free(full);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nat_rules__empty_state_only_deletes_the_table),
                cmocka_unit_test(test_nat_rules__outbound_masquerade_except_internal),
                cmocka_unit_test(test_nat_rules__published_ports_become_map_elements),
                cmocka_unit_test(test_nat_rules__nft_accepts_the_ruleset),
                cmocka_unit_test(test_nat_rules__more_state_only_adds_statements),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
