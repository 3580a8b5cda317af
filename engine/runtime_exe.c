/* runtime_exe: the CVE-2019-5736 defence. A container can reach the binary of a runtime
 * process that is or was in it (through /proc/PID/exe, or by making it exec a "#!/proc/self/exe"
 * script) and, once that process is gone, reopen it for writing. Two ways keep the binary on
 * disk out of reach:
 *  - a read-only clone: open_tree(OPEN_TREE_CLONE) makes a private bind mount of the file,
 *    attached to no mount namespace, and mount_setattr(MOUNT_ATTR_RDONLY) makes that mount
 *    read-only. Opening the file for writing through it fails (EROFS), and nobody can make it
 *    writable again without CAP_SYS_ADMIN (which no unprivileged container has). This is
 *    runc's read-only bind mount without the mount table: about 30 us, and the pages are the
 *    file's own page cache;
 *  - a sealed memfd copy (memfd_create(2), F_SEAL_WRITE/SHRINK/GROW/SEAL): unwritable by
 *    anyone, but a copy of the whole file (0.8 ms for berth-monitor). The fallback where the
 *    new mount API is missing or refused.
 *
 * A process that starts a runtime process opens the protected executable itself
 * (rt_exe_open_protected) and fexecve(3)s it: the new process is protected from its first
 * instruction and its own rt_exe_protect() is a no-op, which saves a second execve.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include <linux/mount.h>

#include "base/cleanup.h"
#include "engine/runtime_int.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* on_private_ro_mount: fd (/proc/self/exe) is a regular file on a read-only mount that is
 * the root of its mount and reachable from no root of ours, which is what
 * rt_exe_readonly_clone makes: the kernel names such a file "/" (a bind mount of it that
 * anyone can see has a path; "/" of a normal mount is a directory) */
static int
on_private_ro_mount(int fd)
{
        struct statvfs v;
        struct stat st;
        char path[2];

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        if (fstatvfs(fd, &v) < 0 || !(v.f_flag & ST_RDONLY))
                return 0;
        return readlink("/proc/self/exe", path, sizeof(path)) == 1 && path[0] == '/';
}

int
rt_exe_is_protected(void)
{
        cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        int seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;

        if (seals >= 0 && (seals & SEALS) == SEALS)
                return 1;
        return fd >= 0 && on_private_ro_mount(fd);
}

int
rt_exe_readonly_clone(const char *path, int *ret_fd, struct err *err)
{
        struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                            MOUNT_ATTR_NODEV };
        cleanup_close int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
                                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

        if (fd < 0)
                return err_setf(err, -errno, "clone a mount of %s: %s", path, strerror(errno));
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
                return err_setf(err, -errno, "make the mount of %s read-only: %s", path,
                                strerror(errno));
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int
rt_exe_open_protected(const char *path, int *ret_fd, struct err *err)
{
        if (rt_exe_readonly_clone(path, ret_fd, &(struct err){ 0 }) == 0)
                return 0;
        return rt_exe_sealed_copy(path, ret_fd, err);
}

static int
copy_all(int dst, int src)
{
        for (;;) {
                ssize_t n = sendfile(dst, src, NULL, 1 << 20);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
        }
}

int
rt_exe_sealed_copy(const char *path, int *ret_fd, struct err *err)
{
        cleanup_close int src = -1, fd = -1;
        int r;

        src = open(path, O_RDONLY | O_CLOEXEC);
        if (src < 0)
                return err_setf(err, -errno, "open %s: %s", path, strerror(errno));
        fd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return err_setf(err, -errno, "memfd_create: %s", strerror(errno));
        r = copy_all(fd, src);
        if (r < 0)
                return err_setf(err, r, "copy %s: %s", path, strerror(-r));
        if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
                return err_setf(err, -errno, "seal the executable copy: %s", strerror(errno));
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int
rt_exe_protect(char *const argv[], struct err *err)
{
        cleanup_close int fd = -1;
        int r;

        if (rt_exe_is_protected())
                return 0;
        r = rt_exe_open_protected("/proc/self/exe", &fd, err);
        if (r < 0)
                return r;
        fexecve(fd, argv, environ);
        return err_setf(err, -errno, "re-execute from the sealed copy: %s", strerror(errno));
}
