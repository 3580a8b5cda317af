/* registry_push: pushing an image over the OCI distribution API.
 *
 *   HEAD  /v2/<name>/blobs/<digest>                      200: already there
 *   POST  /v2/<name>/blobs/uploads/?mount=<d>&from=<repo>  201: mounted; 202: upload instead
 *   POST  /v2/<name>/blobs/uploads/                      202 + Location: an upload session
 *   PUT   <location>?digest=<d>  (body: the blob)         monolithic upload
 *   PATCH <location>  Content-Range: a-b  (repeated)      chunked upload, then PUT ?digest=
 *   PUT   /v2/<name>/manifests/<tag>                      the manifest, byte for byte
 *
 * Layers go up several at once (one thread and client per upload, o->parallel of them),
 * then the config. Blobs go up as the store holds them, so the manifest is pushed
 * unchanged and keeps its digest. A mount is tried when berth pulled or pushed the blob
 * from/to another repository of the same registry (reg_sources_*).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/registry_int.h"
#include "engine/store.h"

struct push {
        const struct reg_opts *o;
        struct reg_client c;
        struct store *s;
        struct ref ref;
        char *repo;          /* domain/path */
        char *scope;         /* repository:<path>:pull,push */
        const char *showing; /* the layer whose upload progress is reported, or NULL */
        uint64_t showing_size;
};

static int
blob_exists(struct push *p, const char *digest, bool *ret, struct err *err)
{
        cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", p->ref.path, digest);
        struct reg_req q = { .method = "HEAD", .url = path, .scope = p->scope, .body_fd = -1 };
        struct reg_resp resp = { .body = SBUF_INIT };
        int r = reg_do(&p->c, &q, &resp, err);

        if (r == 0 && resp.status != 200 && resp.status != 404)
                r = reg_http_error(&resp, "HEAD blob", err);
        *ret = resp.status == 200;
        reg_resp_release(&resp);
        return r;
}

/* mount_source: a repository of the same registry known to hold the blob. Owned or NULL. */
static char *
mount_source(struct push *p, const char *digest)
{
        cleanup_strv char **v = reg_sources_get(p->o->root, digest);
        size_t dl = strlen(p->ref.domain);

        strv_foreach(repo, v)
                if (!strncmp(repo, p->ref.domain, dl) && repo[dl] == '/' && repo[dl + 1] &&
                    strcmp(repo + dl + 1, p->ref.path) != 0)
                        return xstrdup(repo + dl + 1);
        return NULL;
}

/* start_upload: POST an upload session (trying a mount from `from` first). 1 when the blob
 * was mounted, 0 with *ret_location for an upload. */
static int
start_upload(struct push *p, const char *digest, const char *from, char **ret_location,
             struct err *err)
{
        cleanup_free char *path = NULL, *scope = NULL;
        struct reg_req q = { .method = "POST", .scope = p->scope, .body_fd = -1 };
        struct reg_resp resp = { .body = SBUF_INIT };
        int r;

        if (from) {
                path = xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", p->ref.path, digest,
                                 from);
                scope = xasprintf("%s repository:%s:pull", p->scope, from);
                q.scope = scope;
        } else {
                path = xasprintf("/v2/%s/blobs/uploads/", p->ref.path);
        }
        q.url = path;
        r = reg_do(&p->c, &q, &resp, err);
        if (r == 0 && from && resp.status == 201)
                r = 1;
        else if (r == 0 && (resp.status != 202 || !resp.location))
                r = reg_http_error(&resp, "start blob upload", err);
        else if (r == 0)
                *ret_location = TAKE_PTR(resp.location);
        reg_resp_release(&resp);
        return r;
}

