/* net: what a container's network is made of, usable without containers.
 *
 * To this module a container is a network namespace (a path such as /run/netns/X or the
 * bind mount in a container's run directory, or an open fd). It provides:
 *   - IPv4 addresses and prefixes (host byte order), parsed and printed;
 *   - links through rtnetlink (libnl-route-3): a bridge per network, a veth pair per
 *     endpoint whose peer is created directly inside the container's netns, addresses, MTU,
 *     the default route, links up (netlink.c, netlink_ns.c);
 *   - published ports (`-p` syntax) and NAT with nftables in a table of berth's own (nat.c);
 * IPAM is in net/ipam.h, the DNS responder in net/dns.h.
 *
 * Every setup call is idempotent and repairs what a crashed earlier call left half-made;
 * every teardown call treats "already gone" as success. Functions return 0 or -errno and
 * fill *err (base/err.h). Interfaces berth creates are marked (bridge alias "berth" and a
 * berth MAC); berth refuses to reuse or delete a bridge that is not marked as its own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sbuf.h"

#define NET_IFNAMSIZ   16 /* IFNAMSIZ: 15 characters and the NUL */
#define NET_IP4_STRLEN 16 /* "255.255.255.255" and the NUL */
#define NET_PFX_STRLEN 19 /* "255.255.255.255/32" and the NUL */

/* ---- IPv4 addresses (addr.c) -------------------------------------------------------- */

/* An IPv4 prefix; addr in host byte order. A plain address is a prefix of length 32. */
struct net_prefix {
        uint32_t addr;
        uint8_t len; /* 0..32 */
};

/* net_ip4_parse: dotted quad only ("10.0.0.1"); no shorthand, no leading zeros. */
int net_ip4_parse(const char *s, uint32_t *ret, struct err *err);
void net_ip4_format(uint32_t addr, char out[NET_IP4_STRLEN]);
/* net_prefix_parse: "a.b.c.d/n". Host bits may be set (an interface address); use
 * net_prefix_is_network() to require a network address. */
int net_prefix_parse(const char *s, struct net_prefix *ret, struct err *err);
void net_prefix_format(const struct net_prefix *p, char out[NET_PFX_STRLEN]);
uint32_t net_prefix_mask(uint8_t len);
/* net_prefix_network: p with the host bits cleared. */
struct net_prefix net_prefix_network(struct net_prefix p);
bool net_prefix_is_network(const struct net_prefix *p);
bool net_prefix_contains(const struct net_prefix *p, uint32_t addr);
/* net_prefix_overlaps: whether the two address ranges share an address. */
bool net_prefix_overlaps(const struct net_prefix *a, const struct net_prefix *b);
/* net_prefix_broadcast: the last address of p. */
uint32_t net_prefix_broadcast(const struct net_prefix *p);

/* ---- names ------------------------------------------------------------------------------ */

/* net_ifname: prefix + a hash of id, cut to 15 characters: a stable interface name for a
 * network's bridge ("berth-" + network id) or an endpoint's host veth ("bv" + container id +
 * network). Names longer than 15 characters never reach the kernel. */
void net_ifname(const char *prefix, const char *id, char out[NET_IFNAMSIZ]);

/* ---- links (netlink.c, netlink_ns.c) ---------------------------------------------------- */

struct net_bridge_config {
        const char *name;          /* interface name, <= 15 characters */
        struct net_prefix gateway; /* the bridge's address and the subnet's length */
        unsigned mtu;              /* 0: 1500 */
};

/* net_bridge_ensure: create the bridge if absent, mark it berth's, give it exactly the
 * gateway address (stale IPv4 addresses of an earlier configuration are removed), set the
 * MTU and bring it up. An existing interface of that name that is not a berth bridge is
 * refused with -EEXIST and left alone. */
int net_bridge_ensure(const struct net_bridge_config *cfg, struct err *err);
/* net_bridge_remove: delete the berth bridge name; absent is success; a foreign interface
 * of that name is refused with -EPERM. Veths still enslaved to it (endpoints a crash left
 * behind) are deleted with it, and their netns ends with them. */
