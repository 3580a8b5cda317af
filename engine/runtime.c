/* runtime: create, start, wait for, signal and delete one container (see runtime.h).
 *
 * rt_create() builds everything first (user, capabilities, seccomp BPF, cgroups, the /etc
 * files, the mount table, the environment) into a struct rt_plan, records the state file,
 * then clone3(2)s the first process into new namespaces (straight into its v2 cgroup when
 * there is one). Parent and child talk over a SOCK_SEQPACKET socketpair: the parent sends
 * 'g' at once, and while the child sets up its root it moves it into its v1 cgroups, runs
 * the network hook and records the pid; the child answers with a READY or ERROR struct
 * rt_msg; rt_start() sends 's'; the child's end is close-on-exec, so end-of-file means
 * execve() succeeded and an ERROR message means it did not.
 */
#include "engine/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/runtime_int.h"

#define OVERLAY_DATA_MAX 4095 /* mount(2) data is one page */
#define HOST_FILE_MAX    (1u << 20)
#define DELETE_WAIT_MS   10000

struct rt_container {
        char *run_dir;
        pid_t pid;
        int pidfd;
        int sock;
        int pty; /* master of the container's pty, -1 */
        char *memory_dir;
        int memory_v2;
        int reaped;
};

/* Everything prepared before the clone. The child works on its copy of it. */
struct prep {
        const struct rt_config *cfg;
        char *run_dir, *state_path, *rootfs_mnt, *hosts, *hostname_file, *resolv;
        char *hostname, *overlay_data, *cwd;
        struct rt_user user;
        uint64_t caps;
        struct sock_filter *bpf;
        struct sock_fprog fprog;
        struct rt_cg_layout cg;
        char **cg_dirs;
        struct rt_mount_table mt;
        struct rt_sysctl_w *sysctls;
        char **sysctl_pool;
        char **env;
        int netns_fd;
        int socks[2];
        int pty; /* from READY with cfg->tty */
        int owned; /* run_dir was free: a failure may clean it */
        int cg_tasks[RT_CG_TASKS_MAX]; /* v1 tasks files the child joins itself (plan) */
        size_t n_cg_tasks;
        struct rt_plan plan;
};

void
rt_config_init(struct rt_config *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->stdio[0] = cfg->stdio[1] = cfg->stdio[2] = -1;
}

static void
prep_release(struct prep *p)
{
        free(p->run_dir);
        free(p->state_path);
        free(p->rootfs_mnt);
        free(p->hosts);
        free(p->hostname_file);
        free(p->resolv);
        free(p->hostname);
        free(p->overlay_data);
        free(p->cwd);
        rt_user_release(&p->user);
        free(p->bpf);
        rt_cg_layout_release(&p->cg);
        strv_free(p->cg_dirs);
        rt_mount_table_release(&p->mt);
        free(p->sysctls);
        strv_free(p->sysctl_pool);
        strv_free(p->env);
        if (p->netns_fd >= 0)
                close(p->netns_fd);
        for (int i = 0; i < 2; i++)
                if (p->socks[i] >= 0)
                        close(p->socks[i]);
        if (p->pty >= 0)
                close(p->pty);
        for (size_t i = 0; i < p->n_cg_tasks; i++)
                close(p->cg_tasks[i]);
}

/* ---- validation ------------------------------------------------------------------------ */

static int
check_path_list(char *const *v, const char *what, struct err *err)
{
        strv_foreach(s, v)
                if (s[0] != '/')
                        return err_setf(err, -EINVAL, "%s '%s' must be an absolute path", what, s);
        return 0;
}

