/* cmd_container_logs: `berth container logs [-f] [-t] [--tail N] [--since T] [--until T]
 * CONTAINER`.
 *
 * Reads docker json-file lines ({"log","stream","time"}, engine/monitor.c) from log.json.1
 * then log.json and writes each "log" to our stdout or stderr like its stream. -f keeps
 * reading log.json (following the monitor's rotation by inode) until the monitor is gone.
 * --since and --until take RFC 3339, unix seconds, or a Go duration back from now (10m).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "engine/monitor.h"

#define LOG_SLACK (4u << 20) /* bytes a file may pass its max-size by: the last line */
#define TAIL_MAX     10000000

struct log_opts {
        int follow, timestamps;
        int64_t tail;  /* -1 = all */
        int64_t since; /* unix ns, 0 = all */
        int64_t until; /* unix ns, 0 = all */
};

/* in_window: a line of time t (unix ns) is shown for --since and --until (0: no bound) */
static bool
in_window(int64_t since, int64_t until, int64_t t)
{
        return (!since || t >= since) && (!until || t <= until);
}

static void
emit(const struct log_opts *o, const char *line, size_t n)
{
        cleanup_free char *copy = xstrndup(line, n);
        json_object *j = json_tokener_parse(copy);
        json_object *lg = NULL, *st = NULL, *tm = NULL;
        const char *t;
        FILE *out;

        if (!j)
                return;
        json_object_object_get_ex(j, "log", &lg);
        json_object_object_get_ex(j, "stream", &st);
        json_object_object_get_ex(j, "time", &tm);
        t = tm ? json_object_get_string(tm) : "";
        if (lg && in_window(o->since, o->until, cmd_container_parse_time(t))) {
                out = st && strcmp(json_object_get_string(st), "stderr") == 0 ? stderr : stdout;
                if (o->timestamps)
                        fprintf(out, "%s ", t);
                fwrite(json_object_get_string(lg), 1, (size_t)json_object_get_string_len(lg), out);
                fflush(out);
        }
        json_object_put(j);
}

/* collect: the complete lines of buf, appended to *lines. */
static void
collect(const char *buf, size_t len, char ***lines)
{
        const char *p, *nl;

        for (p = buf; (nl = memchr(p, '\n', len - (size_t)(p - buf))); p = nl + 1)
                strv_push(lines, xstrndup(p, (size_t)(nl - p)));
}

/* print_all: the rotated files oldest first (log.json.N-1 .. log.json.1), then log.json read
 * through fd (left at its end for -f). */
static void
print_all(const struct log_opts *o, const struct ctr *c, int fd)
{
        cleanup_free char *b0 = NULL;
        cleanup_strv char **lines = NULL;
        struct err e = { 0 };
        size_t n, l0 = 0, first = 0;
        uint64_t size;
        int files;

        monitor_log_limits(c->config, &size, &files);
        for (int k = files - 1; k >= 1; k--) {
                cleanup_free char *name = xasprintf("log.json.%d", k);
                cleanup_free char *pk = ctr_path(c, name);
                cleanup_free char *bk = NULL;
                size_t lk = 0;

                if (fs_read_capped(pk, size + LOG_SLACK, &bk, &lk, &e) >= 0)
                        collect(bk, lk, &lines);
        }
        if (fd >= 0 && fs_read_fd_capped(fd, "log.json", size + LOG_SLACK, &b0, &l0, &e) >= 0)
                collect(b0, l0, &lines);
        n = strv_length(lines);
        if (o->tail >= 0 && (size_t)o->tail < n)
                first = n - (size_t)o->tail;
        for (size_t i = first; i < n; i++)
                emit(o, lines[i], strlen(lines[i]));
}

static bool
log_readable(const struct ctr *c)
{
        uint64_t size;
        int files;

        monitor_log_limits(c->config, &size, &files);
        return files > 0;
}

static int
alive(const struct ctr *c)
{
        json_object *st = NULL;
        struct err e = { 0 };
        int r;

        if (ctr_state_read(c, &st, &e) < 0)
                return 0;
        r = cmd_container_alive(c, st);
        json_object_put(st);
        return r;
}

/* pump: print the complete lines that arrived on fd; keep a partial one in pend. */
static void
pump(const struct log_opts *o, int fd, struct sbuf *pend)
{
        char buf[8192];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                size_t off = 0;
                char *nl;
                sbuf_add(pend, buf, (size_t)n);
                while ((nl = memchr(pend->buf + off, '\n', pend->len - off))) {
                        emit(o, pend->buf + off, (size_t)(nl - (pend->buf + off)));
                        off = (size_t)(nl - pend->buf) + 1;
                }
                memmove(pend->buf, pend->buf + off, pend->len - off);
                sbuf_truncate(pend, pend->len - off);
        }
}

