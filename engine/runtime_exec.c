/* runtime_exec: one more process in a running container (docker exec); see runtime.h.
 *
 * Everything is prepared in the caller first: the container's PID 1 as a pidfd (checked
 * against the start time in the state file, so a reused pid is never entered), the user from
 * the container's /etc/passwd and /etc/group read through /proc/PID/root with
 * RESOLVE_IN_ROOT, the capability set, the seccomp BPF and the environment. Then:
 *   caller --clone3--> helper: born in the container's v2 cgroup (CLONE_INTO_CGROUP), it
 *     moves itself into each v1 hierarchy's cgroup by writing 0 to its `tasks` file (while
 *     the host's paths are still visible). Neither takes the kernel's cgroup_threadgroup_rwsem
 *     for writing, whose first use after a quiet spell waits an RCU grace period (5-10 ms
 *     here), as writing to cgroup.procs would. The helper then joins its ipc, uts, net,
 *     cgroup, pid and mount namespaces in one setns(pidfd) (the mount namespace also moves
 *     root and cwd into the container), opens a pty of the container's devpts when asked, and clone(CLONE_PARENT)s
 *     the process, which is thus the caller's child and inside the container's pid namespace.
 *     The helper sends READY (the pid, the pty master as SCM_RIGHTS) and exits; it is never
 *     visible inside the container.
 *   the process: its own session (the pty as controlling terminal), stdio onto 0, 1, 2,
 *     every other fd closed, default signal dispositions and mask, the working directory
 *     resolved inside the root without magic links (a leaked fd cannot become it), then
 *     rt_child_exec(): seccomp, privileges, execve.
 * As with rt_create(), the sync socket is close-on-exec: end-of-file means execve succeeded,
 * an ERROR message that it did not (with docker's 125/126/127).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/runtime.h"
#include "engine/runtime_int.h"

#define NS_FLAGS \
        (CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID | CLONE_NEWNS)

struct xprep {
        const struct rt_exec_config *cfg;
        struct rt_state st;
        int pidfd; /* the container's PID 1 */
        struct rt_user user;
        uint64_t caps;
        struct sock_filter *bpf;
        struct sock_fprog fprog;
        char **env;
        char **tasks; /* the `tasks` file of each v1 hierarchy */
        int v2_cgroup; /* the v2 cgroup, for CLONE_INTO_CGROUP; -1 when none */
        int socks[2];
        struct rt_plan plan;
        struct rlimit rlim[RLIM_NLIMITS]; /* PID 1's: the container's --ulimit values */
};

static void
xprep_release(struct xprep *x)
{
        rt_state_release(&x->st);
        if (x->pidfd >= 0)
                close(x->pidfd);
        rt_user_release(&x->user);
        free(x->bpf);
        strv_free(x->env);
        strv_free(x->tasks);
        if (x->v2_cgroup >= 0)
                close(x->v2_cgroup);
        for (int i = 0; i < 2; i++)
                if (x->socks[i] >= 0)
                        close(x->socks[i]);
}

/* ---- in the caller ----------------------------------------------------------------------- */

/* open_cgroups: the v2 cgroup as a directory fd, the v1 ones as paths of `tasks`. A
 * hierarchy can lack the dir (e.g. mounted after the container started): it is skipped. */
static void
open_cgroups(struct xprep *x)
{
        strv_foreach(cg, x->st.cgroups) {
                int fd = open(cg, O_PATH | O_DIRECTORY | O_CLOEXEC);
                struct statfs sf;

                if (fd < 0)
                        continue;
                if (x->v2_cgroup < 0 && fstatfs(fd, &sf) == 0 &&
                    sf.f_type == CGROUP2_SUPER_MAGIC) {
                        x->v2_cgroup = fd;
                        continue;
                }
                close(fd);
                strv_push(&x->tasks, xasprintf("%s/tasks", cg));
        }
}

static int
open_pid1(const char *run_dir, struct xprep *x, struct err *err)
{
        int r = rt_state_read(run_dir, &x->st, err);

        if (r == -ENOENT) {
                err_clear(err);
                return err_setf(err, -ESRCH, "the container is not running");
        }
        if (r < 0)
                return r;
        if (!rt_state_running(&x->st))
                return err_setf(err, -ESRCH, "the container is not running");
        x->pidfd = (int)syscall(SYS_pidfd_open, x->st.pid, 0);
        if (x->pidfd < 0)
                return err_setf(err, -errno, "open the container's process: %s", strerror(errno));
        /* the pid could have been reused between the check and the open */
        if (!rt_state_running(&x->st))
                return err_setf(err, -ESRCH, "the container is not running");
        open_cgroups(x);
        return 0;
}

