/* netlink_ns: addresses and routes, in the host netns (the bridge's gateway address) and
 * inside a container's netns, through rtnetlink (libnl-route-3).
 *
 * Messages: RTM_GETADDR (dump) + RTM_DELADDR for stale addresses, RTM_NEWADDR
 * (NLM_F_CREATE|NLM_F_REPLACE, so a retry is not an error), RTM_GETLINK by name,
 * RTM_NEWLINK (change: IFF_UP on "lo"), RTM_NEWROUTE (0.0.0.0/0 via the gateway, main table,
 * NLM_F_REPLACE).
 *
 * A netlink socket belongs to the netns it was created in, whatever thread uses it later;
 * so to talk to a container's netns the calling thread setns()es there for the socket(2)
 * call only and comes straight back. Only the calling thread moves (setns(2) on a
 * multi-threaded process), and it is back before any other work happens.
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "base/cleanup.h"
#include "net/nl.h"

static void
route_put_p(struct rtnl_route **p)
{
        if (*p)
                rtnl_route_put(*p);
}
static void
raddr_put_p(struct rtnl_addr **p)
{
        if (*p)
                rtnl_addr_put(*p);
}
#define cleanup_nlroute __attribute__((cleanup(route_put_p)))
#define cleanup_nlraddr __attribute__((cleanup(raddr_put_p)))

int
net_nl_ns_socket(int nsfd, struct nl_sock **ret, struct err *err)
{
        cleanup_close int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int r;

        if (self < 0)
                return err_setf(err, -errno, "open own network namespace: %s", strerror(errno));
        if (setns(nsfd, CLONE_NEWNET) < 0)
                return err_setf(err, -errno, "enter network namespace: %s", strerror(errno));
        r = net_nl_socket(ret, err);
        if (setns(self, CLONE_NEWNET) < 0) {
                /* going on in the container's netns would configure the wrong host */
                fprintf(stderr, "berth: return to own network namespace: %s\n", strerror(errno));
                abort();
        }
        return r;
}

static int
addr_add(struct nl_sock *sk, int ifindex, uint32_t addr, uint8_t len, struct err *err)
{
        cleanup_nlraddr struct rtnl_addr *a = rtnl_addr_alloc();
        cleanup_nladdr struct nl_addr *local = net_nl_ip4(addr, len);
        cleanup_nladdr struct nl_addr *brd = NULL;
        char s[NET_PFX_STRLEN];
        int r;

        if (!a)
                abort();
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_family(a, AF_INET);
        rtnl_addr_set_local(a, local);
        rtnl_addr_set_prefixlen(a, len);
        if (len < 31) {
                brd = net_nl_ip4(net_prefix_broadcast(&(struct net_prefix){addr, len}), 32);
                rtnl_addr_set_broadcast(a, brd);
        }
        r = rtnl_addr_add(sk, a, NLM_F_REPLACE);
        if (r < 0) {
                net_prefix_format(&(struct net_prefix){addr, len}, s);
                return err_setf(err, net_nl_errno(r), "add address %s: %s", s, nl_geterror(r));
        }
        return 0;
}

struct addr_scan {
        struct nl_sock *sk;
        int ifindex;
        uint32_t want;
        uint8_t len;
        bool have;
        int r;
};

static void
addr_scan_cb(struct nl_object *obj, void *arg)
{
        struct addr_scan *s = arg;
        struct rtnl_addr *a = (struct rtnl_addr *)obj;
        struct nl_addr *local = rtnl_addr_get_local(a);
        uint32_t be;
        int r;

        if (rtnl_addr_get_ifindex(a) != s->ifindex || rtnl_addr_get_family(a) != AF_INET ||
            !local || nl_addr_get_len(local) != 4)
                return;
        memcpy(&be, nl_addr_get_binary_addr(local), 4);
        if (ntohl(be) == s->want && rtnl_addr_get_prefixlen(a) == s->len) {
                s->have = true;
                return;
        }
        r = rtnl_addr_delete(s->sk, a, 0);
        if (r < 0 && s->r == 0)
                s->r = net_nl_errno(r);
}

int
net_nl_set_addr(struct nl_sock *sk, int ifindex, uint32_t addr, uint8_t len, struct err *err)
{
        cleanup_nlcache struct nl_cache *cache = NULL;
        struct addr_scan s = {.sk = sk, .ifindex = ifindex, .want = addr, .len = len};
        int r = rtnl_addr_alloc_cache(sk, &cache);

        if (r < 0)
                return err_setf(err, net_nl_errno(r), "list addresses: %s", nl_geterror(r));
        nl_cache_foreach(cache, addr_scan_cb, &s);
        if (s.r < 0)
                return err_setf(err, s.r, "remove stale address: %s", strerror(-s.r));
        return s.have ? 0 : addr_add(sk, ifindex, addr, len, err);
}

