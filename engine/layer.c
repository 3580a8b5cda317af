/* layer: OCI layer changesets (image-spec layer.md) and the overlayfs whiteout format.
 *
 * Tar side: entries are relative paths, directories before their children, ".wh.<name>"
 * deletes <name> of the lower layers, "<dir>/.wh..wh..opq" hides all lower children of
 * <dir>, other ".wh..wh." names (AUFS hardlink dirs) are ignored, hard links name earlier
 * entries of the same layer. Overlay side (Documentation/filesystems/overlayfs.rst): a
 * whiteout is a character device 0:0, an opaque dir carries trusted.overlay.opaque="y".
 *
 * Extraction never trusts a path: each parent is opened with openat2(RESOLVE_IN_ROOT) from the
 * root fd (a symlink, even "../../etc", resolves inside the root), the last component is
 * created with *at() calls that do not follow it (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), an existing
 * last component is removed first (a file replaced by a directory and the reverse), and any
 * ".." component is refused. Data goes through libarchive twice: an outer reader with the
 * "raw" format undoes the compression, and the tar reader reads from it, so that both the blob
 * digest and the diff ID are computed in the same single pass.
 */
#include "engine/layer.h"
#include "engine/archive_dl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>


#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"

#define CHUNK          (1 << 20)
#define WH_PREFIX      ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE      ".wh..wh..opq"
#define DIFF_DEPTH_MAX 1024

static const char *
opaque_xattr(unsigned flags)
{
        return flags & LAYER_USERXATTR ? "user.overlay.opaque" : "trusted.overlay.opaque";
}

/* A set of paths (open addressing, FNV-1a): what the current layer created. */
struct pathset {
        char **slots;
        size_t cap, n;
};

static uint64_t
fnv1a(const char *s)
{
        uint64_t h = 1469598103934665603ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static size_t
pathset_slot(char **slots, size_t cap, const char *s)
{
        size_t i = (size_t)fnv1a(s) & (cap - 1);

        while (slots[i] && strcmp(slots[i], s) != 0)
                i = (i + 1) & (cap - 1);
        return i;
}

static int
pathset_has(const struct pathset *ps, const char *s)
{
        return ps->cap && ps->slots[pathset_slot(ps->slots, ps->cap, s)];
}

static void
pathset_add(struct pathset *ps, const char *s)
{
        size_t i;

        if ((ps->n + 1) * 2 > ps->cap) {
                size_t ncap = ps->cap ? ps->cap * 2 : 1024;
                char **ns = xcalloc(ncap, sizeof(char *));

                for (size_t j = 0; j < ps->cap; j++)
                        if (ps->slots[j])
                                ns[pathset_slot(ns, ncap, ps->slots[j])] = ps->slots[j];
                free(ps->slots);
                ps->slots = ns;
                ps->cap = ncap;
        }
        i = pathset_slot(ps->slots, ps->cap, s);
        if (!ps->slots[i]) {
                ps->slots[i] = xstrdup(s);
                ps->n++;
        }
}

static void
pathset_release(struct pathset *ps)
{
        for (size_t i = 0; i < ps->cap; i++)
                free(ps->slots[i]);
        free(ps->slots);
        *ps = (struct pathset){ 0 };
}

/* clean_name: a tar name made relative and canonical ("./a//b/" -> "a/b", "" = the root).
 * -EINVAL for a ".." component, -ENAMETOOLONG beyond PATH_MAX. */
static int
clean_name(const char *name, char **ret)
{
        struct sbuf sb = SBUF_INIT;

        for (const char *p = name; *p;) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        sbuf_release(&sb);
                        return -EINVAL;
                }
                if (n && !(n == 1 && p[0] == '.')) {
                        if (sb.len)
                                sbuf_addch(&sb, '/');
                        sbuf_add(&sb, p, n);
                }
                p += n;
        }
        if (sb.len >= PATH_MAX) {
                sbuf_release(&sb);
                return -ENAMETOOLONG;
        }
        *ret = sbuf_detach(&sb);
        return 0;
}

/* ---- apply ---- */

struct dirtime {
        char *path;
        struct timespec ts[2];
};

struct applier {
        int rootfd;
        struct layer_opts o;
        struct err *err;
        const char *entry; /* the entry being applied, for messages */
        uint64_t entries, bytes;
        struct pathset added; /* MERGE: what this layer created (whiteouts spare it) */
        struct dirtime *dirs;
        size_t ndirs, dirs_cap;
        const int *read_failed; /* the source's own failure (a cap, an I/O error) */
};

/* read_code: the errno for a failed archive read: the source's own, else a bad archive. */
static int
read_code(const struct applier *ap)
{
        return ap->read_failed && *ap->read_failed ? *ap->read_failed : -EINVAL;
}

static int
entry_err(struct applier *ap, int code, const char *fmt, const char *detail)
{
        return err_setf(ap->err, code, "layer entry '%s': %s%s", ap->entry, fmt,
                        detail ? detail : "");
}

static int
sys_err(struct applier *ap, const char *what)
{
        int r = -errno;

        return err_setf(ap->err, r, "layer entry '%s': %s: %s", ap->entry, what, strerror(-r));
}