static int
check_config(const struct rt_config *cfg, struct err *err)
{
        int r = rt_id_check(cfg->id, err);

        if (r < 0)
                return r;
        if (!cfg->argv || !cfg->argv[0])
                return err_setf(err, -EINVAL, "no command specified");
        if (strv_length(cfg->argv) > RT_ARGS_MAX || strv_length(cfg->env) > RT_ARGS_MAX)
                return err_setf(err, -E2BIG, "more than %d arguments or environment entries",
                                RT_ARGS_MAX);
        if (!cfg->rootfs == !cfg->lowerdirs)
                return err_setf(err, -EINVAL, "give either a rootfs directory or overlay layers");
        if (cfg->lowerdirs && (!cfg->upperdir || !cfg->workdir || !cfg->lowerdirs[0]))
                return err_setf(err, -EINVAL, "overlay layers need lower, upper and work dirs");
        r = check_path_list(cfg->lowerdirs, "lower dir", err);
        if (r == 0 && cfg->cwd && cfg->cwd[0] != '/')
                r = err_setf(err, -EINVAL, "the working directory '%s' is not an absolute path",
                             cfg->cwd);
        if (r == 0 && cfg->cgroup_parent &&
            (cfg->cgroup_parent[0] == '/' || strstr(cfg->cgroup_parent, "..")))
                r = err_setf(err, -EINVAL,
                             "cgroup parent '%s' must be a relative path without "
                             "'..'",
                             cfg->cgroup_parent);
        if (r == 0 && cfg->net == RT_NET_NETNS && !cfg->netns_path)
                r = err_setf(err, -EINVAL, "a network namespace path is needed");
        return r;
}

/* ---- the root filesystem, seen from the parent ----------------------------------------- */

/* open_beneath: rel in dir (symlinks resolved inside dir), opened for reading when it is a
 * regular file; else an O_PATH fd (a whiteout is a device that must not be opened). */
static int
open_beneath(const char *dir, const char *rel, struct stat *sb)
{
        struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        cleanup_close int fd = -1;
        char path[64];
        int rfd;

        if (dfd < 0)
                return -errno;
        fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
        if (fd < 0 || fstat(fd, sb) < 0)
                return -errno;
        if (!S_ISREG(sb->st_mode))
                return TAKE_FD(fd);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        return rfd < 0 ? -errno : rfd;
}

/* layer_hides: whether a layer's parent dir of rel is opaque (overlayfs: lower layers'
 * entries of it are hidden). */
