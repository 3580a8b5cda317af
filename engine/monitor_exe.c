/* monitor_exe: where the small executable berth-monitor lives: next to the running berth
 * binary (both are built into, and installed to, the same directory). It runs each
 * container's monitor and each network's DNS responder, and links only the runtime (no
 * libarchive, libcurl, libyaml), so that these long-lived processes stay small.
 *
 * Every monitor runs from a protected berth-monitor (CVE-2019-5736, runtime_exe.c): a
 * read-only private clone of its mount where the kernel allows one (the file's own pages,
 * nothing to share), else a sealed memfd copy.
 *
 * Sharing the sealed copy: a copy is memory of its own (the whole file, in shmem). The newest
 * monitor of a root writes its PID to RUN_ROOT/monitor.pid; the CLI opens that process's
 * /proc/PID/exe and uses it for the next monitor when it has all the seals (only memfds can),
 * is owned by us without set-id bits, and is byte for byte the berth-monitor file. The checks
 * are on the opened file, not on the PID: whatever process the PID names by then, a sealed
 * file can never change again, so running it is exactly as safe as running a fresh copy.
 * Anything else makes a fresh copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/monitor.h"
#include "engine/runtime.h"

#define SEALS    (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define EXE_MAX  (64u << 20) /* bytes: a berth-monitor larger than this is never compared */
#define PID_FILE "monitor.pid"

int
monitor_exe_path_in(const char *self, char **ret_path, struct err *err)
{
        char buf[PATH_MAX];
        cleanup_free char *dir = NULL, *path = NULL;
        ssize_t n = readlink(self, buf, sizeof(buf) - 1);

        if (n < 0)
                return err_setf(err, -errno, "find %s: readlink %s: %s", MONITOR_EXE, self,
                                strerror(errno));
        buf[n] = '\0';
        if (buf[0] != '/')
                return err_setf(err, -ENOENT, "find %s: berth runs from '%s', not from a file",
                                MONITOR_EXE, buf);
        dir = path_dirname(buf);
        path = path_join(dir, MONITOR_EXE);
        if (access(path, X_OK) < 0)
                return err_setf(err, -ENOENT,
                                "%s is missing: it must be installed next to berth, as %s (%s)",
                                MONITOR_EXE, path, strerror(errno));
        *ret_path = TAKE_PTR(path);
        return 0;
}

int
monitor_exe_path(char **ret_path, struct err *err)
{
        return monitor_exe_path_in("/proc/self/exe", ret_path, err);
}

/* same_bytes: whether the files a and b (both size bytes) have the same content. */
static int
same_bytes(int a, int b, size_t size)
{
        void *pa = mmap(NULL, size, PROT_READ, MAP_PRIVATE, a, 0);
        void *pb = pa == MAP_FAILED ? MAP_FAILED : mmap(NULL, size, PROT_READ, MAP_PRIVATE, b, 0);
        int same = pb != MAP_FAILED && memcmp(pa, pb, size) == 0;

        if (pb != MAP_FAILED)
                munmap(pb, size);
        if (pa != MAP_FAILED)
                munmap(pa, size);
        return same;
}

/* shared_copy: the sealed copy the monitor named by RUN_ROOT/monitor.pid runs, if it is one
 * of path (see the top of the file); -1 when there is none. */
static int
shared_copy(const char *run_root, const char *path)
{
        cleanup_free char *pid_path = xasprintf("%s/%s", run_root, PID_FILE), *buf = NULL;
        cleanup_free char *exe = NULL;
        cleanup_close int fd = -1, src = -1;
        struct err e = { 0 };
        struct stat a, b;
        size_t len;
        char *end;
        long pid;
        int seals;

        if (fs_read_capped(pid_path, 32, &buf, &len, &e) < 0)
                return -1;
        pid = strtol(buf, &end, 10);
        if (end == buf || *end != '\n' || pid <= 1 || pid > INT_MAX)
                return -1;
        exe = xasprintf("/proc/%ld/exe", pid);
        fd = open(exe, O_RDONLY | O_CLOEXEC);
        src = fd < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
        if (src < 0 || fstat(fd, &a) < 0 || fstat(src, &b) < 0 || !S_ISREG(a.st_mode) ||
            a.st_size != b.st_size || b.st_size <= 0 || (uint64_t)b.st_size > EXE_MAX)
                return -1;
        /* ours (a memfd belongs to its creator) and no set-id bit that would change who runs */
        if (a.st_uid != geteuid() || (a.st_mode & (S_ISUID | S_ISGID)))
                return -1;
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0 || (seals & SEALS) != SEALS)
                return -1;
        if (!same_bytes(fd, src, (size_t)b.st_size))
                return -1;
        return TAKE_FD(fd);
}

int
monitor_exe_open(const char *run_root, const char *path, int *ret_fd, struct err *err)
{
        int fd;

        if (rt_exe_readonly_clone(path, ret_fd, &(struct err){ 0 }) == 0)
                return 0;
        fd = shared_copy(run_root, path);
        if (fd >= 0) {
                *ret_fd = fd;
                return 0;
        }
        return rt_exe_sealed_copy(path, ret_fd, err);
}

void
monitor_exe_note(const char *run_root)
{
        cleanup_free char *path = xasprintf("%s/%s", run_root, PID_FILE);
        cleanup_free char *tmp = xasprintf("%s.%d", path, (int)getpid());
        char line[32];
        int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
        cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        struct err e = { 0 };
        int fd;

        if (self < 0 || fcntl(self, F_GET_SEALS) < 0) /* not a memfd: no copy to share */
                return;
        fd = fs_mkdir_p(run_root, 0700, &e) < 0
                     ? -1
                     : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        if (write(fd, line, (size_t)n) != n || rename(tmp, path) < 0)
                unlink(tmp);
        close(fd);
}
