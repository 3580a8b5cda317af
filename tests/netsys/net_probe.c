/* net-probe: a command-line driver over net/ for the system tests and bench/net.sh.
 *
 * Each subcommand calls one library function (or is a tiny network peer for the tests: a
 * fake upstream resolver, a hello server, a throughput sink) and prints a line a shell test
 * can check. Exit 0 on success, 1 with "net-probe: <error>" on stderr otherwise.
 *
 *   bridge-up NAME GW/LEN [MTU]          bridge-down NAME
 *   attach BRIDGE HOSTIF NETNS IFNAME ADDR/LEN GW|- [MTU]      detach HOSTIF
 *   lo-up NETNS                          host-prefixes          ifname PREFIX ID
 *   ipam-create DIR NAME [--subnet S] [--gateway G] [--ip-range R] [--aux n=ip]...
 *               [--pool A.B.C.D/L:SIZE]... [--ipv6] [--avoid-host]
 *   ipam-lease DIR NAME OWNER [--ip IP] [--name N]... [--dns IP]...
 *   ipam-release DIR NAME OWNER          ipam-rm DIR NAME [--force]     ipam-ls DIR
 *   nat-net DIR TABLE NAME BRIDGE SUBNET GW [--internal]    nat-net-rm DIR TABLE NAME
 *   nat-ports DIR TABLE OWNER IP SPEC... nat-ports-rm DIR TABLE OWNER   nat-apply DIR TABLE
 *   nat-port-get DIR TABLE OWNER         port-parse SPEC
 *   dns-serve ADDR:PORT [--table FILE] [--name n=ip]... [--upstream ADDR:PORT]...
 *             [--ready FILE]             (until SIGTERM)
 *   dns-query SERVER:PORT NAME [A|AAAA|PTR] [--count N]
 *   fake-upstream ADDR:PORT IP [--ready FILE]   (A for every name, NXDOMAIN for "nx*")
 *   hello-serve ADDR:PORT [--udp] [--ready FILE]   hello ADDR:PORT [--udp]
 *   sink-serve ADDR:PORT [--ready FILE]  xfer ADDR:PORT MIB
 *   splice-proxy LISTEN:PORT TARGET:PORT [--ready FILE]
 *   bench-attach BRIDGE GW/LEN NETNS... (prints the median attach time in ms)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "net/dns.h"
#include "net/ipam.h"
#include "net/net.h"

#define DIE_ERR(e) die("%s", (e)->msg)

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
        va_list ap;

        fputs("net-probe: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

static void
check(int r, struct err *e)
{
        if (r < 0)
                die("%s", e->msg[0] ? e->msg : strerror(-r));
}

static uint32_t
ip_arg(const char *s)
{
        struct err e = {0};
        uint32_t a;

        check(net_ip4_parse(s, &a, &e), &e);
        return a;
}

static struct net_prefix
pfx_arg(const char *s)
{
        struct err e = {0};
        struct net_prefix p;

        check(net_prefix_parse(s, &p, &e), &e);
        return p;
}

static unsigned
uint_arg(const char *s, unsigned max)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v > max)
                die("invalid number '%s'", s);
        return (unsigned)v;
}

static struct sockaddr_in
sa_arg(const char *s)
{
        const char *colon = strrchr(s, ':');
        cleanup_free char *host = NULL;

        if (!colon)
                die("want ADDR:PORT, got '%s'", s);
        host = xstrndup(s, (size_t)(colon - s));
        return (struct sockaddr_in){.sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)uint_arg(colon + 1, 65535)),
                                    .sin_addr.s_addr = htonl(ip_arg(host))};
}

static void
need(int argc, int n, const char *usage)
{
        if (argc < n)
                die("usage: net-probe %s", usage);
}

static double
now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
ready(const char *path)
{
        struct err e = {0};

        if (path)
                check(fs_write_atomic(path, "ready\n", 6, 0644, &e), &e);
}

/* opt: the value after flag at argv[*i], advancing *i. */
static const char *
opt(int argc, char **argv, int *i)
{
        if (*i + 1 >= argc)
                die("%s needs a value", argv[*i]);
        return argv[++*i];
}

