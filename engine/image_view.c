/* image_view: the docker API's image objects (ImageInspect, HistoryResponseItem) built from an
 * image's config. Member order follows docker's Go structs, so `berth image inspect` reads
 * like `docker image inspect`; container.Config members docker always prints are filled with
 * their zero values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/report.h"

static json_object *
copy_or(json_object *src, const char *key, json_object *fallback)
{
        json_object *v = jsonx_get(src, key);
        json_object *out = NULL;

        if (!v) {
                return fallback;
        }
        json_object_put(fallback);
        json_object_deep_copy(v, &out, NULL);
        return out;
}

/* docker_config: container.Config in docker's order, zero values where the image has none. */
static json_object *
docker_config(json_object *c)
{
        static const char *const strs[] = { "Hostname", "Domainname", "User" };
        static const char *const bools[] = { "AttachStdin", "AttachStdout", "AttachStderr" };
        static const char *const tail[] = { "Tty", "OpenStdin", "StdinOnce" };
        static const char *const opt[] = { "Healthcheck", "ArgsEscaped" };
        json_object *o = json_object_new_object();

        for (size_t i = 0; i < 3; i++)
                json_object_object_add(o, strs[i], copy_or(c, strs[i], json_object_new_string("")));
        for (size_t i = 0; i < 3; i++)
                json_object_object_add(o, bools[i],
                                       copy_or(c, bools[i], json_object_new_boolean(0)));
        if (jsonx_get(c, "ExposedPorts"))
                json_object_object_add(o, "ExposedPorts", copy_or(c, "ExposedPorts", NULL));
        for (size_t i = 0; i < 3; i++)
                json_object_object_add(o, tail[i], copy_or(c, tail[i], json_object_new_boolean(0)));
        json_object_object_add(o, "Env", copy_or(c, "Env", NULL));
        json_object_object_add(o, "Cmd", copy_or(c, "Cmd", NULL));
        for (size_t i = 0; i < 2; i++)
                if (jsonx_get(c, opt[i]))
                        json_object_object_add(o, opt[i], copy_or(c, opt[i], NULL));
        json_object_object_add(o, "Image", copy_or(c, "Image", json_object_new_string("")));
        json_object_object_add(o, "Volumes", copy_or(c, "Volumes", NULL));
        json_object_object_add(o, "WorkingDir",
                               copy_or(c, "WorkingDir", json_object_new_string("")));
        json_object_object_add(o, "Entrypoint", copy_or(c, "Entrypoint", NULL));
        json_object_object_add(o, "OnBuild", copy_or(c, "OnBuild", NULL));
        json_object_object_add(o, "Labels", copy_or(c, "Labels", NULL));
        if (jsonx_get(c, "StopSignal"))
                json_object_object_add(o, "StopSignal", copy_or(c, "StopSignal", NULL));
        if (jsonx_get(c, "Shell"))
                json_object_object_add(o, "Shell", copy_or(c, "Shell", NULL));
        return o;
}

static json_object *
repo_tags(const struct image *img)
{
        json_object *a = json_object_new_array();

        strv_foreach(n, img->names) {
                cleanup_free char *fam = ref_familiar_name(n);

                json_object_array_add(a, json_object_new_string(fam));
        }
        return a;
}

static json_object *
graph_driver(struct store *s, const struct image *img)
{
        json_object *gd = json_object_new_object(), *data = json_object_new_object();
        size_t n = strv_length(img->chains);
        struct sbuf lower = SBUF_INIT;

        for (size_t i = n - 1; n > 1 && i-- > 0;) {
                cleanup_free char *p = store_layer_diff_path(s, img->chains[i]);

                if (lower.len)
                        sbuf_addch(&lower, ':');
                sbuf_adds(&lower, p);
        }
        if (lower.len)
                jsonx_add_str(data, "LowerDir", lower.buf);
        if (n) {
                cleanup_free char *top = store_layer_diff_path(s, img->chains[n - 1]);

                jsonx_add_str(data, "UpperDir", top);
        }
        sbuf_release(&lower);
        json_object_object_add(gd, "Data", data);
        jsonx_add_str(gd, "Name", "overlay");
        return gd;
}

