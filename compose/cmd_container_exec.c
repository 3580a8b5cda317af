/* cmd_container_exec: `berth container exec [OPTIONS] CONTAINER COMMAND [ARG...]`.
 *
 * docker exec's flags: -i, -t, -d, -u, -w, -e, --env-file, --privileged. The process is
 * started by the runtime (rt_exec: the container's namespaces, cgroups, capabilities,
 * seccomp filter and no-new-privileges, its user and environment plus -e); no daemon and no
 * monitor are involved. The process is berth's until it execs, inside the container's pid
 * namespace, so it must run from a sealed copy (CVE-2019-5736): berth becomes berth-monitor
 * (`berth-monitor --root R container exec ARGS`, this same code, linked into both) from the
 * sealed copy the running monitors share (monitor_exe_open). That costs no copy and, as
 * berth-monitor is static, no second dynamic link: a re-exec of berth from a copy of its own
 * would cost both.
 *
 * Processes: we fork a keeper (its own session, signals blocked) that calls rt_exec, so that
 * it is the command's parent and reaps it even when we are killed: an unreaped zombie in the
 * container's pid namespace would keep the container's PID 1 from ever ending where the
 * host's init does not reap. It sends us the command's pidfd (and pty), then exits with the
 * command's code, which we take from it. With -d the keeper is all there is; we return once
 * the command runs.
 *
 * Without -t the process gets our stdin (with -i; /dev/null otherwise), stdout and stderr
 * directly. With -t it gets a pty of the container's devpts; we relay it
 * (cmd_container_tty_relay) with our terminal in raw mode, window sizes following SIGWINCH.
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT we get are passed on to the process. Exit codes: the
 * command's (128+signal when killed), 126/127 when it cannot be run, 125 for berth's own
 * failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "engine/jsonx.h"
#include "engine/monitor.h"
#include "engine/runtime.h"

extern char **environ;

#define EXEC_ENV_FILE_MAX (1u << 20)

struct exec_opts {
        int interactive, tty, detach, privileged;
        const char *user, *workdir;
        char **env; /* -e and --env-file entries, in order */
};

enum {
        X_ENVFILE = 256,
        X_PRIV,
        X_DETACH_KEYS
};

/* env_add: "K=V" as is; a bare "K" takes our own value of K, or is dropped (docker). */
static void
env_add(struct cli_globals *g, char ***env, const char *s)
{
        size_t n = strlen(s);

        if (strchr(s, '=')) {
                strv_add(env, s);
                return;
        }
        for (char **e = g->environ_; e && *e; e++)
                if (strncmp(*e, s, n) == 0 && (*e)[n] == '=') {
                        strv_add(env, *e);
                        return;
                }
}

static int
env_file(struct cli_globals *g, char ***env, const char *path, struct err *err)
{
        cleanup_free char *buf = NULL;
        cleanup_strv char **lines = NULL;
        int r = fs_read_capped(path, EXEC_ENV_FILE_MAX, &buf, NULL, err);

        if (r < 0)
                return err_prefix(err, "--env-file");
        lines = strv_split(buf, "\n");
        strv_foreach(l, lines) {
                size_t n = strlen(l);

                if (n && l[n - 1] == '\r')
                        l[n - 1] = 0;
                if (l[0] && l[0] != '#')
                        env_add(g, env, l);
        }
        return 0;
}

static int
parse_opt(struct cli_globals *g, struct exec_opts *o, int c, const char *arg, struct err *err)
{
        switch (c) {
        case 'i':
                o->interactive = 1;
                return 0;
        case 't':
                o->tty = 1;
                return 0;
        case 'd':
                o->detach = 1;
                return 0;
        case 'u':
                o->user = arg;
                return 0;
        case 'w':
                o->workdir = arg;
                return 0;
        case 'e':
                env_add(g, &o->env, arg);
                return 0;
        case X_PRIV:
                o->privileged = 1;
                return 0;
        case X_ENVFILE:
                return env_file(g, &o->env, arg, err);
        case X_DETACH_KEYS:
                return err_setf(err, -ENOTSUP, "--detach-keys is not available");
        default:
                return err_setf(err, -EINVAL, "unknown flag for 'container exec'");
        }
}

