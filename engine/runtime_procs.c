/* runtime_procs: a container's processes: pause and unpause with the cgroup freezer, the
 * list of its pids (cgroup.procs).
 *
 * cgroup v1: <freezer dir>/freezer.state takes "FROZEN" or "THAWED" and reads "FREEZING"
 * until every task is frozen. cgroup v2: <dir>/cgroup.freeze takes "1" or "0" and
 * cgroup.events says "frozen 1" once done. A hybrid host has both (the container's
 * processes are in the v2 hierarchy too); the v1 freezer controller is used there, as runc
 * does. Either way the request is asynchronous, so we poll until the kernel reports it done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/runtime_int.h"

#define FREEZE_WAIT_MS 5000

struct freezer {
        char *file;   /* freezer.state or cgroup.freeze */
        char *status; /* freezer.state or cgroup.events */
        int v2;
};

static void
freezer_release(struct freezer *f)
{
        free(f->file);
        free(f->status);
}

/* find: the freezer among the container's cgroup dirs; -ENOTSUP when it has none. */
static int
find(char **dirs, struct freezer *ret)
{
        strv_foreach(d, dirs) {
                char *p = xasprintf("%s/freezer.state", d);

                if (fs_exists(p)) {
                        *ret = (struct freezer){ .file = p, .status = xstrdup(p), .v2 = 0 };
                        return 0;
                }
                free(p);
        }
        strv_foreach(d, dirs) {
                char *p = xasprintf("%s/cgroup.freeze", d);

                if (fs_exists(p)) {
                        *ret = (struct freezer){ .file = p,
                                                 .status = xasprintf("%s/cgroup.events", d),
                                                 .v2 = 1 };
                        return 0;
                }
                free(p);
        }
        return -ENOTSUP;
}

/* state: 1 frozen, 0 thawed, 2 in between (v1 FREEZING), -errno. */
static int
state(const struct freezer *f)
{
        cleanup_free char *text = NULL;
        int r = fs_read_capped(f->status, 4096, &text, NULL, NULL);

        if (r < 0)
                return r;
        if (f->v2)
                return strstr(text, "frozen 1") ? 1 : 0;
        if (strncmp(text, "FROZEN", 6) == 0)
                return 1;
        return strncmp(text, "THAWED", 6) == 0 ? 0 : 2;
}

static int
write_str(const char *path, const char *s)
{
        cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t n = strlen(s);

        if (fd < 0)
                return -errno;
        return write(fd, s, n) == (ssize_t)n ? 0 : -errno;
}

int
rt_freeze_dirs(char **dirs, int freeze, struct err *err)
{
        struct freezer f = { 0 };
        const char *value;
        int r = find(dirs, &f);

        if (r < 0)
                return err_setf(err, r, "the container's cgroups have no freezer");
        value = f.v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
        for (int i = 0; i < FREEZE_WAIT_MS; i++) {
                /* v1 re-tries a freeze that raced with a fork by writing again */
                r = (i % 10 == 0) ? write_str(f.file, value) : 0;
                if (r == 0)
                        r = state(&f);
                if (r < 0 || r == !!freeze)
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
        }
        if (r >= 0 && r != !!freeze) {
                write_str(f.file, f.v2 ? "0" : "THAWED");
                r = -ETIMEDOUT;
        }
        if (r < 0)
                r = err_setf(err, r, "%s the container: %s", freeze ? "freeze" : "thaw",
                             strerror(-r));
        freezer_release(&f);
        return r < 0 ? r : 0;
}

int
rt_freeze(const char *run_dir, int freeze, struct err *err)
{
        struct rt_state st;
        int r = rt_state_read(run_dir, &st, err);

        if (r < 0)
                return r;
        if (!rt_state_running(&st))
                r = err_setf(err, -ESRCH, "the container is not running");
        else
                r = rt_freeze_dirs(st.cgroups, freeze, err);
        rt_state_release(&st);
        return r;
}

int
rt_frozen(const char *run_dir)
{
        struct rt_state st;
        struct freezer f = { 0 };
        int r = rt_state_read(run_dir, &st, NULL);

        if (r < 0)
                return r;
        r = find(st.cgroups, &f);
        if (r == 0)
                r = state(&f);
        freezer_release(&f);
        rt_state_release(&st);
        return r < 0 ? r : r != 0;
}

static int
cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

        return (x > y) - (x < y);
}

/* parse_pids: the numbers of a cgroup.procs text, sorted and capped at RT_PIDS_MAX. */
static size_t
parse_pids(const char *text, pid_t **ret)
{
        size_t n = 0, cap = 0;
        pid_t *v = NULL;

        for (const char *p = text; *p && n < RT_PIDS_MAX;) {
                char *end;
                long pid = strtol(p, &end, 10);

                if (end == p)
                        break;
                if (pid > 0) {
                        if (n == cap) {
                                cap = cap ? 2 * cap : 64;
                                v = xreallocarray(v, cap, sizeof(*v));
                        }
                        v[n++] = (pid_t)pid;
                }
                p = end + strspn(end, "\n");
        }
        if (n)
                qsort(v, n, sizeof(*v), cmp_pid);
        *ret = v;
        return n;
}

int
rt_pids(const char *run_dir, pid_t **ret, size_t *ret_n, struct err *err)
{
        struct rt_state st;
        int r = rt_state_read(run_dir, &st, err);

        if (r < 0)
                return r;
        r = -ENOENT;
        /* every hierarchy holds every process of the container: the first readable one */
        strv_foreach(d, st.cgroups) {
                cleanup_free char *p = xasprintf("%s/cgroup.procs", d);
                cleanup_free char *text = NULL;

                r = fs_read_capped(p, 16u << 20, &text, NULL, NULL);
                if (r == 0) {
                        *ret_n = parse_pids(text, ret);
                        break;
                }
        }
        rt_state_release(&st);
        if (r < 0)
                return err_setf(err, r, "list the container's processes: %s", strerror(-r));
        return 0;
}