/* read_etc: the text of /etc/NAME in the container (NULL when absent). Opened O_PATH first:
 * only a regular file is read (a FIFO or device put there by the container is not). */
static int
read_etc(int rootfd, const char *rel, char **ret, struct err *err)
{
        struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        cleanup_close int pfd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
        cleanup_close int fd = -1;
        char path[64];
        struct stat sb;

        *ret = NULL;
        if (pfd < 0 && errno == ENOENT)
                return 0;
        if (pfd < 0 || fstat(pfd, &sb) < 0)
                return err_setf(err, -errno, "open /%s of the container: %s", rel, strerror(errno));
        if (!S_ISREG(sb.st_mode))
                return err_setf(err, -EINVAL, "/%s of the container is not a regular file", rel);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_setf(err, -errno, "open /%s of the container: %s", rel, strerror(errno));
        return fs_read_fd_capped(fd, rel, RT_ETC_FILE_MAX, ret, NULL, err);
}

static int
prepare_user(struct xprep *x, struct err *err)
{
        cleanup_free char *root = xasprintf("/proc/%d/root", (int)x->st.pid);
        cleanup_free char *passwd = NULL, *group = NULL;
        cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (rootfd < 0)
                return err_setf(err, -errno, "open the container's root: %s", strerror(errno));
        r = read_etc(rootfd, "etc/passwd", &passwd, err);
        if (r == 0)
                r = read_etc(rootfd, "etc/group", &group, err);
        if (r == 0)
                r = rt_user_resolve(x->cfg->user, passwd, group, NULL, &x->user, err);
        return r;
}

/* prepare_privileges: the container's capability set (all with exec --privileged) and its
 * seccomp filter, the one evaluated for the container's own capabilities. */
static int
prepare_privileges(struct xprep *x, struct err *err)
{
        const struct rt_exec_config *cfg = x->cfg;
        cleanup_free char *text = NULL;
        uint64_t ccaps = 0;
        size_t len = 0;
        int r;

        r = rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, cfg->cap_add, cfg->cap_drop, cfg->privileged,
                            rt_caps_all(), &ccaps, err);
        x->caps = cfg->exec_privileged ? rt_caps_all() : ccaps;
        if (r < 0 || cfg->privileged || (cfg->seccomp && strcmp(cfg->seccomp, "unconfined") == 0))
                return r;
        if (cfg->seccomp) {
                r = fs_read_capped(cfg->seccomp, RT_PROFILE_MAX, &text, NULL, err);
                if (r < 0)
                        return err_prefix(err, "seccomp profile");
        }
        r = rt_seccomp_load(text ? text : rt_seccomp_default_profile(),
                            cfg->seccomp ? cfg->seccomp : "(default)", ccaps, cfg->cache_dir,
                            &x->bpf, &len, err);
        x->fprog = (struct sock_fprog){ .len = (unsigned short)len, .filter = x->bpf };
        return r;
}

static int
prepare(const char *run_dir, struct xprep *x, struct err *err)
{
        const struct rt_exec_config *cfg = x->cfg;
        int r;

        if (!cfg->argv || !cfg->argv[0])
                return err_setf(err, -EINVAL, "no command specified");
        if (strv_length(cfg->argv) > RT_ARGS_MAX || strv_length(cfg->env) > RT_ARGS_MAX)
                return err_setf(err, -E2BIG, "more than %d arguments or environment entries",
                                RT_ARGS_MAX);
        if (cfg->cwd && cfg->cwd[0] != '/')
                return err_setf(err, -EINVAL, "the working directory '%s' is not an absolute path",
                                cfg->cwd);
        r = open_pid1(run_dir, x, err);
        /* an exec'd process gets the container's resource limits, as docker's does: read them
         * from its PID 1 (the runtime set them there from --ulimit) */
        for (int i = 0; r == 0 && i < RLIM_NLIMITS; i++)
                if (prlimit(x->st.pid, (enum __rlimit_resource)i, NULL, &x->rlim[i]) < 0)
                        r = err_setf(err, -errno, "read the container's resource limits: %s",
                                     strerror(errno));
        if (r == 0)
                r = prepare_user(x, err);
        if (r == 0)
                r = prepare_privileges(x, err);
        if (r < 0)
                return r;
        x->env = rt_env_build(cfg->env, cfg->hostname ? cfg->hostname : "", x->user.home);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->socks) < 0)
                return err_setf(err, -errno, "socketpair: %s", strerror(errno));
        x->plan = (struct rt_plan){ .user = &x->user,
                                    .caps = x->caps,
                                    .cap_last = rt_cap_last(),
                                    .nnp = cfg->no_new_privileges,
                                    .seccomp = x->bpf ? &x->fprog : NULL,
                                    .argv = cfg->argv,
                                    .envp = x->env,
                                    .path_env = rt_env_get(x->env, "PATH") };
        return 0;
}

