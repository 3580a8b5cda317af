/* container: berth's container records under the state root.
 *
 *   <root>/containers/.lock              flock: held exclusively around id/name allocation and
 *                                        removal, so two creates never take the same name
 *   <root>/containers/.names/<name>      symlink to the id with that name (the name index;
 *                                        lookups by name need no scan of the records)
 *   <root>/containers/<id>/config.json   what the container runs (written once, at create)
 *   <root>/containers/<id>/state.json    status, pids, exit code, times, health (rewritten
 *                                        atomically by the monitor and the CLI)
 *   <root>/containers/<id>/upper, work   the overlay upper and work dirs
 *   <root>/containers/<id>/log.json      the log (JSON lines), log.json.1 the rotated one
 *   <run_root>/containers/<id>/          the run dir: the runtime's state and monitor.sock
 *
 * An id is 64 lower-case hex digits; a name is [a-zA-Z0-9][a-zA-Z0-9_.-]* (docker's rule),
 * unique under the root. A user reference is a name, a full id or a unique id prefix.
 * config.json and state.json are json-c objects with docker-like keys (see container.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/err.h"

#define CTR_ID_LEN     64
#define CTR_NAME_MAX   128
#define CTR_JSON_MAX   (4u << 20) /* config.json, state.json */
#define CTR_MAX        100000     /* containers listed under one root */

/* One container record, opened from disk. Owned strings. */
struct ctr {
        char id[CTR_ID_LEN + 1];
        char *name;         /* without the leading '/' */
        char *dir;          /* <root>/containers/<id> */
        char *run_dir;      /* <run_root>/containers/<id> */
        json_object *config; /* config.json */
};

struct ctr *ctr_free(struct ctr *c);

/* ctr_name_valid: docker's container name rule; 1 when valid. */
int ctr_name_valid(const char *name);

/* ctr_random_name: "<adjective>_<noun>" chosen from rnd (any 32-bit value). Owned. */
char *ctr_random_name(uint32_t rnd);

/* ctr_create: allocate an id, take name (NULL = a random unused one), and write config
 * (borrowed; "Id", "Name" and "Created" are set in it) plus an initial state "created".
 * -EEXIST (docker's "Conflict. The container name ... is already in use") when name is taken,
 * -EINVAL for an invalid name. */
#define CTR_CREATE_VOLATILE 1u /* no fsync: a --rm container need not outlive a crash */
int ctr_create(const char *root, const char *run_root, const char *name, json_object *config,
               unsigned flags, struct ctr **ret, struct err *err);

/* ctr_open: the container a user reference names (full id, name, "/name" or unique id
 * prefix, in docker's order: an exact id wins, then a name, then a prefix). -ENOENT "no such
 * container: X", -EINVAL for an ambiguous prefix. */
int ctr_open(const char *root, const char *run_root, const char *ref, struct ctr **ret,
             struct err *err);

/* ctr_list: the ids of every container under root (sorted by creation, oldest first). */
int ctr_list(const char *root, char ***ret_ids, struct err *err);

/* ctr_state_read: state.json (owned). ctr_state_write: replace it atomically. */
int ctr_state_read(const struct ctr *c, json_object **ret, struct err *err);
int ctr_state_write(const struct ctr *c, json_object *state, struct err *err);

/* ctr_state_set: read-modify-write of state.json under the container's own flock: fn edits
 * the object in place. */
typedef void (*ctr_state_fn)(json_object *state, void *ctx);
int ctr_state_update(const struct ctr *c, ctr_state_fn fn, void *ctx, struct err *err);

/* ctr_remove: delete the record, its overlay dirs and logs (and the run dir if empty). The
 * caller has stopped the container (rt_delete). */
int ctr_remove(const struct ctr *c, struct err *err);

/* ctr_path: "<c->dir>/<leaf>" (owned). */
char *ctr_path(const struct ctr *c, const char *leaf);

/* ctr_now_rfc3339: the current UTC time, RFC 3339 with nanoseconds, into out. */
void ctr_now_rfc3339(char out[40]);

/* ---- container_image.c: the one place that talks to the image store ---- */

struct ctr_image {
        char *id;          /* image id "sha256:…" */
        char **lowerdirs;  /* overlay lower dirs, top-most first */
        json_object *config; /* the image config's "config" object (may be NULL) */
};

