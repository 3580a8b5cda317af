/* context: the build context as the builder sees it: every path of the context directory
 * that .dockerignore does not exclude, with a content digest for each file and a tree digest
 * for each directory, so that COPY/ADD sources can be part of a step's cache key.
 *
 * Digests (SHA-256, see base/sha256.h):
 *   file      content = sha256(data)
 *   symlink   content = sha256(target text); links are never followed by the walker
 *   directory content = sha256 over its children in byte order of their names:
 *                       name, NUL, the child's entry digest
 *   every entry: digest = sha256("berth-context-entry-v1", type, permission bits (with
 *                setuid/setgid/sticky), uid, gid, content). Modification times are not
 *                part of any digest: touching a file does not change a cache key.
 *
 * A persistent cache (one file, path given by the caller) remembers, per path, the size,
 * mtime, ctime, inode and content digest of each regular file; a file whose stat matches is
 * not read again, so hashing an unchanged context costs one fstatat per entry. A file
 * modified in the same clock tick as the walk started is not remembered (it could change
 * again without its mtime moving). The cache is rewritten atomically when it changed.
 *
 * Limits: CONTEXT_MAX_ENTRIES entries, CONTEXT_MAX_DEPTH directory levels, cache file
 * CONTEXT_MAX_CACHE bytes (a larger or malformed cache is ignored, not an error).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "base/err.h"
#include "base/sha256.h"
#include "spec/dockerignore.h"

#define CONTEXT_MAX_ENTRIES 1000000u
#define CONTEXT_MAX_DEPTH   128
#define CONTEXT_MAX_CACHE   (256u << 20)

enum context_type {
        CONTEXT_FILE = 'f',
        CONTEXT_DIR = 'd',
        CONTEXT_SYMLINK = 'l',
        CONTEXT_OTHER = 'o', /* fifo, socket, device: listed, never opened */
};

struct context_entry {
        char *path; /* relative, '/'-separated, never empty (the root is not an entry) */
        enum context_type type;
        mode_t mode; /* permission bits incl. setuid/setgid/sticky */
        uid_t uid;
        gid_t gid;
        uint64_t size;
        char *link; /* symlink target, else NULL */
        uint8_t content[SHA256_DIGEST_SIZE];
        uint8_t digest[SHA256_DIGEST_SIZE];
};

struct context_stats {
        size_t files_hashed; /* regular files read */
        size_t files_cached; /* regular files whose digest came from the cache */
        uint64_t bytes_hashed;
        bool cache_written;
};

struct context {
        char *root;
        struct context_entry *entries; /* depth-first, children in name order */
        size_t n;
        uint8_t digest[SHA256_DIGEST_SIZE]; /* tree digest of the whole context */
        struct context_stats stats;
        void *index; /* path -> entry, private */
};

struct context_opts {
        struct dockerignore *ignore; /* NULL: nothing is excluded */
        const char *cache;           /* cache file path; NULL: no cache */
};

/* context_walk: walk root (a directory). Errors: -ENOTDIR/-ENOENT for root, -EFBIG when a
 * limit is hit, I/O errors with the path in the message. *ret owned (context_free). */
int context_walk(const char *root, const struct context_opts *opts, struct context **ret,
                 struct err *err);
struct context *context_free(struct context *c);

/* context_find: the entry for a relative path ("a/b"; "./a/b" and "/a/b" also work), or
 * NULL (also for the root, which is not an entry). Borrowed. */
const struct context_entry *context_find(const struct context *c, const char *path);

/* context_source_digest: the digest of a COPY/ADD source as written in the Dockerfile
 * (relative to the context; "..", "/" and "." cannot leave it). Wildcards (* ? [ ]) match
 * entries like Go's filepath.Match; several matches are digested together with their
 * paths. Symlinks in the leading directories are followed inside the context only; the
 * source itself is taken as it is. -ENOENT when nothing matches. */
int context_source_digest(const struct context *c, const char *src, uint8_t out[SHA256_DIGEST_SIZE],
                          struct err *err);
