/* runtime_int: the runtime's private pieces, shared by engine/runtime*.c and their tests.
 *
 * The pure parts (user resolution, capability sets, seccomp profile evaluation, cgroup paths
 * and limit files, the mount table, /etc files and the environment) take plain inputs and
 * return owned values, so the unit tests run them without root. struct rt_plan is everything
 * the container's first process needs between clone() and execve(): it is filled in before
 * the clone so that the child never allocates.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "base/err.h"
#include "engine/runtime.h"

/* struct clone_args of clone3(2), CLONE_ARGS_SIZE_VER2 */
struct clone3_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        uint64_t set_tid, set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#        define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* rt_fork_into_cgroup: fork(2), the child born in the v2 cgroup cgfd (CLONE_INTO_CGROUP:
 * no migration, so no wait for the kernel's cgroup_threadgroup_rwsem). *ret_in tells whether
 * it was; when not (cgfd < 0, or a kernel or filter without clone3) it is a plain fork. */
pid_t rt_fork_into_cgroup(int cgfd, int *ret_in);

/* ---- users: runtime_user.c ------------------------------------------------------------- */

/* The identity the container's process takes (runc's ExecUser, docker's AdditionalGids). */
struct rt_user {
        uid_t uid;
        gid_t gid;
        gid_t *groups; /* supplementary groups: gid first, then the user's, then group_add */
        size_t n_groups;
        char *home; /* from passwd, "/" when the user has no entry */
};

/* rt_user_resolve: resolve a docker -u spec ("", "name", "uid", "name:group", "uid:gid", …)
 * against the text of the rootfs's /etc/passwd and /etc/group (NULL when the file is
 * absent), plus --group-add entries. A numeric uid or gid needs no entry; a name does.
 * Errors (-EINVAL): "unable to find user NAME: no matching entries in passwd file" and the
 * like, as docker words them. */
int rt_user_resolve(const char *spec, const char *passwd, const char *group, char *const *group_add,
                    struct rt_user *ret, struct err *err);
void rt_user_release(struct rt_user *u);

/* ---- capabilities: runtime_caps.c ------------------------------------------------------ */

/* rt_cap_parse: "chown", "CAP_CHOWN", "cap_chown" -> CAP_CHOWN. -EINVAL when unknown. */
int rt_cap_parse(const char *name, int *ret_cap, struct err *err);

/* rt_caps_compute: docker's TweakCapabilities: basics minus drop plus add; "ALL" in add gives
 * every capability of all_mask minus drop; "ALL" in drop leaves only add; privileged gives
 * all_mask. Every capability asked for must be in all_mask. */
int rt_caps_compute(uint64_t basics, char *const *add, char *const *drop, int privileged,
                    uint64_t all_mask, uint64_t *ret, struct err *err);

/* rt_caps_all: the capabilities this kernel knows and this process may hand on (its bounding
 * set; a VM can lack some, e.g. CAP_SYS_RESOURCE). */
uint64_t rt_caps_all(void);
/* rt_cap_last: the highest capability number the kernel knows. */
int rt_cap_last(void);

/* ---- seccomp: runtime_seccomp.c -------------------------------------------------------- */

#define RT_SC_ARGS_MAX 6

struct rt_sc_arg {
        unsigned index;
        int op; /* enum scmp_compare */
        uint64_t value;
        uint64_t value2;
};

/* A rule that applies to this container (includes/excludes already evaluated). */
struct rt_sc_rule {
        char *name;
        uint32_t action; /* libseccomp SCMP_ACT_* value, errno folded in */
        struct rt_sc_arg args[RT_SC_ARGS_MAX];
        unsigned n_args;
};

struct rt_sc_profile {
        uint32_t default_action;
        uint32_t arches[8]; /* SCMP_ARCH_* tokens, the native one first */
        size_t n_arches;
        struct rt_sc_rule *rules;
        size_t n_rules;
};

/* The kernel's idea of the machine, for "arches" and "minKernel" conditions. */
struct rt_sc_host {
        uint32_t arch; /* SCMP_ARCH_* of the runtime */
        unsigned kmajor, kminor;
};

/* rt_seccomp_default_profile: docker's default profile (moby/profiles seccomp/default.json),
 * embedded, NUL-terminated. */
