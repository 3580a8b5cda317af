/* netlink: bridges and veth pairs through rtnetlink (libnl-route-3).
 *
 * Messages sent (all NETLINK_ROUTE, acked):
 *   RTM_GETLINK   look a link up by IFLA_IFNAME (ownership checks: IFLA_LINKINFO kind,
 *                 IFLA_IFALIAS, IFLA_ADDRESS)
 *   RTM_NEWLINK   NLM_F_CREATE|NLM_F_EXCL: kind "bridge" with IFLA_ADDRESS, IFLA_MTU, IFF_UP;
 *                 kind "veth" with IFLA_MASTER, IFLA_MTU, IFF_UP and, nested in
 *                 VETH_INFO_PEER, the peer's IFLA_IFNAME ("eth0"), IFLA_NET_NS_FD, IFLA_MTU,
 *                 IFLA_ADDRESS: the peer is born inside the container's netns
 *                 under its final name, so there is no moment where a half-moved interface
 *                 sits in the host netns or clashes with the host's own eth0.
 *   RTM_NEWLINK   (change) IFLA_IFALIAS "berth", IFLA_MTU, IFF_UP on an existing bridge
 *   RTM_SETLINK   AF_BRIDGE, IFLA_PROTINFO { IFLA_BRPORT_MODE }: hairpin on the veth port
 *   RTM_DELLINK   bridge (after the veths still enslaved to it: the kernel would only
 *                 unenslave them) or veth host end (the kernel removes the peer with it)
 *   RTM_GETADDR / RTM_NEWADDR / RTM_DELADDR   the bridge's gateway address
 *   RTM_GETROUTE  dump, for IPAM to avoid every prefix already routed on the host
 *
 * Ownership: a berth bridge has the alias "berth" and a MAC derived from its name
 * (02:62:hash); either marks it ours, so a bridge created just before a crash (alias not yet
 * set) is still recognised and repaired by the next net_bridge_ensure().
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sha256.h"
#include "net/nl.h"

#define BERTH_ALIAS "berth"
#define MTU_MIN     68
#define MTU_MAX     65535

int
net_nl_errno(int nlerr)
{
        switch (nlerr < 0 ? -nlerr : nlerr) {
        case NLE_EXIST: return -EEXIST;
        case NLE_OBJ_NOTFOUND:
        case NLE_NODEV: return -ENODEV;
        case NLE_PERM: return -EPERM;
        case NLE_NOACCESS: return -EACCES;
        case NLE_BUSY: return -EBUSY;
        case NLE_INVAL: return -EINVAL;
        case NLE_RANGE: return -ERANGE;
        case NLE_NOMEM: return -ENOMEM;
        case NLE_OPNOTSUPP: return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
        case NLE_NOADDR: return -EADDRNOTAVAIL;
        default: return -EIO;
        }
}

int
net_nl_socket(struct nl_sock **ret, struct err *err)
{
        cleanup_nlsock struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return err_setf(err, -ENOMEM, "netlink socket: out of memory");
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "netlink socket: %s", nl_geterror(r));
        *ret = TAKE_PTR(sk);
        return 0;
}

struct nl_addr *
net_nl_ip4(uint32_t addr, uint8_t len)
{
        uint32_t be = htonl(addr);
        struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

        if (!a)
                abort(); /* out of memory, as xmalloc */
        nl_addr_set_prefixlen(a, len);
        return a;
}

int
net_nl_link_get(struct nl_sock *sk, const char *name, struct rtnl_link **ret, struct err *err)
{
        int r = rtnl_link_get_kernel(sk, 0, name, ret);

        if (r < 0) {
                r = net_nl_errno(r);
                if (r == -ENODEV)
                        return r;
                return err_setf(err, r, "look up interface '%s': %s", name, strerror(-r));
        }
        return 0;
}

static int
check_ifname(const char *what, const char *name, struct err *err)
{
        if (!name || !*name || strlen(name) >= NET_IFNAMSIZ || strchr(name, '/') ||
            strchr(name, ' '))
                return err_setf(err, -EINVAL, "invalid %s name '%s'", what, name ? name : "");
        return 0;
}

static void
bridge_mac(const char *name, uint8_t mac[6])
{
        uint8_t d[SHA256_DIGEST_SIZE];

        sha256_buf(name, strlen(name), d);
        mac[0] = 0x02; /* locally administered, unicast */
        mac[1] = 0x62;
        memcpy(mac + 2, d, 4);
}

