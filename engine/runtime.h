/* runtime: run one container from a root filesystem, isolated like Docker's defaults.
 *
 * A container is one process tree in new mount, pid, uts, ipc and (unless the host's is asked
 * for) net namespaces, plus a cgroup namespace on a pure cgroup v2 host. Its root is an
 * overlayfs (lower layer dirs + one upper/work dir) or a plain directory, entered with
 * pivot_root; /proc, /dev, /sys, /dev/pts, /dev/shm, /dev/mqueue and the cgroup view are
 * mounted like runc does for Docker; masked and read-only paths, the capability set, the
 * default seccomp profile (evaluated for the container's capabilities), rlimits, sysctls and
 * cgroup limits (v1, v2 and hybrid hosts) follow docker run's defaults and flags.
 *
 * Lifecycle (one caller, usually the per-container monitor, is the parent):
 *   rt_create()  validates and prepares everything (cgroups, seccomp BPF, mount table, the
 *                generated /etc files in run_dir), clones the container's first process and
 *                sets it up up to the point of execve(2); it then waits.
 *   rt_start()   lets it execve the command; fails with the docker exit code 126/127/125
 *                when the command cannot be run.
 *   rt_wait()    reaps it and reports the exit code (128+signal when killed) and the OOM flag.
 *   rt_delete()  kills what is left, removes the cgroups and the run_dir files. Idempotent, and
 *                needs only run_dir: any process may call it, also after the parent crashed.
 * rt_kill() signals a container by its run_dir. All mounts live in the container's own mount
 * namespace, so nothing is ever mounted on the host and a crash leaves no mount behind.
 * Until it execs, the container's first process dies with the thread that created it
 * (PR_SET_PDEATHSIG); after, it outlives it. The caller reaps it (rt_wait); once the caller
 * is gone, whoever inherits it does.
 *
 * Security note: the process that calls rt_create() must have called rt_exe_protect() first
 * (CVE-2019-5736): otherwise a container could overwrite the berth binary through
 * /proc/self/exe. rt_create() refuses to run otherwise.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "base/err.h"

/* Docker's default capability set for root (CapEff 00000000a80425fb): CHOWN DAC_OVERRIDE
 * FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD
 * AUDIT_WRITE SETFCAP. */
#define RT_CAPS_DOCKER_DEFAULT 0x00000000a80425fbULL

/* Caps on what a config may ask for. */
#define RT_ID_MAX       64
#define RT_HOSTNAME_MAX 64
#define RT_ARGS_MAX     4096       /* argv and env entries */
#define RT_MOUNTS_MAX   256        /* user mounts */
#define RT_GROUPS_MAX   65536      /* supplementary groups (the kernel's NGROUPS_MAX) */
#define RT_PROFILE_MAX  (4u << 20) /* a seccomp profile file */
#define RT_ETC_FILE_MAX (8u << 20) /* /etc/passwd and /etc/group of a rootfs */

enum rt_mount_type {
        RT_MOUNT_BIND,  /* host path (a volume is a bind of its host dir) */
        RT_MOUNT_TMPFS, /* a fresh tmpfs */
};

/* One user mount (-v, --mount, --tmpfs). */
struct rt_mount {
        enum rt_mount_type type;
        const char *source; /* host path, absolute (bind only) */
        const char *target; /* absolute path in the container */
        /* docker-style comma list: ro|rw, [no]exec, [no]suid, [no]dev, private|rprivate|slave|
         * rslave|shared|rshared, nonrecursive (bind); size=N[kmg], mode=OCTAL, uid=, gid=,
         * nr_inodes= (tmpfs). NULL = defaults (bind: rw,rbind,rprivate; tmpfs: rw,nosuid,
         * nodev,noexec, mode=1777). */
        const char *options;
};

/* One --ulimit: resource is RLIMIT_*; RT_ULIMIT_UNLIMITED means RLIM_INFINITY. */
#define RT_ULIMIT_UNLIMITED UINT64_MAX
struct rt_ulimit {
        int resource;
        uint64_t soft, hard;
};

/* One --device: host device node made available at path in the container. */
struct rt_device {
        const char *host_path;
        const char *path;   /* in the container; NULL = host_path */
        const char *access; /* cgroup permissions, subset of "rwm"; NULL = "rwm" */
};