/* make_parents: create the missing directories of dir, each resolved inside the root. */
static int
make_parents(struct applier *ap, const char *dir, int *ret_fd)
{
        cleanup_free char *p = xstrdup(dir);
        int fd = layer_open_in_root(ap->rootfd, "", O_PATH | O_DIRECTORY);

        for (char *s = p;; s++) {
                char c = *s;
                int nfd;

                if (c != '/' && c != '\0')
                        continue;
                *s = '\0';
                nfd = layer_open_in_root(ap->rootfd, p, O_PATH | O_DIRECTORY);
                if (nfd == -ENOENT && fd >= 0) {
                        const char *comp = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;

                        if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
                                close(fd);
                                return sys_err(ap, "create parent directory");
                        }
                        if (ap->o.mode == LAYER_MODE_MERGE)
                                pathset_add(&ap->added, p);
                        nfd = layer_open_in_root(ap->rootfd, p, O_PATH | O_DIRECTORY);
                }
                if (fd >= 0)
                        close(fd);
                if (nfd < 0)
                        return err_setf(
                                ap->err, nfd, "layer entry '%s': parent '%s': %s", ap->entry, p,
                                nfd == -ENOENT ? "symlink to a missing directory" : strerror(-nfd));
                fd = nfd;
                if (!c)
                        break;
                *s = c;
        }
        *ret_fd = fd;
        return 0;
}

/* open_parent: the directory that will hold rel's last component; ret_base points into rel.
 * Missing directories are created when create is set, else *ret_fd is -1. */
static int
open_parent(struct applier *ap, const char *rel, bool create, int *ret_fd, const char **ret_base)
{
        const char *slash = strrchr(rel, '/');
        cleanup_free char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
        int fd;

        *ret_base = slash ? slash + 1 : rel;
        fd = layer_open_in_root(ap->rootfd, dir, O_PATH | O_DIRECTORY);
        if (fd >= 0 || (fd == -ENOENT && !create)) {
                *ret_fd = fd >= 0 ? fd : -1;
                return 0;
        }
        if (fd != -ENOENT)
                return err_setf(ap->err, fd, "layer entry '%s': parent '%s': %s", ap->entry, dir,
                                fd == -ENOTDIR ? "not a directory" : strerror(-fd));
        return make_parents(ap, dir, ret_fd);
}

/* prepare_target: make room for a new entry; an existing directory stays for a directory. */
static int
prepare_target(struct applier *ap, int pfd, const char *base, bool is_dir, bool *ret_keep)
{
        struct stat st;

        *ret_keep = false;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : sys_err(ap, "stat");
        if (S_ISDIR(st.st_mode) && is_dir) {
                *ret_keep = true;
                return 0;
        }
        return layer_remove_tree(pfd, base, ap->err);
}

/* owner_of: the entry's owner, checked; 0 = leave the owner alone, 1 = chown, or -errno. */
static int
owner_of(struct applier *ap, struct archive_entry *e, uid_t *ret_uid, gid_t *ret_gid)
{
        int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

        if (ap->o.flags & LAYER_IGNORE_OWNER)
                return 0;
        if (uid < 0 || gid < 0 || uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1)
                return entry_err(ap, -EINVAL, "owner out of range", NULL);
        *ret_uid = (uid_t)uid;
        *ret_gid = (gid_t)gid;
        return 1;
}

static int
set_owner_fd(struct applier *ap, int fd, struct archive_entry *e)
{
        uid_t uid = 0;
        gid_t gid = 0;
        int r = owner_of(ap, e, &uid, &gid);

        if (r <= 0)
                return r;
        return fchown(fd, uid, gid) < 0 ? sys_err(ap, "chown") : 0;
}

static int
set_owner_at(struct applier *ap, int pfd, const char *base, struct archive_entry *e)
{
        uid_t uid = 0;
        gid_t gid = 0;
        int r = owner_of(ap, e, &uid, &gid);

        if (r <= 0)
                return r;
        return fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? sys_err(ap, "chown") : 0;
}

static int
set_xattrs(struct applier *ap, int fd, struct archive_entry *e)
{
        const char *name;
        const void *value;
        size_t size;

        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                /* overlay's own attributes (opaque, redirect, metacopy, origin) would let a
                 * layer steer the overlay mount: they only ever come from our whiteouts */
                if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13))
                        continue;
                if (size > LAYER_MAX_XATTR)
                        return entry_err(ap, -EFBIG, "extended attribute too large: ", name);
                if (fsetxattr(fd, name, value, size, 0) == 0 || errno == ENOTSUP ||
                    (errno == EPERM && (ap->o.flags & LAYER_IGNORE_OWNER)))
                        continue;
                return sys_err(ap, "set extended attribute");
        }
        return 0;
}

static void
entry_times(struct archive_entry *e, struct timespec ts[2])
{
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        ts[0] = ts[1];
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
        }
}

/* finish_fd: owner, then mode (chown clears set-id bits), xattrs, times (files only). */
static int
finish_fd(struct applier *ap, int fd, struct archive_entry *e, bool times)
{
        struct timespec ts[2];
        int r = set_owner_fd(ap, fd, e);

        if (r < 0)
                return r;
        if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
                return sys_err(ap, "chmod");
        r = set_xattrs(ap, fd, e);
        if (r < 0 || !times)
                return r;
        entry_times(e, ts);
        return futimens(fd, ts) < 0 ? sys_err(ap, "set times") : 0;
}

