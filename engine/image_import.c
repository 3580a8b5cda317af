/* image_import: `docker import` — a root filesystem tarball becomes a one-layer image.
 *
 * The tarball is read once: libarchive undoes any compression, the uncompressed tar is stored
 * as the layer blob (so its digest is the diff ID, as docker computes it) while the same bytes
 * are unpacked into the layer dir. The config is an OCI image config (docker's superset
 * fields only where docker import sets them), members in Go's map order (sorted).
 *
 * --change takes the Dockerfile instructions docker import accepts (CMD ENTRYPOINT ENV EXPOSE
 * LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR) with Dockerfile syntax: exec form as a JSON
 * array, shell form wrapped in ["/bin/sh", "-c", ...], key=value pairs with quotes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
#include "engine/report.h"

#define CHANGE_MAX 65536

/* split_words: Dockerfile-style words: whitespace separated, "..." and '...' quoted,
 * backslash escapes the next character. -EINVAL for an unterminated quote. */
static int
split_words(const char *s, char ***ret)
{
        struct sbuf w = SBUF_INIT;
        char **v = NULL;
        bool in_word = false;
        char quote = 0;

        for (; *s; s++) {
                if (!quote && isspace((unsigned char)*s)) {
                        if (in_word)
                                strv_push(&v, sbuf_detach(&w));
                        in_word = false;
                        continue;
                }
                in_word = true;
                if (*s == '\\' && s[1] && quote != '\'')
                        sbuf_addch(&w, *++s);
                else if (!quote && (*s == '"' || *s == '\''))
                        quote = *s;
                else if (quote && *s == quote)
                        quote = 0;
                else
                        sbuf_addch(&w, *s);
        }
        if (in_word)
                strv_push(&v, sbuf_detach(&w));
        sbuf_release(&w);
        if (quote) {
                strv_free(v);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* command_form: exec form (a JSON array of strings) or shell form. */
static json_object *
command_form(const char *args)
{
        json_object *arr = NULL;

        if (args[0] == '[' &&
            jsonx_parse(args, strlen(args), CHANGE_MAX, "change", &arr, NULL) == 0) {
                size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
                                                                     : 0;
                bool ok = json_object_is_type(arr, json_type_array);

                for (size_t i = 0; ok && i < n; i++)
                        ok = json_object_is_type(json_object_array_get_idx(arr, i),
                                                 json_type_string);
                if (ok)
                        return arr;
                json_object_put(arr);
        }
        arr = json_object_new_array();
        json_object_array_add(arr, json_object_new_string("/bin/sh"));
        json_object_array_add(arr, json_object_new_string("-c"));
        json_object_array_add(arr, json_object_new_string(args));
        return arr;
}

static json_object *
object_member(json_object *cfg, const char *key)
{
        json_object *o = jsonx_get_type(cfg, key, json_type_object);

        if (!o) {
                o = json_object_new_object();
                json_object_object_add(cfg, key, o);
        }
        return o;
}

static void
env_set(json_object *cfg, const char *key, const char *value)
{
        json_object *env = jsonx_get_type(cfg, "Env", json_type_array);
        cleanup_free char *kv = xasprintf("%s=%s", key, value);
        size_t klen = strlen(key);

        if (!env) {
                env = json_object_new_array();
                json_object_object_add(cfg, "Env", env);
        }
        for (size_t i = 0; i < json_object_array_length(env); i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(env, i));

                if (e && strncmp(e, key, klen) == 0 && e[klen] == '=') {
                        json_object_array_put_idx(env, i, json_object_new_string(kv));
                        return;
                }
        }
        json_object_array_add(env, json_object_new_string(kv));
}

/* key_values: "k=v k2='v 2'", or the legacy "k v w" (one pair, the rest is the value). */
static int
key_values(json_object *cfg, const char *kw, const char *args, bool env)
{
        cleanup_strv char **words = NULL;
        json_object *labels = env ? NULL : object_member(cfg, "Labels");

        if (split_words(args, &words) < 0 || !words)
                return -EINVAL;
        if (!strchr(words[0], '=')) {
                const char *rest = args + strcspn(args, " \t");

                while (isspace((unsigned char)*rest))
                        rest++;
                if (!*rest || strcmp(kw, "ENV") != 0)
                        return -EINVAL;
                env_set(cfg, words[0], rest);
                return 0;
        }
        strv_foreach(w, words) {
                char *eq = strchr(w, '=');

                if (!eq || eq == w)
                        return -EINVAL;
                *eq = '\0';
                if (env)
                        env_set(cfg, w, eq + 1);
                else
                        jsonx_add_str(labels, w, eq + 1);
        }
        return 0;
}

static int
set_ports(json_object *cfg, const char *args)
{
        cleanup_strv char **words = NULL;
        json_object *ports = object_member(cfg, "ExposedPorts");

        if (split_words(args, &words) < 0 || !words)
                return -EINVAL;
        strv_foreach(w, words) {
                cleanup_free char *p = strchr(w, '/') ? xstrdup(w) : xasprintf("%s/tcp", w);
                size_t digits = strspn(p, "0123456789-");

                if (digits == 0 || p[digits] != '/')
                        return -EINVAL;
                json_object_object_add(ports, p, json_object_new_object());
        }
        return 0;
}

static int
set_volumes(json_object *cfg, const char *args)
{
        json_object *vols = object_member(cfg, "Volumes");
        cleanup_strv char **words = NULL;
        json_object *arr = command_form(args);
        bool exec = args[0] == '[' && json_object_array_length(arr) &&
                    strcmp(json_object_get_string(json_object_array_get_idx(arr, 0)), "/bin/sh");

        if (exec)
                words = jsonx_to_strv(arr);
        json_object_put(arr);
        if (!exec && split_words(args, &words) < 0)
                return -EINVAL;
        if (!words)
                return -EINVAL;
        strv_foreach(w, words)
                json_object_object_add(vols, w, json_object_new_object());
        return 0;
}

static int
set_workdir(json_object *cfg, const char *args)
{
        const char *old = jsonx_str(cfg, "WorkingDir");
        cleanup_free char *dir = path_join(old && *old ? old : "/", args);

        jsonx_add_str(cfg, "WorkingDir", dir);
        return 0;
}

static int
apply_one(json_object *cfg, const char *kw, const char *args)
{
        if (!strcmp(kw, "CMD") || !strcmp(kw, "ENTRYPOINT")) {
                json_object_object_add(cfg, !strcmp(kw, "CMD") ? "Cmd" : "Entrypoint",
                                       command_form(args));
                return 0;
        }
        if (!strcmp(kw, "ENV") || !strcmp(kw, "LABEL"))
                return key_values(cfg, kw, args, kw[0] == 'E');
        if (!strcmp(kw, "EXPOSE"))
                return set_ports(cfg, args);
        if (!strcmp(kw, "VOLUME"))
                return set_volumes(cfg, args);
        if (!strcmp(kw, "WORKDIR"))
                return set_workdir(cfg, args);
        if (!strcmp(kw, "USER") || !strcmp(kw, "STOPSIGNAL")) {
                jsonx_add_str(cfg, kw[0] == 'U' ? "User" : "StopSignal", args);
                return 0;
        }
        if (!strcmp(kw, "ONBUILD")) {
                json_object *ob = jsonx_get_type(cfg, "OnBuild", json_type_array);

                if (!ob) {
                        ob = json_object_new_array();
                        json_object_object_add(cfg, "OnBuild", ob);
                }
                json_object_array_add(ob, json_object_new_string(args));
                return 0;
        }
        return -ENOTSUP;
}

int
image_apply_changes(json_object *cfg, char *const *changes, struct err *err)
{
        strv_foreach(c, changes) {
                cleanup_free char *kw = NULL;
                const char *p = c, *args;
                size_t n;
                int r;

                while (isspace((unsigned char)*p))
                        p++;
                n = strcspn(p, " \t");
                if (strlen(c) > CHANGE_MAX || n == 0 || n > 16)
                        return err_setf(err, -EINVAL, "invalid change '%s'", c);
                kw = xstrndup(p, n);
                for (char *k = kw; *k; k++)
                        *k = (char)toupper((unsigned char)*k);
                for (args = p + n; isspace((unsigned char)*args); args++)
                        ;
                r = *args ? apply_one(cfg, kw, args) : -EINVAL;
                if (r == -ENOTSUP)
                        return err_setf(err, -EINVAL, "%s is not a valid change command", kw);
                if (r < 0)
                        return err_setf(err, -EINVAL, "invalid change '%s': %s arguments", c, kw);
        }
        return 0;
}

static int
parse_platform(const char *p, json_object *config, struct err *err)
{
        cleanup_strv char **parts = p ? strv_split(p, "/") : NULL;
        size_t n = strv_length(parts);

        if (!p) {
                jsonx_add_str(config, "architecture", image_platform_arch());
                jsonx_add_str(config, "os", "linux");
                return 0;
        }
        if (n < 2 || n > 3 || !*parts[0] || !*parts[1])
                return err_setf(err, -EINVAL, "invalid platform '%s': want os/arch[/variant]", p);
        jsonx_add_str(config, "architecture", parts[1]);
        jsonx_add_str(config, "os", parts[0]);
        if (n == 3)
                jsonx_add_str(config, "variant", parts[2]);
        return 0;
}

/* import_config: the config docker import writes, keys in Go map order. */
static int
import_config(const char *diff_id, const struct image_import_opts *o, char **ret, struct err *err)
{
        cleanup_free char *comment =
                o->message && *o->message
                        ? xstrdup(o->message)
                        : xasprintf("Imported from %s", o->source ? o->source : "-");
        json_object *cfg = json_object_new_object(), *inner = json_object_new_object();
        json_object *plat = json_object_new_object(), *hist = json_object_new_object();
        json_object *rootfs = json_object_new_object(), *h = json_object_new_array();
        struct timespec ts;
        char now[64];
        int r = parse_platform(o->platform, plat, err);

        if (r == 0)
                r = image_apply_changes(inner, o->changes, err);
        clock_gettime(CLOCK_REALTIME, &ts);
        report_time_rfc3339(&ts, now, sizeof(now));
        jsonx_add_str(cfg, "architecture", jsonx_str(plat, "architecture"));
        jsonx_add_str(cfg, "comment", comment);
        json_object_object_add(cfg, "config", inner);
        jsonx_add_str(cfg, "created", now);
        jsonx_add_str(hist, "created", now);
        jsonx_add_str(hist, "comment", comment);
        json_object_array_add(h, hist);
        json_object_object_add(cfg, "history", h);
        jsonx_add_str(cfg, "os", jsonx_str(plat, "os"));
        jsonx_add_str(rootfs, "type", "layers");
        json_object_object_add(rootfs, "diff_ids", jsonx_strv((char *[]){ (char *)diff_id, NULL }));
        json_object_object_add(cfg, "rootfs", rootfs);
        if (jsonx_str(plat, "variant"))
                jsonx_add_str(cfg, "variant", jsonx_str(plat, "variant"));
        *ret = r == 0 ? jsonx_string(cfg, NULL) : NULL;
        json_object_put(cfg);
        json_object_put(plat);
        return r;
}

static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
        int fd = *(int *)ctx;

        for (;;) {
                ssize_t r = read(fd, buf, n);

                if (r >= 0 || errno != EINTR)
                        return r < 0 ? -errno : r;
        }
}

