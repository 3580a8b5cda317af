/* store_index: index.json of the store's OCI layout (image-spec image-index.md).
 *
 * On disk one manifest descriptor per (image, name); an untagged image has one descriptor
 * without org.opencontainers.image.ref.name. In memory descriptors are grouped per image ID
 * (io.berth.image.id, the config digest), names sorted. index.json is only ever replaced
 * whole (fs_write_atomic) under the exclusive index lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/file.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/store.h"

#define INDEX_IMAGES_MAX 100000

static void
image_release(struct store_image *img)
{
        free(img->id);
        free(img->manifest);
        free(img->media_type);
        strv_free(img->names);
        free(img->created);
        *img = (struct store_image){ 0 };
}

void
store_index_release(struct store_index *idx)
{
        for (size_t i = 0; i < idx->n; i++)
                image_release(&idx->v[i]);
        free(idx->v);
        *idx = (struct store_index){ 0 };
}

struct store_image *
store_index_by_id(const struct store_index *idx, const char *id)
{
        for (size_t i = 0; i < idx->n; i++)
                if (strcmp(idx->v[i].id, id) == 0)
                        return &idx->v[i];
        return NULL;
}

struct store_image *
store_index_by_name(const struct store_index *idx, const char *name)
{
        for (size_t i = 0; i < idx->n; i++)
                if (strv_contains(idx->v[i].names, name))
                        return &idx->v[i];
        return NULL;
}

struct store_image *
store_index_put(struct store_index *idx, const char *id, const char *manifest,
                const char *media_type, int64_t size)
{
        struct store_image *img = store_index_by_id(idx, id);

        if (!img) {
                GROW(idx->v, idx->cap, idx->n + 1);
                img = &idx->v[idx->n++];
                *img = (struct store_image){ .id = xstrdup(id) };
        }
        free(img->manifest);
        free(img->media_type);
        img->manifest = xstrdup(manifest);
        img->media_type = xstrdup(media_type);
        img->size = size;
        return img;
}

/* names_remove: drop name from *names; an emptied vector becomes NULL. */
static void
names_remove(char ***names, const char *name)
{
        char **v = *names;
        size_t n = strv_length(v);

        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], name) == 0) {
                        free(v[i]);
                        memmove(&v[i], &v[i + 1], (n - i) * sizeof(char *));
                        break;
                }
        if (v && !v[0])
                *names = strv_free(v);
}

struct store_image *
store_index_untag(struct store_index *idx, const char *name)
{
        struct store_image *img = store_index_by_name(idx, name);

        if (img)
                names_remove(&img->names, name);
        return img;
}

void
store_index_tag(struct store_index *idx, struct store_image *img, const char *name)
{
        struct store_image *old = store_index_by_name(idx, name);

        if (old == img)
                return;
        if (old)
                names_remove(&old->names, name);
        strv_add(&img->names, name);
        strv_sort(img->names);
}

void
store_index_remove(struct store_index *idx, struct store_image *img)
{
        size_t i = (size_t)(img - idx->v);

        image_release(img);
        memmove(&idx->v[i], &idx->v[i + 1], (idx->n - i - 1) * sizeof(*img));
        idx->n--;
}

/* add_descriptor: fold one descriptor of index.json into idx. */
static int
add_descriptor(struct store_index *idx, json_object *d, struct err *err)
{
        json_object *ann = jsonx_get_type(d, "annotations", json_type_object);
        const char *id = jsonx_str(ann, STORE_ANN_ID);
        const char *digest = jsonx_str(d, "digest");
        const char *media = jsonx_str(d, "mediaType");
        const char *name = jsonx_str(ann, STORE_ANN_NAME);
        const char *created = jsonx_str(ann, STORE_ANN_TIME);
        struct store_image *img;

        if (!digest_valid(id) || !digest_valid(digest))
                return err_setf(err, -EINVAL,
                                "image store index: descriptor without a valid "
                                "digest or image ID");
        if (idx->n >= INDEX_IMAGES_MAX && !store_index_by_id(idx, id))
                return err_setf(err, -EFBIG, "image store index: more than %d images",
                                INDEX_IMAGES_MAX);
        img = store_index_put(idx, id, digest, media ? media : MEDIA_OCI_MANIFEST,
                              jsonx_int(d, "size", 0));
        if (created && !img->created)
                img->created = xstrdup(created);
        if (name && !strv_contains(img->names, name)) {
                strv_add(&img->names, name);
                strv_sort(img->names);
        }
        return 0;
}

