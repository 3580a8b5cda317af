/* image_tar: image archives, the files `docker save` writes and `docker load` reads.
 *
 * docker-archive (docker <= 24, moby image/tarexport):
 *   manifest.json   [{"Config":"<hex>.json","RepoTags":["busybox:latest"],
 *                     "Layers":["<id>/layer.tar",...]}]   (loaders trust only this file)
 *   repositories    {"busybox":{"latest":"<id of the top layer>"}}  (legacy)
 *   <hex>.json      the config, named by its digest
 *   <id>/layer.tar  an uncompressed layer (sha256 = diff ID); <id>/VERSION "1.0", <id>/json
 *                   legacy v1 metadata. berth uses the chain ID's hex as <id>.
 *   Variants read: skopeo's (<diff-hex>.tar at the top), docker >= 25's (an OCI layout with a
 *   manifest.json whose paths point into blobs/sha256/), symlinks between duplicate layers.
 * OCI layout (image-spec image-layout.md): oci-layout, index.json (names in the annotations
 *   io.containerd.image.name and org.opencontainers.image.ref.name), blobs/sha256/<hex>.
 *   berth writes manifest.json next to it, so docker 20.10 loads it as well.
 *
 * Loading streams every large member straight into the store's ingest (hashed on the way, so
 * nothing is trusted by name), keeps small JSON members in memory, and only then reads the
 * manifests: the order of members in the tar does not matter and stdin works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/archive_dl.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"

#define CHUNK               (1 << 20)
#define ANN_CONTAINERD_NAME "io.containerd.image.name"

/* ---- save ---- */

struct saver {
        struct store *s;
        struct archive *a;
        enum image_format fmt;
        char **written;            /* member names already in the archive */
        json_object *manifest;     /* manifest.json array */
        json_object *repositories; /* docker: repositories object */
        json_object *index;        /* oci: index.json manifests array */
        struct err *err;
        char *buf;
};

static int
tar_err(struct saver *sv, const char *name)
{
        return err_setf(sv->err, archive_errno(sv->a) > 0 ? -archive_errno(sv->a) : -EIO,
                        "save: write '%s': %s", name, archive_error_string(sv->a));
}

static int
tar_header(struct saver *sv, const char *name, mode_t type, int64_t size)
{
        struct archive_entry *e = archive_entry_new();
        int r = 0;

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
        archive_entry_set_mtime(e, 0, 0);
        if (archive_write_header(sv->a, e) < ARCHIVE_WARN)
                r = tar_err(sv, name);
        archive_entry_free(e);
        return r;
}

static bool
once(struct saver *sv, const char *name)
{
        if (strv_contains(sv->written, name))
                return false;
        strv_add(&sv->written, name);
        return true;
}

static int
tar_mem(struct saver *sv, const char *name, const void *data, size_t len)
{
        int r = tar_header(sv, name, AE_IFREG, (int64_t)len);

        if (r == 0 && len && archive_write_data(sv->a, data, len) != (la_ssize_t)len)
                r = tar_err(sv, name);
        return r;
}

static int
tar_dir(struct saver *sv, const char *name)
{
        return once(sv, name) ? tar_header(sv, name, AE_IFDIR, 0) : 0;
}

/* copy_stream: size bytes read from rd into the current member. */
static int
copy_fd(struct saver *sv, int fd, const char *name, uint64_t size)
{
        uint64_t left = size;

        while (left) {
                ssize_t n = read(fd, sv->buf, left < CHUNK ? (size_t)left : CHUNK);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return err_setf(sv->err, n < 0 ? -errno : -EIO, "save: read '%s': %s", name,
                                        n < 0 ? strerror(errno) : "file shrank");
                if (archive_write_data(sv->a, sv->buf, (size_t)n) != n)
                        return tar_err(sv, name);
                left -= (uint64_t)n;
        }
        return 0;
}

/* copy_blob: a blob byte for byte. */
static int
tar_blob(struct saver *sv, const char *name, const char *digest)
{
        cleanup_close int fd = -1;
        uint64_t size;
        int r;

        if (!once(sv, name))
                return 0;
        r = store_blob_open(sv->s, digest, &fd, &size, sv->err);
        if (r == 0)
                r = tar_header(sv, name, AE_IFREG, (int64_t)size);
        if (r == 0)
                r = copy_fd(sv, fd, name, size);
        return r;
}

