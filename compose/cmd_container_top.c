/* cmd_container_top: `container top CONTAINER [ps OPTIONS]`, docker's output.
 *
 * The container's processes are its cgroup's (rt_pids), shown with host pids as docker does.
 * Without options the table is docker's default, `ps -ef`'s columns UID PID PPID C STIME TTY
 * TIME CMD, made here from /proc/PID/{stat,status,cmdline} with procps's rules (C is the
 * integer percent of CPU over the process's life, capped at 99; STIME is HH:MM for today,
 * MmmDD for this year, else the year; TIME is [DD-]HH:MM:SS of user+system time). With
 * options, like docker, the host's ps runs with them and only the rows of the container's
 * pids are kept (the PID column is found in the header; "-" rows of threads follow theirs).
 * Printed like docker's CLI: a tabwriter with minimum cell width 20 and padding 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "engine/runtime.h"

#define TOP_MIN_WIDTH 20
#define TOP_PADDING   3
#define PS_OUTPUT_MAX (64u << 20)

static const char *const titles[] = {
        "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD", NULL
};

/* A table: rows of strv cells; the last cell of a row is not padded. */
struct table {
        char ***rows;
        size_t n;
};

static void
table_add(struct table *t, char **cells)
{
        t->rows = xreallocarray(t->rows, t->n + 1, sizeof(*t->rows));
        t->rows[t->n++] = cells;
}

static void
table_print(const struct table *t)
{
        size_t cols = 0, *w;

        for (size_t i = 0; i < t->n; i++)
                cols = strv_length(t->rows[i]) > cols ? strv_length(t->rows[i]) : cols;
        w = xcalloc(cols ? cols : 1, sizeof(*w));
        for (size_t i = 0; i < t->n; i++)
                for (size_t j = 0; j + 1 < strv_length(t->rows[i]); j++)
                        if (strlen(t->rows[i][j]) + TOP_PADDING > w[j])
                                w[j] = strlen(t->rows[i][j]) + TOP_PADDING;
        for (size_t i = 0; i < t->n; i++) {
                size_t n = strv_length(t->rows[i]);

                for (size_t j = 0; j < n; j++)
                        if (j + 1 < n)
                                printf("%-*s", (int)(w[j] > TOP_MIN_WIDTH ? w[j] : TOP_MIN_WIDTH),
                                       t->rows[i][j]);
                        else
                                printf("%s", t->rows[i][j]);
                printf("\n");
        }
        free(w);
}

static void
table_release(struct table *t)
{
        for (size_t i = 0; i < t->n; i++)
                strv_free(t->rows[i]);
        free(t->rows);
}

/* ---- the default table, from /proc ---------------------------------------------------- */

struct pstat {
        long ppid, tty;
        unsigned long long utime, stime, start;
        char comm[64];
};

static int
read_stat(pid_t pid, struct pstat *ps)
{
        cleanup_free char *path = xasprintf("/proc/%d/stat", (int)pid);
        cleanup_free char *text = NULL;
        const char *open, *close, *p;
        int r = fs_read_capped(path, 4096, &text, NULL, NULL);

        if (r < 0)
                return r;
        open = strchr(text, '(');
        close = strrchr(text, ')');
        if (!open || !close || close < open)
                return -EINVAL;
        snprintf(ps->comm, sizeof(ps->comm), "%.*s", (int)(close - open - 1), open + 1);
        /* after "comm)": state ppid pgrp session tty_nr ... utime(14) stime(15) ... start(22) */
        p = close + 2;
        if (sscanf(p,
                   "%*c %ld %*d %*d %ld %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                   "%*d %*d %llu",
                   &ps->ppid, &ps->tty, &ps->utime, &ps->stime, &ps->start) != 5)
                return -EINVAL;
        return 0;
}

static char *
user_of(pid_t pid)
{
        cleanup_free char *path = xasprintf("/proc/%d/status", (int)pid);
        cleanup_free char *text = NULL;
        const char *uid = NULL;
        struct passwd *pw;
        unsigned long euid;

        if (fs_read_capped(path, 1u << 16, &text, NULL, NULL) == 0)
                uid = strstr(text, "\nUid:");
        if (!uid || sscanf(uid + 5, "%*u %lu", &euid) != 1)
                return xstrdup("?");
        pw = getpwuid((uid_t)euid);
        if (!pw)
                return xasprintf("%lu", euid);
        if (strlen(pw->pw_name) > 8) /* procps's -f width, marked with '+' */
                return xasprintf("%.7s+", pw->pw_name);
        return xstrdup(pw->pw_name);
}