static int
pwrite_all(int fd, const char *p, size_t n, off_t off)
{
        while (n) {
                ssize_t w = pwrite(fd, p, n, off);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                p += w;
                n -= (size_t)w;
                off += w;
        }
        return 0;
}

static int
write_data(struct applier *ap, struct archive *in, int fd, int64_t size)
{
        const void *buf;
        size_t n;
        la_int64_t off;
        int64_t end = 0;

        for (;;) {
                int r = archive_read_data_block(in, &buf, &n, &off);

                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return entry_err(ap, read_code(ap), "read: ", archive_error_string(in));
                if (off < 0 || (uint64_t)off + n > (uint64_t)size)
                        return entry_err(ap, -EINVAL, "data beyond the entry size", NULL);
                r = pwrite_all(fd, buf, n, (off_t)off);
                if (r < 0) {
                        errno = -r;
                        return sys_err(ap, "write");
                }
                end = off + (int64_t)n;
        }
        if (end < size && ftruncate(fd, (off_t)size) < 0)
                return sys_err(ap, "truncate");
        /* start writing back now: the caller syncs the layer before publishing it, and by
         * then most of the data is already on disk */
        if (size >= (1 << 16))
                sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        return 0;
}

static int
apply_file(struct applier *ap, struct archive *in, struct archive_entry *e, int pfd,
           const char *base)
{
        int64_t size = archive_entry_size(e);
        cleanup_close int fd = -1;
        int r;

        if (size < 0 || (uint64_t)size > ap->o.max_bytes - ap->bytes)
                return entry_err(ap, -EFBIG, "unpacked contents exceed the layer size cap", NULL);
        ap->bytes += (uint64_t)size;
        fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return sys_err(ap, "create");
        r = write_data(ap, in, fd, size);
        return r < 0 ? r : finish_fd(ap, fd, e, true);
}

static int
apply_dir(struct applier *ap, struct archive_entry *e, int pfd, const char *base, bool keep,
          const char *rel)
{
        cleanup_close int fd = -1;
        struct dirtime *dt;

        if (!keep && mkdirat(pfd, base, 0700) < 0)
                return sys_err(ap, "mkdir");
        fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return sys_err(ap, "open directory");
        GROW(ap->dirs, ap->dirs_cap, ap->ndirs + 1);
        dt = &ap->dirs[ap->ndirs++];
        dt->path = xstrdup(rel);
        entry_times(e, dt->ts);
        return finish_fd(ap, fd, e, false);
}

static int
set_meta_at(struct applier *ap, int pfd, const char *base, struct archive_entry *e, bool mode)
{
        struct timespec ts[2];
        int r = set_owner_at(ap, pfd, base, e);

        if (r < 0)
                return r;
        /* the node was just created by us with mknodat: it is not a symlink */
        if (mode && fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
                return sys_err(ap, "chmod");
        entry_times(e, ts);
        if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return sys_err(ap, "set times");
        return 0;
}

static int
apply_symlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base)
{
        const char *target = archive_entry_symlink(e);

        if (!target || !*target || strlen(target) >= PATH_MAX)
                return entry_err(ap, -EINVAL, "invalid symlink target", NULL);
        if (symlinkat(target, pfd, base) < 0)
                return sys_err(ap, "symlink");
        return set_meta_at(ap, pfd, base, e, false);
}

static int
apply_hardlink(struct applier *ap, const char *target, int pfd, const char *base, const char *rel)
{
        cleanup_free char *t = NULL;
        cleanup_close int tfd = -1;
        const char *tbase;
        int r = clean_name(target, &t);

        if (r < 0 || !*t)
                return entry_err(ap, -EINVAL, "hard link target escapes the layer: ", target);
        if (strcmp(t, rel) == 0)
                return 0;
        r = open_parent(ap, t, false, &tfd, &tbase);
        if (r < 0)
                return r;
        if (tfd < 0 || linkat(tfd, tbase, pfd, base, 0) < 0) {
                if (tfd < 0)
                        errno = ENOENT;
                return entry_err(ap, -errno, "hard link target missing or invalid: ", t);
        }
        return 0;
}

static int
apply_node(struct applier *ap, struct archive_entry *e, int pfd, const char *base)
{
        mode_t type = archive_entry_filetype(e);
        dev_t dev = 0;

        if (type == AE_IFCHR || type == AE_IFBLK) {
                if (ap->o.flags & LAYER_NO_DEVICES)
                        return entry_err(ap, -EPERM, "device nodes are not allowed here", NULL);
                dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        }
        if (mknodat(pfd, base, type | 0600, dev) < 0)
                return sys_err(ap, "mknod");
        return set_meta_at(ap, pfd, base, e, true);
}

/* whiteout_overlay: ".wh.<name>" becomes the 0:0 character device overlayfs reads as
 * "deleted"; a name this layer itself created stays (the spec: whiteouts only hide lower
 * layers). */