const char *rt_seccomp_default_profile(void);

/* rt_seccomp_host: the running machine (native arch, uname release). */
void rt_seccomp_host(struct rt_sc_host *ret);

/* rt_seccomp_evaluate: parse a docker seccomp profile (JSON text; what names it in errors)
 * and keep the rules that apply to a container whose bounding set is caps on host. */
int rt_seccomp_evaluate(const char *json, const char *what, uint64_t caps,
                        const struct rt_sc_host *host, struct rt_sc_profile *ret, struct err *err);
void rt_sc_profile_release(struct rt_sc_profile *p);

/* rt_seccomp_compile: the BPF program (owned, *ret_len instructions) for p; syscalls the
 * installed libseccomp does not know are skipped, as runc does. */
int rt_seccomp_compile(const struct rt_sc_profile *p, struct sock_filter **ret, size_t *ret_len,
                       struct err *err);

/* rt_seccomp_load: evaluate and compile profile for caps on this machine, or take the
 * filter from cache_dir (NULL = no cache) where an earlier run left it. The cache is used
 * only when cache_dir belongs to this user and is not writable by others. */
int rt_seccomp_load(const char *profile, const char *what, uint64_t caps, const char *cache_dir,
                    struct sock_filter **ret, size_t *ret_len, struct err *err);

/* ---- cgroups: runtime_cgroup.c --------------------------------------------------------- */

enum rt_cg_mode {
        RT_CG_V1,     /* only v1 hierarchies */
        RT_CG_HYBRID, /* v1 controllers, plus a v2 hierarchy (usually /sys/fs/cgroup/unified) */
        RT_CG_V2,     /* the unified hierarchy only */
};

struct rt_cg_hier {
        char *mountpoint;  /* /sys/fs/cgroup/memory */
        char *controllers; /* "memory", "cpu,cpuacct", "name=systemd"; "" for v2 */
        int v2;
};

struct rt_cg_layout {
        enum rt_cg_mode mode;
        struct rt_cg_hier *h;
        size_t n;
};

/* rt_cgroup_parse_mountinfo: the cgroup hierarchies listed in a /proc/self/mountinfo text
 * (each hierarchy once, the first mount of it). */
int rt_cgroup_parse_mountinfo(const char *text, struct rt_cg_layout *ret, struct err *err);
void rt_cg_layout_release(struct rt_cg_layout *l);

/* rt_cg_has: whether hierarchy h carries controller ctl ("memory"). */
int rt_cg_has(const struct rt_cg_hier *h, const char *ctl);

/* One file to write in a container's cgroup. */
struct rt_cg_write {
        const char *controller; /* whose hierarchy (v1) or which must be enabled (v2) */
        char *file;
        char *value;
};

/* rt_cgroup_limits: the limit files for cfg (memory, swap, pids, cpus, shares, cpuset) in
 * docker's units for v1 or v2. *ret is owned; release with rt_cg_writes_free. */
int rt_cgroup_limits(const struct rt_config *cfg, int v2, struct rt_cg_write **ret, size_t *ret_n,
                     struct err *err);
void rt_cg_writes_free(struct rt_cg_write *w, size_t n);

/* rt_cgroup_dirs: the container's cgroup directory in each hierarchy of l:
 * <mountpoint>/<parent>/<id>. */
char **rt_cgroup_dirs(const struct rt_cg_layout *l, const char *parent, const char *id);

/* rt_cgroup_create: create the dirs (v1 cpuset copied from the parent, v2 controllers
 * enabled), apply the device rules and limits. On failure the dirs made are removed. */
int rt_cgroup_create(const struct rt_cg_layout *l, char **dirs, const struct rt_config *cfg,
                     const char *const *device_rules, struct err *err);

/* rt_cgroup_attach: move pid into the dir of every hierarchy (but the v2 one with skip_v2,
 * when the process was cloned into it, and the v1 ones with skip_v1, when it joined them
 * itself through rt_cgroup_open_tasks' fds). */
int rt_cgroup_attach(const struct rt_cg_layout *l, char **dirs, int skip_v2, int skip_v1,
                     pid_t pid, struct err *err);

