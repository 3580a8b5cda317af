/* runtime_cgroup: container cgroups on cgroup v1, v2 and hybrid hosts, through the cgroupfs
 * files (Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst).
 *
 * The hierarchies come from /proc/self/mountinfo (proc(5): "... - fstype source superopts";
 * a v1 mount's superoptions name its controllers). A container gets <parent>/<id> in every
 * hierarchy (docker's /docker/<id>), the v2 one of a hybrid host included so that
 * cgroup.kill works there. Limits are written in docker's units: v1 memory.limit_in_bytes,
 * memory.memsw.limit_in_bytes, pids.max, cpu.cfs_quota_us/cpu.cfs_period_us, cpu.shares,
 * cpuset.cpus and the devices allow list; v2 memory.max, memory.swap.max, pids.max,
 * cpu.max, cpu.weight, cpuset.cpus.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/runtime_int.h"

#define CG_FILE_MAX   (1u << 20)
#define CFS_PERIOD    100000
#define DESTROY_TRIES 500 /* x 10 ms */

static const char *const v1_controllers[] = {
        "cpu",   "cpuacct",    "cpuset",   "memory",  "devices", "freezer", "net_cls",
        "blkio", "perf_event", "net_prio", "hugetlb", "pids",    "rdma",    "misc",
};

static int
is_v1_controller(const char *s, size_t len)
{
        if (len > 5 && strncmp(s, "name=", 5) == 0)
                return 1;
        for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++)
                if (strlen(v1_controllers[i]) == len && memcmp(v1_controllers[i], s, len) == 0)
                        return 1;
        return 0;
}

/* unescape: mountinfo's octal escapes (\040 for a space). */
static char *
unescape(const char *s)
{
        struct sbuf sb = SBUF_INIT;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        sbuf_addch(&sb,
                                   (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0')));
                        s += 3;
                } else {
                        sbuf_addch(&sb, *s);
                }
        }
        return sbuf_detach(&sb);
}

/* controllers_of: the controller tokens of v1 superoptions, comma-joined. */
static char *
controllers_of(const char *superopts)
{
        struct sbuf sb = SBUF_INIT;
        const char *p = superopts;

        while (*p) {
                const char *c = strchr(p, ',');
                size_t len = c ? (size_t)(c - p) : strlen(p);

                if (is_v1_controller(p, len)) {
                        if (sb.len)
                                sbuf_addch(&sb, ',');
                        sbuf_add(&sb, p, len);
                }
                p += len + (c ? 1 : 0);
        }
        return sbuf_detach(&sb);
}

static void
add_hier(struct rt_cg_layout *l, size_t *cap, char *mnt, char *ctls, int v2)
{
        for (size_t i = 0; i < l->n; i++) {
                if (l->h[i].v2 == v2 && strcmp(l->h[i].controllers, ctls) == 0) {
                        free(mnt);
                        free(ctls);
                        return;
                }
        }
        GROW(l->h, *cap, l->n + 1);
        l->h[l->n++] = (struct rt_cg_hier){ .mountpoint = mnt, .controllers = ctls, .v2 = v2 };
}

/* parse_line: one mountinfo line; adds a hierarchy when it is a cgroup mount. */
static void
parse_line(const char *line, struct rt_cg_layout *l, size_t *cap)
{
        const char *dash = strstr(line, " - ");
        cleanup_free char *head = dash ? xstrndup(line, (size_t)(dash - line)) : NULL;
        cleanup_strv char **fields = head ? strv_split(head, " ") : NULL;
        cleanup_strv char **tail = dash ? strv_split(dash + 3, " ") : NULL;

        /* fields: id parent dev root mountpoint ...; tail: fstype source superoptions */
        if (strv_length(fields) < 5 || strv_length(tail) < 3)
                return;
        if (strcmp(tail[0], "cgroup2") == 0)
                add_hier(l, cap, unescape(fields[4]), xstrdup(""), 1);
        else if (strcmp(tail[0], "cgroup") == 0)
                add_hier(l, cap, unescape(fields[4]), controllers_of(tail[2]), 0);
}

