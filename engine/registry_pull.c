/* registry_pull: pulling an image over the OCI distribution API.
 *
 *   GET /v2/<name>/manifests/<tag|digest>   Accept: the four manifest and index types
 *   GET /v2/<name>/manifests/<digest>       the platform's manifest, when that was an index
 *   GET /v2/<name>/blobs/<digest>           config and layers, up to o->parallel at once
 *
 * Manifests are checked against the digest asked for (or the Docker-Content-Digest header)
 * before they are parsed; blobs stream through a store writer that hashes as it writes and
 * renames into place only when the digest matches, so nothing unverified ever becomes a blob.
 * A blob longer than its descriptor is cut off at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/registry_int.h"
#include "engine/store.h"

#define ACCEPT_ALL \
        MEDIA_OCI_INDEX ", " MEDIA_DOCKER_LIST ", " MEDIA_OCI_MANIFEST ", " MEDIA_DOCKER_MANIFEST

struct pull {
        const struct reg_opts *o;
        struct reg_client c;
        struct store *s;
        struct ref ref;
        char *repo;  /* domain/path */
        char *scope; /* repository:<path>:pull */
        struct reg_platform plat;
};

struct manifest {
        char digest[DIGEST_STR_SIZE];
        char *bytes;
        size_t len;
        json_object *json;
        const char *media; /* borrowed from json or a constant */
};

static void
manifest_release(struct manifest *m)
{
        free(m->bytes);
        json_object_put(m->json);
        *m = (struct manifest){ 0 };
}

void
reg_emit(const struct reg_opts *o, const char *digest, const char *status, uint64_t cur,
         uint64_t total)
{
        char id[13];
        struct reg_progress p = { .id = id, .status = status, .current = cur, .total = total };

        if (!o->progress)
                return;
        snprintf(id, sizeof(id), "%s", digest_valid(digest) ? digest_hex(digest) : digest);
        o->progress(o->progress_ctx, &p);
}

/* check_manifest: the body's digest is the one asked for (or the one the server named). */
static int
check_manifest(const char *reference, const struct reg_resp *resp, struct manifest *m,
               struct err *err)
{
        digest_buf(resp->body.buf, resp->body.len, m->digest);
        if (digest_valid(reference) && strcmp(reference, m->digest) != 0)
                return err_setf(err, -EBADMSG, "manifest digest mismatch: asked for %s, got %s",
                                reference, m->digest);
        if (!digest_valid(reference) && resp->digest && !strncmp(resp->digest, "sha256:", 7) &&
            strcmp(resp->digest, m->digest) != 0)
                return err_setf(err, -EBADMSG,
                                "manifest digest mismatch: registry says %s, content is %s",
                                resp->digest, m->digest);
        return 0;
}

static int
fetch_manifest(struct pull *p, const char *reference, struct manifest *m, struct err *err)
{
        cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", p->ref.path, reference);
        struct reg_req q = { .method = "GET",
                             .url = path,
                             .scope = p->scope,
                             .accept = ACCEPT_ALL,
                             .body_fd = -1,
                             .max = REG_MANIFEST_MAX };
        struct reg_resp resp = { .body = SBUF_INIT };
        int r = reg_do(&p->c, &q, &resp, err);

        if (r == 0 && resp.status != 200)
                r = reg_http_error(&resp, "get manifest", err);
        if (r == 0)
                r = check_manifest(reference, &resp, m, err);
        if (r == 0)
                r = jsonx_parse(resp.body.buf, resp.body.len, REG_MANIFEST_MAX, "manifest",
                                &m->json, err);
        if (r == 0) {
                m->len = resp.body.len;
                m->bytes = sbuf_detach(&resp.body);
                m->media = jsonx_str(m->json, "mediaType");
                if (!m->media && resp.content_type)
                        m->media = jsonx_get(m->json, "manifests") ? MEDIA_OCI_INDEX
                                                                   : MEDIA_OCI_MANIFEST;
                if (!m->media)
                        m->media = MEDIA_OCI_MANIFEST;
        }
        reg_resp_release(&resp);
        if (r < 0)
                err_prefix(err, "manifest '%s'", reference);
        return r;
}

/* resolve: the image manifest for the platform; *idx gets the index when there was one. */
static int
resolve(struct pull *p, struct manifest *idx, struct manifest *m, struct err *err)
{
        const char *reference = p->ref.digest ? p->ref.digest : p->ref.tag;
        json_object *list;
        size_t i;
        int r = fetch_manifest(p, reference, m, err);

        if (r < 0 || !(reg_media_is_index(m->media) || jsonx_get(m->json, "manifests")))
                return r;
        *idx = *m;
        *m = (struct manifest){ 0 };
        r = reg_platform_pick(idx->json, &p->plat, &i, err);
        if (r < 0)
                return r;
        list = jsonx_get(idx->json, "manifests");
        r = fetch_manifest(p, jsonx_str(json_object_array_get_idx(list, i), "digest"), m, err);
        if (r == 0 && reg_media_is_index(m->media))
                r = err_setf(err, -EPROTO, "%s: nested manifest lists are not supported", p->repo);
        return r;
}

