/* volume: berth's named volumes (docker's "local" driver) under the state root.
 *
 *   <root>/volumes/.lock               flock: held exclusively around create and remove
 *   <root>/volumes/<name>/volume.json  {"CreatedAt","Driver":"local","Labels","Mountpoint",
 *                                      "Name","Options","Scope":"local"} (docker's shape;
 *                                      written last, atomically: it is what makes a volume)
 *   <root>/volumes/<name>/_data        the content of a plain volume
 *
 * A name is [a-zA-Z0-9][a-zA-Z0-9_.-]+ (docker's rule, so at least two characters), at most
 * VOL_NAME_MAX bytes. The local driver's options (driver_opts, -o) berth supports:
 *   type=tmpfs [o=size=N,mode=M,uid=U,gid=G,nr_inodes=N]  each container that mounts it gets
 *                                                          a fresh tmpfs (docker shares one
 *                                                          between running containers)
 *   o=bind device=PATH                                     PATH (an existing host directory)
 * Any other option is refused. A container references a volume by name in its config.json:
 * HostConfig.Binds "NAME:/dst[:opts]" or HostConfig.Mounts {"Type":"volume","Source":NAME};
 * a volume referenced by any container record (whatever its state) is in use. Anonymous
 * volumes (made by `run -v /dst`) carry the label VOL_ANON_LABEL.
 */
#pragma once

#include <stdint.h>

#include <json-c/json.h>

#include "base/err.h"

#define VOL_NAME_MAX   200
#define VOL_JSON_MAX   (1u << 20) /* volume.json */
#define VOL_MAX        100000     /* volumes listed under one root */
#define VOL_ANON_LABEL "com.docker.volume.anonymous"

/* vol_name_valid: docker's volume name rule; 1 when valid. */
int vol_name_valid(const char *name);

/* vol_random_name: 64 random lower-case hex digits (docker's name for an unnamed volume). */
int vol_random_name(char ret[65], struct err *err);

/* vol_create: create volume name with labels and driver options (K=V strvs, may be NULL).
 * Idempotent: an existing volume is success with *ret_created = 0 (its labels and options
 * are left as they are), a new one sets it to 1. -EINVAL for a bad name, label or option,
 * -ENOTSUP for a local-driver option berth does not support. */
int vol_create(const char *root, const char *name, char *const *labels, char *const *opts,
               int *ret_created, struct err *err);

/* vol_inspect: volume.json of name (owned), with Mountpoint as this root has it.
 * -ENOENT "no such volume". */
int vol_inspect(const char *root, const char *name, json_object **ret, struct err *err);

/* vol_list: the names of every volume under root, sorted (an absent volumes dir is empty). */
int vol_list(const char *root, char ***ret_names, struct err *err);

/* vol_users: the ids of the containers whose records reference name (owned strv, NULL when
 * none). */
int vol_users(const char *root, const char *name, char ***ret_ids, struct err *err);

/* vol_used_names: every volume name some container record references (owned strv, sorted,
 * NULL when none); one pass over the records, for listings. */
int vol_used_names(const char *root, char ***ret_names, struct err *err);

/* vol_remove: remove volume name and its content. -EBUSY "volume is in use - [ids]" when a
 * container references it; -ENOENT "no such volume" unless force. */
int vol_remove(const char *root, const char *name, int force, struct err *err);

/* vol_lock: take the store's lock (volumes/.lock, exclusive; created with the volumes dir).
 * Returns the fd to close, or -errno. */
int vol_lock(const char *root, struct err *err);

/* vol_prune_partial: remove what a create killed before it wrote volume.json left behind
 * (a directory without volume.json, at least age seconds old); returns how many went. */
int vol_prune_partial(const char *root, int age, struct err *err);

/* vol_path: "<root>/volumes/<name>/_data" (owned). */
char *vol_path(const char *root, const char *name);

/* vol_config_names: the volume names a container config.json references (owned strv). */
char **vol_config_names(json_object *config);

/* vol_remove_anonymous: remove the anonymous volumes config references and no other
 * container does (docker's rm -v and --rm). Call it after the container record is gone.
 * Volumes still in use are kept; returns the first error. */
int vol_remove_anonymous(const char *root, json_object *config, struct err *err);

/* How a container mounts a volume (vol_source). */
struct vol_source {
        int tmpfs;     /* 1: a fresh tmpfs with options; 0: a bind of path */
        char *path;    /* the host directory (bind) */
        char *options; /* tmpfs mount options (size=,mode=,…), or NULL */
};

/* vol_source: resolve volume name for a mount. -ENOENT "no such volume". */
int vol_source(const char *root, const char *name, struct vol_source *ret, struct err *err);
void vol_source_release(struct vol_source *s);

/* ---- volume_copy.c ---------------------------------------------------------------------- */

/* vol_copy_up: docker's copy-up: when volume name is an empty directory, fill it with what
 * the image (lowerdirs: overlay lower dirs, top-most first, with overlay whiteouts and opaque
 * markers) has at path. Nothing is done for a tmpfs volume, a volume with content, or a path
 * the image does not have as a directory. Owners, modes, times, symlinks and device nodes
 * are kept. Holds the store's lock, so two containers made at once copy once. */
int vol_copy_up(const char *root, const char *name, char *const *lowerdirs, const char *path,
                struct err *err);

/* vol_size: bytes used by the files under dir (du -s, without following symlinks); 0 for a
 * missing dir. */
uint64_t vol_size(const char *dir);
