/* Loading one compose file and what it pulls in: YAML documents, interpolation, schema
 * validation, `extends` (same file, other files, chains) and `include` (each included
 * project with its own directory and .env). Rules follow compose-go's loader/extends.go and
 * loader/include.go; cycles in either are errors, as in compose. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/dotenv.h"
#include "spec/interp.h"
#include "spec/loader.h"
#include "spec/merge.h"
#include "spec/transform.h"
#include "spec/yaml.h"

int
loader_intern_file(struct loader *ld, const char *path, const char **ret, struct err *err)
{
        size_t n = strv_length(ld->p->files);

        for (size_t i = 0; i < n; i++)
                if (strcmp(ld->p->files[i], path) == 0) {
                        *ret = ld->p->files[i];
                        return 0;
                }
        if (n >= SPEC_MAX_FILES)
                return err_setf(err, -E2BIG, "project reads more than %d files", SPEC_MAX_FILES);
        strv_add(&ld->p->files, path);
        *ret = ld->p->files[n];
        return 0;
}

static struct cached_file *
cache_find(struct loader *ld, const char *path)
{
        for (size_t i = 0; i < ld->n_cache; i++)
                if (strcmp(ld->cache[i].path, path) == 0)
                        return &ld->cache[i];
        return NULL;
}

/* read_docs: the YAML documents of path, parsed once per project (stdin can be read once). */
static int
read_docs(struct loader *ld, const char *path, struct node **ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        struct cached_file *c = cache_find(ld, path);
        const char *name;
        size_t len;
        int r;

        if (c) {
                *ret = c->doc;
                return 0;
        }
        r = loader_intern_file(ld, path, &name, err);
        if (r == 0)
                r = fs_read_capped(path, SPEC_MAX_FILE_BYTES, &buf, &len, err);
        if (r < 0)
                return r;
        GROW(ld->cache, ld->cap_cache, ld->n_cache + 1);
        c = &ld->cache[ld->n_cache];
        r = yaml_load(buf, len, name, NULL, &c->doc, err);
        if (r < 0)
                return r;
        c->path = xstrdup(path);
        ld->n_cache++;
        *ret = c->doc;
        return 0;
}

static struct interp_opts
interp_opts_of(const struct loader *ld)
{
        return (struct interp_opts){ .lookup = env_lookup, .ctx = ld->env, .log = ld->opts->log };
}

int
load_top_name(struct loader *ld, const char *path, char **ret, struct err *err)
{
        struct interp_opts io = interp_opts_of(ld);
        const char *name = NULL;
        struct node *docs;
        int r = read_docs(ld, path, &docs, err);

        if (r < 0)
                return r;
        node_foreach_item(doc, docs) {
                const char *t = node_map_str(doc, "name");

                if (doc->kind == NODE_MAP && t)
                        name = t;
        }
        *ret = NULL;
        if (!name)
                return 0;
        if (ld->opts->no_interpolate) {
                *ret = xstrdup(name);
                return 0;
        }
        return interp_string(name, &io, ret, err);
}

/* merge_docs: one mapping from every document of a file (later documents override). */
static int
merge_docs(const struct node *docs, const char *path, struct node **ret, struct err *err)
{
        cleanup_node struct node *out = NULL;
        int r;

        node_foreach_item(doc, docs) {
                if (doc->kind == NODE_NULL)
                        continue;
                if (doc->kind != NODE_MAP)
                        return node_errf(err, doc, -EINVAL, "top-level object must be a mapping");
                if (!out) {
                        out = node_clone(doc);
                        continue;
                }
                r = merge_tree(out, doc, "", err);
                if (r < 0)
                        return r;
        }
        if (!out)
                return err_setf(err, -EINVAL, "%s: empty compose file", path);
        *ret = TAKE_PTR(out);
        return 0;
}

/* process_file: a file's raw model: documents merged, version dropped, interpolated,
 * validated against the schema. */