/* ---- links ------------------------------------------------------------------------------ */

static int
cmd_bridge_up(int argc, char **argv)
{
        struct err e = {0};
        struct net_bridge_config c;

        need(argc, 3, "bridge-up NAME GW/LEN [MTU]");
        c = (struct net_bridge_config){argv[1], pfx_arg(argv[2]),
                                       argc > 3 ? uint_arg(argv[3], 65535) : 0};
        check(net_bridge_ensure(&c, &e), &e);
        return 0;
}

static int
cmd_bridge_down(int argc, char **argv)
{
        struct err e = {0};

        need(argc, 2, "bridge-down NAME");
        check(net_bridge_remove(argv[1], &e), &e);
        return 0;
}

static int
cmd_attach(int argc, char **argv)
{
        struct err e = {0};
        struct net_endpoint_config c = {0};

        need(argc, 7, "attach BRIDGE HOSTIF NETNS IFNAME ADDR/LEN GW|- [MTU]");
        c.bridge = argv[1];
        c.host_ifname = argv[2];
        c.netns_path = argv[3];
        c.ifname = argv[4];
        c.addr = pfx_arg(argv[5]);
        c.gateway = strcmp(argv[6], "-") == 0 ? 0 : ip_arg(argv[6]);
        c.mtu = argc > 7 ? uint_arg(argv[7], 65535) : 0;
        check(net_endpoint_attach(&c, &e), &e);
        return 0;
}

static int
cmd_detach(int argc, char **argv)
{
        struct err e = {0};

        need(argc, 2, "detach HOSTIF");
        check(net_endpoint_detach(argv[1], &e), &e);
        return 0;
}

static int
cmd_lo_up(int argc, char **argv)
{
        struct err e = {0};

        need(argc, 2, "lo-up NETNS");
        check(net_netns_lo_up(argv[1], -1, &e), &e);
        return 0;
}

static int
cmd_host_prefixes(int argc, char **argv)
{
        struct err e = {0};
        cleanup_free struct net_prefix *v = NULL;
        char s[NET_PFX_STRLEN];
        size_t n;

        (void)argc;
        (void)argv;
        check(net_host_prefixes(&v, &n, &e), &e);
        for (size_t i = 0; i < n; i++) {
                net_prefix_format(&v[i], s);
                puts(s);
        }
        return 0;
}

static int
cmd_ifname(int argc, char **argv)
{
        char n[NET_IFNAMSIZ];

        need(argc, 3, "ifname PREFIX ID");
        net_ifname(argv[1], argv[2], n);
        puts(n);
        return 0;
}

/* bench-attach: time net_endpoint_attach into each given netns (already created) */
static int
cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static int
cmd_bench_attach(int argc, char **argv)
{
        struct net_prefix gw;
        size_t n = (size_t)argc - 3;
        cleanup_free double *t = NULL;

        need(argc, 4, "bench-attach BRIDGE GW/LEN NETNS...");
        gw = pfx_arg(argv[2]);
        t = xcalloc(n, sizeof(*t));
        for (size_t i = 0; i < n; i++) {
                struct err e = {0};
                char host[NET_IFNAMSIZ];
                struct net_endpoint_config c = {
                        .bridge = argv[1], .host_ifname = host, .netns_path = argv[3 + i],
                        .ifname = "eth0", .addr = {gw.addr + 1 + (uint32_t)i, gw.len},
                        .gateway = gw.addr};
                double t0;

                net_ifname("bv", argv[3 + i], host);
                t0 = now_s();
                check(net_endpoint_attach(&c, &e), &e);
                t[i] = (now_s() - t0) * 1000;
        }
        qsort(t, n, sizeof(*t), cmp_double);
        printf("attach_ms median=%.3f p90=%.3f min=%.3f max=%.3f n=%zu\n", t[n / 2],
               t[n * 9 / 10], t[0], t[n - 1], n);
        return 0;
}

/* ---- ipam ------------------------------------------------------------------------------- */

