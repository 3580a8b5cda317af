/* `berth build`, `pull`, `push`, and the images `up` needs: docker compose v2's image
 * commands over the builder (engine/build.h) and the registry client (engine/registry.h).
 *
 * Services are handled in parallel, one dag task (a forked child) each: builds of
 * independent services overlap, as compose's do, and so do pulls. With more than one task
 * the builder's own view is quiet (a failing step still shows its command and output) and
 * the progress view says "Image NAME  Building/Built", "Pulling/Pulled".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "compose/progress.h"
#include "compose/stack.h"
#include "engine/build.h"
#include "engine/registry.h"

struct img_ctx {
        struct stack *s;
        char **build_args;   /* --build-arg K=V (borrowed) */
        bool no_cache, pull, quiet, ignore_failures, single;
        int *todo;           /* per service: 0 nothing, 1 build, 2 pull, 3 push */
};

static void
kv_into(char ***out, const struct node *map)
{
        if (map && map->kind == NODE_MAP)
                node_foreach_entry(e, map)
                        strv_push(out, node_text(e->val)
                                               ? xasprintf("%s=%s", e->key, node_text(e->val))
                                               : xstrdup(e->key));
        else if (map && map->kind == NODE_SEQ)
                node_foreach_item(it, map)
                        if (node_text(it))
                                strv_add(out, node_text(it));
}

/* secrets_of: build.secrets as the builder's "id=ID,src=FILE" / "id=ID,env=VAR". */
static int
secrets_of(const struct stack *s, const struct node *list, char ***out, struct err *err)
{
        struct node *top = node_map_get(s->p->model, "secrets");

        if (!list || list->kind != NODE_SEQ)
                return 0;
        node_foreach_item(it, list) {
                const char *src = it->kind == NODE_MAP ? node_map_str(it, "source") : node_text(it);
                struct node *def = src && top ? node_map_get(top, src) : NULL;
                const char *file = def ? node_map_str(def, "file") : NULL;
                const char *env = def ? node_map_str(def, "environment") : NULL;
                if (!def || (!file && !env))
                        return err_setf(err, -ENOENT, "build secret '%s' is not declared with a "
                                        "file or environment", src ? src : "?");
                strv_push(out, file ? xasprintf("id=%s,src=%s", src, file)
                                    : xasprintf("id=%s,env=%s", src, env));
        }
        return 0;
}

static int
build_one(struct img_ctx *x, const struct stack_service *svc, int events, struct err *err)
{
        struct node *b = node_map_get(svc->node, "build");
        struct build_opts o;
        cleanup_strv char **tags = NULL;
        cleanup_strv char **args = NULL;
        cleanup_strv char **labels = NULL;
        cleanup_strv char **secrets = NULL;
        cleanup_strv char **hosts = NULL;
        cleanup_free char *dockerfile = NULL;
        const char *df = node_map_str(b, "dockerfile");
        const char *ctx = node_map_str(b, "context");
        int r;

        build_opts_init(&o);
        strv_add(&tags, svc->image);
        kv_into(&tags, node_map_get(b, "tags"));
        kv_into(&args, node_map_get(b, "args"));
        strv_foreach(a, x->build_args)
                strv_add(&args, a);
        kv_into(&labels, node_map_get(b, "labels"));
        kv_into(&hosts, node_map_get(b, "extra_hosts"));
        r = secrets_of(x->s, node_map_get(b, "secrets"), &secrets, err);
        if (r < 0)
                return r;
        if (!ctx)
                ctx = x->s->p->workdir;
        if (df && !node_map_str(b, "dockerfile_inline"))
                dockerfile = df[0] == '/' ? xstrdup(df) : xasprintf("%s/%s", ctx, df);
        o.root = x->s->g->root;
        o.run_root = x->s->g->run_root;
        o.context_dir = ctx;
        o.dockerfile_path = dockerfile;
        o.dockerfile_inline = node_map_str(b, "dockerfile_inline");
        o.tags = tags;
        o.build_args = args;
        o.target = node_map_str(b, "target");
        o.labels = labels;
        o.no_cache = x->no_cache;
        o.pull = x->pull;
        o.network = node_map_str(b, "network");
        o.secrets = secrets;
        o.extra_hosts = hosts;
        o.environ_ = x->s->g->environ_;
        o.progress = x->single && !x->quiet ? BUILD_PROGRESS_AUTO : BUILD_PROGRESS_QUIET;
        if (getenv("SOURCE_DATE_EPOCH"))
                o.epoch = strtoll(getenv("SOURCE_DATE_EPOCH"), NULL, 10);
        dag_event(events, "Image %s\tBuilding", svc->image);
        r = build_run(&o, NULL, err);
        dag_event(events, "Image %s\t%s", svc->image, r < 0 ? "Error" : "Built");
        return r < 0 ? err_prefix(err, "build service %s", svc->name) : 0;
}