int
rt_cgroup_parse_mountinfo(const char *text, struct rt_cg_layout *ret, struct err *err)
{
        cleanup_strv char **lines = strv_split(text, "\n");
        struct rt_cg_layout l = { 0 };
        size_t cap = 0, v1 = 0, v2 = 0;

        strv_foreach(line, lines)
                parse_line(line, &l, &cap);
        for (size_t i = 0; i < l.n; i++) {
                if (l.h[i].v2)
                        v2++;
                else if (*l.h[i].controllers)
                        v1++;
        }
        if (v1 == 0 && v2 == 0) {
                rt_cg_layout_release(&l);
                return err_setf(err, -ENOENT, "no cgroup hierarchy is mounted");
        }
        l.mode = v1 == 0 ? RT_CG_V2 : v2 ? RT_CG_HYBRID : RT_CG_V1;
        *ret = l;
        return 0;
}

void
rt_cg_layout_release(struct rt_cg_layout *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->h[i].mountpoint);
                free(l->h[i].controllers);
        }
        free(l->h);
        memset(l, 0, sizeof(*l));
}

int
rt_cg_has(const struct rt_cg_hier *h, const char *ctl)
{
        size_t len = strlen(ctl);
        const char *p = h->controllers;

        while (*p) {
                const char *c = strchr(p, ',');
                size_t n = c ? (size_t)(c - p) : strlen(p);

                if (n == len && memcmp(p, ctl, n) == 0)
                        return 1;
                p += n + (c ? 1 : 0);
        }
        return 0;
}

char **
rt_cgroup_dirs(const struct rt_cg_layout *l, const char *parent, const char *id)
{
        char **dirs = NULL;

        for (size_t i = 0; i < l->n; i++)
                strv_push(&dirs, xasprintf("%s/%s/%s", l->h[i].mountpoint, parent, id));
        return dirs;
}

/* ---- limits ---------------------------------------------------------------------------- */

struct writes {
        struct rt_cg_write *w;
        size_t n, cap;
};

static void
add_write(struct writes *ws, const char *ctl, const char *file, char *value)
{
        GROW(ws->w, ws->cap, ws->n + 1);
        ws->w[ws->n++] =
                (struct rt_cg_write){ .controller = ctl, .file = xstrdup(file), .value = value };
}

static char *
num(int64_t v)
{
        return xasprintf("%lld", (long long)v);
}

static void
memory_limits(const struct rt_config *cfg, int v2, struct writes *ws)
{
        int64_t total = cfg->memory_swap ? cfg->memory_swap : 2 * cfg->memory;

        if (cfg->memory <= 0)
                return;
        if (!v2) {
                add_write(ws, "memory", "memory.limit_in_bytes", num(cfg->memory));
                add_write(ws, "memory", "memory.memsw.limit_in_bytes",
                          total < 0 ? xstrdup("-1") : num(total));
                return;
        }
        add_write(ws, "memory", "memory.max", num(cfg->memory));
        add_write(ws, "memory", "memory.swap.max",
                  total < 0 ? xstrdup("max") : num(total - cfg->memory));
}

static void
cpu_limits(const struct rt_config *cfg, int v2, struct writes *ws)
{
        int64_t quota = cfg->nano_cpus * CFS_PERIOD / 1000000000;

        if (cfg->nano_cpus > 0 && quota < 1000)
                quota = 1000; /* the kernel's minimum cfs quota (1 ms) */
        if (cfg->nano_cpus > 0 && !v2) {
                add_write(ws, "cpu", "cpu.cfs_period_us", num(CFS_PERIOD));
                add_write(ws, "cpu", "cpu.cfs_quota_us", num(quota));
        } else if (cfg->nano_cpus > 0) {
                add_write(ws, "cpu", "cpu.max", xasprintf("%lld %d", (long long)quota, CFS_PERIOD));
        }
        if (cfg->cpu_shares > 0 && !v2)
                add_write(ws, "cpu", "cpu.shares", num(cfg->cpu_shares));
        else if (cfg->cpu_shares > 0)
                /* the OCI shares -> weight mapping (runc, crun): [2, 262144] -> [1, 10000] */
                add_write(
                        ws, "cpu", "cpu.weight",
                        num(1 + ((cfg->cpu_shares < 2 ? 2 : cfg->cpu_shares) - 2) * 9999 / 262142));
        if (cfg->cpuset_cpus)
                add_write(ws, "cpuset", "cpuset.cpus", xstrdup(cfg->cpuset_cpus));
}