/* copy_decompressed: a compressed layer blob written as the uncompressed tar of length size. */
static int
copy_decompressed(struct saver *sv, int fd, const char *name, uint64_t size)
{
        struct archive *in = archive_read_new();
        struct archive_entry *e;
        uint64_t done = 0;
        la_ssize_t n = 0;
        int r = 0;

        archive_read_support_filter_all(in);
        archive_read_support_format_raw(in);
        if (archive_read_open_fd(in, fd, CHUNK) != ARCHIVE_OK ||
            archive_read_next_header(in, &e) != ARCHIVE_OK)
                r = err_setf(sv->err, -EINVAL, "save: layer '%s': %s", name,
                             archive_error_string(in));
        while (r == 0 && (n = archive_read_data(in, sv->buf, CHUNK)) > 0) {
                done += (uint64_t)n;
                if (done > size || archive_write_data(sv->a, sv->buf, (size_t)n) != n)
                        r = done > size ? err_setf(sv->err, -EBADMSG,
                                                   "save: layer '%s' is "
                                                   "larger than recorded",
                                                   name)
                                        : tar_err(sv, name);
        }
        if (r == 0 && (n < 0 || done != size))
                r = err_setf(sv->err, -EBADMSG, "save: layer '%s': %s", name,
                             n < 0 ? archive_error_string(in) : "shorter than recorded");
        archive_read_free(in);
        return r;
}

/* tar_layer: layer i of img as an uncompressed tar member (docker-archive needs diff IDs). */
static int
tar_layer(struct saver *sv, const struct image *img, size_t i, const char *name)
{
        const char *blob = img->layer_digests[i];
        cleanup_close int fd = -1;
        struct store_layer l;
        int r;

        if (strcmp(blob, img->diff_ids[i]) == 0)
                return tar_blob(sv, name, blob);
        if (!once(sv, name))
                return 0;
        r = store_layer_get(sv->s, img->chains[i], &l, sv->err);
        if (r == 0)
                r = store_blob_open(sv->s, blob, &fd, NULL, sv->err);
        if (r == 0)
                r = tar_header(sv, name, AE_IFREG, (int64_t)l.tar_size);
        if (r == 0)
                r = copy_decompressed(sv, fd, name, l.tar_size);
        return r;
}

static int
docker_v1_files(struct saver *sv, const struct image *img, size_t i, const char *dir)
{
        cleanup_free char *version = xasprintf("%s/VERSION", dir);
        cleanup_free char *json = xasprintf("%s/json", dir);
        cleanup_free char *body = NULL;
        json_object *o;
        int r;

        if (!once(sv, version))
                return 0;
        o = json_object_new_object();
        jsonx_add_str(o, "id", dir);
        if (i)
                jsonx_add_str(o, "parent", digest_hex(img->chains[i - 1]));
        jsonx_add_str(o, "created", "0001-01-01T00:00:00Z");
        body = jsonx_string(o, NULL);
        json_object_put(o);
        r = tar_mem(sv, version, "1.0", 3);
        if (r == 0 && once(sv, json))
                r = tar_mem(sv, json, body, strlen(body));
        return r;
}

static void
add_repositories(struct saver *sv, char *const *names, const char *top)
{
        strv_foreach(n, names) {
                struct ref r;
                cleanup_free char *repo = NULL;
                json_object *tags;

                if (ref_parse(n, &r, NULL) < 0)
                        continue;
                repo = ref_familiar_repo(&r);
                tags = jsonx_get_type(sv->repositories, repo, json_type_object);
                if (!tags) {
                        tags = json_object_new_object();
                        json_object_object_add(sv->repositories, repo, tags);
                }
                jsonx_add_str(tags, r.tag, top);
                ref_release(&r);
        }
}

static json_object *
familiar_tags(char *const *names)
{
        json_object *a;

        if (!names)
                return NULL;
        a = json_object_new_array();
        strv_foreach(n, names) {
                cleanup_free char *f = ref_familiar_name(n);

                json_object_array_add(a, json_object_new_string(f));
        }
        return a;
}

