/* `berth up`, `berth create` and `berth start`: docker compose v2's commands over the stack
 * (stack.h): the project's networks and volumes first, then one dag task per service
 * (stack_up.c), then, attached, the containers' logs until they exit or Ctrl-C stops them.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "compose/container_int.h"
#include "compose/progress.h"
#include "compose/stack.h"
#include "engine/jsonx.h"
#include "engine/monitor.h"

/* Ctrl-C during an attached up: the one mutable global a signal handler needs. */
static volatile sig_atomic_t g_interrupted;

static void
on_interrupt(int sig)
{
        (void)sig;
        g_interrupted++;
}

struct up_opts {
        struct stack_up_opts up;
        bool detach, no_deps, remove_orphans, wait, no_build, build, abort_exit;
        bool abort_failure, timestamps, no_log_prefix, no_color, quiet_pull, no_attach_all;
        int64_t wait_timeout; /* seconds, 0: none */
        const char *exit_code_from;
        char **scale, **attach, **no_attach;
        const char *what; /* "up", "create" */
};

enum {
        O_BUILD = 256, O_NOBUILD, O_FORCE, O_NORECREATE, O_NODEPS, O_NOSTART, O_WAIT,
        O_WAITTIME, O_ABORT, O_ABORTFAIL, O_EXITFROM, O_ORPHANS, O_SCALE, O_ATTACH, O_NOATTACH,
        O_TS, O_NOPREFIX, O_NOCOLOR, O_QPULL, O_PULL, O_TIMEOUT, O_RENEW, O_DEPS, O_ATTACHDEPS,
        O_YES, O_MENU, O_WATCH,
};

static const struct option up_options[] = {
        { "detach", no_argument, NULL, 'd' },
        { "build", no_argument, NULL, O_BUILD },
        { "no-build", no_argument, NULL, O_NOBUILD },
        { "force-recreate", no_argument, NULL, O_FORCE },
        { "no-recreate", no_argument, NULL, O_NORECREATE },
        { "no-deps", no_argument, NULL, O_NODEPS },
        { "no-start", no_argument, NULL, O_NOSTART },
        { "wait", no_argument, NULL, O_WAIT },
        { "wait-timeout", required_argument, NULL, O_WAITTIME },
        { "abort-on-container-exit", no_argument, NULL, O_ABORT },
        { "abort-on-container-failure", no_argument, NULL, O_ABORTFAIL },
        { "exit-code-from", required_argument, NULL, O_EXITFROM },
        { "remove-orphans", no_argument, NULL, O_ORPHANS },
        { "scale", required_argument, NULL, O_SCALE },
        { "attach", required_argument, NULL, O_ATTACH },
        { "no-attach", required_argument, NULL, O_NOATTACH },
        { "attach-dependencies", no_argument, NULL, O_ATTACHDEPS },
        { "timestamps", no_argument, NULL, O_TS },
        { "no-log-prefix", no_argument, NULL, O_NOPREFIX },
        { "no-color", no_argument, NULL, O_NOCOLOR },
        { "quiet-pull", no_argument, NULL, O_QPULL },
        { "pull", required_argument, NULL, O_PULL },
        { "timeout", required_argument, NULL, 't' },
        { "renew-anon-volumes", no_argument, NULL, 'V' },
        { "always-recreate-deps", no_argument, NULL, O_DEPS },
        { "yes", no_argument, NULL, 'y' },
        { "menu", no_argument, NULL, O_MENU },
        { "watch", no_argument, NULL, 'w' },
        { 0 },
};

