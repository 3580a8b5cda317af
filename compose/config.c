/* `berth config`: load the project and print the canonical model, as `docker compose config`
 * does (same flags, same output, same key order). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "spec/emit.h"
#include "spec/interp.h"
#include "spec/project.h"
#include "spec/render.h"

enum config_view {
        VIEW_MODEL,
        VIEW_SERVICES,
        VIEW_VOLUMES,
        VIEW_NETWORKS,
        VIEW_PROFILES,
        VIEW_IMAGES,
        VIEW_VARIABLES,
        VIEW_ENVIRONMENT,
};

struct config_opts {
        enum config_view view;
        bool json;
        bool quiet;
        const char *output;
        struct spec_load_opts load;
};

enum {
        OPT_SERVICES = 256,
        OPT_VOLUMES,
        OPT_NETWORKS,
        OPT_PROFILES,
        OPT_IMAGES,
        OPT_VARIABLES,
        OPT_ENVIRONMENT,
        OPT_NO_INTERP,
        OPT_NO_NORM,
        OPT_NO_PATH,
        OPT_NO_CONS,
        OPT_NO_ENV,
        OPT_FORMAT,
        OPT_HASH,
        OPT_DIGESTS,
        OPT_LOCK,
};

static const struct option config_options[] = {
        { "services", no_argument, NULL, OPT_SERVICES },
        { "volumes", no_argument, NULL, OPT_VOLUMES },
        { "networks", no_argument, NULL, OPT_NETWORKS },
        { "profiles", no_argument, NULL, OPT_PROFILES },
        { "images", no_argument, NULL, OPT_IMAGES },
        { "variables", no_argument, NULL, OPT_VARIABLES },
        { "environment", no_argument, NULL, OPT_ENVIRONMENT },
        { "no-interpolate", no_argument, NULL, OPT_NO_INTERP },
        { "no-normalize", no_argument, NULL, OPT_NO_NORM },
        { "no-path-resolution", no_argument, NULL, OPT_NO_PATH },
        { "no-consistency", no_argument, NULL, OPT_NO_CONS },
        { "no-env-resolution", no_argument, NULL, OPT_NO_ENV },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "hash", required_argument, NULL, OPT_HASH },
        { "resolve-image-digests", no_argument, NULL, OPT_DIGESTS },
        { "lock-image-digests", no_argument, NULL, OPT_LOCK },
        { 0 },
};

static int
config_flag(struct config_opts *o, int c, struct err *err)
{
        static const enum config_view views[] = {
                [OPT_SERVICES - OPT_SERVICES] = VIEW_SERVICES,
                [OPT_VOLUMES - OPT_SERVICES] = VIEW_VOLUMES,
                [OPT_NETWORKS - OPT_SERVICES] = VIEW_NETWORKS,
                [OPT_PROFILES - OPT_SERVICES] = VIEW_PROFILES,
                [OPT_IMAGES - OPT_SERVICES] = VIEW_IMAGES,
                [OPT_VARIABLES - OPT_SERVICES] = VIEW_VARIABLES,
                [OPT_ENVIRONMENT - OPT_SERVICES] = VIEW_ENVIRONMENT,
        };

        if (c >= OPT_SERVICES && c <= OPT_ENVIRONMENT) {
                o->view = views[c - OPT_SERVICES];
                return 0;
        }
        switch (c) {
        case OPT_NO_INTERP:
                o->load.no_interpolate = true;
                return 0;
        case OPT_NO_NORM:
                o->load.no_normalize = true;
                return 0;
        case OPT_NO_PATH:
                o->load.no_path_resolution = true;
                return 0;
        case OPT_NO_CONS:
                o->load.no_consistency = true;
                return 0;
        case OPT_NO_ENV:
                o->load.no_env_resolution = true;
                return 0;
        case OPT_FORMAT:
                if (strcmp(optarg, "json") != 0 && strcmp(optarg, "yaml") != 0)
                        return err_setf(err, -EINVAL,
                                        "config: unsupported format \"%s\": use yaml or json",
                                        optarg);
                o->json = strcmp(optarg, "json") == 0;
                return 0;
        case 'o':
                o->output = optarg;
                return 0;
        case 'q':
                o->quiet = true;
                return 0;
        case OPT_HASH:
        case OPT_DIGESTS:
        case OPT_LOCK:
                return err_setf(err, -ENOTSUP, "config: --%s is not supported by berth yet",
                                c == OPT_HASH      ? "hash"
                                : c == OPT_DIGESTS ? "resolve-image-digests"
                                                   : "lock-image-digests");
        default:
                return err_setf(err, -EINVAL, "config: unknown flag '%s'", optarg ? optarg : "");
        }
}

static int
parse_config_args(struct config_opts *o, int argc, char **argv, struct err *err)
{
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+o:q", config_options, NULL)) != -1) {
                if (c == '?')
                        return err_setf(err, -EINVAL, "config: unknown flag '%s'",
                                        argv[optind - 1]);
                r = config_flag(o, c, err);
                if (r < 0)
                        return r;
        }
        return optind;
}

static void
list_keys(struct sbuf *out, const struct node *map)
{
        cleanup_strv char **keys = NULL;

        if (map && map->kind == NODE_MAP)
                node_foreach_entry(e, map)
                        strv_add(&keys, e->key);
        strv_sort(keys);
        strv_foreach(k, keys)
                sbuf_addf(out, "%s\n", k);
}

static void
add_profiles(char ***out, const struct node *svcs)
{
        if (!svcs || svcs->kind != NODE_MAP)
                return;
        node_foreach_entry(e, svcs) {
                const struct node *pr = node_map_get(e->val, "profiles");

                if (pr && pr->kind == NODE_SEQ)
                        node_foreach_item(p, pr)
                                if (node_text(p) && !strv_contains(*out, p->str))
                                        strv_add(out, p->str);
        }
}

static void
list_profiles(struct sbuf *out, const struct spec_project *p)
{
        cleanup_strv char **all = NULL;

        add_profiles(&all, node_map_get(p->model, "services"));
        add_profiles(&all, p->disabled);
        strv_sort(all);
        strv_foreach(s, all)
                sbuf_addf(out, "%s\n", s);
}

static void
list_images(struct sbuf *out, const struct spec_project *p, bool compat)
{
        const struct node *svcs = node_map_get(p->model, "services");
        cleanup_strv char **images = NULL;

        if (svcs && svcs->kind == NODE_MAP)
                node_foreach_entry(e, svcs) {
                        const char *img = node_map_str(e->val, "image");

                        if (img)
                                strv_add(&images, img);
                        else
                                strv_push(&images,
                                          xasprintf("%s%s%s", p->name, compat ? "_" : "-", e->key));
                }
        strv_sort(images);
        strv_foreach(s, images)
                sbuf_addf(out, "%s\n", s);
}

static void
var_field(struct node *m, const char *k, const char *v)
{
        node_map_set(m, k, node_new_str(v, NULL));
}

static int
list_variables(struct sbuf *out, const struct spec_project *p, bool json, struct err *err)
{
        cleanup_node struct node *tree = node_new(NODE_MAP, NULL);
        struct interp_var *vars = NULL;
        size_t n = 0;
        int r = interp_variables(p->model, &vars, &n, err);

        if (r < 0)
                return r;
        if (!json)
                sbuf_addf(out, "%-30s %-10s %-15s %s\n", "NAME", "REQUIRED", "DEFAULT VALUE",
                          "ALTERNATE VALUE");
        for (size_t i = 0; i < n; i++) {
                struct node *m = node_new(NODE_MAP, NULL);

                var_field(m, "Name", vars[i].name);
                var_field(m, "DefaultValue", vars[i].default_value);
                var_field(m, "PresenceValue", vars[i].presence_value);
                node_map_set(m, "Required", node_new_bool(vars[i].required, NULL));
                node_map_set(tree, vars[i].name, m);
                if (!json)
                        sbuf_addf(out, "%-30s %-10s %-15s %s\n", vars[i].name,
                                  vars[i].required ? "true" : "false", vars[i].default_value,
                                  vars[i].presence_value);
        }
        interp_vars_free(vars, n);
        if (!json)
                return 0;
        /* unlike the model, docker compose prints the variables with a 4-space indent */
        r = emit_json_indent(tree, "    ", out, err);
        sbuf_addch(out, '\n');
        return r;
}