static int
whiteout_overlay(struct applier *ap, struct archive_entry *e, int pfd, const char *name)
{
        struct stat st;
        struct timespec ts[2];

        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
                return sys_err(ap, "create whiteout");
        if (!(ap->o.flags & LAYER_IGNORE_OWNER) &&
            fchownat(pfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW) < 0)
                return sys_err(ap, "chown whiteout");
        entry_times(e, ts);
        return utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? sys_err(ap, "set times") : 0;
}

static int
opaque_overlay(struct applier *ap, int pfd)
{
        const char *x = opaque_xattr(ap->o.flags);
        cleanup_close int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return sys_err(ap, "open directory");
        if (fsetxattr(fd, x, "y", 1, 0) < 0)
                return sys_err(ap, "mark directory opaque");
        return 0;
}

/* opaque_merge: remove every child of the directory that this layer did not add. */
static int
opaque_merge(struct applier *ap, int pfd, const char *dir)
{
        cleanup_strv char **names = NULL;
        int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return sys_err(ap, "open directory");
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_add(&names, de->d_name);
        closedir(d);
        strv_foreach(name, names) {
                cleanup_free char *p = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
                int r;

                if (pathset_has(&ap->added, p))
                        continue;
                r = layer_remove_tree(pfd, name, ap->err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
apply_whiteout(struct applier *ap, struct archive_entry *e, const char *rel, const char *base)
{
        bool overlay = ap->o.mode == LAYER_MODE_OVERLAY;
        const char *name = base + strlen(WH_PREFIX);
        cleanup_free char *dir = xstrndup(rel, (size_t)(base - rel) - (base != rel));
        cleanup_free char *target = NULL;
        cleanup_close int pfd = -1;
        const char *b;
        int r = open_parent(ap, rel, overlay, &pfd, &b);

        if (r < 0 || pfd < 0)
                return r;
        if (strcmp(base, WH_OPAQUE) == 0)
                return overlay ? opaque_overlay(ap, pfd) : opaque_merge(ap, pfd, dir);
        if (strncmp(base, WH_META_PREFIX, strlen(WH_META_PREFIX)) == 0)
                return 0;
        if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
                return entry_err(ap, -EINVAL, "invalid whiteout name", NULL);
        if (overlay)
                return whiteout_overlay(ap, e, pfd, name);
        target = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
        if (pathset_has(&ap->added, target))
                return 0;
        return layer_remove_tree(pfd, name, ap->err);
}

static int
apply_typed(struct applier *ap, struct archive *in, struct archive_entry *e, int pfd,
            const char *base, const char *rel)
{
        const char *hl = archive_entry_hardlink(e);
        mode_t type = archive_entry_filetype(e);
        bool keep;
        int r = prepare_target(ap, pfd, base, !hl && type == AE_IFDIR, &keep);

        if (r < 0)
                return r;
        if (hl)
                return apply_hardlink(ap, hl, pfd, base, rel);
        switch (type) {
        case AE_IFREG:
                return apply_file(ap, in, e, pfd, base);
        case AE_IFDIR:
                return apply_dir(ap, e, pfd, base, keep, rel);
        case AE_IFLNK:
                return apply_symlink(ap, e, pfd, base);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return apply_node(ap, e, pfd, base);
        default:
                return 0; /* sockets and unknown types are not carried by layers */
        }
}

static int
apply_entry(struct applier *ap, struct archive *in, struct archive_entry *e)
{
        const char *name = archive_entry_pathname(e);
        cleanup_free char *rel = NULL;
        cleanup_close int pfd = -1;
        const char *base;
        int r;

        ap->entry = name ? name : "?";
        if (++ap->entries > ap->o.max_entries)
                return err_setf(ap->err, -EFBIG, "layer has more than %llu entries",
                                (unsigned long long)ap->o.max_entries);
        if (!name)
                return entry_err(ap, -EINVAL, "name is not valid", NULL);
        r = clean_name(name, &rel);
        if (r < 0)
                return entry_err(ap, r,
                                 r == -EINVAL ? "path escapes the layer root" : "path too long",
                                 NULL);
        if (!*rel)
                return 0; /* the root directory itself keeps the layer dir's metadata */
        base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0)
                return apply_whiteout(ap, e, rel, base);
        r = open_parent(ap, rel, true, &pfd, &base);
        if (r < 0)
                return r;
        r = apply_typed(ap, in, e, pfd, base, rel);
        if (r == 0 && ap->o.mode == LAYER_MODE_MERGE)
                pathset_add(&ap->added, rel);
        return r;
}

/* apply_dir_times: directory times last, once their children stopped changing them. */
static int
apply_dir_times(struct applier *ap)
{
        for (size_t i = ap->ndirs; i-- > 0;) {
                struct dirtime *dt = &ap->dirs[i];
                cleanup_close int pfd = -1;
                const char *base;
                int r;

                ap->entry = dt->path;
                r = open_parent(ap, dt->path, false, &pfd, &base);
                if (r < 0)
                        return r;
                if (pfd >= 0 && utimensat(pfd, base, dt->ts, AT_SYMLINK_NOFOLLOW) < 0 &&
                    errno != ENOENT)
                        return sys_err(ap, "set times");
        }
        return 0;
}

static void
applier_release(struct applier *ap)
{
        for (size_t i = 0; i < ap->ndirs; i++)
                free(ap->dirs[i].path);
        free(ap->dirs);
        pathset_release(&ap->added);
}

/* The two-stage reader: outer = raw format over the compressed bytes, inner = tar. */
struct source {
        layer_read_fn rd;
        void *ctx;
        struct archive *outer;
        struct digester blob, tar;
        uint64_t max_tar;
        const struct layer_opts *o;
        bool hash_blob, hash_tar;
        int failed; /* negative errno from rd, the tee or the cap */
        char *buf;
};

/* hash_blob, hash_tar: count, and hash unless the caller said it knows the digest. */
static void
hash_blob(struct source *s, const void *buf, size_t n)
{
        if (s->hash_blob)
                digester_update(&s->blob, buf, n);
        else
                s->blob.bytes += n;
}

static void
hash_tar(struct source *s, const void *buf, size_t n)
{
        if (s->hash_tar)
                digester_update(&s->tar, buf, n);
        else
                s->tar.bytes += n;
}

/* tee_copy: hand bytes to the caller's copy when they are of the kind it asked for. */
static int
tee_copy(struct source *s, bool tar, const void *buf, size_t n)
{
        int r;

        if (!s->o->tee || s->o->tee_tar != tar || n == 0)
                return 0;
        r = s->o->tee(s->o->tee_ctx, buf, n);
        if (r < 0 && !s->failed)
                s->failed = r;
        return r;
}

static la_ssize_t
outer_read(struct archive *a, void *ud, const void **buf)
{
        struct source *s = ud;
        ssize_t n = s->rd(s->ctx, s->buf, CHUNK);

        if (n < 0) {
                s->failed = (int)n;
                archive_set_error(a, (int)-n, "read: %s", strerror((int)-n));
                return -1;
        }
        hash_blob(s, s->buf, (size_t)n);
        if (tee_copy(s, false, s->buf, (size_t)n) < 0) {
                archive_set_error(a, -s->failed, "copy layer: %s", strerror(-s->failed));
                return -1;
        }
        *buf = s->buf;
        return n;
}

/* outer_block: the next run of uncompressed bytes, pointing into libarchive's own buffer
 * (valid until the next call); 0 at the end, -1 on error. */
static la_ssize_t
outer_block(struct source *s, const void **ret)
{
        size_t n;
        la_int64_t off;
        int r = archive_read_data_block(s->outer, ret, &n, &off);

        if (r == ARCHIVE_EOF)
                return 0;
        return r < ARCHIVE_WARN ? -1 : (la_ssize_t)n;
}

static la_ssize_t
inner_read(struct archive *a, void *ud, const void **buf)
{
        struct source *s = ud;
        const void *p = NULL;
        la_ssize_t n = outer_block(s, &p);

        if (n < 0) {
                archive_set_error(a, archive_errno(s->outer) > 0 ? archive_errno(s->outer) : EINVAL,
                                  "%s", archive_error_string(s->outer));
                return -1;
        }
        hash_tar(s, p, (size_t)n);
        if (s->tar.bytes > s->max_tar) {
                s->failed = -EFBIG;
                archive_set_error(a, EFBIG, "uncompressed layer larger than %llu bytes",
                                  (unsigned long long)s->max_tar);
                return -1;
        }
        if (tee_copy(s, true, p, (size_t)n) < 0) {
                archive_set_error(a, -s->failed, "copy layer: %s", strerror(-s->failed));
                return -1;
        }
        *buf = p;
        return n;
}

static int
open_outer(struct source *s, struct err *err)
{
        struct archive_entry *e;

        s->outer = archive_read_new();
        archive_read_support_filter_gzip(s->outer);
        archive_read_support_filter_zstd(s->outer);
        archive_read_support_filter_bzip2(s->outer);
        archive_read_support_filter_xz(s->outer);
        archive_read_support_format_raw(s->outer);
        if (archive_read_open(s->outer, s, NULL, outer_read, NULL) != ARCHIVE_OK ||
            archive_read_next_header(s->outer, &e) != ARCHIVE_OK)
                return err_setf(err, s->failed ? s->failed : -EINVAL,
                                "read layer: not a tar archive: %s",
                                archive_error_string(s->outer));
        return 0;
}

static int
open_inner(struct source *s, struct archive **ret, struct err *err)
{
        struct archive *in = archive_read_new();

        archive_read_support_format_tar(in);
        if (archive_read_open(in, s, NULL, inner_read, NULL) != ARCHIVE_OK) {
                int r = err_setf(err, s->failed ? s->failed : -EINVAL,
                                 "read layer: not a tar archive: %s", archive_error_string(in));

                archive_read_free(in);
                return r;
        }
        *ret = in;
        return 0;
}

/* drain: hash what follows the tar's end-of-archive blocks, compressed and not. */
static int
drain(struct source *s, struct err *err)
{
        const void *p = NULL;
        la_ssize_t n;
        ssize_t m;

        while ((n = outer_block(s, &p)) > 0) {
                hash_tar(s, p, (size_t)n);
                if (s->tar.bytes > s->max_tar)
                        return err_setf(err, -EFBIG, "read layer: larger than %llu bytes",
                                        (unsigned long long)s->max_tar);
                if (tee_copy(s, true, p, (size_t)n) < 0)
                        return err_setf(err, s->failed, "copy layer: %s", strerror(-s->failed));
        }
        if (n < 0)
                return err_setf(err, s->failed ? s->failed : -EINVAL, "read layer: %s",
                                archive_error_string(s->outer));
        while ((m = s->rd(s->ctx, s->buf, CHUNK)) > 0) {
                hash_blob(s, s->buf, (size_t)m);
                if (tee_copy(s, false, s->buf, (size_t)m) < 0)
                        return err_setf(err, s->failed, "copy layer: %s", strerror(-s->failed));
        }
        if (m < 0)
                return err_setf(err, (int)m, "read layer: %s", strerror((int)-m));
        return 0;
}

static int
apply_all(struct applier *ap, struct archive *in)
{
        struct archive_entry *e;
        int r;

        while ((r = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
                if (r < ARCHIVE_WARN)
                        return err_setf(ap->err, read_code(ap), "read layer: %s",
                                        archive_error_string(in));
                r = apply_entry(ap, in, e);
                if (r < 0)
                        return r;
        }
        return apply_dir_times(ap);
}

static void
fill_opts(struct layer_opts *o, const struct layer_opts *in)
{
        *o = in ? *in : (struct layer_opts){ 0 };
        if (!o->max_entries)
                o->max_entries = LAYER_MAX_ENTRIES_DEFAULT;
        if (!o->max_bytes)
                o->max_bytes = LAYER_MAX_BYTES_DEFAULT;
        if (!o->max_tar_bytes)
                o->max_tar_bytes = LAYER_MAX_TAR_DEFAULT;
}

int
layer_apply(int rootfd, layer_read_fn rd, void *ctx, const struct layer_opts *opts,
            struct layer_stats *ret_stats, struct err *err)
{
        struct applier ap = { .rootfd = rootfd, .err = err };
        struct source s = { .rd = rd, .ctx = ctx };
        struct archive *in = NULL;
        int r = archive_dl_load(err);

        if (r < 0)
                return r;
        fill_opts(&ap.o, opts);
        s.max_tar = ap.o.max_tar_bytes;
        s.o = &ap.o;
        s.hash_blob = !(ap.o.flags & LAYER_NO_BLOB_DIGEST);
        s.hash_tar = !(ap.o.flags & (LAYER_NO_DIFF_ID | LAYER_DIFF_ID_IF_COMPRESSED));
        ap.read_failed = &s.failed;
        s.buf = xmalloc(CHUNK);
        digester_init(&s.blob);
        digester_init(&s.tar);
        r = open_outer(&s, err);
        if (r == 0 && (ap.o.flags & LAYER_DIFF_ID_IF_COMPRESSED) &&
            archive_filter_code(s.outer, 0) != ARCHIVE_FILTER_NONE)
                s.hash_tar = true; /* no tar byte has been read yet: the outer only bid */
        if (r == 0)
                r = open_inner(&s, &in, err);
        if (r == 0)
                r = apply_all(&ap, in);
        if (r == 0)
                r = drain(&s, err);
        if (r == 0 && ret_stats) {
                *ret_stats = (struct layer_stats){ .entries = ap.entries,
                                                   .content_bytes = ap.bytes,
                                                   .tar_bytes = s.tar.bytes,
                                                   .blob_bytes = s.blob.bytes };
                ret_stats->compressed = archive_filter_code(s.outer, 0) != ARCHIVE_FILTER_NONE;
                if (s.hash_tar)
                        digester_final(&s.tar, ret_stats->diff_id);
                if (s.hash_blob)
                        digester_final(&s.blob, ret_stats->blob_digest);
        }
        if (in)
                archive_read_free(in);
        archive_read_free(s.outer);
        free(s.buf);
        applier_release(&ap);
        return r;
}

static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
        int fd = *(int *)ctx;

        for (;;) {
                ssize_t r = read(fd, buf, n);

                if (r >= 0)
                        return r;
                if (errno != EINTR)
                        return -errno;
        }
}

int
layer_apply_fd(int rootfd, int fd, const struct layer_opts *opts, struct layer_stats *ret_stats,
               struct err *err)
{
        return layer_apply(rootfd, fd_read, &fd, opts, ret_stats, err);
}

int
layer_epoch_from_env(const char *value, int64_t *ret, struct err *err)
{
        char *end;
        long long v;

        *ret = -1;
        if (!value || !*value)
                return 0;
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || *end || v < 0)
                return err_setf(err, -EINVAL, "SOURCE_DATE_EPOCH: '%s' is not a unix time", value);
        *ret = v;
        return 0;
}

/* ---- diff ---- */

struct inode_path {
        dev_t dev;
        ino_t ino;
        char *path;
};

struct differ {
        struct archive *a;
        const struct layer_diff_opts *o;
        layer_write_fn wr;
        void *ctx;
        struct digester d;
        struct err *err;
        uint64_t entries, content;
        struct inode_path *links; /* files with nlink > 1 already written */
        size_t nlinks, links_cap;
        char *buf;
};

static la_ssize_t
diff_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        struct differ *df = ud;
        int r = df->wr(df->ctx, buf, n);

        if (r < 0) {
                archive_set_error(a, -r, "write: %s", strerror(-r));
                return -1;
        }
        digester_update(&df->d, buf, n);
        return (la_ssize_t)n;
}