static json_object *
str_or_empty(json_object *c, const char *key)
{
        const char *v = jsonx_str(c, key);

        return json_object_new_string(v ? v : "");
}

json_object *
image_inspect_json(struct store *s, const struct image *img)
{
        json_object *o = json_object_new_object(), *rootfs = json_object_new_object();
        json_object *meta = json_object_new_object();
        json_object *c = img->config;

        jsonx_add_str(o, "Id", img->id);
        json_object_object_add(o, "RepoTags", repo_tags(img));
        json_object_object_add(o, "RepoDigests", json_object_new_array());
        jsonx_add_str(o, "Parent", "");
        json_object_object_add(o, "Comment", str_or_empty(c, "comment"));
        json_object_object_add(o, "Created", str_or_empty(c, "created"));
        json_object_object_add(o, "DockerVersion", str_or_empty(c, "docker_version"));
        json_object_object_add(o, "Author", str_or_empty(c, "author"));
        json_object_object_add(o, "Config", docker_config(jsonx_get(c, "config")));
        json_object_object_add(o, "Architecture", str_or_empty(c, "architecture"));
        if (jsonx_str(c, "variant"))
                json_object_object_add(o, "Variant", str_or_empty(c, "variant"));
        json_object_object_add(o, "Os", str_or_empty(c, "os"));
        jsonx_add_int(o, "Size", (int64_t)img->size);
        json_object_object_add(o, "GraphDriver", graph_driver(s, img));
        jsonx_add_str(rootfs, "Type", "layers");
        json_object_object_add(rootfs, "Layers", jsonx_strv(img->diff_ids));
        json_object_object_add(o, "RootFS", rootfs);
        jsonx_add_str(meta, "LastTagTime", img->tagged ? img->tagged : "0001-01-01T00:00:00Z");
        json_object_object_add(o, "Metadata", meta);
        return o;
}

void
image_history_free(struct image_history_row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(rows[i].id);
                free(rows[i].created_by);
                free(rows[i].comment);
        }
        free(rows);
}

static void
history_row(struct image_history_row *row, json_object *h)
{
        const char *created = jsonx_str(h, "created");
        struct timespec ts;

        row->created = created && report_time_parse(created, &ts) == 0 ? (int64_t)ts.tv_sec : 0;
        row->created_by = xstrdup(jsonx_str(h, "created_by") ? jsonx_str(h, "created_by") : "");
        row->comment = xstrdup(jsonx_str(h, "comment") ? jsonx_str(h, "comment") : "");
        row->empty_layer = jsonx_bool(h, "empty_layer");
}

int
image_history(const struct image *img, struct image_history_row **ret, size_t *ret_n,
              struct err *err)
{
        json_object *hist = jsonx_get_type(img->config, "history", json_type_array);
        size_t nh = hist ? json_object_array_length(hist) : 0;
        size_t nl = strv_length(img->diff_ids), layer = 0;
        size_t n = nh ? nh : nl;
        struct image_history_row *rows;

        if (n > 10 * IMAGE_LAYERS_MAX)
                return err_setf(err, -EFBIG, "image %s: history too long", img->id);
        rows = xcalloc(n + 1, sizeof(*rows));
        for (size_t i = 0; i < n; i++) {
                struct image_history_row *row = &rows[n - 1 - i];

                if (nh)
                        history_row(row, json_object_array_get_idx(hist, i));
                else
                        history_row(row, NULL);
                if (!row->empty_layer && layer < nl)
                        row->size = img->layer_sizes[layer++];
        }
        if (n)
                rows[0].id = xstrdup(img->id);
        *ret = rows;
        *ret_n = n;
        return 0;
}