static char *
with_digest(const char *location, const char *digest)
{
        return xasprintf("%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?', digest);
}

/* send: one PATCH or PUT of bytes [off, off+len) of fd to location. */
static int
send_part(struct push *p, const char *method, const char *url, int fd, uint64_t off, uint64_t len,
          const char *range, struct reg_resp *resp, struct err *err)
{
        struct reg_req q = { .method = method,
                             .url = url,
                             .scope = p->scope,
                             .body_fd = fd,
                             .body_off = off,
                             .body_fd_len = len,
                             .content_range = range,
                             .progress_digest = p->showing,
                             .progress_base = off,
                             .progress_total = p->showing_size };

        if (len == 0)
                q.body_fd = -1;
        return reg_do(&p->c, &q, resp, err);
}

static int
upload_chunked(struct push *p, const char *digest, int fd, uint64_t size, char **location,
               struct err *err)
{
        uint64_t chunk = p->o->chunk_size ? p->o->chunk_size : REG_CHUNK_DEFAULT;
        struct reg_resp resp = { .body = SBUF_INIT };
        int r = 0;

        for (uint64_t off = 0; r == 0 && off < size; off += chunk) {
                uint64_t n = size - off < chunk ? size - off : chunk;
                cleanup_free char *range =
                        xasprintf("%ju-%ju", (uintmax_t)off, (uintmax_t)(off + n - 1));

                r = send_part(p, "PATCH", *location, fd, off, n, range, &resp, err);
                if (r == 0 && (resp.status != 202 || !resp.location))
                        r = reg_http_error(&resp, "PATCH blob chunk", err);
                if (r == 0) {
                        free(*location);
                        *location = TAKE_PTR(resp.location);
                        reg_emit(p->o, digest, "Pushing", off + n, size);
                }
        }
        reg_resp_release(&resp);
        return r;
}

static int
upload(struct push *p, const char *digest, char *location, struct err *err)
{
        cleanup_close int fd = -1;
        cleanup_free char *url = NULL;
        struct reg_resp resp = { .body = SBUF_INIT };
        uint64_t size = 0;
        bool chunked;
        int r = store_blob_open(p->s, digest, &fd, &size, err);

        chunked = size > REG_MONOLITHIC_MAX;
        if (r == 0 && chunked)
                r = upload_chunked(p, digest, fd, size, &location, err);
        if (r == 0) {
                url = with_digest(location, digest);
                r = send_part(p, "PUT", url, fd, 0, chunked ? 0 : size, NULL, &resp, err);
        }
        if (r == 0 && resp.status != 201)
                r = reg_http_error(&resp, "PUT blob", err);
        reg_resp_release(&resp);
        free(location);
        return r;
}

static int
push_blob(struct push *p, const char *digest, uint64_t size, bool show, struct err *err)
{
        cleanup_free char *from = mount_source(p, digest);
        char *location = NULL;
        bool exists = false;
        int r = blob_exists(p, digest, &exists, err);

        if (r == 0 && exists) {
                if (show)
                        reg_emit(p->o, digest, "Layer already exists", size, size);
                return 0;
        }
        if (r == 0 && show)
                reg_emit(p->o, digest, "Pushing", 0, size);
        if (r == 0)
                r = start_upload(p, digest, from, &location, err);
        if (r == 1) {
                cleanup_free char *st = xasprintf("Mounted from %s", from);

                if (show)
                        reg_emit(p->o, digest, st, size, size);
                return 0;
        }
        p->showing = show ? digest : NULL;
        p->showing_size = size;
        if (r == 0)
                r = upload(p, digest, location, err);
        p->showing = NULL;
        if (r < 0) {
                err_prefix(err, "blob %s", digest);
                return r;
        }
        if (show)
                reg_emit(p->o, digest, "Pushed", size, size);
        return 0;
}

static int
put_manifest(struct push *p, const char *media, const char *bytes, size_t len, const char *digest,
             struct err *err)
{
        cleanup_free char *path =
                xasprintf("/v2/%s/manifests/%s", p->ref.path, p->ref.tag ? p->ref.tag : digest);
        struct reg_req q = { .method = "PUT",
                             .url = path,
                             .scope = p->scope,
                             .body_fd = -1,
                             .content_type = media,
                             .body = bytes,
                             .body_len = len };
        struct reg_resp resp = { .body = SBUF_INIT };
        int r = reg_do(&p->c, &q, &resp, err);

        if (r == 0 && resp.status != 201)
                r = reg_http_error(&resp, "PUT manifest", err);
        if (r == 0 && resp.digest && strcmp(resp.digest, digest) != 0)
                r = err_setf(err, -EBADMSG, "registry stored the manifest as %s, not %s",
                             resp.digest, digest);
        reg_resp_release(&resp);
        return r;
}

/* ---- layers in parallel ---- */

/* A pool of workers, each with its own client (curl handles and tokens are per thread),
 * taking layers in order. Progress callbacks are serialised through the pool's lock. */
struct pool {
        pthread_mutex_t lock;
        struct push *p;       /* the caller's push: read-only while workers run */
        struct reg_opts o;    /* the caller's options, progress through the lock */
        const char **digests; /* layers */
        const uint64_t *sizes;
        size_t n, next;
        int r; /* the first failure */
        struct err err;
};

static void
locked_progress(void *ctx, const struct reg_progress *rp)
{
        struct pool *pl = ctx;

        pthread_mutex_lock(&pl->lock);
        pl->p->o->progress(pl->p->o->progress_ctx, rp);
        pthread_mutex_unlock(&pl->lock);
}

/* take: the next layer to push, or -1 when done or after a failure. */
static ssize_t
take(struct pool *pl)
{
        ssize_t i = -1;

        pthread_mutex_lock(&pl->lock);
        if (pl->r == 0 && pl->next < pl->n)
                i = (ssize_t)pl->next++;
        pthread_mutex_unlock(&pl->lock);
        return i;
}

static void *
worker(void *arg)
{
        struct pool *pl = arg;
        struct push w = *pl->p;
        struct err err = { 0 };
        ssize_t i;
        int r = reg_client_init(&w.c, &pl->o, w.ref.domain, &err);

        w.o = &pl->o;
        while (r == 0 && (i = take(pl)) >= 0)
                r = push_blob(&w, pl->digests[i], pl->sizes[i], true, &err);
        reg_client_release(&w.c);
        pthread_mutex_lock(&pl->lock);
        if (r < 0 && pl->r == 0) {
                pl->r = r;
                pl->err = err;
        }
        pthread_mutex_unlock(&pl->lock);
        return NULL;
}

static int
push_layers(struct push *p, const char **digests, const uint64_t *sizes, size_t n, struct err *err)
{
        struct pool pl = { .p = p, .o = *p->o, .digests = digests, .sizes = sizes, .n = n };
        size_t nw = p->o->parallel ? p->o->parallel : REG_PARALLEL_DEFAULT;
        pthread_t *t;
        size_t started = 0;

        if (nw > n)
                nw = n;
        pthread_mutex_init(&pl.lock, NULL);
        if (p->o->progress) {
                pl.o.progress = locked_progress;
                pl.o.progress_ctx = &pl;
        }
        t = xcalloc(nw + 1, sizeof(*t));
        for (; started < nw; started++)
                if (pthread_create(&t[started], NULL, worker, &pl) != 0)
                        break;
        if (started == 0)
                worker(&pl); /* no thread to be had: push them here */
        for (size_t i = 0; i < started; i++)
                pthread_join(t[i], NULL);
        free(t);
        pthread_mutex_destroy(&pl.lock);
        if (pl.r < 0 && err)
                *err = pl.err;
        return pl.r;
}

/* push_image: every layer (several at once), then the config, then the manifest (a
 * registry refuses a manifest whose blobs it does not have). */
static int
push_image(struct push *p, const struct image *img, char **ret_digest, uint64_t *ret_size,
           struct err *err)
{
        json_object *layers = jsonx_get(img->manifest, "layers");
        json_object *cfg = jsonx_get(img->manifest, "config");
        const char *media = jsonx_str(img->manifest, "mediaType");
        cleanup_free char *bytes = NULL;
        size_t len, n = strv_length(img->layer_digests);
        int r = 0;

        cleanup_free uint64_t *sizes = xcalloc(n + 1, sizeof(*sizes));

        for (size_t i = 0; i < n; i++) {
                sizes[i] = (uint64_t)jsonx_int(json_object_array_get_idx(layers, i), "size", 0);
                reg_emit(p->o, img->layer_digests[i], "Preparing", 0, 0);
        }
        r = push_layers(p, (const char **)img->layer_digests, sizes, n, err);
        if (r == 0)
                r = push_blob(p, img->id, (uint64_t)jsonx_int(cfg, "size", 0), false, err);
        if (r == 0)
                r = store_blob_read(p->s, img->manifest_digest, REG_MANIFEST_MAX, &bytes, &len,
                                    err);
        if (r == 0)
                r = put_manifest(p, media ? media : MEDIA_OCI_MANIFEST, bytes, len,
                                 img->manifest_digest, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                reg_sources_add(p->o->root, img->layer_digests[i], p->repo);
        if (r == 0 && ret_digest)
                *ret_digest = xstrdup(img->manifest_digest);
        if (r == 0 && ret_size)
                *ret_size = len;
        return r;
}

static int
open_image(struct push *p, const char *ref, struct image **ret, struct err *err)
{
        struct store_index idx;
        struct store_image *e;
        int r = store_index_read(p->s, &idx, err);

        if (r < 0)
                return r;
        r = image_resolve(&idx, ref, &e, err);
        if (r == 0)
                r = image_open(p->s, e, ret, err);
        store_index_release(&idx);
        return r;
}

int
reg_push(const struct reg_opts *o, const char *ref, char **ret_digest, uint64_t *ret_size,
         struct err *err)
{
        struct push p = { .o = o };
        struct image *img = NULL;
        int r = ref_parse(ref, &p.ref, err);

        if (r < 0)
                return r;
        r = curl_dl_load(err);
        if (r < 0)
                return r;
        p.repo = ref_repo(&p.ref);
        p.scope = xasprintf("repository:%s:pull,push", p.ref.path);
        r = store_open(o->root, &p.s, err);
        if (r == 0)
                r = store_pin(p.s, err);
        if (r == 0) {
                r = open_image(&p, ref, &img, err);
                if (r == 0)
                        r = reg_client_init(&p.c, o, p.ref.domain, err);
                if (r == 0)
                        r = push_image(&p, img, ret_digest, ret_size, err);
                store_unpin(p.s);
        }
        image_free(img);
        reg_client_release(&p.c);
        store_free(p.s);
        ref_release(&p.ref);
        free(p.repo);
        free(p.scope);
        if (r < 0)
                err_prefix(err, "push '%s'", ref);
        return r;
}