/* rt_cgroup_open_tasks: open <dir>/tasks of every v1 hierarchy for writing (O_CLOEXEC), for
 * the child to write "0" into: a thread moving itself is the one v1 migration for which the
 * kernel skips the global threadgroup lock, whose first writer after a quiet spell waits for
 * an RCU grace period (~10 ms); the child is single-threaded, so the thread is the process.
 * Fills fds[0..*ret_n); -E2BIG (nothing left open) when there are more than max. */
#define RT_CG_TASKS_MAX 16
int rt_cgroup_open_tasks(const struct rt_cg_layout *l, char **dirs, int *fds, size_t max,
                         size_t *ret_n, struct err *err);

/* rt_freeze_dirs: rt_freeze() on the cgroup dirs of a container (runtime_freeze.c). */
int rt_freeze_dirs(char **dirs, int freeze, struct err *err);

/* rt_cgroup_destroy: kill every process still in the dirs, wait for them and rmdir them.
 * Missing dirs are fine. */
int rt_cgroup_destroy(char **dirs, struct err *err);

/* rt_devbpf_program: the cgroup v2 device program for v1-style allow rules ("c 1:3 rwm",
 * "b *:* m", "a *:* rwm"); *ret is owned. */
struct bpf_insn;
int rt_devbpf_program(char *const *rules, struct bpf_insn **ret, size_t *ret_n, struct err *err);

/* rt_devbpf_attach: load the program for rules and attach it to a v2 cgroup dir. */
int rt_devbpf_attach(const char *cgroup_dir, char *const *rules, struct err *err);

/* rt_cgroup_oom_count: the OOM kills recorded in a memory cgroup dir (v1 memory.oom_control
 * or v2 memory.events); 0 when unknown. */
long rt_cgroup_oom_count(const char *dir, int v2);

/* ---- /etc files and environment: runtime_etc.c ----------------------------------------- */

/* rt_etc_hosts: docker's /etc/hosts for a container: the localhost and ip6 lines, then
 * "ip\thostname" when ip is set, then each --add-host "name:ip". Owned text. */
int rt_etc_hosts(const char *hostname, const char *ip, char *const *extra_hosts, char **ret,
                 struct err *err);

/* rt_etc_resolv: the container's resolv.conf from the host's text (NULL = none): with no
 * --dns the host's nameservers minus loopback ones (docker's defaults when none is left),
 * its search and options; --dns/--dns-search/--dns-option replace their part. host_net
 * keeps the host's file as it is. */
int rt_etc_resolv(const char *host_text, char *const *dns, char *const *search,
                  char *const *options, int host_net, char **ret, struct err *err);

/* rt_env_build: docker's environment: PATH (default when env has none) and HOSTNAME first,
 * then env (replacing earlier names), then HOME when env does not set it. Owned strv. */
char **rt_env_build(char *const *env, const char *hostname, const char *home);

/* rt_env_get: the value of name in env, or NULL. */
const char *rt_env_get(char *const *env, const char *name);

/* rt_id_check / rt_hostname_check: -EINVAL with a message when not acceptable. */
int rt_id_check(const char *id, struct err *err);
int rt_hostname_check(const char *hostname, struct err *err);

/* ---- limits: runtime_limits.c ---------------------------------------------------------- */

/* rt_sysctl_check: docker's rule: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and (not
 * with the host's network) net.*; returns the /proc/sys relative path ("net/ipv4/…") and
 * value, owned. */
int rt_sysctl_check(const char *kv, int host_net, char **ret_path, char **ret_value,
                    struct err *err);

/* rt_ulimit_parse: docker's --ulimit "name=soft[:hard]" (nofile, nproc, core, …; -1 or
 * "unlimited" for no limit). */
int rt_ulimit_parse(const char *spec, struct rt_ulimit *ret, struct err *err);

/* rt_size_parse: docker's byte sizes: "64m", "1g", "512k", "100b", "1024" (bytes). */
int rt_size_parse(const char *s, int64_t *ret, struct err *err);

/* ---- mount table: runtime_mounts.c ----------------------------------------------------- */