static int
link_up(struct nl_sock *nsk, struct rtnl_link *link, struct err *err)
{
        cleanup_nllink struct rtnl_link *chg = rtnl_link_alloc();
        int r;

        if (!chg)
                abort();
        if (rtnl_link_get_flags(link) & IFF_UP)
                return 0;
        rtnl_link_set_flags(chg, IFF_UP);
        r = rtnl_link_change(nsk, link, chg, 0);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "bring up '%s': %s",
                                rtnl_link_get_name(link), nl_geterror(r));
        return 0;
}

static int
lo_up(struct nl_sock *nsk, struct err *err)
{
        cleanup_nllink struct rtnl_link *lo = NULL;
        int r = net_nl_link_get(nsk, "lo", &lo, err);

        if (r < 0)
                return r == -ENODEV ? err_setf(err, r, "network namespace has no 'lo'") : r;
        return link_up(nsk, lo, err);
}

static int
default_route(struct nl_sock *nsk, int ifindex, uint32_t gateway, struct err *err)
{
        cleanup_nlroute struct rtnl_route *rt = rtnl_route_alloc();
        cleanup_nladdr struct nl_addr *dst = net_nl_ip4(0, 0);
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        char gw[NET_IP4_STRLEN];
        int r;

        if (!rt || !nh)
                abort();
        rtnl_route_set_family(rt, AF_INET);
        rtnl_route_set_dst(rt, dst);
        rtnl_route_set_table(rt, RT_TABLE_MAIN);
        rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
        rtnl_route_set_protocol(rt, RTPROT_STATIC);
        {
                cleanup_nladdr struct nl_addr *g = net_nl_ip4(gateway, 32);

                rtnl_route_nh_set_gateway(nh, g);
        }
        if (ifindex > 0) /* else the kernel finds the link from the gateway's route */
                rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_add_nexthop(rt, nh); /* rt owns nh now */
        r = rtnl_route_add(nsk, rt, NLM_F_REPLACE);
        if (r < 0) {
                net_ip4_format(gateway, gw);
                return err_setf(err, net_nl_errno(r), "add default route via %s: %s", gw,
                                nl_geterror(r));
        }
        return 0;
}

int
net_nl_ns_configure(struct nl_sock *nsk, const char *ifname, uint32_t addr, uint8_t len,
                    uint32_t gateway, struct err *err)
{
        cleanup_nllink struct rtnl_link *link = NULL;
        int r = lo_up(nsk, err);

        if (r < 0)
                return r;
        r = net_nl_link_get(nsk, ifname, &link, err);
        if (r < 0)
                return r == -ENODEV ? err_setf(err, r, "'%s' missing in the network namespace",
                                               ifname)
                                    : r;
        /* the link was born in this call, so it has no address to replace */
        r = addr_add(nsk, rtnl_link_get_ifindex(link), addr, len, err);
        if (r == 0)
                r = link_up(nsk, link, err);
        if (r == 0 && gateway)
                r = default_route(nsk, rtnl_link_get_ifindex(link), gateway, err);
        return r;
}

int
net_netns_lo_up(const char *netns_path, int netns_fd, struct err *err)
{
        cleanup_nlsock struct nl_sock *nsk = NULL;
        cleanup_close int fd = -1;
        int r;

        if (netns_path) {
                fd = open(netns_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return err_setf(err, -errno, "open network namespace '%s': %s",
                                        netns_path, strerror(errno));
                netns_fd = fd;
        }
        r = net_nl_ns_socket(netns_fd, &nsk, err);
        if (r < 0)
                return r;
        return lo_up(nsk, err);
}

int
net_netns_default_route(const char *netns_path, uint32_t gateway, struct err *err)
{
        cleanup_nlsock struct nl_sock *nsk = NULL;
        cleanup_close int fd = open(netns_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        int r;

        if (fd < 0)
                return err_setf(err, -errno, "open network namespace '%s': %s", netns_path,
                                strerror(errno));
        r = net_nl_ns_socket(fd, &nsk, err);
        if (r < 0)
                return r;
        return default_route(nsk, 0, gateway, err);
}
