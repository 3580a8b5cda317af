/* cmd_container_ops: `container start|stop|kill|rm|wait`, through the monitor's socket
 * (engine/monitor.h) when one runs, and straight on the record and the runtime otherwise.
 *
 * rm -f works whatever state a crash left: it asks a live monitor to stop at once, waits for
 * it to go, then rt_delete() kills any process left in the container's cgroups and removes
 * them (needing only the run dir), and the record goes last.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/syscall.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "compose/container_int.h"
#include "engine/jsonx.h"
#include "engine/monitor.h"
#include "engine/runtime.h"
#include "engine/volume.h"

#define MONITOR_EXIT_WAIT_MS 5000

static int
open_with_state(struct cli_globals *g, const char *ref, struct ctr **ret_c,
                json_object **ret_st, struct err *err)
{
        int r = ctr_open(g->root, g->run_root, ref, ret_c, err);

        if (r < 0)
                return r;
        r = ctr_state_read(*ret_c, ret_st, err);
        if (r < 0)
                *ret_c = ctr_free(*ret_c);
        return r;
}

static int
running(const struct ctr *c, json_object *st)
{
        return cmd_container_alive(c, st);
}

/* start_one: start ref unless it runs. Attached (-a), returns the container's exit code as
 * run does: the monitor relays its output (and with -i our stdin) and reports the exit. */
static int
start_one(struct cli_globals *g, const char *ref, int attach, int interactive, struct err *err)
{
        struct ctr *c = NULL;
        json_object *st = NULL;
        int r = open_with_state(g, ref, &c, &st, err), up;

        if (r < 0)
                return r;
        up = running(c, st); /* one connect to the monitor's socket */
        if (up && attach) {
                r = err_setf(err, -ENOTSUP, "container %s is running: attaching to a running "
                                            "container is not available", ref);
        } else if (!up) {
                struct err e = { 0 };
                rt_delete(c->run_dir, &e); /* leftovers of a monitor that died */
                r = cmd_container_net_repair(g, c, err);
                if (r == 0)
                        r = cmd_container_spawn(g, c, attach, interactive, err);
                if (!attach && r > 0 && !err_is_set(err))
                        err_setf(err, -EIO, "start %s: exit code %d", ref, r);
                if (!attach && r > 0)
                        r = err->code;
        }
        if (r >= 0 && !attach)
                printf("%s\n", ref);
        json_object_put(st);
        ctr_free(c);
        if (attach && err_is_set(err)) /* 125, or the 126/127 of a command that cannot run */
                return err_exit_code(err, r > 0 ? r : 125, err->code);
        return r < 0 ? err_prefix(err, "start %s", ref) : r;
}

int
cmd_container_start(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "attach", no_argument, NULL, 'a' },
                { "interactive", no_argument, NULL, 'i' },
                { "detach-keys", required_argument, NULL, 'k' },
                { 0 },
        };
        int attach = 0, interactive = 0, c, r = 0;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+ai", opts, NULL)) != -1) {
                if (c == 'a')
                        attach = 1;
                else if (c == 'i')
                        interactive = 1;
                else if (c == 'k')
                        return err_setf(err, -ENOTSUP, "--detach-keys is not available");
                else
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container start'",
                                        argv[optind - 1]);
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'container start' requires at least 1 argument");
        /* -i attaches stdin, and so the container's output too, as docker start -i does */
        attach |= interactive;
        if (attach && argc - optind > 1)
                return err_setf(err, -EINVAL, "you cannot start and attach multiple containers "
                                              "at once");
        for (int i = optind; i < argc && r >= 0; i++)
                r = start_one(g, argv[i], attach, interactive, err);
        return r;
}

/* monitor_pidfd: a pidfd of the container's monitor (state.json's MonitorPid), or -1. Whom
 * it names is only known once monitor_alive() says the monitor still runs after it was
 * opened. */
static int
monitor_pidfd(const struct ctr *c)
{
        json_object *st = NULL;
        int64_t pid;
        int fd;

        if (ctr_state_read(c, &st, &(struct err){ 0 }) < 0)
                return -1;
        pid = jsonx_int(st, "MonitorPid", 0);
        json_object_put(st);
        fd = pid > 1 && pid < INT32_MAX ? (int)syscall(SYS_pidfd_open, (pid_t)pid, 0) : -1;
        return fd;
}

/* wait_monitor_gone: a monitor that said its container exited may still be cleaning up;
 * it closes its socket last. Waits on its pidfd (no polling delay: each level of a stack's
 * stop waits here), else checks the socket every 5 ms. */
