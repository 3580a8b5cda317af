/* Project loading, the outer part: environment, file discovery, project name, and the order
 * of the pipeline (see project.h). Rules follow compose-go's cli/options.go and loader. */
#include "spec/project.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/dotenv.h"
#include "spec/loader.h"
#include "spec/merge.h"
#include "spec/transform.h"

static const char *const default_files[] = { "compose.yaml", "compose.yml", "docker-compose.yml",
                                             "docker-compose.yaml" };
static const char *const override_files[] = { "compose.override.yml", "compose.override.yaml",
                                              "docker-compose.override.yml",
                                              "docker-compose.override.yaml" };

bool
spec_project_name_valid(const char *s)
{
        if (!s || !*s || !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
                return false;
        for (; *s; s++)
                if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_' &&
                    *s != '-')
                        return false;
        return true;
}

char *
spec_project_name_normalize(const char *s)
{
        char *out = xmalloc(strlen(s) + 1);
        size_t n = 0;

        for (; *s; s++) {
                char c = (char)tolower((unsigned char)*s);

                if (islower((unsigned char)c) || isdigit((unsigned char)c) ||
                    ((c == '_' || c == '-') && n > 0))
                        out[n++] = c;
        }
        out[n] = '\0';
        return out;
}

struct spec_project *
spec_project_free(struct spec_project *p)
{
        if (!p)
                return NULL;
        node_free(p->model);
        node_free(p->disabled);
        free(p->name);
        free(p->workdir);
        strv_free(p->config_files);
        strv_free(p->profiles);
        env_release(&p->env);
        strv_free(p->files); /* last: the trees above borrow these names */
        free(p);
        return NULL;
}

static void
spec_project_free_p(struct spec_project **p)
{
        spec_project_free(*p);
}

char **
spec_project_services(const struct spec_project *p)
{
        const struct node *svcs = node_map_get(p->model, "services");
        char **v = NULL;

        if (svcs && svcs->kind == NODE_MAP)
                node_foreach_entry(e, svcs)
                        strv_add(&v, e->key);
        strv_sort(v);
        return v;
}

/* two_env: lookup through the shell first, then what earlier env files set. */
struct two_env {
        const struct env *first;
        const struct env *second;
};

static const char *
two_env_lookup(void *ctx, const char *name)
{
        const struct two_env *t = ctx;
        const char *v = env_get(t->first, name);

        return v ? v : env_get(t->second, name);
}

/* load_environment: the shell, then --env-file (or dir/.env) for what the shell does not set. */
static int
load_environment(struct loader *ld, const char *cwd, const char *dotenv_dir, struct err *err)
{
        const struct spec_load_opts *o = ld->opts;
        cleanup_env struct env shell = ENV_INIT;
        cleanup_env struct env files = ENV_INIT;
        cleanup_strv char **paths = NULL;
        struct two_env both = { &shell, &files };
        int r;

        env_from_environ(&shell, o->environ_);
        if (o->env_files) {
                strv_foreach(f, o->env_files)
                        strv_push(&paths, path_abs(cwd, f));
        } else {
                cleanup_free char *dot = path_join(dotenv_dir, ".env");

                if (fs_exists(dot) && !fs_is_dir(dot))
                        strv_add(&paths, dot);
        }
        strv_foreach(f, paths) {
                if (!fs_exists(f))
                        return err_setf(err, -ENOENT, "couldn't find env file: %s", f);
                r = dotenv_read(f, false, two_env_lookup, &both, &files, err);
                if (r < 0)
                        return r;
        }
        env_copy(&ld->p->env, &files);
        env_merge(&ld->p->env, &shell);
        return 0;
}

/* find_first: the first of names that exists in dir, warning when several do. */
static char *
find_first(const struct loader *ld, const char *dir, const char *const *names, size_t n)
{
        char *winner = NULL;

        for (size_t i = 0; i < n; i++) {
                cleanup_free char *p = path_join(dir, names[i]);

                if (!fs_exists(p) || fs_is_dir(p))
                        continue;
                if (!winner) {
                        winner = TAKE_PTR(p);
                        continue;
                }
                log_warn(ld->opts->log,
                         "found multiple config files with supported names: %s, %s; using %s",
                         winner, p, winner);
        }
        return winner;
}

