/* build_state: the state of a stage being built (layers + history), the build cache records
 * and the final image.
 *
 * A cache record is <root>/store/roots/build-<key hex>, holding the digest of a small OCI
 * manifest: its layers are the stage's layers after the step, its config carries only
 * "created", "history" and "rootfs" (the real config comes from the Dockerfile plan, which is
 * a pure function of the same inputs). Garbage collection keeps every manifest a root names
 * (store_gc.c), so a recorded step keeps its blobs and unpacked layers until `builder prune`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/report.h"

void
build_img_release(struct build_img *im)
{
        free(im->layers);
        if (im->history)
                json_object_put(im->history);
        free(im->arch);
        free(im->os);
        *im = (struct build_img){ 0 };
}

void
build_img_copy(struct build_img *dst, const struct build_img *src)
{
        *dst = *src;
        dst->layers = NULL;
        if (src->n) {
                dst->layers = xcalloc(src->n, sizeof(*src->layers));
                memcpy(dst->layers, src->layers, src->n * sizeof(*src->layers));
        }
        dst->history = NULL;
        if (src->history)
                json_object_deep_copy(src->history, &dst->history, NULL);
        dst->arch = src->arch ? xstrdup(src->arch) : NULL;
        dst->os = src->os ? xstrdup(src->os) : NULL;
}

char **
build_img_lowers(struct store *s, const struct build_img *im)
{
        char **v = NULL;

        for (size_t i = im->n; i-- > 0;)
                strv_push(&v, store_layer_diff_path(s, im->layers[i].chain));
        return v;
}

void
build_now(const struct build *b, char out[64])
{
        struct timespec ts;

        if (b->epoch >= 0)
                ts = (struct timespec){ .tv_sec = (time_t)b->epoch };
        else
                clock_gettime(CLOCK_REALTIME, &ts);
        report_time_rfc3339(&ts, out, 64);
}

void
build_history_add(struct build_img *im, const char *created, const char *created_by,
                  bool empty_layer)
{
        json_object *h = json_object_new_object();

        if (!im->history)
                im->history = json_object_new_array();
        jsonx_add_str(h, "created", created);
        jsonx_add_str(h, "created_by", created_by);
        if (empty_layer)
                json_object_object_add(h, "empty_layer", json_object_new_boolean(1));
        json_object_array_add(im->history, h);
        if (created != im->created)
                snprintf(im->created, sizeof(im->created), "%s", created);
}

static json_object *
rootfs_json(const struct build_img *im)
{
        json_object *rootfs = json_object_new_object(), *ids = json_object_new_array();

        jsonx_add_str(rootfs, "type", "layers");
        for (size_t i = 0; i < im->n; i++)
                json_object_array_add(ids, json_object_new_string(im->layers[i].diff_id));
        json_object_object_add(rootfs, "diff_ids", ids);
        return rootfs;
}

static json_object *
layers_json(const struct build_img *im)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < im->n; i++) {
                json_object *d = json_object_new_object();

                jsonx_add_str(d, "mediaType", im->layers[i].media);
                jsonx_add_str(d, "digest", im->layers[i].blob);
                jsonx_add_int(d, "size", im->layers[i].size);
                json_object_array_add(a, d);
        }
        return a;
}

/* write_manifest: store config text and a manifest of im's layers; ret gets its digest */
static int
write_manifest(struct build *b, const char *config, const struct build_img *im,
               char ret[DIGEST_STR_SIZE], struct err *err)
{
        char cdigest[DIGEST_STR_SIZE];
        json_object *m, *c;
        cleanup_free char *text = NULL;
        int r = store_blob_write(b->s, config, strlen(config), cdigest, err);

        if (r < 0)
                return r;
        m = json_object_new_object();
        c = json_object_new_object();
        jsonx_add_int(m, "schemaVersion", 2);
        jsonx_add_str(m, "mediaType", MEDIA_OCI_MANIFEST);
        jsonx_add_str(c, "mediaType", MEDIA_OCI_CONFIG);
        jsonx_add_str(c, "digest", cdigest);
        jsonx_add_int(c, "size", (int64_t)strlen(config));
        json_object_object_add(m, "config", c);
        json_object_object_add(m, "layers", layers_json(im));
        text = jsonx_string(m, NULL);
        json_object_put(m);
        return store_blob_write(b->s, text, strlen(text), ret, err);
}

