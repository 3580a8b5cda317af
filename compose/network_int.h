/* network_int: what `berth network` and its DNS responder process share (private to compose/).
 *
 * A network NAME of the state root ROOT lives in:
 *   ROOT/networks/NAME.json      docker's view (id, created, driver, options, labels)
 *   ROOT/net/ipam/NAME.json      addressing and leases (net/ipam.h), the DNS name table
 *   ROOT/net/nat/                the NAT state of every network (net/net.h)
 *   RUN_ROOT/networks/NAME/dns.pid  the PID of its DNS responder (`berth-monitor __dns NAME`)
 * The nftables table is "berth" for /var/lib/berth and "berth_<8 hex of sha256(ROOT)>" for
 * any other root, so that separate roots never touch each other's rules.
 */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "base/err.h"
#include "compose/cli.h"

#define NETWORK_TABLE_MAX 32
#define NETWORK_DEFAULT   "bridge" /* the default network (docker0's counterpart) */

struct network_paths {
        char *meta_dir; /* ROOT/networks */
        char *ipam_dir; /* ROOT/net/ipam */
        char *nat_dir;  /* ROOT/net/nat */
        char *run_dir;  /* RUN_ROOT/networks */
        char table[NETWORK_TABLE_MAX];
};

void network_paths_init(const struct cli_globals *g, struct network_paths *p);
void network_paths_release(struct network_paths *p);

/* network_ensure: what a container joining network name needs first: the bridge (MTU, gateway
 * address), its NAT rules and its DNS responder, each repaired if a crash or a reboot took
 * it away (the "first use" start of the responder). -ENOENT: "network NAME not found". */
int network_ensure(const struct cli_globals *g, const char *name, struct err *err);

/* network_default_ensure: network_ensure of the default network "bridge", created on first
 * use: a subnet from the pools (so never docker0's while docker0 exists), masquerade, and
 * no DNS responder (docker's default bridge has no embedded DNS: its containers get the
 * host's resolvers). `network rm bridge` is refused; the hidden `network rm --predefined
 * bridge` removes it when no container uses it (what the test clean-ups call). */
int network_default_ensure(const struct cli_globals *g, struct err *err);

/* network_dns_start: make sure the network's responder runs: a live one (its PID file names
 * a `berth-monitor … __dns` process of this root and network) is kept, otherwise one is started and
 * this returns once it listens on the gateway's port 53 (or with its error). */
int network_dns_start(const struct cli_globals *g, const char *name, struct err *err);
/* network_dns_stop: SIGTERM the responder named by the PID file (only if it is one of ours),
 * wait for it to go (SIGKILL after 2 s), remove the PID file; none running is success. */
int network_dns_stop(const struct cli_globals *g, const char *name, struct err *err);

/* What `network create` takes (also from compose's networks: section). Borrowed. */
struct network_create_opts {
        const char *driver, *subnet, *gateway, *ip_range;
        char **aux;
        bool internal;
        json_object *labels, *options; /* objects of strings (may be NULL) */
};

/* network_create: create network name (record, addressing, bridge, NAT, DNS responder); on
 * failure nothing of it remains. -EEXIST when it exists. *ret_id (optional) owned. */
int network_create(const struct cli_globals *g, const char *name,
                   const struct network_create_opts *o, char **ret_id, struct err *err);
/* network_remove: as `network rm NAME`: -ENOENT, -EBUSY while containers use it. */
int network_remove(const struct cli_globals *g, const char *name, struct err *err);
/* network_labels: the labels of network name (owned object); -ENOENT when it does not exist. */
int network_labels(const struct cli_globals *g, const char *name, json_object **ret,
                   struct err *err);
/* cmd_network_connect: `network connect|disconnect` (argv[0] says which; cmd_network_connect.c). */
int cmd_network_connect(struct cli_globals *g, int argc, char **argv, struct err *err);

/* network_list: the names of every network of the root, sorted (owned strv, NULL: none). */
int network_list(const struct cli_globals *g, char ***ret, struct err *err);
