/* store: berth's image store under the state root.
 *
 *   <root>/store/oci-layout          {"imageLayoutVersion":"1.0.0"}
 *   <root>/store/index.json          an OCI image index: one manifest descriptor per image
 *                                    name (annotation org.opencontainers.image.ref.name holds
 *                                    the full name), or one without a name for an untagged
 *                                    image; io.berth.image.id holds the config digest
 *   <root>/store/blobs/sha256/<hex>  content-addressed blobs, verified when written
 *   <root>/store/ingest/             blobs being written (temp files)
 *   <root>/store/holds/<holder>      image IDs in use (by containers, builds)
 *   <root>/layers/<chain-hex>/diff   a layer unpacked in overlay form, shared by every image
 *   <root>/layers/<chain-hex>/layer.json   its diff ID, parent chain ID and sizes
 *
 * So the store directory is itself an OCI image layout (umoci, skopeo "oci:" read it).
 *
 * Concurrency: writes are atomic (temp file + fsync + rename; layer dirs are renamed into
 * place after syncfs). Three flock(2) locks: "index.lock" (exclusive around every
 * read-modify-write of index.json), "gc.lock" (held shared by every pin: ingests from their
 * first blob until the index names the result, readers while they read a snapshot; exclusive
 * by garbage collection, so GC never deletes a blob that a running import is about to
 * reference or a reader is about to open), and one lock per layer being unpacked.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/digest.h"
#include "engine/layer.h"

#define STORE_ANN_NAME "org.opencontainers.image.ref.name"
#define STORE_ANN_ID   "io.berth.image.id"
#define STORE_ANN_TIME "io.berth.image.created"
#define STORE_JSON_MAX (16u << 20) /* manifests, configs, the index */
/* <root>/store/roots/<name>: a manifest digest that garbage collection keeps (build cache) */
#define STORE_ROOTS_DIR "roots"

#define MEDIA_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER       "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP  "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD  "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER    "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct store {
        char *root;                    /* the state root */
        char *dir;                     /* <root>/store */
        char *layers;                  /* <root>/layers */
        int dirfd;                     /* <root>/store */
        int blobsfd;                   /* <root>/store/blobs/sha256 */
        int ingestfd;                  /* <root>/store/ingest */
        int layersfd;                  /* <root>/layers */
        int index_lock;                /* held fd while the index is locked, else -1 */
        int gc_lock;                   /* held fd while pinned, else -1 */
        struct store_pending *pending; /* layers unpacked ahead of need (store_prefetch) */
        size_t npending;
        int pins; /* nesting of store_pin */
};

/* store_open: open (creating on first use) the store under root. */
int store_open(const char *root, struct store **ret, struct err *err);
struct store *store_free(struct store *s);

/* ---- pinning: the GC lock ---- */

/* store_pin: hold the GC lock shared until store_unpin (nests). Every ingest pins from its first
 * blob until the index names the result, and every reader of a snapshot (ls, inspect, save,
 * df) pins while it reads blobs: garbage collection waits for all pins to go. */
int store_pin(struct store *s, struct err *err);
void store_unpin(struct store *s);

/* ---- blobs ---- */

/* store_blob_has: 1 when the blob is present, 0 when not. */
int store_blob_has(struct store *s, const char *digest);
/* store_blob_open: an fd reading the blob, and its size. -ENOENT when absent. */
int store_blob_open(struct store *s, const char *digest, int *ret_fd, uint64_t *ret_size,
                    struct err *err);
/* store_blob_read: the whole blob (at most max bytes), re-verified against its digest. */
int store_blob_read(struct store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                    struct err *err);
/* store_blob_write: store a blob from memory; ret_digest (optional) gets its digest. */
int store_blob_write(struct store *s, const void *data, size_t len, char *ret_digest,
                     struct err *err);
/* store_blob_path: the blob's file name (for reading tools; never write through it). */
char *store_blob_path(const struct store *s, const char *digest);
/* store_blob_verify: recompute the digest of a stored blob; -EBADMSG when it differs. */
int store_blob_verify(struct store *s, const char *digest, uint64_t *ret_size, struct err *err);

/* A blob being written: bytes are hashed as they arrive; commit renames the temp file into
 * place after checking the digest, so a blob file always holds its digest's content. */