/* ---- in the helper and the process (no allocation from here on) ------------------------ */

__attribute__((noreturn)) static void
xfail(int sock, const char *what, const char *detail, int errnum, int code)
{
        struct rt_msg m;

        memset(&m, 0, sizeof(m));
        m.kind = RT_MSG_ERROR;
        m.errnum = errnum;
        m.exit_code = code;
        snprintf(m.what, sizeof(m.what), "%s", what);
        snprintf(m.detail, sizeof(m.detail), "%s", detail ? detail : "");
        if (send(sock, &m, sizeof(m), MSG_NOSIGNAL) < 0) {
                /* the caller is gone: nothing to report to */
        }
        _exit(code);
}

/* join_cgroups: the v1 ones (we are single-threaded: moving this thread moves the process),
 * and the v2 one when the clone could not be born in it. */
static void
join_cgroups(const struct xprep *x, int sock, int in_v2)
{
        strv_foreach(p, x->tasks) {
                int fd = open(p, O_WRONLY | O_CLOEXEC);

                if (fd < 0 && errno == ENOENT)
                        continue;
                if (fd < 0 || write(fd, "0", 1) != 1)
                        xfail(sock, "join cgroup", p, errno, 125);
                close(fd);
        }
        if (!in_v2 && x->v2_cgroup >= 0) {
                int fd = openat(x->v2_cgroup, "cgroup.procs", O_WRONLY | O_CLOEXEC);

                if (fd < 0 || write(fd, "0", 1) != 1)
                        xfail(sock, "join cgroup", "cgroup.procs", errno, 125);
                close(fd);
        }
}

/* setup_stdio: 0, 1, 2 from the config (or the pty), every other fd closed but the sync
 * socket, whose new number is returned. */
static int
setup_stdio(const struct xprep *x, int sock, int slave)
{
        int tmp[3];

        sock = fcntl(sock, F_DUPFD_CLOEXEC, 3);
        if (sock < 0)
                _exit(125);
        for (int i = 0; i < 3; i++) {
                int src = slave >= 0 ? slave : x->cfg->stdio[i];

                tmp[i] = src >= 0 ? fcntl(src, F_DUPFD_CLOEXEC, sock + 1) : -1;
        }
        for (int i = 0; i < 3; i++)
                if (tmp[i] >= 0 ? dup2(tmp[i], i) < 0
                                : (fcntl(i, F_SETFD, 0) < 0 && errno != EBADF))
                        xfail(sock, "set up stdio", "", errno, 125);
        if (sock > 3)
                syscall(SYS_close_range, 3, sock - 1, 0);
        syscall(SYS_close_range, sock + 1, ~0U, 0);
        return sock;
}

static void
enter_cwd(const struct xprep *x, int sock)
{
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        const char *cwd = x->cfg->cwd && x->cfg->cwd[1] ? x->cfg->cwd + 1 : ".";
        int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how)), dfd;

        if (fd < 0)
                xfail(sock, "open", "/", errno, 125);
        dfd = (int)syscall(SYS_openat2, fd, cwd, &how, sizeof(how));
        if (dfd < 0 || fchdir(dfd) < 0)
                xfail(sock, "chdir to", x->cfg->cwd, errno, 126);
        close(dfd);
        close(fd);
}

__attribute__((noreturn)) static void
process(const struct xprep *x, int sock, int slave)
{
        sigset_t none;

        if (setsid() < 0)
                xfail(sock, "setsid", "", errno, 125);
        if (slave >= 0 && ioctl(slave, TIOCSCTTY, 0) < 0)
                xfail(sock, "set the controlling terminal", "", errno, 125);
        sock = setup_stdio(x, sock, slave);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int i = 0; i < RLIM_NLIMITS; i++)
                if (setrlimit((enum __rlimit_resource)i, &x->rlim[i]) < 0)
                        xfail(sock, "set the container's resource limits", "", errno, 125);
        enter_cwd(x, sock);
        rt_child_exec(&x->plan, sock);
}

