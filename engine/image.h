/* image: images in the store as docker shows them.
 *
 * An image is an index entry (store.h) plus the manifest and config it points to. This module
 * creates images (from a rootfs tarball, or from config + layer blobs), resolves what a user
 * types (a name normalised like docker, a full or short image ID), tags, removes and prunes,
 * and builds the docker-shaped views (inspect JSON, history rows, sizes).
 * image_tar.c adds `save` and `load` (docker-archive and OCI layout tarballs).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/err.h"
#include "engine/store.h"

#define IMAGE_LAYERS_MAX 1000 /* per image (docker: 127 for overlay, but loads may hold more) */

/* An image read from the store. Owned pointers throughout. */
struct image {
        char *id;              /* config digest (docker's image ID) */
        char *manifest_digest; /* the image's manifest (for a multi-platform index: the
                                  platform manifest that was picked) */
        char **names;          /* full names */
        char *tagged;          /* when the store got or last tagged it (RFC 3339), may be NULL */
        json_object *manifest;
        json_object *config;
        char *config_media; /* config descriptor media type */
        char **diff_ids;
        char **chains;        /* chain IDs, bottom first */
        char **layer_digests; /* blob digests, bottom first */
        char **layer_media;
        uint64_t size; /* sum of unpacked layer sizes (docker's Size) */
        uint64_t *layer_sizes;
};

/* image_open: read the manifest and config of an index entry. -EBADMSG and -EINVAL for
 * corrupt blobs, -ENOENT for missing ones. */
int image_open(struct store *s, const struct store_image *entry, struct image **ret,
               struct err *err);
struct image *image_free(struct image *img);

/* image_resolve: the index entry a user means: a name ("busybox", "me/app:1",
 * "busybox@sha256:…"), a full ID ("sha256:…") or a unique hex prefix of one. -ENOENT with
 * docker's "No such image: X", -EINVAL for an ambiguous prefix or a malformed name. */
int image_resolve(const struct store_index *idx, const char *s, struct store_image **ret,
                  struct err *err);

/* image_short_id: the 12 hex digits docker shows. */
void image_short_id(const char *id, char out[13]);

/* image_platform_arch: the GOARCH name of this machine ("amd64", "arm64", ...). */
const char *image_platform_arch(void);

/* ---- creating images ---- */

struct image_layer_ref {
        const char *digest;     /* blob digest */
        const char *media_type; /* layer media type */
        int64_t size;           /* blob size */
};

/* image_commit: store config (bytes kept exactly), write an OCI manifest for it and the layers
 * (which must be in the store and match config's diff_ids when unpacked), and put the image
 * in the index under names (full form, may be NULL). The caller holds a pin (store_pin).
 * ret_id gets the image ID. */
int image_commit(struct store *s, const char *config, size_t config_len,
                 const struct image_layer_ref *layers, size_t nlayers, char *const *names,
                 char ret_id[DIGEST_STR_SIZE], struct err *err);

/* image_register: put an existing stored manifest (any media type we read) in the index under
 * names, unpacking its layers first. ret_id gets the image ID. The caller holds a pin (store_pin).
 */
int image_register(struct store *s, const char *manifest_digest, char *const *names,
                   char ret_id[DIGEST_STR_SIZE], struct err *err);

/* image_unpack: unpack every layer of img (a no-op for those already unpacked). */
int image_unpack(struct store *s, const struct image *img, struct err *err);

struct image_import_opts {
        const char *source;   /* shown as "Imported from <source>" ("-" for stdin) */
        const char *message;  /* -m: replaces that comment */
        char **changes;       /* -c: Dockerfile instructions applied to the config */
        const char *platform; /* "linux/amd64"; NULL for this machine */
};

/* image_import: `docker import`: a rootfs tarball (plain or compressed) read from fd becomes
 * a one-layer image named name (a user reference, normalised; NULL for none). */
int image_import(struct store *s, int fd, const char *name, const struct image_import_opts *o,
                 char ret_id[DIGEST_STR_SIZE], struct err *err);

/* image_apply_changes: apply `--change` instructions (CMD ENTRYPOINT ENV EXPOSE LABEL
 * ONBUILD STOPSIGNAL USER VOLUME WORKDIR) to a config's "config" object. */
int image_apply_changes(json_object *cfg, char *const *changes, struct err *err);

/* ---- names and removal ---- */

/* image_tag: give the image source resolves to the name target (with a tag, no digest). */
int image_tag(struct store *s, const char *source, const char *target, struct err *err);

struct image_rm_result {
        char **untagged;    /* familiar names removed */
        char **deleted;     /* image IDs deleted */
        uint64_t reclaimed; /* blob bytes freed */
};

/* image_remove: `docker image rm`: drop the name the user gave (or all names when given an
 * ID); an image left without names is deleted unless in use. An image in use is refused
 * (-EBUSY) unless force, which removes its names but keeps it until it is released. An ID
 * with several names is refused without force (-EBUSY), as docker does. */
int image_remove(struct store *s, const char *what, bool force, struct image_rm_result *ret,
                 struct err *err);

/* image_prune: remove untagged images not in use (all unused images with all), then
 * collect garbage. */
int image_prune(struct store *s, bool all, struct image_rm_result *ret, struct err *err);
void image_rm_result_release(struct image_rm_result *r);

/* ---- views ---- */

/* image_inspect_json: docker's `image inspect` object for img. Owned. */
json_object *image_inspect_json(struct store *s, const struct image *img);

struct image_history_row {
        char *id;        /* the image ID on the top row, NULL ("<missing>") below */
        int64_t created; /* unix seconds, 0 when unknown */
        char *created_by;
        char *comment;
        uint64_t size;
        bool empty_layer;
};

/* image_history: one row per config history entry, newest first (docker image history). */
int image_history(const struct image *img, struct image_history_row **ret, size_t *ret_n,
                  struct err *err);
void image_history_free(struct image_history_row *rows, size_t n);

/* image_created: the config's "created" as unix seconds (0 when absent or invalid). */
int64_t image_created(const struct image *img);

/* ---- save and load (image_tar.c) ---- */

enum image_format {
        IMAGE_FORMAT_DOCKER, /* docker save: manifest.json, <config>.json, <id>/layer.tar */
        IMAGE_FORMAT_OCI,    /* an OCI image layout (plus manifest.json, as docker 25 writes) */
};

#define IMAGE_ARCHIVE_MEMBERS_MAX 100000
#define IMAGE_ARCHIVE_IMAGES_MAX  1000

/* image_save: write the images the user named (names, IDs) as one uncompressed tar to fd.
 * A name given is kept in the archive; an image given by ID is saved without names. */
int image_save(struct store *s, char *const *what, enum image_format fmt, int fd, struct err *err);

struct image_load_result {
        char **names; /* familiar names loaded ("busybox:latest") */
        char **ids;   /* IDs of images loaded without a name */
};

/* image_load: read a `docker save` tarball (docker <= 24 layout, skopeo docker-archive, or
 * docker >= 25's OCI layout + manifest.json) or an OCI layout tarball (skopeo oci-archive),
 * plain or compressed, from fd; every blob and diff ID is verified. */
int image_load(struct store *s, int fd, struct image_load_result *ret, struct err *err);
void image_load_result_release(struct image_load_result *r);