static int
save_docker(struct saver *sv, const struct image *img, char *const *names)
{
        cleanup_free char *cfg = xasprintf("%s.json", digest_hex(img->id));
        json_object *entry = json_object_new_object(), *layers = json_object_new_array();
        size_t n = strv_length(img->diff_ids);
        int r = tar_blob(sv, cfg, img->id);

        for (size_t i = 0; r == 0 && i < n; i++) {
                const char *dir = digest_hex(img->chains[i]);
                cleanup_free char *lt = xasprintf("%s/layer.tar", dir);

                r = tar_dir(sv, dir);
                if (r == 0)
                        r = docker_v1_files(sv, img, i, dir);
                if (r == 0)
                        r = tar_layer(sv, img, i, lt);
                json_object_array_add(layers, json_object_new_string(lt));
        }
        jsonx_add_str(entry, "Config", cfg);
        json_object_object_add(entry, "RepoTags", familiar_tags(names));
        json_object_object_add(entry, "Layers", layers);
        json_object_array_add(sv->manifest, entry);
        if (n)
                add_repositories(sv, names, digest_hex(img->chains[n - 1]));
        return r;
}

static json_object *
oci_descriptor(const struct image *img, uint64_t size, const char *name)
{
        json_object *d = json_object_new_object();
        const char *mt = jsonx_str(img->manifest, "mediaType");
        struct ref r;

        jsonx_add_str(d, "mediaType", mt ? mt : MEDIA_OCI_MANIFEST);
        jsonx_add_str(d, "digest", img->manifest_digest);
        jsonx_add_int(d, "size", (int64_t)size);
        if (name && ref_parse(name, &r, NULL) == 0) {
                json_object *ann = json_object_new_object();

                jsonx_add_str(ann, ANN_CONTAINERD_NAME, name);
                jsonx_add_str(ann, STORE_ANN_NAME, r.tag ? r.tag : "latest");
                json_object_object_add(d, "annotations", ann);
                ref_release(&r);
        }
        return d;
}

static int
save_oci(struct saver *sv, const struct image *img, char *const *names)
{
        cleanup_free char *man = xasprintf("blobs/sha256/%s", digest_hex(img->manifest_digest));
        cleanup_free char *cfg = xasprintf("blobs/sha256/%s", digest_hex(img->id));
        json_object *entry = json_object_new_object(), *layers = json_object_new_array();
        size_t n = strv_length(img->layer_digests);
        uint64_t msize = 0;
        cleanup_close int fd = -1;
        int r = tar_blob(sv, man, img->manifest_digest);

        if (r == 0)
                r = store_blob_open(sv->s, img->manifest_digest, &fd, &msize, sv->err);
        if (r == 0)
                r = tar_blob(sv, cfg, img->id);
        for (size_t i = 0; r == 0 && i < n; i++) {
                cleanup_free char *p =
                        xasprintf("blobs/sha256/%s", digest_hex(img->layer_digests[i]));

                r = tar_blob(sv, p, img->layer_digests[i]);
                json_object_array_add(layers, json_object_new_string(p));
        }
        if (!names)
                json_object_array_add(sv->index, oci_descriptor(img, msize, NULL));
        strv_foreach(name, names)
                json_object_array_add(sv->index, oci_descriptor(img, msize, name));
        jsonx_add_str(entry, "Config", cfg);
        json_object_object_add(entry, "RepoTags", familiar_tags(names));
        json_object_object_add(entry, "Layers", layers);
        json_object_array_add(sv->manifest, entry);
        return r;
}

struct save_item {
        const struct store_image *entry;
        char **names;
};

/* save_items: what the user named, grouped per image, with the names to keep. */
static int
save_items(const struct store_index *idx, char *const *what, struct save_item **ret, size_t *ret_n,
           struct err *err)
{
        struct save_item *items = xcalloc(strv_length(what) + 1, sizeof(*items));
        size_t n = 0;