static const char *
link_lookup(struct differ *df, const struct stat *st, const char *path)
{
        for (size_t i = 0; i < df->nlinks; i++)
                if (df->links[i].dev == st->st_dev && df->links[i].ino == st->st_ino)
                        return df->links[i].path;
        GROW(df->links, df->links_cap, df->nlinks + 1);
        df->links[df->nlinks++] = (struct inode_path){ st->st_dev, st->st_ino, xstrdup(path) };
        return NULL;
}

static int
diff_err(struct differ *df, const char *path, const char *what)
{
        int r = errno ? -errno : -EIO;

        return err_setf(df->err, r, "diff '%s': %s: %s", path, what, strerror(-r));
}

static int
write_header(struct differ *df, struct archive_entry *e)
{
        df->entries++;
        if (archive_write_header(df->a, e) < ARCHIVE_WARN)
                return err_setf(df->err, archive_errno(df->a) > 0 ? -archive_errno(df->a) : -EIO,
                                "diff '%s': %s", archive_entry_pathname(e),
                                archive_error_string(df->a));
        return 0;
}

static void
set_common(struct differ *df, struct archive_entry *e, const char *path, const struct stat *st)
{
        time_t mtime = st->st_mtim.tv_sec;

        if (df->o && df->o->epoch >= 0 && mtime > df->o->epoch)
                mtime = (time_t)df->o->epoch;
        archive_entry_set_pathname(e, path);
        archive_entry_set_uid(e, st->st_uid);
        archive_entry_set_gid(e, st->st_gid);
        archive_entry_set_perm(e, st->st_mode & 07777);
        archive_entry_set_mtime(e, mtime, 0);
}