static bool
is_berth_bridge(struct rtnl_link *link, const char *name)
{
        const char *type = rtnl_link_get_type(link);
        const char *alias = rtnl_link_get_ifalias(link);
        struct nl_addr *a = rtnl_link_get_addr(link);
        uint8_t mac[6];

        if (!type || strcmp(type, "bridge") != 0)
                return false;
        if (alias && strcmp(alias, BERTH_ALIAS) == 0)
                return true;
        bridge_mac(name, mac);
        return a && nl_addr_get_len(a) == 6 && memcmp(nl_addr_get_binary_addr(a), mac, 6) == 0;
}

static int
bridge_create(struct nl_sock *sk, const struct net_bridge_config *cfg, struct err *err)
{
        cleanup_nllink struct rtnl_link *link = rtnl_link_bridge_alloc();
        cleanup_nladdr struct nl_addr *mac = NULL;
        uint8_t m[6];
        int r;

        if (!link)
                abort();
        bridge_mac(cfg->name, m);
        mac = nl_addr_build(AF_LLC, m, sizeof(m));
        if (!mac)
                abort();
        rtnl_link_set_name(link, cfg->name);
        rtnl_link_set_addr(link, mac);
        rtnl_link_set_mtu(link, cfg->mtu ? cfg->mtu : 1500);
        r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "create bridge '%s': %s", cfg->name,
                                nl_geterror(r));
        return 0;
}

/* bridge_fix: alias, MTU and IFF_UP in one RTM_NEWLINK; a no-op message when all match. */
static int
bridge_fix(struct nl_sock *sk, struct rtnl_link *cur, unsigned mtu, struct err *err)
{
        cleanup_nllink struct rtnl_link *chg = rtnl_link_alloc();
        const char *alias = rtnl_link_get_ifalias(cur);
        int r;

        if (!chg)
                abort();
        if ((rtnl_link_get_flags(cur) & IFF_UP) && rtnl_link_get_mtu(cur) == mtu && alias &&
            strcmp(alias, BERTH_ALIAS) == 0)
                return 0;
        rtnl_link_set_ifalias(chg, BERTH_ALIAS);
        rtnl_link_set_mtu(chg, mtu);
        rtnl_link_set_flags(chg, IFF_UP);
        r = rtnl_link_change(sk, cur, chg, 0);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "configure bridge '%s': %s",
                                rtnl_link_get_name(cur), nl_geterror(r));
        return 0;
}

static int
check_bridge_config(const struct net_bridge_config *cfg, struct err *err)
{
        int r = check_ifname("bridge", cfg->name, err);

        if (r < 0)
                return r;
        if (cfg->gateway.len < 1 || cfg->gateway.len > 30)
                return err_setf(err, -EINVAL, "bridge '%s': subnet length /%u out of range",
                                cfg->name, (unsigned)cfg->gateway.len);
        if (cfg->mtu && (cfg->mtu < MTU_MIN || cfg->mtu > MTU_MAX))
                return err_setf(err, -EINVAL, "bridge '%s': mtu %u out of range", cfg->name,
                                cfg->mtu);
        return 0;
}

/* bridge_get_ours: the bridge, created when absent; -EEXIST when the name is foreign. */
static int
bridge_get_ours(struct nl_sock *sk, const struct net_bridge_config *cfg, struct rtnl_link **ret,
                struct err *err)
{
        int r = net_nl_link_get(sk, cfg->name, ret, err);

        if (r == -ENODEV) {
                r = bridge_create(sk, cfg, err);
                if (r < 0 && r != -EEXIST)
                        return r;
                err_clear(err);
                r = net_nl_link_get(sk, cfg->name, ret, err);
        }
        if (r < 0)
                return r == -ENODEV ? err_setf(err, r, "bridge '%s' vanished", cfg->name) : r;
        if (!is_berth_bridge(*ret, cfg->name)) {
                rtnl_link_put(*ret);
                *ret = NULL;
                return err_setf(err, -EEXIST,
                                "create bridge '%s': an interface of that name exists and is "
                                "not a berth bridge",
                                cfg->name);
        }
        return 0;
}

int
net_bridge_ensure(const struct net_bridge_config *cfg, struct err *err)
{
        cleanup_nlsock struct nl_sock *sk = NULL;
        cleanup_nllink struct rtnl_link *link = NULL;
        int r;

        r = check_bridge_config(cfg, err);
        if (r < 0)
                return r;
        r = net_nl_socket(&sk, err);
        if (r < 0)
                return r;
        r = bridge_get_ours(sk, cfg, &link, err);
        if (r < 0)
                return r;
        r = bridge_fix(sk, link, cfg->mtu ? cfg->mtu : 1500, err);
        if (r < 0)
                return r;
        r = net_nl_set_addr(sk, rtnl_link_get_ifindex(link), cfg->gateway.addr, cfg->gateway.len,
                            err);
        if (r < 0) {
                err_prefix(err, "bridge '%s'", cfg->name);
                return r;
        }
        return 0;
}

