/* build_copy_int: what build_copy.c and build_copytree.c share. */
#pragma once

#include <stdbool.h>

#include <sys/types.h>

#include "base/err.h"
#include "spec/context.h"
#include "spec/dockerignore.h"

/* where a copy's sources come from: how docker hashes them for the history (build_srchash.c) */
enum copy_hash_kind {
        COPY_HASH_CONTEXT, /* the build context (as the docker CLI's tar sends it) */
        COPY_HASH_IMAGE,   /* a stage's or image's filesystem (COPY --from) */
        COPY_HASH_URL,     /* an ADD <url> download */
};

struct copy_job {
        int rootfd;          /* the destination root */
        int srcfd;           /* the source root (context dir or a stage's view) */
        uid_t uid;           /* --chown, 0:0 by default */
        gid_t gid;
        const char *chmod;   /* --chmod value (validated), NULL = keep the source's mode */
        const struct context *ctx;  /* source is the context: only its entries are copied */
        struct dockerignore *excl;  /* --exclude patterns, NULL = none */
        size_t base_len;            /* --exclude also matches paths relative to the source
                                     * being copied: rel + base_len */
        /* whether rel (relative to the source root) is copied (NULL: everything is) */
        bool (*included)(const struct copy_job *j, const char *rel);
        enum copy_hash_kind hash_kind;
        int lookfd; /* where --chown names are looked up: the stage's root (COPY --link) or -1
                     * for rootfd */
        bool link;  /* COPY --link: parents created in the empty destination are root's */
};

/* copy_resolve_chown: "user[:group]" (names or ids) with names looked up in the
 * destination's /etc/passwd and /etc/group, as docker does. */
int copy_resolve_chown(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct err *err);
/* copy_resolve_user: a USER value as a process runs with it: names looked up in the
 * destination; a numeric uid alone gets its /etc/passwd group (0 when it has none). */
int copy_resolve_user(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct err *err);
/* copy_mkdir_p: the absolute directory path in the destination, created as needed; an fd. */
int copy_mkdir_p(const struct copy_job *j, const char *path, struct err *err);
/* copy_entry: copy sfd/sname (rel: its path from the source root) to dfd/dname, recursively. */
int copy_entry(const struct copy_job *j, int sfd, const char *sname, const char *rel, int dfd,
               const char *dname, int depth, struct err *err);
/* copy_contents: copy what directory sfd (rel) holds into dfd. */
int copy_contents(const struct copy_job *j, int sfd, const char *rel, int dfd, struct err *err);

/* ---- build_srchash.c ---- */

/* copy_src_hash: docker's history text of one copy source rel (relative to j->srcfd, a
 * symlink followed inside it): "file:<hex>" or "dir:<hex>" (owned, *ret). */
int copy_src_hash(const struct copy_job *j, const char *rel, char **ret, struct err *err);
/* copy_hash_join: "<prefix>:" + the sha256 hex of texts joined by ',' (owned). */
char *copy_hash_join(const char *prefix, char *const *texts);

/* ---- build_chmod.c ---- */

/* copy_chmod_apply: old (a st_mode) changed by the --chmod value s (octal or symbolic, as
 * BuildKit); -EINVAL when s is not a mode BuildKit accepts. */
int copy_chmod_apply(const char *s, mode_t old, mode_t *ret);