static struct ipam_pool
pool_arg(const char *s)
{
        const char *colon = strrchr(s, ':');
        cleanup_free char *p = NULL;

        if (!colon)
                die("want --pool A.B.C.D/L:SIZE");
        p = xstrndup(s, (size_t)(colon - s));
        return (struct ipam_pool){pfx_arg(p), (uint8_t)uint_arg(colon + 1, 32)};
}

static void
print_network(const struct ipam_network *n)
{
        char s[NET_PFX_STRLEN], g[NET_IP4_STRLEN], r[NET_PFX_STRLEN];

        net_prefix_format(&n->subnet, s);
        net_ip4_format(n->gateway, g);
        net_prefix_format(&n->range, r);
        printf("subnet=%s gateway=%s range=%s leases=%zu\n", s, g, r, n->n_leases);
}

static int
cmd_ipam_create(int argc, char **argv)
{
        struct err e = {0};
        struct ipam_request req = {0};
        struct ipam_pool pools[8];
        cleanup_strv char **aux = NULL;
        cleanup_free struct net_prefix *avoid = NULL;
        struct ipam_network *n = NULL;

        need(argc, 3, "ipam-create DIR NAME [options]");
        for (int i = 3; i < argc; i++) {
                if (strcmp(argv[i], "--subnet") == 0)
                        req.subnet = opt(argc, argv, &i);
                else if (strcmp(argv[i], "--gateway") == 0)
                        req.gateway = opt(argc, argv, &i);
                else if (strcmp(argv[i], "--ip-range") == 0)
                        req.ip_range = opt(argc, argv, &i);
                else if (strcmp(argv[i], "--aux") == 0)
                        strv_add(&aux, opt(argc, argv, &i));
                else if (strcmp(argv[i], "--pool") == 0 && req.n_pools < ARRAY_SIZE(pools))
                        pools[req.n_pools++] = pool_arg(opt(argc, argv, &i));
                else if (strcmp(argv[i], "--ipv6") == 0)
                        req.enable_ipv6 = true;
                else if (strcmp(argv[i], "--avoid-host") == 0)
                        check(net_host_prefixes(&avoid, &req.n_avoid, &e), &e);
                else
                        die("unknown option '%s'", argv[i]);
        }
        req.aux = aux;
        req.pools = req.n_pools ? pools : NULL;
        req.avoid = avoid;
        check(ipam_network_create(argv[1], argv[2], &req, &n, &e), &e);
        print_network(n);
        ipam_network_free(n);
        return 0;
}

static int
cmd_ipam_lease(int argc, char **argv)
{
        struct err e = {0};
        struct ipam_lease_request req = {0};
        cleanup_strv char **names = NULL;
        cleanup_strv char **dns = NULL;
        char s[NET_IP4_STRLEN];
        uint32_t ip;

        need(argc, 4, "ipam-lease DIR NAME OWNER [--ip IP] [--name N]... [--dns IP]...");
        req.owner = argv[3];
        for (int i = 4; i < argc; i++) {
                if (strcmp(argv[i], "--ip") == 0)
                        req.ip = ip_arg(opt(argc, argv, &i));
                else if (strcmp(argv[i], "--name") == 0)
                        strv_add(&names, opt(argc, argv, &i));
                else if (strcmp(argv[i], "--dns") == 0)
                        strv_add(&dns, opt(argc, argv, &i));
                else
                        die("unknown option '%s'", argv[i]);
        }
        req.names = names;
        req.dns = dns;
        check(ipam_lease(argv[1], argv[2], &req, &ip, &e), &e);
        net_ip4_format(ip, s);
        puts(s);
        return 0;
}

static int
cmd_ipam_release(int argc, char **argv)
{
        struct err e = {0};

        need(argc, 4, "ipam-release DIR NAME OWNER");
        check(ipam_release(argv[1], argv[2], argv[3], &e), &e);
        return 0;
}

