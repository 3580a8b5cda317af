/* layer: image layer tars <-> directories (OCI image-spec layer.md changesets).
 *
 * layer_apply unpacks a tar stream (plain, gzip or zstd, detected by content; bzip2 and xz
 * too, as docker import takes them) into a directory given as an fd. Nothing is ever written
 * outside that directory: every path is resolved with openat2(RESOLVE_IN_ROOT) from the root
 * fd, the last component is never followed, ".." entries are refused, absolute names are
 * made relative, and sizes and entry counts are capped.
 *
 * Two modes:
 *  - LAYER_MODE_OVERLAY: the directory is a fresh layer dir that will be an overlayfs lower
 *    dir. Whiteouts ".wh.<name>" become 0:0 character devices, opaque markers
 *    ".wh..wh..opq" become the xattr trusted.overlay.opaque="y" (user.overlay.opaque with
 *    LAYER_USERXATTR).
 *  - LAYER_MODE_MERGE: the directory holds the lower layers' merged tree; whiteouts delete
 *    from it, an opaque marker empties the directory of everything this layer did not add.
 *
 * layer_diff is the reverse of OVERLAY: a directory (an overlay upper dir) becomes an OCI
 * layer tar, entries sorted, overlay whiteouts turned back into ".wh." entries, timestamps
 * clamped to a SOURCE_DATE_EPOCH when given, so the same tree always gives the same bytes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <sys/types.h>

#include "base/err.h"
#include "engine/digest.h"

enum layer_mode {
        LAYER_MODE_OVERLAY,
        LAYER_MODE_MERGE,
};

enum {
        LAYER_NO_DEVICES = 1 << 0,   /* refuse character and block devices (-EPERM) */
        LAYER_USERXATTR = 1 << 1,    /* user.overlay.* instead of trusted.overlay.* */
        LAYER_IGNORE_OWNER = 1 << 2, /* do not chown (unprivileged callers, tests) */
        /* skip a digest the caller already knows (hashing is most of an apply's CPU time):
         * the matching layer_stats field is then "" */
        LAYER_NO_BLOB_DIGEST = 1 << 3,
        LAYER_NO_DIFF_ID = 1 << 4,
        /* compute the diff ID only for compressed input (otherwise it is the blob digest) */
        LAYER_DIFF_ID_IF_COMPRESSED = 1 << 5,
};

/* Caps on what one layer may contain; 0 picks the default. */
#define LAYER_MAX_ENTRIES_DEFAULT 1000000ULL
#define LAYER_MAX_BYTES_DEFAULT   (64ULL << 30)  /* unpacked file contents */
#define LAYER_MAX_TAR_DEFAULT     (128ULL << 30) /* uncompressed stream */
#define LAYER_MAX_XATTR           (64 * 1024)

/* A byte sink: returns 0 or a negative errno. */
typedef int (*layer_write_fn)(void *ctx, const void *buf, size_t n);

struct layer_opts {
        enum layer_mode mode;
        unsigned flags;
        uint64_t max_entries;
        uint64_t max_bytes;
        uint64_t max_tar_bytes;
        /* tee (optional) gets a copy of every byte: the uncompressed tar when tee_tar is set,
         * else the input as read. A tee error stops the apply with that error. */
        layer_write_fn tee;
        void *tee_ctx;
        bool tee_tar;
};

struct layer_stats {
        uint64_t entries;                  /* tar entries seen */
        uint64_t content_bytes;            /* regular file bytes written (docker's layer "size") */
        uint64_t tar_bytes;                /* length of the uncompressed tar */
        uint64_t blob_bytes;               /* length of the input as read (compressed) */
        char diff_id[DIGEST_STR_SIZE];     /* sha256 of the uncompressed tar */
        char blob_digest[DIGEST_STR_SIZE]; /* sha256 of the input as read */
        bool compressed;                   /* the input was compressed */
};

/* A byte source: returns bytes read into buf (0 at the end) or a negative errno. */
typedef ssize_t (*layer_read_fn)(void *ctx, void *buf, size_t n);
/* layer_apply: unpack the tar read through rd into rootfd. *ret_stats (optional) gets the
 * digests and sizes; the whole input is consumed so that both digests cover all of it.
 * Errors: -EINVAL for a malformed or hostile archive (the message names the entry),
 * -EFBIG when a cap is exceeded, -EPERM for refused device nodes, or the errno of a failed
 * filesystem call. On error the directory is left partly written; callers apply into a
 * temporary directory and discard it. */
int layer_apply(int rootfd, layer_read_fn rd, void *ctx, const struct layer_opts *opts,
                struct layer_stats *ret_stats, struct err *err);
/* layer_apply_fd: layer_apply reading from fd until its end. */
int layer_apply_fd(int rootfd, int fd, const struct layer_opts *opts, struct layer_stats *ret_stats,
                   struct err *err);

struct layer_diff_opts {
        int64_t epoch;  /* clamp mtimes to this (SOURCE_DATE_EPOCH); < 0: keep them */
        unsigned flags; /* LAYER_USERXATTR: read user.overlay.opaque */
};

/* layer_diff: write dirfd's tree as an uncompressed OCI layer tar to wr. The root directory
 * itself is not an entry. ret_stats (optional) gets diff_id, tar_bytes, entries and
 * content_bytes. */
int layer_diff(int dirfd, layer_write_fn wr, void *ctx, const struct layer_diff_opts *opts,
               struct layer_stats *ret_stats, struct err *err);

/* layer_epoch_from_env: SOURCE_DATE_EPOCH as layer_diff_opts.epoch (-1 when unset);
 * -EINVAL when it is set but not a non-negative integer. */
int layer_epoch_from_env(const char *value, int64_t *ret, struct err *err);

/* layer_remove_tree: remove name (a file or a whole tree) under dirfd without following
 * symlinks; a missing name is not an error. */
int layer_remove_tree(int dirfd, const char *name, struct err *err);

/* layer_open_in_root: openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
 * path is resolved as if rootfd were "/". Returns the fd or -errno. */
int layer_open_in_root(int rootfd, const char *path, int flags);