enum rt_net_mode {
        RT_NET_NONE,  /* a new namespace with only lo, up (docker --network none) */
        RT_NET_HOST,  /* the caller's namespace */
        RT_NET_NETNS, /* join netns_path (a /proc/PID/ns/net or a bind-mounted netns) */
};

/* Called by rt_create() in the parent once the container's first process exists, with its
 * namespaces (e.g. to move a veth into /proc/PID/ns/net and configure it). It runs while
 * that process sets up its mounts; the command is not started before it returns, and a
 * failure aborts the create. */
typedef int (*rt_net_hook_fn)(void *ctx, pid_t pid, struct err *err);

struct rt_config {
        const char *id; /* [A-Za-z0-9][A-Za-z0-9_.-]*, at most RT_ID_MAX; names the cgroup */

        /* Root filesystem: either a plain directory, or overlayfs layers. */
        const char *rootfs;     /* plain directory; NULL when lowerdirs is set */
        char *const *lowerdirs; /* overlay lower dirs, top-most first (NULL-terminated) */
        const char *upperdir;   /* overlay upper and work dirs (same filesystem) */
        const char *workdir;
        int readonly_rootfs; /* --read-only */

        /* Process. */
        char *const *argv;      /* required; argv[0] is looked up in the container's PATH */
        char *const *env;       /* "NAME=value"; PATH, HOSTNAME, HOME added like docker */
        const char *cwd;        /* absolute; created when missing; NULL = "/" */
        const char *user;       /* user[:group] / uid[:gid]; NULL or "" = root */
        char *const *group_add; /* --group-add: names or gids */
        int init;               /* --init: a built-in PID 1 that reaps and forwards signals */
        int stdio[3];           /* fds to become 0, 1, 2; -1 = the caller's own */
        int tty;                /* a pty of the container's /dev/pts as 0, 1, 2 instead (its
                                 * controlling terminal); see rt_container_take_pty() */

        /* Identity and network. */
        const char *hostname; /* NULL = the first 12 characters of id */
        const char *domainname;
        enum rt_net_mode net;
        const char *netns_path;  /* RT_NET_NETNS */
        rt_net_hook_fn net_hook; /* optional, see above */
        void *net_hook_ctx;
        const char *ip;           /* the container's address for /etc/hosts, or NULL */
        char *const *extra_hosts; /* --add-host "name:ip" */
        char *const *dns;         /* --dns servers; NULL = the host's resolv.conf */
        char *const *dns_search;
        char *const *dns_options;

        /* Mounts. */
        const struct rt_mount *mounts;
        size_t n_mounts;
        const struct rt_device *devices;
        size_t n_devices;
        uint64_t shm_size; /* bytes of /dev/shm; 0 = 64 MiB */

        /* Privileges. */
        char *const *cap_add; /* names with or without CAP_, any case, or ALL */
        char *const *cap_drop;
        int privileged;
        const char *seccomp; /* NULL = docker's default profile, "unconfined", or a file */
        int no_new_privileges;
        const char *cache_dir; /* keeps compiled seccomp filters between runs (a root-only
                                * directory, e.g. /var/lib/berth/cache); NULL = none */

        /* Resources. */
        const struct rt_ulimit *ulimits;
        size_t n_ulimits;
        char *const *sysctls;      /* "name=value" (namespaced ones only, as docker checks) */
        const char *cgroup_parent; /* relative to each hierarchy's root; NULL = "berth" */
        int64_t memory;            /* bytes; 0 = unlimited */
        int64_t memory_swap;       /* memory+swap bytes; 0 = twice memory, -1 = unlimited */
        int64_t pids_limit;        /* 0 or negative = unlimited */
        int64_t nano_cpus;         /* --cpus * 1e9; 0 = unlimited */
        int64_t cpu_shares;        /* 0 = default */
        const char *cpuset_cpus;   /* NULL = all */
};

/* rt_config_init: zero cfg and set the fields whose default is not 0 (stdio = -1). */
void rt_config_init(struct rt_config *cfg);

struct rt_container; /* the parent's handle of one created container */

