/* registry_fetch: GET /v2/<name>/blobs/<digest> for many blobs at once (OCI distribution
 * API "pulling blobs"), with a libcurl multi handle.
 *
 * Each transfer streams into its own store writer: bytes are hashed as they are written, a
 * body longer than the descriptor's size is cut off, and the writer is committed (renamed
 * into blobs/) only when the digest matches. Writers are resumable, named after the blob
 * (ingest/pull-<hex>): what a killed or failed pull downloaded stays there, and the next
 * pull hashes it again and asks only for the rest (Range: bytes=N-; a server that answers
 * 200 instead of 206 sends it all again). A digest mismatch removes the file.
 * A 401 (an expired token: with a fresh one), a 5xx or a network failure restarts that
 * transfer from the start, up to FETCH_TRIES times.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "engine/registry_int.h"
#include "engine/store.h"

#define FETCH_TRIES 3

struct dl {
        struct fetch *f;
        const struct reg_blob *b;
        CURL *h;
        struct curl_slist *hdrs;
        struct store_writer *w;
        uint64_t got, shown;
        uint64_t from;  /* bytes a killed pull left, asked for with a Range header */
        unsigned tries; /* restarts so far (expired token, transient failure) */
        int failed;     /* -errno from the write callback */
        struct err err;
        struct reg_resp resp; /* status and error body */
};

struct fetch {
        struct reg_client *c;
        struct store *s;
        const char *path, *scope;
        CURLM *m;
        struct dl *v;
        size_t n, next, running;
};

/* emit: progress for layers; the config blob is not shown, as docker does not show it. */
static void
emit(const struct fetch *f, const struct reg_blob *b, const char *status, uint64_t cur)
{
        if (!strstr(b->media, "config"))
                reg_emit(f->c->o, b->digest, status, cur, b->size);
}

static size_t
on_data(char *buf, size_t size, size_t nmemb, void *ctx)
{
        struct dl *d = ctx;
        size_t n = size * nmemb;
        long status = 0;

        curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200 && !(status == 206 && d->from > 0)) {
                if (d->resp.body.len + n <= REG_ERRBODY_MAX)
                        sbuf_add(&d->resp.body, buf, n);
                return n;
        }
        if (status == 200 && d->from > 0) { /* the server sends it all: start over */
                d->failed = store_writer_reset(d->w, &d->err);
                if (d->failed < 0)
                        return 0;
                d->from = d->got = 0;
        }
        if (d->got + n > d->b->size) {
                d->failed = err_setf(&d->err, -EBADMSG,
                                     "blob %s is longer than the %ju bytes its descriptor says",
                                     d->b->digest, (uintmax_t)d->b->size);
                return 0;
        }
        d->failed = store_writer_write(d->w, buf, n, &d->err);
        if (d->failed < 0)
                return 0;
        d->got += n;
        return n;
}

/* open_writer: continue the partial file a killed pull left for this blob, if any. */
static int
open_writer(struct fetch *f, struct dl *d, struct err *err)
{
        cleanup_free char *name = xasprintf("pull-%s", digest_hex(d->b->digest));
        struct err e = { 0 };
        int r = store_writer_resume(f->s, name, &d->w, &d->from, &e);

        if (r == -EBUSY) { /* another pull is fetching it: fetch a copy of our own */
                d->from = 0;
                return store_writer_new(f->s, &d->w, err);
        }
        if (r < 0)
                return err_setf(err, r, "%s", e.msg);
        if (d->from >= d->b->size) { /* complete but not renamed, or too long: start over */
                d->from = 0;
                return store_writer_reset(d->w, err);
        }
        return 0;
}

static int
dl_start(struct fetch *f, struct dl *d, bool refresh, struct err *err)
{
        cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", f->path, d->b->digest);
        cleanup_free char *url = reg_url(f->c, path);
        cleanup_free char *auth = NULL, *range = NULL;
        int r = reg_auth_header(f->c, f->scope, refresh, &auth, err);

        if (r == 0)
                r = open_writer(f, d, err);
        if (r < 0)
                return r;
        d->got = d->shown = d->from;
        d->h = curl_easy_init();
        reg_easy_common(d->h);
        if (d->from > 0) {
                range = xasprintf("%ju-", (uintmax_t)d->from);
                curl_easy_setopt(d->h, CURLOPT_RANGE, range); /* copied by curl */
        }
        if (auth)
                d->hdrs = curl_slist_append(d->hdrs, auth);
        curl_easy_setopt(d->h, CURLOPT_URL, url);
        curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, d->hdrs);
        curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(d->h, CURLOPT_WRITEDATA, d);
        curl_easy_setopt(d->h, CURLOPT_PRIVATE, d);
        curl_multi_add_handle(f->m, d->h);
        f->running++;
        emit(f, d->b, "Downloading", d->from);
        return 0;
}

