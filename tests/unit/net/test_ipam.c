#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "net/ipam.h"

static int
setup(void **state)
{
        char *dir = xstrdup("/tmp/berth-ipam-XXXXXX");

        if (!mkdtemp(dir))
                return -1;
        *state = dir;
        return 0;
}

static int
teardown(void **state)
{
        char *cmd = xasprintf("rm -rf '%s'", (char *)*state);
        int r = system(cmd);

        free(cmd);
        free(*state);
        return r == 0 ? 0 : -1;
}

static char *
subnet_of(const char *dir, const char *name, const struct ipam_request *req)
{
        struct ipam_network *n = NULL;
        struct err e = {0};
        char s[NET_PFX_STRLEN];

        if (ipam_network_create(dir, name, req, &n, &e) < 0)
                fail_msg("create %s: %s", name, e.msg);
        net_prefix_format(&n->subnet, s);
        ipam_network_free(n);
        return xstrdup(s);
}

static char *
lease_ip(const char *dir, const char *net, const char *owner, uint32_t want)
{
        struct ipam_lease_request req = {.owner = owner, .ip = want};
        struct err e = {0};
        char s[NET_IP4_STRLEN];
        uint32_t ip;

        if (ipam_lease(dir, net, &req, &ip, &e) < 0)
                fail_msg("lease %s: %s", owner, e.msg);
        net_ip4_format(ip, s);
        return xstrdup(s);
}

#define assert_str_free(got, want)                                                                 \
        do {                                                                                       \
                char *g_ = (got);                                                                  \
                assert_string_equal(g_, want);                                                     \
                free(g_);                                                                          \
        } while (0)

static void
test_ipam__default_pools_start_at_172_17_and_never_overlap(void **state)
{
        struct ipam_request req = {0};

        assert_str_free(subnet_of(*state, "a", &req), "172.17.0.0/16");
        assert_str_free(subnet_of(*state, "b", &req), "172.18.0.0/16");
}

static void
test_ipam__host_routes_and_addresses_are_avoided(void **state)
{
        /* docker0 on 172.17.0.1/16 and a podman network inside 172.18 */
        struct net_prefix avoid[] = {{0xac110000u, 16}, {0xac120500u, 24}};
        struct ipam_request req = {.avoid = avoid, .n_avoid = 2};

        assert_str_free(subnet_of(*state, "a", &req), "172.19.0.0/16");
}

static void
test_ipam__falls_back_to_192_168_in_slash_20s(void **state)
{
        struct net_prefix avoid[] = {{0xac100000u, 12}, {0xc0a80000u, 20}};
        struct ipam_request req = {.avoid = avoid, .n_avoid = 2};

        assert_str_free(subnet_of(*state, "a", &req), "192.168.16.0/20");
}

static void
test_ipam__custom_pool_exhaustion_is_a_clear_error(void **state)
{
        struct ipam_pool pool = {{0x0a0a0000u, 24}, 25};
        struct ipam_request req = {.pools = &pool, .n_pools = 1};
        struct err e = {0};

        assert_str_free(subnet_of(*state, "a", &req), "10.10.0.0/25");
        assert_str_free(subnet_of(*state, "b", &req), "10.10.0.128/25");
        assert_int_equal(ipam_network_create(*state, "c", &req, NULL, &e), -ENOSPC);
        assert_non_null(strstr(e.msg, "no free subnet"));
}

static void
test_ipam__config_subnet_gateway_range_and_aux_are_honoured(void **state)
{
        char *aux[] = {(char *)"router=10.5.0.130", NULL};
        struct ipam_request req = {.subnet = "10.5.0.0/24", .gateway = "10.5.0.254",
                                   .ip_range = "10.5.0.128/25", .aux = aux};
        struct ipam_network *n = NULL;

        assert_int_equal(ipam_network_create(*state, "cfg", &req, &n, NULL), 0);
        assert_int_equal(n->gateway, 0x0a0500feu);
        assert_true(n->user_subnet);
        ipam_network_free(n);
        /* 10.5.0.128 is the range's first address but not the subnet's network address */
        assert_str_free(lease_ip(*state, "cfg", "c1", 0), "10.5.0.128");
        assert_str_free(lease_ip(*state, "cfg", "c2", 0), "10.5.0.129");
        assert_str_free(lease_ip(*state, "cfg", "c3", 0), "10.5.0.131"); /* .130 is aux */
        /* a static address outside the range but inside the subnet is allowed */
        assert_str_free(lease_ip(*state, "cfg", "c4", 0x0a050005u), "10.5.0.5");
}