static void
list_environment(struct sbuf *out, const struct spec_project *p)
{
        cleanup_strv char **lines = NULL;

        for (size_t i = 0; i < p->env.n; i++)
                strv_push(&lines, xasprintf("%s=%s", p->env.names[i], p->env.values[i]));
        strv_sort(lines);
        strv_foreach(l, lines)
                sbuf_addf(out, "%s\n", l);
}

/* add_with_deps: name and, recursively, what it depends on. */
static void
add_with_deps(char ***keep, const struct node *svcs, const char *name)
{
        const struct node *deps = node_map_get(node_map_get(svcs, name), "depends_on");

        if (strv_contains(*keep, name))
                return;
        strv_add(keep, name);
        if (deps && deps->kind == NODE_MAP)
                node_foreach_entry(e, deps)
                        add_with_deps(keep, svcs, e->key);
}

/* select_services: keep the named services and their dependencies, as `config SERVICE…`. */
static int
select_services(struct node *model, char *const *names, struct err *err)
{
        struct node *svcs = node_map_get(model, "services");
        cleanup_strv char **keep = NULL;

        strv_foreach(n, names) {
                if (!node_map_get(svcs, n))
                        return err_setf(err, -ENOENT, "no such service: %s", n);
                add_with_deps(&keep, svcs, n);
        }
        for (size_t i = svcs->n; i-- > 0;)
                if (!strv_contains(keep, svcs->entries[i].key))
                        node_map_del(svcs, svcs->entries[i].key);
        return 0;
}

