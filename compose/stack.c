/* stack: loading a compose project and finding what exists of it (see stack.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/file.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/sha256.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "compose/stack.h"
#include "engine/jsonx.h"
#include "spec/emit.h"

char *
stack_hash(const struct node *svc)
{
        cleanup_sbuf struct sbuf out = SBUF_INIT;
        struct node *copy = node_clone(svc);
        struct node *deploy = node_map_get(copy, "deploy");
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        struct err e = { 0 };

        /* scaling a service is not a change of its containers */
        if (deploy && deploy->kind == NODE_MAP)
                node_map_del(deploy, "replicas");
        node_map_del(copy, "scale");
        emit_json(copy, &out, &e);
        node_free(copy);
        sha256_buf(out.buf ? out.buf : "", out.len, d);
        sha256_hex(d, hex);
        return xstrdup(hex);
}

static int
replicas_of(const struct stack_service *svc, struct err *err)
{
        struct node *deploy = node_map_get(svc->node, "deploy");
        struct node *n = node_map_get(svc->node, "scale");
        long long v = 1;

        if (!n && deploy)
                n = node_map_get(deploy, "replicas");
        if (n && node_get_int(n, &v, err) < 0)
                return err->code;
        if (v < 0 || v > STACK_REPLICAS_MAX)
                return node_errf(err, n, -EINVAL, "service %s: replicas must be 0..%d",
                                 svc->name, STACK_REPLICAS_MAX);
        return (int)v;
}

static enum dep_condition
condition_of(const char *s)
{
        if (s && strcmp(s, "service_healthy") == 0)
                return DEP_HEALTHY;
        if (s && strcmp(s, "service_completed_successfully") == 0)
                return DEP_COMPLETED;
        return DEP_STARTED;
}

static void
deps_of(struct stack *s, struct stack_service *svc)
{
        struct node *deps = node_map_get(svc->node, "depends_on");

        if (!deps || deps->kind != NODE_MAP)
                return;
        svc->deps = xcalloc(deps->n ? deps->n : 1, sizeof(*svc->deps));
        node_foreach_entry(e, deps) {
                ssize_t to = stack_service_find(s, e->key);
                bool required = true, restart = false;
                struct err ignore = { 0 };
                /* a dependency disabled by a profile: compose goes on without it */
                if (to < 0)
                        continue;
                if (node_map_get(e->val, "required"))
                        node_get_bool(node_map_get(e->val, "required"), &required, &ignore);
                if (node_map_get(e->val, "restart"))
                        node_get_bool(node_map_get(e->val, "restart"), &restart, &ignore);
                svc->deps[svc->n_deps++] = (struct stack_dep){
                        .svc = (size_t)to,
                        .cond = condition_of(node_map_str(e->val, "condition")),
                        .required = required,
                        .restart = restart,
                };
        }
}

ssize_t
stack_service_find(const struct stack *s, const char *name)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                if (strcmp(s->svcs[i].name, name) == 0)
                        return (ssize_t)i;
        return -1;
}

static int
load_services(struct stack *s, char *const *selected, struct err *err)
{
        struct node *svcs = node_map_get(s->p->model, "services");
        int r;

        if (!svcs || svcs->kind != NODE_MAP)
                return 0;
        s->svcs = xcalloc(svcs->n ? svcs->n : 1, sizeof(*s->svcs));
        node_foreach_entry(e, svcs) {
                struct stack_service *svc = &s->svcs[s->n_svcs++];
                const char *image = node_map_str(e->val, "image");
                svc->name = e->key;
                svc->node = e->val;
                svc->hash = stack_hash(e->val);
                svc->image = image ? xstrdup(image) : xasprintf("%s-%s", s->name, e->key);
                svc->selected = !selected || !selected[0] || strv_contains(selected, e->key);
                r = replicas_of(svc, err);
                if (r < 0)
                        return r;
                svc->replicas = r;
                if (r > 1 && node_map_get(e->val, "container_name"))
                        return node_errf(err, node_map_get(e->val, "container_name"), -EINVAL,
                                         "services.%s: can't set container_name and %s as "
                                         "container name must be unique", e->key, e->key);
        }
        for (size_t i = 0; i < s->n_svcs; i++)
                deps_of(s, &s->svcs[i]);
        strv_foreach(n, selected)
                if (stack_service_find(s, n) < 0)
                        return err_setf(err, -ENOENT, "no such service: %s", n);
        return 0;
}