static int
layer_hides(const char *layer, const char *rel)
{
        cleanup_free char *dir = path_dirname(rel);
        cleanup_free char *path = xasprintf("%s/%s", layer, dir);
        char v[2] = { 0 };

        return getxattr(path, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* read_rootfs_file: the text of rel in the container's root, NULL when it does not exist;
 * with layers, the top-most one that has it (a whiteout hides it). */
static int
read_rootfs_file(const struct rt_config *cfg, const char *rel, char **ret, struct err *err)
{
        cleanup_strv char **layers = NULL;

        *ret = NULL;
        if (cfg->rootfs)
                strv_add(&layers, cfg->rootfs);
        else
                strv_add(&layers, cfg->upperdir);
        strv_foreach(l, cfg->lowerdirs)
                strv_add(&layers, l);
        strv_foreach(l, layers) {
                cleanup_close int fd = -1;
                struct stat sb;

                fd = open_beneath(l, rel, &sb);
                if (fd == -ENOENT && !layer_hides(l, rel))
                        continue;
                if (fd == -ENOENT || (fd >= 0 && S_ISCHR(sb.st_mode) && sb.st_rdev == 0))
                        return 0;
                if (fd < 0)
                        return err_setf(err, fd, "read /%s of the rootfs: %s", rel, strerror(-fd));
                return fs_read_fd_capped(fd, rel, RT_ETC_FILE_MAX, ret, NULL, err);
        }
        return 0;
}

static int
prepare_rootfs(struct prep *p, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        cleanup_sbuf struct sbuf sb = SBUF_INIT;

        if (cfg->rootfs && !fs_is_dir(cfg->rootfs))
                return err_setf(err, -ENOENT, "rootfs '%s' is not a directory", cfg->rootfs);
        if (cfg->rootfs)
                return 0;
        sbuf_adds(&sb, "lowerdir=");
        for (size_t i = 0; cfg->lowerdirs[i]; i++) {
                if (i)
                        sbuf_addch(&sb, ':');
                for (const char *c = cfg->lowerdirs[i]; *c; c++) {
                        if (*c == ':' || *c == ',' || *c == '\\')
                                sbuf_addch(&sb, '\\');
                        sbuf_addch(&sb, *c);
                }
        }
        if (strpbrk(cfg->upperdir, ",:\\") || strpbrk(cfg->workdir, ",:\\"))
                return err_setf(err, -EINVAL,
                                "overlay upper and work dirs must not contain ',', "
                                "':' or '\\'");
        sbuf_addf(&sb, ",upperdir=%s,workdir=%s", cfg->upperdir, cfg->workdir);
        if (sb.len > OVERLAY_DATA_MAX)
                return err_setf(err, -E2BIG,
                                "overlay options are %zu bytes, more than the %d the "
                                "kernel takes: use shorter layer paths",
                                sb.len, OVERLAY_DATA_MAX);
        p->overlay_data = sbuf_detach(&sb);
        return 0;
}

/* ---- identity, privileges ------------------------------------------------------------- */

static int
prepare_identity(struct prep *p, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        cleanup_free char *passwd = NULL, *group = NULL;
        struct utsname u;
        int r;

        if (cfg->hostname)
                p->hostname = xstrdup(cfg->hostname);
        else if (cfg->net == RT_NET_HOST && uname(&u) == 0)
                p->hostname = xstrdup(u.nodename);
        else
                p->hostname = xstrndup(cfg->id, 12);
        r = rt_hostname_check(p->hostname, err);
        if (r == 0)
                r = read_rootfs_file(cfg, "etc/passwd", &passwd, err);
        if (r == 0)
                r = read_rootfs_file(cfg, "etc/group", &group, err);
        if (r == 0)
                r = rt_user_resolve(cfg->user, passwd, group, cfg->group_add, &p->user, err);
        if (r < 0)
                return r;
        p->env = rt_env_build(cfg->env, p->hostname, p->user.home);
        p->cwd = path_clean(cfg->cwd ? cfg->cwd : "/");
        return 0;
}

static int
prepare_seccomp(struct prep *p, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        cleanup_free char *text = NULL;
        size_t len = 0;
        int r;

        r = rt_caps_compute(RT_CAPS_DOCKER_DEFAULT, cfg->cap_add, cfg->cap_drop, cfg->privileged,
                            rt_caps_all(), &p->caps, err);
        if (r < 0 || cfg->privileged || (cfg->seccomp && strcmp(cfg->seccomp, "unconfined") == 0))
                return r;
        if (cfg->seccomp) {
                r = fs_read_capped(cfg->seccomp, RT_PROFILE_MAX, &text, NULL, err);
                if (r < 0)
                        return err_prefix(err, "seccomp profile");
        }
        r = rt_seccomp_load(text ? text : rt_seccomp_default_profile(),
                            cfg->seccomp ? cfg->seccomp : "(default)", p->caps, cfg->cache_dir,
                            &p->bpf, &len, err);
        p->fprog = (struct sock_fprog){ .len = (unsigned short)len, .filter = p->bpf };
        return r;
}

/* ---- files in the run directory ------------------------------------------------------- */

static int
write_run_file(const char *path, const char *text, struct err *err)
{
        return rt_write_file(path, text, strlen(text), 0644, err);
}

static int
prepare_etc(struct prep *p, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        cleanup_free char *hosts = NULL, *resolv = NULL, *host_resolv = NULL, *host_hosts = NULL;
        cleanup_free char *name = xasprintf("%s\n", p->hostname);
        int host = cfg->net == RT_NET_HOST, r;

        fs_read_capped("/etc/resolv.conf", HOST_FILE_MAX, &host_resolv, NULL, NULL);
        if (host)
                fs_read_capped("/etc/hosts", HOST_FILE_MAX, &host_hosts, NULL, NULL);
        r = rt_etc_hosts(p->hostname, cfg->ip, cfg->extra_hosts, &hosts, err);
        if (r == 0 && host_hosts) {
                /* the host's network: its own hosts file, plus --add-host */
                static const char last[] = "ff02::2\tip6-allrouters\n";
                const char *tail = strstr(hosts, last);
                char *merged = xasprintf("%s%s", host_hosts, tail ? tail + strlen(last) : "");

                free(hosts);
                hosts = merged;
        }
        if (r == 0)
                r = rt_etc_resolv(host_resolv, cfg->dns, cfg->dns_search, cfg->dns_options, host,
                                  &resolv, err);
        p->hosts = xasprintf("%s/hosts", p->run_dir);
        p->hostname_file = xasprintf("%s/hostname", p->run_dir);
        p->resolv = xasprintf("%s/resolv.conf", p->run_dir);
        if (r == 0)
                r = write_run_file(p->hosts, hosts, err);
        if (r == 0)
                r = write_run_file(p->hostname_file, name, err);
        if (r == 0)
                r = write_run_file(p->resolv, resolv, err);
        return r;
}

/* ---- cgroups, mounts, limits ----------------------------------------------------------- */

static const char *
memory_dir(const struct prep *p, int *ret_v2)
{
        for (size_t i = 0; i < p->cg.n; i++) {
                if (p->cg.mode == RT_CG_V2 ? p->cg.h[i].v2 : rt_cg_has(&p->cg.h[i], "memory")) {
                        *ret_v2 = p->cg.h[i].v2;
                        return p->cg_dirs[i];
                }
        }
        return NULL;
}

static int
write_state(const struct prep *p, pid_t pid, struct err *err)
{
        struct rt_state st = { .pid = pid, .cgroups = p->cg_dirs };
        const char *mem = memory_dir(p, &st.memory_v2);

        memcpy(st.id, p->cfg->id, strlen(p->cfg->id) + 1);
        st.memory_cgroup = (char *)mem;
        st.start_time = pid > 0 ? rt_proc_start_time(pid) : 0;
        return rt_state_write(p->run_dir, &st, err);
}

static int
prepare_cgroups(struct prep *p, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        cleanup_free char *mountinfo = NULL;
        int r = fs_read_capped("/proc/self/mountinfo", 16u << 20, &mountinfo, NULL, err);

        if (r == 0)
                r = rt_cgroup_parse_mountinfo(mountinfo, &p->cg, err);
        if (r < 0)
                return r;
        p->cg_dirs =
                rt_cgroup_dirs(&p->cg, cfg->cgroup_parent ? cfg->cgroup_parent : "berth", cfg->id);
        return 0;
}

static int
prepare_mounts(struct prep *p, struct err *err)
{
        struct rt_mounts_in in = { .cfg = p->cfg,
                                   .cg = &p->cg,
                                   .cg_dirs = p->cg_dirs,
                                   .hosts_path = p->hosts,
                                   .hostname_path = p->hostname_file,
                                   .resolv_path = p->resolv,
                                   .host_dev = "/dev" };

        return rt_mounts_build(&in, &p->mt, err);
}

static int
prepare_limits(struct prep *p, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        size_t n = strv_length(cfg->sysctls);

        p->sysctls = xcalloc(n ? n : 1, sizeof(*p->sysctls));
        for (size_t i = 0; i < n; i++) {
                char *path, *value;
                int r = rt_sysctl_check(cfg->sysctls[i], cfg->net == RT_NET_HOST, &path, &value,
                                        err);

                if (r < 0)
                        return r;
                strv_push(&p->sysctl_pool, path);
                strv_push(&p->sysctl_pool, value);
                p->sysctls[i] = (struct rt_sysctl_w){ .path = path, .value = value };
        }
        for (size_t i = 0; i < cfg->n_ulimits; i++) {
                const struct rt_ulimit *u = &cfg->ulimits[i];

                if (u->resource < 0 || u->resource >= RLIM_NLIMITS || u->soft > u->hard)
                        return err_setf(err, -EINVAL, "invalid ulimit for resource %d",
                                        u->resource);
                p->plan.rlim[u->resource].rlim_cur =
                        u->soft == RT_ULIMIT_UNLIMITED ? RLIM_INFINITY : u->soft;
                p->plan.rlim[u->resource].rlim_max =
                        u->hard == RT_ULIMIT_UNLIMITED ? RLIM_INFINITY : u->hard;
                p->plan.rlim_set[u->resource] = 1;
        }
        return 0;
}

static void
fill_plan(struct prep *p)
{
        const struct rt_config *cfg = p->cfg;
        struct rt_plan *pl = &p->plan;

        pl->sock = p->socks[1];
        memcpy(pl->stdio, cfg->stdio, sizeof(pl->stdio));
        pl->netns_fd = p->netns_fd;
        pl->lo_up = cfg->net != RT_NET_HOST;
        pl->hostname = p->hostname;
        pl->domainname = cfg->domainname;
        pl->rootfs_mnt = p->rootfs_mnt;
        pl->rootfs_bind = cfg->rootfs;
        pl->overlay_data = p->overlay_data;
        pl->readonly_rootfs = cfg->readonly_rootfs;
        pl->mt = &p->mt;
        pl->sysctls = p->sysctls;
        pl->n_sysctls = strv_length(cfg->sysctls);
        pl->cwd = p->cwd;
        pl->user = &p->user;
        pl->caps = p->caps;
        pl->cap_last = rt_cap_last();
        pl->nnp = cfg->no_new_privileges;
        pl->seccomp = p->bpf ? &p->fprog : NULL;
        pl->init = cfg->init;
        pl->tty = cfg->tty;
        if (cfg->init && rt_proc_self_args(pl->args_area) < 0)
                memset(pl->args_area, 0, sizeof(pl->args_area));
        pl->argv = cfg->argv;
        pl->envp = p->env;
        pl->path_env = rt_env_get(p->env, "PATH");
}

static int
prepare(struct prep *p, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        int r = check_config(cfg, err);

        if (r == 0)
                r = fs_mkdir_p(p->run_dir, 0700, err);
        if (r == 0 && fs_exists(p->state_path))
                r = err_setf(err, -EEXIST, "run directory '%s' already holds a container",
                             p->run_dir);
        p->owned = r == 0;
        if (r == 0 && mkdir(p->rootfs_mnt, 0700) < 0 && errno != EEXIST)
                r = err_setf(err, -errno, "create '%s': %s", p->rootfs_mnt, strerror(errno));
        if (r == 0)
                r = prepare_cgroups(p, err);
        if (r == 0)
                r = prepare_rootfs(p, err);
        if (r == 0)
                r = prepare_identity(p, err);
        if (r == 0)
                r = prepare_seccomp(p, err);
        if (r == 0)
                r = prepare_etc(p, err);
        if (r == 0)
                r = prepare_mounts(p, err);
        if (r == 0)
                r = prepare_limits(p, err);
        if (r == 0 && cfg->net == RT_NET_NETNS) {
                p->netns_fd = open(cfg->netns_path, O_RDONLY | O_CLOEXEC);
                if (p->netns_fd < 0)
                        r = err_setf(err, -errno, "open network namespace '%s': %s",
                                     cfg->netns_path, strerror(errno));
        }
        if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->socks) < 0)
                r = err_setf(err, -errno, "socketpair: %s", strerror(errno));
        if (r == 0)
                fill_plan(p);
        return r;
}

