/* ports: the `docker run -p` syntax, `[ip:][host[-end]:]container[-end][/tcp|udp|sctp]`,
 * as docker's nat.ParsePortSpec reads it:
 *   "80"                   container 80, any free host port, every host address
 *   "8080:80/udp"          host 8080 -> container 80, udp
 *   "127.0.0.1:8080:80"    only on 127.0.0.1
 *   "127.0.0.1::80"        any free host port on 127.0.0.1
 *   "8000-8010:80-90"      1:1 ranges (same length)
 *   "8000-8010:80"         one free host port of 8000-8010
 * and `docker port`'s output, "80/tcp -> 0.0.0.0:8080". */
#include "net/net.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"

#define SPEC_MAX 128

static int
parse_port(const char *s, size_t n, bool zero_ok, uint16_t *ret)
{
        unsigned v = 0;

        if (n == 0 || n > 5)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (v > 65535 || (v == 0 && !zero_ok))
                return -EINVAL;
        *ret = (uint16_t)v;
        return 0;
}

/* parse_range: "80" or "80-90" (start <= end). */
static int
parse_range(const char *s, size_t n, bool zero_ok, uint16_t *lo, uint16_t *hi)
{
        const char *dash = memchr(s, '-', n);

        if (!dash) {
                if (parse_port(s, n, zero_ok, lo) < 0)
                        return -EINVAL;
                *hi = *lo;
                return 0;
        }
        if (parse_port(s, (size_t)(dash - s), false, lo) < 0 ||
            parse_port(dash + 1, n - (size_t)(dash - s) - 1, false, hi) < 0 || *hi < *lo)
                return -EINVAL;
        return 0;
}

static int
parse_proto(const char *s, enum net_proto *ret)
{
        static const char *const names[] = {"tcp", "udp", "sctp"};

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                if (strcasecmp(s, names[i]) == 0) {
                        *ret = (enum net_proto)i;
                        return 0;
                }
        }
        return -EINVAL;
}

const char *
net_proto_name(enum net_proto p)
{
        return p == NET_PROTO_UDP ? "udp" : p == NET_PROTO_SCTP ? "sctp" : "tcp";
}

/* split_spec: the ip, host and container parts (ip and host may be empty). */
static int
split_spec(char *s, char **ip, char **host, char **ctr)
{
        char *c1 = strchr(s, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

        *ip = *host = NULL;
        if (!c1) {
                *ctr = s;
                return 0;
        }
        if (c2 && strchr(c2 + 1, ':'))
                return -EOPNOTSUPP; /* more colons: an IPv6 address */
        *c1 = '\0';
        if (!c2) {
                *host = s;
                *ctr = c1 + 1;
                return 0;
        }
        *c2 = '\0';
        *ip = s;
        *host = c1 + 1;
        *ctr = c2 + 1;
        return 0;
}

static int
fill_map(const char *ip, const char *host, const char *ctr, struct net_port_map *m)
{
        if (parse_range(ctr, strlen(ctr), false, &m->port, &m->port_end) < 0)
                return -EINVAL;
        if (host && *host) {
                if (parse_range(host, strlen(host), true, &m->host_port, &m->host_port_end) < 0)
                        return -EINVAL;
        }
        if (m->host_port == 0 && m->host_port_end != 0)
                return -EINVAL;
        if (ip && *ip && strcmp(ip, "0.0.0.0") != 0 && net_ip4_parse(ip, &m->host_ip, NULL) < 0)
                return -EINVAL;
        return 0;
}

int
net_port_parse(const char *spec, struct net_port_map *ret, struct err *err)
{
        char buf[SPEC_MAX];
        char *ip, *host, *ctr, *slash;
        struct net_port_map m = {0};
        int r;

        if (strlen(spec) >= sizeof(buf))
                return err_setf(err, -EINVAL, "invalid port '%.32s...': too long", spec);
        memcpy(buf, spec, strlen(spec) + 1);
        slash = strrchr(buf, '/');
        if (slash) {
                *slash = '\0';
                if (parse_proto(slash + 1, &m.proto) < 0)
                        return err_setf(err, -EINVAL, "invalid port '%s': unknown protocol '%s'",
                                        spec, slash + 1);
        }
        if (buf[0] == '[' || (r = split_spec(buf, &ip, &host, &ctr)) == -EOPNOTSUPP)
                return err_setf(err, -EOPNOTSUPP,
                                "invalid port '%s': IPv6 host addresses are not supported", spec);
        if (fill_map(ip, host, ctr, &m) < 0)
                return err_setf(err, -EINVAL,
                                "invalid port '%s': want [ip:][host[-end]:]container[-end][/proto]",
                                spec);
        if (m.host_port && m.host_port_end - m.host_port != m.port_end - m.port &&
            m.port != m.port_end)
                return err_setf(err, -EINVAL,
                                "invalid port '%s': host and container ranges differ in length",
                                spec);
        *ret = m;
        return 0;
}

void
net_port_format(const struct net_port_map *m, struct sbuf *out)
{
        char ip[NET_IP4_STRLEN];

        net_ip4_format(m->host_ip, ip);
        for (unsigned i = 0; i <= (unsigned)(m->port_end - m->port); i++)
                sbuf_addf(out, "%u/%s -> %s:%u\n", m->port + i, net_proto_name(m->proto), ip,
                          m->host_port + i);
}