static int
cmd_ipam_rm(int argc, char **argv)
{
        struct err e = {0};

        need(argc, 3, "ipam-rm DIR NAME [--force]");
        check(ipam_network_remove(argv[1], argv[2], argc > 3 && strcmp(argv[3], "--force") == 0,
                                  &e),
              &e);
        return 0;
}

static int
cmd_ipam_ls(int argc, char **argv)
{
        struct err e = {0};
        cleanup_strv char **names = NULL;

        need(argc, 2, "ipam-ls DIR");
        check(ipam_network_list(argv[1], &names, &e), &e);
        strv_foreach(n, names) {
                struct ipam_network *net = NULL;

                check(ipam_network_load(argv[1], n, &net, &e), &e);
                printf("%s ", n);
                print_network(net);
                ipam_network_free(net);
        }
        return 0;
}

/* ---- nat -------------------------------------------------------------------------------- */

static int
cmd_nat_net(int argc, char **argv)
{
        struct err e = {0};
        struct net_nat nat;
        struct net_nat_network n;

        need(argc, 7, "nat-net DIR TABLE NAME BRIDGE SUBNET GW [--internal]");
        nat = (struct net_nat){argv[1], argv[2]};
        n = (struct net_nat_network){argv[3], argv[4], pfx_arg(argv[5]), ip_arg(argv[6]),
                                     argc > 7 && strcmp(argv[7], "--internal") == 0, false};
        check(net_nat_network_set(&nat, &n, &e), &e);
        return 0;
}

static int
cmd_nat_net_rm(int argc, char **argv)
{
        struct err e = {0};
        struct net_nat nat;

        need(argc, 4, "nat-net-rm DIR TABLE NAME");
        nat = (struct net_nat){argv[1], argv[2]};
        check(net_nat_network_unset(&nat, argv[3], &e), &e);
        return 0;
}

static void
print_maps(const struct net_port_map *m, size_t n)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;

        for (size_t i = 0; i < n; i++)
                net_port_format(&m[i], &sb);
        fputs(sb.buf, stdout);
}

static int
cmd_nat_ports(int argc, char **argv)
{
        struct err e = {0};
        struct net_nat nat;
        size_t n = (size_t)argc - 5, n_out = 0;
        cleanup_free struct net_port_map *maps = NULL;
        cleanup_free struct net_port_map *out = NULL;

        need(argc, 5, "nat-ports DIR TABLE OWNER IP SPEC...");
        nat = (struct net_nat){argv[1], argv[2]};
        maps = xcalloc(n + 1, sizeof(*maps));
        for (size_t i = 0; i < n; i++)
                check(net_port_parse(argv[5 + i], &maps[i], &e), &e);
        check(net_nat_ports_set(&nat, argv[3], ip_arg(argv[4]), maps, n, &out, &n_out, &e), &e);
        print_maps(out, n_out);
        return 0;
}

static int
cmd_nat_port_get(int argc, char **argv)
{
        struct err e = {0};
        struct net_nat nat;
        cleanup_free struct net_port_map *maps = NULL;
        size_t n;

        need(argc, 4, "nat-port-get DIR TABLE OWNER");
        nat = (struct net_nat){argv[1], argv[2]};
        check(net_nat_ports_get(&nat, argv[3], &maps, &n, &e), &e);
        print_maps(maps, n);
        return 0;
}

static int
cmd_nat_ports_rm(int argc, char **argv)
{
        struct err e = {0};
        struct net_nat nat;

        need(argc, 4, "nat-ports-rm DIR TABLE OWNER");
        nat = (struct net_nat){argv[1], argv[2]};
        check(net_nat_ports_unset(&nat, argv[3], &e), &e);
        return 0;
}

static int
cmd_nat_apply(int argc, char **argv)
{
        struct err e = {0};
        struct net_nat nat;

        need(argc, 3, "nat-apply DIR TABLE");
        nat = (struct net_nat){argv[1], argv[2]};
        check(net_nat_apply(&nat, &e), &e);
        return 0;
}

