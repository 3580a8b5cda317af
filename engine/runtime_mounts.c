/* runtime_mounts: the container's mount table, /dev contents and device cgroup rules, as
 * docker 20.10 sets them up through runc (moby oci defaults + runc libcontainer rootfs):
 *
 *   proc      proc    nosuid,nodev,noexec
 *   dev       tmpfs   nosuid,strictatime,mode=755,size=65536k
 *   dev/pts   devpts  nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5
 *   sys       sysfs   nosuid,noexec,nodev,ro
 *   sys/fs/cgroup     v1: a tmpfs holding a read-only bind of the container's cgroup of each
 *                     hierarchy; v2: cgroup2, read-only
 *   dev/mqueue mqueue nosuid,noexec,nodev
 *   dev/shm   tmpfs   nosuid,noexec,nodev,mode=1777,size=--shm-size
 *   then /etc/resolv.conf, /etc/hostname, /etc/hosts and the user mounts, by path depth;
 *   then the read-only paths (bind over themselves) and the masked paths (/dev/null over a
 *   file, a read-only tmpfs over a directory). Privileged containers keep /sys and the
 *   cgroups writable and have no masked or read-only paths.
 *
 * Targets are relative to the container root ("proc"), resolved there by the child.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/runtime_int.h"

#define NOSUID_NODEV_NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define HOST_DEVICES_MAX    4096
#define DEV_DEPTH_MAX       8

static const char *const readonly_paths[] = {
        "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

static const char *const masked_paths[] = {
        "proc/asound",
        "proc/acpi",
        "proc/kcore",
        "proc/keys",
        "proc/latency_stats",
        "proc/timer_list",
        "proc/timer_stats",
        "proc/sched_debug",
        "proc/scsi",
        "sys/firmware",
        "sys/devices/virtual/powercap",
};

struct dev_default {
        const char *name;
        unsigned maj, min;
};

static const struct dev_default default_devs[] = {
        { "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
        { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* docker's default device cgroup allow list (moby oci.DefaultLinuxSpec + runc) */
static const char *const default_rules[] = {
        "b *:* m",   "c *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",    "c 1:8 rwm",
        "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 10:200 rwm", "c 136:* rwm",
};

struct builder {
        struct rt_mount_table *t;
        size_t cap_ops, cap_late, cap_devs, cap_links;
};

static const char *
keep(struct builder *b, char *s)
{
        strv_push(&b->t->pool, s);
        return s;
}

static struct rt_mount_op *
add_op(struct builder *b, int late)
{
        struct rt_mount_table *t = b->t;

        if (late) {
                GROW(t->late, b->cap_late, t->n_late + 1);
                memset(&t->late[t->n_late], 0, sizeof(t->late[0]));
                return &t->late[t->n_late++];
        }
        GROW(t->ops, b->cap_ops, t->n_ops + 1);
        memset(&t->ops[t->n_ops], 0, sizeof(t->ops[0]));
        return &t->ops[t->n_ops++];
}

static void
add_fs(struct builder *b, const char *src, const char *target, const char *fstype,
       unsigned long flags, const char *data)
{
        struct rt_mount_op *op = add_op(b, 0);

        *op = (struct rt_mount_op){ .kind = RT_OP_FS,
                                    .source = src,
                                    .target = target,
                                    .fstype = fstype,
                                    .flags = flags,
                                    .data = data };
}

static int
user_targets(const struct rt_config *cfg, const char *target)
{
        for (size_t i = 0; i < cfg->n_mounts; i++) {
                cleanup_free char *c =
                        path_clean(cfg->mounts[i].target ? cfg->mounts[i].target : "");

                if (strcmp(c + (c[0] == '/'), target) == 0)
                        return 1;
        }
        return 0;
}

