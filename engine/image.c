/* image: OCI image manifests, indexes and configs (image-spec manifest.md, image-index.md,
 * config.md) and their Docker schema2 equivalents, as kept in berth's store.
 *
 * Reading accepts both families of media types; a multi-platform index resolves to the
 * manifest for linux/<this machine's GOARCH>. Writing always produces OCI manifests. Blobs we
 * did not create are kept byte for byte (their digests are their identity); the JSON we do
 * create is written the way Go would (engine/jsonx), so it is stable across runs.
 */
#include "engine/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/utsname.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/report.h"

const char *
image_platform_arch(void)
{
        static const char *const map[][2] = {
                { "x86_64", "amd64" },    { "aarch64", "arm64" }, { "armv7l", "arm" },
                { "armv6l", "arm" },      { "i686", "386" },      { "i386", "386" },
                { "ppc64le", "ppc64le" }, { "s390x", "s390x" },   { "riscv64", "riscv64" },
        };
        struct utsname u;

        if (uname(&u) == 0)
                for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                        if (strcmp(u.machine, map[i][0]) == 0)
                                return map[i][1];
        return "amd64";
}

void
image_short_id(const char *id, char out[13])
{
        snprintf(out, 13, "%s", digest_hex(id));
}

struct image *
image_free(struct image *img)
{
        if (!img)
                return NULL;
        free(img->id);
        free(img->manifest_digest);
        strv_free(img->names);
        free(img->tagged);
        json_object_put(img->manifest);
        json_object_put(img->config);
        free(img->config_media);
        strv_free(img->diff_ids);
        strv_free(img->chains);
        strv_free(img->layer_digests);
        strv_free(img->layer_media);
        free(img->layer_sizes);
        free(img);
        return NULL;
}

static int
read_json_blob(struct store *s, const char *digest, json_object **ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        cleanup_free char *what = xasprintf("blob %s", digest);
        size_t len;
        int r = store_blob_read(s, digest, STORE_JSON_MAX, &buf, &len, err);

        return r < 0 ? r : jsonx_parse(buf, len, STORE_JSON_MAX, what, ret, err);
}

static bool
platform_matches(json_object *desc)
{
        json_object *p = jsonx_get_type(desc, "platform", json_type_object);
        const char *os = jsonx_str(p, "os"), *arch = jsonx_str(p, "architecture");

        return os && arch && strcmp(os, "linux") == 0 && strcmp(arch, image_platform_arch()) == 0;
}

/* pick_platform: the digest of the manifest for this platform in an index. */
static int
pick_platform(json_object *index, const char *what, const char **ret, struct err *err)
{
        json_object *list = jsonx_get_type(index, "manifests", json_type_array);
        size_t n = list ? json_object_array_length(list) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *d = json_object_array_get_idx(list, i);

                if (platform_matches(d) || (n == 1 && !jsonx_get(d, "platform"))) {
                        *ret = jsonx_str(d, "digest");
                        if (digest_valid(*ret))
                                return 0;
                }
        }
        return err_setf(err, -ENOENT, "%s: no manifest for linux/%s", what, image_platform_arch());
}

/* load_manifest: the image manifest at digest, following one level of index. */
static int
load_manifest(struct store *s, const char *digest, struct image *img, struct err *err)
{
        json_object *m = NULL;
        const char *child = NULL;
        int r = read_json_blob(s, digest, &m, err);

        if (r < 0)
                return r;
        if (jsonx_get_type(m, "manifests", json_type_array)) {
                r = pick_platform(m, digest, &child, err);
                if (r == 0) {
                        cleanup_free char *c = xstrdup(child);

                        json_object_put(m);
                        m = NULL;
                        r = read_json_blob(s, c, &m, err);
                        digest = c;
                        if (r == 0)
                                img->manifest_digest = xstrdup(c);
                }
                if (r < 0) {
                        json_object_put(m);
                        return r;
                }
        } else {
                img->manifest_digest = xstrdup(digest);
        }
        img->manifest = m;
        return 0;
}

