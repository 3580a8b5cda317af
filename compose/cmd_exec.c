/* `berth exec`, `run`, `pause`, `unpause`, `top`: docker compose v2's commands that act on one
 * service's containers through the container commands (compose/cmd_container*.c).
 *
 * `run` makes a one-off container, <project>-<service>-run-<12 hex> with the label
 * com.docker.compose.oneoff=True, from the service's config with run's overrides (no
 * published ports unless --service-ports), starts the service's dependencies first (unless
 * --no-deps) and exits with the container's code.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/random.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "compose/container_int.h"
#include "compose/progress.h"
#include "compose/stack.h"

/* service_ctr: container number index (1-based) of service name. */
static int
service_ctr(struct stack *s, const char *name, int index, struct stack_ctr **ret, struct err *err)
{
        cleanup_free struct stack_ctr **cs = NULL;

        if (stack_service_find(s, name) < 0)
                return err_setf(err, -ENOENT, "no such service: %s", name);
        cs = stack_ctrs_of(s, name);
        for (size_t i = 0; cs[i]; i++)
                if (cs[i]->number == index && cs[i]->running) {
                        *ret = cs[i];
                        return 0;
                }
        return err_setf(err, -ENOENT, "service \"%s\" is not running", name);
}

/* ---- exec ---------------------------------------------------------------------------------- */

int
cmd_compose_exec(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "detach", no_argument, NULL, 'd' }, { "env", required_argument, NULL, 'e' },
                { "user", required_argument, NULL, 'u' }, { "workdir", required_argument, NULL, 'w' },
                { "index", required_argument, NULL, 'I' }, { "privileged", no_argument, NULL, 'P' },
                { "no-TTY", no_argument, NULL, 'T' }, { "interactive", no_argument, NULL, 'i' },
                { "tty", no_argument, NULL, 't' }, { 0 },
        };
        cleanup_strv char **args = NULL;
        struct stack *s = NULL;
        struct stack_ctr *sc = NULL;
        int c, r, index = 1, tty = isatty(0) && isatty(1);

        strv_add(&args, "exec");
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+de:u:w:Tit", opts, NULL)) != -1) {
                switch (c) {
                case 'd': strv_add(&args, "-d"); tty = 0; break;
                case 'e': strv_add(&args, "-e"); strv_add(&args, optarg); break;
                case 'u': strv_add(&args, "-u"); strv_add(&args, optarg); break;
                case 'w': strv_add(&args, "-w"); strv_add(&args, optarg); break;
                case 'P': strv_add(&args, "--privileged"); break;
                case 'T': tty = 0; break;
                case 'i': case 't': break;
                case 'I':
                        index = (int)strtol(optarg, NULL, 10);
                        if (index < 1 || index > STACK_REPLICAS_MAX)
                                return err_setf(err, -EINVAL, "invalid --index '%s'", optarg);
                        break;
                default:
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth exec --help'",
                                        argv[optind - 1]);
                }
        }
        if (argc - optind < 2)
                return err_setf(err, -EINVAL, "'exec' requires at least 2 arguments: SERVICE COMMAND");
        char *only[] = { argv[optind], NULL };
        r = stack_open(g, only, STACK_MODEL, &s, err);
        if (r == 0)
                r = service_ctr(s, argv[optind], index, &sc, err);
        if (r == 0) {
                /* compose exec is interactive by default; -T turns the terminal off */
                strv_add(&args, "-i");
                if (tty)
                        strv_add(&args, "-t");
                strv_add(&args, sc->c->id);
                for (int i = optind + 1; i < argc; i++)
                        strv_add(&args, argv[i]);
                r = cmd_container_exec(g, (int)strv_length(args), args, err);
        }
        stack_free(s);
        return r;
}

/* ---- run ----------------------------------------------------------------------------------- */

struct run_opts {
        struct stack_run_over ov;
        bool rm, detach, no_deps, no_tty;
        char *name;
};

static int
run_opt(struct run_opts *o, int c, struct err *err)
{
        switch (c) {
        case 'd': o->detach = true; strv_add(&o->ov.flags, "-d"); return 0;
        case 'R': o->rm = true; strv_add(&o->ov.flags, "--rm"); return 0;
        case 'N': o->no_deps = true; return 0;
        case 'S': o->ov.service_ports = true; return 0;
        case 'T': o->no_tty = true; return 0;
        case 'n': free(o->name); o->name = xstrdup(optarg); return 0;
        case 'E': o->ov.entrypoint = optarg; o->ov.has_entrypoint = true; return 0;
        case 'e': case 'u': case 'w': case 'l': case 'v': case 'p': {
                char flag[3] = { '-', (char)c, 0 };
                strv_add(&o->ov.flags, flag);
                strv_add(&o->ov.flags, optarg);
                return 0;
        }
        case 'i': case 't': case 'P': case 'q': return 0;
        default: return err_setf(err, -EINVAL, "unknown flag; see 'berth run --help'");
        }
}