static int
cmd_port_parse(int argc, char **argv)
{
        struct err e = {0};
        struct net_port_map m;
        char ip[NET_IP4_STRLEN];

        need(argc, 2, "port-parse SPEC");
        check(net_port_parse(argv[1], &m, &e), &e);
        net_ip4_format(m.host_ip, ip);
        printf("%s %u-%u %u-%u %s\n", ip, m.host_port, m.host_port_end, m.port, m.port_end,
               net_proto_name(m.proto));
        return 0;
}

/* ---- dns -------------------------------------------------------------------------------- */

static int
stop_signals_fd(void)
{
        sigset_t set;
        int fd;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        fd = signalfd(-1, &set, SFD_CLOEXEC);
        if (fd < 0)
                die("signalfd: %s", strerror(errno));
        return fd;
}

static void
add_name(struct net_dns_table *t, const char *arg)
{
        const char *eq = strchr(arg, '=');
        cleanup_free char *name = NULL;

        if (!eq)
                die("want --name NAME=IP");
        name = xstrndup(arg, (size_t)(eq - arg));
        if (net_dns_table_add(t, name, ip_arg(eq + 1)) < 0)
                die("bad name '%s'", name);
}

static int
cmd_dns_serve(int argc, char **argv)
{
        struct err e = {0};
        struct net_dns_table *t = net_dns_table_new();
        struct sockaddr_in up[DNS_UPSTREAM_MAX], sa;
        struct net_dns_server_config c = {.table = t, .upstreams = up};
        const char *ready_file = NULL;
        int fd, r;

        need(argc, 2, "dns-serve ADDR:PORT [options]");
        sa = sa_arg(argv[1]);
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--table") == 0)
                        c.table_path = opt(argc, argv, &i);
                else if (strcmp(argv[i], "--name") == 0)
                        add_name(t, opt(argc, argv, &i));
                else if (strcmp(argv[i], "--upstream") == 0 && c.n_upstreams < DNS_UPSTREAM_MAX)
                        up[c.n_upstreams++] = sa_arg(opt(argc, argv, &i));
                else if (strcmp(argv[i], "--ready") == 0)
                        ready_file = opt(argc, argv, &i);
                else
                        die("unknown option '%s'", argv[i]);
        }
        c.stop_fd = stop_signals_fd();
        check(net_dns_listen(ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port), &fd, &e), &e);
        c.fd = fd;
        ready(ready_file);
        r = net_dns_serve(&c, &e);
        close(fd);
        close(c.stop_fd);
        net_dns_table_free(t);
        check(r, &e);
        return 0;
}

static uint16_t
type_arg(const char *s)
{
        if (strcmp(s, "A") == 0)
                return DNS_TYPE_A;
        if (strcmp(s, "AAAA") == 0)
                return DNS_TYPE_AAAA;
        if (strcmp(s, "PTR") == 0)
                return DNS_TYPE_PTR;
        die("unknown type '%s'", s);
}