static char *
cmd_of(pid_t pid, const char *comm)
{
        cleanup_free char *path = xasprintf("/proc/%d/cmdline", (int)pid);
        char *text = NULL;
        size_t len = 0;

        if (fs_read_capped(path, 1u << 20, &text, &len, NULL) < 0 || len == 0) {
                free(text);
                return xasprintf("[%s]", comm);
        }
        while (len && text[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len; i++)
                if (text[i] == '\0')
                        text[i] = ' ';
        text[len] = '\0';
        return text;
}

static char *
tty_of(long tty_nr)
{
        unsigned maj = major((dev_t)tty_nr), min = minor((dev_t)tty_nr);

        if (tty_nr == 0)
                return xstrdup("?");
        if (maj >= 136 && maj <= 143)
                return xasprintf("pts/%u", (maj - 136) * 256 + min);
        if (maj == 4 && min < 64)
                return xasprintf("tty%u", min);
        if (maj == 4)
                return xasprintf("ttyS%u", min - 64);
        if (maj == 5 && min == 1)
                return xstrdup("console");
        return xasprintf("%u:%u", maj, min);
}

static char *
stime_of(time_t start)
{
        time_t now = time(NULL);
        struct tm a, b;
        char buf[32];

        localtime_r(&now, &a);
        localtime_r(&start, &b);
        strftime(buf, sizeof(buf),
                 a.tm_year != b.tm_year   ? "%Y"
                 : a.tm_yday != b.tm_yday ? "%b%d"
                                          : "%H:%M",
                 &b);
        return xstrdup(buf);
}

static char *
time_of(unsigned long long secs)
{
        unsigned long long dd = secs / 86400;

        if (dd)
                return xasprintf("%llu-%02llu:%02llu:%02llu", dd, secs / 3600 % 24, secs / 60 % 60,
                                 secs % 60);
        return xasprintf("%02llu:%02llu:%02llu", secs / 3600, secs / 60 % 60, secs % 60);
}

struct clock_info {
        long hz;
        double uptime;
        time_t boot;
};

static char **
proc_row(pid_t pid, const struct clock_info *ci)
{
        struct pstat ps;
        char **row = NULL;
        unsigned long long total, c = 0;
        double life;

        if (read_stat(pid, &ps) < 0)
                return NULL; /* it ended meanwhile */
        total = (ps.utime + ps.stime) / (unsigned long long)ci->hz;
        /* procps 4: integer percent over the (fractional) seconds of life */
        life = ci->uptime - (double)ps.start / (double)ci->hz;
        if (life > 0)
                c = (unsigned long long)((double)((ps.utime + ps.stime) * 100ULL /
                                                  (unsigned long long)ci->hz) /
                                         life);
        strv_push(&row, user_of(pid));
        strv_push(&row, xasprintf("%d", (int)pid));
        strv_push(&row, xasprintf("%ld", ps.ppid));
        strv_push(&row, xasprintf("%llu", c > 99 ? 99 : c));
        strv_push(&row, stime_of(ci->boot + (time_t)(ps.start / (unsigned long long)ci->hz)));
        strv_push(&row, tty_of(ps.tty));
        strv_push(&row, time_of(total));
        strv_push(&row, cmd_of(pid, ps.comm));
        return row;
}

static void
clock_info(struct clock_info *ci)
{
        cleanup_free char *up = NULL, *st = NULL;
        const char *b;

        ci->hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
        ci->uptime = 0;
        ci->boot = 0;
        if (fs_read_capped("/proc/uptime", 4096, &up, NULL, NULL) == 0)
                ci->uptime = strtod(up, NULL);
        if (fs_read_capped("/proc/stat", 1u << 20, &st, NULL, NULL) == 0 &&
            (b = strstr(st, "\nbtime ")))
                ci->boot = (time_t)strtoll(b + 7, NULL, 10);
}

static void
default_table(const pid_t *pids, size_t n, struct table *t)
{
        struct clock_info ci;

        clock_info(&ci);
        table_add(t, strv_copy((char *const *)titles));
        for (size_t i = 0; i < n; i++) {
                char **row = proc_row(pids[i], &ci);

                if (row)
                        table_add(t, row);
        }
}

/* ---- with ps options: the host's ps ---------------------------------------------------- */

static int
run_ps(char **args, char **ret, struct err *err)
{
        int p[2], status = 0, r;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "pipe: %s", strerror(errno));
        pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                execvp("ps", args);
                _exit(127);
        }
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                return err_setf(err, -errno, "fork: %s", strerror(errno));
        }
        r = fs_read_fd_capped(p[0], "ps output", PS_OUTPUT_MAX, ret, NULL, err);
        close(p[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                r = err_setf(err, -EIO,
                             "ps failed (exit %d): is it installed, and are the "
                             "options valid?",
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return r;
}

static int
has_pid(const pid_t *pids, size_t n, long p)
{
        for (size_t i = 0; i < n; i++)
                if (pids[i] == p)
                        return 1;
        return 0;
}

/* fields: Go's strings.Fields: the words between runs of blanks. */
static char **
fields(const char *s)
{
        char **out = xcalloc(1, sizeof(char *));

        for (;;) {
                size_t n;

                s += strspn(s, " \t");
                n = strcspn(s, " \t");
                if (!n)
                        return out;
                strv_push(&out, xstrndup(s, n));
                s += n;
        }
}

/* add_fields: docker's appendProcess2ProcList: the overhanging fields join the last one. */
static void
add_fields(struct table *t, char **fields, size_t ncols)
{
        char **row = NULL;
        size_t n = strv_length(fields);

        for (size_t i = 0; i + 1 < ncols && i < n; i++)
                strv_add(&row, fields[i]);
        strv_push(&row, n >= ncols ? strv_join(fields + ncols - 1, " ") : xstrdup(""));
        table_add(t, row);
}

static int
ps_table(char **opts, const pid_t *pids, size_t n, struct table *t, struct err *err)
{
        cleanup_free char *out = NULL;
        cleanup_strv char **args = NULL, **lines = NULL, **head = NULL;
        size_t ncols, pidx = SIZE_MAX;
        int keep = 0, r;

        strv_add(&args, "ps");
        strv_foreach(o, opts)
                strv_add(&args, o);
        r = run_ps(args, &out, err);
        if (r < 0)
                return r;
        lines = strv_split(out, "\n");
        head = lines && lines[0] ? fields(lines[0]) : NULL;
        ncols = strv_length(head);
        for (size_t i = 0; i < ncols; i++)
                if (strcmp(head[i], "PID") == 0 && pidx == SIZE_MAX)
                        pidx = i;
        if (pidx == SIZE_MAX)
                return err_setf(err, -EINVAL, "couldn't find PID field in ps output");
        table_add(t, strv_copy(head));
        for (size_t l = 1; lines[l]; l++) {
                cleanup_strv char **f = fields(lines[l]);

                if (strv_length(f) <= pidx)
                        continue;
                if (strcmp(f[pidx], "-") != 0)
                        keep = has_pid(pids, n, strtol(f[pidx], NULL, 10));
                if (keep)
                        add_fields(t, f, ncols);
        }
        return 0;
}

int
cmd_container_top(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct ctr *c = NULL;
        json_object *st = NULL;
        struct table t = { 0 };
        pid_t *pids = NULL;
        size_t n = 0;
        int r;

        if (argc < 2)
                return err_setf(err, -EINVAL, "'container top' requires at least 1 argument");
        r = ctr_open(g->root, g->run_root, argv[1], &c, err);
        if (r >= 0)
                r = ctr_state_read(c, &st, err);
        if (r >= 0 && !cmd_container_alive(c, st))
                r = err_setf(err, -ESRCH, "container %s is not running", c->id);
        if (r >= 0)
                r = rt_pids(c->run_dir, &pids, &n, err);
        if (r >= 0 && argc > 2)
                r = ps_table(argv + 2, pids, n, &t, err);
        else if (r >= 0)
                default_table(pids, n, &t);
        if (r >= 0)
                table_print(&t);
        table_release(&t);
        free(pids);
        json_object_put(st);
        ctr_free(c);
        return r;
}
