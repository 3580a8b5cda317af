/* runtime_exe: the CVE-2019-5736 defence. A container can reach the binary of a runtime
 * process that is or was in it (through /proc/PID/exe, or by making it exec a "#!/proc/self/exe"
 * script) and, once that process is gone, reopen it for writing. Running from a sealed memfd
 * copy (memfd_create(2), F_SEAL_WRITE/SHRINK/GROW/SEAL) makes that file unwritable by anyone,
 * so the binary on disk is never exposed. This is what runc and crun do.
 *
 * A process that starts a runtime process can make the copy itself (rt_exe_sealed_copy) and
 * fexecve(3) it: the new process is protected from its first instruction and its own
 * rt_exe_protect() is a no-op, which saves the second execve of a copy-and-re-exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/sendfile.h>

#include "base/cleanup.h"
#include "engine/runtime_int.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int
rt_exe_is_protected(void)
{
        cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        int seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;

        return seals >= 0 && (seals & SEALS) == SEALS;
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
        r = rt_exe_sealed_copy("/proc/self/exe", &fd, err);
        if (r < 0)
                return r;
        fexecve(fd, argv, environ);
        return err_setf(err, -errno, "re-execute from the sealed copy: %s", strerror(errno));
}