static int
add_xattrs(struct differ *df, struct archive_entry *e, int fd, const char *path)
{
        char names[LAYER_MAX_XATTR], value[LAYER_MAX_XATTR];
        cleanup_strv char **v = NULL;
        ssize_t n = flistxattr(fd, names, sizeof(names));

        if (n < 0)
                return errno == ENOTSUP ? 0 : diff_err(df, path, "list extended attributes");
        for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1)
                if (strncmp(names + i, "trusted.overlay.", 16) &&
                    strncmp(names + i, "user.overlay.", 13))
                        strv_add(&v, names + i);
        strv_sort(v);
        strv_foreach(name, v) {
                ssize_t len = fgetxattr(fd, name, value, sizeof(value));

                if (len < 0)
                        return diff_err(df, path, "read extended attribute");
                archive_entry_xattr_add_entry(e, name, value, (size_t)len);
        }
        return 0;
}

static int
copy_data(struct differ *df, int fd, const char *path, int64_t size)
{
        int64_t left = size;

        while (left > 0) {
                ssize_t n = read(fd, df->buf, left < CHUNK ? (size_t)left : CHUNK);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return diff_err(df, path, "read");
                if (n == 0) { /* the file shrank: keep the tar consistent with its header */
                        memset(df->buf, 0, (size_t)(left < CHUNK ? left : CHUNK));
                        n = (ssize_t)(left < CHUNK ? left : CHUNK);
                }
                if (archive_write_data(df->a, df->buf, (size_t)n) < 0)
                        return err_setf(df->err, -EIO, "diff '%s': %s", path,
                                        archive_error_string(df->a));
                left -= n;
        }
        df->content += (uint64_t)size;
        return 0;
}

