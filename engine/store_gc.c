/* store_gc: mark and sweep over the store, and `berth system check`.
 *
 * Roots are the images of index.json (an image in use by a container stays in the index, maybe
 * untagged, so holds need no separate marking). From each manifest (or nested index) the config
 * and layer blobs are marked, and from the config's rootfs.diff_ids the chain IDs of the
 * unpacked layer dirs. The sweep runs under the exclusive GC lock, which no pin holds, so
 * nothing that is being written can be taken for garbage; leftovers of crashed ingests
 * (ingest/ files, .tmp- layer dirs) go at the same time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/store.h"

#define REFS_DEPTH_MAX 4
#define LAYERS_MAX     1000

static int
config_chains(struct store *s, const char *digest, char ***chains, struct err *err)
{
        cleanup_free char *buf = NULL;
        json_object *cfg = NULL, *ids;
        char chain[DIGEST_STR_SIZE] = "";
        size_t len, n;
        int r = store_blob_read(s, digest, STORE_JSON_MAX, &buf, &len, err);

        if (r == 0)
                r = jsonx_parse(buf, len, STORE_JSON_MAX, digest, &cfg, err);
        if (r < 0)
                return r;
        ids = jsonx_get_type(jsonx_get(cfg, "rootfs"), "diff_ids", json_type_array);
        n = ids ? json_object_array_length(ids) : 0;
        for (size_t i = 0; i < n && i < LAYERS_MAX; i++) {
                const char *id = json_object_get_string(json_object_array_get_idx(ids, i));

                if (!digest_valid(id)) {
                        json_object_put(cfg);
                        return err_setf(err, -EINVAL, "config %s: invalid diff ID", digest);
                }
                digest_chain(i ? chain : NULL, id, chain);
                strv_add(chains, chain);
        }
        json_object_put(cfg);
        return 0;
}

static int manifest_refs(struct store *s, const char *digest, int depth, char ***blobs,
                         char ***chains, struct err *err);

static int
descriptor_list(struct store *s, json_object *list, int depth, bool nested, char ***blobs,
                char ***chains, struct err *err)
{
        size_t n = list ? json_object_array_length(list) : 0;

        for (size_t i = 0; i < n; i++) {
                const char *d = jsonx_str(json_object_array_get_idx(list, i), "digest");
                int r = 0;

                if (!digest_valid(d))
                        return err_setf(err, -EINVAL, "descriptor with an invalid digest");
                if (!nested)
                        strv_add(blobs, d);
                else if (store_blob_has(s, d)) /* a partial multi-platform image is fine */
                        r = manifest_refs(s, d, depth + 1, blobs, chains, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
manifest_refs(struct store *s, const char *digest, int depth, char ***blobs, char ***chains,
              struct err *err)
{
        cleanup_free char *buf = NULL;
        json_object *m = NULL, *nested;
        const char *config;
        size_t len;
        int r;

        if (depth > REFS_DEPTH_MAX)
                return err_setf(err, -ELOOP, "manifest %s: indexes nested too deep", digest);
        strv_add(blobs, digest);
        r = store_blob_read(s, digest, STORE_JSON_MAX, &buf, &len, err);
        if (r == 0)
                r = jsonx_parse(buf, len, STORE_JSON_MAX, digest, &m, err);
        if (r < 0)
                return r;
        nested = jsonx_get_type(m, "manifests", json_type_array);
        config = jsonx_str(jsonx_get(m, "config"), "digest");
        if (nested)
                r = descriptor_list(s, nested, depth, true, blobs, chains, err);
        else if (!digest_valid(config))
                r = err_setf(err, -EINVAL, "manifest %s: no valid config descriptor", digest);
        else {
                strv_add(blobs, config);
                r = descriptor_list(s, jsonx_get_type(m, "layers", json_type_array), depth, false,
                                    blobs, chains, err);
                if (r == 0)
                        r = config_chains(s, config, chains, err);
        }
        json_object_put(m);
        return r;
}

int
store_image_refs(struct store *s, const struct store_image *img, char ***ret_blobs,
                 char ***ret_chains, struct err *err)
{
        char **blobs = NULL, **chains = NULL;
        int r = manifest_refs(s, img->manifest, 0, &blobs, &chains, err);

        if (r < 0) {
                strv_free(blobs);
                strv_free(chains);
                return r;
        }
        *ret_blobs = blobs;
        *ret_chains = chains;
        return 0;
}

static char **
list_dir(int dirfd)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        char **v = NULL;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_add(&v, de->d_name);
        closedir(d);
        return v;
}

