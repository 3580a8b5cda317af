/* `berth down`, `stop`, `start`, `restart`, `rm`, `kill`, `pause`, `unpause`: docker compose
 * v2's commands over the containers of a project. Stopping goes in reverse dependency order
 * and in parallel (a service stops once everything that depends on it has stopped), one dag
 * task per service; starting goes in dependency order, waiting for the conditions of
 * depends_on as `up` does.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "compose/container_int.h"
#include "compose/network_int.h"
#include "compose/progress.h"
#include "compose/stack.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/monitor.h"
#include "engine/store.h"
#include "engine/volume.h"
#include "net/net.h"

struct stop_ctx {
        struct stack *s;
        int timeout;      /* -1: each container's own */
        bool remove, volumes, oneoff;
        bool keep_running; /* rm without --stop: running containers stay */
        unsigned leave;    /* ctr_net_leave flags (down: CTR_NET_DEFER_NAT, then one sync) */
};

static bool
in_service(const struct stack_ctr *sc, const struct stack_service *svc, bool oneoff)
{
        return strcmp(sc->service, svc->name) == 0 && (oneoff || !sc->oneoff);
}

static int
stop_ctr(struct stop_ctx *x, struct stack_ctr *sc, int events, struct err *err)
{
        const char *name = sc->c->name;
        int r = 0;

        if (sc->running) {
                dag_event(events, "Container %s\tStopping", name);
                r = cmd_container_halt(x->s->g, sc->c, x->timeout, err);
                dag_event(events, "Container %s\t%s", name, r < 0 ? "Error" : "Stopped");
        }
        if (r < 0 || !x->remove)
                return r;
        dag_event(events, "Container %s\tRemoving", name);
        r = cmd_container_remove(x->s->g, sc->c, x->leave, err);
        if (r == 0 && x->volumes)
                r = vol_remove_anonymous(x->s->g->root, sc->c->config, err);
        dag_event(events, "Container %s\t%s", name, r < 0 ? "Error" : "Removed");
        return r;
}

static int
stop_task(size_t i, void *ctx, int events, struct err *err)
{
        struct stop_ctx *x = ctx;
        const struct stack_service *svc = &x->s->svcs[i];
        int first = 0;

        if (!svc->selected)
                return 0;
        for (size_t k = 0; k < x->s->n_ctrs; k++) {
                struct stack_ctr *sc = &x->s->ctrs[k];
                if (x->keep_running && sc->running)
                        continue;
                if (in_service(sc, svc, x->oneoff)) {
                        int r = stop_ctr(x, sc, events, err);
                        if (r < 0 && !first)
                                first = r;
                }
        }
        return first;
}

static void
on_event(size_t i, const char *text, void *ctx)
{
        (void)i;
        progress_line(ctx, text);
}

/* stop_graph: stop (and remove) the selected services' containers, dependents first. */
static int
stop_graph(struct stop_ctx *x, struct progress *pg, struct err *err)
{
        return stack_run_graph(x->s, STACK_REVERSE, stop_task, x, on_event, pg, err);
}

/* stop_rest: containers of no service in the file (orphans, or every container when only the
 * project name is known), one after another. */
static int
stop_rest(struct stop_ctx *x, bool all, struct progress *pg, struct err *err)
{
        for (size_t k = 0; k < x->s->n_ctrs; k++) {
                struct stack_ctr *sc = &x->s->ctrs[k];
                cleanup_free char *id = NULL;
                int r;
                if (stack_service_find(x->s, sc->service) >= 0 && !all)
                        continue;
                id = xasprintf("Container %s", sc->c->name);
                progress_event(pg, id, "Removing");
                r = stop_ctr(x, sc, -1, err);
                progress_event(pg, id, r < 0 ? "Error" : "Removed");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
open_stack(struct cli_globals *g, char *const *services, unsigned flags, struct stack **s,
           struct err *err)
{
        return stack_open(g, services, flags | STACK_LOCK, s, err);
}

static int
parse_timeout(const char *s, int *ret, struct err *err)
{
        char *end;
        long v = strtol(s, &end, 10);

        if (end == s || *end || v < 0 || v > 86400)
                return err_setf(err, -EINVAL, "invalid --timeout '%s'", s);
        *ret = (int)v;
        return 0;
}

/* ---- down --------------------------------------------------------------------------------- */

struct down_opts {
        int timeout;
        bool volumes, orphans;
        const char *rmi;
};

static int
down_parse(struct down_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "volumes", no_argument, NULL, 'v' },
                { "remove-orphans", no_argument, NULL, 'o' },
                { "rmi", required_argument, NULL, 'r' },
                { "timeout", required_argument, NULL, 't' },
                { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+vt:", opts, NULL)) != -1) {
                if (c == 'v')
                        o->volumes = true;
                else if (c == 'o')
                        o->orphans = true;
                else if (c == 'r')
                        o->rmi = optarg;
                else if (c == 't' && parse_timeout(optarg, &o->timeout, err) < 0)
                        return err->code;
                else if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth down --help'",
                                        argv[optind - 1]);
        }
        if (o->rmi && strcmp(o->rmi, "local") != 0 && strcmp(o->rmi, "all") != 0)
                return err_setf(err, -EINVAL, "invalid --rmi '%s': want local or all", o->rmi);
        return optind;
}