static int
parse(struct cli_globals *g, struct exec_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "interactive", no_argument, NULL, 'i' },
                { "tty", no_argument, NULL, 't' },
                { "detach", no_argument, NULL, 'd' },
                { "user", required_argument, NULL, 'u' },
                { "workdir", required_argument, NULL, 'w' },
                { "env", required_argument, NULL, 'e' },
                { "env-file", required_argument, NULL, X_ENVFILE },
                { "privileged", no_argument, NULL, X_PRIV },
                { "detach-keys", required_argument, NULL, X_DETACH_KEYS },
                { 0 },
        };
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+itdu:w:e:", opts, NULL)) != -1) {
                if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container exec'",
                                        argv[optind - 1]);
                r = parse_opt(g, o, c, optarg, err);
                if (r < 0)
                        return r;
        }
        if (argc - optind < 2)
                return err_setf(
                        err, -EINVAL,
                        "'container exec' requires at least 2 arguments: CONTAINER COMMAND");
        if (o->workdir && o->workdir[0] != '/')
                return err_setf(err, -EINVAL,
                                "the working directory '%s' is invalid, it needs to "
                                "be an absolute path",
                                o->workdir);
        return optind;
}

/* check_running: docker's refusals for a stopped or paused container. */
static int
check_running(const struct ctr *c, struct err *err)
{
        json_object *st = NULL;
        int r = ctr_state_read(c, &st, err), ok;

        if (r < 0)
                return r;
        ok = monitor_alive(c) && jsonx_bool(st, "Running");
        if (ok && jsonx_bool(st, "Paused"))
                r = err_setf(err, -EBUSY,
                             "container %s is paused, unpause the container before "
                             "exec",
                             c->id);
        else if (!ok)
                r = err_setf(err, -ESRCH, "container %s is not running", c->id);
        json_object_put(st);
        return r;
}

/* owned parts of the runtime config */
struct exec_cfg {
        struct rt_exec_config rt;
        char **env, **cap_add, **cap_drop;
        char *hostname, *cache;
};

static void
exec_cfg_release(struct exec_cfg *x)
{
        strv_free(x->env);
        strv_free(x->cap_add);
        strv_free(x->cap_drop);
        free(x->hostname);
        free(x->cache);
}

static void
build(struct cli_globals *g, const struct exec_opts *o, const struct ctr *c, char **cmd,
      struct exec_cfg *x)
{
        json_object *hc = jsonx_get(c->config, "HostConfig");
        const char *hn = jsonx_str(c->config, "Hostname");
        const char *net = jsonx_str(hc, "NetworkMode");

        /* docker's daemon environment (TERM with a tty), the container's, then -e */
        if (o->tty)
                strv_add(&x->env, "TERM=xterm");
        {
                char **env = jsonx_to_strv(jsonx_get(c->config, "Env"));

                strv_foreach(e, env)
                        strv_add(&x->env, e);
                strv_free(env);
        }
        strv_foreach(e, o->env)
                strv_add(&x->env, e);
        x->cap_add = jsonx_to_strv(jsonx_get(hc, "CapAdd"));
        x->cap_drop = jsonx_to_strv(jsonx_get(hc, "CapDrop"));
        /* the container's hostname, as the runtime chose it (runtime.c) */
        if (hn) {
                x->hostname = xstrdup(hn);
        } else if (net && strcmp(net, "host") == 0) {
                x->hostname = xcalloc(1, 256);
                gethostname(x->hostname, 255);
        } else {
                x->hostname = xstrndup(c->id, 12);
        }
        x->cache = xasprintf("%s/cache", g->root);
        x->rt = (struct rt_exec_config){
                .argv = cmd,
                .env = x->env,
                .hostname = x->hostname,
                .cwd = o->workdir ? o->workdir : jsonx_str(c->config, "WorkingDir"),
                .user = o->user ? o->user : jsonx_str(c->config, "User"),
                .cap_add = x->cap_add,
                .cap_drop = x->cap_drop,
                .privileged = jsonx_bool(hc, "Privileged"),
                .exec_privileged = o->privileged,
                .seccomp = jsonx_str(hc, "Seccomp"),
                .no_new_privileges = jsonx_bool(hc, "NoNewPrivileges"),
                .cache_dir = x->cache,
                .stdio = { -1, 1, 2 },
                .tty = o->tty,
        };
}