static int
load_layers(struct store *s, struct image *img, struct err *err)
{
        json_object *layers = jsonx_get_type(img->manifest, "layers", json_type_array);
        json_object *ids =
                jsonx_get_type(jsonx_get(img->config, "rootfs"), "diff_ids", json_type_array);
        size_t n = ids ? json_object_array_length(ids) : 0;
        char chain[DIGEST_STR_SIZE] = "";

        if (n > IMAGE_LAYERS_MAX || (layers ? json_object_array_length(layers) : 0) != n)
                return err_setf(err, -EINVAL, "image %s: %zu layers but %zu diff IDs", img->id,
                                layers ? json_object_array_length(layers) : 0, n);
        img->layer_sizes = xcalloc(n + 1, sizeof(uint64_t));
        for (size_t i = 0; i < n; i++) {
                json_object *l = json_object_array_get_idx(layers, i);
                const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
                const char *d = jsonx_str(l, "digest"), *mt = jsonx_str(l, "mediaType");
                struct store_layer sl;

                if (!digest_valid(id) || !digest_valid(d))
                        return err_setf(err, -EINVAL, "image %s: invalid layer digest", img->id);
                digest_chain(i ? chain : NULL, id, chain);
                strv_add(&img->diff_ids, id);
                strv_add(&img->chains, chain);
                strv_add(&img->layer_digests, d);
                strv_add(&img->layer_media, mt ? mt : MEDIA_OCI_LAYER);
                if (store_layer_get(s, chain, &sl, NULL) == 0) {
                        img->layer_sizes[i] = sl.size;
                        img->size += sl.size;
                }
        }
        return 0;
}

int
image_open(struct store *s, const struct store_image *entry, struct image **ret, struct err *err)
{
        struct image *img = xcalloc(1, sizeof(*img));
        json_object *cd;
        int r;

        img->id = xstrdup(entry->id);
        img->names = strv_copy(entry->names);
        img->tagged = entry->created ? xstrdup(entry->created) : NULL;
        r = load_manifest(s, entry->manifest, img, err);
        cd = jsonx_get_type(img->manifest, "config", json_type_object);
        if (r == 0 && !digest_valid(jsonx_str(cd, "digest")))
                r = err_setf(err, -EINVAL, "manifest %s: no config", img->manifest_digest);
        if (r == 0) {
                /* the image ID is the config digest, whatever the index entry says */
                free(img->id);
                img->id = xstrdup(jsonx_str(cd, "digest"));
                img->config_media = xstrdup(jsonx_str(cd, "mediaType") ? jsonx_str(cd, "mediaType")
                                                                       : MEDIA_OCI_CONFIG);
                r = read_json_blob(s, img->id, &img->config, err);
        }
        if (r == 0)
                r = load_layers(s, img, err);
        if (r < 0) {
                image_free(img);
                return r;
        }
        *ret = img;
        return 0;
}

int64_t
image_created(const struct image *img)
{
        const char *c = jsonx_str(img->config, "created");
        struct timespec ts;

        if (!c || report_time_parse(c, &ts) < 0)
                return 0;
        return (int64_t)ts.tv_sec;
}

/* ---- resolving what the user typed ---- */

static int
no_such_image(const char *s, struct err *err)
{
        return err_setf(err, -ENOENT, "No such image: %s", s);
}

static int
resolve_id(const struct store_index *idx, const char *s, struct store_image **ret, struct err *err)
{
        const char *hex = strncmp(s, "sha256:", 7) == 0 ? s + 7 : s;
        size_t n = strlen(hex);
        struct store_image *found = NULL;

        if (n == 0 || n > 64 || strspn(hex, "0123456789abcdef") != n)
                return no_such_image(s, err);
        for (size_t i = 0; i < idx->n; i++) {
                if (strncmp(digest_hex(idx->v[i].id), hex, n) != 0)
                        continue;
                if (found)
                        return err_setf(err, -EINVAL, "image ID prefix '%s' is ambiguous", s);
                found = &idx->v[i];
        }
        if (!found)
                return no_such_image(s, err);
        *ret = found;
        return 0;
}