/* ctr_image_resolve: the layers and config of the image ref names, unpacked. -ENOENT "no
 * such image". */
int ctr_image_resolve(const char *root, const char *ref, struct ctr_image *ret,
                      struct err *err);
/* ctr_image_hold: keep image_id (still in the store, else -ENOENT) from garbage collection
 * for holder (a container id); durable: fsync'd (see store_hold). */
int ctr_image_hold(const char *root, const char *image_id, const char *holder, int durable,
                   struct err *err);
void ctr_image_release(struct ctr_image *img);
/* ctr_image_unhold: drop holder's hold on its image (ignores a missing store). */
void ctr_image_unhold(const char *root, const char *holder);

/* ---- container_net.c: a container's endpoints on berth networks ----------------------- */

/* <dir>/network.json, written by `container run/create --network …` once the addresses are
 * leased, changed by `network connect/disconnect`:
 *   {"IpamDir": DIR, "NatDir": DIR, "Table": NFT, "PortsIP": "a.b.c.d",
 *    "Endpoints": [{"Network": NAME, "NetworkID": ID, "IPAddress": "a.b.c.d", "PrefixLen": N,
 *                   "Gateway": "a.b.c.d", "MacAddress": "02:42:…", "Bridge": IFNAME,
 *                   "HostIf": IFNAME, "Aliases": [...], "Dns": true}, …]}
 * Endpoints are in the order the container sees them: eth0, eth1, …; the default route goes
 * via the first one's gateway, resolv.conf names the DNS responder of the first one with
 * "Dns" (the default bridge has none),
 * published ports are DNATed to PortsIP (the first endpoint's address when they were
 * published). The monitor attaches the veths from it at every start; ctr_net_leave() undoes
 * it all. */
#define CTR_NET_FILE "network.json"

/* ctr_net_read: the record of c in the list form above (an old single-endpoint record is
 * converted); *ret NULL (and 0) when c has none. Owned. */
int ctr_net_read(const struct ctr *c, json_object **ret, struct err *err);
/* ctr_net_endpoints: the "Endpoints" array of rec (borrowed; created empty when absent). */
json_object *ctr_net_endpoints(json_object *rec);
/* ctr_net_endpoint: the endpoint of rec on network (borrowed) and its index, or NULL. */
json_object *ctr_net_endpoint(json_object *rec, const char *network, size_t *ret_idx);
/* ctr_net_write: replace c's network.json with rec, atomically. */
int ctr_net_write(const struct ctr *c, json_object *rec, struct err *err);
/* ctr_net_endpoint_leave: delete the veth of ep and release its lease (not its ports, not
 * the record). Absent pieces are success. */
int ctr_net_endpoint_leave(const struct ctr *c, json_object *rec, json_object *ep,
                           struct err *err);
/* ctr_net_attach: the veth of ep (an endpoint of the record) into the netns at netns_path
 * as ifname, with its address, and the default route via its gateway when route. */
int ctr_net_attach(json_object *ep, const char *netns_path, const char *ifname, bool route,
                   struct err *err);
/* ctr_net_leave: delete c's veths, unpublish its ports, release its leases, forget the
 * record. Idempotent (also after a monitor killed with -9); no record is success. With
 * CTR_NET_DEFER_NAT the ports leave the NAT state but the nftables table is left to the
 * caller's net_nat_sync() (compose down: one nft run for the whole stack, not one each). */
#define CTR_NET_DEFER_NAT 1u
int ctr_net_leave(const struct ctr *c, unsigned flags, struct err *err);

/* ---- container_cp.c: `container cp` ------------------------------------------------------ */

struct ctr_cp_opts {
        int archive; /* -a: keep the source's uid/gid */
        int follow;  /* -L: follow a symlink source */
};

/* ctr_cp: copy between c's filesystem (running: its mount namespace; stopped: its overlay,
 * mounted in a private mount namespace) and the host, by docker cp's rules. to_container:
 * from is a host path or "-" (a tar on stdin, unpacked into the directory to), to a path in
 * c; else from is a path in c and to a host path or "-" (a tar on stdout). Container paths
 * are resolved inside its root only (symlinks cannot lead out of it). */
int ctr_cp(const struct ctr *c, const char *from, const char *to, int to_container,
           const struct ctr_cp_opts *o, struct err *err);
