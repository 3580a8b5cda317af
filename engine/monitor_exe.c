/* monitor_exe: where the small executable berth-monitor lives: next to the running berth
 * binary (both are built into, and installed to, the same directory). It runs each
 * container's monitor and each network's DNS responder, and links only the runtime (no
 * libarchive, libcurl, libyaml), so that these long-lived processes stay small.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/monitor.h"

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