/* by_digest: name@sha256:... names the image whose manifest (or one of its names' repository
 * with that manifest) has that digest. */
static struct store_image *
by_digest(const struct store_index *idx, const struct ref *r)
{
        for (size_t i = 0; i < idx->n; i++)
                if (strcmp(idx->v[i].manifest, r->digest) == 0)
                        return &idx->v[i];
        return NULL;
}

static bool
is_hex(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

/* lookup_ref: the image a parsed reference names (by tag, or by manifest digest). */
static struct store_image *
lookup_ref(const struct store_index *idx, const struct ref *r)
{
        cleanup_free char *full = NULL;

        if (r->digest && by_digest(idx, r))
                return by_digest(idx, r);
        /* a pull by digest names the image "repo@digest" (its manifest may differ: an image
         * already stored under the same ID keeps its own) */
        full = ref_string(r);
        return store_index_by_name(idx, full);
}

int
image_resolve(const struct store_index *idx, const char *s, struct store_image **ret,
              struct err *err)
{
        struct err perr = { 0 };
        struct ref r;
        int pr;

        /* docker's order: an ID, then a reference, then a short ID prefix */
        if (strncmp(s, "sha256:", 7) == 0 || ref_is_digest_hex(s))
                return resolve_id(idx, s, ret, err);
        pr = ref_parse(s, &r, &perr);
        if (pr == 0) {
                struct store_image *img = lookup_ref(idx, &r);

                ref_release(&r);
                if (img) {
                        *ret = img;
                        return 0;
                }
        }
        if (is_hex(s))
                return resolve_id(idx, s, ret, err);
        if (pr < 0)
                return err_setf(err, pr, "%s", perr.msg);
        return no_such_image(s, err);
}

/* ---- creating ---- */

static void
now_rfc3339(char *buf, size_t n)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        report_time_rfc3339(&ts, buf, n);
}

/* index_add: put the image in the index (an existing image keeps its manifest) and give it
 * names. */
static int
index_add(struct store *s, const char *id, const char *manifest, const char *media, int64_t size,
          char *const *names, struct err *err)
{
        struct store_index idx;
        struct store_image *img;
        char now[64];
        int r = store_index_lock(s, &idx, err);

        if (r < 0)
                return r;
        now_rfc3339(now, sizeof(now));
        img = store_index_by_id(&idx, id);
        if (!img)
                img = store_index_put(&idx, id, manifest, media, size);
        if (!img->created || names) {
                free(img->created);
                img->created = xstrdup(now);
        }
        strv_foreach(name, names)
                store_index_tag(&idx, img, name);
        r = store_index_commit(s, &idx, err);
        store_index_release(&idx);
        store_index_unlock(s);
        return r;
}

int
image_unpack(struct store *s, const struct image *img, struct err *err)
{
        size_t n = strv_length(img->diff_ids);

        for (size_t i = 0; i < n; i++) {
                struct store_layer l;
                int r = store_layer_unpack(s, i ? img->chains[i - 1] : NULL, img->diff_ids[i],
                                           img->layer_digests[i], &l, err);

                if (r < 0) {
                        err_prefix(err, "unpack layer %zu of image %s", i + 1, img->id);
                        return r;
                }
        }
        return 0;
}

int
image_register(struct store *s, const char *manifest_digest, char *const *names,
               char ret_id[DIGEST_STR_SIZE], struct err *err)
{
        struct store_image entry = { .manifest = (char *)manifest_digest, .id = (char *)"" };
        json_object *m = NULL;
        struct image *img = NULL;
        const char *media;
        uint64_t size = 0;
        int fd, r = read_json_blob(s, manifest_digest, &m, err);

        if (r < 0)
                return r;
        media = jsonx_str(m, "mediaType");
        if (!media)
                media = jsonx_get(m, "manifests") ? MEDIA_OCI_INDEX : MEDIA_OCI_MANIFEST;
        r = image_open(s, &entry, &img, err);
        if (r == 0)
                r = image_unpack(s, img, err);
        if (r == 0)
                r = store_blob_open(s, manifest_digest, &fd, &size, err);
        if (r == 0) {
                close(fd);
                r = index_add(s, img->id, manifest_digest, media, (int64_t)size, names, err);
        }
        if (r == 0)
                snprintf(ret_id, DIGEST_STR_SIZE, "%s", img->id);
        image_free(img);
        json_object_put(m);
        return r;
}