static int
reg_one(struct img_ctx *x, const struct stack_service *svc, bool push, int events,
        struct err *err)
{
        struct reg_opts o = { .root = x->s->g->root, .log = &x->s->g->log };
        int r;

        dag_event(events, "Image %s\t%s", svc->image, push ? "Pushing" : "Pulling");
        r = push ? reg_push(&o, svc->image, NULL, NULL, err) : reg_pull(&o, svc->image, NULL, err);
        dag_event(events, "Image %s\t%s", svc->image, r < 0 ? "Error" : push ? "Pushed" : "Pulled");
        if (r < 0 && x->ignore_failures) {
                log_warn(&x->s->g->log, "%s %s: %s", push ? "push" : "pull", svc->image, err->msg);
                return 0;
        }
        return r < 0 ? err_prefix(err, "%s %s", push ? "push" : "pull", svc->image) : 0;
}

static int
img_task(size_t i, void *ctx, int events, struct err *err)
{
        struct img_ctx *x = ctx;
        const struct stack_service *svc = &x->s->svcs[i];

        switch (x->todo[i]) {
        case 1: return build_one(x, svc, events, err);
        case 2: return reg_one(x, svc, false, events, err);
        case 3: return reg_one(x, svc, true, events, err);
        default: return 0;
        }
}

static void
on_event(size_t i, const char *text, void *ctx)
{
        (void)i;
        progress_line(ctx, text);
}

/* run_images: the todo of every service, in parallel (no edges: images do not wait). */
static int
run_images(struct img_ctx *x, struct progress *pg, struct err *err)
{
        struct dag_task *t = xcalloc(x->s->n_svcs ? x->s->n_svcs : 1, sizeof(*t));
        struct dag_run run = { .tasks = t, .n = x->s->n_svcs, .fn = img_task, .ctx = x,
                               .on_event = on_event, .event_ctx = pg, .max_parallel = 4 };
        size_t n = 0;
        int r;

        for (size_t i = 0; i < x->s->n_svcs; i++) {
                t[i].name = x->s->svcs[i].name;
                n += x->todo[i] != 0;
        }
        x->single = n == 1;
        r = n ? dag_execute(&run, err) : 0;
        free(t);
        return r;
}

/* stack_images_ensure: what `up` does first: build services that have a build: section and
 * no image (or always with --build or pull_policy: build), pull missing images (always with
 * pull_policy: always), and refuse a missing one with pull_policy: never. */
int
stack_images_ensure(struct stack *s, bool build, bool no_build, struct progress *pg,
                    struct err *err)
{
        cleanup_free int *todo = xcalloc(s->n_svcs ? s->n_svcs : 1, sizeof(*todo));
        struct img_ctx x = { .s = s, .todo = todo };
        int r;