static int
run_parse(struct run_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "detach", no_argument, NULL, 'd' }, { "rm", no_argument, NULL, 'R' },
                { "no-deps", no_argument, NULL, 'N' }, { "service-ports", no_argument, NULL, 'S' },
                { "no-TTY", no_argument, NULL, 'T' }, { "name", required_argument, NULL, 'n' },
                { "entrypoint", required_argument, NULL, 'E' }, { "env", required_argument, NULL, 'e' },
                { "user", required_argument, NULL, 'u' }, { "workdir", required_argument, NULL, 'w' },
                { "label", required_argument, NULL, 'l' }, { "volume", required_argument, NULL, 'v' },
                { "publish", required_argument, NULL, 'p' }, { "interactive", no_argument, NULL, 'i' },
                { "tty", no_argument, NULL, 't' }, { "pull", required_argument, NULL, 'P' },
                { "quiet-pull", no_argument, NULL, 'q' }, { 0 },
        };
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+de:u:w:l:v:p:itT", opts, NULL)) != -1) {
                if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth run --help'",
                                        argv[optind - 1]);
                r = run_opt(o, c, err);
                if (r < 0)
                        return r;
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'run' requires at least 1 argument: SERVICE");
        if (optind + 1 < argc)
                o->ov.command = argv + optind + 1;
        return optind;
}

/* run_deps: the service's dependencies, started as `up -d` would. */
static int
run_deps(struct stack *s, size_t svc, struct progress *pg, struct err *err)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                s->svcs[i].selected = false;
        for (size_t k = 0; k < s->svcs[svc].n_deps; k++)
                s->svcs[s->svcs[svc].deps[k].svc].selected = true;
        return stack_up_selected(s, pg, err);
}

static int
run_create(struct cli_globals *g, struct stack *s, const struct stack_service *svc,
           struct run_opts *o, struct ctr **ret, struct err *err)
{
        cleanup_strv char **argv = NULL;
        json_object *extra = NULL;
        uint8_t rnd[6];
        int r;

        if (!o->name) {
                if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return err_setf(err, -EIO, "getrandom failed");
                o->name = xasprintf("%s-%s-run-%02x%02x%02x%02x%02x%02x", s->name, svc->name,
                                    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
        }
        o->ov.name = o->name;
        if (!o->detach && !o->no_tty && isatty(0) && isatty(1))
                strv_add(&o->ov.flags, "-t");
        if (!o->detach)
                strv_add(&o->ov.flags, "-i");
        r = stack_service_args(s, svc, 0, &o->ov, &argv, &extra, err);
        if (r == 0)
                r = cmd_container_create_ex(g, (int)strv_length(argv), argv, extra, ret, err);
        json_object_put(extra);
        return r;
}

int
cmd_compose_run(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct run_opts o = { 0 };
        struct stack *s = NULL;
        struct ctr *c = NULL;
        struct progress pg;
        ssize_t svc = -1;
        int first = run_parse(&o, argc, argv, err), r;

        r = first < 0 ? first : progress_init(&pg, g->progress, "Running", stderr, err);
        char *only[] = { first >= 0 ? argv[first] : NULL, NULL };
        if (r == 0)
                r = stack_open(g, only, STACK_MODEL | STACK_LOCK, &s, err);
        if (r == 0 && (svc = stack_service_find(s, argv[first])) < 0)
                r = err_setf(err, -ENOENT, "no such service: %s", argv[first]);
        if (r == 0)
                r = stack_resources_up(s, &pg, err);
        if (r == 0 && !o.no_deps)
                r = run_deps(s, (size_t)svc, &pg, err);
        if (r >= 0)
                progress_end(&pg);
        if (r == 0)
                r = stack_image_id(s, s->svcs[svc].image, &s->svcs[svc].image_id, err);
        if (r == 0)
                r = run_create(g, s, &s->svcs[svc], &o, &c, err);
        if (s && s->lock_fd >= 0) {
                close(s->lock_fd); /* the one-off may run for long: let others in */
                s->lock_fd = -1;
        }
        if (r == 0) {
                int interactive = !o.detach;
                r = cmd_container_spawn(g, c, !o.detach, interactive, err);
                if (o.detach && r == 0)
                        printf("%s\n", c->name);
        }
        ctr_free(c);
        stack_free(s);
        strv_free(o.ov.flags);
        free(o.name);
        return r;
}

/* ---- pause, unpause, top ------------------------------------------------------------------- */

/* each_ctr: run fn(g, {verb, id}) for the running containers of the named (or all) services. */
static int
each_ctr(struct cli_globals *g, char **services, const char *verb,
         int (*fn)(struct cli_globals *, int, char **, struct err *), bool header,
         struct err *err)
{
        struct stack *s = NULL;
        int r = stack_open(g, services, STACK_MODEL, &s, err), first = 0;