static int
up_opt(struct up_opts *o, int c, struct err *err)
{
        switch (c) {
        case 'd': o->detach = true; return 0;
        case O_BUILD: o->build = true; return 0;
        case O_NOBUILD: o->no_build = true; return 0;
        case O_FORCE: o->up.force_recreate = true; return 0;
        case O_NORECREATE: o->up.no_recreate = true; return 0;
        case O_NODEPS: o->no_deps = true; return 0;
        case O_NOSTART: o->up.no_start = true; return 0;
        case O_WAIT: o->wait = true; o->detach = true; return 0;
        case O_WAITTIME: o->wait_timeout = strtoll(optarg, NULL, 10); return 0;
        case O_ABORT: o->abort_exit = true; return 0;
        case O_ABORTFAIL: o->abort_failure = true; return 0;
        case O_EXITFROM: o->exit_code_from = optarg; o->abort_exit = true; return 0;
        case O_ORPHANS: o->remove_orphans = true; return 0;
        case O_SCALE: strv_add(&o->scale, optarg); return 0;
        case O_ATTACH: strv_add(&o->attach, optarg); return 0;
        case O_NOATTACH: strv_add(&o->no_attach, optarg); return 0;
        case O_TS: o->timestamps = true; return 0;
        case O_NOPREFIX: o->no_log_prefix = true; return 0;
        case O_NOCOLOR: o->no_color = true; return 0;
        case O_QPULL: o->quiet_pull = true; return 0;
        case O_PULL: case 't': case O_DEPS: case 'y': case O_ATTACHDEPS: case O_MENU: return 0;
        case 'V': case 'w':
                return err_setf(err, -ENOTSUP, "'%s' is not available yet", "--renew-anon-volumes/--watch");
        default:
                return err_setf(err, -EINVAL, "unknown flag; see 'berth %s --help'", o->what);
        }
}

static int
up_parse(struct up_opts *o, int argc, char **argv, struct err *err)
{
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+dt:Vyw", up_options, NULL)) != -1) {
                if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth %s --help'",
                                        argv[optind - 1], o->what);
                r = up_opt(o, c, err);
                if (r < 0)
                        return r;
        }
        if (o->detach && o->abort_exit)
                return err_setf(err, -EINVAL, "--abort-on-container-exit and --detach are "
                                "incompatible");
        if (o->up.force_recreate && o->up.no_recreate)
                return err_setf(err, -EINVAL, "--force-recreate and --no-recreate are "
                                "incompatible");
        if (o->build && o->no_build)
                return err_setf(err, -EINVAL, "--build and --no-build are incompatible");
        return optind;
}

/* ---- selection and scale ----------------------------------------------------------------- */

static void
select_deps(struct stack *s, size_t i)
{
        for (size_t k = 0; k < s->svcs[i].n_deps; k++) {
                size_t d = s->svcs[i].deps[k].svc;
                if (!s->svcs[d].selected) {
                        s->svcs[d].selected = true;
                        select_deps(s, d);
                }
        }
}

static int
apply_scale(struct stack *s, char *const *scale, struct err *err)
{
        strv_foreach(kv, scale) {
                const char *eq = strchr(kv, '=');
                cleanup_free char *name = eq ? xstrndup(kv, (size_t)(eq - kv)) : NULL;
                char *end;
                long v = eq ? strtol(eq + 1, &end, 10) : -1;
                ssize_t i = name ? stack_service_find(s, name) : -1;
                if (!eq || end == eq + 1 || *end || v < 0 || v > STACK_REPLICAS_MAX)
                        return err_setf(err, -EINVAL, "invalid --scale '%s': want SERVICE=N", kv);
                if (i < 0)
                        return err_setf(err, -ENOENT, "no such service: %s", name);
                s->svcs[i].replicas = (int)v;
        }
        return 0;
}

/* ---- orphans ----------------------------------------------------------------------------- */

static int
orphans(struct stack *s, bool remove, struct progress *pg, struct err *err)
{
        cleanup_strv char **names = NULL;
        cleanup_free char *list = NULL;

        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct stack_ctr *sc = &s->ctrs[i];
                if (sc->oneoff || stack_service_find(s, sc->service) >= 0)
                        continue;
                if (!remove) {
                        strv_add(&names, sc->c->name);
                        continue;
                }
                progress_event(pg, "Container", sc->c->name);
                if (stack_remove_ctr(s, sc, false, -1, err) < 0)
                        return err->code;
        }
        if (!names)
                return 0;
        list = strv_join(names, ", ");
        log_warn(&s->g->log, "Found orphan containers ([%s]) for this project. If you removed or "
                 "renamed this service in your compose file, you can run this command with the "
                 "--remove-orphans flag to clean it up.", list);
        return 0;
}

/* ---- running the graph ----------------------------------------------------------------- */

struct event_ctx {
        struct progress *pg;
        struct stack_up_ctx *up;
};