        strv_foreach(w, what) {
                struct store_image *img;
                struct ref r;
                size_t i;
                int rc = image_resolve(idx, w, &img, err);

                if (rc < 0) {
                        for (i = 0; i < n; i++)
                                strv_free(items[i].names);
                        free(items);
                        return rc;
                }
                for (i = 0; i < n && items[i].entry != img; i++)
                        ;
                if (i == n)
                        items[n++].entry = img;
                if (ref_parse(w, &r, NULL) == 0) {
                        cleanup_free char *full = r.digest ? NULL : ref_string(&r);

                        if (full && strv_contains(img->names, full) &&
                            !strv_contains(items[i].names, full))
                                strv_add(&items[i].names, full);
                        ref_release(&r);
                }
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

static int
write_json_member(struct saver *sv, const char *name, json_object *o)
{
        cleanup_free char *text = jsonx_string(o, NULL);

        return tar_mem(sv, name, text, strlen(text));
}

static int
save_trailer(struct saver *sv)
{
        json_object *index;
        int r = write_json_member(sv, "manifest.json", sv->manifest);

        if (r < 0)
                return r;
        if (sv->fmt == IMAGE_FORMAT_DOCKER)
                return write_json_member(sv, "repositories", sv->repositories);
        index = json_object_new_object();
        jsonx_add_int(index, "schemaVersion", 2);
        jsonx_add_str(index, "mediaType", MEDIA_OCI_INDEX);
        json_object_object_add(index, "manifests", json_object_get(sv->index));
        r = write_json_member(sv, "index.json", index);
        json_object_put(index);
        return r;
}

static int
save_all(struct saver *sv, const struct save_item *items, size_t n)
{
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        int r = 0;

        if (sv->fmt == IMAGE_FORMAT_OCI) {
                r = tar_mem(sv, "oci-layout", layout, strlen(layout));
                if (r == 0)
                        r = tar_dir(sv, "blobs");
                if (r == 0)
                        r = tar_dir(sv, "blobs/sha256");
        }
        for (size_t i = 0; r == 0 && i < n; i++) {
                struct image *img;

                r = image_open(sv->s, items[i].entry, &img, sv->err);
                if (r < 0)
                        break;
                r = sv->fmt == IMAGE_FORMAT_OCI ? save_oci(sv, img, items[i].names)
                                                : save_docker(sv, img, items[i].names);
                image_free(img);
        }
        if (r == 0)
                r = save_trailer(sv);
        if (r == 0 && archive_write_close(sv->a) != ARCHIVE_OK)
                r = tar_err(sv, "(end)");
        return r;
}

int
image_save(struct store *s, char *const *what, enum image_format fmt, int fd, struct err *err)
{
        struct saver sv = { .s = s, .fmt = fmt, .err = err };
        struct save_item *items = NULL;
        struct store_index idx = { 0 };
        size_t n = 0;
        int r = archive_dl_load(err);

        if (r == 0)
                r = store_pin(s, err); /* keeps GC away from the blobs being read */
        if (r == 0)
                r = store_index_read(s, &idx, err);
        if (r == 0)
                r = save_items(&idx, what, &items, &n, err);
        if (r == 0) {
                sv.a = archive_write_new();
                sv.buf = xmalloc(CHUNK);
                sv.manifest = json_object_new_array();
                sv.repositories = json_object_new_object();
                sv.index = json_object_new_array();
                archive_write_set_format_pax_restricted(sv.a);
                archive_write_add_filter_none(sv.a);
                archive_write_set_bytes_in_last_block(sv.a, 1);
                r = archive_write_open_fd(sv.a, fd) == ARCHIVE_OK ? 0 : tar_err(&sv, "(start)");
                if (r == 0)
                        r = save_all(&sv, items, n);
                archive_write_free(sv.a);
                json_object_put(sv.manifest);
                json_object_put(sv.repositories);
                json_object_put(sv.index);
                free(sv.buf);
                strv_free(sv.written);
        }
        for (size_t i = 0; i < n; i++)
                strv_free(items[i].names);
        free(items);
        store_index_release(&idx);
        store_unpin(s);
        return r;
}

/* ---- load ---- */

struct member {
        char *name;
        char *data; /* small metadata files are kept in memory */
        size_t len;
        char digest[DIGEST_STR_SIZE]; /* stored as this blob, else "" */
        char *link;                   /* a symlink or hard link: the member it stands for */
};

struct loader {
        struct store *s;
        struct member *m;
        size_t n, cap;
        uint64_t mem_bytes;
        char *buf;
        struct err *err;
        struct image_load_result *res;
};

#define LOAD_MEM_MAX (256u << 20)
#define PREFETCH_MIN (1 << 20) /* smaller layers are not worth a thread */

static void
loader_release(struct loader *ld)
{
        for (size_t i = 0; i < ld->n; i++) {
                free(ld->m[i].name);
                free(ld->m[i].data);
                free(ld->m[i].link);
        }
        free(ld->m);
        free(ld->buf);
}

/* member_name: an archive path made canonical; NULL for one that climbs out with "..". */
static char *
member_name(const char *dir, const char *p)
{
        cleanup_free char *j = dir ? path_join(dir, p) : NULL;
        char *c = path_clean(j ? j : p);
        char *s = c;

        while (*s == '/')
                s++;
        if (strcmp(s, "..") == 0 || strncmp(s, "../", 3) == 0) {
                free(c);
                return NULL;
        }
        memmove(c, s, strlen(s) + 1);
        return c;
}

static bool
keep_in_memory(const char *name, int64_t size)
{
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        size_t n = strlen(name);

        if (size < 0 || (uint64_t)size > STORE_JSON_MAX || strncmp(name, "blobs/", 6) == 0)
                return false;
        return (n > 5 && strcmp(name + n - 5, ".json") == 0) || !strcmp(base, "json") ||
               !strcmp(base, "VERSION") || !strcmp(base, "repositories") ||
               !strcmp(base, "oci-layout");
}

static struct member *
add_member(struct loader *ld, char *name)
{
        struct member *m;

        GROW(ld->m, ld->cap, ld->n + 1);
        m = &ld->m[ld->n++];
        *m = (struct member){ .name = name };
        return m;
}

static int
read_member_mem(struct loader *ld, struct archive *a, struct member *m, int64_t size)
{
        la_ssize_t n;

        if (ld->mem_bytes + (uint64_t)size > LOAD_MEM_MAX)
                return err_setf(ld->err, -EFBIG, "load: metadata larger than %u bytes",
                                LOAD_MEM_MAX);
        m->data = xmalloc((size_t)size + 1);
        n = archive_read_data(a, m->data, (size_t)size);
        if (n != size)
                return err_setf(ld->err, -EINVAL, "load: read '%s': %s", m->name,
                                n < 0 ? archive_error_string(a) : "truncated");
        m->data[size] = '\0';
        m->len = (size_t)size;
        ld->mem_bytes += (uint64_t)size;
        return 0;
}

/* expected_digest: "blobs/sha256/<hex>" names its own digest. */
static bool
expected_digest(const char *name, char out[DIGEST_STR_SIZE])
{
        if (strncmp(name, "blobs/sha256/", 13) != 0)
                return false;
        snprintf(out, DIGEST_STR_SIZE, "sha256:%s", name + 13);
        return digest_valid(out);
}

/* looks_like_layer: the start of a tar, or of a gzip or zstd stream. */
static bool
looks_like_layer(const void *buf, size_t n)
{
        const unsigned char *p = buf;

        return (n >= 262 && memcmp(p + 257, "ustar", 5) == 0) ||
               (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
               (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd);
}

/* A member being streamed into the store. */
struct member_sink {
        struct store_writer *w;
        struct store_prefetch *pf;
        int64_t size; /* the member's size, to decide whether a prefetch pays */
        int64_t at;   /* bytes written so far */
};

static int
sink_data(struct loader *ld, struct member_sink *ms, const void *buf, size_t n)
{
        int r;

        if (ms->at == 0 && ms->size >= PREFETCH_MIN && looks_like_layer(buf, n))
                store_prefetch_start(ld->s, &ms->pf, NULL);
        r = store_writer_write(ms->w, buf, n, ld->err);
        store_prefetch_feed(ms->pf, buf, n);
        ms->at += (int64_t)n;
        return r;
}

/* sink_hole: a sparse member's hole, as the zeros it reads as. */
static int
sink_hole(struct loader *ld, struct member_sink *ms, int64_t to)
{
        int r = 0;

        memset(ld->buf, 0, CHUNK);
        while (r == 0 && ms->at < to)
                r = sink_data(ld, ms, ld->buf, (size_t)(to - ms->at < CHUNK ? to - ms->at : CHUNK));
        return r;
}

/* read_member_blob: stream a member into the store, straight from libarchive's buffers; a big
 * one that looks like a layer is unpacked at the same time in a second thread. */
static int
read_member_blob(struct loader *ld, struct archive *a, struct member *m, int64_t size)
{
        struct member_sink ms = { .size = size };
        char expect[DIGEST_STR_SIZE];
        bool check = expected_digest(m->name, expect);
        const void *buf;
        size_t n;
        la_int64_t off;
        int ar, r = store_writer_new(ld->s, &ms.w, ld->err);

        while (r == 0 && (ar = archive_read_data_block(a, &buf, &n, &off)) != ARCHIVE_EOF) {
                if (ar < ARCHIVE_WARN || off < ms.at)
                        r = err_setf(ld->err, -EINVAL, "load: read '%s': %s", m->name,
                                     ar < ARCHIVE_WARN ? archive_error_string(a) : "bad offset");
                if (r == 0 && off > ms.at)
                        r = sink_hole(ld, &ms, off);
                if (r == 0 && n)
                        r = sink_data(ld, &ms, buf, n);
        }
        if (r == 0 && ms.at < size)
                r = sink_hole(ld, &ms, size);
        if (r == 0)
                r = store_writer_commit(ms.w, check ? expect : NULL, m->digest, NULL, NULL,
                                        ld->err);
        store_prefetch_finish(ld->s, ms.pf, r == 0 ? m->digest : NULL);
        if (r < 0)
                err_prefix(ld->err, "load: '%s'", m->name);
        store_writer_free(ms.w);
        return r;
}

static int
read_entry(struct loader *ld, struct archive *a, struct archive_entry *e)
{
        const char *p = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
        mode_t type = archive_entry_filetype(e);
        cleanup_free char *dir = NULL;
        char *name = p ? member_name(NULL, p) : NULL;
        struct member *m;

        if (!name)
                return err_setf(ld->err, -EINVAL, "load: invalid member name '%s'", p ? p : "");
        if (ld->n >= IMAGE_ARCHIVE_MEMBERS_MAX) {
                free(name);
                return err_setf(ld->err, -EFBIG, "load: more than %d archive members",
                                IMAGE_ARCHIVE_MEMBERS_MAX);
        }
        if (!hl && type != AE_IFREG && type != AE_IFLNK) {
                free(name);
                return 0;
        }
        m = add_member(ld, name);
        dir = path_dirname(name);
        if (hl || type == AE_IFLNK) {
                const char *target = hl ? hl : archive_entry_symlink(e);

                m->link = target ? member_name(hl ? NULL : dir, target) : NULL;
                return m->link ? 0
                               : err_setf(ld->err, -EINVAL,
                                          "load: link '%s' leaves the "
                                          "archive",
                                          name);
        }
        if (keep_in_memory(name, archive_entry_size(e)))
                return read_member_mem(ld, a, m, archive_entry_size(e));
        return read_member_blob(ld, a, m, archive_entry_size(e));
}

static int
read_archive(struct loader *ld, int fd)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r = 0, ar;

        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_xz(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK)
                r = err_setf(ld->err, -EINVAL, "load: not an image archive: %s",
                             archive_error_string(a));
        while (r == 0 && (ar = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
                if (ar < ARCHIVE_WARN)
                        r = err_setf(ld->err, -EINVAL, "load: not a valid image archive: %s",
                                     archive_error_string(a));
                else
                        r = read_entry(ld, a, e);
        }
        archive_read_free(a);
        return r;
}

/* find: the member called name, following links. */
static const struct member *
find(const struct loader *ld, const char *name)
{
        cleanup_free char *want = member_name(NULL, name);

        for (int hops = 0; want && hops < 16; hops++) {
                const struct member *m = NULL;

                for (size_t i = 0; i < ld->n && !m; i++)
                        if (strcmp(ld->m[i].name, want) == 0)
                                m = &ld->m[i];
                if (!m || !m->link)
                        return m;
                free(want);
                want = xstrdup(m->link);
        }
        return NULL;
}

/* member_json: parse a member (in memory, or a stored blob). */
static int
member_json(struct loader *ld, const char *name, json_object **ret, char **ret_bytes,
            size_t *ret_len)
{
        const struct member *m = find(ld, name);
        cleanup_free char *what = xasprintf("'%s' in the archive", name);
        cleanup_free char *buf = NULL;
        size_t len;
        int r;

        if (!m)
                return err_setf(ld->err, -EINVAL, "load: %s is missing", what);
        if (m->data) {
                buf = xstrndup(m->data, m->len);
                len = m->len;
        } else {
                r = store_blob_read(ld->s, m->digest, STORE_JSON_MAX, &buf, &len, ld->err);
                if (r < 0)
                        return r;
        }
        r = jsonx_parse(buf, len, STORE_JSON_MAX, what, ret, ld->err);
        if (r == 0 && ret_bytes) {
                *ret_bytes = TAKE_PTR(buf);
                *ret_len = len;
        }
        return r;
}

static char **
normalise_names(json_object *tags)
{
        char **out = NULL;
        size_t n = tags && json_object_is_type(tags, json_type_array)
                           ? json_object_array_length(tags)
                           : 0;

        for (size_t i = 0; i < n; i++) {
                const char *t = json_object_get_string(json_object_array_get_idx(tags, i));
                struct ref r;

                if (!t || ref_parse(t, &r, NULL) < 0)
                        continue;
                if (!r.digest)
                        strv_push(&out, ref_string(&r));
                ref_release(&r);
        }
        return out;
}

static void
report_loaded(struct loader *ld, char *const *names, const char *id)
{
        if (!names)
                strv_add(&ld->res->ids, id);
        strv_foreach(n, names)
                strv_push(&ld->res->names, ref_familiar_name(n));
}

/* layer_media: the media type of a docker-archive layer blob, from what it is. */
static int
layer_media(struct loader *ld, const char *blob, const char *diff_id, const char **ret)
{
        cleanup_close int fd = -1;
        unsigned char magic[4] = { 0 };
        int r;

        *ret = MEDIA_OCI_LAYER;
        if (strcmp(blob, diff_id) == 0)
                return 0;
        r = store_blob_open(ld->s, blob, &fd, NULL, ld->err);
        if (r < 0)
                return r;
        if (read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic)) {
                if (magic[0] == 0x1f && magic[1] == 0x8b)
                        *ret = MEDIA_OCI_LAYER_GZIP;
                else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
                         magic[3] == 0xfd)
                        *ret = MEDIA_OCI_LAYER_ZSTD;
        }
        return 0; /* an uncompressed tar that is not the diff ID fails when unpacked */
}

static int
docker_layers(struct loader *ld, json_object *layers, size_t n, char **diff_ids,
              struct image_layer_ref *refs)
{
        for (size_t i = 0; i < n; i++) {
                const char *p = json_object_get_string(json_object_array_get_idx(layers, i));
                const struct member *m = p ? find(ld, p) : NULL;
                cleanup_close int fd = -1;
                uint64_t size;
                int r;

                if (!m || !m->digest[0])
                        return err_setf(ld->err, -EINVAL, "load: layer '%s' is missing",
                                        p ? p : "?");
                r = layer_media(ld, m->digest, diff_ids[i], &refs[i].media_type);
                if (r == 0)
                        r = store_blob_open(ld->s, m->digest, &fd, &size, ld->err);
                if (r < 0)
                        return r;
                refs[i].digest = m->digest;
                refs[i].size = (int64_t)size;
        }
        return 0;
}

static int
load_docker_image(struct loader *ld, json_object *entry)
{
        const char *cfgname = jsonx_str(entry, "Config");
        json_object *layers = jsonx_get_type(entry, "Layers", json_type_array);
        cleanup_strv char **names = normalise_names(jsonx_get(entry, "RepoTags"));
        cleanup_strv char **diff_ids = NULL;
        cleanup_free char *bytes = NULL;
        cleanup_free struct image_layer_ref *refs = NULL;
        json_object *cfg = NULL;
        char id[DIGEST_STR_SIZE];
        size_t len, n;
        int r;

        if (!cfgname || !layers)
                return err_setf(ld->err, -EINVAL,
                                "load: manifest.json entry without Config or "
                                "Layers");
        r = member_json(ld, cfgname, &cfg, &bytes, &len);
        if (r < 0)
                return r;
        diff_ids = jsonx_to_strv(jsonx_get(jsonx_get(cfg, "rootfs"), "diff_ids"));
        json_object_put(cfg);
        n = strv_length(diff_ids);
        if (n != json_object_array_length(layers) || n > IMAGE_LAYERS_MAX)
                return err_setf(ld->err, -EINVAL, "load: '%s' names %zu layers, manifest.json %zu",
                                cfgname, n, json_object_array_length(layers));
        refs = xcalloc(n + 1, sizeof(*refs));
        r = docker_layers(ld, layers, n, diff_ids, refs);
        if (r == 0)
                r = image_commit(ld->s, bytes, len, refs, n, names, id, ld->err);
        if (r == 0)
                report_loaded(ld, names, id);
        return r;
}

static int
load_docker(struct loader *ld)
{
        json_object *list = NULL;
        size_t n;
        int r = member_json(ld, "manifest.json", &list, NULL, NULL);

        if (r < 0)
                return r;
        n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
        if (n == 0 || n > IMAGE_ARCHIVE_IMAGES_MAX)
                r = err_setf(ld->err, -EINVAL, "load: manifest.json lists %zu images", n);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = load_docker_image(ld, json_object_array_get_idx(list, i));
        json_object_put(list);
        return r;
}

/* oci_name: the full name a descriptor carries (containerd's annotation first). */
static char *
oci_name(json_object *desc)
{
        json_object *ann = jsonx_get_type(desc, "annotations", json_type_object);
        const char *n = jsonx_str(ann, ANN_CONTAINERD_NAME);
        struct ref r;
        char *out;

        if (!n)
                n = jsonx_str(ann, STORE_ANN_NAME);
        if (!n || ref_parse(n, &r, NULL) < 0)
                return NULL;
        out = r.digest ? NULL : ref_string(&r);
        ref_release(&r);
        return out;
}

static int
load_oci(struct loader *ld)
{
        json_object *index = NULL, *list;
        size_t n;
        int r = member_json(ld, "index.json", &index, NULL, NULL);

        if (r < 0)
                return r;
        list = jsonx_get_type(index, "manifests", json_type_array);
        n = list ? json_object_array_length(list) : 0;
        if (n == 0 || n > IMAGE_ARCHIVE_IMAGES_MAX)
                r = err_setf(ld->err, -EINVAL, "load: index.json lists %zu manifests", n);
        for (size_t i = 0; r == 0 && i < n; i++) {
                json_object *d = json_object_array_get_idx(list, i);
                const char *digest = jsonx_str(d, "digest");
                cleanup_free char *name = oci_name(d);
                char *names[] = { name, NULL };
                char id[DIGEST_STR_SIZE];

                if (!store_blob_has(ld->s, digest)) {
                        r = err_setf(ld->err, -EINVAL, "load: manifest %s is not in the archive",
                                     digest ? digest : "?");
                        break;
                }
                r = image_register(ld->s, digest, name ? names : NULL, id, ld->err);
                if (r == 0)
                        report_loaded(ld, name ? names : NULL, id);
        }
        json_object_put(index);
        return r;
}

void
image_load_result_release(struct image_load_result *r)
{
        strv_free(r->names);
        strv_free(r->ids);
        *r = (struct image_load_result){ 0 };
}

int
image_load(struct store *s, int fd, struct image_load_result *ret, struct err *err)
{
        struct loader ld = { .s = s, .err = err, .res = ret };
        int r;

        *ret = (struct image_load_result){ 0 };
        r = archive_dl_load(err);
        if (r < 0)
                return r;
        ld.buf = xmalloc(CHUNK);
        r = store_pin(s, err);
        if (r == 0)
                r = read_archive(&ld, fd);
        if (r == 0 && find(&ld, "index.json") && find(&ld, "oci-layout"))
                r = load_oci(&ld);
        else if (r == 0 && find(&ld, "manifest.json"))
                r = load_docker(&ld);
        else if (r == 0)
                r = err_setf(err, -EINVAL,
                             "load: not an image archive: no manifest.json and no "
                             "OCI index.json");
        store_prefetch_discard(s);
        store_unpin(s);
        loader_release(&ld);
        return r;
}
