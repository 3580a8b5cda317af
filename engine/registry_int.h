/* registry_int: what the registry*.c files share (private to engine/).
 *
 * registry_auth.c    WWW-Authenticate parsing, base64, docker's config.json (pure, unit-tested)
 * registry_http.c    the client: transport choice, requests with auth and retries, errors
 * registry_manifest.c  platforms, manifests and indexes (pure, unit-tested)
 * registry_pull.c    pull: manifests, parallel blob downloads (curl multi), registering
 * registry_push.c    push: HEAD, mount, monolithic and chunked uploads, manifest PUT
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/curl_dl.h"
#include <json-c/json.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "engine/digest.h"
#include "engine/registry.h"

#define REG_TOKEN_MAX      (1u << 20)  /* token endpoint responses */
#define REG_ERRBODY_MAX    (64u << 10) /* error bodies kept for messages */
#define REG_CONFIGJSON_MAX (4u << 20)

/* ---- registry_auth.c ---- */

/* A parsed WWW-Authenticate challenge (RFC 7235; the first challenge of the header). */
struct reg_challenge {
        char *scheme; /* "bearer" or "basic" (lower case); NULL: none */
        char *realm;
        char *service;
        char *scope;
};

/* reg_challenge_parse: parse a WWW-Authenticate value. -EINVAL when malformed. */
int reg_challenge_parse(const char *hdr, struct reg_challenge *ret, struct err *err);
void reg_challenge_release(struct reg_challenge *c);

/* reg_base64: standard base64 with padding. Owned. */
char *reg_base64(const void *data, size_t n);
/* reg_unbase64: decode (padding optional); -EINVAL on bad input. *ret owned, NUL-ended. */
int reg_unbase64(const char *s, char **ret, size_t *ret_len);

/* reg_config_path: <dir>/config.json (dir NULL: $DOCKER_CONFIG or $HOME/.docker). Owned. */
char *reg_config_path(const char *dir);
/* reg_auth_decode: split an "auth" value (base64 user:pass). -EINVAL when malformed. */
int reg_auth_decode(const char *auth, char **ret_user, char **ret_pass, struct err *err);
/* reg_config_lookup: credentials for domain (a ref domain) in a config.json object: the
 * "auths" entry whose key, stripped of scheme and path, is the domain (Docker Hub's keys for
 * docker.io). 0 and NULLs when none; -EINVAL for a malformed entry. */
int reg_config_lookup(json_object *cfg, const char *domain, char **ret_user, char **ret_pass,
                      struct err *err);
/* reg_config_set: put (user, pass) under key (user NULL removes it); 1 when it changed. */
int reg_config_set(json_object *cfg, const char *key, const char *user, const char *pass);
/* reg_config_load: the config.json at path; an absent file gives an empty object. */
int reg_config_load(const char *path, json_object **ret, struct err *err);
/* reg_config_store: write cfg to path atomically, mode 0600 (its dir made 0700). */
int reg_config_store(const char *path, json_object *cfg, struct err *err);

/* ---- registry_manifest.c ---- */

struct reg_platform {
        char os[32], arch[32], variant[32];
};

/* reg_platform_parse: "os/arch[/variant]"; NULL or "" gives linux/<this machine>. Without a
 * variant, arm means arm/v7 and arm64 arm64/v8 (containerd's normalisation). */
int reg_platform_parse(const char *s, struct reg_platform *ret, struct err *err);
/* reg_platform_pick: the index in an index's "manifests" of the best match for p: os and
 * architecture equal, and the variant equal when p has one (an entry without a variant is
 * normalised the same way). -ENOENT when none matches. Entries that are not image manifests
 * (attestations, nested indexes) are skipped. */
int reg_platform_pick(json_object *index, const struct reg_platform *p, size_t *ret,
                      struct err *err);
/* reg_media_is_index / reg_media_is_manifest: media type families. */
bool reg_media_is_index(const char *media);
bool reg_media_is_manifest(const char *media);

struct reg_blob {
        char digest[DIGEST_STR_SIZE];
        char *media;
        uint64_t size;
};

/* reg_manifest_blobs: the config (first) and layers of an image manifest, checked: schema
 * version 2, valid digests and sizes, layer media types berth can unpack. -EPROTO for what
 * berth cannot pull (schema1, foreign layers, unknown layer types). */
