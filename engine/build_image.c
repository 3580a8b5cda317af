/* build_image: the images a build starts from (FROM, COPY --from, their configs for the
 * plan) and the image it ends with (docker's image config: architecture, config, created,
 * history, os, rootfs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/registry.h"
#include "engine/ref.h"

/* open_image: the image a Dockerfile names, from the store */
static int
open_image(struct store *s, const char *ref, struct image **ret, struct err *err)
{
        struct store_index idx;
        struct store_image *e = NULL;
        int r = store_index_read(s, &idx, err);

        if (r == 0)
                r = image_resolve(&idx, ref, &e, err);
        if (r == 0)
                r = image_open(s, e, ret, err);
        store_index_release(&idx);
        return r;
}

static void
layers_of(const struct image *img, struct build_img *ret)
{
        json_object *descs = jsonx_get_type(img->manifest, "layers", json_type_array);
        size_t n = strv_length(img->diff_ids);

        ret->layers = n ? xcalloc(n, sizeof(*ret->layers)) : NULL;
        for (size_t i = 0; i < n; i++) {
                struct build_layer *l = &ret->layers[i];
                json_object *d = descs ? json_object_array_get_idx(descs, i) : NULL;

                snprintf(l->diff_id, sizeof(l->diff_id), "%s", img->diff_ids[i]);
                snprintf(l->chain, sizeof(l->chain), "%s", img->chains[i]);
                snprintf(l->blob, sizeof(l->blob), "%s", img->layer_digests[i]);
                snprintf(l->media, sizeof(l->media), "%s", img->layer_media[i]);
                l->size = jsonx_int(d, "size", 0);
        }
        ret->n = n;
}

int
build_base(struct build *b, const char *ref, struct build_img *ret, struct err *err)
{
        struct image *img = NULL;
        json_object *h;
        const char *v;
        int r;

        *ret = (struct build_img){ 0 };
        snprintf(ret->key, sizeof(ret->key), "%s", "scratch");
        if (strcmp(ref, "scratch") == 0)
                return 0;
        r = open_image(b->s, ref, &img, err);
        if (r == 0)
                r = image_unpack(b->s, img, err);
        if (r < 0) {
                image_free(img);
                return r;
        }
        layers_of(img, ret);
        snprintf(ret->key, sizeof(ret->key), "%s", img->id);
        h = jsonx_get_type(img->config, "history", json_type_array);
        if (h)
                json_object_deep_copy(h, &ret->history, NULL);
        v = jsonx_str(img->config, "created");
        snprintf(ret->created, sizeof(ret->created), "%s", v ? v : "");
        v = jsonx_str(img->config, "architecture");
        ret->arch = v ? xstrdup(v) : NULL;
        v = jsonx_str(img->config, "os");
        ret->os = v ? xstrdup(v) : NULL;
        image_free(img);
        return 0;
}

int
build_image_config(void *ctx, const char *ref, const char *platform, struct dfstage_config *ret,
                   struct err *err)
{
        struct build *b = ctx;
        struct image *img = NULL;
        int r;

        (void)platform;
        if (strcmp(ref, "scratch") == 0)
                return -ENOENT;
        r = b->o->pull ? -ENOENT : open_image(b->s, ref, &img, err);
        if (r == -ENOENT) {
                /* as docker build: a missing base image is pulled; --pull always pulls */
                struct reg_opts ro = { .root = b->o->root };
                err_clear(err);
                build_progress_note(&b->prog, "pulling %s", ref);
                r = reg_pull(&ro, ref, NULL, err);
                if (r < 0)
                        return err_prefix(err, "base image '%s'", ref);
                r = open_image(b->s, ref, &img, err);
        }
        if (r == 0) {
                json_object *c = jsonx_get(img->config, "config");

                r = c ? dfstage_config_from_json(c, ret, err) : -ENOENT;
        }
        image_free(img);
        return r;
}

static void
add_labels(json_object *cfg, char *const *labels)
{
        json_object *l = jsonx_get_type(cfg, "Labels", json_type_object);

        if (!labels)
                return;
        if (!l) {
                l = json_object_new_object();
                json_object_object_add(cfg, "Labels", l);
        }
        strv_foreach(kv, labels) {
                const char *eq = strchr(kv, '=');
                cleanup_free char *k = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));

                json_object_object_add(l, k, json_object_new_string(eq ? eq + 1 : ""));
        }
}

static char *
final_config(const struct build *b, const struct dfstage_stage *st, const struct build_img *im)
{
        json_object *cfg = json_object_new_object(), *c = dfstage_config_to_json(&st->config);
        json_object *rootfs = json_object_new_object(), *ids = json_object_new_array();
        char *text;

        add_labels(c, b->o->labels);
        jsonx_add_str(cfg, "architecture", im->arch ? im->arch : image_platform_arch());
        json_object_object_add(cfg, "config", c);
        jsonx_add_str(cfg, "created", im->created);
        json_object_object_add(cfg, "history",
                               im->history ? json_object_get(im->history) : json_object_new_array());
        jsonx_add_str(cfg, "os", im->os ? im->os : "linux");
        for (size_t i = 0; i < im->n; i++)
                json_object_array_add(ids, json_object_new_string(im->layers[i].diff_id));
        jsonx_add_str(rootfs, "type", "layers");
        json_object_object_add(rootfs, "diff_ids", ids);
        json_object_object_add(cfg, "rootfs", rootfs);
        text = jsonx_string(cfg, NULL);
        json_object_put(cfg);
        return text;
}

static int
full_names(char *const *tags, char ***ret, struct err *err)
{
        strv_foreach(t, tags) {
                struct ref rf;
                int r = ref_parse(t, &rf, err);

                if (r < 0)
                        return err_prefix(err, "invalid tag '%s'", t);
                if (rf.digest) {
                        ref_release(&rf);
                        return err_setf(err, -EINVAL, "invalid tag '%s': a tag has no digest", t);
                }
                strv_push(ret, ref_string(&rf));
                ref_release(&rf);
        }
        return 0;
}

int
build_commit_image(struct build *b, const struct dfstage_stage *st, const struct build_img *im,
                   char ret_id[DIGEST_STR_SIZE], struct err *err)
{
        cleanup_free char *config = final_config(b, st, im);
        cleanup_free struct image_layer_ref *refs = NULL;
        cleanup_strv char **names = NULL;
        int r = full_names(b->o->tags, &names, err);

        if (r < 0)
                return r;
        refs = im->n ? xcalloc(im->n, sizeof(*refs)) : NULL;
        for (size_t i = 0; i < im->n; i++)
                refs[i] = (struct image_layer_ref){ im->layers[i].blob, im->layers[i].media,
                                                    im->layers[i].size };
        return image_commit(b->s, config, strlen(config), refs, im->n, names, ret_id, err);
}