/* remove_images: --rmi all: every service's image; local: those without an image: key. */
static int
remove_images(struct stack *s, const char *rmi, struct progress *pg, struct err *err)
{
        struct store *st = NULL;
        int r = store_open(s->g->root, &st, err);

        for (size_t i = 0; r == 0 && i < s->n_svcs; i++) {
                struct image_rm_result res = { 0 };
                struct err e = { 0 };
                cleanup_free char *id = NULL;
                if (strcmp(rmi, "local") == 0 && node_map_get(s->svcs[i].node, "image"))
                        continue;
                id = xasprintf("Image %s", s->svcs[i].image);
                if (image_remove(st, s->svcs[i].image, false, &res, &e) == 0)
                        progress_event(pg, id, "Removed");
                image_rm_result_release(&res);
        }
        store_free(st);
        return r;
}

/* nat_sync: the table as the NAT state says (nothing to do when a network's removal did it) */
static int
nat_sync(struct cli_globals *g, struct err *err)
{
        struct network_paths p;
        struct err ignored = { 0 };
        int r = 0;

        network_paths_init(g, &p);
        if (fs_is_dir(p.nat_dir))
                r = net_nat_sync(&(struct net_nat){ p.nat_dir, p.table }, err ? err : &ignored);
        network_paths_release(&p);
        return r;
}

int
cmd_compose_down(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct down_opts o = { .timeout = -1 };
        struct stack *s = NULL;
        struct progress pg;
        struct stop_ctx x;
        int first = down_parse(&o, argc, argv, err), r, nets_removed = 0;

        if (first < 0)
                return first;
        if (progress_init(&pg, g->progress, "Running", stderr, err) < 0)
                return err->code;
        r = open_stack(g, NULL, STACK_NAME_ONLY, &s, err);
        if (r < 0)
                return r;
        x = (struct stop_ctx){ .s = s, .timeout = o.timeout, .volumes = o.volumes,
                               .oneoff = true };
        /* as compose: stop in reverse dependency order, then remove everything at once (a
         * removal waits for nothing, so a long depends_on chain costs only its stops) */
        r = stop_graph(&x, &pg, err);
        if (r == 0)
                r = stack_refresh(s, err);
        x.remove = true;
        /* the published ports leave the nftables table together, with the network's own
         * rules, not one nft run per container (each waits for the kernel) */
        x.leave = CTR_NET_DEFER_NAT;
        if (r == 0)
                r = stack_run_graph(s, STACK_FLAT, stop_task, &x, on_event, &pg, err);
        if (r == 0 && (o.orphans || !s->p))
                r = stop_rest(&x, !s->p, &pg, err);
        if (r == 0)
                r = stack_networks_down(s, &pg, &nets_removed, err);
        /* a network's removal applied the whole NAT state; without one, do it here */
        if (!nets_removed && r == 0)
                r = nat_sync(g, err);
        else if (!nets_removed)
                nat_sync(g, NULL); /* the first error is the one to report */
        if (r == 0 && o.volumes)
                r = stack_volumes_down(s, &pg, err);
        if (r == 0 && o.rmi && s->p)
                r = remove_images(s, o.rmi, &pg, err);
        progress_end(&pg);
        stack_free(s);
        return r;
}

/* ---- stop, rm, start, restart ------------------------------------------------------------- */

static int start_graph(struct stack *s, dag_fn fn, struct progress *pg, struct err *err);
static int start_task(size_t i, void *ctx, int events, struct err *err);

enum verb { V_STOP, V_RM, V_START, V_RESTART };

/* on_stack: open the project, then stop (dependents first) and/or start (dependencies first)
 * its selected services under a progress view. */
static int
on_stack(struct cli_globals *g, char **services, unsigned flags, enum verb v,
         struct stop_ctx *x, struct err *err)
{
        static const char *const titles[] = { "Stopping", "Removing", "Running", "Restarting" };
        struct stack *s = NULL;
        struct progress pg;
        int r = progress_init(&pg, g->progress, titles[v], stderr, err);

        if (r == 0)
                r = open_stack(g, services, flags, &s, err);
        if (r < 0)
                return r;
        x->s = s;
        if (v != V_START)
                r = stop_graph(x, &pg, err);
        if (r == 0 && v == V_RESTART)
                r = stack_refresh(s, err);
        if (r == 0 && (v == V_START || v == V_RESTART))
                r = start_graph(s, start_task, &pg, err);
        progress_end(&pg);
        if (r == 0 && v == V_RM && !s->n_ctrs)
                fprintf(stderr, "No stopped containers\n");
        stack_free(s);
        return r;
}