static char *
root_path(struct build *b, const char *key)
{
        return xasprintf("%s/%s/build-%s", b->s->dir, STORE_ROOTS_DIR, digest_hex(key));
}

int
build_cache_put(struct build *b, const char *key, const struct build_img *im, struct err *err)
{
        json_object *cfg = json_object_new_object();
        cleanup_free char *config = NULL, *path = root_path(b, key), *dir = NULL;
        cleanup_free char *line = NULL;
        char mdigest[DIGEST_STR_SIZE];
        int r;

        jsonx_add_str(cfg, "created", im->created);
        if (im->history)
                json_object_object_add(cfg, "history", json_object_get(im->history));
        json_object_object_add(cfg, "rootfs", rootfs_json(im));
        config = jsonx_string(cfg, NULL);
        json_object_put(cfg);
        r = write_manifest(b, config, im, mdigest, err);
        if (r < 0)
                return r;
        dir = path_dirname(path);
        r = fs_mkdir_p(dir, 0700, err);
        line = xasprintf("%s\n", mdigest);
        return r < 0 ? r : fs_write_atomic(path, line, strlen(line), 0600, err);
}

/* layers_from: fill im's layers from a manifest's descriptors and a config's diff IDs */
static int
layers_from(json_object *layers, json_object *ids, struct build_img *im, struct err *err)
{
        size_t n = ids ? json_object_array_length(ids) : 0;

        if (!layers || json_object_array_length(layers) != n || n > IMAGE_LAYERS_MAX)
                return err_setf(err, -EBADMSG, "build cache record: layers do not match");
        im->layers = n ? xcalloc(n, sizeof(*im->layers)) : NULL;
        for (size_t i = 0; i < n; i++) {
                struct build_layer *l = &im->layers[i];
                json_object *d = json_object_array_get_idx(layers, i);
                const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
                const char *blob = jsonx_str(d, "digest"), *media = jsonx_str(d, "mediaType");

                if (!digest_valid(id) || !digest_valid(blob) || !media)
                        return err_setf(err, -EBADMSG, "build cache record: bad layer");
                snprintf(l->diff_id, sizeof(l->diff_id), "%s", id);
                snprintf(l->blob, sizeof(l->blob), "%s", blob);
                snprintf(l->media, sizeof(l->media), "%s", media);
                l->size = jsonx_int(d, "size", 0);
                digest_chain(i ? im->layers[i - 1].chain : NULL, id, l->chain);
                im->n++;
        }
        return 0;
}

static int
read_json_blob(struct build *b, const char *digest, json_object **ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        size_t len;
        int r = store_blob_read(b->s, digest, STORE_JSON_MAX, &buf, &len, err);

        return r < 0 ? r : jsonx_parse(buf, len, STORE_JSON_MAX, digest, ret, err);
}

/* ensure_unpacked: the layer dirs of a record (kept by GC, but a store check may have
 * dropped one) */