/* discover: walk up from dir to the first directory holding a compose file. */
static int
discover(struct loader *ld, const char *dir, char ***files, struct err *err)
{
        cleanup_free char *d = xstrdup(dir);

        for (;;) {
                char *main_file = find_first(ld, d, default_files, ARRAY_SIZE(default_files));
                char *parent;

                if (main_file) {
                        char *over = find_first(ld, d, override_files, ARRAY_SIZE(override_files));

                        strv_push(files, main_file);
                        if (over)
                                strv_push(files, over);
                        return 0;
                }
                parent = path_dirname(d);
                if (strcmp(parent, d) == 0) {
                        free(parent);
                        return err_setf(err, -ENOENT, "no configuration file provided: not found");
                }
                free(d);
                d = parent;
        }
}

static int
config_files(struct loader *ld, const char *cwd, struct err *err)
{
        const struct spec_load_opts *o = ld->opts;
        const char *env_files = env_get(&ld->p->env, "COMPOSE_FILE");
        cleanup_strv char **list = NULL;
        char ***out = &ld->p->config_files;

        if (o->files && o->files[0]) {
                list = strv_copy(o->files);
        } else if (env_files && *env_files) {
                const char *sep = env_get(&ld->p->env, "COMPOSE_PATH_SEPARATOR");

                list = strv_split(env_files, sep && *sep ? sep : ":");
        } else {
                return discover(ld, o->project_dir ? o->project_dir : cwd, out, err);
        }
        strv_foreach(f, list) {
                if (strcmp(f, "-") == 0)
                        strv_add(out, "-");
                else
                        strv_push(out, path_abs(cwd, f));
        }
        return 0;
}

static int
check_explicit_name(const char *name, struct err *err)
{
        if (spec_project_name_valid(name))
                return 0;
        return err_setf(
                err, -EINVAL,
                "invalid project name \"%s\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number",
                name);
}

/* project_name: -p, then COMPOSE_PROJECT_NAME, then the last `name:`, then the directory. */
static int
project_name(struct loader *ld, char **ret, struct err *err)
{
        const char *env_name = env_get(&ld->p->env, "COMPOSE_PROJECT_NAME");
        cleanup_free char *from_file = NULL;
        cleanup_free char *base = NULL;
        int r;

        if (ld->opts->project_name || (env_name && *env_name)) {
                const char *explicit = ld->opts->project_name ? ld->opts->project_name : env_name;

                r = check_explicit_name(explicit, err);
                if (r < 0)
                        return r;
                *ret = xstrdup(explicit);
                return 0;
        }
        strv_foreach(f, ld->p->config_files) {
                char *n = NULL;

                r = load_top_name(ld, f, &n, err);
                if (r < 0)
                        return r;
                if (n) {
                        free(from_file);
                        from_file = n;
                }
        }
        if (from_file && *from_file) {
                *ret = spec_project_name_normalize(from_file);
        } else {
                base = path_basename(ld->p->workdir);
                *ret = spec_project_name_normalize(base);
        }
        if (!**ret)
                return err_setf(err, -EINVAL, "project name must not be empty");
        return 0;
}

static int
resolve_workdir(struct loader *ld, const char *cwd)
{
        const struct spec_load_opts *o = ld->opts;
        char **files = ld->p->config_files;

        if (o->project_dir)
                ld->p->workdir = path_abs(cwd, o->project_dir);
        else if (files && files[0] && strcmp(files[0], "-") != 0)
                ld->p->workdir = path_dirname(files[0]);
        else
                ld->p->workdir = xstrdup(cwd);
        ld->workdir = ld->p->workdir;
        return 0;
}

/* dotenv_dir: where .env is looked up, decided before COMPOSE_FILE is known (as compose). */
static char *
dotenv_dir(const struct spec_load_opts *o, const char *cwd)
{
        if (o->project_dir)
                return path_abs(cwd, o->project_dir);
        if (o->files && o->files[0] && strcmp(o->files[0], "-") != 0) {
                cleanup_free char *abs = path_abs(cwd, o->files[0]);

                return path_dirname(abs);
        }
        return xstrdup(cwd);
}