static json_object *
descriptor_json(const char *media, const char *digest, int64_t size)
{
        json_object *d = json_object_new_object();

        jsonx_add_str(d, "mediaType", media);
        jsonx_add_str(d, "digest", digest);
        jsonx_add_int(d, "size", size);
        return d;
}

static char *
manifest_json(const char *config_digest, size_t config_len, const struct image_layer_ref *layers,
              size_t n)
{
        json_object *m = json_object_new_object();
        json_object *list = json_object_new_array();
        char *text;

        jsonx_add_int(m, "schemaVersion", 2);
        jsonx_add_str(m, "mediaType", MEDIA_OCI_MANIFEST);
        json_object_object_add(
                m, "config", descriptor_json(MEDIA_OCI_CONFIG, config_digest, (int64_t)config_len));
        for (size_t i = 0; i < n; i++)
                json_object_array_add(list, descriptor_json(layers[i].media_type, layers[i].digest,
                                                            layers[i].size));
        json_object_object_add(m, "layers", list);
        text = jsonx_string(m, NULL);
        json_object_put(m);
        return text;
}

int
image_commit(struct store *s, const char *config, size_t config_len,
             const struct image_layer_ref *layers, size_t nlayers, char *const *names,
             char ret_id[DIGEST_STR_SIZE], struct err *err)
{
        char cfg[DIGEST_STR_SIZE], man[DIGEST_STR_SIZE];
        cleanup_free char *m = NULL;
        int r;

        if (nlayers > IMAGE_LAYERS_MAX)
                return err_setf(err, -EFBIG, "image has more than %d layers", IMAGE_LAYERS_MAX);
        r = store_blob_write(s, config, config_len, cfg, err);
        if (r < 0)
                return r;
        m = manifest_json(cfg, config_len, layers, nlayers);
        r = store_blob_write(s, m, strlen(m), man, err);
        if (r == 0)
                r = image_register(s, man, names, ret_id, err);
        return r;
}

/* ---- names ---- */

/* full_name: a user's name normalised, refused with a digest (tags only). */
static int
full_name(const char *s, char **ret, struct err *err)
{
        struct ref r;
        int rc = ref_parse(s, &r, err);

        if (rc < 0)
                return rc;
        if (r.digest) {
                ref_release(&r);
                return err_setf(err, -EINVAL, "refusing to create a tag with a digest reference");
        }
        *ret = ref_string(&r);
        ref_release(&r);
        return 0;
}

int
image_tag(struct store *s, const char *source, const char *target, struct err *err)
{
        cleanup_free char *name = NULL;
        struct store_index idx;
        struct store_image *img;
        char now[64];
        int r = full_name(target, &name, err);

        if (r < 0)
                return r;
        r = store_index_lock(s, &idx, err);
        if (r < 0)
                return r;
        r = image_resolve(&idx, source, &img, err);
        if (r == 0) {
                now_rfc3339(now, sizeof(now));
                free(img->created);
                img->created = xstrdup(now);
                store_index_tag(&idx, img, name);
                r = store_index_commit(s, &idx, err);
        }
        store_index_release(&idx);
        store_index_unlock(s);
        return r;
}

/* ---- removal ---- */

void
image_rm_result_release(struct image_rm_result *r)
{
        strv_free(r->untagged);
        strv_free(r->deleted);
        *r = (struct image_rm_result){ 0 };
}

static void
untag_all(struct store_image *img, struct image_rm_result *res)
{
        strv_foreach(n, img->names)
                strv_push(&res->untagged, ref_familiar_name(n));
        img->names = strv_free(img->names);
}

