#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/fs.h>

#include "alloc.h"
#include "cleanup.h"
#include "sbuf.h"

int
fs_read_fd_capped(int fd, const char *name, size_t max, char **ret_buf, size_t *ret_len,
                  struct err *err)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;
        char chunk[65536];

        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_setf(err, -errno, "read '%s': %s", name, strerror(errno));
                if (n == 0)
                        break;
                if (sb.len + (size_t)n > max)
                        return err_setf(err, -EFBIG, "read '%s': larger than %zu bytes", name, max);
                sbuf_add(&sb, chunk, (size_t)n);
        }
        if (ret_len)
                *ret_len = sb.len;
        *ret_buf = sbuf_detach(&sb);
        return 0;
}

int
fs_read_capped(const char *path, size_t max, char **ret_buf, size_t *ret_len, struct err *err)
{
        cleanup_close int fd = -1;

        if (strcmp(path, "-") == 0)
                return fs_read_fd_capped(STDIN_FILENO, "stdin", max, ret_buf, ret_len, err);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", path, strerror(errno));
        return fs_read_fd_capped(fd, path, max, ret_buf, ret_len, err);
}

static int
write_all(int fd, const char *p, size_t len)
{
        while (len) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int
write_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync,
              struct err *err)
{
        cleanup_free char *dir = path_dirname(path);
        cleanup_free char *base = path_basename(path);
        cleanup_free char *tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
        cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
        int r;

        if (fd < 0)
                return err_setf(err, -errno, "write '%s': %s", path, strerror(errno));
        r = write_all(fd, data, len);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r == 0 && sync && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return err_setf(err, r, "write '%s': %s", path, strerror(-r));
        }
        return 0;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct err *err)
{
        return write_replace(path, data, len, mode, true, err);
}

int
fs_write_replace(const char *path, const void *data, size_t len, mode_t mode, struct err *err)
{
        return write_replace(path, data, len, mode, false, err);
}

/* mkdir_up: mkdir p, making missing parents first. The common case (p or its parent exists)
 * costs one or two mkdir calls, not one per component. */
static int
mkdir_up(char *p, mode_t mode, struct err *err)
{
        char *slash;
        int r;

        if (mkdir(p, mode) == 0 || errno == EEXIST)
                return 0;
        slash = errno == ENOENT ? strrchr(p, '/') : NULL;
        if (!slash || slash == p)
                return err_setf(err, -errno, "mkdir '%s': %s", p, strerror(errno));
        *slash = '\0';
        r = mkdir_up(p, mode, err);
        *slash = '/';
        if (r < 0)
                return r;
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return err_setf(err, -errno, "mkdir '%s': %s", p, strerror(errno));
        return 0;
}

int
fs_mkdir_p(const char *dir, mode_t mode, struct err *err)
{
        cleanup_free char *p = path_clean(dir);

        return mkdir_up(p, mode, err);
}

void
fs_spread_subdirs(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int flags = 0;

        if (fd < 0)
                return;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
                flags |= FS_TOPDIR_FL;
                if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) {
                        /* a file system without the flag: nothing to spread */
                }
        }
        close(fd);
}

int
fs_exists(const char *path)
{
        return access(path, F_OK) == 0;
}

int
fs_is_dir(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* clean_push: append one path element, resolving ".." against what is already there. */
static void
clean_push(struct sbuf *sb, int rooted, const char *el, size_t n)
{
        if (n == 1 && el[0] == '.')
                return;
        if (n == 2 && el[0] == '.' && el[1] == '.') {
                char *slash = strrchr(sb->buf, '/');
                const char *last = slash ? slash + 1 : sb->buf;

                if (sb->len > (size_t)rooted && strcmp(last, "..") != 0) {
                        sbuf_truncate(sb, slash ? (size_t)(slash - sb->buf) : 0);
                        if (rooted && sb->len == 0)
                                sbuf_addch(sb, '/');
                        return;
                }
                if (rooted)
                        return;
        }
        if (sb->len > 0 && sb->buf[sb->len - 1] != '/')
                sbuf_addch(sb, '/');
        sbuf_add(sb, el, n);
}

char *
path_clean(const char *p)
{
        struct sbuf sb = SBUF_INIT;
        int rooted = p[0] == '/';

        if (rooted)
                sbuf_addch(&sb, '/');
        while (*p) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n)
                        clean_push(&sb, rooted, p, n);
                p += n;
        }
        if (sb.len == 0)
                sbuf_addch(&sb, '.');
        return sbuf_detach(&sb);
}

char *
path_join(const char *a, const char *b)
{
        cleanup_free char *j = NULL;

        if (b[0] == '/' || !a[0])
                return path_clean(b);
        j = xasprintf("%s/%s", a, b);
        return path_clean(j);
}

char *
path_dirname(const char *p)
{
        cleanup_free char *c = path_clean(p);
        char *slash = strrchr(c, '/');

        if (!slash)
                return xstrdup(".");
        if (slash == c)
                return xstrdup("/");
        return xstrndup(c, (size_t)(slash - c));
}

char *
path_basename(const char *p)
{
        cleanup_free char *c = path_clean(p);
        char *slash = strrchr(c, '/');

        if (!slash || !slash[1])
                return xstrdup(slash ? "/" : c);
        return xstrdup(slash + 1);
}

char *
path_abs(const char *base, const char *p)
{
        return path_join(base, p);
}

int
path_getcwd(char **ret, struct err *err)
{
        char *cwd = getcwd(NULL, 0);

        if (!cwd)
                return err_setf(err, -errno, "getcwd: %s", strerror(errno));
        *ret = cwd;
        return 0;
}
