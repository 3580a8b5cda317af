/* The responder loop against upstream resolvers played by the test itself on 127.0.0.1
 * (never the host's resolver): the server runs in a forked child. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "net/dns.h"
#include "net/ipam.h"

struct fx {
        int srv;             /* the responder's socket (bound before the fork) */
        struct sockaddr_in srv_sa;
        int up[2];           /* the fake upstreams */
        struct sockaddr_in up_sa[2];
        int client;
        int stop[2];
        pid_t pid;
        char *dir;
};

static int
udp_bound(struct sockaddr_in *sa)
{
        socklen_t l = sizeof(*sa);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        *sa = (struct sockaddr_in){.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &l), 0);
        return fd;
}

static void
start(struct fx *f, const char *table_path, const struct net_dns_table *t, unsigned timeout)
{
        struct net_dns_server_config c = {0};

        socklen_t l = sizeof(f->srv_sa);

        assert_int_equal(net_dns_listen(INADDR_LOOPBACK, 0, &f->srv, NULL), 0);
        getsockname(f->srv, (struct sockaddr *)&f->srv_sa, &l);
        assert_int_equal(pipe2(f->stop, O_CLOEXEC), 0);
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                close(f->stop[1]);
                alarm(60); /* never outlive a broken test run */
                c = (struct net_dns_server_config){.fd = f->srv, .table_path = table_path,
                                                   .table = t, .upstreams = f->up_sa,
                                                   .n_upstreams = 2, .stop_fd = f->stop[0],
                                                   .timeout_ms = timeout};
                _exit(net_dns_serve(&c, NULL) == 0 ? 0 : 1);
        }
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        char *dir = xstrdup("/tmp/berth-dns-XXXXXX");

        f->up[0] = udp_bound(&f->up_sa[0]);
        f->up[1] = udp_bound(&f->up_sa[1]);
        f->client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        f->dir = mkdtemp(dir);
        f->pid = -1;
        *state = f;
        return f->dir ? 0 : -1;
}