/* query_once: one query and its answer; returns the round trip in seconds. */
static double
query_once(int fd, const struct sockaddr_in *sa, const char *name, uint16_t type, uint16_t id,
           int *rcode, uint32_t *addrs, size_t *n)
{
        uint8_t q[512], a[DNS_FWD_MAX];
        int ql = net_dns_encode_query(id, name, type, q, sizeof(q));
        struct pollfd p = {fd, POLLIN, 0};
        double t0 = now_s();
        ssize_t got;

        if (ql < 0)
                die("cannot encode '%s'", name);
        if (sendto(fd, q, (size_t)ql, 0, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
                die("send: %s", strerror(errno));
        for (;;) {
                if (poll(&p, 1, 5000) <= 0)
                        die("no answer for '%s'", name);
                got = recv(fd, a, sizeof(a), 0);
                if (got > 0 &&
                    net_dns_parse_response(a, (size_t)got, id, rcode, addrs, 16, n) == 0)
                        return now_s() - t0;
        }
}

static int
cmd_dns_query(int argc, char **argv)
{
        struct sockaddr_in sa;
        uint16_t type = DNS_TYPE_A;
        unsigned count = 1;
        uint32_t addrs[16];
        size_t n = 0;
        int rcode = 0, fd;
        cleanup_free double *t = NULL;

        need(argc, 3, "dns-query SERVER:PORT NAME [TYPE] [--count N]");
        sa = sa_arg(argv[1]);
        for (int i = 3; i < argc; i++) {
                if (strcmp(argv[i], "--count") == 0)
                        count = uint_arg(opt(argc, argv, &i), 1000000);
                else
                        type = type_arg(argv[i]);
        }
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        t = xcalloc(count ? count : 1, sizeof(*t));
        for (unsigned i = 0; i < count; i++)
                t[i] = query_once(fd, &sa, argv[2], type, (uint16_t)(0x1234 + i), &rcode, addrs,
                                  &n);
        close(fd);
        if (count > 1) {
                qsort(t, count, sizeof(*t), cmp_double);
                printf("lookup_us median=%.1f p99=%.1f n=%u\n", t[count / 2] * 1e6,
                       t[count * 99 / 100] * 1e6, count);
        }
        printf("rcode=%d", rcode);
        for (size_t i = 0; i < n; i++) {
                char s[NET_IP4_STRLEN];

                net_ip4_format(addrs[i], s);
                printf(" %s", s);
        }
        putchar('\n');
        return 0;
}

static int
bound_socket(const struct sockaddr_in *sa, int type)
{
        int one = 1;
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

        if (fd < 0)
                die("socket: %s", strerror(errno));
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
                die("bind: %s", strerror(errno));
        if (type == SOCK_STREAM && listen(fd, 64) < 0)
                die("listen: %s", strerror(errno));
        return fd;
}

/* fake_answer: A ip for any name, NXDOMAIN for names starting with "nx". */
static int
fake_answer(const uint8_t *q, size_t len, uint32_t ip, uint8_t *out)
{
        struct net_dns_question qq;
        struct net_dns_table *t;
        int n;

        if (net_dns_parse_query(q, len, &qq) < 0)
                return -1;
        if (strncmp(qq.name, "nx", 2) == 0)
                return net_dns_error_reply(q, len, DNS_RCODE_NXDOMAIN, out, 512);
        t = net_dns_table_new();
        net_dns_table_add(t, qq.name, ip);
        n = net_dns_answer(t, &qq, q, 0, out, 512);
        net_dns_table_free(t);
        return n;
}

static int
cmd_fake_upstream(int argc, char **argv)
{
        struct sockaddr_in sa;
        uint32_t ip;
        int fd;

        need(argc, 3, "fake-upstream ADDR:PORT IP [--ready FILE]");
        sa = sa_arg(argv[1]);
        ip = ip_arg(argv[2]);
        fd = bound_socket(&sa, SOCK_DGRAM);
        ready(argc > 4 && strcmp(argv[3], "--ready") == 0 ? argv[4] : NULL);
        for (;;) {
                uint8_t q[DNS_FWD_MAX], out[512];
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
                int a = n > 0 ? fake_answer(q, (size_t)n, ip, out) : -1;

                if (a > 0)
                        sendto(fd, out, (size_t)a, 0, (struct sockaddr *)&from, fl);
        }
        return 0;
}

/* ---- tcp/udp peers ---------------------------------------------------------------------- */

static void
fmt_sa(const struct sockaddr_in *sa, char *out, size_t n)
{
        char ip[NET_IP4_STRLEN];

        net_ip4_format(ntohl(sa->sin_addr.s_addr), ip);
        snprintf(out, n, "%s:%u", ip, ntohs(sa->sin_port));
}

static int
cmd_hello_serve(int argc, char **argv)
{
        bool udp = argc > 2 && strcmp(argv[2], "--udp") == 0;
        const char *rf = NULL;
        struct sockaddr_in sa;
        int fd;

        need(argc, 2, "hello-serve ADDR:PORT [--udp] [--ready FILE]");
        for (int i = 2; i < argc; i++)
                if (strcmp(argv[i], "--ready") == 0)
                        rf = opt(argc, argv, &i);
        sa = sa_arg(argv[1]);
        fd = bound_socket(&sa, udp ? SOCK_DGRAM : SOCK_STREAM);
        ready(rf);
        for (;;) {
                struct sockaddr_in peer;
                socklen_t pl = sizeof(peer);
                char line[96], p[32];
                char buf[64];
                int c = -1;

                if (udp && recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl) < 0)
                        continue;
                if (!udp && (c = accept4(fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC)) < 0)
                        continue;
                fmt_sa(&peer, p, sizeof(p));
                snprintf(line, sizeof(line), "hello peer=%s\n", p);
                if (udp) {
                        sendto(fd, line, strlen(line), 0, (struct sockaddr *)&peer, pl);
                        continue;
                }
                if (write(c, line, strlen(line)) < 0)
                        fprintf(stderr, "net-probe: hello: write: %s\n", strerror(errno));
                close(c);
        }
        return 0;
}

static int
cmd_hello(int argc, char **argv)
{
        bool udp = argc > 2 && strcmp(argv[2], "--udp") == 0;
        struct sockaddr_in sa;
        struct pollfd p;
        char buf[128];
        ssize_t n;
        int fd;

        need(argc, 2, "hello ADDR:PORT [--udp]");
        sa = sa_arg(argv[1]);
        fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        /* connect(2) gives up after SO_SNDTIMEO: a blocked path fails in 3 s, not minutes */
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){3, 0}, sizeof(struct timeval));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                die("connect: %s", strerror(errno));
        if (udp && send(fd, "hi", 2, 0) < 0)
                die("send: %s", strerror(errno));
        p = (struct pollfd){fd, POLLIN, 0};
        if (poll(&p, 1, 3000) <= 0)
                die("no answer");
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                die("read: %s", n < 0 ? strerror(errno) : "closed");
        buf[n] = '\0';
        fputs(buf, stdout);
        close(fd);
        return 0;
}