enum rt_op_kind {
        RT_OP_FS,   /* a new filesystem: mount(source, target, fstype, flags, data) */
        RT_OP_BIND, /* bind source onto target, then remount with flags */
        RT_OP_MASK, /* mask target: /dev/null over a file, a read-only tmpfs over a dir */
        RT_OP_RO,   /* bind target onto itself read-only (readonly paths) */
};

#define RT_OPF_FILE        0x1 /* create target as a file, not a directory */
#define RT_OPF_OPTIONAL    0x2 /* skip when target does not exist; never create it */
#define RT_OPF_SRC_IN_ROOT 0x4 /* source is a path in the container's root */
#define RT_OPF_RECURSIVE   0x8 /* MS_REC for the bind */

struct rt_mount_op {
        enum rt_op_kind kind;
        const char *source;
        const char *target; /* relative to the container root: "proc", "dev/pts" */
        const char *fstype;
        const char *data;
        unsigned long flags;       /* MS_* of the filesystem or of the bind's remount */
        unsigned long propagation; /* MS_PRIVATE, MS_SLAVE, MS_SHARED (|MS_REC), or 0 */
        unsigned opf;
};

struct rt_devnode {
        const char *path; /* relative to the container's /dev: "null", "net/tun" */
        mode_t mode;      /* S_IFCHR/S_IFBLK | permissions */
        dev_t rdev;
        uid_t uid;
        gid_t gid;
};

struct rt_symlink {
        const char *target;
        const char *path; /* relative to /dev */
};

struct rt_mount_table {
        struct rt_mount_op *ops; /* rootfs-relative mounts, in order */
        size_t n_ops;
        struct rt_mount_op *late; /* read-only and masked paths, after the sysctls */
        size_t n_late;
        struct rt_devnode *devs;
        size_t n_devs;
        struct rt_symlink *links;
        size_t n_links;
        char **device_rules; /* v1 devices.allow lines (after "a" is denied) */
        char **pool;         /* owns the strings the above point to */
};

/* What the mount table is built from, besides the config. */
struct rt_mounts_in {
        const struct rt_config *cfg;
        const struct rt_cg_layout *cg; /* NULL = no /sys/fs/cgroup view */
        char *const *cg_dirs;          /* the container's dir in each cg hierarchy */
        const char *hosts_path;        /* generated files on the host */
        const char *hostname_path;
        const char *resolv_path;
        const char *host_dev; /* the host's /dev (privileged, --device); "/dev" */
};

/* rt_mounts_build: docker's mount table: proc, dev, dev/pts, sys, sys/fs/cgroup (+ the
 * hierarchies), dev/mqueue, dev/shm, then the /etc files and the user mounts by depth (a
 * user mount over a default one replaces it); then the read-only and masked paths (none when
 * privileged); the /dev nodes, links and device cgroup rules. */
int rt_mounts_build(const struct rt_mounts_in *in, struct rt_mount_table *ret, struct err *err);
void rt_mount_table_release(struct rt_mount_table *t);

/* rt_mount_options: parse a struct rt_mount options string into MS_* flags, propagation and
 * filesystem data (tmpfs size/mode/…; owned, may be NULL). */
int rt_mount_options(const struct rt_mount *m, unsigned long *ret_flags,
                     unsigned long *ret_propagation, int *ret_recursive, char **ret_data,
                     struct err *err);

/* ---- the container process: runtime_child.c, runtime_init.c --------------------------- */

/* Messages from the child over the sync socket (SOCK_SEQPACKET). */
enum rt_msg_kind {
        RT_MSG_READY = 1,
        RT_MSG_ERROR = 2
};

struct rt_msg {
        int32_t kind;
        int32_t errnum;    /* positive errno */
        int32_t exit_code; /* 125, 126, 127 for errors */
        int32_t pid;       /* READY of an exec: the process started (as seen by the caller) */
        char what[96];     /* the step that failed: "mount", "exec", … */
        char detail[512];  /* a path or name */
};

/* rt_msg_send: send m on a sync socket, with fd (>= 0) as SCM_RIGHTS. Allocates nothing. */
int rt_msg_send(int sock, const struct rt_msg *m, int fd);
/* rt_msg_recv: 1 and *m (plus *ret_fd, close-on-exec, or -1) for a message, 0 at
 * end-of-file, -errno. */