/* store_manifests: keep the manifest (and index) bytes exactly as served. */
static int
store_manifests(struct pull *p, const struct manifest *idx, const struct manifest *m,
                struct err *err)
{
        char got[DIGEST_STR_SIZE];
        int r = 0;

        if (idx->bytes)
                r = store_blob_write(p->s, idx->bytes, idx->len, got, err);
        if (r == 0)
                r = store_blob_write(p->s, m->bytes, m->len, got, err);
        return r;
}

/* store_would_pick: whether the store, reading the index for this machine (image.c: the
 * first linux/<arch> entry), finds the manifest that was pulled. */
static bool
store_would_pick(const struct manifest *idx, const struct manifest *m)
{
        json_object *list = jsonx_get_type(idx->json, "manifests", json_type_array);
        size_t n = list ? json_object_array_length(list) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *d = json_object_array_get_idx(list, i);
                json_object *pl = jsonx_get_type(d, "platform", json_type_object);
                const char *os = jsonx_str(pl, "os"), *arch = jsonx_str(pl, "architecture");

                if ((os && arch && !strcmp(os, "linux") && !strcmp(arch, image_platform_arch())) ||
                    (n == 1 && !pl))
                        return !strcmp(jsonx_str(d, "digest") ? jsonx_str(d, "digest") : "",
                                       m->digest);
        }
        return false;
}

/* register_image: name the image. The index is what gets registered when the store would
 * find the pulled manifest through it (so "name@index-digest" finds the image); an image
 * for another platform is registered by its own manifest. */
static int
register_image(struct pull *p, const struct manifest *idx, const struct manifest *m,
               char ret_id[DIGEST_STR_SIZE], struct err *err)
{
        cleanup_free char *name = NULL;
        char *names[2] = { NULL, NULL };
        const char *what = idx->bytes && store_would_pick(idx, m) ? idx->digest : m->digest;

        if (p->ref.digest) {
                cleanup_free char *repo = ref_repo(&p->ref);

                name = xasprintf("%s@%s", repo, p->ref.digest);
        } else {
                name = ref_string(&p->ref);
        }
        names[0] = name;
        return image_register(p->s, what, names, ret_id, err);
}

static int
pull_image(struct pull *p, char ret_id[DIGEST_STR_SIZE], char **ret_digest, struct err *err)
{
        struct manifest idx = { 0 }, m = { 0 };
        struct reg_blob *blobs = NULL;
        size_t n = 0;
        int r = resolve(p, &idx, &m, err);

        if (r == 0)
                r = reg_manifest_blobs(m.json, m.digest, &blobs, &n, err);
        if (r == 0)
                r = store_pin(p->s, err);
        if (r == 0) {
                r = reg_fetch_blobs(&p->c, p->s, p->ref.path, p->scope, blobs, n, err);
                if (r == 0)
                        r = store_manifests(p, &idx, &m, err);
                if (r == 0)
                        r = register_image(p, &idx, &m, ret_id, err);
                store_unpin(p->s);
        }
        for (size_t i = 1; r == 0 && i < n; i++)
                reg_emit(p->o, blobs[i].digest, "Pull complete", 0, 0);
        for (size_t i = 0; r == 0 && i < n; i++)
                reg_sources_add(p->o->root, blobs[i].digest, p->repo);
        if (r == 0 && ret_digest)
                *ret_digest = xstrdup(idx.bytes ? idx.digest : m.digest);
        reg_blobs_free(blobs, n);
        manifest_release(&idx);
        manifest_release(&m);
        return r;
}

static void
pull_release(struct pull *p)
{
        reg_client_release(&p->c);
        store_free(p->s);
        ref_release(&p->ref);
        free(p->repo);
        free(p->scope);
}

int
reg_pull(const struct reg_opts *o, const char *ref, char **ret_image_id, struct err *err)
{
        return reg_pull_full(o, ref, ret_image_id, NULL, err);
}

int
reg_pull_full(const struct reg_opts *o, const char *ref, char **ret_image_id, char **ret_digest,
              struct err *err)
{
        struct pull p = { .o = o };
        char id[DIGEST_STR_SIZE];
        int r = ref_parse(ref, &p.ref, err);

        if (r < 0)
                return r;
        r = curl_dl_load(err);
        if (r < 0)
                return r;
        p.repo = ref_repo(&p.ref);
        p.scope = xasprintf("repository:%s:pull", p.ref.path);
        r = reg_platform_parse(o->platform, &p.plat, err);
        if (r == 0)
                r = reg_client_init(&p.c, o, p.ref.domain, err);
        if (r == 0)
                r = store_open(o->root, &p.s, err);
        if (r == 0) {
                store_ingest_sweep(p.s);
                r = pull_image(&p, id, ret_digest, err);
        }
        if (r == 0 && ret_image_id)
                *ret_image_id = xstrdup(id);
        pull_release(&p);
        if (r < 0)
                err_prefix(err, "pull '%s'", ref);
        return r;
}
