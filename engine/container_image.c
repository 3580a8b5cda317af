/* container_image: turn an image reference into what a container needs (overlay lower dirs,
 * the image config) through the image store (store.h, image.h). The only file of the
 * container code that talks to the store; a hold (store_hold) keeps the image's layers from
 * garbage collection while a container uses them.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "engine/container.h"
#include "engine/image.h"
#include "engine/store.h"

static int
fill(struct store *s, const struct image *img, struct ctr_image *ret)
{
        size_t n = strv_length(img->chains);
        json_object *cfg = NULL;

        ret->id = xstrdup(img->id);
        for (size_t i = n; i > 0; i--)
                strv_push(&ret->lowerdirs, store_layer_diff_path(s, img->chains[i - 1]));
        if (img->config && json_object_object_get_ex(img->config, "config", &cfg) &&
            json_object_is_type(cfg, json_type_object))
                ret->config = json_object_get(cfg);
        return 0;
}

static int
resolve(struct store *s, const char *ref, struct ctr_image *ret, struct err *err)
{
        struct store_index idx = { 0 };
        struct store_image *entry = NULL;
        struct image *img = NULL;
        int r = store_index_read(s, &idx, err);

        if (r >= 0)
                r = image_resolve(&idx, ref, &entry, err);
        if (r >= 0)
                r = image_open(s, entry, &img, err);
        if (r >= 0)
                r = image_unpack(s, img, err);
        if (r >= 0)
                r = fill(s, img, ret);
        image_free(img);
        store_index_release(&idx);
        return r;
}

int
ctr_image_resolve(const char *root, const char *ref, struct ctr_image *ret, struct err *err)
{
        struct store *s = NULL;
        int r = store_open(root, &s, err);

        memset(ret, 0, sizeof(*ret));
        if (r < 0)
                return r;
        r = store_pin(s, err);
        if (r >= 0) {
                r = resolve(s, ref, ret, err);
                store_unpin(s);
        }
        store_free(s);
        if (r < 0)
                ctr_image_release(ret);
        return r;
}

/* hold_present: hold image_id for holder if the index still has it; under the pin, so no
 * GC runs between the check and the hold (its layers are reachable from the index) */
static int
hold_present(struct store *s, const char *image_id, const char *holder, int durable,
             struct err *err)
{
        struct store_index idx = { 0 };
        struct store_image *entry = NULL;
        int r = store_index_read(s, &idx, err);

        if (r >= 0)
                r = image_resolve(&idx, image_id, &entry, err);
        if (r >= 0)
                r = store_hold(s, holder, entry->id, durable, err);
        store_index_release(&idx);
        return r;
}

int
ctr_image_hold(const char *root, const char *image_id, const char *holder, int durable,
               struct err *err)
{
        struct store *s = NULL;
        int r = store_open(root, &s, err);

        if (r < 0)
                return r;
        r = store_pin(s, err);
        if (r >= 0) {
                r = hold_present(s, image_id, holder, durable, err);
                store_unpin(s);
        }
        store_free(s);
        return r;
}

void
ctr_image_release(struct ctr_image *img)
{
        free(img->id);
        strv_free(img->lowerdirs);
        json_object_put(img->config);
        memset(img, 0, sizeof(*img));
}