int
rt_cgroup_limits(const struct rt_config *cfg, int v2, struct rt_cg_write **ret, size_t *ret_n,
                 struct err *err)
{
        struct writes ws = { 0 };

        if (cfg->memory < 0 || (cfg->memory > 0 && cfg->memory < 6 * 1024 * 1024))
                return err_setf(err, -EINVAL, "minimum memory limit allowed is 6MB");
        if (cfg->memory_swap > 0 && cfg->memory_swap < cfg->memory)
                return err_setf(err, -EINVAL,
                                "minimum memoryswap limit should be larger than "
                                "memory limit, see usage");
        if (cfg->memory_swap != 0 && cfg->memory <= 0)
                return err_setf(err, -EINVAL,
                                "you should always set the memory limit when "
                                "using memoryswap limit, see usage");
        if (cfg->nano_cpus < 0 || cfg->cpu_shares < 0)
                return err_setf(err, -EINVAL, "cpus and cpu shares must not be negative");
        memory_limits(cfg, v2, &ws);
        if (cfg->pids_limit > 0)
                add_write(&ws, "pids", "pids.max", num(cfg->pids_limit));
        cpu_limits(cfg, v2, &ws);
        *ret = ws.w;
        *ret_n = ws.n;
        return 0;
}

void
rt_cg_writes_free(struct rt_cg_write *w, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(w[i].file);
                free(w[i].value);
        }
        free(w);
}

/* ---- files ----------------------------------------------------------------------------- */

static int
write_file(const char *dir, const char *file, const char *value, struct err *err)
{
        cleanup_free char *path = xasprintf("%s/%s", dir, file);
        cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(value);

        if (fd < 0)
                return err_setf(err, -errno, "cgroup: open '%s': %s", path, strerror(errno));
        if (write(fd, value, len) != (ssize_t)len)
                return err_setf(err, -errno, "cgroup: write '%s' to '%s': %s", value, path,
                                strerror(errno));
        return 0;
}

static char *
read_trim(const char *dir, const char *file)
{
        cleanup_free char *path = xasprintf("%s/%s", dir, file);
        char *buf = NULL;
        size_t len = 0;

        if (fs_read_capped(path, CG_FILE_MAX, &buf, &len, NULL) < 0)
                return NULL;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                buf[--len] = '\0';
        return buf;
}

/* cpuset_fill: a new v1 cpuset cgroup starts with no cpus and mems: copy the parent's. */
static int
cpuset_fill(const char *dir, struct err *err)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
        cleanup_free char *parent = path_dirname(dir);

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                cleanup_free char *mine = read_trim(dir, files[i]);
                cleanup_free char *theirs = NULL;
                int r;

                if (mine && *mine)
                        continue;
                theirs = read_trim(parent, files[i]);
                if (!theirs)
                        return err_setf(err, -EIO, "cgroup: cannot read %s/%s", parent, files[i]);
                r = write_file(dir, files[i], theirs, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* word_in: whether the space-separated list has word. */
static int
word_in(const char *list, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = list; p && *p;) {
                const char *sp = strchr(p, ' ');
                size_t len = sp ? (size_t)(sp - p) : strlen(p);

                if (len == n && strncmp(p, word, n) == 0)
                        return 1;
                p = sp ? sp + 1 : NULL;
        }
        return 0;
}

/* v2_enable: enable the controllers limits need in every ancestor's subtree_control, from
 * the hierarchy root down to dir's parent (a controller the parent lacks is left out). */