struct store_writer;
int store_writer_new(struct store *s, struct store_writer **ret, struct err *err);
int store_writer_write(struct store_writer *w, const void *data, size_t n, struct err *err);
/* store_writer_commit: -EBADMSG when expect (optional) is not the digest of what was written.
 * ret_created (optional): whether the blob was new. */
int store_writer_commit(struct store_writer *w, const char *expect,
                        char ret_digest[DIGEST_STR_SIZE], uint64_t *ret_size, bool *ret_created,
                        struct err *err);
/* store_writer_free: abandon an uncommitted writer (its temp file is removed). */
struct store_writer *store_writer_free(struct store_writer *w);
/* store_writer_resume: a writer on ingest/<name> (a name of the caller's, [A-Za-z_-] first)
 * that keeps what an earlier writer of that name left behind (a download killed midway): its
 * bytes are hashed again and *ret_offset says how many there are, so the caller continues
 * from there. Unlike store_writer_new's, the file stays when the writer is freed uncommitted
 * (it is removed on a digest mismatch). -EBUSY while another process writes that name. */
int store_writer_resume(struct store *s, const char *name, struct store_writer **ret,
                        uint64_t *ret_offset, struct err *err);
/* store_writer_reset: forget everything written so far (the source could not resume). */
int store_writer_reset(struct store_writer *w, struct err *err);
/* store_ingest_sweep: remove temp files that writers killed mid-blob left in ingest/ (and
 * resumable ones nobody claimed for a week). */
void store_ingest_sweep(struct store *s);
/* store_writer_sink: a layer_write_fn for a writer (errors come back as -errno). */
int store_writer_sink(void *w, const void *data, size_t n);

/* ---- index ---- */

struct store_image {
        char *id;         /* the config digest: docker's image ID */
        char *manifest;   /* manifest digest */
        char *media_type; /* manifest media type */
        int64_t size;     /* manifest size */
        char **names;     /* full normalised names ("docker.io/library/busybox:latest"), sorted */
        char *created;    /* when the store got the image (RFC 3339) */
};

struct store_index {
        struct store_image *v;
        size_t n, cap;
};

/* store_index_read: a snapshot of the index (no lock: index.json is replaced atomically). */
int store_index_read(struct store *s, struct store_index *ret, struct err *err);
/* store_index_lock: lock the index exclusively and read it. Pair with store_index_unlock;
 * store_index_commit writes the new content in between. */
int store_index_lock(struct store *s, struct store_index *ret, struct err *err);
int store_index_commit(struct store *s, const struct store_index *idx, struct err *err);
void store_index_unlock(struct store *s);
void store_index_release(struct store_index *idx);

struct store_image *store_index_by_id(const struct store_index *idx, const char *id);
struct store_image *store_index_by_name(const struct store_index *idx, const char *name);
/* store_index_put: the image with this id, added when missing (manifest fields updated). */
struct store_image *store_index_put(struct store_index *idx, const char *id, const char *manifest,
                                    const char *media_type, int64_t size);
/* store_index_tag: give img the name, taking it from whichever image had it. */
void store_index_tag(struct store_index *idx, struct store_image *img, const char *name);
/* store_index_untag: drop a name; returns the image that had it (it stays, maybe nameless). */
struct store_image *store_index_untag(struct store_index *idx, const char *name);
/* store_index_remove: drop the image (img points into idx and is invalid afterwards). */
void store_index_remove(struct store_index *idx, struct store_image *img);

/* ---- holds: images in use ---- */

/* store_hold: record that holder (a container or build ID: [A-Za-z0-9_.-]+) uses image_id;
 * fsync'd when durable (a --rm container's hold need not survive a crash: nor does it). */
int store_hold(struct store *s, const char *holder, const char *image_id, int durable,
               struct err *err);
int store_unhold(struct store *s, const char *holder, struct err *err);
/* store_check_holder: 0 when holder is a valid holder name ([A-Za-z0-9_.-], not starting with
 * '.', at most STORE_HOLDER_MAX bytes), else -EINVAL with err set. */
#define STORE_HOLDER_MAX 128
int store_check_holder(const char *holder, struct err *err);
/* store_unhold_at: store_unhold without opening the store (nor creating it): unlink
 * <root>/store/holds/<holder>; a missing hold or store is success. In store_holds.c, which
 * the small monitor executable links without the rest of the store. */