        for (size_t k = 0; r == 0 && k < s->n_ctrs; k++) {
                struct stack_ctr *sc = &s->ctrs[k];
                ssize_t i = stack_service_find(s, sc->service);
                cleanup_free char *v = xstrdup(verb);
                char *args[3] = { v, sc->c->id, NULL };
                if (sc->oneoff || i < 0 || !s->svcs[i].selected || !sc->running)
                        continue;
                if (header)
                        printf("%s\n", sc->c->name);
                fflush(stdout);
                r = fn(g, 2, args, err);
                if (header)
                        printf("\n");
                if (r < 0 && !first)
                        first = r;
                r = 0;
        }
        stack_free(s);
        return r < 0 ? r : first;
}

int
cmd_compose_pause(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        (void)argc;
        return each_ctr(g, argv + 1, "pause", cmd_container_pause, false, err);
}

int
cmd_compose_unpause(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        (void)argc;
        return each_ctr(g, argv + 1, "unpause", cmd_container_unpause, false, err);
}

int
cmd_compose_top(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        (void)argc;
        return each_ctr(g, argv + 1, "top", cmd_container_top, true, err);
}

/* ---- cp ------------------------------------------------------------------------------------ */

/* cp_arg: "SERVICE:PATH" as "<container id>:PATH" (owned); a host path is copied as it is. */
static int
cp_arg(struct stack *s, const char *arg, int index, char **ret, struct err *err)
{
        const char *colon = strchr(arg, ':');
        cleanup_free char *svc = NULL;
        struct stack_ctr *sc = NULL;
        int r;

        if (!colon || arg[0] == '/' || arg[0] == '.' || strcmp(arg, "-") == 0) {
                *ret = xstrdup(arg);
                return 0;
        }
        svc = xstrndup(arg, (size_t)(colon - arg));
        r = service_ctr(s, svc, index, &sc, err);
        if (r < 0)
                return r;
        *ret = xasprintf("%s:%s", sc->c->id, colon + 1);
        return 0;
}

int
cmd_compose_cp(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "archive", no_argument, NULL, 'a' }, { "follow-link", no_argument, NULL, 'L' },
                { "index", required_argument, NULL, 'I' }, { "all", no_argument, NULL, 'x' },
                { 0 },
        };
        cleanup_strv char **args = NULL;
        cleanup_free char *src = NULL;
        cleanup_free char *dst = NULL;
        struct stack *s = NULL;
        int c, r, index = 1;

        strv_add(&args, "cp");
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+aL", opts, NULL)) != -1) {
                if (c == 'a' || c == 'L') {
                        char flag[3] = { '-', (char)c, 0 };
                        strv_add(&args, flag);
                } else if (c == 'I') {
                        index = (int)strtol(optarg, NULL, 10);
                        if (index < 1 || index > STACK_REPLICAS_MAX)
                                return err_setf(err, -EINVAL, "invalid --index '%s'", optarg);
                } else if (c != 'x') {
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth cp --help'",
                                        argv[optind - 1]);
                }
        }
        if (argc - optind != 2)
                return err_setf(err, -EINVAL, "'cp' requires exactly 2 arguments: "
                                "SERVICE:SRC_PATH DEST_PATH|- or SRC_PATH|- SERVICE:DEST_PATH");
        r = stack_open(g, NULL, STACK_MODEL, &s, err);
        if (r == 0)
                r = cp_arg(s, argv[optind], index, &src, err);
        if (r == 0)
                r = cp_arg(s, argv[optind + 1], index, &dst, err);
        if (r == 0) {
                strv_add(&args, src);
                strv_add(&args, dst);
                r = cmd_container_cp(g, (int)strv_length(args), args, err);
        }
        stack_free(s);
        return r;
}