static int
process_file(struct loader *ld, const char *path, struct node **ret, struct err *err)
{
        struct interp_opts io = interp_opts_of(ld);
        cleanup_node struct node *doc = NULL;
        struct node *docs;
        int r;

        r = read_docs(ld, path, &docs, err);
        if (r == 0)
                r = merge_docs(docs, path, &doc, err);
        if (r < 0)
                return r;
        if (node_map_get(doc, "version")) {
                log_warn(
                        ld->opts->log,
                        "%s: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
                        path);
                node_map_del(doc, "version");
        }
        if (!ld->opts->no_interpolate) {
                r = interp_tree(doc, &io, err);
                if (r < 0)
                        return r;
        }
        r = schema_validate(ld->schema, doc, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}

/* ---- extends ---- */

struct ext_ref {
        const char *service;
        const char *file; /* NULL: the same file */
        const struct node *at;
};

static int
parse_extends(const struct node *ext, struct ext_ref *ref, struct err *err)
{
        ref->at = ext;
        ref->file = NULL;
        if (ext->kind == NODE_STR) {
                ref->service = ext->str;
                return 0;
        }
        if (ext->kind != NODE_MAP || !node_map_str(ext, "service"))
                return node_errf(err, ext, -EINVAL, "extends: a service name is required");
        ref->service = node_map_str(ext, "service");
        ref->file = node_map_str(ext, "file");
        return 0;
}

static int resolve_service(struct loader *ld, struct node *doc, const char *file, const char *name,
                           char ***stack, struct err *err);

/* rebase: make a relative path value absolute against dir (used for services taken from
 * another file, whose relative paths mean something relative to that file). */
static void
rebase_str(struct node *n, const char *dir)
{
        cleanup_free char *abs = NULL;
        const char *t = node_text(n);

        if (!t || n->kind != NODE_STR || t[0] == '/' || t[0] == '~' || strstr(t, "://") ||
            strncmp(t, "git@", 4) == 0 || strncmp(t, "github.com/", 11) == 0)
                return;
        abs = path_join(dir, t);
        node_set_str(n, abs);
}

static void
rebase_list(struct node *n, const char *dir, const char *map_key)
{
        if (!n)
                return;
        if (n->kind != NODE_SEQ) {
                rebase_str(map_key && n->kind == NODE_MAP ? node_map_get(n, map_key) : n, dir);
                return;
        }
        node_foreach_item(it, n)
                rebase_str(it->kind == NODE_MAP && map_key ? node_map_get(it, map_key) : it, dir);
}

static void
rebase_volume(struct node *v, const char *dir)
{
        cleanup_free char *src = NULL;
        cleanup_free char *joined = NULL;
        cleanup_free char *spec = NULL;
        const char *colon;

        if (v->kind == NODE_MAP) {
                const char *type = node_map_str(v, "type");

                if (type && strcmp(type, "bind") == 0)
                        rebase_str(node_map_get(v, "source"), dir);
                return;
        }
        /* short syntax: only a source starting with '.' is a relative host path */
        if (v->kind != NODE_STR || v->str[0] != '.' || !(colon = strchr(v->str, ':')))
                return;
        src = xstrndup(v->str, (size_t)(colon - v->str));
        joined = path_join(dir, src);
        spec = xasprintf("%s%s", joined, colon);
        node_set_str(v, spec);
}

static void
rebase_service(struct node *svc, const char *dir)
{
        struct node *build = node_map_get(svc, "build");
        struct node *vols = node_map_get(svc, "volumes");

        if (build && build->kind == NODE_STR)
                rebase_str(build, dir);
        else if (build && build->kind == NODE_MAP && node_map_get(build, "context"))
                rebase_str(node_map_get(build, "context"), dir);
        else if (build && build->kind == NODE_MAP)
                node_map_set(build, "context", node_new_str(dir, &build->pos));
        rebase_list(node_map_get(svc, "env_file"), dir, "path");
        rebase_list(node_map_get(svc, "label_file"), dir, NULL);
        if (vols && vols->kind == NODE_SEQ)
                node_foreach_item(v, vols)
                        rebase_volume(v, dir);
}

/* processed_file: a file loaded for extends, processed once and kept beside its raw form. */
static int
processed_file(struct loader *ld, const char *path, struct cached_file **ret, struct err *err)
{
        cleanup_free char *key = xasprintf("processed:%s", path);
        struct cached_file *c = cache_find(ld, key);
        struct node *doc = NULL;
        int r;

        if (!c) {
                r = process_file(ld, path, &doc, err);
                if (r < 0)
                        return r;
                GROW(ld->cache, ld->cap_cache, ld->n_cache + 1);
                c = &ld->cache[ld->n_cache++];
                c->path = TAKE_PTR(key);
                c->doc = doc;
        }
        *ret = c;
        return 0;
}

static int
other_file_service(struct loader *ld, const char *file, const struct ext_ref *ref, char ***stack,
                   struct node **ret, struct err *err)
{
        cleanup_free char *dir = path_dirname(file);
        cleanup_free char *path = path_join(dir, ref->file);
        cleanup_free char *pdir = path_dirname(path);
        struct cached_file *c;
        struct node *svcs, *base;
        int r;

        if (!fs_exists(path))
                return node_errf(err, ref->at, -ENOENT,
                                 "cannot extend service \"%s\": file %s not found", ref->service,
                                 path);
        r = processed_file(ld, path, &c, err);
        if (r < 0)
                return r;
        svcs = node_map_get(c->doc, "services");
        base = svcs ? node_map_get(svcs, ref->service) : NULL;
        if (!base)
                return node_errf(err, ref->at, -ENOENT,
                                 "cannot extend service \"%s\" in %s: service \"%s\" not found",
                                 ref->service, path, ref->service);
        r = resolve_service(ld, c->doc, path, ref->service, stack, err);
        if (r < 0)
                return r;
        *ret = node_clone(node_map_get(svcs, ref->service));
        rebase_service(*ret, pdir);
        return 0;
}

static int
base_service(struct loader *ld, struct node *doc, const char *file, const struct ext_ref *ref,
             const char *name, char ***stack, struct node **ret, struct err *err)
{
        struct node *svcs = node_map_get(doc, "services");
        int r;

        if (ref->file)
                return other_file_service(ld, file, ref, stack, ret, err);
        if (!node_map_get(svcs, ref->service))
                return node_errf(err, ref->at, -ENOENT,
                                 "cannot extend service \"%s\" in %s: service \"%s\" not found",
                                 name, file, ref->service);
        r = resolve_service(ld, doc, file, ref->service, stack, err);
        if (r < 0)
                return r;
        *ret = node_clone(node_map_get(svcs, ref->service));
        return 0;
}

static int
check_cycle(char **stack, const char *key, const struct node *at, struct err *err)
{
        cleanup_free char *chain = NULL;

        if (!strv_contains(stack, key))
                return 0;
        chain = strv_join(stack, " -> ");
        return node_errf(err, at, -ELOOP, "circular reference with extends: %s -> %s", chain, key);
}

/* resolve_service: replace services[name] of doc by itself merged over what it extends. */
static int
resolve_service(struct loader *ld, struct node *doc, const char *file, const char *name,
                char ***stack, struct err *err)
{
        struct node *svcs = node_map_get(doc, "services");
        struct node *svc = node_map_get(svcs, name);
        struct node *ext = svc && svc->kind == NODE_MAP ? node_map_get(svc, "extends") : NULL;
        cleanup_free char *key = xasprintf("%s#%s", file, name);
        cleanup_node struct node *base = NULL;
        cleanup_free char *path = xasprintf("services.%s", name);
        struct ext_ref ref = { 0 };
        int r;

        if (!ext)
                return 0;
        if (strv_length(*stack) >= SPEC_MAX_EXTENDS_DEPTH)
                return node_errf(err, ext, -E2BIG, "extends chain deeper than %d",
                                 SPEC_MAX_EXTENDS_DEPTH);
        r = parse_extends(ext, &ref, err);
        if (r == 0)
                r = check_cycle(*stack, key, ext, err);
        if (r < 0)
                return r;
        strv_add(stack, key);
        r = base_service(ld, doc, file, &ref, name, stack, &base, err);
        free((*stack)[strv_length(*stack) - 1]);
        (*stack)[strv_length(*stack) - 1] = NULL;
        if (r < 0)
                return r;
        node_map_del(svc, "extends");
        node_map_del(base, "extends");
        r = merge_tree(base, svc, path, err);
        if (r < 0)
                return r;
        node_replace(svc, TAKE_PTR(base));
        return 0;
}

static int
resolve_all_extends(struct loader *ld, struct node *doc, const char *file, struct err *err)
{
        struct node *svcs = node_map_get(doc, "services");
        cleanup_strv char **stack = NULL;
        int r;

        if (!svcs || svcs->kind != NODE_MAP)
                return 0;
        for (size_t i = 0; i < svcs->n; i++) {
                r = resolve_service(ld, doc, file, svcs->entries[i].key, &stack, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- include ---- */

static const char *const imported_kinds[] = { "services", "networks", "volumes", "secrets",
                                              "configs" };

/* import_resources: add what an included project defines; a different definition of the
 * same name is a conflict, as in compose. */
static int
import_resources(struct node *doc, struct node *inc, const char *path, struct err *err)
{
        for (size_t k = 0; k < ARRAY_SIZE(imported_kinds); k++) {
                struct node *from = node_map_get(inc, imported_kinds[k]);
                struct node *to = node_map_get(doc, imported_kinds[k]);

                if (!from || from->kind != NODE_MAP)
                        continue;
                if (!to || to->kind != NODE_MAP) {
                        node_map_set(doc, imported_kinds[k], node_new(NODE_MAP, &from->pos));
                        to = node_map_get(doc, imported_kinds[k]);
                }
                node_foreach_entry(e, from) {
                        struct node *mine = node_map_get(to, e->key);

                        if (mine && !node_equal(mine, e->val))
                                return node_errf(
                                        err, mine, -EEXIST,
                                        "imported compose file %s defines conflicting %.*s %s",
                                        path, (int)strlen(imported_kinds[k]) - 1, imported_kinds[k],
                                        e->key);
                        if (!mine)
                                node_map_set_at(to, e->key, &e->pos, node_clone(e->val));
                }
        }
        return 0;
}

struct include_ref {
        char **paths;
        char **env_files;
        char *project_dir;
};

static void
include_ref_release(struct include_ref *r)
{
        strv_free(r->paths);
        strv_free(r->env_files);
        free(r->project_dir);
}

static void
add_paths(char ***out, const struct node *n, const char *dir)
{
        if (!n)
                return;
        if (n->kind == NODE_SEQ) {
                node_foreach_item(it, n)
                        add_paths(out, it, dir);
                return;
        }
        if (node_text(n))
                strv_push(out, path_abs(dir, node_text(n)));
}

static int
parse_include(const struct node *it, const char *dir, struct include_ref *ref, struct err *err)
{
        const char *pd;

        if (it->kind == NODE_MAP) {
                add_paths(&ref->paths, node_map_get(it, "path"), dir);
                add_paths(&ref->env_files, node_map_get(it, "env_file"), dir);
                pd = node_map_str(it, "project_directory");
                if (pd)
                        ref->project_dir = path_abs(dir, pd);
        } else {
                add_paths(&ref->paths, it, dir);
        }
        if (!ref->paths)
                return node_errf(err, it, -EINVAL, "include: a path is required");
        if (!ref->project_dir)
                ref->project_dir = path_dirname(ref->paths[0]);
        return 0;
}

/* include_env: the parent's variables win over the included project's env files. */
static int
include_env(const struct loader *ld, const struct include_ref *ref, struct env *out,
            struct err *err)
{
        cleanup_strv char **files = strv_copy(ref->env_files);
        cleanup_env struct env from_files = ENV_INIT;
        int r;

        if (!files) {
                cleanup_free char *dot = path_join(ref->project_dir, ".env");

                if (fs_exists(dot) && !fs_is_dir(dot))
                        strv_add(&files, dot);
        }
        strv_foreach(f, files) {
                r = dotenv_read(f, false, env_lookup, ld->env, &from_files, err);
                if (r < 0)
                        return r;
        }
        env_copy(out, &from_files);
        env_merge(out, ld->env);
        return 0;
}

static int include_model(struct loader *sub, const struct include_ref *ref, struct node **ret,
                         struct err *err);

static int
load_include(struct loader *ld, struct node *doc, const struct node *it, struct err *err)
{
        struct include_ref ref = { 0 };
        cleanup_env struct env env = ENV_INIT;
        cleanup_node struct node *model = NULL;
        struct loader sub;
        int r;

        r = parse_include(it, ld->workdir, &ref, err);
        if (r == 0 && strv_length(ld->include_stack) >= SPEC_MAX_INCLUDE_DEPTH)
                r = node_errf(err, it, -E2BIG, "includes nested deeper than %d",
                              SPEC_MAX_INCLUDE_DEPTH);
        for (size_t i = 0; r == 0 && ref.paths[i]; i++)
                if (strv_contains(ld->include_stack, ref.paths[i]))
                        r = node_errf(err, it, -ELOOP, "include cycle detected: %s", ref.paths[i]);
        if (r == 0)
                r = include_env(ld, &ref, &env, err);
        if (r == 0) {
                sub = (struct loader){ .opts = ld->opts,
                                       .p = ld->p,
                                       .schema = ld->schema,
                                       .env = &env,
                                       .workdir = ref.project_dir,
                                       .include_stack = strv_copy(ld->include_stack) };
                r = include_model(&sub, &ref, &model, err);
                sub.schema = NULL;
                for (size_t i = 0; i < sub.n_cache; i++) {
                        free(sub.cache[i].path);
                        node_free(sub.cache[i].doc);
                }
                free(sub.cache);
                strv_free(sub.include_stack);
        }
        if (r == 0)
                r = import_resources(doc, model, ref.paths[0], err);
        include_ref_release(&ref);
        return r;
}

/* include_model: an included project, loaded like the main one and made canonical with its
 * paths resolved against its own directory. */
static int
include_model(struct loader *sub, const struct include_ref *ref, struct node **ret, struct err *err)
{
        cleanup_node struct node *model = node_new(NODE_MAP, NULL);
        int r = 0;

        strv_foreach(p, ref->paths)
                strv_add(&sub->include_stack, p);
        for (size_t i = 0; r == 0 && ref->paths[i]; i++) {
                cleanup_node struct node *doc = NULL;

                r = load_file(sub, ref->paths[i], &doc, err);
                if (r == 0)
                        r = merge_tree(model, doc, "", err);
        }
        if (r == 0)
                r = merge_enforce_unicity(model, err);
        if (r < 0)
                return r;
        merge_strip_tags(model);
        r = transform_canonical_opts(model, sub->opts->no_interpolate ? TRANSFORM_LENIENT : 0, err);
        if (r == 0)
                r = transform_defaults(model, err);
        if (r == 0)
                r = normalize_paths(model, sub->workdir, sub->env, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(model);
        return 0;
}

static int
resolve_includes(struct loader *ld, struct node *doc, struct err *err)
{
        cleanup_node struct node *inc = node_map_take(doc, "include");
        int r;

        if (!inc)
                return 0;
        if (inc->kind != NODE_SEQ)
                return node_errf(err, inc, -EINVAL, "include must be a list");
        node_foreach_item(it, inc) {
                r = load_include(ld, doc, it, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int
load_file(struct loader *ld, const char *path, struct node **ret, struct err *err)
{
        cleanup_node struct node *doc = NULL;
        const char *name;
        int r;

        r = process_file(ld, path, &doc, err);
        if (r == 0)
                r = loader_intern_file(ld, path, &name, err);
        if (r == 0)
                r = resolve_all_extends(ld, doc, name, err);
        if (r == 0)
                r = resolve_includes(ld, doc, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}