static void
test_ipam__bad_config_is_refused_with_a_reason(void **state)
{
        struct ipam_request r1 = {.subnet = "10.5.0.1/16"};
        struct ipam_request r2 = {.subnet = "10.6.0.0/24", .gateway = "10.7.0.1"};
        struct ipam_request r3 = {.subnet = "10.6.0.0/24", .ip_range = "10.6.1.0/25"};
        struct ipam_request r4 = {.enable_ipv6 = true};
        struct ipam_request r5 = {.subnet = "fd00::/64"};
        struct err e = {0};

        assert_int_equal(ipam_network_create(*state, "n", &r1, NULL, &e), -EINVAL);
        assert_string_equal(e.msg, "network 'n': invalid subnet '10.5.0.1/16': it should be "
                                   "10.5.0.0/16");
        err_clear(&e);
        assert_int_equal(ipam_network_create(*state, "n", &r2, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "gateway '10.7.0.1'"));
        assert_int_equal(ipam_network_create(*state, "n", &r3, NULL, NULL), -EINVAL);
        err_clear(&e);
        assert_int_equal(ipam_network_create(*state, "n", &r4, NULL, &e), -EOPNOTSUPP);
        assert_non_null(strstr(e.msg, "enable_ipv6"));
        assert_int_equal(ipam_network_create(*state, "n", &r5, NULL, NULL), -EOPNOTSUPP);
        assert_int_equal(ipam_network_create(*state, "../x", &(struct ipam_request){0}, NULL,
                                             NULL),
                         -EINVAL);
}

static void
test_ipam__configured_subnets_must_not_overlap_other_networks(void **state)
{
        struct ipam_request a = {.subnet = "10.8.0.0/16"}, b = {.subnet = "10.8.4.0/24"};
        struct err e = {0};

        assert_int_equal(ipam_network_create(*state, "a", &a, NULL, NULL), 0);
        assert_int_equal(ipam_network_create(*state, "b", &b, NULL, &e), -EADDRINUSE);
        assert_non_null(strstr(e.msg, "overlaps network 'a'"));
}

static void
test_ipam__leases_are_serial_and_freed_addresses_wait(void **state)
{
        struct ipam_request req = {.subnet = "10.9.0.0/29"};
        struct ipam_lease_request l = {.owner = "x"};
        struct err e = {0};

        assert_int_equal(ipam_network_create(*state, "n", &req, NULL, NULL), 0);
        assert_str_free(lease_ip(*state, "n", "a", 0), "10.9.0.2");
        assert_str_free(lease_ip(*state, "n", "b", 0), "10.9.0.3");
        assert_int_equal(ipam_release(*state, "n", "a", NULL), 0);
        assert_str_free(lease_ip(*state, "n", "c", 0), "10.9.0.4");
        assert_str_free(lease_ip(*state, "n", "d", 0), "10.9.0.5");
        assert_str_free(lease_ip(*state, "n", "e", 0), "10.9.0.6");
        /* wraps around to the freed .2; .7 is the broadcast address */
        assert_str_free(lease_ip(*state, "n", "f", 0), "10.9.0.2");
        assert_int_equal(ipam_lease(*state, "n", &l, NULL, &e), -ENOSPC);
        assert_non_null(strstr(e.msg, "no free address"));
}

static void
test_ipam__lease_is_idempotent_per_owner_and_keeps_names(void **state)
{
        char *names[] = {(char *)"web", (char *)"proj-web-1", NULL};
        struct ipam_lease_request l = {.owner = "c1", .names = names};
        struct ipam_network *n = NULL;
        uint32_t a, b;

        assert_int_equal(ipam_network_create(*state, "n", &(struct ipam_request){0}, NULL, NULL),
                         0);
        assert_int_equal(ipam_lease(*state, "n", &l, &a, NULL), 0);
        assert_int_equal(ipam_lease(*state, "n", &l, &b, NULL), 0);
        assert_int_equal(a, b);
        assert_int_equal(ipam_network_load(*state, "n", &n, NULL), 0);
        assert_int_equal(n->n_leases, 1);
        assert_string_equal(n->leases[0].names[1], "proj-web-1");
        assert_ptr_equal(ipam_lease_find(n, "c1"), &n->leases[0]);
        ipam_network_free(n);
}