int reg_manifest_blobs(json_object *m, const char *what, struct reg_blob **ret, size_t *ret_n,
                       struct err *err);
void reg_blobs_free(struct reg_blob *b, size_t n);

/* ---- registry_http.c ---- */

struct reg_token {
        char *scope;
        char *token;
};

struct reg_client {
        const struct reg_opts *o;
        char *domain; /* as in the reference: "docker.io", "127.0.0.1:5000" */
        char *base;   /* "https://registry-1.docker.io", "http://127.0.0.1:5000" */
        char *user, *pass;
        struct reg_challenge ch; /* from GET /v2/ */
        bool pinged;
        struct reg_token *tokens;
        size_t ntokens, captokens;
};

/* reg_is_loopback: whether host[:port] names a loopback address. */
bool reg_is_loopback(const char *domain);
/* reg_is_insecure: loopback, or listed in list ("host:port,host", NULL: none). */
bool reg_is_insecure(const char *domain, const char *list);

/* reg_client_init: a client for domain with credentials from config.json. */
int reg_client_init(struct reg_client *c, const struct reg_opts *o, const char *domain,
                    struct err *err);
void reg_client_release(struct reg_client *c);

struct reg_req {
        const char *method; /* GET HEAD PUT POST PATCH */
        const char *url;    /* absolute, or a path starting with "/v2/" */
        const char *scope;  /* token scope(s) this needs, space-separated; NULL: none */
        const char *accept;
        const char *content_type;
        const char *content_range;
        const void *body; /* an in-memory body ... */
        size_t body_len;
        int body_fd; /* ... or a range of a file (fd >= 0; 0 is never a blob fd here) */
        uint64_t body_off, body_fd_len;
        size_t max; /* cap on the response body kept (0: REG_ERRBODY_MAX) */
        /* upload progress: "Pushing" events for this blob, at base + bytes sent of total */
        const char *progress_digest;
        uint64_t progress_base, progress_total;
};

struct reg_resp {
        long status;
        struct sbuf body;
        char *location, *digest, *content_type, *www_auth, *range;
};

void reg_resp_release(struct reg_resp *r);

/* reg_do: one request, authenticating as the registry asks (ping first, token per scope,
 * one retry after a 401 with the scope the challenge names). Any HTTP status is success
 * here; only transport failures return < 0 (-EIO, -EFBIG when the body exceeds max). */
int reg_do(struct reg_client *c, const struct reg_req *q, struct reg_resp *ret, struct err *err);

/* reg_auth_header: the Authorization header line for scope (NULL when anonymous).
 * Fetches a token when the registry uses them. Owned. */
int reg_auth_header(struct reg_client *c, const char *scope, bool refresh, char **ret,
                    struct err *err);

/* reg_http_error: fill err from a failed response (status, registry error codes); returns
 * -ENOENT (404), -EACCES (401, 403) or -EIO. */
int reg_http_error(const struct reg_resp *r, const char *what, struct err *err);

/* reg_url: an absolute URL for a "/v2/..." path or an absolute/relative Location. Owned. */
char *reg_url(const struct reg_client *c, const char *path);

/* reg_easy_common: options every handle gets (timeouts, redirects, protocols). */
void reg_easy_common(CURL *h);

/* reg_emit: report progress for a blob through o->progress (when set). */
void reg_emit(const struct reg_opts *o, const char *digest, const char *status, uint64_t cur,
              uint64_t total);

/* ---- registry_fetch.c ---- */

/* reg_fetch_blobs: download the blobs of repository path (those not in the store yet) into
 * the store, c->o->parallel at a time, each verified against its digest and size. The caller
 * holds a pin. -EBADMSG for a blob whose content does not match. */
struct store;
int reg_fetch_blobs(struct reg_client *c, struct store *s, const char *path, const char *scope,
                    const struct reg_blob *blobs, size_t n, struct err *err);

/* reg_sources_*: which repositories of a registry a blob is known to live in (for mounts),
 * as lines "domain/path" in <root>/registry/sources/<hex>. */
void reg_sources_add(const char *root, const char *digest, const char *repo);
char **reg_sources_get(const char *root, const char *digest);