static int
teardown(void **state)
{
        struct fx *f = *state;
        int status = 0;
        char *cmd = xasprintf("rm -rf '%s'", f->dir);

        if (f->pid > 0) {
                close(f->stop[1]); /* the stop fd reads EOF: the loop returns */
                waitpid(f->pid, &status, 0);
                close(f->stop[0]);
                close(f->srv);
        }
        close(f->up[0]);
        close(f->up[1]);
        close(f->client);
        if (system(cmd) != 0)
                status = 1;
        free(cmd);
        free(f->dir);
        free(f);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void
ask(struct fx *f, const char *name, uint16_t id)
{
        uint8_t q[300];
        int n = net_dns_encode_query(id, name, DNS_TYPE_A, q, sizeof(q));

        assert_true(n > 0);
        assert_int_equal(sendto(f->client, q, (size_t)n, 0, (struct sockaddr *)&f->srv_sa,
                                sizeof(f->srv_sa)),
                         n);
}

/* reply: wait up to ms for the answer to id; returns rcode and the first address. */
static int
reply(struct fx *f, uint16_t id, int ms, uint32_t *addr)
{
        uint8_t b[4096];
        struct pollfd p = {f->client, POLLIN, 0};
        uint32_t a[8];
        size_t n = 0;
        int rcode;
        ssize_t got;

        if (poll(&p, 1, ms) != 1)
                return -ETIMEDOUT;
        got = recv(f->client, b, sizeof(b), 0);
        assert_int_equal(net_dns_parse_response(b, (size_t)got, id, &rcode, a, 8, &n), 0);
        *addr = n ? a[0] : 0;
        return rcode;
}

/* upstream_serve: upstream i takes one query and answers it with addr from `from`. */
static void
upstream_serve(struct fx *f, int i, uint32_t addr, int from, uint16_t *seen_id)
{
        uint8_t q[4096], out[600];
        struct sockaddr_in peer;
        socklen_t pl = sizeof(peer);
        struct pollfd p = {f->up[i], POLLIN, 0};
        struct net_dns_question qq;
        struct net_dns_table *t = net_dns_table_new();
        ssize_t n;
        int len;

        assert_int_equal(poll(&p, 1, 2000), 1);
        n = recvfrom(f->up[i], q, sizeof(q), 0, (struct sockaddr *)&peer, &pl);
        assert_int_equal(net_dns_parse_query(q, (size_t)n, &qq), 0);
        *seen_id = qq.id;
        net_dns_table_add(t, qq.name, addr);
        len = net_dns_answer(t, &qq, q, 0, out, sizeof(out));
        net_dns_table_free(t);
        assert_true(len > 0);
        sendto(from, out, (size_t)len, 0, (struct sockaddr *)&peer, pl);
}

static void
test_dns_server__answers_its_names_itself(void **state)
{
        struct fx *f = *state;
        struct net_dns_table *t = net_dns_table_new();
        struct pollfd p = {f->up[0], POLLIN, 0};
        uint32_t a = 0;

        net_dns_table_add(t, "web", 0x0a000002u);
        start(f, NULL, t, 200);
        ask(f, "web", 1);
        assert_int_equal(reply(f, 1, 2000, &a), DNS_RCODE_NOERROR);
        assert_int_equal(a, 0x0a000002u);
        assert_int_equal(poll(&p, 1, 0), 0); /* nothing went upstream */
        net_dns_table_free(t);
}

static void
test_dns_server__forwards_other_names_with_a_fresh_id(void **state)
{
        struct fx *f = *state;
        uint32_t a = 0;
        uint16_t id = 0;

        start(f, NULL, NULL, 2000);
        ask(f, "example.org", 0x4242);
        upstream_serve(f, 0, 0xc6336407u, f->up[0], &id);
        assert_int_equal(reply(f, 0x4242, 2000, &a), DNS_RCODE_NOERROR);
        assert_int_equal(a, 0xc6336407u);
        (void)id; /* random: equal to the client's only by chance */
}

static void
test_dns_server__ignores_answers_from_elsewhere(void **state)
{
        struct fx *f = *state;
        uint32_t a = 0;
        uint16_t id = 0;

        start(f, NULL, NULL, 2000);
        ask(f, "example.org", 7);
        /* the right id but sent from upstream 1's socket: a spoof */
        upstream_serve(f, 0, 0x01020304u, f->up[1], &id);
        assert_int_equal(reply(f, 7, 300, &a), -ETIMEDOUT);
}

static void
test_dns_server__silent_upstream_falls_back_then_servfail(void **state)
{
        struct fx *f = *state;
        uint32_t a = 0;
        uint16_t id = 0;
        uint8_t junk[600];

        start(f, NULL, NULL, 100);
        ask(f, "example.org", 8);
        upstream_serve(f, 1, 0x05060708u, f->up[1], &id); /* upstream 0 never answers */
        assert_int_equal(reply(f, 8, 2000, &a), DNS_RCODE_NOERROR);
        assert_int_equal(a, 0x05060708u);
        ask(f, "example.net", 9);
        assert_int_equal(reply(f, 9, 2000, &a), DNS_RCODE_SERVFAIL);
        while (recv(f->up[0], junk, sizeof(junk), MSG_DONTWAIT) > 0)
                ;
}

static void
test_dns_server__table_file_changes_are_seen_at_once(void **state)
{
        struct fx *f = *state;
        struct ipam_request req = {.subnet = "10.44.0.0/24"};
        char *names[] = {(char *)"db", NULL};
        struct ipam_lease_request l = {.owner = "c1", .names = names};
        char *path = xasprintf("%s/n.json", f->dir);
        uint32_t a = 0;

        assert_int_equal(ipam_network_create(f->dir, "n", &req, NULL, NULL), 0);
        start(f, path, NULL, 2000);
        assert_int_equal(ipam_lease(f->dir, "n", &l, NULL, NULL), 0);
        ask(f, "db", 3);
        assert_int_equal(reply(f, 3, 2000, &a), DNS_RCODE_NOERROR);
        assert_int_equal(a, 0x0a2c0002u);
        free(path);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_dns_server__answers_its_names_itself),
                T(test_dns_server__forwards_other_names_with_a_fresh_id),
                T(test_dns_server__ignores_answers_from_elsewhere),
                T(test_dns_server__silent_upstream_falls_back_then_servfail),
                T(test_dns_server__table_file_changes_are_seen_at_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