__attribute__((noreturn)) static void
helper(const struct xprep *x, int in_v2)
{
        int sock = x->socks[1], master = -1, slave = -1;
        long pid;

        join_cgroups(x, sock, in_v2);
        if (setns(x->pidfd, NS_FLAGS) < 0)
                xfail(sock, "join the container's namespaces", "", errno, 125);
        if (x->cfg->tty && (master = rt_pty_open(&slave)) < 0)
                xfail(sock, "open a pty in", "/dev/pts", -master, 125);
        if (master >= 0 && x->cfg->tty_rows && x->cfg->tty_cols)
                ioctl(master, TIOCSWINSZ,
                      &(struct winsize){ .ws_row = x->cfg->tty_rows, .ws_col = x->cfg->tty_cols });
        /* a fork-like clone (no pointer arguments, so the per-arch order is moot) whose
         * parent is the caller's: the caller reaps the process itself */
        pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0)
                process(x, sock, slave);
        if (pid < 0)
                xfail(sock, "clone", "", errno, 125);
        if (rt_msg_send(sock, &(struct rt_msg){ .kind = RT_MSG_READY, .pid = (pid_t)pid }, master) <
            0)
                _exit(125);
        _exit(0);
}

/* ---- back in the caller ------------------------------------------------------------------ */

/* recv_one: rt_msg_recv with the error filled. */
static int
recv_one(int sock, struct rt_msg *m, int *ret_fd, struct err *err)
{
        int r = rt_msg_recv(sock, m, ret_fd);

        if (r < 0)
                return err_setf(err, r, "read from the exec helper: %s", strerror(-r));
        return r;
}

static int
msg_error(const struct rt_msg *m, int *ret_exit_code, struct err *err)
{
        cleanup_free char *text = rt_msg_text(m);

        if (ret_exit_code)
                *ret_exit_code = m->exit_code ? m->exit_code : 125;
        return err_setf(err, m->errnum ? -m->errnum : -ENOENT, "%s", text);
}

static void
reap(pid_t pid)
{
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

static int
await(struct xprep *x, pid_t helper_pid, struct rt_exec_proc *ret, int *ret_exit_code,
      struct err *err)
{
        struct rt_msg m;
        int fd = -1, r = recv_one(x->socks[0], &m, &fd, err);

        reap(helper_pid);
        if (r == 0)
                r = err_setf(err, -ECHILD, "the exec helper exited early");
        if (r > 0 && m.kind == RT_MSG_ERROR)
                r = msg_error(&m, ret_exit_code, err);
        if (r < 0)
                return r;
        ret->pid = m.pid;
        ret->pty = fd;
        r = recv_one(x->socks[0], &m, &fd, err);
        if (fd >= 0)
                close(fd);
        if (r > 0 && m.kind == RT_MSG_ERROR)
                r = msg_error(&m, ret_exit_code, err);
        if (r < 0) {
                reap(ret->pid);
                rt_exec_proc_release(ret);
                return r;
        }
        ret->pidfd = (int)syscall(SYS_pidfd_open, ret->pid, 0);
        return 0;
}

int
rt_exec(const char *run_dir, const struct rt_exec_config *cfg, struct rt_exec_proc *ret,
        int *ret_exit_code, struct err *err)
{
        struct xprep x = { .cfg = cfg, .pidfd = -1, .socks = { -1, -1 }, .v2_cgroup = -1 };
        pid_t pid;
        int in_v2, r;

        *ret = (struct rt_exec_proc){ .pid = 0, .pidfd = -1, .pty = -1 };
        if (ret_exit_code)
                *ret_exit_code = 125;
        if (!rt_exe_is_protected())
                return err_setf(err, -EPERM,
                                "exec: the running binary is not a sealed copy "
                                "(call rt_exe_protect() first)");
        r = prepare(run_dir, &x, err);
        if (r == 0) {
                pid = rt_fork_into_cgroup(x.v2_cgroup, &in_v2);
                if (pid == 0)
                        helper(&x, in_v2);
                if (pid < 0)
                        r = err_setf(err, -errno, "fork: %s", strerror(errno));
        }
        if (r == 0) {
                close(TAKE_FD(x.socks[1]));
                r = await(&x, pid, ret, ret_exit_code, err);
        }
        xprep_release(&x);
        return r;
}

void
rt_exec_proc_release(struct rt_exec_proc *p)
{
        if (p->pidfd >= 0)
                close(p->pidfd);
        if (p->pty >= 0)
                close(p->pty);
        p->pidfd = p->pty = -1;
}
