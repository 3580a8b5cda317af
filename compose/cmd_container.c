/* cmd_container: `berth container …` (docker container's subcommands), and how the CLI
 * starts a container's monitor, the small executable berth-monitor (engine/monitor.h).
 *
 * Starting a monitor: vfork, setsid, stdio on /dev/null (stdin kept for -i), and for an
 * attached run our stdout/stderr as fds 3/4; fd 5 is a status pipe on which the monitor says
 * "S" when the command runs and "CODE[ WHY]" when it first exits (monitor.h). Then fexecve of
 * berth-monitor protected against CVE-2019-5736 from the start (monitor_exe_open: a
 * read-only private clone, or a sealed copy; opened before the vfork, so a missing or
 * unreadable berth-monitor is an error of the command).
 * With -t the monitor owns the container's pty and relays it; an attached CLI with -i puts
 * its terminal in raw mode and sends "resize ROWS COLS" to the monitor on SIGWINCH.
 *
 * Exit codes as docker run's: the container's code when attached, 125 when berth failed before
 * the container ran, 126/127 when its command cannot be run (err->exit_code, printed by main).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>
#include <termios.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "compose/cli.h"
#include "compose/container_int.h"
#include "engine/jsonx.h"
#include "engine/monitor.h"
#include "engine/runtime.h"

extern char **environ;

/* The signal an attached run got, to forward to the container. The one mutable global
 * outside main.c: a signal handler has no other way to say what it saw. */
static volatile sig_atomic_t g_signal;

static void
on_signal(int sig)
{
        g_signal = sig;
}

/* monitor_child: in the child after vfork: stdio and fds 3-5 as monitor.h says, then
 * fexecve of exe_fd, the protected berth-monitor. Only system calls: the child borrows our
 * memory until it execs (no allocation, no stdio, nothing that writes a variable of ours). */
static void __attribute__((noreturn))
monitor_child(int exe_fd, const char *root, const struct ctr *c, int attach, int interactive,
              int status_w)
{
        int devnull = open("/dev/null", O_RDWR);
        int hi = 100; /* parking fds hi..hi+3: above every fd still to be moved */
        const char *argv[] = { MONITOR_EXE, "--root", root, "container", "__monitor",
                               attach ? "--attach" : "--detached", c->id, NULL };

        if (exe_fd >= hi)
                hi = exe_fd + 1;
        if (status_w >= hi)
                hi = status_w + 1;
        if (devnull >= hi)
                hi = devnull + 1;
        setsid();
        /* move what becomes 3, 4, 5 out of the way first: they may be any of 0..5 now */
        if (dup3(exe_fd, hi + 3, O_CLOEXEC) < 0)
                _exit(125);
        if (attach) {
                dup2(1, hi);
                dup2(2, hi + 1);
        }
        dup2(status_w, hi + 2);
        if (!interactive)
                dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (attach) {
                dup2(hi, MONITOR_FD_ATTACH_OUT);
                dup2(hi + 1, MONITOR_FD_ATTACH_ERR);
        }
        dup2(hi + 2, MONITOR_FD_STATUS);
        /* the rest closes at the exec; the copy of the executable must stay open until then */
        close_range(MONITOR_FD_STATUS + 1, ~0U, CLOSE_RANGE_CLOEXEC);
        if (!attach) {
                close(MONITOR_FD_ATTACH_OUT);
                close(MONITOR_FD_ATTACH_ERR);
        }
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        fexecve(hi + 3, (char **)argv, environ);
        _exit(125);
}

/* spawn_monitor: vfork and exec the monitor: copying the CLI's address space for a fork
 * costs 0.3 ms, and a second fork (to hand the monitor to init at once) as much again. The
 * monitor is our child until we exit, then init's (or the nearest subreaper's), which reaps
 * it; nothing here waits for it. Returns the pid or -errno. */
static pid_t
spawn_monitor(int exe_fd, const char *root, const struct ctr *c, int attach, int interactive,
              int status_w)
{
        pid_t pid = vfork();

        if (pid == 0)
                monitor_child(exe_fd, root, c, attach, interactive, status_w);
        return pid < 0 ? -errno : pid;
}

/* read_status: one line from the status pipe; forwards SIGINT/SIGTERM to the container
 * while waiting. Returns the line's length, 0 at EOF. */
static ssize_t
read_status(const struct ctr *c, int fd, char *buf, size_t size)
{
        size_t len = 0;

        while (len + 1 < size) {
                ssize_t n = read(fd, buf + len, 1);
                if (n < 0 && errno == EINTR && g_signal) {
                        char req[32], *reply = NULL;
                        struct err e = { 0 };
                        unsigned short rows, cols;
                        if (g_signal != SIGWINCH)
                                snprintf(req, sizeof(req), "kill %d", (int)g_signal);
                        else if (cmd_container_tty_size(&rows, &cols))
                                snprintf(req, sizeof(req), "resize %u %u", rows, cols);
                        else
                                req[0] = 0;
                        g_signal = 0;
                        if (req[0])
                                monitor_request(c, req, &reply, &e);
                        free(reply);
                        continue;
                }
                if (n <= 0 || buf[len] == '\n')
                        break;
                len++;
        }
        buf[len] = 0;
        return (ssize_t)len;
}