static int
load_project(struct stack *s, char *const *services, unsigned flags, struct err *err)
{
        struct cli_globals *g = s->g;
        struct spec_load_opts o = {
                .files = g->files,
                .project_dir = g->project_dir,
                .project_name = g->project_name,
                .env_files = g->env_files,
                .profiles = g->profiles,
                .services = services,
                .environ_ = g->environ_,
                .log = &g->log,
        };
        struct err e = { 0 };
        int r = spec_project_load(&o, &s->p, &e);

        if (r == 0) {
                s->name = xstrdup(s->p->name);
                return load_services(s, services, err);
        }
        /* down/ps/logs -p NAME work without the compose file, as compose's do */
        if ((flags & STACK_NAME_ONLY) && g->project_name && !g->files && r == -ENOENT) {
                s->name = xstrdup(g->project_name);
                return 0;
        }
        *err = e;
        return r;
}

static int
lock_project(struct stack *s, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/compose", s->g->root);
        cleanup_free char *path = xasprintf("%s/%s.lock", dir, s->name);
        int r = fs_mkdir_p(dir, 0700, err);

        if (r < 0)
                return r;
        s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (s->lock_fd < 0)
                return err_setf(err, -errno, "open '%s': %s", path, strerror(errno));
        /* another berth command on this project: wait for it, as its result is what we see */
        while (flock(s->lock_fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return err_setf(err, -errno, "lock project %s: %s", s->name,
                                        strerror(errno));
        return 0;
}

static const char *
label_of(json_object *config, const char *key)
{
        return jsonx_str(jsonx_get(config, "Labels"), key);
}

static void
ctrs_release(struct stack *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++) {
                ctr_free(s->ctrs[i].c);
                json_object_put(s->ctrs[i].state);
        }
        s->ctrs = (free(s->ctrs), NULL);
        s->n_ctrs = 0;
}

static void
add_ctr(struct stack *s, struct ctr *c, size_t *cap)
{
        struct stack_ctr *sc;
        const char *num = label_of(c->config, STACK_LABEL_NUMBER);
        const char *oneoff = label_of(c->config, STACK_LABEL_ONEOFF);
        struct err e = { 0 };

        if (s->n_ctrs == *cap) {
                *cap = *cap ? *cap * 2 : 16;
                s->ctrs = xreallocarray(s->ctrs, *cap, sizeof(*s->ctrs));
        }
        sc = &s->ctrs[s->n_ctrs++];
        *sc = (struct stack_ctr){ .c = c };
        sc->service = label_of(c->config, STACK_LABEL_SERVICE);
        sc->hash = label_of(c->config, STACK_LABEL_HASH);
        sc->image_id = jsonx_str(c->config, "ImageID");
        sc->number = num ? (int)strtol(num, NULL, 10) : 0;
        sc->oneoff = oneoff && strcmp(oneoff, "True") == 0;
        if (ctr_state_read(c, &sc->state, &e) < 0)
                sc->state = json_object_new_object();
        sc->running = cmd_container_alive(c, sc->state);
}

int
stack_refresh(struct stack *s, struct err *err)
{
        cleanup_strv char **ids = NULL;
        size_t cap = 0;
        int r;

        ctrs_release(s);
        r = ctr_list(s->g->root, &ids, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        strv_foreach(id, ids) {
                struct ctr *c = NULL;
                struct err e = { 0 };
                const char *proj;
                /* a record being created or removed right now: not ours to judge */
                if (ctr_open(s->g->root, s->g->run_root, id, &c, &e) < 0)
                        continue;
                proj = label_of(c->config, STACK_LABEL_PROJECT);
                if (!proj || strcmp(proj, s->name) != 0 || !label_of(c->config, STACK_LABEL_SERVICE)) {
                        ctr_free(c);
                        continue;
                }
                add_ctr(s, c, &cap);
        }
        return 0;
}

int
stack_open(struct cli_globals *g, char *const *services, unsigned flags, struct stack **ret,
           struct err *err)
{
        struct stack *s = xcalloc(1, sizeof(*s));
        int r;

        s->g = g;
        s->lock_fd = -1;
        r = load_project(s, services, flags, err);
        if (r == 0 && (flags & STACK_LOCK))
                r = lock_project(s, err);
        if (r == 0)
                r = stack_refresh(s, err);
        if (r < 0) {
                stack_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

struct stack *
stack_free(struct stack *s)
{
        if (!s)
                return NULL;
        ctrs_release(s);
        for (size_t i = 0; i < s->n_svcs; i++) {
                free(s->svcs[i].hash);
                free(s->svcs[i].image);
                free(s->svcs[i].image_id);
                free(s->svcs[i].deps);
        }
        free(s->svcs);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        spec_project_free(s->p);
        free(s->name);
        free(s);
        return NULL;
}

static int
by_number(const void *a, const void *b)
{
        const struct stack_ctr *x = *(struct stack_ctr *const *)a;
        const struct stack_ctr *y = *(struct stack_ctr *const *)b;

        return (x->number > y->number) - (x->number < y->number);
}

struct stack_ctr **
stack_ctrs_of(const struct stack *s, const char *svc)
{
        struct stack_ctr **out = xcalloc(s->n_ctrs + 1, sizeof(*out));
        size_t n = 0;

        for (size_t i = 0; i < s->n_ctrs; i++)
                if (!s->ctrs[i].oneoff && strcmp(s->ctrs[i].service, svc) == 0)
                        out[n++] = &s->ctrs[i];
        qsort(out, n, sizeof(*out), by_number);
        return out;
}

void
stack_tasks(const struct stack *s, struct dag_task **ret)
{
        struct dag_task *t = xcalloc(s->n_svcs ? s->n_svcs : 1, sizeof(*t));

        for (size_t i = 0; i < s->n_svcs; i++) {
                const struct stack_service *svc = &s->svcs[i];
                t[i].name = svc->name;
                t[i].deps = xcalloc(svc->n_deps ? svc->n_deps : 1, sizeof(*t[i].deps));
                for (size_t k = 0; k < svc->n_deps; k++)
                        t[i].deps[t[i].n_deps++] = (struct dag_edge){
                                .to = svc->deps[k].svc, .soft = !svc->deps[k].required
                        };
        }
        *ret = t;
}

void
stack_tasks_free(struct dag_task *t, size_t n)
{
        for (size_t i = 0; t && i < n; i++)
                free(t[i].deps);
        free(t);
}

char *
stack_ctr_name(const struct stack *s, const struct stack_service *svc, int number)
{
        const char *fixed = node_map_str(svc->node, "container_name");

        if (fixed)
                return xstrdup(fixed);
        return xasprintf("%s-%s-%d", s->name, svc->name, number);
}

/* volumes_from_names: whether svc's volumes_from names the service dep (its container must
 * exist when svc's is made) */
static bool
volumes_from_names(const struct node *svc, const char *dep)
{
        const struct node *vf = node_map_get(svc, "volumes_from");
        size_t n = strlen(dep);

        if (!vf || vf->kind != NODE_SEQ)
                return false;
        node_foreach_item(it, vf) {
                const char *t = node_text(it);

                if (t && !strncmp(t, dep, n) && (t[n] == '\0' || t[n] == ':'))
                        return true;
        }
        return false;
}

/* flatten: creation order needs no dependency, except a network_mode: service:X or a
 * volumes_from X, which must name an existing container of X when this one is made. */
static void
flatten(const struct stack *s, size_t i, struct dag_task *t)
{
        const char *mode = node_map_str(s->svcs[i].node, "network_mode");
        size_t keep = 0;

        for (size_t k = 0; k < t->n_deps; k++) {
                const char *dep = s->svcs[t->deps[k].to].name;

                if ((mode && strncmp(mode, "service:", 8) == 0 && strcmp(mode + 8, dep) == 0) ||
                    volumes_from_names(s->svcs[i].node, dep))
                        t->deps[keep++] = t->deps[k];
        }
        t->n_deps = keep;
}

int
stack_run_graph(const struct stack *s, enum stack_order order, dag_fn fn, void *ctx,
                dag_event_fn on_event, void *event_ctx, struct err *err)
{
        struct dag_task *tasks = NULL, *rev = NULL;
        struct dag_run run = { .n = s->n_svcs, .fn = fn, .ctx = ctx, .on_event = on_event,
                               .event_ctx = event_ctx };
        int r;

        stack_tasks(s, &tasks);
        if (order == STACK_REVERSE)
                dag_reverse(tasks, s->n_svcs, &rev);
        for (size_t i = 0; order == STACK_FLAT && i < s->n_svcs; i++)
                flatten(s, i, &tasks[i]);
        run.tasks = order == STACK_REVERSE ? rev : tasks;
        /* creations contend for the same locks (records, addresses): a few at a time is as
         * fast as all at once and much lighter on a small machine */
        run.max_parallel = order == STACK_FLAT ? STACK_CREATE_PARALLEL : 0;
        r = dag_execute(&run, err);
        dag_reverse_free(rev, s->n_svcs);
        stack_tasks_free(tasks, s->n_svcs);
        return r;
}