static bool
is_veth(struct rtnl_link *link, const char *name)
{
        const char *type = rtnl_link_get_type(link);

        (void)name;
        return type && strcmp(type, "veth") == 0;
}

/* delete_link_if: delete name when pred(link) holds; absent is success, else -EPERM. */
static int
delete_link_if(const char *what, const char *name, bool (*pred)(struct rtnl_link *, const char *),
               struct err *err)
{
        cleanup_nlsock struct nl_sock *sk = NULL;
        cleanup_nllink struct rtnl_link *link = NULL;
        int r;

        r = check_ifname(what, name, err);
        if (r < 0)
                return r;
        r = net_nl_socket(&sk, err);
        if (r < 0)
                return r;
        r = net_nl_link_get(sk, name, &link, err);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return r;
        if (!pred(link, name))
                return err_setf(err, -EPERM, "remove %s '%s': not a berth %s", what, name, what);
        r = rtnl_link_delete(sk, link);
        if (r < 0 && net_nl_errno(r) != -ENODEV)
                return err_setf(err, net_nl_errno(r), "remove %s '%s': %s", what, name,
                                nl_geterror(r));
        return 0;
}

struct port_scan {
        struct nl_sock *sk;
        int master;
        int r;
};

static void
port_scan_cb(struct nl_object *obj, void *arg)
{
        struct port_scan *ps = arg;
        struct rtnl_link *l = (struct rtnl_link *)obj;
        int r;

        if (rtnl_link_get_master(l) != ps->master || !is_veth(l, NULL))
                return;
        r = rtnl_link_delete(ps->sk, l);
        if (r < 0 && net_nl_errno(r) != -ENODEV && ps->r == 0)
                ps->r = net_nl_errno(r);
}

/* delete_ports: the veths still enslaved to the bridge (endpoints a crash left behind; the
 * kernel would only unenslave them). Other kinds of ports are not berth's. */
static int
delete_ports(const char *name, struct err *err)
{
        cleanup_nlsock struct nl_sock *sk = NULL;
        cleanup_nllink struct rtnl_link *br = NULL;
        cleanup_nlcache struct nl_cache *cache = NULL;
        struct port_scan ps = {0};
        int r = net_nl_socket(&sk, err);

        if (r < 0)
                return r;
        r = net_nl_link_get(sk, name, &br, err);
        if (r == -ENODEV || (r == 0 && !is_berth_bridge(br, name)))
                return 0; /* delete_link_if() has the last word */
        if (r < 0)
                return r;
        r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "list interfaces: %s", nl_geterror(r));
        ps = (struct port_scan){sk, rtnl_link_get_ifindex(br), 0};
        nl_cache_foreach(cache, port_scan_cb, &ps);
        if (ps.r < 0)
                return err_setf(err, ps.r, "remove the veths of bridge '%s': %s", name,
                                strerror(-ps.r));
        return 0;
}

int
net_bridge_remove(const char *name, struct err *err)
{
        int r = check_ifname("bridge", name, err);

        if (r == 0)
                r = delete_ports(name, err);
        return r < 0 ? r : delete_link_if("bridge", name, is_berth_bridge, err);
}

int
net_endpoint_detach(const char *host_ifname, struct err *err)
{
        return delete_link_if("veth", host_ifname, is_veth, err);
}

int
net_link_exists(const char *name, struct err *err)
{
        cleanup_nlsock struct nl_sock *sk = NULL;
        cleanup_nllink struct rtnl_link *link = NULL;
        int r = net_nl_socket(&sk, err);

        if (r < 0)
                return r;
        r = net_nl_link_get(sk, name, &link, err);
        return r == -ENODEV ? 0 : r < 0 ? r : 1;
}

/* ---- endpoints ----------------------------------------------------------------------- */

static void
default_mac(uint32_t ip, uint8_t mac[6])
{
        mac[0] = 0x02;
        mac[1] = 0x42;
        mac[2] = (uint8_t)(ip >> 24);
        mac[3] = (uint8_t)(ip >> 16);
        mac[4] = (uint8_t)(ip >> 8);
        mac[5] = (uint8_t)ip;
}