/* ---- spawning -------------------------------------------------------------------------- */

pid_t
rt_fork_into_cgroup(int cgfd, int *ret_in)
{
        struct clone3_args a = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
                                 .cgroup = (uint64_t)cgfd };
        long pid = cgfd >= 0 ? syscall(SYS_clone3, &a, sizeof(a)) : -1;

        *ret_in = pid >= 0;
        return pid >= 0 ? (pid_t)pid : fork();
}

static unsigned long
clone_flags(const struct rt_config *cfg)
{
        unsigned long f = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;

        return cfg->net == RT_NET_NONE ? f | CLONE_NEWNET : f;
}

/* v2_dir_fd: the container's cgroup in the v2 hierarchy, for CLONE_INTO_CGROUP (no
 * migration needed, and the cgroup namespace can be made by the clone itself). */
static int
v2_dir_fd(const struct prep *p)
{
        for (size_t i = 0; i < p->cg.n; i++)
                if (p->cg.h[i].v2)
                        return open(p->cg_dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        return -1;
}

/* spawn: clone the first process; *ret_in_v2 tells whether it was born in its v2 cgroup. */
static pid_t
spawn(struct prep *p, int *ret_pidfd, int *ret_in_v2)
{
        cleanup_close int cgfd = v2_dir_fd(p);
        int v2ns = p->cg.mode == RT_CG_V2;
        struct clone3_args a = { .flags = clone_flags(p->cfg) | CLONE_PIDFD,
                                 .pidfd = (uint64_t)(uintptr_t)ret_pidfd,
                                 .exit_signal = SIGCHLD };
        long pid = -1;

        if (cgfd >= 0) {
                a.flags |= CLONE_INTO_CGROUP | (v2ns ? CLONE_NEWCGROUP : 0);
                a.cgroup = (uint64_t)cgfd;
                p->plan.unshare_cgroupns = 0;
                pid = syscall(SYS_clone3, &a, sizeof(a));
        }
        *ret_in_v2 = pid >= 0;
        if (pid < 0) {
                a.flags &= ~(CLONE_INTO_CGROUP | CLONE_NEWCGROUP);
                p->plan.unshare_cgroupns = v2ns;
                pid = syscall(SYS_clone3, &a, sizeof(a));
        }
        if (pid < 0 && errno == ENOSYS) {
                /* no clone3 (old kernel, or a seccomp filter around us): plain fork-like clone;
                 * every pointer argument is NULL, so the per-arch argument order is moot */
                *ret_pidfd = -1;
                pid = syscall(SYS_clone, clone_flags(p->cfg) | SIGCHLD, NULL, NULL, NULL, NULL);
        }
        return (pid_t)pid;
}

char *
rt_msg_text(const struct rt_msg *m)
{
        if (strcmp(m->what, "exec") == 0 && m->errnum == 0)
                return xasprintf("exec: \"%s\": executable file not found in $PATH", m->detail);
        if (strcmp(m->what, "exec") == 0)
                return xasprintf("exec: \"%s\": %s", m->detail, strerror(m->errnum));
        if (!m->detail[0])
                return xasprintf("%s: %s", m->what, strerror(m->errnum));
        return xasprintf("%s '%s': %s", m->what, m->detail, strerror(m->errnum));
}

/* recv_msg: 1 and *m for a message, 0 at end-of-file (the child exec'd or died). */
static int
recv_msg(int sock, struct rt_msg *m, struct err *err)
{
        ssize_t n;

        memset(m, 0, sizeof(*m));
        do
                n = recv(sock, m, sizeof(*m), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return err_setf(err, -errno, "read from the container process: %s",
                                strerror(errno));
        m->what[sizeof(m->what) - 1] = m->detail[sizeof(m->detail) - 1] = '\0';
        return n > 0;
}

static int
send_byte(int sock, char b, struct err *err)
{
        if (send(sock, &b, 1, MSG_NOSIGNAL) != 1)
                return err_setf(err, -EPIPE, "the container process is gone");
        return 0;
}

static void
kill_and_reap(pid_t pid, int pidfd)
{
        int status;

        if (pidfd >= 0)
                syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        else
                kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
}

/* handshake: after the clone. The first cgroup migration of another process after a quiet
 * spell waits for an RCU grace period in the kernel (milliseconds): the child joins its v1
 * cgroups itself (rt_cgroup_open_tasks), which does not, and is let go ('g') first and sets
 * up its mounts meanwhile; it cannot exec before 's', so it is in its cgroups and the
 * network hook has run by then. A child that must unshare its cgroup namespace is
 * attached first (the namespace's root is its cgroup at that time). */
static int
handshake(struct prep *p, pid_t pid, int in_v2, struct err *err)
{
        const struct rt_config *cfg = p->cfg;
        int early = !p->plan.unshare_cgroupns;
        struct rt_msg m;
        int r = early ? send_byte(p->socks[0], 'g', err) : 0;

        if (r == 0)
                r = rt_cgroup_attach(&p->cg, p->cg_dirs, in_v2, p->plan.n_cg_tasks > 0, pid,
                                     err);
        if (r == 0 && cfg->net_hook)
                r = cfg->net_hook(cfg->net_hook_ctx, pid, err);
        if (r == 0)
                r = write_state(p, pid, err);
        if (r == 0 && !early)
                r = send_byte(p->socks[0], 'g', err);
        if (r == 0) {
                r = rt_msg_recv(p->socks[0], &m, &p->pty);
                if (r < 0)
                        return err_setf(err, r, "read from the container process: %s",
                                        strerror(-r));
        }
        if (r < 0)
                return r;
        if (r == 0)
                return err_setf(err, -ECHILD, "the container process exited during setup");
        if (m.kind == RT_MSG_ERROR) {
                cleanup_free char *text = rt_msg_text(&m);

                return err_setf(err, m.errnum ? -m.errnum : -EIO, "%s", text);
        }
        return 0;
}

static void
undo_create(struct prep *p, pid_t pid, int pidfd)
{
        if (pid > 0)
                kill_and_reap(pid, pidfd);
        if (pidfd >= 0)
                close(pidfd);
        rt_delete(p->run_dir, NULL);
}

static int
create(struct prep *p, struct rt_container **ret, struct err *err)
{
        struct rt_container *c;
        const char *mem;
        int pidfd = -1, in_v2 = 0, r;
        pid_t pid;

        r = write_state(p, 0, err);
        if (r == 0)
                r = rt_cgroup_create(&p->cg, p->cg_dirs, p->cfg,
                                     (const char *const *)p->mt.device_rules, err);
        if (r == 0) {
                r = rt_cgroup_open_tasks(&p->cg, p->cg_dirs, p->cg_tasks, RT_CG_TASKS_MAX,
                                         &p->n_cg_tasks, err);
                if (r == -E2BIG) /* more v1 hierarchies than fds: the parent moves it */
                        r = 0;
                p->plan.cg_tasks = p->cg_tasks;
                p->plan.n_cg_tasks = p->n_cg_tasks;
        }
        if (r < 0)
                return r;
        pid = spawn(p, &pidfd, &in_v2);
        if (pid == 0)
                rt_child_run(&p->plan);
        if (pid < 0)
                return err_setf(err, -errno, "clone: %s", strerror(errno));
        close(TAKE_FD(p->socks[1]));
        r = handshake(p, pid, in_v2, err);
        if (r < 0) {
                undo_create(p, pid, pidfd);
                return r;
        }
        c = xcalloc(1, sizeof(*c));
        c->run_dir = xstrdup(p->run_dir);
        c->pid = pid;
        c->pidfd = pidfd;
        c->sock = TAKE_FD(p->socks[0]);
        c->pty = TAKE_FD(p->pty);
        mem = memory_dir(p, &c->memory_v2);
        c->memory_dir = mem ? xstrdup(mem) : NULL;
        *ret = c;
        return 0;
}

int
rt_create(const struct rt_config *cfg, const char *run_dir, struct rt_container **ret,
          struct err *err)
{
        struct prep p = { .cfg = cfg, .netns_fd = -1, .socks = { -1, -1 }, .pty = -1 };
        int r;

        if (!rt_exe_is_protected())
                return err_setf(err, -EPERM,
                                "create container: the running binary is not a "
                                "sealed copy (call rt_exe_protect() first)");
        p.run_dir = path_clean(run_dir);
        p.state_path = xasprintf("%s/state", p.run_dir);
        p.rootfs_mnt = xasprintf("%s/rootfs", p.run_dir);
        r = prepare(&p, err);
        if (r == 0)
                r = create(&p, ret, err);
        else if (p.owned)
                rt_delete(p.run_dir, NULL);
        prep_release(&p);
        if (r < 0)
                err_prefix(err, "create container");
        return r;
}

/* ---- the parent's handle ---------------------------------------------------------------- */

int
rt_start(struct rt_container *c, int *ret_exit_code, struct err *err)
{
        struct rt_msg m;
        int r;

        if (ret_exit_code)
                *ret_exit_code = 125;
        if (c->sock < 0)
                return err_setf(err, -EALREADY, "start container: already started");
        r = send_byte(c->sock, 's', err);
        if (r == 0)
                r = recv_msg(c->sock, &m, err);
        close(TAKE_FD(c->sock));
        if (r <= 0)
                return r < 0 ? err_prefix(err, "start container") : 0;
        if (ret_exit_code)
                *ret_exit_code = m.exit_code ? m.exit_code : 125;
        {
                cleanup_free char *text = rt_msg_text(&m);

                return err_setf(err, m.errnum ? -m.errnum : -ENOENT, "start container: %s", text);
        }
}

pid_t
rt_container_pid(const struct rt_container *c)
{
        return c->reaped ? 0 : c->pid;
}

int
rt_container_take_pty(struct rt_container *c)
{
        return TAKE_FD(c->pty);
}

int
rt_container_pidfd(const struct rt_container *c)
{
        return c->pidfd;
}

int
rt_wait(struct rt_container *c, int nohang, struct rt_exit *ret_exit, struct err *err)
{
        int status = 0;
        pid_t w;

        if (c->reaped)
                return err_setf(err, -ECHILD, "wait: the container was already reaped");
        do
                w = waitpid(c->pid, &status, nohang ? WNOHANG : 0);
        while (w < 0 && errno == EINTR);
        if (w == 0)
                return -EAGAIN;
        if (w < 0)
                return err_setf(err, -errno, "wait for the container: %s", strerror(errno));
        c->reaped = 1;
        memset(ret_exit, 0, sizeof(*ret_exit));
        if (WIFSIGNALED(status)) {
                ret_exit->signal = WTERMSIG(status);
                ret_exit->code = 128 + ret_exit->signal;
        } else {
                ret_exit->code = WEXITSTATUS(status);
        }
        ret_exit->oom_killed =
                c->memory_dir && rt_cgroup_oom_count(c->memory_dir, c->memory_v2) > 0;
        return 0;
}

struct rt_container *
rt_container_free(struct rt_container *c)
{
        if (!c)
                return NULL;
        if (c->sock >= 0)
                close(c->sock);
        if (c->pidfd >= 0)
                close(c->pidfd);
        if (c->pty >= 0)
                close(c->pty);
        free(c->run_dir);
        free(c->memory_dir);
        free(c);
        return NULL;
}

/* ---- by run directory ------------------------------------------------------------------- */

/* open_pid: a pidfd of the state's PID 1 if it is still that process, else -ESRCH. */
static int
open_pid(const struct rt_state *st)
{
        int fd;

        if (!rt_state_running(st))
                return -ESRCH;
        fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
        if (fd < 0)
                return -errno;
        /* the pid could have been reused between the check and the open: check again */
        if (!rt_state_running(st)) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}

int
rt_kill(const char *run_dir, int sig, struct err *err)
{
        struct rt_state st;
        int r = rt_state_read(run_dir, &st, err), fd;

        if (r < 0)
                return r;
        fd = open_pid(&st);
        rt_state_release(&st);
        if (fd < 0)
                return err_setf(err, fd, "kill container: %s",
                                fd == -ESRCH ? "it is not running" : strerror(-fd));
        r = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
        r = r < 0 ? err_setf(err, -errno, "kill container: %s", strerror(errno)) : 0;
        close(fd);
        return r;
}

int
rt_oom_killed(const char *run_dir, struct err *err)
{
        struct rt_state st;
        int r = rt_state_read(run_dir, &st, err);

        if (r < 0)
                return r;
        r = st.memory_cgroup && rt_cgroup_oom_count(st.memory_cgroup, st.memory_v2) > 0;
        rt_state_release(&st);
        return r;
}

static void
stop_pid1(const struct rt_state *st)
{
        struct pollfd pfd = { .events = POLLIN };

        pfd.fd = open_pid(st);
        if (pfd.fd < 0)
                return;
        if (syscall(SYS_pidfd_send_signal, pfd.fd, SIGKILL, NULL, 0) == 0)
                poll(&pfd, 1, DELETE_WAIT_MS); /* readable once it has exited */
        close(pfd.fd);
}

static void
remove_run_files(const char *run_dir)
{
        /* with the temp files a crash in rt_write_file() can leave */
        static const char *const files[] = { "hosts",     "hostname",     "resolv.conf",
                                             "hosts.tmp", "hostname.tmp", "resolv.conf.tmp",
                                             "state.tmp" };
        cleanup_free char *rootfs = xasprintf("%s/rootfs", run_dir);

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                cleanup_free char *f = xasprintf("%s/%s", run_dir, files[i]);

                unlink(f);
        }
        /* never mounted on the host by this runtime; an unmount is for older layouts */
        umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
        rmdir(rootfs);
}

int
rt_delete(const char *run_dir, struct err *err)
{
        cleanup_free char *state = xasprintf("%s/state", run_dir);
        struct rt_state st;
        int r;

        if (!fs_exists(run_dir))
                return 0;
        r = rt_state_read(run_dir, &st, err);
        if (r < 0 && r != -ENOENT)
                return err_prefix(err, "delete container");
        if (r == -ENOENT)
                err_clear(err); /* no state: nothing was started, only files to remove */
        if (r == 0) {
                /* a frozen (paused) process would not act on SIGKILL until thawed */
                rt_freeze_dirs(st.cgroups, 0, NULL);
                stop_pid1(&st);
                r = rt_cgroup_destroy(st.cgroups, err);
                rt_state_release(&st);
                if (r < 0)
                        return err_prefix(err, "delete container");
        }
        remove_run_files(run_dir);
        if (unlink(state) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "delete container: remove '%s': %s", state,
                                strerror(errno));
        rmdir(run_dir);
        return 0;
}