static int
mark_manifest(struct store *s, const char *manifest, char ***blobs, char ***chains,
              struct err *err)
{
        struct store_image img = { .manifest = (char *)manifest };
        char **b = NULL, **c = NULL;
        int r = store_image_refs(s, &img, &b, &c, err);

        if (r < 0)
                return err_prefix(err, "garbage collection stopped: manifest %s", manifest);
        strv_foreach(x, b)
                strv_add(blobs, x);
        strv_foreach(x, c)
                strv_add(chains, digest_hex(x));
        strv_free(b);
        strv_free(c);
        return 0;
}

/* mark_roots: the manifests named in roots/<name> files (one digest on the first line) are
 * kept as if they were images: the build cache keeps its step results this way. A root whose
 * manifest is gone is ignored (its owner notices when it reads it). */
static int
mark_roots(struct store *s, char ***blobs, char ***chains, struct err *err)
{
        cleanup_close int fd = openat(s->dirfd, STORE_ROOTS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_strv char **names = fd >= 0 ? list_dir(fd) : NULL;

        strv_foreach(name, names) {
                char buf[DIGEST_STR_SIZE + 1] = "";
                cleanup_close int f = openat(fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                ssize_t n = f >= 0 ? read(f, buf, DIGEST_STR_SIZE - 1) : -1;
                int r;

                if (n != DIGEST_STR_SIZE - 1 || !digest_valid(buf) || !store_blob_has(s, buf))
                        continue;
                r = mark_manifest(s, buf, blobs, chains, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
mark(struct store *s, char ***blobs, char ***chains, struct err *err)
{
        struct store_index idx;
        int r = store_index_read(s, &idx, err);

        if (r == 0)
                r = mark_roots(s, blobs, chains, err);

        for (size_t i = 0; r == 0 && i < idx.n; i++) {
                char **b = NULL, **c = NULL;

                r = store_image_refs(s, &idx.v[i], &b, &c, err);
                if (r < 0) {
                        err_prefix(err, "garbage collection stopped: image %s", idx.v[i].id);
                        break;
                }
                strv_foreach(x, b)
                        strv_add(blobs, x);
                strv_foreach(x, c)
                        strv_add(chains, digest_hex(x));
                strv_free(b);
                strv_free(c);
        }
        store_index_release(&idx);
        strv_sort(*blobs);
        strv_uniq(*blobs);
        strv_sort(*chains);
        strv_uniq(*chains);
        return r;
}

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
marked(char **set, const char *s)
{
        return set && bsearch(&s, set, strv_length(set), sizeof(char *), cmp_str);
}

/* list_dir: the names in dirfd (not . and ..). */

static int
sweep_blobs(struct store *s, char **keep, struct store_gc_report *rep, struct err *err)
{
        cleanup_strv char **names = list_dir(s->blobsfd);

        strv_foreach(name, names) {
                cleanup_free char *d = xasprintf("sha256:%s", name);
                struct stat st;

                if (marked(keep, d))
                        continue;
                if (fstatat(s->blobsfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        rep->bytes += (uint64_t)st.st_size;
                if (unlinkat(s->blobsfd, name, 0) < 0 && errno != ENOENT)
                        return err_setf(err, -errno, "remove blob %s: %s", d, strerror(errno));
                strv_add(&rep->blobs, d);
        }
        return 0;
}

static int
sweep_layers(struct store *s, char **keep, struct store_gc_report *rep, struct err *err)
{
        cleanup_strv char **names = list_dir(s->layersfd);

        strv_foreach(name, names) {
                cleanup_free char *hex = xstrndup(name, strcspn(name, "."));
                cleanup_free char *chain = xasprintf("sha256:%s", hex);
                bool lock = strstr(name, ".lock") != NULL;
                struct store_layer l;
                int r;

                if (name[0] != '.' && marked(keep, hex))
                        continue;
                if (!lock && name[0] != '.' && store_layer_get(s, chain, &l, NULL) == 0)
                        rep->layer_bytes += l.size;
                r = layer_remove_tree(s->layersfd, name, err);
                if (r < 0)
                        return r;
                if (!lock && name[0] != '.')
                        strv_add(&rep->layers, chain);
        }
        return 0;
}

static void
sweep_ingest(struct store *s)
{
        cleanup_strv char **names = list_dir(s->ingestfd);

        strv_foreach(name, names)
                unlinkat(s->ingestfd, name, 0);
}

int
store_gc(struct store *s, struct store_gc_report *ret, struct err *err)
{
        cleanup_strv char **blobs = NULL;
        cleanup_strv char **chains = NULL;
        int fd, r;

        *ret = (struct store_gc_report){ 0 };
        if (s->pins)
                return err_setf(err, -EDEADLK, "garbage collection while the store is pinned");
        fd = openat(s->dirfd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return err_setf(err, -errno, "lock image store: %s", strerror(errno));
        while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
                ;
        if (r < 0)
                r = err_setf(err, -errno, "lock image store: %s", strerror(errno));
        if (r == 0)
                r = mark(s, &blobs, &chains, err);
        if (r == 0)
                r = sweep_blobs(s, blobs, ret, err);
        if (r == 0)
                r = sweep_layers(s, chains, ret, err);
        if (r == 0)
                sweep_ingest(s);
        close(fd);
        return r;
}

void
store_gc_report_release(struct store_gc_report *r)
{
        strv_free(r->blobs);
        strv_free(r->layers);
        *r = (struct store_gc_report){ 0 };
}

static void
check_blobs(struct store *s, char ***problems)
{
        cleanup_strv char **names = list_dir(s->blobsfd);

        strv_foreach(name, names) {
                cleanup_free char *d = xasprintf("sha256:%s", name);
                struct err e = { 0 };

                if (!digest_valid(d))
                        strv_push(problems, xasprintf("blob '%s': not a sha256 digest", name));
                else if (store_blob_verify(s, d, NULL, &e) < 0)
                        strv_push(problems, xstrdup(e.msg));
        }
}

static void
check_image(struct store *s, const struct store_image *img, char ***problems)
{
        cleanup_strv char **blobs = NULL;
        cleanup_strv char **chains = NULL;
        const char *what = img->names ? img->names[0] : img->id;
        struct err e = { 0 };
        struct store_layer l;

        if (store_image_refs(s, img, &blobs, &chains, &e) < 0) {
                strv_push(problems, xasprintf("image %s: %s", what, e.msg));
                return;
        }
        strv_foreach(b, blobs) {
                if (!store_blob_has(s, b))
                        strv_push(problems, xasprintf("image %s: blob %s is missing", what, b));
        }
        strv_foreach(c, chains) {
                if (store_layer_get(s, c, &l, NULL) < 0)
                        strv_push(problems,
                                  xasprintf("image %s: layer %s is not unpacked", what, c));
        }
}

int
store_check(struct store *s, char ***ret_problems, struct err *err)
{
        struct store_index idx;
        char **problems = NULL;
        int r = store_pin(s, err);

        if (r == 0)
                r = store_index_read(s, &idx, err);
        if (r < 0) {
                store_unpin(s);
                return r;
        }
        check_blobs(s, &problems);
        for (size_t i = 0; i < idx.n; i++)
                check_image(s, &idx.v[i], &problems);
        store_index_release(&idx);
        store_unpin(s);
        *ret_problems = problems;
        return (int)strv_length(problems);
}