static void
cgroup_mounts(struct builder *b, const struct rt_mounts_in *in)
{
        unsigned long ro = in->cfg->privileged ? 0 : MS_RDONLY;

        if (!in->cg)
                return;
        if (in->cg->mode == RT_CG_V2) {
                add_fs(b, "cgroup", "sys/fs/cgroup", "cgroup2",
                       NOSUID_NODEV_NOEXEC | MS_RELATIME | ro, NULL);
                return;
        }
        add_fs(b, "tmpfs", "sys/fs/cgroup", "tmpfs", NOSUID_NODEV_NOEXEC | MS_RELATIME, "mode=755");
        for (size_t i = 0; i < in->cg->n; i++) {
                const struct rt_cg_hier *h = &in->cg->h[i];
                cleanup_free char *base = path_basename(h->mountpoint);
                struct rt_mount_op *op;

                if (h->v2 || !*h->controllers)
                        continue;
                op = add_op(b, 0);
                *op = (struct rt_mount_op){
                        .kind = RT_OP_BIND,
                        .source = in->cg_dirs[i],
                        .target = keep(b, xasprintf("sys/fs/cgroup/%s", base)),
                        .flags = NOSUID_NODEV_NOEXEC | MS_RELATIME | ro,
                        .propagation = MS_PRIVATE,
                };
        }
}

static char *
shm_data(uint64_t size)
{
        if (size == 0)
                size = 64ull << 20;
        if (size % 1024 == 0)
                return xasprintf("mode=1777,size=%lluk", (unsigned long long)(size / 1024));
        return xasprintf("mode=1777,size=%llu", (unsigned long long)size);
}

static void
default_mounts(struct builder *b, const struct rt_mounts_in *in)
{
        const struct rt_config *cfg = in->cfg;

        add_fs(b, "proc", "proc", "proc", NOSUID_NODEV_NOEXEC, NULL);
        if (!user_targets(cfg, "dev")) {
                add_fs(b, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                       "mode=755,size=65536k");
                add_fs(b, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                       "newinstance,ptmxmode=0666,mode=0620,gid=5");
        }
        add_fs(b, "sysfs", "sys", "sysfs", NOSUID_NODEV_NOEXEC | (cfg->privileged ? 0 : MS_RDONLY),
               NULL);
        cgroup_mounts(b, in);
        add_fs(b, "mqueue", "dev/mqueue", "mqueue", NOSUID_NODEV_NOEXEC, NULL);
        if (!user_targets(cfg, "dev/shm"))
                add_fs(b, "shm", "dev/shm", "tmpfs", NOSUID_NODEV_NOEXEC,
                       keep(b, shm_data(cfg->shm_size)));
}

static void
etc_mount(struct builder *b, const struct rt_mounts_in *in, const char *src, const char *target)
{
        struct rt_mount_op *op;

        if (!src || user_targets(in->cfg, target))
                return;
        op = add_op(b, 0);
        *op = (struct rt_mount_op){ .kind = RT_OP_BIND,
                                    .source = src,
                                    .target = target,
                                    .flags = in->cfg->readonly_rootfs ? MS_RDONLY : 0,
                                    .propagation = MS_PRIVATE | MS_REC,
                                    .opf = RT_OPF_FILE | RT_OPF_RECURSIVE };
}

static int
user_mount(struct builder *b, const struct rt_mount *m, struct err *err)
{
        cleanup_free char *data = NULL, *target = NULL;
        struct rt_mount_op *op;
        unsigned long flags, prop;
        int rec, r;
        struct stat sb;

        if (!m->target || m->target[0] != '/')
                return err_setf(err, -EINVAL,
                                "invalid mount config: mount path must be absolute: "
                                "'%s'",
                                m->target ? m->target : "");
        target = path_clean(m->target);
        if (strcmp(target, "/") == 0)
                return err_setf(err, -EINVAL, "invalid mount config: destination can't be '/'");
        r = rt_mount_options(m, &flags, &prop, &rec, &data, err);
        if (r < 0)
                return r;
        if (m->type == RT_MOUNT_BIND &&
            (!m->source || m->source[0] != '/' || stat(m->source, &sb) < 0))
                return err_setf(err, -ENOENT,
                                "invalid mount config for type \"bind\": bind source "
                                "path does not exist: %s",
                                m->source ? m->source : "");
        op = add_op(b, 0);
        op->target = keep(b, xstrdup(target + 1));
        op->flags = flags;
        op->propagation = prop;
        if (m->type == RT_MOUNT_TMPFS) {
                op->kind = RT_OP_FS;
                op->source = "tmpfs";
                op->fstype = "tmpfs";
                op->data = data ? keep(b, TAKE_PTR(data)) : NULL;
                return 0;
        }
        op->kind = RT_OP_BIND;
        op->source = keep(b, xstrdup(m->source));
        op->opf = (S_ISDIR(sb.st_mode) ? 0 : RT_OPF_FILE) | (rec ? RT_OPF_RECURSIVE : 0);
        return 0;
}