static int
render(struct sbuf *out, struct spec_project *p, const struct config_opts *o,
       const struct cli_globals *g, struct err *err)
{
        switch (o->view) {
        case VIEW_SERVICES:
                list_keys(out, node_map_get(p->model, "services"));
                return 0;
        case VIEW_VOLUMES:
                list_keys(out, node_map_get(p->model, "volumes"));
                return 0;
        case VIEW_NETWORKS:
                list_keys(out, node_map_get(p->model, "networks"));
                return 0;
        case VIEW_PROFILES:
                list_profiles(out, p);
                return 0;
        case VIEW_IMAGES:
                list_images(out, p, g->compatibility);
                return 0;
        case VIEW_VARIABLES:
                return list_variables(out, p, o->json, err);
        case VIEW_ENVIRONMENT:
                list_environment(out, p);
                return 0;
        case VIEW_MODEL:
                break;
        }
        return render_model(p->model, o->json, o->load.no_interpolate, out, err);
}

static int
write_output(const struct sbuf *out, const char *path, struct err *err)
{
        if (path)
                return fs_write_atomic(path, out->buf, out->len, 0644, err);
        if (fwrite(out->buf, 1, out->len, stdout) != out->len)
                return err_setf(err, -EIO, "config: writing the output failed");
        return 0;
}

/* unleak_project: the process exits right after `config`; freeing a large model costs more
 * than the rest of the output step, so only sanitizer builds (which check for leaks) free it,
 * in the spirit of git's UNLEAK. */
static void
unleak_project(struct spec_project *p)
{
#if defined(__SANITIZE_ADDRESS__)
        spec_project_free(p);
#elif defined(__has_feature)
#        if __has_feature(address_sanitizer)
        spec_project_free(p);
#        else
        (void)p;
#        endif
#else
        (void)p;
#endif
}

int
cmd_config(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct config_opts o = { 0 };
        struct spec_project *p = NULL;
        cleanup_sbuf struct sbuf out = SBUF_INIT;
        int first, r;

        first = parse_config_args(&o, argc, argv, err);
        if (first < 0)
                return first;
        o.load = (struct spec_load_opts){
                .files = g->files,
                .project_dir = g->project_dir,
                .project_name = g->project_name,
                .env_files = g->env_files,
                .profiles = g->profiles,
                .services = argv + first,
                .environ_ = g->environ_,
                .log = &g->log,
                .all_resources = g->all_resources,
                .no_interpolate = o.load.no_interpolate || o.view == VIEW_VARIABLES,
                .no_normalize = o.load.no_normalize,
                .no_path_resolution = o.load.no_path_resolution,
                .no_consistency = o.load.no_consistency,
                .no_env_resolution = o.load.no_env_resolution,
        };
        r = spec_project_load(&o.load, &p, err);
        if (r == 0 && first < argc)
                r = select_services(p->model, argv + first, err);
        if (r == 0 && !o.quiet)
                r = render(&out, p, &o, g, err);
        if (r == 0 && !o.quiet)
                r = write_output(&out, o.output, err);
        unleak_project(p);
        return r < 0 ? r : 0;
}