static void
v2_enable(const char *root, const char *dir)
{
        static const char *const ctls[] = { "cpu", "cpuset", "memory", "pids", "io" };
        cleanup_free char *parent = path_dirname(dir);
        cleanup_free char *avail = read_trim(parent, "cgroup.controllers");

        if (strcmp(parent, root) != 0 && strlen(parent) > strlen(root))
                v2_enable(root, parent);
        for (size_t i = 0; avail && i < ARRAY_SIZE(ctls); i++) {
                char buf[16];

                if (!word_in(avail, ctls[i]))
                        continue;
                snprintf(buf, sizeof(buf), "+%s", ctls[i]);
                write_file(parent, "cgroup.subtree_control", buf, NULL);
        }
}

/* make_dir: mkdir -p dir; the leaf must be new (a stale one could hold processes). */
static int
make_dir(const struct rt_cg_hier *h, const char *dir, struct err *err)
{
        cleanup_free char *parent = path_dirname(dir);
        int r = fs_mkdir_p(parent, 0755, err);

        if (r < 0)
                return r;
        for (size_t i = strlen(h->mountpoint) + 1;
             !h->v2 && rt_cg_has(h, "cpuset") && i <= strlen(parent); i++) {
                cleanup_free char *sub = NULL;

                if (parent[i] != '/' && parent[i] != '\0')
                        continue;
                sub = xstrndup(parent, i);
                r = cpuset_fill(sub, err);
                if (r < 0)
                        return r;
        }
        if (mkdir(dir, 0755) < 0)
                return err_setf(err, -errno, "cgroup: create '%s': %s", dir,
                                errno == EEXIST ? "it already exists (a container with this id "
                                                  "was not deleted)"
                                                : strerror(errno));
        if (h->v2)
                v2_enable(h->mountpoint, dir);
        return !h->v2 && rt_cg_has(h, "cpuset") ? cpuset_fill(dir, err) : 0;
}

static int
apply_devices(const char *dir, const char *const *rules, struct err *err)
{
        int r = write_file(dir, "devices.deny", "a", err);

        for (size_t i = 0; r == 0 && rules && rules[i]; i++)
                r = write_file(dir, "devices.allow", rules[i], err);
        return r;
}

static int
v1_has_devices(const struct rt_cg_layout *l)
{
        for (size_t i = 0; i < l->n; i++)
                if (!l->h[i].v2 && rt_cg_has(&l->h[i], "devices"))
                        return 1;
        return 0;
}

/* v2_devices: the allow list as a BPF program. On a hybrid host whose v1 devices controller
 * enforces the list, a second check is only cost (loading the program takes the verifier
 * 0.4 ms a container), so the program is for hosts without that controller, where it is
 * the only check and must load. */
static int
v2_devices(const struct rt_cg_layout *l, const char *dir, const char *const *rules, struct err *err)
{
        if (l->mode != RT_CG_V2 && v1_has_devices(l))
                return 0;
        return rt_devbpf_attach(dir, (char *const *)rules, err);
}

/* apply_limits: each limit goes to the hierarchy carrying its controller; a swap limit the
 * kernel does not account (no swap accounting) is skipped, as docker does. */
static int
apply_limits(const struct rt_cg_layout *l, char **dirs, const struct rt_cg_write *w, size_t n,
             struct err *err)
{
        for (size_t i = 0; i < n; i++) {
                int done = 0, r;

                for (size_t j = 0; j < l->n && !done; j++) {
                        cleanup_free char *path = xasprintf("%s/%s", dirs[j], w[i].file);

                        if (!(l->mode == RT_CG_V2 ? l->h[j].v2
                                                  : rt_cg_has(&l->h[j], w[i].controller)))
                                continue;
                        done = 1;
                        if (access(path, F_OK) < 0 && strstr(w[i].file, "swap"))
                                continue;
                        r = write_file(dirs[j], w[i].file, w[i].value, err);
                        if (r < 0)
                                return r;
                }
                if (!done)
                        return err_setf(err, -EOPNOTSUPP, "cgroup: no '%s' controller for %s",
                                        w[i].controller, w[i].file);
        }
        return 0;
}

