/* registry: a client of the OCI distribution API (distribution-spec v1.1, the "registry v2"
 * HTTP API) that moves images between a registry and berth's store.
 *
 * Pull: GET the manifest by tag or digest (Docker schema2 or OCI; a manifest list or OCI
 * index resolves to one platform), then the config and layer blobs, several at once. Every
 * blob is hashed while it streams into a temp file in the store's ingest dir and renamed into
 * place only when its digest matches, so a killed pull leaves no corrupt blob; the next pull
 * resumes the partial files (HTTP Range). The image is then unpacked and named in the store.
 * Push: for each blob HEAD first, then a cross-repository mount when berth knows the blob
 * from another repository of the same registry, else an upload (one PUT, or PATCH chunks for
 * big blobs); then the manifest is PUT under the tag.
 * Auth: anonymous, HTTP basic, or the bearer-token flow (WWW-Authenticate realm, service and
 * scope; tokens cached per scope), with credentials from docker's config.json.
 * Transport: https, except plain http for loopback registries (127.0.0.0/8, localhost, ::1)
 * and those listed in BERTH_INSECURE_REGISTRIES ("host:port,host2").
 *
 * Every call opens its own store handle and curl handles, so calls may run in parallel
 * threads (compose pull).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/log.h"

#define REG_MANIFEST_MAX     (4u << 20)  /* docker's cap on a manifest */
#define REG_CONFIG_MAX       (16u << 20) /* image configs */
#define REG_PARALLEL_DEFAULT 4
#define REG_MONOLITHIC_MAX   (16u << 20)   /* push: bigger blobs go up in PATCH chunks */
#define REG_CHUNK_DEFAULT    (1024u << 20) /* one PATCH for most blobs, as docker does */

/* One progress event for one blob, in docker's wording. */
struct reg_progress {
        const char *id;     /* the blob's short digest (12 hex digits) */
        const char *status; /* "Waiting", "Downloading", "Verifying Checksum", "Download
                               complete", "Already exists", "Pull complete", "Preparing",
                               "Pushing", "Pushed", "Layer already exists", "Mounted from R" */
        uint64_t current;   /* bytes so far (Downloading, Pushing) */
        uint64_t total;     /* blob size, 0 when unknown */
};

typedef void (*reg_progress_fn)(void *ctx, const struct reg_progress *p);

struct reg_opts {
        const char *root;         /* berth's state root (the store is opened under it) */
        const char *platform;     /* pull: "os/arch[/variant]"; NULL: linux/<this machine> */
        const char *config_dir;   /* docker's config dir; NULL: $DOCKER_CONFIG or ~/.docker */
        const char *insecure;     /* "host:port,..." served over plain http; NULL: the env var
                                     BERTH_INSECURE_REGISTRIES */
        unsigned parallel;        /* concurrent blob transfers (0: REG_PARALLEL_DEFAULT) */
        uint64_t chunk_size;      /* push: PATCH chunk size for blobs larger than
                                     REG_MONOLITHIC_MAX (0: REG_CHUNK_DEFAULT) */
        reg_progress_fn progress; /* optional; never called concurrently (a push calls it
                                     from its worker threads, one at a time) */
        void *progress_ctx;
        const struct logger *log; /* optional: warnings */
};

/* reg_pull: pull ref ("busybox", "host:5000/app:1", "app@sha256:…") into the store and name
 * it (a pull by digest names it "repo@digest"). *ret_image_id (optional) gets the image ID
 * (config digest), owned. Blobs already in the store are not downloaded again.
 * Errors: -EINVAL bad reference or platform, -ENOENT manifest or platform not found,
 * -EACCES authentication refused, -EBADMSG a digest that does not match, -EPROTO a manifest
 * berth does not understand (schema1, foreign layers), -EFBIG a cap exceeded, -EIO other
 * HTTP or network failures. */
int reg_pull(const struct reg_opts *o, const char *ref, char **ret_image_id, struct err *err);
/* reg_pull_full: reg_pull, and *ret_digest (optional, owned) gets the digest the registry
 * resolved the reference to (the index's for a multi-platform image). */
int reg_pull_full(const struct reg_opts *o, const char *ref, char **ret_image_id, char **ret_digest,
                  struct err *err);

/* reg_push: push the local image named ref (its tag, "latest" by default) to its registry.
 * *ret_digest (optional) gets the pushed manifest's digest and *ret_size its length.
 * Errors: -ENOENT no such local image, -EACCES denied, -EIO HTTP failures. */
int reg_push(const struct reg_opts *o, const char *ref, char **ret_digest, uint64_t *ret_size,
             struct err *err);

/* reg_login: check user/pass against server (a registry host[:port]; NULL or "docker.io"
 * for Docker Hub) as docker login does (GET /v2/, then the token endpoint when the registry
 * uses tokens), then store them in config.json. -EACCES when the registry refuses them. */
int reg_login(const struct reg_opts *o, const char *server, const char *user, const char *pass,
              struct err *err);

/* reg_logout: remove server's credentials from config.json. -ENOENT when there were none. */
int reg_logout(const struct reg_opts *o, const char *server, struct err *err);

/* reg_config_key: the config.json "auths" key for a server as docker writes it
 * ("https://index.docker.io/v1/" for Docker Hub, else host[:port]). Owned. */
char *reg_config_key(const char *server);