/* rt_create: prepare and spawn the container described by cfg, leaving it waiting for
 * rt_start(). run_dir is the container's own runtime directory (created if missing, mode
 * 0700); the state file and the generated hosts, hostname and resolv.conf live there. cfg is
 * only read during the call. On failure nothing is left behind (no process, no cgroup).
 * Errors: -EINVAL for a bad config (message says which field), -EPERM when the binary is not
 * protected (see rt_exe_protect), -ENOENT for a missing rootfs, others from the kernel. */
int rt_create(const struct rt_config *cfg, const char *run_dir, struct rt_container **ret,
              struct err *err);

/* rt_start: let the container exec its command. On failure *ret_exit_code (if given) is the
 * code docker reports: 127 command not found, 126 not executable, 125 anything else; the
 * container process has then exited and rt_wait() reaps it. */
int rt_start(struct rt_container *c, int *ret_exit_code, struct err *err);

/* rt_container_pid: the container's PID 1 as seen from the caller; 0 once reaped. */
pid_t rt_container_pid(const struct rt_container *c);

/* rt_container_take_pty: the master side of the container's pty (cfg->tty), now owned by the
 * caller; -1 without a pty or when already taken. */
int rt_container_take_pty(struct rt_container *c);

/* rt_container_pidfd: a pidfd of PID 1 (owned by c), for poll(2); -1 if unsupported. */
int rt_container_pidfd(const struct rt_container *c);

struct rt_exit {
        int code;       /* exit status, or 128+signal */
        int signal;     /* the killing signal, 0 when it exited */
        int oom_killed; /* the kernel's OOM killer killed a process of the container */
};

/* rt_wait: wait for PID 1 to end (blocking unless nohang: then -EAGAIN while running). */
int rt_wait(struct rt_container *c, int nohang, struct rt_exit *ret_exit, struct err *err);

/* rt_container_free: release the handle (fds, memory). Does not stop the container; returns
 * NULL; accepts NULL. */
struct rt_container *rt_container_free(struct rt_container *c);

/* The state recorded in run_dir, readable by any process. */
struct rt_state {
        char id[RT_ID_MAX + 1];
        pid_t pid;           /* 0 until the process exists */
        uint64_t start_time; /* /proc/PID/stat starttime, to detect a reused pid */
        char **cgroups;      /* absolute cgroup directories, one per hierarchy (owned) */
        char *memory_cgroup; /* the one holding memory limits and OOM counters, or NULL */
        int memory_v2;
};

/* rt_state_read: parse run_dir's state. -ENOENT when there is none. */
int rt_state_read(const char *run_dir, struct rt_state *ret, struct err *err);
void rt_state_release(struct rt_state *st);

/* rt_state_running: whether the state's PID 1 is still the same live process. */
int rt_state_running(const struct rt_state *st);

/* rt_kill: send sig to the container's PID 1 (by run_dir). -ESRCH when it is not running. */
int rt_kill(const char *run_dir, int sig, struct err *err);

/* rt_freeze: pause (freeze 1) or unpause (0) every process of the container with the cgroup
 * freezer (v1 freezer controller when there is one, else v2 cgroup.freeze), returning once
 * the kernel reports it done. -ESRCH when not running, -ENOTSUP without a freezer,
 * -ETIMEDOUT when it does not settle (a freeze is then undone). */
int rt_freeze(const char *run_dir, int freeze, struct err *err);

/* rt_frozen: 1 when the container's cgroup is frozen (or freezing), 0 when not, -errno. */
int rt_frozen(const char *run_dir);

/* rt_pids: the host pids of every process of the container (its cgroup.procs), sorted;
 * *ret owned; at most RT_PIDS_MAX. */
#define RT_PIDS_MAX 1000000
int rt_pids(const char *run_dir, pid_t **ret, size_t *ret_n, struct err *err);

/* rt_oom_killed: whether the container's memory cgroup saw an OOM kill (1/0). */
int rt_oom_killed(const char *run_dir, struct err *err);

/* rt_delete: SIGKILL every process of the container, wait for them, remove its cgroups and
 * the files rt_create() put in run_dir, then run_dir itself if empty. Safe to call at any
 * time, any number of times, from any process; a missing run_dir is success. */