static int
cmd_sink_serve(int argc, char **argv)
{
        static char buf[1 << 20];
        struct sockaddr_in sa;
        int fd;

        need(argc, 2, "sink-serve ADDR:PORT [--ready FILE]");
        sa = sa_arg(argv[1]);
        fd = bound_socket(&sa, SOCK_STREAM);
        ready(argc > 3 && strcmp(argv[2], "--ready") == 0 ? argv[3] : NULL);
        for (;;) {
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                unsigned long long total = 0;
                ssize_t n;
                char line[32];

                if (c < 0)
                        continue;
                while ((n = read(c, buf, sizeof(buf))) > 0)
                        total += (unsigned long long)n;
                snprintf(line, sizeof(line), "%llu\n", total);
                if (write(c, line, strlen(line)) < 0)
                        fprintf(stderr, "net-probe: sink: write: %s\n", strerror(errno));
                close(c);
        }
        return 0;
}

static int
cmd_xfer(int argc, char **argv)
{
        static char buf[1 << 20];
        struct sockaddr_in sa;
        unsigned mib;
        char line[32] = {0};
        double t0, dt;
        int fd;

        need(argc, 3, "xfer ADDR:PORT MIB");
        sa = sa_arg(argv[1]);
        mib = uint_arg(argv[2], 1u << 20);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                die("connect: %s", strerror(errno));
        t0 = now_s();
        for (unsigned i = 0; i < mib; i++) {
                for (size_t off = 0; off < sizeof(buf);) {
                        ssize_t w = write(fd, buf + off, sizeof(buf) - off);

                        if (w < 0)
                                die("write: %s", strerror(errno));
                        off += (size_t)w;
                }
        }
        shutdown(fd, SHUT_WR);
        if (read(fd, line, sizeof(line) - 1) <= 0)
                die("no byte count from the sink");
        dt = now_s() - t0;
        {
                char *end;
                unsigned long long got;

                errno = 0;
                got = strtoull(line, &end, 10);
                if (errno || end == line || got != (unsigned long long)mib << 20)
                        die("sink got '%s' bytes, sent %u MiB", line, mib);
        }
        printf("xfer_mib_s=%.0f mib=%u seconds=%.3f\n", mib / dt, mib, dt);
        close(fd);
        return 0;
}