static int
parse_index(const char *buf, size_t len, struct store_index *ret, struct err *err)
{
        json_object *root = NULL;
        json_object *list;
        struct store_index idx = { 0 };
        int r = jsonx_parse(buf, len, STORE_JSON_MAX, "image store index", &root, err);

        if (r < 0)
                return r;
        list = jsonx_get_type(root, "manifests", json_type_array);
        for (size_t i = 0; list && i < json_object_array_length(list) && r == 0; i++)
                r = add_descriptor(&idx, json_object_array_get_idx(list, i), err);
        json_object_put(root);
        if (r < 0) {
                store_index_release(&idx);
                return r;
        }
        *ret = idx;
        return 0;
}

int
store_index_read(struct store *s, struct store_index *ret, struct err *err)
{
        cleanup_free char *p = xasprintf("%s/index.json", s->dir);
        cleanup_free char *buf = NULL;
        size_t len;
        int r;

        *ret = (struct store_index){ 0 };
        r = fs_read_capped(p, STORE_JSON_MAX, &buf, &len, err);
        if (r == -ENOENT) {
                err_clear(err);
                return 0;
        }
        if (r < 0)
                return r;
        return parse_index(buf, len, ret, err);
}

int
store_index_lock(struct store *s, struct store_index *ret, struct err *err)
{
        int fd = openat(s->dirfd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return err_setf(err, -errno, "lock image store index: %s", strerror(errno));
        while (flock(fd, LOCK_EX) < 0) {
                if (errno == EINTR)
                        continue;
                r = -errno;
                close(fd);
                return err_setf(err, r, "lock image store index: %s", strerror(-r));
        }
        s->index_lock = fd;
        r = store_index_read(s, ret, err);
        if (r < 0)
                store_index_unlock(s);
        return r;
}

void
store_index_unlock(struct store *s)
{
        if (s->index_lock >= 0)
                close(s->index_lock);
        s->index_lock = -1;
}

static json_object *
descriptor(const struct store_image *img, const char *name)
{
        json_object *d = json_object_new_object();
        json_object *ann = json_object_new_object();

        jsonx_add_str(d, "mediaType", img->media_type);
        jsonx_add_str(d, "digest", img->manifest);
        jsonx_add_int(d, "size", img->size);
        jsonx_add_str(ann, STORE_ANN_ID, img->id);
        if (img->created)
                jsonx_add_str(ann, STORE_ANN_TIME, img->created);
        if (name)
                jsonx_add_str(ann, STORE_ANN_NAME, name);
        json_object_object_add(d, "annotations", ann);
        return d;
}

int
store_index_commit(struct store *s, const struct store_index *idx, struct err *err)
{
        cleanup_free char *p = xasprintf("%s/index.json", s->dir);
        cleanup_free char *text = NULL;
        json_object *root = json_object_new_object();
        json_object *list = json_object_new_array();

        if (s->index_lock < 0) {
                json_object_put(root);
                json_object_put(list);
                return err_setf(err, -ENOLCK, "write image store index: not locked");
        }
        jsonx_add_int(root, "schemaVersion", 2);
        jsonx_add_str(root, "mediaType", MEDIA_OCI_INDEX);
        for (size_t i = 0; i < idx->n; i++) {
                const struct store_image *img = &idx->v[i];

                if (!img->names)
                        json_object_array_add(list, descriptor(img, NULL));
                strv_foreach(name, img->names)
                        json_object_array_add(list, descriptor(img, name));
        }
        json_object_object_add(root, "manifests", list);
        text = jsonx_string(root, NULL);
        json_object_put(root);
        return fs_write_atomic(p, text, strlen(text), 0644, err);
}