static int
status_code(int status)
{
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* wait_plain: wait for the process (p->pidfd), passing the signals we get on to it, then
 * reap its keeper (p->pid), whose exit code is its. */
static int
wait_plain(const struct rt_exec_proc *p, int sigfd)
{
        int status = 0;

        for (;;) {
                struct pollfd pf[2] = { { .fd = p->pidfd, .events = POLLIN },
                                        { .fd = sigfd, .events = POLLIN } };
                struct signalfd_siginfo si;

                if (poll(pf, 2, -1) < 0 && errno != EINTR)
                        break;
                if (pf[0].revents)
                        break;
                if (pf[1].revents && read(sigfd, &si, sizeof(si)) == sizeof(si))
                        syscall(SYS_pidfd_send_signal, p->pidfd, (int)si.ssi_signo, NULL, 0);
        }
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
                ;
        return status_code(status);
}

/* send_proc: "ok" with the process's pidfd and pty master (when any) as SCM_RIGHTS. */
static void
send_proc(int sock, const struct rt_exec_proc *p)
{
        int fds[2] = { p->pidfd, p->pty };
        size_t n = p->pty >= 0 ? 2 : 1;
        struct iovec iov = { .iov_base = (void *)"ok", .iov_len = 2 };
        union {
                char buf[CMSG_SPACE(2 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

        memset(&u, 0, sizeof(u));
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
                /* the CLI is gone: the command runs on, we still reap it */
        }
}

/* keeper_child: the command's parent while the CLI waits: runs the exec, reports "CODE
 * MESSAGE" on sock when it fails, else sends the pidfd and pty; then reaps the command and
 * exits with its code. In its own session with every signal blocked, it outlives a CLI that
 * is killed, so the command is never left to the host's init (an unreaped zombie in the
 * container's pid namespace would keep its PID 1 from ending). Never returns. */
__attribute__((noreturn)) static void
keeper_child(const char *run_dir, const struct rt_exec_config *cfg, int sock)
{
        struct err e = { 0 };
        struct rt_exec_proc p;
        int code = 125, status = 0;
        sigset_t all;

        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        setsid();
        if (rt_exec(run_dir, cfg, &p, &code, &e) < 0) {
                dprintf(sock, "%d %s", code, e.msg);
                _exit(1);
        }
        send_proc(sock, &p);
        close(sock);
        rt_exec_proc_release(&p);
        while (waitpid(p.pid, &status, 0) < 0 && errno == EINTR)
                ;
        _exit(status_code(status));
}

/* recv_proc: the keeper's report: 0 with the fds, or its failure. */
static int
recv_proc(int sock, struct rt_exec_proc *ret, int *ret_code, struct err *err)
{
        char msg[ERR_MSG_MAX + 16];
        int fds[2] = { -1, -1 };
        struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) - 1 };
        union {
                char buf[CMSG_SPACE(2 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c;
        ssize_t n;

        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return err_setf(err, -ECHILD, "the exec process ended early");
        c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
        msg[n] = '\0';
        if (strcmp(msg, "ok") != 0) {
                *ret_code = (int)strtol(msg, NULL, 10);
                return err_setf(err, -EIO, "%s", strchr(msg, ' ') ? strchr(msg, ' ') + 1 : msg);
        }
        ret->pidfd = fds[0];
        ret->pty = fds[1];
        return 0;
}

/* exec_kept: the exec through keeper_child; *ret's pid is the keeper's (reap it: its exit
 * code is the command's), pidfd and pty the command's. */
static int
exec_kept(const char *run_dir, const struct rt_exec_config *cfg, struct rt_exec_proc *ret,
          int *ret_code, struct err *err)
{
        int sv[2], r;
        pid_t pid;

        *ret = (struct rt_exec_proc){ .pid = 0, .pidfd = -1, .pty = -1 };
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return err_setf(err, -errno, "socketpair: %s", strerror(errno));
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                close(sv[0]);
                keeper_child(run_dir, cfg, sv[1]);
        }
        close(sv[1]);
        r = pid < 0 ? err_setf(err, -errno, "fork: %s", strerror(errno))
                    : recv_proc(sv[0], ret, ret_code, err);
        close(sv[0]);
        if (r < 0 && pid > 0)
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        ret->pid = pid;
        return r;
}

/* detached_child: -d's process: runs the exec, reports "CODE MESSAGE" on fd when it fails
 * (end-of-file when the command runs), then stays its parent until it ends, keeping (and
 * draining) a -t pty meanwhile. Never returns. */
__attribute__((noreturn)) static void
detached_child(const char *run_dir, const struct rt_exec_config *cfg, int fd)
{
        struct err e = { 0 };
        struct rt_exec_proc p;
        int code = 125;
        char buf[4096];

        setsid();
        if (rt_exec(run_dir, cfg, &p, &code, &e) < 0) {
                dprintf(fd, "%d %s", code, e.msg);
                _exit(1);
        }
        close(fd);
        for (;;) {
                struct pollfd pf[2] = { { .fd = p.pidfd, .events = POLLIN },
                                        { .fd = p.pty, .events = POLLIN } };

                if ((poll(pf, 2, -1) < 0 && errno != EINTR) || pf[0].revents)
                        break;
                if (pf[1].revents && read(p.pty, buf, sizeof(buf)) <= 0)
                        p.pty = -1;
        }
        while (waitpid(p.pid, NULL, 0) < 0 && errno == EINTR)
                ;
        _exit(0);
}

/* exec_detached: -d. The command's parent is a detached process of ours that waits for it:
 * left to the host's init instead, an unreaped zombie in the container's pid namespace
 * would keep the container's PID 1 from ever ending. Returns once the command runs. */
static int
exec_detached(const char *run_dir, const struct rt_exec_config *cfg, int *ret_code, struct err *err)
{
        char msg[ERR_MSG_MAX + 16];
        ssize_t n = 0, got;
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "pipe: %s", strerror(errno));
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                close(p[0]);
                detached_child(run_dir, cfg, p[1]);
        }
        close(p[1]);
        while (pid > 0 && (got = read(p[0], msg + n, sizeof(msg) - 1 - (size_t)n)) > 0)
                n += got;
        close(p[0]);
        if (pid < 0)
                return err_setf(err, -errno, "fork: %s", strerror(errno));
        if (n == 0)
                return 0;
        msg[n] = '\0';
        *ret_code = (int)strtol(msg, NULL, 10);
        return err_setf(err, -EIO, "%s", strchr(msg, ' ') ? strchr(msg, ' ') + 1 : msg);
}

static int
run_exec(struct cli_globals *g, const struct exec_opts *o, struct ctr *c, char **cmd,
         struct err *err)
{
        struct exec_cfg x = { 0 };
        struct rt_exec_proc p;
        cleanup_close int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        cleanup_close int sigfd = -1;
        sigset_t set;
        int code = 125, r;

        build(g, o, c, cmd, &x);
        if (o->tty)
                cmd_container_tty_size(&x.rt.tty_rows, &x.rt.tty_cols);
        x.rt.stdio[0] = o->interactive && !o->detach ? 0 : devnull;
        if (o->detach)
                x.rt.stdio[1] = x.rt.stdio[2] = devnull;
        sigemptyset(&set);
        for (int s = 0; s < 5; s++)
                sigaddset(&set, (int[]){ SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH }[s]);
        sigprocmask(SIG_BLOCK, &set, NULL);
        sigfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (o->detach)
                r = exec_detached(c->run_dir, &x.rt, &code, err);
        else
                r = exec_kept(c->run_dir, &x.rt, &p, &code, err);
        exec_cfg_release(&x);
        if (r < 0)
                return err_exit_code(err, code, err_prefix(err, "exec in container %s", c->name));
        if (o->detach)
                return 0;
        if (o->tty)
                code = cmd_container_tty_relay(p.pty, o->interactive, p.pidfd, sigfd, p.pid);
        else
                code = wait_plain(&p, sigfd);
        rt_exec_proc_release(&p);
        return code;
}

/* protect: become berth-monitor from a sealed copy, with our arguments (see the top of the
 * file); nothing once sealed. Returns only on failure. */
static int
protect(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        cleanup_free char *path = NULL;
        cleanup_close int fd = -1;
        cleanup_strv char **args = NULL;
        int r;

        if (rt_exe_is_protected())
                return 0;
        r = monitor_exe_path(&path, err);
        if (r == 0)
                r = monitor_exe_open(g->run_root, path, &fd, err);
        if (r < 0)
                return r;
        strv_add(&args, MONITOR_EXE);
        strv_add(&args, "--root");
        strv_add(&args, g->root);
        strv_add(&args, "container");
        for (int i = 0; i < argc; i++)
                strv_add(&args, argv[i]);
        fflush(NULL);
        fexecve(fd, args, g->environ_ ? g->environ_ : environ);
        return err_setf(err, -errno, "run %s: %s", MONITOR_EXE, strerror(errno));
}

int
cmd_container_exec(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct exec_opts o = { 0 };
        struct ctr *c = NULL;
        int first, r;

        r = protect(g, argc, argv, err);
        if (r < 0)
                return err_exit_code(err, 125, r);
        first = parse(g, &o, argc, argv, err);
        r = first < 0 ? first : ctr_open(g->root, g->run_root, argv[first], &c, err);
        if (r >= 0)
                r = check_running(c, err);
        if (r >= 0)
                r = run_exec(g, &o, c, argv + first + 1, err);
        strv_free(o.env);
        ctr_free(c);
        return r < 0 && !err->exit_code ? err_exit_code(err, 125, r) : r;
}