/* splice-proxy: a userland proxy in the docker-proxy style but moving bytes with splice(2)
 * (socket -> pipe -> socket, no copies to user space), one connection at a time: the bench
 * compares it with nftables DNAT. */
static bool
pump(int from, int pipe_r, int pipe_w, int to, bool *eof)
{
        ssize_t n = splice(from, NULL, pipe_w, NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

        if (n == 0) {
                *eof = true;
                shutdown(to, SHUT_WR);
                return true;
        }
        if (n < 0)
                return errno == EAGAIN;
        while (n > 0) {
                ssize_t w = splice(pipe_r, NULL, to, NULL, (size_t)n, SPLICE_F_MOVE);

                if (w <= 0)
                        return false;
                n -= w;
        }
        return true;
}

static void
proxy_one(int c, const struct sockaddr_in *target)
{
        int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int up[2], down[2];
        bool eof_c = false, eof_t = false, alive = true;

        if (connect(t, (const struct sockaddr *)target, sizeof(*target)) < 0 ||
            pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
                die("proxy: %s", strerror(errno));
        while (alive && !(eof_c && eof_t)) {
                struct pollfd p[2] = {{c, eof_c ? 0 : POLLIN, 0}, {t, eof_t ? 0 : POLLIN, 0}};

                if (poll(p, 2, -1) < 0)
                        break;
                if (p[0].revents)
                        alive = pump(c, up[0], up[1], t, &eof_c);
                if (alive && p[1].revents)
                        alive = pump(t, down[0], down[1], c, &eof_t);
        }
        close(up[0]);
        close(up[1]);
        close(down[0]);
        close(down[1]);
        close(t);
        close(c);
}

static int
cmd_splice_proxy(int argc, char **argv)
{
        struct sockaddr_in sa, target;
        int fd;

        need(argc, 3, "splice-proxy LISTEN:PORT TARGET:PORT [--ready FILE]");
        sa = sa_arg(argv[1]);
        target = sa_arg(argv[2]);
        fd = bound_socket(&sa, SOCK_STREAM);
        ready(argc > 4 && strcmp(argv[3], "--ready") == 0 ? argv[4] : NULL);
        for (;;) {
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

                if (c >= 0)
                        proxy_one(c, &target);
        }
        return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

static const struct {
        const char *name;
        int (*fn)(int, char **);
} cmds[] = {
        {"bridge-up", cmd_bridge_up},     {"bridge-down", cmd_bridge_down},
        {"attach", cmd_attach},           {"detach", cmd_detach},
        {"lo-up", cmd_lo_up},             {"host-prefixes", cmd_host_prefixes},
        {"ifname", cmd_ifname},           {"bench-attach", cmd_bench_attach},
        {"ipam-create", cmd_ipam_create}, {"ipam-lease", cmd_ipam_lease},
        {"ipam-release", cmd_ipam_release}, {"ipam-rm", cmd_ipam_rm},
        {"ipam-ls", cmd_ipam_ls},         {"nat-net", cmd_nat_net},
        {"nat-net-rm", cmd_nat_net_rm},   {"nat-ports", cmd_nat_ports},
        {"nat-port-get", cmd_nat_port_get}, {"nat-ports-rm", cmd_nat_ports_rm},
        {"nat-apply", cmd_nat_apply},     {"port-parse", cmd_port_parse},
        {"dns-serve", cmd_dns_serve},     {"dns-query", cmd_dns_query},
        {"fake-upstream", cmd_fake_upstream}, {"hello-serve", cmd_hello_serve},
        {"hello", cmd_hello},             {"sink-serve", cmd_sink_serve},
        {"xfer", cmd_xfer},               {"splice-proxy", cmd_splice_proxy},
};

int
main(int argc, char **argv)
{
        if (argc < 2)
                die("usage: net-probe COMMAND ARGS... (see the comment in net_probe.c)");
        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
                if (strcmp(argv[1], cmds[i].name) == 0)
                        return cmds[i].fn(argc - 1, argv + 1);
        }
        die("unknown command '%s'", argv[1]);
}