static int
code_of(const char *line, struct err *err)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(line, &end, 10);
        if (errno || end == line || v < -1 || v > 255)
                return err_setf(err, -EPROTO, "the monitor sent a bad status line");
        if (*end == ' ')
                err_setf(err, v == 126 || v == 127 ? -EACCES : -EIO, "%s", end + 1);
        return (int)v;
}

/* await_monitor: read the status pipe: "S" when the command runs, then (attached) its exit. */
static int
await_monitor(const struct ctr *c, int fd, int attach, struct err *err)
{
        struct sigaction sa = { .sa_handler = on_signal };
        char line[ERR_MSG_MAX + 32];
        int code;

        if (attach) {
                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
                sigaction(SIGWINCH, &sa, NULL);
        }
        if (read_status(c, fd, line, sizeof(line)) <= 0)
                return err_setf(err, -EIO, "start container %s: the monitor exited", c->name);
        if (strcmp(line, "S") != 0) {
                code = code_of(line, err);
                return code < 0 ? code : code ? code : 125;
        }
        if (!attach)
                return 0;
        if (read_status(c, fd, line, sizeof(line)) <= 0)
                return err_setf(err, -EIO, "wait for container %s: the monitor exited", c->name);
        return code_of(line, err);
}

int
cmd_container_spawn(struct cli_globals *g, struct ctr *c, int attach, int interactive,
                    struct err *err)
{
        cleanup_free char *cwd = NULL;
        cleanup_free char *root = NULL, *exe = NULL;
        cleanup_close int exe_fd = -1;
        struct termios saved;
        int p[2], code, raw;
        pid_t pid;

        code = path_getcwd(&cwd, err);
        if (code == 0)
                code = monitor_exe_path(&exe, err);
        if (code == 0)
                code = monitor_exe_open(g->run_root, exe, &exe_fd, err);
        if (code < 0)
                return code;
        root = path_abs(cwd, g->root);
        if (pipe2(p, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "create pipe: %s", strerror(errno));
        fflush(stdout);
        pid = spawn_monitor(exe_fd, root, c, attach, interactive, p[1]);
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return err_setf(err, pid, "start the monitor: %s", strerror(-pid));
        }
        close(p[1]);
        close(TAKE_FD(exe_fd));
        /* -it: every key goes to the container's pty (the monitor reads our stdin) */
        raw = attach && interactive && jsonx_bool(c->config, "Tty") && cmd_container_tty_raw(&saved);
        code = await_monitor(c, p[0], attach, err);
        if (raw)
                cmd_container_tty_restore(&saved);
        close(p[0]);
        return code;
}

static void
usage(void)
{
        printf("Usage: berth container COMMAND\n\nManage containers\n\nCommands:\n"
               "  cp       Copy files/folders between a container and the local filesystem\n"
               "  create   Create a new container\n"
               "  exec     Execute a command in a running container\n"
               "  inspect  Display detailed information on one or more containers\n"
               "  kill     Kill one or more running containers\n"
               "  logs     Fetch the logs of a container\n"
               "  pause    Pause all processes within one or more containers\n"
               "  ls       List containers\n"
               "  port     List port mappings of a container\n"
               "  restart  Restart one or more containers\n"
               "  rm       Remove one or more containers\n"
               "  run      Create and run a new container from an image\n"
               "  start    Start one or more stopped containers\n"
               "  stop     Stop one or more running containers\n"
               "  top      Display the running processes of a container\n"
               "  unpause  Unpause all processes within one or more containers\n"
               "  wait     Block until one or more containers stop, then print their exit codes\n");
}

struct sub {
        const char *name;
        int (*fn)(struct cli_globals *g, int argc, char **argv, struct err *err);
};

int
cmd_container(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct sub subs[] = {
                { "run", cmd_container_run },       { "create", cmd_container_create },
                { "start", cmd_container_start },   { "ls", cmd_container_ls },
                { "ps", cmd_container_ls },         { "list", cmd_container_ls },
                { "inspect", cmd_container_inspect }, { "logs", cmd_container_logs },
                { "stop", cmd_container_stop },     { "kill", cmd_container_kill },
                { "rm", cmd_container_rm },         { "remove", cmd_container_rm },
                { "wait", cmd_container_wait },
                { "port", cmd_container_port },     { "exec", cmd_container_exec },
                { "pause", cmd_container_pause },   { "unpause", cmd_container_unpause },
                { "restart", cmd_container_restart }, { "top", cmd_container_top },
                { "cp", cmd_container_cp },
        };
        static const char *const later[] = { "attach", "rename", "stats", "update",
                                             "diff", "export", "commit", "prune" };

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                usage();
                return argc < 2 ? err_setf(err, -EINVAL, "no container command given") : 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
                if (strcmp(subs[i].name, argv[1]) == 0)
                        return subs[i].fn(g, argc - 1, argv + 1, err);
        for (size_t i = 0; i < ARRAY_SIZE(later); i++)
                if (strcmp(later[i], argv[1]) == 0)
                        return err_setf(err, -ENOTSUP,
                                        "'container %s' is not available in this version of berth",
                                        argv[1]);
        return err_setf(err, -EINVAL, "unknown command 'container %s'; see 'berth container --help'",
                        argv[1]);
}