static void
wait_monitor_gone(const struct ctr *c)
{
        cleanup_close int pfd = monitor_pidfd(c);

        if (!monitor_alive(c))
                return;
        if (pfd >= 0) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };

                if (poll(&p, 1, MONITOR_EXIT_WAIT_MS) >= 0)
                        return;
        }
        for (int i = 0; i < MONITOR_EXIT_WAIT_MS / 5 && monitor_alive(c); i++)
                nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
}

static int
exit_code_of(const char *reply)
{
        long v = strncmp(reply, "exited ", 7) == 0 ? strtol(reply + 7, NULL, 10) : -1;

        return v >= -1 && v <= 255 ? (int)v : -1;
}

int
cmd_container_halt(struct cli_globals *g, const struct ctr *c, int secs, struct err *err)
{
        cleanup_free char *reply = NULL;
        cleanup_free char *req = NULL;
        json_object *st = NULL;
        int r = ctr_state_read(c, &st, err);

        (void)g;
        if (r < 0)
                return r;
        if (running(c, st)) {
                if (secs < 0)
                        secs = (int)jsonx_int(c->config, "StopTimeout", 10);
                req = xasprintf("stop %d", secs);
                r = monitor_request(c, req, &reply, err);
                if (r >= 0)
                        wait_monitor_gone(c);
        }
        json_object_put(st);
        return r < 0 ? r : 0;
}

static int
stop_one(struct cli_globals *g, const char *ref, const char *secs, int print, struct err *err)
{
        struct ctr *c = NULL;
        int r = ctr_open(g->root, g->run_root, ref, &c, err);

        if (r < 0)
                return r;
        r = cmd_container_halt(g, c, secs ? (int)strtol(secs, NULL, 10) : -1, err);
        if (r >= 0 && print)
                printf("%s\n", ref);
        ctr_free(c);
        return r;
}

/* stop_time: a --time value (seconds, -1 = wait for ever, at most a day) into *ret. */
static int
stop_time(const char *s, const char **ret, struct err *err)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < -1 || v > 86400)
                return err_setf(err, -EINVAL, "invalid --time '%s'", s);
        *ret = s;
        return 0;
}

int
cmd_container_stop(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "time", required_argument, NULL, 't' },
                { "timeout", required_argument, NULL, 't' },
                { "signal", required_argument, NULL, 's' },
                { 0 },
        };
        const char *secs = NULL;
        int c, r = 0;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "t:s:", opts, NULL)) != -1) {
                if (c == 't') {
                        if (stop_time(optarg, &secs, err) < 0)
                                return err->code;
                } else if (c == 's') {
                        return err_setf(err, -ENOTSUP, "'container stop --signal' is not "
                                        "available yet (use --stop-signal at run)");
                } else {
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container stop'",
                                        argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'container stop' requires at least 1 argument");
        for (int i = optind; i < argc && r >= 0; i++)
                r = stop_one(g, argv[i], secs, 1, err);
        return r;
}

/* cmd_container_restart: `container restart [-t N] CONTAINER...`: stop (when running, with
 * the stop signal and SIGKILL after N seconds), then start again. */
int
cmd_container_restart(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "time", required_argument, NULL, 't' },
                { "timeout", required_argument, NULL, 't' },
                { 0 },
        };
        const char *secs = NULL;
        int c, r = 0;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
                if (c != 't')
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container restart'",
                                        argv[optind - 1]);
                if (stop_time(optarg, &secs, err) < 0)
                        return err->code;
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'container restart' requires at least 1 argument");
        for (int i = optind; i < argc && r >= 0; i++) {
                r = stop_one(g, argv[i], secs, 0, err);
                if (r >= 0)
                        r = start_one(g, argv[i], 0, 0, err);
        }
        return r;
}

static int
kill_one(struct cli_globals *g, const char *ref, const char *sig, struct err *err)
{
        struct ctr *c = NULL;
        json_object *st = NULL;
        cleanup_free char *reply = NULL;
        cleanup_free char *req = xasprintf("kill %s", sig);
        int r = open_with_state(g, ref, &c, &st, err);

        if (r < 0)
                return r;
        if (!running(c, st))
                r = err_setf(err, -ESRCH, "cannot kill container %s: container %s is not running",
                             ref, c->id);
        if (r >= 0)
                r = monitor_request(c, req, &reply, err);
        if (r >= 0 && strncmp(reply, "ok", 2) != 0)
                r = err_setf(err, -EIO, "cannot kill container %s: %s", ref,
                             strncmp(reply, "error ", 6) == 0 ? reply + 6 : reply);
        if (r >= 0)
                printf("%s\n", ref);
        json_object_put(st);
        ctr_free(c);
        return r;
}

