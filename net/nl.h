/* nl: private helpers shared by netlink.c and netlink_ns.c (libnl-route-3). Not installed,
 * not included outside net/. */
#pragma once

#include <stdint.h>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "base/err.h"

static inline void
net_nl_sock_free_p(struct nl_sock **p)
{
        if (*p)
                nl_socket_free(*p);
}
static inline void
net_nl_link_put_p(struct rtnl_link **p)
{
        if (*p)
                rtnl_link_put(*p);
}
static inline void
net_nl_addr_put_p(struct nl_addr **p)
{
        if (*p)
                nl_addr_put(*p);
}
static inline void
net_nl_cache_free_p(struct nl_cache **p)
{
        if (*p)
                nl_cache_free(*p);
}
#define cleanup_nlsock  __attribute__((cleanup(net_nl_sock_free_p)))
#define cleanup_nllink  __attribute__((cleanup(net_nl_link_put_p)))
#define cleanup_nladdr  __attribute__((cleanup(net_nl_addr_put_p)))
#define cleanup_nlcache __attribute__((cleanup(net_nl_cache_free_p)))

/* net_nl_errno: a libnl error (-NLE_*) as a negative errno. */
int net_nl_errno(int nlerr);
/* net_nl_socket: a connected NETLINK_ROUTE socket in the caller's netns. */
int net_nl_socket(struct nl_sock **ret, struct err *err);
/* net_nl_ns_socket: a NETLINK_ROUTE socket that lives in the netns nsfd (the calling thread
 * enters it for the socket(2) call and returns). */
int net_nl_ns_socket(int nsfd, struct nl_sock **ret, struct err *err);
/* net_nl_ip4: an nl_addr for addr/len (addr in host byte order); never NULL. */
struct nl_addr *net_nl_ip4(uint32_t addr, uint8_t len);
/* net_nl_link_get: the link called name; -ENODEV when absent. */
int net_nl_link_get(struct nl_sock *sk, const char *name, struct rtnl_link **ret,
                    struct err *err);
/* net_nl_ns_configure: inside the netns of nsk: lo up, the new link ifname gets addr and
 * comes up, and the default route via gateway when gateway != 0. */
int net_nl_ns_configure(struct nl_sock *nsk, const char *ifname, uint32_t addr, uint8_t len,
                        uint32_t gateway, struct err *err);
/* net_nl_set_addr: make (addr/len) the only IPv4 address of ifindex. */
int net_nl_set_addr(struct nl_sock *sk, int ifindex, uint32_t addr, uint8_t len,
                    struct err *err);