static int
veth_create(struct nl_sock *sk, const struct net_endpoint_config *cfg, int br_index, int nsfd,
            struct err *err)
{
        cleanup_nllink struct rtnl_link *veth = rtnl_link_veth_alloc();
        cleanup_nladdr struct nl_addr *mac = NULL;
        struct rtnl_link *peer;
        unsigned mtu = cfg->mtu ? cfg->mtu : 1500;
        uint8_t m[6];
        int r;

        if (!veth)
                abort();
        if (cfg->mac)
                memcpy(m, cfg->mac, sizeof(m));
        else
                default_mac(cfg->addr.addr, m);
        mac = nl_addr_build(AF_LLC, m, sizeof(m));
        if (!mac)
                abort();
        rtnl_link_set_name(veth, cfg->host_ifname);
        rtnl_link_set_master(veth, br_index);
        rtnl_link_set_mtu(veth, mtu);
        rtnl_link_set_flags(veth, IFF_UP);
        peer = rtnl_link_veth_get_peer(veth);
        rtnl_link_set_name(peer, cfg->ifname);
        rtnl_link_set_ns_fd(peer, nsfd);
        rtnl_link_set_mtu(peer, mtu);
        rtnl_link_set_addr(peer, mac);
        /* no IFF_UP on the peer: the kernel configures it before pairing it (veth_open would
         * fail with ENOTCONN); it is brought up inside the netns */
        r = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
        rtnl_link_put(peer);
        if (r < 0 && net_nl_errno(r) == -EEXIST)
                return err_setf(err, -EEXIST,
                                "create veth '%s': the network namespace already has '%s'",
                                cfg->host_ifname, cfg->ifname);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "create veth '%s': %s", cfg->host_ifname,
                                nl_geterror(r));
        return 0;
}

/* port_hairpin: let traffic DNATed back into the bridge reach the port it came from (a
 * container calling its own published port through a host address). RTM_SETLINK, family
 * AF_BRIDGE, IFLA_PROTINFO/IFLA_BRPORT_MODE. Docker sets the same when it has no proxy. */
static int
port_hairpin(struct nl_sock *sk, const char *host_ifname, struct err *err)
{
        cleanup_nllink struct rtnl_link *cur = NULL;
        cleanup_nllink struct rtnl_link *chg = rtnl_link_alloc();
        int r;

        if (!chg)
                abort();
        /* AF_BRIDGE requests find the port by index only */
        r = net_nl_link_get(sk, host_ifname, &cur, err);
        if (r < 0)
                return r == -ENODEV ? err_setf(err, r, "veth '%s' vanished", host_ifname) : r;
        rtnl_link_set_family(cur, AF_BRIDGE);
        rtnl_link_set_family(chg, AF_BRIDGE);
        r = rtnl_link_bridge_set_flags(chg, RTNL_BRIDGE_HAIRPIN_MODE);
        if (r == 0)
                r = rtnl_link_change(sk, cur, chg, 0);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "set hairpin mode on '%s': %s",
                                host_ifname, nl_geterror(r));
        return 0;
}

static int
check_endpoint_config(const struct net_endpoint_config *cfg, struct err *err)
{
        int r = check_ifname("bridge", cfg->bridge, err);

        if (r == 0)
                r = check_ifname("veth", cfg->host_ifname, err);
        if (r == 0)
                r = check_ifname("interface", cfg->ifname, err);
        if (r < 0)
                return r;
        if (cfg->addr.len < 1 || cfg->addr.len > 30)
                return err_setf(err, -EINVAL, "endpoint '%s': subnet length /%u out of range",
                                cfg->host_ifname, (unsigned)cfg->addr.len);
        if (cfg->mtu && (cfg->mtu < MTU_MIN || cfg->mtu > MTU_MAX))
                return err_setf(err, -EINVAL, "endpoint '%s': mtu %u out of range",
                                cfg->host_ifname, cfg->mtu);
        return 0;
}