static size_t
depth(const char *rel)
{
        size_t n = 1;

        for (; *rel; rel++)
                n += *rel == '/';
        return n;
}

/* sort_tail: stable insertion sort of ops[from..] by target depth (parents first), as
 * moby sorts a container's mounts. */
static void
sort_tail(struct rt_mount_op *ops, size_t from, size_t n)
{
        for (size_t i = from + 1; i < n; i++) {
                struct rt_mount_op cur = ops[i];
                size_t j = i;

                while (j > from && depth(ops[j - 1].target) > depth(cur.target)) {
                        ops[j] = ops[j - 1];
                        j--;
                }
                ops[j] = cur;
        }
}

static void
late_paths(struct builder *b)
{
        for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
                struct rt_mount_op *op = add_op(b, 1);

                *op = (struct rt_mount_op){ .kind = RT_OP_RO,
                                            .target = readonly_paths[i],
                                            .flags = MS_RDONLY,
                                            .opf = RT_OPF_OPTIONAL | RT_OPF_RECURSIVE };
        }
        for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
                struct rt_mount_op *op = add_op(b, 1);

                *op = (struct rt_mount_op){ .kind = RT_OP_MASK,
                                            .target = masked_paths[i],
                                            .source = "dev/null",
                                            .opf = RT_OPF_OPTIONAL };
        }
}

static void
add_dev(struct builder *b, const char *path, mode_t mode, dev_t rdev, uid_t uid, gid_t gid)
{
        struct rt_mount_table *t = b->t;

        GROW(t->devs, b->cap_devs, t->n_devs + 1);
        t->devs[t->n_devs++] = (struct rt_devnode){
                .path = path, .mode = mode, .rdev = rdev, .uid = uid, .gid = gid
        };
}

static void
add_link(struct builder *b, const char *target, const char *path)
{
        struct rt_mount_table *t = b->t;

        GROW(t->links, b->cap_links, t->n_links + 1);
        t->links[t->n_links++] = (struct rt_symlink){ .target = target, .path = path };
}

/* scan_host_devs: every device node under dir (privileged containers get them all), except
 * the ones the container has its own of (pts, shm, mqueue, console, ptmx). */
static int
scan_host_devs(struct builder *b, const char *dir, const char *rel, int level, struct err *err)
{
        DIR *d = level < DEV_DEPTH_MAX ? opendir(dir) : NULL;
        struct dirent *e;

        while (d && (e = readdir(d))) {
                cleanup_free char *path = xasprintf("%s/%s", dir, e->d_name);
                cleanup_free char *sub =
                        *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
                struct stat sb;

                if (e->d_name[0] == '.' || lstat(path, &sb) < 0 || strcmp(sub, "pts") == 0 ||
                    strcmp(sub, "shm") == 0 || strcmp(sub, "mqueue") == 0 ||
                    strcmp(sub, "console") == 0 || strcmp(sub, "ptmx") == 0)
                        continue;
                if (S_ISDIR(sb.st_mode))
                        scan_host_devs(b, path, sub, level + 1, err);
                else if ((S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)) &&
                         b->t->n_devs < HOST_DEVICES_MAX)
                        add_dev(b, keep(b, TAKE_PTR(sub)), sb.st_mode, sb.st_rdev, sb.st_uid,
                                sb.st_gid);
        }
        if (d)
                closedir(d);
        return 0;
}