static int
diff_file(struct differ *df, int dfd, const char *name, const char *path, const struct stat *st)
{
        struct archive_entry *e = archive_entry_new();
        cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        const char *first = st->st_nlink > 1 ? link_lookup(df, st, path) : NULL;
        int r;

        if (fd < 0) {
                archive_entry_free(e);
                return diff_err(df, path, "open");
        }
        set_common(df, e, path, st);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, first ? 0 : st->st_size);
        if (first)
                archive_entry_set_hardlink(e, first);
        r = add_xattrs(df, e, fd, path);
        if (r == 0)
                r = write_header(df, e);
        if (r == 0 && !first)
                r = copy_data(df, fd, path, st->st_size);
        archive_entry_free(e);
        return r;
}

static int
diff_simple(struct differ *df, int dfd, const char *name, const char *path, const struct stat *st)
{
        struct archive_entry *e = archive_entry_new();
        char target[PATH_MAX];
        int r;

        set_common(df, e, path, st);
        if (S_ISLNK(st->st_mode)) {
                ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

                if (n < 0) {
                        archive_entry_free(e);
                        return diff_err(df, path, "readlink");
                }
                target[n] = '\0';
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_symlink(e, target);
        } else {
                archive_entry_set_filetype(e, st->st_mode & S_IFMT);
                archive_entry_set_rdevmajor(e, major(st->st_rdev));
                archive_entry_set_rdevminor(e, minor(st->st_rdev));
        }
        r = write_header(df, e);
        archive_entry_free(e);
        return r;
}