int rt_msg_recv(int sock, struct rt_msg *m, int *ret_fd);

/* rt_pty_open: a new pty of the devpts mounted at /dev/pts of our root (the container's):
 * returns the master and sets *ret_slave (both close-on-exec). No symlink is followed and
 * the node must be the ptmx (5:2), so nothing the container made there is opened instead.
 * -errno on failure. Allocates nothing. */
int rt_pty_open(int *ret_slave);

/* rt_msg_text: the message an ERROR struct rt_msg stands for ("exec: \"x\": executable file
 * not found in $PATH", "mount '/proc': Permission denied"). Owned. */
char *rt_msg_text(const struct rt_msg *m);

struct rt_sysctl_w {
        const char *path; /* relative to /proc/sys */
        const char *value;
};

struct rt_plan {
        int sock; /* the child's end of the sync socket */
        int stdio[3];
        int netns_fd; /* RT_NET_NETNS, else -1 */
        int unshare_cgroupns;
        const int *cg_tasks; /* v1 <cgroup>/tasks files the child writes "0" into first */
        size_t n_cg_tasks;
        int lo_up;
        const char *hostname;
        const char *domainname;

        const char *rootfs_mnt;   /* where the root is mounted, then pivoted into */
        const char *rootfs_bind;  /* plain rootfs dir, or NULL */
        const char *overlay_data; /* overlay options when rootfs_bind is NULL */
        int readonly_rootfs;
        const struct rt_mount_table *mt;
        const struct rt_sysctl_w *sysctls;
        size_t n_sysctls;
        const char *cwd; /* absolute, in the container */

        struct rlimit rlim[RLIM_NLIMITS];
        unsigned char rlim_set[RLIM_NLIMITS];

        const struct rt_user *user;
        uint64_t caps;
        int cap_last;
        int nnp;
        const struct sock_fprog *seccomp; /* NULL = unconfined */
        int init;
        int tty;                /* a new pty as 0, 1, 2; its master goes with READY */
        uintptr_t args_area[4]; /* the caller's argv and environ, wiped by the init */

        char *const *argv;
        char *const *envp;
        const char *path_env; /* PATH of envp, for the command lookup */
};

/* rt_child_run: the container's first process, from right after clone() to execve(); never
 * returns. Reports failures as a struct rt_msg on p->sock. Allocates nothing. */
__attribute__((noreturn)) void rt_child_run(const struct rt_plan *p);

/* rt_init_run: the --init PID 1: forks the command (the child calls exec_fn(ctx), which
 * does not return), closes sock, forwards signals to the command, reaps every child, and
 * exits with the command's status (128+signal when it was killed). The caller's command
 * line and environment (args_area, from rt_proc_self_args) are wiped: the init is a copy of
 * the caller and /proc/1/cmdline is readable in the container. */
__attribute__((noreturn)) void rt_init_run(int sock, const uintptr_t args_area[4],
                                           void (*exec_fn)(const void *ctx), const void *ctx);

/* rt_child_exec: the last steps of a container process, shared by the first one and exec'd
 * ones: seccomp, capability bounding set, groups, uid/gid, capabilities, no_new_privs, umask
 * 022, then execve of p->argv (or the --init). A failure is reported on sock; never
 * returns; allocates nothing. */
__attribute__((noreturn)) void rt_child_exec(const struct rt_plan *p, int sock);

/* ---- state: runtime_state.c ------------------------------------------------------------ */

/* rt_write_file: replace path with data (a temp file renamed over it). Not fsync'd: run
 * directory files are volatile and regenerated, only atomicity matters. */
int rt_write_file(const char *path, const char *data, size_t len, mode_t mode, struct err *err);

/* rt_state_write: write the state atomically. */
int rt_state_write(const char *run_dir, const struct rt_state *st, struct err *err);

/* rt_proc_self_args: this process's argv and environ areas (/proc/self/stat fields 48-51:
 * arg_start, arg_end, env_start, env_end). */
int rt_proc_self_args(uintptr_t ret[4]);

/* rt_proc_start_time: field 22 of /proc/PID/stat; 0 when the process is gone. */
uint64_t rt_proc_start_time(pid_t pid);