int
cmd_container_kill(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "signal", required_argument, NULL, 's' },
                { 0 },
        };
        const char *sig = "KILL";
        int c, r = 0;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
                if (c != 's')
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container kill'",
                                        argv[optind - 1]);
                sig = optarg;
        }
        if (monitor_parse_signal(sig) < 0)
                return err_setf(err, -EINVAL, "invalid signal '%s'", sig);
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'container kill' requires at least 1 argument");
        for (int i = optind; i < argc && r >= 0; i++)
                r = kill_one(g, argv[i], sig, err);
        return r;
}

int
cmd_container_remove(struct cli_globals *g, struct ctr *c, unsigned flags, struct err *err)
{
        cleanup_free char *sock = NULL;
        json_object *st = NULL;
        struct err e = { 0 };
        int r;

        ctr_state_read(c, &st, &e);
        if (running(c, st)) {
                char *reply = NULL;
                if (monitor_request(c, "stop 0", &reply, &e) >= 0)
                        wait_monitor_gone(c);
                free(reply);
        }
        json_object_put(st);
        sock = xasprintf("%s/%s", c->run_dir, MONITOR_SOCK);
        unlink(sock); /* left by a monitor killed with -9; rt_delete removes an empty run dir */
        r = rt_delete(c->run_dir, err);
        if (r < 0)
                return r;
        ctr_image_unhold(g->root, c->id);
        r = ctr_net_leave(c, flags, err);
        if (r < 0)
                return r;
        r = ctr_remove(c, err);
        return r == -ENOENT ? 0 : r;
}

static int
rm_one(struct cli_globals *g, const char *ref, int force, int volumes, struct err *err)
{
        struct ctr *c = NULL;
        json_object *st = NULL;
        int r = open_with_state(g, ref, &c, &st, err);

        if (r < 0)
                return r;
        if (!force && running(c, st))
                r = err_setf(err, -EBUSY,
                             "cannot remove container \"/%s\": container is running: stop the "
                             "container before removing or force remove", c->name);
        if (r >= 0)
                r = cmd_container_remove(g, c, 0, err);
        if (r >= 0 && volumes) /* -v: its anonymous volumes */
                r = vol_remove_anonymous(g->root, c->config, err);
        if (r >= 0)
                printf("%s\n", ref);
        json_object_put(st);
        ctr_free(c);
        return r;
}

int
cmd_container_rm(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "volumes", no_argument, NULL, 'v' },
                { "link", no_argument, NULL, 'l' },
                { 0 },
        };
        int c, r = 0, force = 0, volumes = 0;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "fvl", opts, NULL)) != -1) {
                if (c == 'f')
                        force = 1;
                else if (c == 'v')
                        volumes = 1;
                else
                        return err_setf(err, -ENOTSUP, "'container rm %s' is not available",
                                        argv[optind - 1]);
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'container rm' requires at least 1 argument");
        for (int i = optind; i < argc && r >= 0; i++)
                r = rm_one(g, argv[i], force, volumes, err);
        return r;
}

static int
wait_one(struct cli_globals *g, const char *ref, struct err *err)
{
        struct ctr *c = NULL;
        json_object *st = NULL;
        cleanup_free char *reply = NULL;
        int code = -1;
        int r = open_with_state(g, ref, &c, &st, err);

        if (r < 0)
                return r;
        if (running(c, st) && monitor_request(c, "wait", &reply, &(struct err){ 0 }) >= 0)
                code = exit_code_of(reply);
        if (code < 0) {
                json_object *st2 = NULL;
                if (ctr_state_read(c, &st2, &(struct err){ 0 }) >= 0) {
                        code = json_object_get_int(json_object_object_get(st2, "ExitCode"));
                        json_object_put(st2);
                }
        }
        printf("%d\n", code < 0 ? 0 : code);
        json_object_put(st);
        ctr_free(c);
        return 0;
}

int
cmd_container_wait(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        int r = 0;

        if (argc < 2)
                return err_setf(err, -EINVAL, "'container wait' requires at least 1 argument");
        for (int i = 1; i < argc && r >= 0; i++)
                r = wait_one(g, argv[i], err);
        return r;
}