/* diff_marker: a ".wh." entry (whiteout or opaque marker), docker's shape: size 0, owner of
 * the overlay object, mode 0600 (whiteout) or the dir's mode with mtime 0 (opaque). */
static int
diff_marker(struct differ *df, const char *path, const struct stat *st, bool opaque)
{
        struct archive_entry *e = archive_entry_new();
        int r;

        set_common(df, e, path, st);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, 0);
        archive_entry_set_perm(e, opaque ? st->st_mode & 0777 : 0600);
        if (opaque)
                archive_entry_set_mtime(e, 0, 0);
        r = write_header(df, e);
        archive_entry_free(e);
        return r;
}

static int diff_tree(struct differ *df, int dfd, const char *prefix, int depth);

static int
is_opaque(struct differ *df, int fd)
{
        char v[4];
        ssize_t n = fgetxattr(fd, opaque_xattr(df->o ? df->o->flags : 0), v, sizeof(v));

        return n == 1 && v[0] == 'y';
}

static int
diff_dir(struct differ *df, int dfd, const char *name, const char *path, const struct stat *st,
         int depth)
{
        struct archive_entry *e = archive_entry_new();
        cleanup_close int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_free char *marker = xasprintf("%s/%s", path, WH_OPAQUE);
        int r;

        if (fd < 0) {
                archive_entry_free(e);
                return diff_err(df, path, "open directory");
        }
        set_common(df, e, path, st);
        archive_entry_set_filetype(e, AE_IFDIR);
        r = add_xattrs(df, e, fd, path);
        if (r == 0)
                r = write_header(df, e);
        archive_entry_free(e);
        if (r == 0 && is_opaque(df, fd))
                r = diff_marker(df, marker, st, true);
        if (r == 0)
                r = diff_tree(df, fd, path, depth + 1);
        return r;
}

static int
diff_one(struct differ *df, int dfd, const char *prefix, const char *name, int depth)
{
        cleanup_free char *path = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return diff_err(df, path, "stat");
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
                cleanup_free char *wh = *prefix ? xasprintf("%s/%s%s", prefix, WH_PREFIX, name)
                                                : xasprintf("%s%s", WH_PREFIX, name);

                return diff_marker(df, wh, &st, false);
        }
        if (S_ISDIR(st.st_mode))
                return diff_dir(df, dfd, name, path, &st, depth);
        if (S_ISREG(st.st_mode))
                return diff_file(df, dfd, name, path, &st);
        if (S_ISSOCK(st.st_mode))
                return 0;
        return diff_simple(df, dfd, name, path, &st);
}

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
diff_tree(struct differ *df, int dfd, const char *prefix, int depth)
{
        cleanup_strv char **names = NULL;
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (depth > DIFF_DEPTH_MAX)
                return err_setf(df->err, -ELOOP, "diff '%s': deeper than %d levels", prefix,
                                DIFF_DEPTH_MAX);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return diff_err(df, *prefix ? prefix : ".", "open directory");
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_add(&names, de->d_name);
        closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        strv_foreach(name, names) {
                int r = diff_one(df, dfd, prefix, name, depth);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int
diff_root(struct differ *df, int dirfd)
{
        struct stat st;
        int r;

        if (fstat(dirfd, &st) < 0)
                return diff_err(df, ".", "stat");
        if (is_opaque(df, dirfd)) {
                r = diff_marker(df, WH_OPAQUE, &st, true);
                if (r < 0)
                        return r;
        }
        return diff_tree(df, dirfd, "", 0);
}

int
layer_diff(int dirfd, layer_write_fn wr, void *ctx, const struct layer_diff_opts *opts,
           struct layer_stats *ret_stats, struct err *err)
{
        struct differ df = { .o = opts, .wr = wr, .ctx = ctx, .err = err };
        int r = archive_dl_load(err);

        if (r < 0)
                return r;
        digester_init(&df.d);
        df.buf = xmalloc(CHUNK);
        df.a = archive_write_new();
        archive_write_set_format_pax_restricted(df.a);
        archive_write_add_filter_none(df.a);
        archive_write_set_bytes_in_last_block(df.a, 1);
        r = archive_write_open(df.a, &df, NULL, diff_write, NULL) == ARCHIVE_OK ? 0 : -EIO;
        if (r < 0)
                err_setf(err, r, "diff: %s", archive_error_string(df.a));
        if (r == 0)
                r = diff_root(&df, dirfd);
        if (r == 0 && archive_write_close(df.a) != ARCHIVE_OK)
                r = err_setf(err, -EIO, "diff: %s", archive_error_string(df.a));
        archive_write_free(df.a);
        if (r == 0 && ret_stats) {
                *ret_stats = (struct layer_stats){ .entries = df.entries,
                                                   .content_bytes = df.content,
                                                   .tar_bytes = df.d.bytes,
                                                   .blob_bytes = df.d.bytes };
                digester_final(&df.d, ret_stats->diff_id);
                memcpy(ret_stats->blob_digest, ret_stats->diff_id, DIGEST_STR_SIZE);
        }
        for (size_t i = 0; i < df.nlinks; i++)
                free(df.links[i].path);
        free(df.links);
        free(df.buf);
        return r;
}