int net_bridge_remove(const char *name, struct err *err);

struct net_endpoint_config {
        const char *bridge;      /* berth bridge to attach to */
        const char *host_ifname; /* host end of the veth pair (net_ifname("bv", ...)) */
        const char *netns_path;  /* the container's netns, or NULL and netns_fd */
        int netns_fd;            /* used when netns_path is NULL */
        const char *ifname;      /* name inside the netns: "eth0", "eth1", ... */
        struct net_prefix addr;  /* address and subnet length inside the netns */
        uint32_t gateway;        /* default route via this address; 0: no default route */
        unsigned mtu;            /* 0: 1500 */
        const uint8_t *mac;      /* 6 bytes, or NULL: 02:42 + the IPv4 address (as docker) */
};

/* net_endpoint_attach: make host_ifname <-> ifname (inside the netns), the host end
 * enslaved to the bridge, the netns end with its address, MTU and default route, both up,
 * and the netns's loopback up. A leftover veth named host_ifname (crash, retry) is deleted
 * first. -EEXIST when the netns already has ifname. Sends RTM_NEWLINK (veth with its peer
 * created inside the netns, IFLA_NET_NS_FD), RTM_NEWADDR and RTM_NEWROUTE there. */
int net_endpoint_attach(const struct net_endpoint_config *cfg, struct err *err);
/* net_endpoint_detach: delete the veth host_ifname (its peer goes with it); absent is
 * success; an interface of that name that is not a veth is refused with -EPERM. */
int net_endpoint_detach(const char *host_ifname, struct err *err);
/* net_netns_default_route: in the netns at netns_path, make the default route go via gateway
 * (replacing one that exists) over whichever link reaches it (a network was disconnected). */
int net_netns_default_route(const char *netns_path, uint32_t gateway, struct err *err);
/* net_netns_lo_up: bring up "lo" in a netns (what --network none needs). */
int net_netns_lo_up(const char *netns_path, int netns_fd, struct err *err);

/* net_host_prefixes: every IPv4 route (any table, default routes excepted) and address of
 * the caller's network namespace, for IPAM to avoid. *ret is owned. */
int net_host_prefixes(struct net_prefix **ret, size_t *ret_n, struct err *err);
/* net_link_exists: 1 if an interface of that name exists in the caller's netns, 0 if not. */
int net_link_exists(const char *name, struct err *err);

/* ---- published ports (ports.c) ---------------------------------------------------------- */

enum net_proto { NET_PROTO_TCP, NET_PROTO_UDP, NET_PROTO_SCTP };

#define NET_PORTS_MAX 4096 /* published ports (after range expansion) per container */

/* One published range, as `-p [ip:][host[-end]:]container[-end][/proto]` writes it.
 * host_port == 0 means "any free port" (docker's `-p 80`); a host range with a single
 * container port means "one free port of that range" (docker's `-p 8000-8010:80`). The
 * maps net_nat_ports_set() returns are all 1:1: host_port_end - host_port ==
 * port_end - port. */
struct net_port_map {
        uint32_t host_ip; /* 0: every host address */
        uint16_t host_port, host_port_end;
        uint16_t port, port_end;
        enum net_proto proto;
};

/* net_port_parse: parse one `-p` value. IPv6 host addresses are refused (-EOPNOTSUPP). */
int net_port_parse(const char *spec, struct net_port_map *ret, struct err *err);
const char *net_proto_name(enum net_proto p);
/* net_port_format: one line per port as `docker port` prints it, e.g.
 * "80/tcp -> 0.0.0.0:8080". */
void net_port_format(const struct net_port_map *m, struct sbuf *out);

/* ---- NAT and published ports (nat.c) ---------------------------------------------------- */

/* Where the NAT state lives. All of berth's rules are in one nftables table (family ip)
 * that berth owns entirely and regenerates atomically from files under state_dir on every
 * change; nothing outside that table is touched. Separate roots use separate tables. */
struct net_nat {
        const char *state_dir; /* e.g. <root>/net/nat */
        const char *table;     /* "berth" for the default root */
};