static int
user_device(struct builder *b, const struct rt_device *d, struct err *err)
{
        const char *path = d->path ? d->path : d->host_path;
        const char *access = d->access ? d->access : "rwm";
        cleanup_free char *clean = path_clean(path ? path : "");
        struct stat sb;

        if (!d->host_path || stat(d->host_path, &sb) < 0 ||
            !(S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)))
                return err_setf(err, -EINVAL,
                                "error gathering device information while adding "
                                "custom device \"%s\": not a device node",
                                d->host_path ? d->host_path : "");
        if (strncmp(clean, "/dev/", 5) != 0 || strspn(access, "rwm") != strlen(access) || !*access)
                return err_setf(err, -EINVAL,
                                "invalid device '%s:%s:%s': the path must be under "
                                "/dev and the permissions a subset of rwm",
                                d->host_path, path, access);
        add_dev(b, keep(b, xstrdup(clean + 5)), sb.st_mode, sb.st_rdev, sb.st_uid, sb.st_gid);
        strv_push(&b->t->device_rules, xasprintf("%c %u:%u %s", S_ISCHR(sb.st_mode) ? 'c' : 'b',
                                                 major(sb.st_rdev), minor(sb.st_rdev), access));
        return 0;
}

static int
devices(struct builder *b, const struct rt_mounts_in *in, struct err *err)
{
        const struct rt_config *cfg = in->cfg;
        int r = 0;

        for (size_t i = 0; i < ARRAY_SIZE(default_devs); i++)
                add_dev(b, default_devs[i].name, S_IFCHR | 0666,
                        makedev(default_devs[i].maj, default_devs[i].min), 0, 0);
        add_link(b, "/proc/self/fd", "fd");
        add_link(b, "/proc/self/fd/0", "stdin");
        add_link(b, "/proc/self/fd/1", "stdout");
        add_link(b, "/proc/self/fd/2", "stderr");
        add_link(b, "pts/ptmx", "ptmx");
        if (access("/proc/kcore", F_OK) == 0)
                add_link(b, "/proc/kcore", "core");
        if (cfg->privileged) {
                strv_add(&b->t->device_rules, "a *:* rwm");
                r = scan_host_devs(b, in->host_dev ? in->host_dev : "/dev", "", 0, err);
        } else {
                for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
                        strv_add(&b->t->device_rules, default_rules[i]);
        }
        for (size_t i = 0; r == 0 && i < cfg->n_devices; i++)
                r = user_device(b, &cfg->devices[i], err);
        return r;
}

int
rt_mounts_build(const struct rt_mounts_in *in, struct rt_mount_table *ret, struct err *err)
{
        struct rt_mount_table t = { 0 };
        struct builder b = { .t = &t };
        size_t user_from;
        int r = 0;

        if (in->cfg->n_mounts > RT_MOUNTS_MAX)
                return err_setf(err, -E2BIG, "more than %d mounts", RT_MOUNTS_MAX);
        default_mounts(&b, in);
        user_from = t.n_ops;
        etc_mount(&b, in, in->resolv_path, "etc/resolv.conf");
        etc_mount(&b, in, in->hostname_path, "etc/hostname");
        etc_mount(&b, in, in->hosts_path, "etc/hosts");
        for (size_t i = 0; r == 0 && i < in->cfg->n_mounts; i++)
                r = user_mount(&b, &in->cfg->mounts[i], err);
        if (r == 0) {
                sort_tail(t.ops, user_from, t.n_ops);
                if (!in->cfg->privileged)
                        late_paths(&b);
                r = devices(&b, in, err);
        }
        if (r < 0) {
                rt_mount_table_release(&t);
                return r;
        }
        *ret = t;
        return 0;
}

void
rt_mount_table_release(struct rt_mount_table *t)
{
        free(t->ops);
        free(t->late);
        free(t->devs);
        free(t->links);
        strv_free(t->device_rules);
        strv_free(t->pool);
        memset(t, 0, sizeof(*t));
}

/* ---- user mount options ---------------------------------------------------------------- */

struct flag_word {
        const char *word;
        unsigned long set, clear;
};