int rt_delete(const char *run_dir, struct err *err);

/* ---- exec: runtime_exec.c ------------------------------------------------------------- */

/* What `exec` runs in a running container. The privileges are the container's own (its
 * capability set, seccomp profile and no-new-privileges), so pass the container's values. */
struct rt_exec_config {
        char *const *argv;    /* required; argv[0] is looked up in the container's PATH */
        char *const *env;     /* the container's environment, then the exec's own (-e) */
        const char *hostname; /* HOSTNAME of the environment */
        const char *cwd;      /* absolute, must exist in the container; NULL = "/" */
        const char *user;     /* user[:group] / uid[:gid] from the container's /etc files */
        char *const *cap_add; /* the container's --cap-add / --cap-drop / --privileged */
        char *const *cap_drop;
        int privileged;
        int exec_privileged;   /* exec --privileged: every capability */
        const char *seccomp;   /* the container's: NULL = default, "unconfined", a file */
        int no_new_privileges; /* the container's */
        const char *cache_dir; /* compiled seccomp filters (see struct rt_config) */
        int stdio[3];          /* fds that become 0, 1, 2 (ignored with tty) */
        int tty;               /* a new pty of the container's /dev/pts as 0, 1, 2 */
        unsigned short tty_rows, tty_cols; /* its size before the command starts; 0 = none */
};

/* The process rt_exec() started: a child of the caller (reap it with waitpid), PID in the
 * container's pid namespace. */
struct rt_exec_proc {
        pid_t pid;
        int pidfd; /* owned; -1 if unsupported */
        int pty;   /* owned master side of the pty (tty), else -1 */
};

/* rt_exec: run cfg in the container of run_dir: the process joins its cgroups and its ipc,
 * uts, net, cgroup, pid and mount namespaces, takes the user, capabilities, seccomp filter
 * and no_new_privs, gets only fds 0, 1, 2, and execs. Needs rt_exe_protect() like
 * rt_create(). On a failure to run the command *ret_exit_code (if given) is docker's: 127
 * not found, 126 not executable or no such working directory, 125 anything else.
 * Errors: -ESRCH when the container is not running, -EPERM when not protected. */
int rt_exec(const char *run_dir, const struct rt_exec_config *cfg, struct rt_exec_proc *ret,
            int *ret_exit_code, struct err *err);

/* rt_exec_proc_release: close the fds of p (the process keeps running). */
void rt_exec_proc_release(struct rt_exec_proc *p);

/* rt_exe_protect: make /proc/self/exe of this process a file nothing can write to, so that
 * nothing a container does through /proc/PID/exe can reach the binary on disk
 * (CVE-2019-5736): a read-only private clone of its mount, else a sealed in-memory copy (see
 * runtime_exe.c). When it already is one, returns 0 at once; otherwise re-executes the
 * process from it with argv and the current environment and returns only on failure.
 * Call it first thing in main() of a process that will create containers. */
int rt_exe_protect(char *const argv[], struct err *err);

/* rt_exe_open_protected: the executable at path, protected as rt_exe_protect says, as an fd
 * (O_CLOEXEC; O_PATH for a clone) to fexecve(3), for a parent that execs a runtime process
 * protected from the start. *ret_fd owned. */
int rt_exe_open_protected(const char *path, int *ret_fd, struct err *err);

/* rt_exe_readonly_clone: path's file on a new read-only mount attached nowhere (O_PATH fd);
 * -ENOSYS/-EPERM where the kernel or our privileges do not allow it. *ret_fd owned. */
int rt_exe_readonly_clone(const char *path, int *ret_fd, struct err *err);

/* rt_exe_sealed_copy: a sealed memfd copy of the executable at path (O_CLOEXEC; fexecve(3)
 * works on it since it is an ELF file, not a script). *ret_fd owned. */
int rt_exe_sealed_copy(const char *path, int *ret_fd, struct err *err);

/* rt_exe_is_protected: 1 when /proc/self/exe is a sealed copy or on a read-only private
 * clone (rt_exe_readonly_clone), else 0. */
int rt_exe_is_protected(void);