struct net_nat_network {
        const char *name;         /* network name (a file name: [A-Za-z0-9_.-]) */
        const char *bridge;       /* its bridge */
        struct net_prefix subnet; /* network address and length */
        uint32_t gateway;         /* the bridge's address (DNS is not DNATed away from it) */
        bool internal;            /* no masquerade, no forwarding in or out */
        bool lazy;                /* the caller knows the table was applied for this network
                                   * (its bridge was there): skip the apply when the recorded
                                   * network is unchanged */
};

/* net_nat_network_set: record the network and apply. For a network that is not internal
 * this enables IPv4 forwarding (net.ipv4.ip_forward, never turned back off: other tools may
 * rely on it; no DROP policy is set) and route_localnet on its bridge (so 127.0.0.1 can be
 * DNATed to it; the loopback source is masqueraded to the gateway address). The bridge
 * must exist. */
int net_nat_network_set(const struct net_nat *nat, const struct net_nat_network *n,
                        struct err *err);
/* net_nat_network_unset: forget the network and apply; absent is success (and applies
 * nothing). */
int net_nat_network_unset(const struct net_nat *nat, const char *name, struct err *err);

/* net_nat_ports_set: publish maps[0..n) (as parsed by net_port_parse) of owner (a container
 * id) to container_ip, replacing what owner published before. Random host ports are chosen
 * here: free on the host (a bind(2) probe) and not published by berth; fixed ones must be
 * the same. -EADDRINUSE names the port and who has it. *ret (may be NULL) gets the
 * published ports, every one 1:1 (random ones one port each), owned. */
int net_nat_ports_set(const struct net_nat *nat, const char *owner, uint32_t container_ip,
                      const struct net_port_map *maps, size_t n, struct net_port_map **ret,
                      size_t *ret_n, struct err *err);
/* net_nat_ports_unset: unpublish everything of owner; absent is success (and applies
 * nothing). */
int net_nat_ports_unset(const struct net_nat *nat, const char *owner, struct err *err);
/* net_nat_ports_forget: the same without applying: the table keeps owner's ports until the
 * next change or net_nat_apply (for `down`, which removes many at once: one nft run, not
 * one per container, each waiting for the kernel). */
int net_nat_ports_forget(const struct net_nat *nat, const char *owner, struct err *err);
/* net_nat_ports_get: what owner publishes (for `container port`); *ret owned, n may be 0. */
int net_nat_ports_get(const struct net_nat *nat, const char *owner, struct net_port_map **ret,
                      size_t *ret_n, struct err *err);
/* net_nat_apply: regenerate the whole table from the state files (the repair path). An
 * empty state removes the table. */
int net_nat_apply(const struct net_nat *nat, struct err *err);
/* net_nat_sync: bring the table in line with the state files as every change does: nothing
 * when it is current (<state_dir>/.applied lists what it holds), only the new statements
 * when the change only adds, else the whole table. */
int net_nat_sync(const struct net_nat *nat, struct err *err);

/* The state as the ruleset generator sees it (nat.c reads it from the files). */
struct net_nat_ports {
        char *owner;
        uint32_t container_ip;
        struct net_port_map *maps;
        size_t n;
};
struct net_nat_state {
        struct net_nat_network *nets; /* name and bridge owned */
        size_t n_nets;
        struct net_nat_ports *ports;
        size_t n_ports;
};
void net_nat_state_release(struct net_nat_state *st);
/* net_nat_ruleset: the `nft -f` input that replaces table (pure; tests compare it): its
 * skeleton and then every net_nat_statements() line. With no networks and no ports it only
 * deletes the table. */
void net_nat_ruleset(const char *table, const struct net_nat_state *st, struct sbuf *out);
/* net_nat_statements: one `nft -f` line per item of st (a network's set elements and rules,
 * a published port's map element), in a stable order, each adding to the skeleton that
 * net_nat_ruleset makes; owned strv. */
char **net_nat_statements(const char *table, const struct net_nat_state *st);
