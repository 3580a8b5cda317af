/* layer_tree: the filesystem half of layer.h that needs no libarchive: opening a path inside a
 * root (openat2 RESOLVE_IN_ROOT) and removing a tree without following symlinks. Kept apart
 * from layer.c so that the small monitor executable (berth-monitor), which removes volumes and
 * copies up into them, links without libarchive and what it drags in.
 */
#include "engine/layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <sys/syscall.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"

int
layer_open_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };

        for (int i = 0; i < 16; i++) {
                long fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));

                if (fd >= 0)
                        return (int)fd;
                if (errno != EAGAIN && errno != EINTR)
                        return -errno;
        }
        return -EAGAIN;
}


static int
rm_open(int basefd, const char *rel)
{
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, basefd, rel, &how, sizeof(how));

        return fd < 0 ? -errno : (int)fd;
}

/* rm_files: unlink everything in basefd/rel but directories, which go to *ret_subdirs. */
static int
rm_files(int basefd, const char *rel, char ***ret_subdirs, struct err *err)
{
        int fd = rm_open(basefd, rel);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        int r = 0;

        if (!d) {
                r = fd < 0 ? fd : -errno;
                if (fd >= 0)
                        close(fd);
                return err_setf(err, r, "remove '%s': %s", rel, strerror(-r));
        }
        while (r == 0 && (de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
                        continue;
                if (errno == EISDIR)
                        strv_add(ret_subdirs, de->d_name);
                else
                        r = err_setf(err, -errno, "remove '%s/%s': %s", rel, de->d_name,
                                     strerror(errno));
        }
        closedir(d);
        return r;
}

/* rm_contents: empty basefd/rel; the fds open at once stay O(1) whatever the depth. */
static int
rm_contents(int basefd, struct sbuf *rel, struct err *err)
{
        cleanup_strv char **subdirs = NULL;
        int fd, r = rm_files(basefd, rel->buf, &subdirs, err);

        strv_foreach(sub, subdirs) {
                size_t len = rel->len;

                if (r < 0)
                        break;
                sbuf_addf(rel, "/%s", sub);
                r = rm_contents(basefd, rel, err);
                sbuf_truncate(rel, len);
        }
        if (r < 0 || !subdirs)
                return r;
        fd = rm_open(basefd, rel->buf);
        if (fd < 0)
                return err_setf(err, fd, "remove '%s': %s", rel->buf, strerror(-fd));
        strv_foreach(sub, subdirs) {
                if (unlinkat(fd, sub, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                        r = err_setf(err, -errno, "remove '%s/%s': %s", rel->buf, sub,
                                     strerror(errno));
                        break;
                }
        }
        close(fd);
        return r;
}

int
layer_remove_tree(int dirfd, const char *name, struct err *err)
{
        cleanup_sbuf struct sbuf rel = SBUF_INIT;
        int r;

        if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR)
                return err_setf(err, -errno, "remove '%s': %s", name, strerror(errno));
        sbuf_adds(&rel, name);
        r = rm_contents(dirfd, &rel, err);
        if (r < 0)
                return r;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "remove '%s': %s", name, strerror(errno));
        return 0;
}