static void
on_event(size_t i, const char *text, void *ctx)
{
        struct event_ctx *e = ctx;

        stack_up_event(e->up, i, text);
        progress_line(e->pg, text);
}

static int
run_graph(struct stack *s, const struct stack_up_opts *uo, struct progress *pg, struct err *err)
{
        cleanup_free bool *recreated = xcalloc(s->n_svcs ? s->n_svcs : 1, sizeof(bool));
        struct stack_up_opts create = *uo, start;
        struct stack_up_ctx ctx = { .s = s, .o = &create, .recreated = recreated };
        struct event_ctx ev = { .pg = pg, .up = &ctx };
        int r;

        /* as compose: every container is created first, all at once (making one needs no
         * dependency to run), then they start in dependency order, which then costs only the
         * starts along the longest depends_on chain */
        create.no_start = true;
        create.create_only = true;
        r = stack_run_graph(s, STACK_FLAT, stack_up_task, &ctx, on_event, &ev, err);
        if (r < 0 || uo->no_start)
                return r;
        r = stack_refresh(s, err);
        start = *uo;
        start.force_recreate = false; /* done by the first pass */
        ctx.o = &start;
        return r < 0 ? r : stack_run_graph(s, STACK_FORWARD, stack_up_task, &ctx, on_event, &ev, err);
}

int
stack_up_selected(struct stack *s, struct progress *pg, struct err *err)
{
        static const struct stack_up_opts defaults = { 0 };
        int r = stack_images_ensure(s, false, false, pg, err);

        return r < 0 ? r : run_graph(s, &defaults, pg, err);
}

/* ---- --wait ----------------------------------------------------------------------------- */

/* all_ready: 1 when every selected container runs (and is healthy where it has a check),
 * 0 not yet, -errno when one exited or is unhealthy. */
static int
all_ready(struct stack *s, struct err *err)
{
        int r = stack_refresh(s, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct stack_ctr *sc = &s->ctrs[i];
                ssize_t k = stack_service_find(s, sc->service);
                const char *health = jsonx_str(jsonx_get(sc->state, "Health"), "Status");
                if (sc->oneoff || k < 0 || !s->svcs[k].selected)
                        continue;
                if (!sc->running) {
                        /* a job that finished well is what --wait waits for too */
                        if (jsonx_int(sc->state, "ExitCode", 1) == 0)
                                continue;
                        return err_setf(err, -ECHILD, "container %s exited (%lld)", sc->c->name,
                                        (long long)jsonx_int(sc->state, "ExitCode", 0));
                }
                if (health && strcmp(health, "unhealthy") == 0)
                        return err_setf(err, -EIO, "container %s is unhealthy", sc->c->name);
                if (health && strcmp(health, "healthy") != 0)
                        return 0;
        }
        return 1;
}

static int
wait_ready(struct stack *s, int64_t timeout_s, struct err *err)
{
        struct timespec t0, t;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        while ((r = all_ready(s, err)) == 0) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                if (timeout_s > 0 && t.tv_sec - t0.tv_sec >= timeout_s)
                        return err_setf(err, -ETIMEDOUT, "timeout waiting for the project to "
                                        "be running and healthy");
                if (g_interrupted)
                        return err_setf(err, -EINTR, "interrupted");
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        return r < 0 ? r : 0;
}

/* ---- attached ------------------------------------------------------------------------------ */

static bool
attached_service(const struct up_opts *o, const struct stack_service *svc)
{
        if (o->attach)
                return strv_contains(o->attach, svc->name);
        return svc->selected && !strv_contains(o->no_attach, svc->name);
}

/* follow_round: add new containers, print their output; the number still running. */
static size_t
follow_round(struct stack *s, const struct up_opts *o, struct stack_logs *l, int *ret_code,
             const char **ret_exited, bool *ret_failed)
{
        struct err e = { 0 };
        size_t live = 0;

        if (stack_refresh(s, &e) < 0)
                return 1;
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct stack_ctr *sc = &s->ctrs[i];
                ssize_t k = stack_service_find(s, sc->service);
                if (sc->oneoff || k < 0 || !attached_service(o, &s->svcs[k]))
                        continue;
                stack_logs_add(l, sc->c);
                if (sc->running) {
                        live++;
                        continue;
                }
                if (!*ret_exited || (o->exit_code_from && strcmp(sc->service, o->exit_code_from) == 0)) {
                        *ret_exited = s->svcs[k].name;
                        *ret_code = (int)jsonx_int(sc->state, "ExitCode", 0);
                }
                if (jsonx_int(sc->state, "ExitCode", 0) != 0)
                        *ret_failed = true;
        }
        stack_logs_pump(l);
        return live;
}