bool
cmd_container_until_passed(int64_t until)
{
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        return until && (int64_t)now.tv_sec * 1000000000 + now.tv_nsec > until;
}

static void
follow(const struct log_opts *o, const struct ctr *c, int fd)
{
        cleanup_free char *path = ctr_path(c, "log.json");
        cleanup_sbuf struct sbuf pend = SBUF_INIT;
        struct stat a, b;

        for (;;) {
                int live = alive(c);
                if (fd < 0)
                        fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        pump(o, fd, &pend);
                if (fd >= 0 && stat(path, &b) == 0 && fstat(fd, &a) == 0 && a.st_ino != b.st_ino) {
                        close(fd);
                        fd = -1;
                        sbuf_reset(&pend);
                        continue;
                }
                if (!live || cmd_container_until_passed(o->until))
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        if (fd >= 0)
                close(fd);
}

int
cmd_container_parse_since(const char *s, const char *flag, int64_t *ret, struct err *err)
{
        char *end;
        double v;
        int64_t t = cmd_container_parse_time(s);
        struct timespec now;

        if (t) {
                *ret = t;
                return 0;
        }
        clock_gettime(CLOCK_REALTIME, &now);
        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || v < 0 || v > 1e10)
                return err_setf(err, -EINVAL, "invalid %s '%s'", flag, s);
        if (*end == 0) {
                *ret = (int64_t)(v * 1e9);
                return 0;
        }
        if (end[1] == 0 && (*end == 's' || *end == 'm' || *end == 'h')) {
                double mul = *end == 's' ? 1e9 : *end == 'm' ? 60e9 : 3600e9;
                *ret = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - (int64_t)(v * mul);
                return 0;
        }
        return err_setf(err, -EINVAL, "invalid %s '%s': want RFC 3339, unix seconds or "
                        "a duration like 10m", flag, s);
}

static int
parse_tail(const char *s, int64_t *ret, struct err *err)
{
        char *end;
        long long v;

        if (strcmp(s, "all") == 0) {
                *ret = -1;
                return 0;
        }
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < -1 || v > TAIL_MAX)
                return err_setf(err, -EINVAL, "invalid --tail '%s'", s);
        *ret = v;
        return 0;
}

static int
parse(struct log_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "follow", no_argument, NULL, 'f' },
                { "timestamps", no_argument, NULL, 't' },
                { "tail", required_argument, NULL, 'n' },
                { "since", required_argument, NULL, 'S' },
                { "until", required_argument, NULL, 'U' },
                { "details", no_argument, NULL, 'D' },
                { 0 },
        };
        int c, r = 0;

        optind = 1;
        opterr = 0;
        o->tail = -1;
        while (r >= 0 && (c = getopt_long(argc, argv, "ftn:", opts, NULL)) != -1) {
                if (c == 'f')
                        o->follow = 1;
                else if (c == 't')
                        o->timestamps = 1;
                else if (c == 'n')
                        r = parse_tail(optarg, &o->tail, err);
                else if (c == 'S')
                        r = cmd_container_parse_since(optarg, "--since", &o->since, err);
                else if (c == 'U')
                        r = cmd_container_parse_since(optarg, "--until", &o->until, err);
                else if (c == 'D')
                        r = err_setf(err, -ENOTSUP, "%s is not available yet", argv[optind - 1]);
                else
                        r = err_setf(err, -EINVAL, "unknown flag '%s' for 'container logs'",
                                     argv[optind - 1]);
        }
        if (r < 0)
                return r;
        if (optind != argc - 1)
                return err_setf(err, -EINVAL, "'container logs' requires exactly 1 argument");
        return optind;
}

int
cmd_container_logs(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct log_opts o = { 0 };
        struct ctr *c = NULL;
        cleanup_free char *path = NULL;
        int fd, r = parse(&o, argc, argv, err);

        if (r < 0)
                return r;
        r = ctr_open(g->root, g->run_root, argv[r], &c, err);
        if (r < 0)
                return r;
        if (!log_readable(c)) {
                ctr_free(c);
                return err_setf(err, -ENOTSUP, "configured logging driver does not support "
                                               "reading");
        }
        path = ctr_path(c, "log.json");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        print_all(&o, c, fd);
        if (o.follow)
                follow(&o, c, fd); /* closes fd */
        else if (fd >= 0)
                close(fd);
        ctr_free(c);
        return 0;
}
