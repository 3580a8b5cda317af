/* addr: IPv4 addresses and prefixes in host byte order, in the dotted-quad text form that
 * docker and compose files write ("172.18.0.0/16"). Strict on input: four decimal octets
 * without leading zeros (inet_aton would read "010" as octal and "1.2" as 1.0.0.2). Also the
 * stable interface names derived from ids (net_ifname). */
#include "net/net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/sha256.h"

static int
parse_octet(const char **p, unsigned *ret)
{
        const char *s = *p;
        unsigned v = 0;
        int n = 0;

        while (*s >= '0' && *s <= '9' && n < 4) {
                v = v * 10 + (unsigned)(*s - '0');
                s++;
                n++;
        }
        if (n == 0 || n > 3 || v > 255 || (n > 1 && **p == '0'))
                return -EINVAL;
        *p = s;
        *ret = v;
        return 0;
}

static int
parse_quad(const char *s, size_t len, uint32_t *ret)
{
        char buf[NET_IP4_STRLEN];
        const char *p = buf;
        uint32_t a = 0;

        if (len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        for (int i = 0; i < 4; i++) {
                unsigned o;

                if (parse_octet(&p, &o) < 0)
                        return -EINVAL;
                a = (a << 8) | o;
                if (i < 3 && *p++ != '.')
                        return -EINVAL;
        }
        if (*p)
                return -EINVAL;
        *ret = a;
        return 0;
}

int
net_ip4_parse(const char *s, uint32_t *ret, struct err *err)
{
        if (parse_quad(s, strlen(s), ret) < 0)
                return err_setf(err, -EINVAL, "invalid IPv4 address '%s'", s);
        return 0;
}

void
net_ip4_format(uint32_t a, char out[NET_IP4_STRLEN])
{
        snprintf(out, NET_IP4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                 a & 255);
}

int
net_prefix_parse(const char *s, struct net_prefix *ret, struct err *err)
{
        const char *slash = strchr(s, '/');
        const char *l;
        unsigned len = 0;
        uint32_t a;

        if (!slash || parse_quad(s, (size_t)(slash - s), &a) < 0)
                return err_setf(err, -EINVAL, "invalid IPv4 prefix '%s'", s);
        l = slash + 1;
        if (!*l || strlen(l) > 2 || (l[0] == '0' && l[1]))
                return err_setf(err, -EINVAL, "invalid IPv4 prefix '%s'", s);
        for (; *l; l++) {
                if (*l < '0' || *l > '9')
                        return err_setf(err, -EINVAL, "invalid IPv4 prefix '%s'", s);
                len = len * 10 + (unsigned)(*l - '0');
        }
        if (len > 32)
                return err_setf(err, -EINVAL, "invalid IPv4 prefix '%s': length above 32", s);
        ret->addr = a;
        ret->len = (uint8_t)len;
        return 0;
}

void
net_prefix_format(const struct net_prefix *p, char out[NET_PFX_STRLEN])
{
        char a[NET_IP4_STRLEN];

        net_ip4_format(p->addr, a);
        snprintf(out, NET_PFX_STRLEN, "%s/%u", a, p->len > 32 ? 32u : (unsigned)p->len);
}

uint32_t
net_prefix_mask(uint8_t len)
{
        return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1);
}

struct net_prefix
net_prefix_network(struct net_prefix p)
{
        p.addr &= net_prefix_mask(p.len);
        return p;
}

bool
net_prefix_is_network(const struct net_prefix *p)
{
        return (p->addr & ~net_prefix_mask(p->len)) == 0;
}

bool
net_prefix_contains(const struct net_prefix *p, uint32_t addr)
{
        uint32_t m = net_prefix_mask(p->len);

        return (addr & m) == (p->addr & m);
}

bool
net_prefix_overlaps(const struct net_prefix *a, const struct net_prefix *b)
{
        /* two prefixes overlap exactly when the shorter one contains the longer one */
        return a->len <= b->len ? net_prefix_contains(a, b->addr) : net_prefix_contains(b, a->addr);
}

uint32_t
net_prefix_broadcast(const struct net_prefix *p)
{
        return (p->addr & net_prefix_mask(p->len)) | ~net_prefix_mask(p->len);
}

void
net_ifname(const char *prefix, const char *id, char out[NET_IFNAMSIZ])
{
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        size_t pl = strnlen(prefix, NET_IFNAMSIZ - 2);

        /* a hash, not a prefix of id: two ids sharing their first characters (compose's
         * "proj_web_1" and "proj_web_2") must not share a name */
        sha256_buf(id, strlen(id), d);
        sha256_hex(d, hex);
        memcpy(out, prefix, pl);
        memcpy(out + pl, hex, NET_IFNAMSIZ - 1 - pl);
        out[NET_IFNAMSIZ - 1] = '\0';
}
