/* transform: the compose model in docker compose's canonical form.
 *
 * `docker compose config` prints compose-go's typed model: every short syntax turned into
 * its long form (transform.Canonical), defaults set (transform.SetDefaultValues and the
 * path-free part of loader.Normalize), values decoded into Go types and marshalled again by
 * go-yaml. This module does the same on the node tree, so the emitter can print the tree as
 * it is and the engine can read one shape:
 *
 *  - kinds are the printed ones: port target NODE_INT, published NODE_STR, environment
 *    values NODE_STR or NODE_NULL, labels/annotations/sysctls/options NODE_STR, uid/gid
 *    NODE_STR, mode NODE_STR ("0440"), cpus NODE_FLOAT, memory and other byte sizes NODE_STR
 *    ("52428800"), durations NODE_STR in Go form ("1m0s"), replicas NODE_INT, ...;
 *  - zero values of `omitempty` fields are removed (privileged: false, read_only: false,
 *    depends_on restart: false, an empty environment, ...), as go-yaml omits them;
 *  - keys are not reordered: spec/order.h puts the tree in the order compose prints;
 *  - build.ssh is the list compose prints: "default" or "id: path" strings.
 *
 * Opt-out booleans are true when absent, exactly as compose prints them: a volume's
 * bind.create_host_path (a `bind:` mapping present means "create the host path unless
 * create_host_path: false") and an env_file entry's required.
 *
 * Left to the loader: relative paths, env_file/label_file contents, environment lookups of
 * bare KEY entries and build args, the implicit default network, resource `name:`s, and
 * implicit depends_on from links/network_mode/volumes_from.
 */
#pragma once

#include "spec/node.h"

/* transform_canonical: in place over a whole project document (services, networks,
 * volumes, secrets, configs, models, x-*). Short syntax becomes long (build, ports, expose,
 * volumes, depends_on, healthcheck.test, environment/labels/annotations/args/sysctls lists,
 * extra_hosts, networks lists, secrets/configs, devices, ulimits, command/entrypoint,
 * dns/tmpfs/env_file strings, gpus, external.name, ...), strings are cast where compose
 * wants numbers or booleans, durations and byte sizes are normalised. Expects
 * interpolated, merged input whose top level is a mapping. -EINVAL with "file:line:col: <path>:
 * <why>" on a value compose would reject (e.g. `invalid port spec "abc"`, `invalid duration
 * "10x"`). */
int transform_canonical(struct node *project, struct err *err);

enum transform_flags {
        /* keep values that do not parse as written instead of failing: for models whose
         * interpolation was skipped (`config --no-interpolate` prints "${PORT}:80") */
        TRANSFORM_LENIENT = 1 << 0,
};
int transform_canonical_opts(struct node *project, unsigned flags, struct err *err);

/* transform_defaults: compose-go's default values on a canonical model: build context "."
 * and dockerfile "Dockerfile" (unless dockerfile_inline), service secret target
 * /run/secrets/<source>, long-syntax port protocol tcp and mode ingress, GPU and device
 * requests count all (-1), volume targets cleaned, pull_policy if_not_present -> missing.
 * Idempotent. Run it before relative paths are resolved (the context "." is relative). */
int transform_defaults(struct node *project, struct err *err);

/* transform_parse_port: one short port spec ("3000", "8000:8000", "9090-9091:8080-8081",
 * "127.0.0.1:5000-5010:5000-5010", "[::1]:80:80/udp") -> *ret_seq, an owned NODE_SEQ of
 * long-syntax mappings {mode: ingress, host_ip?, target: INT, published?: STR, protocol},
 * one per container port, in compose's order. pos (may be NULL) is given to the new nodes
 * and to errors: -EINVAL "invalid port spec ...". */
int transform_parse_port(const char *spec, const struct node_pos *pos, struct node **ret_seq,
                         struct err *err);

/* transform_parse_volume: one short volume spec ("/data", "vol:/data:ro",
 * "./src:/app:rw,z", "c:\\dir:/mnt") -> *ret_map, an owned long-syntax mapping
 * {type, source?, target, read_only?, bind?: {create_host_path: true, ...}, volume?: {...}}
 * as compose-go's format.ParseVolume builds it (target cleaned). -EINVAL "invalid volume
 * spec ..." (empty spec, empty section, too many colons). */
int transform_parse_volume(const char *spec, const struct node_pos *pos, struct node **ret_map,
                           struct err *err);