static void
dl_stop(struct fetch *f, struct dl *d)
{
        if (d->h) {
                curl_multi_remove_handle(f->m, d->h);
                curl_easy_cleanup(d->h);
                f->running--;
        }
        curl_slist_free_all(d->hdrs);
        d->h = NULL;
        d->hdrs = NULL;
        d->w = store_writer_free(d->w);
        reg_resp_release(&d->resp);
}

/* dl_finish: a transfer ended: commit, restart after a 401, or fail. */
static int
dl_finish(struct fetch *f, struct dl *d, CURLcode cc, struct err *err)
{
        int r;

        curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &d->resp.status);
        if (d->failed < 0)
                return err_setf(err, d->failed, "%s", d->err.msg);
        /* start again after an expired token, a dropped connection or a 5xx, as docker does */
        if (d->tries < FETCH_TRIES &&
            (d->resp.status == 401 || d->resp.status >= 500 || cc != CURLE_OK)) {
                bool refresh = d->resp.status == 401;

                d->tries++;
                dl_stop(f, d);
                return dl_start(f, d, refresh, err);
        }
        if (cc != CURLE_OK)
                return err_setf(err, -EIO, "GET blob %s: %s", d->b->digest, curl_easy_strerror(cc));
        if (d->resp.status != 200 && d->resp.status != 206) {
                r = reg_http_error(&d->resp, "GET blob", err);
                err_prefix(err, "%s", d->b->digest);
                return r;
        }
        emit(f, d->b, "Verifying Checksum", d->got);
        if (d->got != d->b->size)
                return err_setf(err, -EBADMSG, "blob %s: got %ju bytes, its descriptor says %ju",
                                d->b->digest, (uintmax_t)d->got, (uintmax_t)d->b->size);
        r = store_writer_commit(d->w, d->b->digest, NULL, NULL, NULL, err);
        if (r == -EBADMSG && d->from > 0 && d->tries < FETCH_TRIES) {
                /* the kept part was bad (the commit removed it): once more, from the start */
                err_clear(err);
                d->tries++;
                dl_stop(f, d);
                return dl_start(f, d, false, err);
        }
        if (r < 0)
                return r;
        emit(f, d->b, "Download complete", d->got);
        dl_stop(f, d);
        return 0;
}

static int
start_more(struct fetch *f, struct err *err)
{
        unsigned par = f->c->o->parallel ? f->c->o->parallel : REG_PARALLEL_DEFAULT;

        while (f->next < f->n && f->running < par) {
                int r = dl_start(f, &f->v[f->next++], false, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

static void
show_progress(struct fetch *f)
{
        for (size_t i = 0; i < f->next; i++) {
                struct dl *d = &f->v[i];

                if (d->h && d->got != d->shown) {
                        d->shown = d->got;
                        emit(f, d->b, "Downloading", d->got);
                }
        }
}

static int
drain(struct fetch *f, struct err *err)
{
        CURLMsg *msg;
        int left, r = 0;

        while (r == 0 && (msg = curl_multi_info_read(f->m, &left))) {
                struct dl *d = NULL;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
                r = dl_finish(f, d, msg->data.result, err);
        }
        return r;
}

static int
run(struct fetch *f, struct err *err)
{
        int r = start_more(f, err);

        while (r == 0 && f->running > 0) {
                int still;
                CURLMcode mc = curl_multi_perform(f->m, &still);

                if (mc == CURLM_OK)
                        mc = curl_multi_poll(f->m, NULL, 0, 200, NULL);
                if (mc != CURLM_OK)
                        return err_setf(err, -EIO, "download: %s", curl_multi_strerror(mc));
                r = drain(f, err);
                if (r == 0)
                        r = start_more(f, err);
                show_progress(f);
        }
        return r;
}

int
reg_fetch_blobs(struct reg_client *c, struct store *s, const char *path, const char *scope,
                const struct reg_blob *blobs, size_t n, struct err *err)
{
        struct fetch f = { .c = c, .s = s, .path = path, .scope = scope };
        int r;

        f.v = xcalloc(n + 1, sizeof(*f.v));
        for (size_t i = 0; i < n; i++) {
                if (store_blob_has(s, blobs[i].digest) == 1) {
                        emit(&f, &blobs[i], "Already exists", 0);
                        continue;
                }
                f.v[f.n++] = (struct dl){ .f = &f, .b = &blobs[i], .resp.body = SBUF_INIT };
                emit(&f, &blobs[i], "Waiting", 0);
        }
        f.m = curl_multi_init();
        r = run(&f, err);
        for (size_t i = 0; i < f.n; i++)
                dl_stop(&f, &f.v[i]);
        curl_multi_cleanup(f.m);
        free(f.v);
        return r;
}
