/* ipam: IPv4 subnets for networks and addresses for the endpoints on them.
 *
 * State is one JSON file per network, <dir>/<name>.json (dir is the caller's, e.g.
 * <root>/net/ipam), replaced atomically (temp file + rename); every change holds an
 * exclusive flock on <dir>/.lock, so concurrent berth processes neither hand out one
 * address twice nor pick overlapping subnets. A lease records its owner (a container id) and
 * the DNS names the endpoint answers to on this network, so the network's DNS responder
 * reads its name table from the same file (net/dns.h).
 *
 * IPv4 only: enable_ipv6 and IPv6 subnets are refused with -EOPNOTSUPP and a clear message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "net/net.h"

#define IPAM_NAME_MAX   128   /* network name length */
#define IPAM_LEASES_MAX 65536 /* endpoints per network */
#define IPAM_NAMES_MAX  64    /* DNS names per endpoint */
#define IPAM_AUX_MAX    256   /* aux_addresses per network */

/* A pool is cut into subnets of length size: docker's defaults are 172.17.0.0/16 ..
 * 172.31.0.0/16 (size 16 each) then 192.168.0.0/16 in /20s. */
struct ipam_pool {
        struct net_prefix base;
        uint8_t size;
};

/* ipam_default_pools: docker's default address pools (static storage). */
const struct ipam_pool *ipam_default_pools(size_t *ret_n);

struct ipam_request {
        const char *subnet;   /* ipam.config[].subnet; NULL: pick a free one from the pools */
        const char *ip_range; /* dynamic addresses only from here; NULL: the whole subnet */
        const char *gateway;  /* NULL: the subnet's first address */
        char *const *aux;     /* aux_addresses as "name=ip", NULL-terminated; may be NULL */
        bool enable_ipv6;     /* refused for now */
        const struct ipam_pool *pools; /* NULL: ipam_default_pools() */
        size_t n_pools;
        const struct net_prefix *avoid; /* host routes and addresses (net_host_prefixes) */
        size_t n_avoid;
};

struct ipam_lease {
        uint32_t ip;
        char *owner;  /* container id */
        char **names; /* DNS names on this network (container name, service, aliases) */
        char **dns;   /* the container's own upstream resolvers (`dns:`), may be NULL */
};

struct ipam_network {
        char *name;
        struct net_prefix subnet; /* network address */
        struct net_prefix range;  /* dynamic addresses come from here */
        uint32_t gateway;
        bool user_subnet; /* subnet came from ipam.config (static addresses allowed) */
        char **aux_names; /* parallel to aux_ips */
        uint32_t *aux_ips;
        size_t n_aux;
        uint32_t last; /* the last address handed out: allocation goes on after it */
        struct ipam_lease *leases;
        size_t n_leases;
};

struct ipam_network *ipam_network_free(struct ipam_network *n);

/* ipam_network_create: choose or check the network's addressing and record it. A subnet
 * from the pools overlaps no host prefix in req->avoid and no other network in dir; a
 * configured subnet must not overlap another network in dir (-EADDRINUSE) but may overlap
 * host routes, as with docker. Creating a name that exists returns the recorded network
 * (so a retry after a crash succeeds) unless req asks for another subnet (-EEXIST).
 * *ret (may be NULL) is owned. */
int ipam_network_create(const char *dir, const char *name, const struct ipam_request *req,
                        struct ipam_network **ret, struct err *err);
/* ipam_network_load: the recorded network; -ENOENT when absent. */
int ipam_network_load(const char *dir, const char *name, struct ipam_network **ret,
                      struct err *err);
/* ipam_network_read: the same from a file path (what the DNS responder watches). */
int ipam_network_read(const char *path, struct ipam_network **ret, struct err *err);
/* ipam_network_remove: forget the network; -EBUSY while it has leases (unless force);
 * absent is success. */
int ipam_network_remove(const char *dir, const char *name, bool force, struct err *err);
/* ipam_network_list: the names of every recorded network, sorted; owned strv. */
int ipam_network_list(const char *dir, char ***ret, struct err *err);

struct ipam_lease_request {
        const char *owner;  /* container id */
        uint32_t ip;        /* 0: the next free address of the range */
        char *const *names; /* DNS names; may be NULL */
        char *const *dns;   /* the container's upstream resolvers; may be NULL */
};

/* ipam_lease: an address for owner on the network. A static ip must lie in a configured
 * subnet (as docker: -EINVAL otherwise) and be free (-EADDRINUSE). Idempotent: an owner
 * that already has a lease gets it back with its names updated (-EEXIST if a different
 * static ip is asked). -ENOSPC when the range is exhausted. */
int ipam_lease(const char *dir, const char *network, const struct ipam_lease_request *req,
               uint32_t *ret_ip, struct err *err);
/* ipam_release: free owner's lease on the network; no lease (or no network) is success. */
int ipam_release(const char *dir, const char *network, const char *owner, struct err *err);
/* ipam_lease_find: owner's lease in n, or NULL. */
const struct ipam_lease *ipam_lease_find(const struct ipam_network *n, const char *owner);