int
cmd_compose_stop(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = { { "timeout", required_argument, NULL, 't' }, { 0 } };
        struct stop_ctx x = { .timeout = -1 };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1)
                if (c != 't' || parse_timeout(optarg, &x.timeout, err) < 0)
                        return err_is_set(err) ? err->code
                                               : err_setf(err, -EINVAL, "unknown flag '%s'",
                                                          argv[optind - 1]);
        return on_stack(g, argv + optind, STACK_NAME_ONLY, V_STOP, &x, err);
}

int
cmd_compose_rm(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' }, { "stop", no_argument, NULL, 's' },
                { "volumes", no_argument, NULL, 'v' }, { 0 },
        };
        struct stop_ctx x = { .timeout = -1, .remove = true, .keep_running = true };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+fsv", opts, NULL)) != -1) {
                if (c == 's')
                        x.keep_running = false;
                else if (c == 'v')
                        x.volumes = true;
                else if (c != 'f')
                        return err_setf(err, -EINVAL, "unknown flag '%s'", argv[optind - 1]);
        }
        return on_stack(g, argv + optind, 0, V_RM, &x, err);
}

/* ---- start, restart ------------------------------------------------------------------------ */

static int
start_task(size_t i, void *ctx, int events, struct err *err)
{
        struct stack_up_ctx *u = ctx;
        struct stack *s = u->s;
        const struct stack_service *svc = &s->svcs[i];
        struct stack_up_opts o = { .no_recreate = true };
        struct stack_up_ctx sub = { .s = s, .o = &o };
        cleanup_free struct stack_ctr **cs = NULL;

        if (!svc->selected)
                return 0;
        cs = stack_ctrs_of(s, svc->name);
        if (!cs[0])
                return 0; /* compose start leaves services without containers alone */
        return stack_up_task(i, &sub, events, err);
}

static int
start_graph(struct stack *s, dag_fn fn, struct progress *pg, struct err *err)
{
        struct stack_up_opts o = { .no_recreate = true };
        struct stack_up_ctx ctx = { .s = s, .o = &o };

        return stack_run_graph(s, STACK_FORWARD, fn, &ctx, on_event, pg, err);
}

static int
no_flags(const char *cmd, int argc, char **argv, struct err *err)
{
        for (int i = 1; i < argc; i++)
                if (argv[i][0] == '-')
                        return err_setf(err, -EINVAL, "unknown flag '%s' for '%s'", argv[i], cmd);
        return 1;
}

int
cmd_compose_start(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct stop_ctx x = { .timeout = -1 };
        int r = no_flags("start", argc, argv, err);

        return r < 0 ? r : on_stack(g, argv + 1, STACK_MODEL, V_START, &x, err);
}

int
cmd_compose_restart(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "timeout", required_argument, NULL, 't' }, { "no-deps", no_argument, NULL, 'n' },
                { 0 },
        };
        struct stop_ctx x = { .timeout = -1 };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1)
                if (c == '?' || (c == 't' && parse_timeout(optarg, &x.timeout, err) < 0))
                        return err_is_set(err) ? err->code
                                               : err_setf(err, -EINVAL, "unknown flag '%s'",
                                                          argv[optind - 1]);
        return on_stack(g, argv + optind, STACK_MODEL, V_RESTART, &x, err);
}

/* ---- kill, pause, unpause ------------------------------------------------------------------ */

static int
request_all(struct cli_globals *g, int argc, char **argv, const char *verb, const char *req,
            const char *done, struct err *err)
{
        struct stack *s = NULL;
        struct progress pg;
        int r, first = 0;

        if (progress_init(&pg, g->progress, verb, stderr, err) < 0)
                return err->code;
        r = open_stack(g, argv, 0, &s, err);
        if (r < 0)
                return r;
        (void)argc;
        for (size_t k = 0; k < s->n_ctrs; k++) {
                struct stack_ctr *sc = &s->ctrs[k];
                ssize_t i = stack_service_find(s, sc->service);
                cleanup_free char *reply = NULL;
                cleanup_free char *id = xasprintf("Container %s", sc->c->name);
                if (sc->oneoff || i < 0 || !s->svcs[i].selected || !sc->running)
                        continue;
                r = monitor_request(sc->c, req, &reply, err);
                if (r == 0 && reply && strncmp(reply, "error", 5) == 0)
                        r = err_setf(err, -EIO, "%s %s: %s", verb, sc->c->name, reply + 6);
                progress_event(&pg, id, r < 0 ? "Error" : done);
                if (r < 0 && !first)
                        first = r;
        }
        progress_end(&pg);
        stack_free(s);
        return first;
}

int
cmd_compose_kill(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "signal", required_argument, NULL, 's' },
                { "remove-orphans", no_argument, NULL, 'o' }, { 0 },
        };
        cleanup_free char *req = NULL;
        const char *sig = "SIGKILL";
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+s:", opts, NULL)) != -1) {
                if (c == 's')
                        sig = optarg;
                else if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s'", argv[optind - 1]);
        }
        if (monitor_parse_signal(sig) < 0)
                return err_setf(err, -EINVAL, "invalid signal '%s'", sig);
        req = xasprintf("kill %d", monitor_parse_signal(sig));
        return request_all(g, argc - optind, argv + optind, "Killing", req, "Killed", err);
}
