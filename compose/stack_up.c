/* stack_up: converging a project's services, one dag task per service (compose's `up`,
 * `create` and `start`).
 *
 * A service's task runs in a child of the dag runner (dag.h): it first waits for the
 * conditions of its depends_on edges (service_healthy, service_completed_successfully; a
 * finished dependency task means "started"), then makes the service's containers match the
 * file: numbers 1..replicas exist with the current config hash and image, anything beyond is
 * removed, and (unless create-only) they run. Progress events go back to the parent as
 * "Container NAME\tSTATUS" lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "compose/stack.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/monitor.h"
#include "engine/runtime.h"
#include "engine/store.h"

#define POLL_NS 20000000 /* 20 ms between looks at a dependency's state */

static void
nap(void)
{
        nanosleep(&(struct timespec){ .tv_nsec = POLL_NS }, NULL);
}

int
stack_image_id(const struct stack *s, const char *ref, char **ret, struct err *err)
{
        struct store *st = NULL;
        struct store_index idx = { 0 };
        struct store_image *img = NULL;
        int r = store_open(s->g->root, &st, err);

        if (r == 0)
                r = store_index_read(st, &idx, err);
        if (r == 0)
                r = image_resolve(&idx, ref, &img, err);
        if (r == 0)
                *ret = xstrdup(img->id);
        store_index_release(&idx);
        store_free(st);
        return r;
}

/* ---- waiting for dependencies -------------------------------------------------------- */

/* dep_state: 1 satisfied, 0 not yet, or -errno with err said as compose says it. */
static int
dep_state(const struct stack_ctr *sc, enum dep_condition cond, const char *svc, struct err *err)
{
        const char *status = jsonx_str(sc->state, "Status");
        const char *health = jsonx_str(jsonx_get(sc->state, "Health"), "Status");
        int64_t code = jsonx_int(sc->state, "ExitCode", 0);
        bool exited = status && strcmp(status, "exited") == 0 && !sc->running;

        if (cond == DEP_COMPLETED) {
                if (!exited)
                        return 0;
                if (code != 0)
                        return err_setf(err, -ECHILD, "service \"%s\" didn't complete "
                                        "successfully: exit %lld", svc, (long long)code);
                return 1;
        }
        if (exited)
                return err_setf(err, -ECHILD, "dependency failed to start: container %s exited "
                                "(%lld)", sc->c->name, (long long)code);
        if (cond == DEP_STARTED)
                return 1;
        if (!jsonx_get(sc->state, "Health"))
                return err_setf(err, -EINVAL, "dependency failed to start: container %s has no "
                                "healthcheck configured", sc->c->name);
        if (health && strcmp(health, "unhealthy") == 0)
                return err_setf(err, -EIO, "dependency failed to start: container %s is "
                                "unhealthy", sc->c->name);
        return health && strcmp(health, "healthy") == 0;
}

/* dep_ctrs: the dependency's containers as they are now, found by their names (the name
 * index makes that cheap; other tasks create them while we wait). */
static size_t
dep_ctrs(struct stack *s, const struct stack_service *dep, struct stack_ctr *out, size_t max)
{
        size_t n = 0;

        for (int k = 1; k <= dep->replicas && n < max; k++) {
                cleanup_free char *name = stack_ctr_name(s, dep, k);
                struct stack_ctr *sc = &out[n];
                struct err e = { 0 };
                *sc = (struct stack_ctr){ 0 };
                if (ctr_open(s->g->root, s->g->run_root, name, &sc->c, &e) < 0)
                        continue;
                if (ctr_state_read(sc->c, &sc->state, &e) < 0)
                        sc->state = json_object_new_object();
                sc->running = cmd_container_alive(sc->c, sc->state);
                n++;
        }
        return n;
}

static void
dep_ctrs_release(struct stack_ctr *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                ctr_free(v[i].c);
                json_object_put(v[i].state);
        }
}

