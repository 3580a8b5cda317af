/* Normalization of the canonical model, as compose-go's loader/normalize.go and paths/
 * package do it: the default network, resource names, implicit dependencies, absolute
 * paths, and the environment from env_file and the shell. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/dotenv.h"
#include "spec/loader.h"

static const char *const resource_kinds[] = { "networks", "volumes", "secrets", "configs" };

static struct node *
map_ensure(struct node *parent, const char *key)
{
        struct node *n = node_map_get(parent, key);

        if (n && n->kind == NODE_MAP)
                return n;
        node_map_set(parent, key, node_new(NODE_MAP, parent ? &parent->pos : NULL));
        return node_map_get(parent, key);
}

/* default_network: a service that names no network and no network_mode is on "default". */
static void
default_network(struct node *model)
{
        struct node *svcs = node_map_get(model, "services");
        bool used = false;

        if (!svcs || svcs->kind != NODE_MAP)
                return;
        node_foreach_entry(e, svcs) {
                struct node *nets = node_map_get(e->val, "networks");

                if (!node_map_get(e->val, "network_mode") && (!nets || nets->n == 0)) {
                        nets = map_ensure(e->val, "networks");
                        node_map_set(nets, "default", node_new(NODE_NULL, NULL));
                }
                if (node_map_entry(node_map_get(e->val, "networks"), "default"))
                        used = true;
        }
        if (used && !node_map_get(node_map_get(model, "networks"), "default"))
                node_map_set(map_ensure(model, "networks"), "default", node_new(NODE_MAP, NULL));
}

/* resource_names: `name:` defaults to <project>_<key>, or the key for external resources. */
static void
resource_names(struct node *model, const char *project)
{
        for (size_t k = 0; k < ARRAY_SIZE(resource_kinds); k++) {
                struct node *res = node_map_get(model, resource_kinds[k]);

                if (!res || res->kind != NODE_MAP)
                        continue;
                node_foreach_entry(e, res) {
                        bool external = false;
                        cleanup_free char *name = NULL;
                        struct node *v = e->val;

                        if (v->kind == NODE_NULL)
                                node_replace(v, node_new(NODE_MAP, &v->pos));
                        if (node_map_get(v, "name"))
                                continue;
                        node_get_bool(node_map_get(v, "external"), &external, NULL);
                        name = external ? xstrdup(e->key) : xasprintf("%s_%s", project, e->key);
                        node_map_set(v, "name", node_new_str(name, NULL));
                }
        }
}

static void
add_dependency(struct node *svc, const char *name, bool restart)
{
        struct node *deps = map_ensure(svc, "depends_on");
        struct node *d;

        if (node_map_get(deps, name))
                return;
        d = node_new(NODE_MAP, NULL);
        node_map_set(d, "condition", node_new_str("service_started", NULL));
        if (restart)
                node_map_set(d, "restart", node_new_bool(true, NULL));
        node_map_set(d, "required", node_new_bool(true, NULL));
        node_map_set(deps, name, d);
}

/* implicit_deps: links, volumes_from and namespaces shared with service:x are dependencies
 * too (links and namespaces restart with their dependency, as compose-go sets them). */
static void
implicit_deps(struct node *model)
{
        struct node *svcs = node_map_get(model, "services");

        if (!svcs || svcs->kind != NODE_MAP)
                return;
        node_foreach_entry(e, svcs) {
                struct node *links = node_map_get(e->val, "links");
                struct node *vf = node_map_get(e->val, "volumes_from");
                static const char *const ns_keys[] = { "network_mode", "ipc", "pid", "uts",
                                                       "cgroup" };

                if (links && links->kind == NODE_SEQ)
                        node_foreach_item(l, links)
                                if (node_text(l)) {
                                        cleanup_free char *s =
                                                xstrndup(l->str, strcspn(l->str, ":"));

                                        add_dependency(e->val, s, true);
                                }
                if (vf && vf->kind == NODE_SEQ)
                        node_foreach_item(v, vf)
                                if (node_text(v) && strncmp(v->str, "container:", 10) != 0) {
                                        cleanup_free char *s =
                                                xstrndup(v->str, strcspn(v->str, ":"));

                                        add_dependency(e->val, s, false);
                                }
                for (size_t k = 0; k < ARRAY_SIZE(ns_keys); k++) {
                        const char *ns = node_map_str(e->val, ns_keys[k]);

                        if (ns && strncmp(ns, "service:", 8) == 0)
                                add_dependency(e->val, ns + 8, true);
                }
        }
}

/* ---- paths ---- */