static int stop_all(struct stack *s, struct err *err);

static int
attach_loop(struct stack *s, const struct up_opts *o, struct err *err)
{
        struct stack_logs l = { .tail = -1, .timestamps = o->timestamps,
                                .no_prefix = o->no_log_prefix,
                                .color = !o->no_color && isatty(1) };
        const char *exited = NULL;
        bool failed = false;
        int code = 0, r = 0;

        for (;;) {
                size_t live = follow_round(s, o, &l, &code, &exited, &failed);
                if (g_interrupted) {
                        fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
                        r = stop_all(s, err);
                        stack_logs_pump(&l);
                        code = 130;
                        break;
                }
                if ((o->abort_exit && exited) || (o->abort_failure && failed) || !live) {
                        if (live) {
                                fprintf(stderr, "Aborting on container exit...\n");
                                r = stop_all(s, err);
                        }
                        stack_logs_pump(&l);
                        break;
                }
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        stack_logs_release(&l);
        if (r < 0)
                return r;
        return o->abort_exit || o->exit_code_from ? code : g_interrupted ? 130 : 0;
}

static int
stop_all(struct stack *s, struct err *err)
{
        char verb[] = "stop";
        char *argv[] = { verb, NULL };
        struct cli_globals *g = s->g;

        return cmd_compose_stop(g, 1, argv, err);
}

/* ---- up / create ------------------------------------------------------------------------ */

static int
prepare(struct stack *s, struct up_opts *o, char *const *services, struct progress *pg,
        struct err *err)
{
        int r = apply_scale(s, o->scale, err);

        for (size_t i = 0; i < s->n_svcs && !o->no_deps && services && services[0]; i++)
                if (s->svcs[i].selected)
                        select_deps(s, i);
        if (r == 0)
                r = stack_images_ensure(s, o->build, o->no_build, pg, err);
        if (r == 0)
                r = stack_resources_up(s, pg, err);
        if (r == 0)
                r = orphans(s, o->remove_orphans, pg, err);
        return r;
}

static int
up_run(struct cli_globals *g, struct up_opts *o, int argc, char **argv, struct err *err)
{
        struct stack *s = NULL;
        struct progress pg;
        int first = up_parse(o, argc, argv, err), r;

        if (first < 0)
                return first;
        if (progress_init(&pg, g->progress, "Running", stderr, err) < 0)
                return err->code;
        if (!o->detach) {
                /* from here on, Ctrl-C means "stop the stack" (also while it starts) */
                struct sigaction sa = { .sa_handler = on_interrupt };
                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
        }
        r = stack_open(g, argv + first, STACK_MODEL | STACK_LOCK, &s, err);
        if (r == 0)
                r = prepare(s, o, argv + first, &pg, err);
        if (r == 0)
                r = run_graph(s, &o->up, &pg, err);
        progress_end(&pg);
        if (r == 0 && o->wait && !o->up.no_start)
                r = wait_ready(s, o->wait_timeout, err);
        if (r == 0 && !o->detach && !o->up.no_start && strcmp(o->what, "up") == 0) {
                /* let the next berth command on this project in while we only watch */
                close(s->lock_fd);
                s->lock_fd = -1;
                r = attach_loop(s, o, err);
        }
        stack_free(s);
        return r;
}

int
cmd_compose_up(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct up_opts o = { .what = "up" };
        int r = up_run(g, &o, argc, argv, err);

        strv_free(o.scale);
        strv_free(o.attach);
        strv_free(o.no_attach);
        return r;
}

int
cmd_compose_create(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct up_opts o = { .what = "create", .detach = true };
        int r;

        o.up.no_start = true;
        r = up_run(g, &o, argc, argv, err);
        strv_free(o.scale);
        strv_free(o.attach);
        strv_free(o.no_attach);
        return r;
}