/* dep_round: 1 when all n satisfy the condition, 0 not yet, -errno on failure. */
static int
dep_round(struct stack_ctr *cs, size_t n, const struct stack_dep *d, const char *svc,
          bool *said, int events, struct err *err)
{
        int all = n > 0;

        for (size_t i = 0; i < n && all == 1; i++) {
                if (!*said)
                        dag_event(events, "Container %s\tWaiting", cs[i].c->name);
                all = dep_state(&cs[i], d->cond, svc, err);
        }
        *said = *said || n > 0;
        for (size_t i = 0; all == 1 && i < n; i++)
                dag_event(events, "Container %s\t%s", cs[i].c->name,
                          d->cond == DEP_HEALTHY ? "Healthy" : "Exited");
        return all;
}

/* wait_dep: until every container of dependency d satisfies its condition. */
static int
wait_dep(struct stack *s, const struct stack_dep *d, int events, struct err *err)
{
        const struct stack_service *dep = &s->svcs[d->svc];
        size_t max = (size_t)dep->replicas;
        cleanup_free struct stack_ctr *cs = NULL;
        bool said = false;

        if (d->cond == DEP_STARTED || !dep->selected || dep->replicas == 0)
                return 0;
        cs = xcalloc(max, sizeof(*cs));
        for (;;) {
                size_t n = dep_ctrs(s, dep, cs, max);
                int all = dep_round(cs, n, d, dep->name, &said, events, err);
                dep_ctrs_release(cs, n);
                if (all < 0 && !d->required)
                        return 0;
                if (all != 0)
                        return all < 0 ? all : 0;
                nap();
        }
}

/* ---- one container ------------------------------------------------------------------- */

static int
start_ctr(struct stack *s, struct ctr *c, int events, struct err *err)
{
        struct err e = { 0 };
        int r;

        dag_event(events, "Container %s\tStarting", c->name);
        rt_delete(c->run_dir, &e); /* what a monitor killed earlier left */
        r = cmd_container_net_repair(s->g, c, err);
        if (r == 0)
                r = cmd_container_spawn(s->g, c, 0, 0, err);
        if (r > 0 && !err_is_set(err))
                err_setf(err, -EIO, "container %s exited with %d at start", c->name, r);
        if (r != 0) {
                dag_event(events, "Container %s\tError", c->name);
                return err_prefix(err, "start container %s", c->name);
        }
        dag_event(events, "Container %s\tStarted", c->name);
        return 0;
}

static int
create_ctr(struct stack *s, const struct stack_service *svc, int number, int events,
           struct ctr **ret, struct err *err)
{
        cleanup_strv char **argv = NULL;
        json_object *extra = NULL;
        cleanup_free char *name = stack_ctr_name(s, svc, number);
        int r = stack_service_args(s, svc, number, NULL, &argv, &extra, err);

        dag_event(events, "Container %s\tCreating", name);
        if (r == 0)
                r = cmd_container_create_ex(s->g, (int)strv_length(argv), argv, extra, ret, err);
        json_object_put(extra);
        if (r < 0) {
                dag_event(events, "Container %s\tError", name);
                return err_prefix(err, "create container %s", name);
        }
        dag_event(events, "Container %s\tCreated", name);
        return 0;
}

int
stack_remove_ctr(struct stack *s, struct stack_ctr *sc, bool volumes, int events,
                 struct err *err)
{
        const char *name = sc->c->name;
        int r;

        (void)volumes;
        if (sc->running) {
                dag_event(events, "Container %s\tStopping", name);
                dag_event(events, "Container %s\tStopped", name);
        }
        dag_event(events, "Container %s\tRemoving", name);
        r = cmd_container_remove(s->g, sc->c, 0, err);
        dag_event(events, "Container %s\t%s", name, r < 0 ? "Error" : "Removed");
        return r;
}