static int
check_name(const char *name, char ***ret_names, struct err *err)
{
        struct ref r;
        int rc;

        *ret_names = NULL;
        if (!name)
                return 0;
        rc = ref_parse(name, &r, err);
        if (rc < 0)
                return rc;
        if (r.digest) {
                ref_release(&r);
                return err_setf(err, -EINVAL, "import: a name with a digest is not a tag");
        }
        strv_push(ret_names, ref_string(&r));
        ref_release(&r);
        return 0;
}

int
image_import(struct store *s, int fd, const char *name, const struct image_import_opts *o,
             char ret_id[DIGEST_STR_SIZE], struct err *err)
{
        cleanup_strv char **names = NULL;
        cleanup_free char *config = NULL;
        struct store_layer l;
        struct image_layer_ref ref;
        int r = check_name(name, &names, err);

        if (r == 0)
                r = archive_dl_load(err); /* before the store is touched: a clear error */
        if (r == 0)
                r = import_config(DIGEST_PREFIX "0", o, &config, err); /* check the changes */
        if (r < 0)
                return r;
        free(TAKE_PTR(config));
        r = store_pin(s, err);
        if (r < 0)
                return r;
        r = store_layer_ingest(s, NULL, fd_read, &fd, &l, err);
        if (r == 0)
                r = import_config(l.diff_id, o, &config, err);
        if (r == 0) {
                ref = (struct image_layer_ref){ l.diff_id, MEDIA_OCI_LAYER, (int64_t)l.tar_size };
                r = image_commit(s, config, strlen(config), &ref, 1, names, ret_id, err);
        }
        store_unpin(s);
        if (r < 0)
                err_prefix(err, "import");
        return r;
}