static int
active_profiles(struct loader *ld)
{
        const char *env_prof = env_get(&ld->p->env, "COMPOSE_PROFILES");

        if (ld->opts->profiles && ld->opts->profiles[0]) {
                ld->p->profiles = strv_copy(ld->opts->profiles);
        } else if (env_prof && *env_prof) {
                cleanup_strv char **v = strv_split(env_prof, ",");

                strv_foreach(s, v)
                        if (*s)
                                strv_add(&ld->p->profiles, s);
        }
        return 0;
}

static int
merge_files(struct loader *ld, struct node **ret, struct err *err)
{
        cleanup_node struct node *model = NULL;
        int r;

        /* a file that includes one of the project's own files is a cycle */
        strv_foreach(f, ld->p->config_files)
                strv_add(&ld->include_stack, f);
        strv_foreach(f, ld->p->config_files) {
                cleanup_node struct node *doc = NULL;

                r = load_file(ld, f, &doc, err);
                if (r < 0)
                        return r;
                /* the first file is the base as it is (its leftover tags go below) */
                if (!model) {
                        model = TAKE_PTR(doc);
                        continue;
                }
                r = merge_tree(model, doc, "", err);
                if (r < 0)
                        return r;
        }
        if (!model)
                return err_setf(err, -ENOENT, "no configuration file provided: not found");
        r = merge_enforce_unicity(model, err);
        if (r < 0)
                return r;
        merge_strip_tags(model);
        *ret = TAKE_PTR(model);
        return 0;
}

/* finish_model: put `name` first, as compose prints it. */
static void
set_name(struct node *model, const char *name)
{
        node_map_del(model, "name");
        node_map_set(model, "name", node_new_str(name, NULL));
        for (size_t i = model->n - 1; i > 0; i--) {
                struct node_entry tmp = model->entries[i];

                model->entries[i] = model->entries[i - 1];
                model->entries[i - 1] = tmp;
        }
}

static int
build_model(struct loader *ld, struct err *err)
{
        const struct spec_load_opts *o = ld->opts;
        cleanup_node struct node *model = NULL;
        int r;

        r = merge_files(ld, &model, err);
        if (r == 0)
                r = validate_raw(model, err);
        if (r == 0)
                r = profiles_apply(ld, model, err);
        if (r == 0)
                r = transform_canonical_opts(model, o->no_interpolate ? TRANSFORM_LENIENT : 0, err);
        if (r == 0)
                r = transform_defaults(model, err);
        if (r < 0)
                return r;
        set_name(model, ld->p->name);
        r = normalize_project(ld, model, err);
        if (r == 0 && !o->no_consistency)
                r = validate_project(ld, model, err);
        if (r < 0)
                return r;
        ld->p->model = TAKE_PTR(model);
        return 0;
}

static void
loader_release(struct loader *ld)
{
        for (size_t i = 0; i < ld->n_cache; i++) {
                free(ld->cache[i].path);
                node_free(ld->cache[i].doc);
        }
        free(ld->cache);
        strv_free(ld->include_stack);
        schema_free(ld->schema);
}

static int
load_project(struct loader *ld, const char *cwd, struct err *err)
{
        cleanup_free char *dd = dotenv_dir(ld->opts, cwd);
        int r;

        ld->env = &ld->p->env;
        r = schema_new(&ld->schema, err);
        if (r == 0)
                r = load_environment(ld, cwd, dd, err);
        if (r == 0)
                r = config_files(ld, cwd, err);
        if (r == 0)
                r = resolve_workdir(ld, cwd);
        if (r == 0)
                r = project_name(ld, &ld->p->name, err);
        if (r < 0)
                return r;
        env_set(&ld->p->env, "COMPOSE_PROJECT_NAME", ld->p->name);
        active_profiles(ld);
        return build_model(ld, err);
}

int
spec_project_load(const struct spec_load_opts *opts, struct spec_project **ret, struct err *err)
{
        __attribute__((cleanup(spec_project_free_p))) struct spec_project *p =
                xcalloc(1, sizeof(*p));
        struct loader ld = { .opts = opts, .p = p };
        cleanup_free char *cwd = NULL;
        int r;

        if (opts->cwd)
                cwd = xstrdup(opts->cwd);
        else if ((r = path_getcwd(&cwd, err)) < 0)
                return r;
        r = load_project(&ld, cwd, err);
        loader_release(&ld);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}