void
stack_up_event(struct stack_up_ctx *u, size_t i, const char *text)
{
        const char *tab = strrchr(text, '\t');

        if (u->recreated && tab && (strcmp(tab + 1, "Recreated") == 0 ||
                                    strcmp(tab + 1, "Restarted") == 0))
                u->recreated[i] = true;
}

/* restart_ctr: a dependency with restart: true changed: stop and start c again. */
static int
restart_ctr(struct stack *s, struct ctr *c, int events, struct err *err)
{
        int r;

        dag_event(events, "Container %s\tRestarting", c->name);
        r = cmd_container_halt(s->g, c, -1, err);
        if (r == 0)
                r = start_ctr(s, c, events, err);
        if (r == 0)
                dag_event(events, "Container %s\tRestarted", c->name);
        return r;
}

/* converge_one: make container number n of svc current; have is the existing one (or NULL). */
static int
converge_one(struct stack *s, const struct stack_service *svc, struct stack_ctr *have, int n,
             const struct stack_up_opts *o, bool restart, int events, struct err *err)
{
        struct ctr *c = NULL;
        bool same = have && have->hash && strcmp(have->hash, svc->hash) == 0 &&
                    (!svc->image_id || (have->image_id && strcmp(have->image_id, svc->image_id) == 0));
        int r;

        if (have && !o->force_recreate && (same || o->no_recreate)) {
                if (o->create_only)
                        return 0; /* nothing to make; the start pass reports it */
                if (have->running && restart && !o->no_start)
                        return restart_ctr(s, have->c, events, err);
                if (have->running) {
                        dag_event(events, "Container %s\tRunning", have->c->name);
                        return 0;
                }
                return o->no_start ? 0 : start_ctr(s, have->c, events, err);
        }
        if (have) {
                dag_event(events, "Container %s\tRecreate", have->c->name);
                r = cmd_container_remove(s->g, have->c, 0, err);
                if (r < 0)
                        return err_prefix(err, "recreate container %s", have->c->name);
                have->c = ctr_free(have->c);
        }
        r = create_ctr(s, svc, n, events, &c, err);
        if (r == 0 && !o->no_start)
                r = start_ctr(s, c, events, err);
        if (r == 0 && have)
                dag_event(events, "Container %s\tRecreated", c->name);
        ctr_free(c);
        return r;
}

static int
converge(struct stack *s, const struct stack_service *svc, const struct stack_up_opts *o,
         bool restart, int events, struct err *err)
{
        cleanup_free struct stack_ctr **cs = stack_ctrs_of(s, svc->name);
        int r = 0;

        for (int n = 1; n <= svc->replicas && r == 0; n++) {
                struct stack_ctr *have = NULL;
                for (size_t i = 0; cs[i]; i++)
                        if (cs[i]->number == n && cs[i]->c)
                                have = cs[i];
                r = converge_one(s, svc, have, n, o, restart, events, err);
        }
        /* scaled down: the highest numbers go */
        for (size_t i = 0; cs[i] && r == 0; i++)
                if (cs[i]->number > svc->replicas || cs[i]->number < 1)
                        r = stack_remove_ctr(s, cs[i], false, events, err);
        return r;
}

int
stack_up_task(size_t i, void *ctx, int events, struct err *err)
{
        struct stack_up_ctx *u = ctx;
        struct stack *s = u->s;
        const struct stack_service *svc = &s->svcs[i];
        bool restart = false;
        int r = 0;

        if (!svc->selected)
                return 0;
        for (size_t k = 0; k < svc->n_deps && u->recreated; k++)
                restart |= svc->deps[k].restart && u->recreated[svc->deps[k].svc];
        for (size_t k = 0; k < svc->n_deps && r == 0 && !u->o->no_start && !u->o->create_only; k++)
                r = wait_dep(s, &svc->deps[k], events, err);
        /* the snapshot the parent took is current for this service's own containers: only
         * this task changes them while the project is locked */
        if (r == 0)
                r = converge(s, svc, u->o, restart, events, err);
        return r;
}
