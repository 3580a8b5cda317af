/* nat_ports: host ports for published ports, as docker assigns them: a fixed port must be
 * free, `-p 80` takes a free port of the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range), `-p 8000-8010:80` the first free port of its range.
 * "Free" means published by no other berth container (DNAT rules would clash) and bindable
 * on the host right now (a process listening there would be shadowed by the DNAT). Ports of
 * the same owner are not a conflict: publishing again replaces them.
 */
#include "net/nat_ports.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include "base/alloc.h"
#include "base/cleanup.h"

struct outv {
        struct net_port_map *v;
        size_t n, cap, ports;
};

bool
net_nat_port_bind_probe(void *ctx, uint32_t ip, enum net_proto proto, uint16_t port)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(ip)};
        int type = proto == NET_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
        int p = proto == NET_PROTO_SCTP ? IPPROTO_SCTP : 0;
        cleanup_close int fd = socket(AF_INET, type | SOCK_CLOEXEC, p);

        (void)ctx;
        if (fd < 0 && proto == NET_PROTO_SCTP)
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* no sctp module */
        if (fd < 0)
                return true; /* cannot tell: let nft decide */
        return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EADDRINUSE;
}

static bool
map_has(const struct net_port_map *m, uint32_t ip, enum net_proto proto, uint16_t port)
{
        return m->proto == proto && (m->host_ip == 0 || ip == 0 || m->host_ip == ip) &&
               port >= m->host_port && port <= m->host_port_end && m->host_port != 0;
}

/* published_by: the owner publishing ip/proto/port, or NULL. */
static const char *
published_by(const struct net_nat_state *st, const char *owner, const struct outv *out,
             uint32_t ip, enum net_proto proto, uint16_t port)
{
        for (size_t i = 0; i < out->n; i++) {
                if (map_has(&out->v[i], ip, proto, port))
                        return owner;
        }
        for (size_t i = 0; i < st->n_ports; i++) {
                if (strcmp(st->ports[i].owner, owner) == 0)
                        continue;
                for (size_t j = 0; j < st->ports[i].n; j++) {
                        if (map_has(&st->ports[i].maps[j], ip, proto, port))
                                return st->ports[i].owner;
                }
        }
        return NULL;
}

/* check_cap: refuse before probing thousands of ports. */
static int
check_cap(const struct outv *out, const struct net_port_map *m, struct err *err)
{
        size_t k = (size_t)(m->port_end - m->port) + 1;

        if (out->ports + k > NET_PORTS_MAX)
                return err_setf(err, -E2BIG, "more than %d published ports", NET_PORTS_MAX);
        return 0;
}

static void
push(struct outv *out, const struct net_port_map *m)
{
        GROW(out->v, out->cap, out->n + 1);
        out->v[out->n++] = *m;
        out->ports += (size_t)(m->port_end - m->port) + 1;
}

struct ctx {
        const struct net_nat_state *st;
        const char *owner;
        net_nat_port_probe probe;
        void *pctx;
        struct outv *out;
};

static int
port_busy(const struct ctx *c, const struct net_port_map *m, uint16_t port, struct err *err)
{
        char ip[NET_IP4_STRLEN];
        const char *who = published_by(c->st, c->owner, c->out, m->host_ip, m->proto, port);

        net_ip4_format(m->host_ip, ip);
        if (who && strcmp(who, c->owner) == 0)
                return err_setf(err, -EADDRINUSE, "publish %s:%u/%s: published twice", ip, port,
                                net_proto_name(m->proto));
        if (who)
                return err_setf(err, -EADDRINUSE,
                                "publish %s:%u/%s: port is already allocated to '%s'", ip, port,
                                net_proto_name(m->proto), who);
        if (!c->probe(c->pctx, m->host_ip, m->proto, port))
                return err_setf(err, -EADDRINUSE,
                                "publish %s:%u/%s: address already in use on the host", ip,
                                port, net_proto_name(m->proto));
        return 0;
}

static int
resolve_fixed(const struct ctx *c, const struct net_port_map *m, struct err *err)
{
        if (check_cap(c->out, m, err) < 0)
                return -E2BIG;
        for (unsigned k = 0; k <= (unsigned)(m->host_port_end - m->host_port); k++) {
                int r = port_busy(c, m, (uint16_t)(m->host_port + k), err);

                if (r < 0)
                        return r;
        }
        push(c->out, m);
        return 0;
}

/* pick: the first port of [lo, hi] after start (wrapping) that is free. */
static int
pick(const struct ctx *c, struct net_port_map *m, uint16_t lo, uint16_t hi, uint32_t start)
{
        uint32_t size = (uint32_t)hi - lo + 1;

        for (uint32_t i = 0; i < size; i++) {
                uint16_t p = (uint16_t)(lo + (start + i) % size);

                if (port_busy(c, m, p, NULL) == 0) {
                        m->host_port = m->host_port_end = p;
                        return 0;
                }
        }
        return -EADDRINUSE;
}

static void
ephemeral_range(uint16_t *lo, uint16_t *hi)
{
        cleanup_fclose FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
        unsigned a, b;

        *lo = 32768;
        *hi = 60999;
        if (f && fscanf(f, "%u %u", &a, &b) == 2 && a >= 1024 && a <= b && b <= 65535) {
                *lo = (uint16_t)a;
                *hi = (uint16_t)b;
        }
}

static int
resolve_random(const struct ctx *c, const struct net_port_map *m, uint32_t seed,
               struct err *err)
{
        char ip[NET_IP4_STRLEN];
        uint16_t lo, hi;
        bool in_range = m->host_port != 0;

        if (check_cap(c->out, m, err) < 0)
                return -E2BIG;
        ephemeral_range(&lo, &hi);
        if (in_range) {
                lo = m->host_port;
                hi = m->host_port_end;
                seed = 0;
        }
        for (unsigned k = 0; k <= (unsigned)(m->port_end - m->port); k++) {
                struct net_port_map one = *m;

                one.port = one.port_end = (uint16_t)(m->port + k);
                if (pick(c, &one, lo, hi, seed + k) < 0) {
                        net_ip4_format(m->host_ip, ip);
                        return err_setf(err, -EADDRINUSE,
                                        "publish %s:%u-%u/%s: no free host port left", ip, lo, hi,
                                        net_proto_name(m->proto));
                }
                push(c->out, &one);
        }
        return 0;
}

int
net_nat_ports_resolve(const struct net_nat_state *st, const char *owner,
                      const struct net_port_map *maps, size_t n, net_nat_port_probe probe,
                      void *pctx, uint32_t seed, struct net_port_map **ret, size_t *ret_n,
                      struct err *err)
{
        struct outv out = {0};
        struct ctx c = {st, owner, probe, pctx, &out};
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++) {
                const struct net_port_map *m = &maps[i];
                bool random = m->host_port == 0 ||
                              (m->host_port != m->host_port_end && m->port == m->port_end);

                if (m->port == 0 || m->port_end < m->port)
                        r = err_setf(err, -EINVAL, "publish: invalid container port");
                else if (random)
                        r = resolve_random(&c, m, seed, err);
                else if (m->host_port_end - m->host_port != m->port_end - m->port)
                        r = err_setf(err, -EINVAL, "publish: host and container ranges differ");
                else
                        r = resolve_fixed(&c, m, err);
        }
        if (r < 0) {
                free(out.v);
                return r;
        }
        *ret = out.v;
        *ret_n = out.n;
        return 0;
}