        for (size_t i = 0; i < s->n_svcs; i++) {
                struct stack_service *svc = &s->svcs[i];
                const char *policy = node_map_str(svc->node, "pull_policy");
                bool buildable = node_map_get(svc->node, "build") != NULL;
                bool have = false;
                struct err e = { 0 };
                if (!svc->selected || svc->replicas == 0)
                        continue;
                free(svc->image_id);
                svc->image_id = NULL;
                have = stack_image_id(s, svc->image, &svc->image_id, &e) == 0;
                if (buildable && !no_build && (build || !have || (policy && strcmp(policy, "build") == 0)))
                        todo[i] = 1;
                else if (policy && strcmp(policy, "always") == 0)
                        todo[i] = 2;
                else if (!have && policy && strcmp(policy, "never") == 0)
                        return err_setf(err, -ENOENT, "service %s: no such image: %s "
                                        "(pull_policy: never)", svc->name, svc->image);
                else if (!have && buildable)
                        return err_setf(err, -ENOENT, "service %s: image %s is not built "
                                        "(--no-build)", svc->name, svc->image);
                else if (!have)
                        todo[i] = 2;
        }
        r = run_images(&x, pg, err);
        for (size_t i = 0; r == 0 && i < s->n_svcs; i++)
                if (todo[i]) {
                        free(s->svcs[i].image_id);
                        s->svcs[i].image_id = NULL;
                        r = stack_image_id(s, s->svcs[i].image, &s->svcs[i].image_id, err);
                }
        return r;
}

/* ---- the commands ---------------------------------------------------------------------- */

struct img_cmd {
        bool no_cache, pull, quiet, ignore, include_deps;
        char **build_args;
};

static int
img_parse(struct img_cmd *o, const char *what, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "no-cache", no_argument, NULL, 'n' }, { "pull", no_argument, NULL, 'p' },
                { "quiet", no_argument, NULL, 'q' }, { "build-arg", required_argument, NULL, 'a' },
                { "ignore-pull-failures", no_argument, NULL, 'i' },
                { "ignore-push-failures", no_argument, NULL, 'i' },
                { "include-deps", no_argument, NULL, 'D' }, { "parallel", no_argument, NULL, 'x' },
                { "policy", required_argument, NULL, 'x' }, { "progress", required_argument, NULL, 'x' },
                { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
                switch (c) {
                case 'n': o->no_cache = true; break;
                case 'p': o->pull = true; break;
                case 'q': o->quiet = true; break;
                case 'a': strv_add(&o->build_args, optarg); break;
                case 'i': o->ignore = true; break;
                case 'D': o->include_deps = true; break;
                case 'x': break;
                default:
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth %s --help'",
                                        argv[optind - 1], what);
                }
        }
        return optind;
}

static int
img_command(struct cli_globals *g, int argc, char **argv, int kind, struct err *err)
{
        struct img_cmd o = { 0 };
        struct stack *s = NULL;
        struct progress pg;
        cleanup_free int *todo = NULL;
        int first = img_parse(&o, argv[0], argc, argv, err), r;

        if (first < 0) {
                strv_free(o.build_args);
                return first;
        }
        r = stack_open(g, argv + first, STACK_MODEL, &s, err);
        static const char *const titles[] = { "", "Building", "Pulling", "Pushing" };
        if (r == 0)
                r = progress_init(&pg, o.quiet ? "quiet" : g->progress, titles[kind], stderr, err);
        if (r < 0) {
                strv_free(o.build_args);
                stack_free(s);
                return r;
        }
        todo = xcalloc(s->n_svcs ? s->n_svcs : 1, sizeof(*todo));
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct stack_service *svc = &s->svcs[i];
                bool buildable = node_map_get(svc->node, "build") != NULL;
                if (!svc->selected)
                        continue;
                if (kind == 1 && buildable)
                        todo[i] = 1;
                else if (kind == 2 && node_map_get(svc->node, "image") &&
                         !(buildable && !node_map_get(svc->node, "pull_policy")))
                        todo[i] = 2;
                else if (kind == 3 && (buildable || node_map_get(svc->node, "image")))
                        todo[i] = 3;
        }
        struct img_ctx x = { .s = s, .todo = todo, .build_args = o.build_args,
                             .no_cache = o.no_cache, .pull = o.pull, .quiet = o.quiet,
                             .ignore_failures = o.ignore };
        r = run_images(&x, &pg, err);
        progress_end(&pg);
        stack_free(s);
        strv_free(o.build_args);
        return r;
}

int
cmd_compose_build(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        return img_command(g, argc, argv, 1, err);
}

int
cmd_compose_pull(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        return img_command(g, argc, argv, 2, err);
}

int
cmd_compose_push(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        return img_command(g, argc, argv, 3, err);
}
