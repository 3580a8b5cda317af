#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "net/dns.h"
#include "net/ipam.h"

static const uint8_t query_web_a[] = {
        0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* header, RD */
        0x03, 'W',  'e',  'b',  0x00,                                           /* "Web." */
        0x00, 0x01, 0x00, 0x01,                                                 /* A IN */
};

static void
test_dns__query_encodes_as_the_wire_format(void **state)
{
        uint8_t buf[64];
        int n = net_dns_encode_query(0xbeef, "Web.", DNS_TYPE_A, buf, sizeof(buf));

        (void)state;
        assert_int_equal(n, sizeof(query_web_a));
        assert_memory_equal(buf, query_web_a, sizeof(query_web_a));
        assert_int_equal(net_dns_encode_query(1, "a..b", 1, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(net_dns_encode_query(1, "", 1, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(net_dns_encode_query(1, "abc", 1, buf, 10), -ENOBUFS);
}

static void
test_dns__query_parses_with_name_lower_cased(void **state)
{
        struct net_dns_question q;

        (void)state;
        assert_int_equal(net_dns_parse_query(query_web_a, sizeof(query_web_a), &q), 0);
        assert_int_equal(q.id, 0xbeef);
        assert_string_equal(q.name, "web");
        assert_int_equal(q.type, DNS_TYPE_A);
        assert_int_equal(q.cls, DNS_CLASS_IN);
        assert_int_equal(q.end, sizeof(query_web_a));
}

static void
test_dns__malformed_queries_are_rejected(void **state)
{
        uint8_t p[sizeof(query_web_a)];
        struct net_dns_question q;

        (void)state;
        assert_int_equal(net_dns_parse_query(query_web_a, 11, &q), -EBADMSG);
        assert_int_equal(net_dns_parse_query(query_web_a, sizeof(p) - 1, &q), -EBADMSG);
        memcpy(p, query_web_a, sizeof(p));
        p[2] |= 0x80; /* a response */
        assert_int_equal(net_dns_parse_query(p, sizeof(p), &q), -EBADMSG);
        memcpy(p, query_web_a, sizeof(p));
        p[12] = 0xc0; /* compression pointer in the question */
        assert_int_equal(net_dns_parse_query(p, sizeof(p), &q), -EBADMSG);
        memcpy(p, query_web_a, sizeof(p));
        p[12] = 40; /* label longer than the packet */
        assert_int_equal(net_dns_parse_query(p, sizeof(p), &q), -EBADMSG);
        memcpy(p, query_web_a, sizeof(p));
        p[5] = 2; /* two questions */
        assert_int_equal(net_dns_parse_query(p, sizeof(p), &q), -EBADMSG);
}

static int
answer(const struct net_dns_table *t, const char *name, uint16_t type, unsigned rotate,
       int *rcode, uint32_t *addrs, size_t *n)
{
        uint8_t qb[300], out[600];
        struct net_dns_question q;
        int ql = net_dns_encode_query(7, name, type, qb, sizeof(qb));
        int len;

        assert_true(ql > 0);
        assert_int_equal(net_dns_parse_query(qb, (size_t)ql, &q), 0);
        len = net_dns_answer(t, &q, qb, rotate, out, sizeof(out));
        if (len <= 0)
                return len;
        assert_true(len <= DNS_UDP_MAX);
        assert_int_equal(net_dns_parse_response(out, (size_t)len, 7, rcode, addrs, 64, n), 0);
        return len;
}

static void
test_dns__replicas_answer_round_robin(void **state)
{
        struct net_dns_table *t = net_dns_table_new();
        uint32_t a[64];
        size_t n;
        int rcode;

        (void)state;
        assert_int_equal(net_dns_table_add(t, "web", 0x0a000002u), 0);
        assert_int_equal(net_dns_table_add(t, "WEB.", 0x0a000003u), 0);
        assert_int_equal(net_dns_table_add(t, "web", 0x0a000003u), 0); /* duplicate: once */
        assert_int_equal(net_dns_table_add(t, "db", 0x0a000009u), 0);
        assert_true(answer(t, "web", DNS_TYPE_A, 0, &rcode, a, &n) > 0);
        assert_int_equal(rcode, 0);
        assert_int_equal(n, 2);
        assert_int_equal(a[0], 0x0a000002u);
        assert_true(answer(t, "Web", DNS_TYPE_A, 1, &rcode, a, &n) > 0);
        assert_int_equal(a[0], 0x0a000003u);
        assert_int_equal(a[1], 0x0a000002u);
        net_dns_table_free(t);
}

static void
test_dns__known_name_of_another_type_is_an_empty_noerror(void **state)
{
        struct net_dns_table *t = net_dns_table_new();
        uint32_t a[4];
        size_t n = 9;
        int rcode = -1;

        (void)state;
        net_dns_table_add(t, "db", 0x0a000009u);
        assert_true(answer(t, "db", DNS_TYPE_AAAA, 0, &rcode, a, &n) > 0);
        assert_int_equal(rcode, DNS_RCODE_NOERROR);
        assert_int_equal(n, 0);
        /* unknown names are not ours: the caller forwards them */
        assert_int_equal(answer(t, "example.org", DNS_TYPE_A, 0, &rcode, a, &n), 0);
        net_dns_table_free(t);
}

static void
test_dns__ptr_answers_the_endpoint_name(void **state)
{
        struct net_dns_table *t = net_dns_table_new();
        uint8_t qb[300], out[600];
        struct net_dns_question q;
        int ql, len;

        (void)state;
        net_dns_table_add(t, "db", 0x0a000009u);
        ql = net_dns_encode_query(9, "9.0.0.10.in-addr.arpa", DNS_TYPE_PTR, qb, sizeof(qb));
        assert_int_equal(net_dns_parse_query(qb, (size_t)ql, &q), 0);
        len = net_dns_answer(t, &q, qb, 0, out, sizeof(out));
        assert_true(len > ql);
        /* the last bytes are the target name "db." in wire form */
        assert_memory_equal(out + len - 4, "\x02" "db" "\x00", 4);
        ql = net_dns_encode_query(9, "8.0.0.10.in-addr.arpa", DNS_TYPE_PTR, qb, sizeof(qb));
        assert_int_equal(net_dns_parse_query(qb, (size_t)ql, &q), 0);
        assert_int_equal(net_dns_answer(t, &q, qb, 0, out, sizeof(out)), 0);
        net_dns_table_free(t);
}

static void
test_dns__long_replica_lists_are_cut_to_512_bytes(void **state)
{
        struct net_dns_table *t = net_dns_table_new();
        uint32_t a[64];
        size_t n;
        int rcode;

        (void)state;
        for (uint32_t i = 0; i < 50; i++)
                net_dns_table_add(t, "many", 0x0a000100u + i);
        assert_true(answer(t, "many", DNS_TYPE_A, 0, &rcode, a, &n) <= DNS_UDP_MAX);
        assert_int_equal(n, 30); /* (512 - 12 header - 10 question) / 16 per record */
        net_dns_table_free(t);
}

static void
test_dns__table_refuses_names_that_are_not_host_names(void **state)
{
        struct net_dns_table *t = net_dns_table_new();
        const uint32_t *ips;

        (void)state;
        assert_int_equal(net_dns_table_add(t, "a b", 1), -EINVAL);
        assert_int_equal(net_dns_table_add(t, "", 1), -EINVAL);
        assert_int_equal(net_dns_table_add(t, "a..b", 1), -EINVAL);
        assert_int_equal(net_dns_table_add(t, "proj_web_1", 1), 0);
        assert_int_equal(net_dns_table_lookup(t, "PROJ_WEB_1.", &ips), 1);
        assert_int_equal(net_dns_table_lookup(t, "nope", &ips), 0);
        net_dns_table_free(t);
}

static void
test_dns__error_reply_echoes_the_question(void **state)
{
        uint8_t out[64];
        uint32_t a[1];
        size_t n;
        int rcode;
        int len = net_dns_error_reply(query_web_a, sizeof(query_web_a), DNS_RCODE_SERVFAIL, out,
                                      sizeof(out));

        (void)state;
        assert_int_equal(len, sizeof(query_web_a));
        assert_int_equal(net_dns_parse_response(out, (size_t)len, 0xbeef, &rcode, a, 1, &n), 0);
        assert_int_equal(rcode, DNS_RCODE_SERVFAIL);
        assert_memory_equal(out + 12, query_web_a + 12, sizeof(query_web_a) - 12);
}

static uint32_t
lease_names(const char *dir, const char *net, const char *owner, const char *name)
{
        char *names[] = { (char *)name, NULL };
        struct ipam_lease_request req = { .owner = owner, .names = names };
        uint32_t ip = 0;

        assert_int_equal(ipam_lease(dir, net, &req, &ip, NULL), 0);
        return ip;
}

/* A container on networks a and b resolves b's names through a's responder (its scope);
 * a container on a alone does not. */
static void
test_dns__other_networks_resolve_in_the_client_scope(void **state)
{
        char dir[] = "/tmp/berth-dns-XXXXXX";
        struct ipam_request ra = { .subnet = "10.91.0.0/24" }, rb = { .subnet = "10.92.0.0/24" };
        struct net_dns_table *t = NULL;
        const uint32_t *ips;
        uint32_t both, alone, peer;
        char *path, *cmd;

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(ipam_network_create(dir, "a", &ra, NULL, NULL), 0);
        assert_int_equal(ipam_network_create(dir, "b", &rb, NULL, NULL), 0);
        both = lease_names(dir, "a", "c1", "two");
        lease_names(dir, "b", "c1", "two");
        alone = lease_names(dir, "a", "c2", "lone");
        peer = lease_names(dir, "b", "c3", "peer");
        path = xasprintf("%s/a.json", dir);
        assert_int_equal(net_dns_table_load(path, &t, NULL), 0);
        assert_int_equal(net_dns_table_lookup(t, "peer", &ips), 0);
        assert_int_equal(net_dns_table_lookup(net_dns_table_scoped(t, both), "peer", &ips), 1);
        assert_int_equal(ips[0], peer);
        assert_null(net_dns_table_scoped(t, alone));
        net_dns_table_free(t);
        free(path);
        cmd = xasprintf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dns__query_encodes_as_the_wire_format),
                cmocka_unit_test(test_dns__query_parses_with_name_lower_cased),
                cmocka_unit_test(test_dns__malformed_queries_are_rejected),
                cmocka_unit_test(test_dns__replicas_answer_round_robin),
                cmocka_unit_test(test_dns__known_name_of_another_type_is_an_empty_noerror),
                cmocka_unit_test(test_dns__ptr_answers_the_endpoint_name),
                cmocka_unit_test(test_dns__long_replica_lists_are_cut_to_512_bytes),
                cmocka_unit_test(test_dns__table_refuses_names_that_are_not_host_names),
                cmocka_unit_test(test_dns__error_reply_echoes_the_question),
                cmocka_unit_test(test_dns__other_networks_resolve_in_the_client_scope),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