static bool
is_remote_context(const char *s)
{
        static const char *const prefixes[] = { "https://", "http://",     "git://",
                                                "ssh://",   "github.com/", "git@" };

        if (strstr(s, "://"))
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
                if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

/* is_windows_abs: C:\x or C:/x, kept verbatim as compose does on Linux. */
static bool
is_windows_abs(const char *s)
{
        return ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == ':' &&
               (s[2] == '\\' || s[2] == '/');
}

static char *
expand_home(const char *s, const struct env *env)
{
        const char *home = env ? env_get(env, "HOME") : NULL;

        if (s[0] != '~' || (s[1] != '/' && s[1] != '\0'))
                return NULL;
        if (!home)
                home = getenv("HOME");
        return xasprintf("%s%s", home ? home : "", s + 1);
}

/* abs_path: resolve a path scalar in place: ~ -> $HOME, relative -> dir/relative. */
static void
abs_path(struct node *n, const char *dir, const struct env *env)
{
        cleanup_free char *home = NULL;
        cleanup_free char *abs = NULL;
        const char *t = node_text(n);

        if (!t || n->kind != NODE_STR || is_windows_abs(t))
                return;
        home = expand_home(t, env);
        if (home)
                t = home;
        if (t[0] == '/' && !home)
                return;
        abs = path_join(dir, t);
        node_set_str(n, abs);
}

static void
context_path(struct node *n, const char *dir)
{
        const char *t = node_text(n);

        if (t && !is_remote_context(t) && strncmp(t, "service:", 8) != 0)
                abs_path(n, dir, NULL);
}

static void
build_paths(struct node *build, const char *dir)
{
        struct node *extra = node_map_get(build, "additional_contexts");

        if (!build || build->kind != NODE_MAP)
                return;
        if (!node_map_get(build, "context"))
                node_map_set(build, "context", node_new_str(".", &build->pos));
        context_path(node_map_get(build, "context"), dir);
        if (extra && extra->kind == NODE_MAP)
                node_foreach_entry(e, extra)
                        context_path(e->val, dir);
}

static void
service_paths(struct node *svc, const char *dir, const struct env *env)
{
        struct node *vols = node_map_get(svc, "volumes");
        struct node *envf = node_map_get(svc, "env_file");
        struct node *labf = node_map_get(svc, "label_file");
        struct node *watch = node_map_get(node_map_get(svc, "develop"), "watch");

        build_paths(node_map_get(svc, "build"), dir);
        if (vols && vols->kind == NODE_SEQ)
                node_foreach_item(v, vols) {
                        const char *type = node_map_str(v, "type");

                        if (type && strcmp(type, "bind") == 0)
                                abs_path(node_map_get(v, "source"), dir, env);
                }
        if (envf && envf->kind == NODE_SEQ)
                node_foreach_item(f, envf)
                        abs_path(node_map_get(f, "path"), dir, env);
        if (labf && labf->kind == NODE_SEQ)
                node_foreach_item(f, labf)
                        abs_path(f, dir, env);
        if (watch && watch->kind == NODE_SEQ)
                node_foreach_item(w, watch)
                        abs_path(node_map_get(w, "path"), dir, env);
}

int
normalize_paths(struct node *model, const char *dir, const struct env *env, struct err *err)
{
        struct node *svcs = node_map_get(model, "services");
        static const char *const file_kinds[] = { "secrets", "configs" };

        (void)err;
        if (svcs && svcs->kind == NODE_MAP)
                node_foreach_entry(e, svcs)
                        service_paths(e->val, dir, env);
        for (size_t k = 0; k < ARRAY_SIZE(file_kinds); k++) {
                struct node *res = node_map_get(model, file_kinds[k]);

                if (res && res->kind == NODE_MAP)
                        node_foreach_entry(e, res)
                                abs_path(node_map_get(e->val, "file"), dir, env);
        }
        return 0;
}

/* ---- environment ---- */

static int
read_env_files(struct loader *ld, const struct node *list, struct env *out, struct err *err)
{
        int r;

        if (!list || list->kind != NODE_SEQ)
                return 0;
        node_foreach_item(f, list) {
                const char *path = node_map_str(f, "path");
                const char *format = node_map_str(f, "format");
                cleanup_free char *abs = NULL;
                bool required = true;

                if (!path)
                        continue;
                abs = path_abs(ld->workdir, path);
                node_get_bool(node_map_get(f, "required"), &required, NULL);
                if (!fs_exists(abs)) {
                        if (!required)
                                continue;
                        return node_errf(
                                err, f, -ENOENT,
                                "env file %s not found: stat %s: no such file or directory", abs,
                                abs);
                }
                r = dotenv_read(abs, format && strcmp(format, "raw") == 0, env_lookup, ld->env, out,
                                err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* apply_env: file values first, then the service's own entries win; a null entry takes the
 * value from the project environment when it has one. */
static void
apply_env(struct node *svc, const char *key, const struct env *from_files,
          const struct env *project)
{
        struct node *map = node_map_get(svc, key);
        cleanup_node struct node *merged = node_new(NODE_MAP, map ? &map->pos : NULL);

        for (size_t i = 0; i < from_files->n; i++)
                node_map_set(merged, from_files->names[i],
                             node_new_str(from_files->values[i], NULL));
        if (map && map->kind == NODE_MAP)
                node_foreach_entry(e, map) {
                        const char *v = project ? env_get(project, e->key) : NULL;

                        if (e->val->kind == NODE_NULL && v)
                                node_map_set(merged, e->key, node_new_str(v, &e->val->pos));
                        else
                                node_map_set(merged, e->key, node_clone(e->val));
                }
        if (merged->n == 0)
                return;
        node_map_sort(merged);
        node_map_set(svc, key, TAKE_PTR(merged));
}

static int
label_files(struct loader *ld, const struct node *list, struct env *out, struct err *err)
{
        int r;

        if (!list || list->kind != NODE_SEQ)
                return 0;
        node_foreach_item(f, list) {
                cleanup_free char *abs = NULL;

                if (!node_text(f))
                        continue;
                abs = path_abs(ld->workdir, f->str);
                r = dotenv_read(abs, false, env_lookup, ld->env, out, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
resolve_environment(struct loader *ld, struct node *model, struct err *err)
{
        struct node *svcs = node_map_get(model, "services");
        int r;

        if (!svcs || svcs->kind != NODE_MAP)
                return 0;
        node_foreach_entry(e, svcs) {
                cleanup_env struct env files = ENV_INIT;
                cleanup_env struct env labels = ENV_INIT;

                r = read_env_files(ld, node_map_get(e->val, "env_file"), &files, err);
                if (r == 0)
                        r = label_files(ld, node_map_get(e->val, "label_file"), &labels, err);
                if (r < 0)
                        return r;
                apply_env(e->val, "environment", &files, ld->env);
                apply_env(e->val, "labels", &labels, NULL);
                if (node_map_get(e->val, "build"))
                        apply_env(node_map_get(e->val, "build"), "args", &(struct env){ 0 },
                                  ld->env);
        }
        return 0;
}

/* ---- unused resources ---- */

static bool
service_uses(const struct node *svc, const char *kind, const char *key)
{
        const struct node *refs = node_map_get(svc, kind);

        if (!refs)
                return false;
        if (strcmp(kind, "networks") == 0)
                return node_map_entry(refs, key) != NULL;
        if (refs->kind != NODE_SEQ)
                return false;
        node_foreach_item(it, refs) {
                const char *src = node_map_str(it, "source");
                const char *type = node_map_str(it, "type");

                if (src && strcmp(src, key) == 0 &&
                    (strcmp(kind, "volumes") != 0 || (type && strcmp(type, "volume") == 0)))
                        return true;
        }
        return false;
}

static bool
resource_used(const struct node *svcs, const char *kind, const char *key)
{
        if (!svcs || svcs->kind != NODE_MAP)
                return false;
        node_foreach_entry(e, svcs) {
                if (service_uses(e->val, kind, key))
                        return true;
                if (strcmp(kind, "secrets") == 0 &&
                    service_uses(node_map_get(e->val, "build"), kind, key))
                        return true;
        }
        return false;
}

/* prune_unused: docker compose drops declared resources no service uses. */
static void
prune_unused(struct node *model)
{
        const struct node *svcs = node_map_get(model, "services");

        for (size_t k = 0; k < ARRAY_SIZE(resource_kinds); k++) {
                struct node *res = node_map_get(model, resource_kinds[k]);

                if (!res || res->kind != NODE_MAP)
                        continue;
                for (size_t i = res->n; i-- > 0;)
                        if (!resource_used(svcs, resource_kinds[k], res->entries[i].key))
                                node_map_del(res, res->entries[i].key);
                if (res->n == 0)
                        node_map_del(model, resource_kinds[k]);
        }
}

int
normalize_project(struct loader *ld, struct node *model, struct err *err)
{
        const struct spec_load_opts *o = ld->opts;
        int r;

        if (!o->no_normalize) {
                default_network(model);
                implicit_deps(model);
        }
        if (!o->all_resources)
                prune_unused(model);
        if (!o->no_normalize)
                resource_names(model, ld->p->name);
        if (!o->no_path_resolution) {
                r = normalize_paths(model, ld->workdir, ld->env, err);
                if (r < 0)
                        return r;
        }
        if (!o->no_env_resolution && !o->no_interpolate)
                return resolve_environment(ld, model, err);
        return 0;
}
