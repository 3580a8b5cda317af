/* nat_ports: choosing host ports for published ports (private to net/). */
#pragma once

#include "net/net.h"

/* net_nat_port_probe: whether a host port is free for proto on ip (0: any address); the
 * real one binds a socket (net_nat_port_bind_probe), tests pass their own. */
typedef bool (*net_nat_port_probe)(void *ctx, uint32_t ip, enum net_proto proto, uint16_t port);

bool net_nat_port_bind_probe(void *ctx, uint32_t ip, enum net_proto proto, uint16_t port);

/* net_nat_ports_resolve: maps[0..n) of owner made 1:1 with every host port chosen: free by
 * probe and not published by another owner in st (nor twice in maps). seed picks where the
 * search for a random port starts. *ret owned. -EADDRINUSE, -E2BIG past NET_PORTS_MAX. */
int net_nat_ports_resolve(const struct net_nat_state *st, const char *owner,
                          const struct net_port_map *maps, size_t n, net_nat_port_probe probe,
                          void *ctx, uint32_t seed, struct net_port_map **ret, size_t *ret_n,
                          struct err *err);