int
rt_cgroup_create(const struct rt_cg_layout *l, char **dirs, const struct rt_config *cfg,
                 const char *const *device_rules, struct err *err)
{
        struct rt_cg_write *w = NULL;
        size_t n = 0;
        int r = rt_cgroup_limits(cfg, l->mode == RT_CG_V2, &w, &n, err);

        for (size_t i = 0; r == 0 && i < l->n; i++) {
                r = make_dir(&l->h[i], dirs[i], err);
                if (r < 0 || !device_rules)
                        continue;
                if (!l->h[i].v2 && rt_cg_has(&l->h[i], "devices"))
                        r = apply_devices(dirs[i], device_rules, err);
                else if (l->h[i].v2)
                        r = v2_devices(l, dirs[i], device_rules, err);
        }
        if (r == 0)
                r = apply_limits(l, dirs, w, n, err);
        rt_cg_writes_free(w, n);
        if (r < 0)
                rt_cgroup_destroy(dirs, NULL);
        return r;
}

int
rt_cgroup_attach(const struct rt_cg_layout *l, char **dirs, int skip_v2, int skip_v1,
                 pid_t pid, struct err *err)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (size_t i = 0; i < l->n; i++) {
                int skip = l->h[i].v2 ? skip_v2 : skip_v1;
                int r = skip ? 0 : write_file(dirs[i], "cgroup.procs", buf, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

int
rt_cgroup_open_tasks(const struct rt_cg_layout *l, char **dirs, int *fds, size_t max,
                     size_t *ret_n, struct err *err)
{
        size_t n = 0;

        for (size_t i = 0; i < l->n; i++) {
                cleanup_free char *path = NULL;

                if (l->h[i].v2)
                        continue;
                if (n == max) {
                        while (n > 0)
                                close(fds[--n]);
                        return -E2BIG;
                }
                path = xasprintf("%s/tasks", dirs[i]);
                fds[n] = open(path, O_WRONLY | O_CLOEXEC);
                if (fds[n] < 0) {
                        int r = -errno;

                        while (n > 0)
                                close(fds[--n]);
                        return err_setf(err, r, "open '%s': %s", path, strerror(-r));
                }
                n++;
        }
        *ret_n = n;
        return 0;
}

/* kill_members: SIGKILL every process listed in dir; returns how many there were. */
static int
kill_members(const char *dir)
{
        cleanup_free char *procs = read_trim(dir, "cgroup.procs");
        int n = 0;

        for (char *p = procs; p && *p;) {
                char *end;
                long pid;

                errno = 0;
                pid = strtol(p, &end, 10);
                if (errno || end == p)
                        break;
                if (pid > 1)
                        kill((pid_t)pid, SIGKILL);
                n++;
                p = end;
                while (*p == '\n')
                        p++;
        }
        return n;
}

static int
destroy_one(const char *dir, struct err *err)
{
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        cleanup_free char *kill_file = xasprintf("%s/cgroup.kill", dir);

        /* the common case, an empty cgroup: one rmdir, no reading of its members */
        if (rmdir(dir) == 0 || errno == ENOENT)
                return 0;
        if (access(kill_file, F_OK) == 0)
                write_file(dir, "cgroup.kill", "1", NULL);
        for (int i = 0; i < DESTROY_TRIES; i++) {
                if (kill_members(dir) == 0 && rmdir(dir) == 0)
                        return 0;
                if (errno == ENOENT)
                        return 0;
                nanosleep(&ts, NULL);
        }
        return err_setf(err, -EBUSY, "cgroup: remove '%s': %s", dir, strerror(errno));
}

int
rt_cgroup_destroy(char **dirs, struct err *err)
{
        int ret = 0;

        for (size_t i = 0; dirs && dirs[i]; i++) {
                int r = destroy_one(dirs[i], err);

                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

long
rt_cgroup_oom_count(const char *dir, int v2)
{
        cleanup_free char *text = read_trim(dir, v2 ? "memory.events" : "memory.oom_control");
        const char *p = text ? strstr(text, "oom_kill ") : NULL;

        /* "oom_kill_disable" precedes "oom_kill" in v1: find the line that is exactly it */
        while (p && p != text && p[-1] != '\n')
                p = strstr(p + 1, "oom_kill ");
        return p ? strtol(p + 9, NULL, 10) : 0;
}