int store_unhold_at(const char *root, const char *holder, struct err *err);
/* store_holds_of: how many holders use image_id (0 when none). */
int store_holds_of(struct store *s, const char *image_id, struct err *err);

/* ---- unpacked layers ---- */

struct store_layer {
        char chain_id[DIGEST_STR_SIZE];
        char diff_id[DIGEST_STR_SIZE];
        char parent[DIGEST_STR_SIZE]; /* "" for a bottom layer */
        uint64_t size;                /* bytes of file content (docker's layer size) */
        uint64_t tar_size;            /* length of the uncompressed tar */
};

/* store_layer_get: the layer's record; -ENOENT when it is not unpacked. */
int store_layer_get(struct store *s, const char *chain_id, struct store_layer *ret,
                    struct err *err);
/* store_layer_diff_path: "<root>/layers/<hex>/diff" (owned). */
char *store_layer_diff_path(const struct store *s, const char *chain_id);
/* store_layer_unpack: make sure the layer diff_id on top of parent (a chain ID, NULL at the
 * bottom) is unpacked, from the stored blob blob_digest. -EBADMSG when the blob does not
 * decompress to diff_id. */
int store_layer_unpack(struct store *s, const char *parent, const char *diff_id,
                       const char *blob_digest, struct store_layer *ret, struct err *err);
/* store_layer_ingest: read a layer stream once, storing its uncompressed tar as a blob (so the
 * blob digest is the diff ID) and unpacking it on top of parent. The caller holds a pin. */
int store_layer_ingest(struct store *s, const char *parent, layer_read_fn rd, void *ctx,
                       struct store_layer *ret, struct err *err);

/* store_layer_adopt: make dir (a directory on the layers' filesystem, in overlay form, e.g.
 * an overlay upper dir) the unpacked layer described by st (diff_id, content_bytes,
 * tar_bytes, as layer_diff reports them) on top of parent, by renaming it into place: the
 * tree is not copied. When the layer already exists, dir is removed instead. The blob is the
 * caller's business (store it first, under a pin). */
int store_layer_adopt(struct store *s, const char *parent, const char *dir,
                      const struct layer_stats *st, struct store_layer *ret, struct err *err);

/* ---- unpacking while a blob streams in ---- */

/* A prefetch unpacks a layer in a thread while its blob is still being written (image load
 * does not know which members are layers of which chain until it has read the whole archive):
 * store_prefetch_feed gets the same bytes as the blob writer. store_prefetch_finish files the
 * unpacked tree under the committed blob digest (NULL abandons it), and a later
 * store_layer_unpack of that blob publishes the tree instead of unpacking again. A blob that
 * is not a layer only makes the prefetch fail quietly. */
struct store_prefetch;
int store_prefetch_start(struct store *s, struct store_prefetch **ret, struct err *err);
void store_prefetch_feed(struct store_prefetch *p, const void *data, size_t n);
void store_prefetch_finish(struct store *s, struct store_prefetch *p, const char *blob);
/* store_prefetch_discard: remove prefetched trees nobody claimed (store_free does it too). */
void store_prefetch_discard(struct store *s);

/* ---- garbage collection and checks ---- */

struct store_gc_report {
        char **blobs;         /* digests of removed blobs */
        char **layers;        /* chain IDs of removed layer dirs */
        uint64_t bytes;       /* blob bytes reclaimed */
        uint64_t layer_bytes; /* unpacked bytes reclaimed */
};

/* store_gc: remove every blob and layer dir no image in the index and no hold reaches. */
int store_gc(struct store *s, struct store_gc_report *ret, struct err *err);
void store_gc_report_release(struct store_gc_report *r);

/* store_image_refs: the blobs (manifest, config, layers, nested manifests) and chain IDs an
 * image reaches, read from its manifest and config. ret_* are strvs (owned). */
int store_image_refs(struct store *s, const struct store_image *img, char ***ret_blobs,
                     char ***ret_chains, struct err *err);

/* store_check: verify every blob's digest and that every image's blobs and layers exist;
 * each problem is one line in *ret_problems. Returns the number of problems. */
int store_check(struct store *s, char ***ret_problems, struct err *err);