static const struct flag_word flag_words[] = {
        { "ro", MS_RDONLY, 0 },       { "readonly", MS_RDONLY, 0 },
        { "rw", 0, MS_RDONLY },       { "nosuid", MS_NOSUID, 0 },
        { "suid", 0, MS_NOSUID },     { "nodev", MS_NODEV, 0 },
        { "dev", 0, MS_NODEV },       { "noexec", MS_NOEXEC, 0 },
        { "exec", 0, MS_NOEXEC },     { "relatime", MS_RELATIME, 0 },
        { "noatime", MS_NOATIME, 0 }, { "strictatime", MS_STRICTATIME, 0 },
};

static const struct flag_word prop_words[] = {
        { "private", MS_PRIVATE, 0 }, { "rprivate", MS_PRIVATE | MS_REC, 0 },
        { "slave", MS_SLAVE, 0 },     { "rslave", MS_SLAVE | MS_REC, 0 },
        { "shared", MS_SHARED, 0 },   { "rshared", MS_SHARED | MS_REC, 0 },
};

/* ignored: docker's words that mean nothing here (SELinux labels, macOS consistency). */
static int
ignored(const char *w)
{
        static const char *const words[] = { "z",      "Z",    "consistent", "cached", "delegated",
                                             "nocopy", "bind", "rbind",      "" };

        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (strcmp(w, words[i]) == 0)
                        return 1;
        return 0;
}

static int
tmpfs_data(const char *w, struct sbuf *data, struct err *err)
{
        static const char *const keys[] = { "size=", "mode=", "uid=", "gid=", "nr_inodes=" };
        int64_t bytes;

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                if (strncmp(w, keys[i], strlen(keys[i])) != 0)
                        continue;
                if (data->len)
                        sbuf_addch(data, ',');
                if (i == 0) {
                        int r = rt_size_parse(w + 5, &bytes, err);

                        if (r < 0)
                                return r;
                        sbuf_addf(data, "size=%lld", (long long)bytes);
                } else {
                        sbuf_adds(data, w);
                }
                return 1;
        }
        return 0;
}

static int
one_option(const char *w, const struct rt_mount *m, unsigned long *flags, unsigned long *prop,
           int *rec, struct sbuf *data, struct err *err)
{
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(flag_words); i++)
                if (strcmp(w, flag_words[i].word) == 0) {
                        *flags = (*flags | flag_words[i].set) & ~flag_words[i].clear;
                        return 0;
                }
        for (size_t i = 0; m->type == RT_MOUNT_BIND && i < ARRAY_SIZE(prop_words); i++)
                if (strcmp(w, prop_words[i].word) == 0) {
                        *prop = prop_words[i].set;
                        return 0;
                }
        if (m->type == RT_MOUNT_BIND && strcmp(w, "nonrecursive") == 0) {
                *rec = 0;
                return 0;
        }
        if (ignored(w))
                return 0;
        r = m->type == RT_MOUNT_TMPFS ? tmpfs_data(w, data, err) : 0;
        if (r != 0)
                return r < 0 ? r : 0;
        return err_setf(err, -EINVAL, "invalid mount option '%s' for %s", w, m->target);
}

int
rt_mount_options(const struct rt_mount *m, unsigned long *ret_flags, unsigned long *ret_propagation,
                 int *ret_recursive, char **ret_data, struct err *err)
{
        cleanup_strv char **words = strv_split(m->options ? m->options : "", ",");
        cleanup_sbuf struct sbuf data = SBUF_INIT;
        unsigned long flags = m->type == RT_MOUNT_TMPFS ? NOSUID_NODEV_NOEXEC : 0;
        unsigned long prop = m->type == RT_MOUNT_BIND ? MS_PRIVATE | MS_REC : 0;
        int rec = 1;

        strv_foreach(w, words) {
                int r = one_option(w, m, &flags, &prop, &rec, &data, err);

                if (r < 0)
                        return r;
        }
        *ret_flags = flags;
        *ret_propagation = prop;
        *ret_recursive = rec;
        *ret_data = data.len ? sbuf_detach(&data) : NULL;
        return 0;
}
