/* runtime_state: the container state file in its run directory, so that any process can find,
 * signal and clean up a container: "key=value" lines (id, pid, start_time, one cgroup= line
 * per hierarchy, memory_cgroup, memory_v2), replaced atomically. A pid alone could be reused
 * by an unrelated process after the container died; pid plus the kernel's start time
 * (proc(5) /proc/PID/stat field 22) cannot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/runtime_int.h"

#define STATE_MAX (64u << 10)
#define STAT_MAX  4096

int
rt_write_file(const char *path, const char *data, size_t len, mode_t mode, struct err *err)
{
        cleanup_free char *tmp = xasprintf("%s.tmp", path);
        cleanup_close int fd =
                open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

        if (fd < 0)
                return err_setf(err, -errno, "create '%s': %s", tmp, strerror(errno));
        if (write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) < 0 || rename(tmp, path) < 0) {
                int e = errno ? errno : EIO;

                unlink(tmp);
                return err_setf(err, -e, "write '%s': %s", path, strerror(e));
        }
        return 0;
}

int
rt_state_write(const char *run_dir, const struct rt_state *st, struct err *err)
{
        cleanup_free char *path = xasprintf("%s/state", run_dir);
        cleanup_sbuf struct sbuf sb = SBUF_INIT;

        sbuf_addf(&sb, "id=%s\npid=%d\nstart_time=%llu\n", st->id, (int)st->pid,
                  (unsigned long long)st->start_time);
        strv_foreach(dir, st->cgroups)
                sbuf_addf(&sb, "cgroup=%s\n", dir);
        if (st->memory_cgroup)
                sbuf_addf(&sb, "memory_cgroup=%s\nmemory_v2=%d\n", st->memory_cgroup,
                          st->memory_v2);
        return rt_write_file(path, sb.buf, sb.len, 0600, err);
}

static int
parse_num(const char *s, unsigned long long max, unsigned long long *ret)
{
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int
state_line(struct rt_state *st, const char *line)
{
        const char *eq = strchr(line, '=');
        const char *v = eq ? eq + 1 : "";
        size_t klen = eq ? (size_t)(eq - line) : 0;
        unsigned long long n;

#define KEY(k) (klen == sizeof(k) - 1 && strncmp(line, k, klen) == 0)
        if (KEY("id") && strlen(v) <= RT_ID_MAX)
                memcpy(st->id, v, strlen(v) + 1);
        else if (KEY("pid") && parse_num(v, 4194304, &n) == 0)
                st->pid = (pid_t)n;
        else if (KEY("start_time") && parse_num(v, UINT64_MAX, &n) == 0)
                st->start_time = n;
        else if (KEY("cgroup") && v[0] == '/')
                strv_add(&st->cgroups, v);
        else if (KEY("memory_cgroup") && v[0] == '/' && !st->memory_cgroup)
                st->memory_cgroup = xstrdup(v);
        else if (KEY("memory_v2"))
                st->memory_v2 = strcmp(v, "1") == 0;
        else if (*line)
                return -EINVAL;
#undef KEY
        return 0;
}

int
rt_state_read(const char *run_dir, struct rt_state *ret, struct err *err)
{
        cleanup_free char *path = xasprintf("%s/state", run_dir);
        cleanup_free char *text = NULL;
        cleanup_strv char **lines = NULL;
        struct rt_state st = { 0 };
        int r = fs_read_capped(path, STATE_MAX, &text, NULL, NULL);

        if (r == -ENOENT)
                return err_setf(err, -ENOENT, "no container state in '%s'", run_dir);
        if (r < 0)
                return err_setf(err, r, "read '%s': %s", path, strerror(-r));
        lines = strv_split(text, "\n");
        strv_foreach(line, lines) {
                if (state_line(&st, line) < 0) {
                        rt_state_release(&st);
                        return err_setf(err, -EINVAL, "%s: bad line '%s'", path, line);
                }
        }
        *ret = st;
        return 0;
}

void
rt_state_release(struct rt_state *st)
{
        strv_free(st->cgroups);
        free(st->memory_cgroup);
        memset(st, 0, sizeof(*st));
}

/* proc_stat: start time and state letter of pid; 0 when it does not exist. */
static uint64_t
proc_stat(pid_t pid, char *ret_state)
{
        char path[64], buf[STAT_MAX];
        cleanup_fclose FILE *f = NULL;
        unsigned long long start = 0;
        const char *p;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1,
                         " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                         "%*s %*s %*s %*s %llu",
                         ret_state, &start) != 2)
                return 0;
        return start;
}

uint64_t
rt_proc_start_time(pid_t pid)
{
        char state;

        return pid > 0 ? proc_stat(pid, &state) : 0;
}

int
rt_state_running(const struct rt_state *st)
{
        char state = 0;
        uint64_t start = st->pid > 0 ? proc_stat(st->pid, &state) : 0;

        return start != 0 && start == st->start_time && state != 'Z' && state != 'X';
}

int
rt_proc_self_args(uintptr_t ret[4])
{
        cleanup_free char *text = NULL;
        cleanup_strv char **fields = NULL;
        const char *p;
        size_t n;

        if (fs_read_capped("/proc/self/stat", STAT_MAX, &text, NULL, NULL) < 0 ||
            !(p = strrchr(text, ')')))
                return -EINVAL;
        /* after the comm: field 3 onwards; 48..51 are arg_start arg_end env_start env_end */
        fields = strv_split(p + 2, " ");
        n = strv_length(fields);
        if (n < 51 - 2)
                return -EINVAL;
        for (size_t i = 0; i < 4; i++)
                ret[i] = (uintptr_t)strtoull(fields[48 - 3 + i], NULL, 10);
        return 0;
}