static int
open_netns(const struct net_endpoint_config *cfg, int *ret, struct err *err)
{
        int fd;

        if (!cfg->netns_path) {
                *ret = fcntl(cfg->netns_fd, F_DUPFD_CLOEXEC, 3);
                if (*ret < 0)
                        return err_setf(err, -errno, "network namespace fd %d: %s",
                                        cfg->netns_fd, strerror(errno));
                return 0;
        }
        fd = open(cfg->netns_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_setf(err, -errno, "open network namespace '%s': %s", cfg->netns_path,
                                strerror(errno));
        *ret = fd;
        return 0;
}

/* endpoint_prepare: the bridge's index; a stale veth of the host name is removed. */
static int
endpoint_prepare(struct nl_sock *sk, const struct net_endpoint_config *cfg, int *ret_br,
                 struct err *err)
{
        cleanup_nllink struct rtnl_link *br = NULL;
        cleanup_nllink struct rtnl_link *old = NULL;
        int r = net_nl_link_get(sk, cfg->bridge, &br, err);

        if (r == -ENODEV)
                return err_setf(err, r, "attach to bridge '%s': no such bridge", cfg->bridge);
        if (r < 0)
                return r;
        if (!is_berth_bridge(br, cfg->bridge))
                return err_setf(err, -EPERM, "attach to bridge '%s': not a berth bridge",
                                cfg->bridge);
        r = net_nl_link_get(sk, cfg->host_ifname, &old, err);
        if (r < 0 && r != -ENODEV)
                return r;
        if (r == 0 && !is_veth(old, NULL))
                return err_setf(err, -EEXIST, "create veth '%s': an interface of that name "
                                "exists and is not a veth", cfg->host_ifname);
        if (r == 0) {
                r = rtnl_link_delete(sk, old);
                if (r < 0 && net_nl_errno(r) != -ENODEV)
                        return err_setf(err, net_nl_errno(r), "remove stale veth '%s': %s",
                                        cfg->host_ifname, nl_geterror(r));
        }
        *ret_br = rtnl_link_get_ifindex(br);
        return 0;
}

int
net_endpoint_attach(const struct net_endpoint_config *cfg, struct err *err)
{
        cleanup_nlsock struct nl_sock *sk = NULL;
        cleanup_nlsock struct nl_sock *nsk = NULL;
        cleanup_close int nsfd = -1;
        int br = 0, r;

        r = check_endpoint_config(cfg, err);
        if (r == 0)
                r = open_netns(cfg, &nsfd, err);
        if (r == 0)
                r = net_nl_socket(&sk, err);
        if (r == 0)
                r = endpoint_prepare(sk, cfg, &br, err);
        if (r == 0)
                r = veth_create(sk, cfg, br, nsfd, err);
        if (r < 0)
                return r;
        r = port_hairpin(sk, cfg->host_ifname, err);
        if (r == 0)
                r = net_nl_ns_socket(nsfd, &nsk, err);
        if (r == 0)
                r = net_nl_ns_configure(nsk, cfg->ifname, cfg->addr.addr, cfg->addr.len,
                                        cfg->gateway, err);
        if (r < 0) {
                /* leave nothing half-made behind */
                net_endpoint_detach(cfg->host_ifname, NULL);
                err_prefix(err, "attach '%s'", cfg->host_ifname);
                return r;
        }
        return 0;
}

/* ---- host prefixes ------------------------------------------------------------------- */

struct prefix_vec {
        struct net_prefix *v;
        size_t n, cap;
};

static void
push_nl_prefix(struct prefix_vec *pv, struct nl_addr *a)
{
        uint32_t be;

        if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4)
                return;
        memcpy(&be, nl_addr_get_binary_addr(a), 4);
        if (nl_addr_get_prefixlen(a) == 0)
                return; /* default routes cover everything; they are not a conflict */
        GROW(pv->v, pv->cap, pv->n + 1);
        pv->v[pv->n++] = net_prefix_network(
                (struct net_prefix){.addr = ntohl(be), .len = (uint8_t)nl_addr_get_prefixlen(a)});
}

static void
route_cb(struct nl_object *obj, void *arg)
{
        push_nl_prefix(arg, rtnl_route_get_dst((struct rtnl_route *)obj));
}

static void
addr_cb(struct nl_object *obj, void *arg)
{
        struct rtnl_addr *a = (struct rtnl_addr *)obj;
        struct nl_addr *local = rtnl_addr_get_local(a);

        push_nl_prefix(arg, local);
}

int
net_host_prefixes(struct net_prefix **ret, size_t *ret_n, struct err *err)
{
        cleanup_nlsock struct nl_sock *sk = NULL;
        cleanup_nlcache struct nl_cache *routes = NULL;
        cleanup_nlcache struct nl_cache *addrs = NULL;
        struct prefix_vec pv = {0};
        int r = net_nl_socket(&sk, err);

        if (r < 0)
                return r;
        r = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "list routes: %s", nl_geterror(r));
        r = rtnl_addr_alloc_cache(sk, &addrs);
        if (r < 0)
                return err_setf(err, net_nl_errno(r), "list addresses: %s", nl_geterror(r));
        nl_cache_foreach(routes, route_cb, &pv);
        nl_cache_foreach(addrs, addr_cb, &pv);
        *ret = pv.v;
        *ret_n = pv.n;
        return 0;
}