static void
test_ipam__static_addresses_need_a_configured_subnet_and_a_free_address(void **state)
{
        struct ipam_lease_request l = {.owner = "c", .ip = 0xac110005u};
        struct err e = {0};

        assert_int_equal(ipam_network_create(*state, "auto", &(struct ipam_request){0}, NULL,
                                             NULL),
                         0);
        assert_int_equal(ipam_lease(*state, "auto", &l, NULL, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "subnet configured by the user"));
        assert_int_equal(ipam_network_create(*state, "cfg",
                                             &(struct ipam_request){.subnet = "10.4.0.0/24"},
                                             NULL, NULL),
                         0);
        l.ip = 0x0a040001u; /* the gateway */
        err_clear(&e);
        assert_int_equal(ipam_lease(*state, "cfg", &l, NULL, &e), -EADDRINUSE);
        assert_non_null(strstr(e.msg, "10.4.0.1 already in use"));
}

static void
test_ipam__remove_refuses_a_network_in_use(void **state)
{
        struct err e = {0};
        char **names = NULL;

        assert_int_equal(ipam_network_create(*state, "n", &(struct ipam_request){0}, NULL, NULL),
                         0);
        free(lease_ip(*state, "n", "c1", 0));
        assert_int_equal(ipam_network_remove(*state, "n", false, &e), -EBUSY);
        assert_non_null(strstr(e.msg, "active endpoints"));
        assert_int_equal(ipam_release(*state, "n", "c1", NULL), 0);
        assert_int_equal(ipam_release(*state, "n", "c1", NULL), 0);
        assert_int_equal(ipam_network_remove(*state, "n", false, NULL), 0);
        assert_int_equal(ipam_network_remove(*state, "n", false, NULL), 0);
        assert_int_equal(ipam_network_list(*state, &names, NULL), 0);
        assert_int_equal(strv_length(names), 0);
        strv_free(names);
}

static void
test_ipam__recreating_a_network_returns_the_record(void **state)
{
        struct ipam_network *n = NULL;
        struct ipam_request other = {.subnet = "10.1.0.0/16"};

        free(subnet_of(*state, "n", &(struct ipam_request){0}));
        assert_int_equal(ipam_network_create(*state, "n", &(struct ipam_request){0}, &n, NULL),
                         0);
        assert_int_equal(n->subnet.addr, 0xac110000u);
        ipam_network_free(n);
        assert_int_equal(ipam_network_create(*state, "n", &other, NULL, NULL), -EEXIST);
}

static void
test_ipam__a_damaged_record_is_an_error_not_a_crash(void **state)
{
        char *p = xasprintf("%s/bad.json", (char *)*state);
        FILE *f = fopen(p, "w");
        struct ipam_network *n = NULL;
        struct err e = {0};

        fputs("{\"name\": \"bad\", \"subnet\": \"10.0.0.0/8\", \"leases\": [", f);
        fclose(f);
        assert_int_equal(ipam_network_load(*state, "bad", &n, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "bad.json"));
        assert_int_equal(ipam_network_remove(*state, "bad", true, NULL), 0);
        free(p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_ipam__default_pools_start_at_172_17_and_never_overlap),
                T(test_ipam__host_routes_and_addresses_are_avoided),
                T(test_ipam__falls_back_to_192_168_in_slash_20s),
                T(test_ipam__custom_pool_exhaustion_is_a_clear_error),
                T(test_ipam__config_subnet_gateway_range_and_aux_are_honoured),
                T(test_ipam__bad_config_is_refused_with_a_reason),
                T(test_ipam__configured_subnets_must_not_overlap_other_networks),
                T(test_ipam__leases_are_serial_and_freed_addresses_wait),
                T(test_ipam__lease_is_idempotent_per_owner_and_keeps_names),
                T(test_ipam__static_addresses_need_a_configured_subnet_and_a_free_address),
                T(test_ipam__remove_refuses_a_network_in_use),
                T(test_ipam__recreating_a_network_returns_the_record),
                T(test_ipam__a_damaged_record_is_an_error_not_a_crash),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
