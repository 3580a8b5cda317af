/* volume_copy: docker's volume copy-up, and the size of a volume.
 *
 * The image's view of a path is the overlayfs merge of its lower dirs, computed here without
 * mounting anything: a directory's entries are the union over the layers, top-most first;
 * a name a higher layer has hides it below; an overlay whiteout (a 0:0 character device)
 * hides the name; an opaque directory (xattr trusted.overlay.opaque or user.overlay.opaque
 * "y") hides everything below it. Paths inside a layer are resolved with openat2
 * RESOLVE_IN_ROOT, so a symlink in the image never leads out of its layer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/layer.h"
#include "engine/volume.h"

#define COPY_DEPTH_MAX  256
#define COPY_LAYERS_MAX 512

struct copy {
        int *roots; /* one fd per lower dir, top-most first */
        size_t n;
};

static void
copy_release(struct copy *c)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->roots[i] >= 0)
                        close(c->roots[i]);
        free(c->roots);
}

static int
is_opaque(int fd)
{
        char v[2];

        return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y'
                       ? 1
                       : fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static void
set_meta(int dfd, const char *name, const struct stat *sb)
{
        struct timespec ts[2] = { sb->st_atim, sb->st_mtim };

        (void)fchownat(dfd, name, sb->st_uid, sb->st_gid, AT_SYMLINK_NOFOLLOW);
        if (!S_ISLNK(sb->st_mode))
                (void)fchmodat(dfd, name, sb->st_mode & 07777, 0);
        (void)utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int
copy_data(int in, int out)
{
        char buf[65536];
        ssize_t n;

        for (;;) {
                n = copy_file_range(in, NULL, out, NULL, 1u << 30, 0);
                if (n == 0)
                        return 0;
                if (n < 0)
                        break;
        }
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
                return -errno;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(out, buf + off, (size_t)(n - off));
                        if (w < 0)
                                return -errno;
                        off += w;
                }
        return n < 0 ? -errno : 0;
}

static int
copy_file(int sfd, int dfd, const char *name)
{
        cleanup_close int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int out = -1;

        if (in < 0)
                return -errno;
        out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        return copy_data(in, out);
}

/* copy_leaf: one non-directory entry. */
static int
copy_leaf(int sfd, int dfd, const char *name, const struct stat *sb)
{
        char target[PATH_MAX];
        ssize_t n;

        if (S_ISREG(sb->st_mode))
                return copy_file(sfd, dfd, name);
        if (S_ISLNK(sb->st_mode)) {
                n = readlinkat(sfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = 0;
                return symlinkat(target, dfd, name) < 0 ? -errno : 0;
        }
        return mknodat(dfd, name, sb->st_mode, sb->st_rdev) < 0 ? -errno : 0;
}

static int merge_dir(const struct copy *c, size_t from, const char *rel, int dfd, int depth);

static int
copy_entry(const struct copy *c, size_t layer, int sfd, const char *rel, const char *name, int dfd,
           int depth)
{
        struct stat sb;
        int r;

        if (fstatat(sfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(0, 0))
                return 0; /* a whiteout: the name is gone */
        if (S_ISDIR(sb.st_mode)) {
                cleanup_free char *sub = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
                cleanup_close int out = -1;

                if (mkdirat(dfd, name, 0700) < 0)
                        return -errno;
                out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (out < 0)
                        return -errno;
                r = merge_dir(c, layer, sub, out, depth + 1);
        } else {
                r = copy_leaf(sfd, dfd, name, &sb);
        }
        if (r == 0)
                set_meta(dfd, name, &sb);
        return r;
}

/* merge_layer: copy the entries of one layer's dir not seen in a higher layer. */
static int
merge_layer(const struct copy *c, size_t i, int sfd, const char *rel, int dfd, char ***seen,
            int depth)
{
        DIR *d = fdopendir(dup(sfd));
        struct dirent *de;
        int r = 0;

        if (!d)
                return -errno;
        while (r == 0 && (de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    strv_contains(*seen, de->d_name))
                        continue;
                strv_add(seen, de->d_name);
                r = copy_entry(c, i, sfd, rel, de->d_name, dfd, depth);
        }
        closedir(d);
        return r;
}

static int
merge_dir(const struct copy *c, size_t from, const char *rel, int dfd, int depth)
{
        cleanup_strv char **seen = NULL;
        int r = 0;

        if (depth > COPY_DEPTH_MAX)
                return -ELOOP;
        for (size_t i = from; i < c->n && r == 0; i++) {
                struct stat sb;
                cleanup_close int pfd = layer_open_in_root(c->roots[i], rel, O_PATH);
                cleanup_close int sfd = -1;

                if (pfd == -ENOENT)
                        continue;
                if (pfd < 0 || fstat(pfd, &sb) < 0 || !S_ISDIR(sb.st_mode))
                        break; /* a file or a whiteout here hides the lower layers */
                sfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sfd < 0)
                        return -errno;
                r = merge_layer(c, i, sfd, rel, dfd, &seen, depth);
                if (is_opaque(sfd))
                        break;
        }
        return r;
}

static int
is_empty_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int empty = 1;

        if (!d)
                return 0;
        while (empty && (de = readdir(d)))
                empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        closedir(d);
        return empty;
}

/* root_meta: docker gives a volume it copied into the owner and mode of the image's
 * directory (moby's copyOwnership), so e.g. a database's data dir keeps its user. */
static void
root_meta(const struct copy *c, const char *rel, int dfd)
{
        for (size_t i = 0; i < c->n; i++) {
                cleanup_close int pfd = layer_open_in_root(c->roots[i], rel, O_PATH);
                struct stat sb;

                if (pfd == -ENOENT)
                        continue;
                if (pfd >= 0 && fstat(pfd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                        (void)fchown(dfd, sb.st_uid, sb.st_gid);
                        (void)fchmod(dfd, sb.st_mode & 07777);
                }
                return;
        }
}

static int
copy_into(char *const *lowerdirs, const char *rel, const char *dst, struct err *err)
{
        struct copy c = { 0 };
        cleanup_close int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (dfd < 0)
                return err_setf(err, -errno, "open '%s': %s", dst, strerror(errno));
        c.n = strv_length(lowerdirs);
        if (c.n > COPY_LAYERS_MAX)
                return err_setf(err, -E2BIG, "copy-up: more than %d layers", COPY_LAYERS_MAX);
        c.roots = xcalloc(c.n + 1, sizeof(*c.roots));
        for (size_t i = 0; i < c.n; i++) {
                c.roots[i] = open(lowerdirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (c.roots[i] < 0 && r == 0)
                        r = err_setf(err, -errno, "open layer '%s': %s", lowerdirs[i],
                                     strerror(errno));
        }
        if (r == 0) {
                r = merge_dir(&c, 0, rel, dfd, 0);
                if (r == 0 && !is_empty_dir(dst))
                        root_meta(&c, rel, dfd);
                if (r < 0)
                        err_setf(err, r, "copy image content at '/%s' into the volume: %s", rel,
                                 strerror(-r));
        }
        copy_release(&c);
        return r;
}

int
vol_copy_up(const char *root, const char *name, char *const *lowerdirs, const char *path,
            struct err *err)
{
        struct vol_source s = { 0 };
        cleanup_free char *clean = path_clean(path && *path ? path : "/");
        const char *rel = clean + strspn(clean, "/");
        cleanup_close int lock = vol_lock(root, err);
        int r = lock < 0 ? lock : vol_source(root, name, &s, err);

        if (r < 0)
                return r;
        if (!s.tmpfs && is_empty_dir(s.path) && lowerdirs && lowerdirs[0])
                r = copy_into(lowerdirs, rel, s.path, err);
        vol_source_release(&s);
        return r;
}

static uint64_t
size_at(int dfd, int depth)
{
        DIR *d = depth < COPY_DEPTH_MAX ? fdopendir(dfd) : NULL;
        struct dirent *de;
        uint64_t total = 0;

        if (!d) {
                close(dfd);
                return 0;
        }
        while ((de = readdir(d))) {
                struct stat sb;
                int fd;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(sb.st_mode))
                        total += (uint64_t)sb.st_size;
                if (!S_ISDIR(sb.st_mode))
                        continue;
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0)
                        total += size_at(fd, depth + 1);
        }
        closedir(d);
        return total;
}

uint64_t
vol_size(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? 0 : size_at(fd, 0);
}