/* rm_by_name: docker untags the one name; the image goes when that was its last name. */
static int
rm_by_name(struct store *s, struct store_index *idx, struct store_image *img, const char *name,
           bool force, struct image_rm_result *res, struct err *err)
{
        cleanup_free char *fam = ref_familiar_name(name);
        int held = store_holds_of(s, img->id, err);

        if (held < 0)
                return held;
        if (held && strv_length(img->names) == 1 && !force)
                return err_setf(err, -EBUSY,
                                "conflict: unable to remove repository reference \"%s\" (must "
                                "force) - image %.19s is in use",
                                fam, img->id);
        store_index_untag(idx, name);
        strv_add(&res->untagged, fam);
        if (!img->names && !held) {
                strv_add(&res->deleted, img->id);
                store_index_remove(idx, img);
        }
        return 0;
}

static int
rm_by_id(struct store *s, struct store_index *idx, struct store_image *img, bool force,
         struct image_rm_result *res, struct err *err)
{
        char short_id[13];
        int held = store_holds_of(s, img->id, err);

        if (held < 0)
                return held;
        image_short_id(img->id, short_id);
        if (strv_length(img->names) > 1 && !force)
                return err_setf(err, -EBUSY,
                                "conflict: unable to delete %s (must be forced) - image is "
                                "referenced in multiple repositories",
                                short_id);
        if (held && !force)
                return err_setf(err, -EBUSY,
                                "conflict: unable to delete %s (must be forced) - image is in use",
                                short_id);
        untag_all(img, res);
        if (!held) {
                strv_add(&res->deleted, img->id);
                store_index_remove(idx, img);
        }
        return 0;
}

/* collect: garbage-collect after deletions, adding the removed layers to the result. */
static int
collect(struct store *s, struct image_rm_result *res, struct err *err)
{
        struct store_gc_report rep;
        int r = store_gc(s, &rep, err);

        if (r < 0)
                return r;
        strv_foreach(l, rep.layers)
                strv_add(&res->deleted, l);
        res->reclaimed += rep.bytes + rep.layer_bytes;
        store_gc_report_release(&rep);
        return 0;
}

int
image_remove(struct store *s, const char *what, bool force, struct image_rm_result *ret,
             struct err *err)
{
        struct store_index idx;
        struct store_image *img;
        cleanup_free char *name = NULL;
        struct ref ref;
        int r = store_index_lock(s, &idx, err);

        if (r < 0)
                return r;
        r = image_resolve(&idx, what, &img, err);
        if (r == 0 && ref_parse(what, &ref, NULL) == 0) {
                if (!ref.digest)
                        name = ref_string(&ref);
                ref_release(&ref);
        }
        if (r == 0 && name && strv_contains(img->names, name))
                r = rm_by_name(s, &idx, img, name, force, ret, err);
        else if (r == 0)
                r = rm_by_id(s, &idx, img, force, ret, err);
        if (r == 0)
                r = store_index_commit(s, &idx, err);
        store_index_release(&idx);
        store_index_unlock(s);
        if (r == 0 && ret->deleted)
                r = collect(s, ret, err);
        return r;
}

int
image_prune(struct store *s, bool all, struct image_rm_result *ret, struct err *err)
{
        struct store_index idx;
        int r = store_index_lock(s, &idx, err);

        if (r < 0)
                return r;
        for (size_t i = idx.n; r == 0 && i-- > 0;) {
                struct store_image *img = &idx.v[i];
                int held = store_holds_of(s, img->id, err);

                if (held < 0)
                        r = held;
                else if (!held && (all || !img->names)) {
                        untag_all(img, ret);
                        strv_add(&ret->deleted, img->id);
                        store_index_remove(&idx, img);
                }
        }
        if (r == 0)
                r = store_index_commit(s, &idx, err);
        store_index_release(&idx);
        store_index_unlock(s);
        if (r == 0)
                r = collect(s, ret, err);
        return r;
}