static int
ensure_unpacked(struct build *b, const struct build_img *im, struct err *err)
{
        for (size_t i = 0; i < im->n; i++) {
                struct store_layer l;
                const struct build_layer *bl = &im->layers[i];
                int r = store_layer_unpack(b->s, i ? im->layers[i - 1].chain : NULL,
                                           bl->diff_id, bl->blob, &l, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int
cache_load(struct build *b, const char *manifest, struct build_img *im, struct err *err)
{
        json_object *m = NULL, *cfg = NULL, *rootfs;
        int r = read_json_blob(b, manifest, &m, err);

        if (r == 0)
                r = read_json_blob(b, jsonx_str(jsonx_get(m, "config"), "digest"), &cfg, err);
        if (r == 0) {
                rootfs = jsonx_get(cfg, "rootfs");
                r = layers_from(jsonx_get_type(m, "layers", json_type_array),
                                jsonx_get_type(rootfs, "diff_ids", json_type_array), im, err);
        }
        if (r == 0) {
                snprintf(im->created, sizeof(im->created), "%s",
                         jsonx_str(cfg, "created") ? jsonx_str(cfg, "created") : "");
                im->history = json_object_get(jsonx_get_type(cfg, "history", json_type_array));
                r = ensure_unpacked(b, im, err);
        }
        json_object_put(m);
        json_object_put(cfg);
        return r;
}

int
build_cache_get(struct build *b, const char *key, struct build_img *im)
{
        cleanup_free char *path = root_path(b, key), *buf = NULL;
        struct build_img got = { 0 };
        struct err e = { 0 };
        size_t len;

        if (fs_read_capped(path, 256, &buf, &len, NULL) < 0)
                return 0;
        if (len < DIGEST_STR_SIZE - 1)
                return 0;
        buf[DIGEST_STR_SIZE - 1] = '\0';
        if (!digest_valid(buf) || !store_blob_has(b->s, buf))
                return 0;
        if (cache_load(b, buf, &got, &e) < 0) {
                build_img_release(&got);
                return 0; /* a damaged record is a miss: the step runs again */
        }
        got.arch = im->arch ? xstrdup(im->arch) : NULL;
        got.os = im->os ? xstrdup(im->os) : NULL;
        memcpy(got.key, key, CACHEKEY_SIZE);
        build_img_release(im);
        *im = got;
        return 1;
}

int
build_cache_drop(struct store *s, size_t *ret_n, struct err *err)
{
        int fd = openat(s->dirfd, STORE_ROOTS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        int r = 0;

        *ret_n = 0;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return errno == ENOENT ? 0 : err_setf(err, -errno, "read the build cache: %s",
                                                      strerror(errno));
        }
        while ((de = readdir(d)))
                if (!strncmp(de->d_name, "build-", 6)) {
                        if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
                                r = err_setf(err, -errno, "remove build cache entry: %s",
                                             strerror(errno));
                                break;
                        }
                        (*ret_n)++;
                }
        closedir(d);
        return r;
}

int
build_img_save(const struct build_img *im, const char *path, struct err *err)
{
        json_object *o = json_object_new_object(), *ls = json_object_new_array();
        cleanup_free char *text = NULL;

        jsonx_add_str(o, "key", im->key);
        jsonx_add_str(o, "created", im->created);
        if (im->arch)
                jsonx_add_str(o, "arch", im->arch);
        if (im->os)
                jsonx_add_str(o, "os", im->os);
        if (im->history)
                json_object_object_add(o, "history", json_object_get(im->history));
        for (size_t i = 0; i < im->n; i++) {
                json_object *l = json_object_new_object();

                jsonx_add_str(l, "diff_id", im->layers[i].diff_id);
                jsonx_add_str(l, "blob", im->layers[i].blob);
                jsonx_add_str(l, "media", im->layers[i].media);
                jsonx_add_int(l, "size", im->layers[i].size);
                json_object_array_add(ls, l);
        }
        json_object_object_add(o, "layers", ls);
        text = jsonx_string(o, NULL);
        json_object_put(o);
        return fs_write_atomic(path, text, strlen(text), 0600, err);
}

static void
copy_str(char *dst, size_t n, const char *s)
{
        snprintf(dst, n, "%s", s ? s : "");
}

int
build_img_load(const char *path, struct build_img *ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        json_object *o = NULL, *ls;
        size_t len, n;
        int r = fs_read_capped(path, STORE_JSON_MAX, &buf, &len, err);

        if (r == 0)
                r = jsonx_parse(buf, len, STORE_JSON_MAX, path, &o, err);
        if (r < 0)
                return r;
        *ret = (struct build_img){ 0 };
        copy_str(ret->key, sizeof(ret->key), jsonx_str(o, "key"));
        copy_str(ret->created, sizeof(ret->created), jsonx_str(o, "created"));
        ret->arch = jsonx_str(o, "arch") ? xstrdup(jsonx_str(o, "arch")) : NULL;
        ret->os = jsonx_str(o, "os") ? xstrdup(jsonx_str(o, "os")) : NULL;
        ret->history = json_object_get(jsonx_get_type(o, "history", json_type_array));
        ls = jsonx_get_type(o, "layers", json_type_array);
        n = ls ? json_object_array_length(ls) : 0;
        ret->layers = n ? xcalloc(n, sizeof(*ret->layers)) : NULL;
        for (size_t i = 0; i < n && i < IMAGE_LAYERS_MAX; i++) {
                json_object *l = json_object_array_get_idx(ls, i);
                struct build_layer *bl = &ret->layers[i];

                copy_str(bl->diff_id, sizeof(bl->diff_id), jsonx_str(l, "diff_id"));
                copy_str(bl->blob, sizeof(bl->blob), jsonx_str(l, "blob"));
                copy_str(bl->media, sizeof(bl->media), jsonx_str(l, "media"));
                bl->size = jsonx_int(l, "size", 0);
                digest_chain(i ? ret->layers[i - 1].chain : NULL, bl->diff_id, bl->chain);
                ret->n++;
        }
        json_object_put(o);
        return 0;
}
