/* dag: the parallel task runner of compose (see dag.h for the model and the pipe protocol). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "compose/dag.h"

enum { T_WAIT, T_RUN, T_DONE, T_FAILED, T_SKIPPED };

struct slot {
        pid_t pid;
        int fd;
        struct sbuf buf;
        bool have_result;
        int code;
        char *msg;
};

struct state {
        const struct dag_run *run;
        int *st;
        struct slot *slots; /* n entries, used while T_RUN */
        size_t running;
        int first;
        struct err *err;
};

void
dag_event(int events, const char *fmt, ...)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;
        va_list ap;

        if (events < 0)
                return;
        sbuf_adds(&sb, "E ");
        va_start(ap, fmt);
        sbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        for (size_t i = 2; i < sb.len; i++)
                if (sb.buf[i] == '\n')
                        sb.buf[i] = ' ';
        if (sb.len > DAG_LINE_MAX - 1)
                sbuf_truncate(&sb, DAG_LINE_MAX - 1);
        sbuf_addch(&sb, '\n');
        /* one write per line: lines of one pipe never interleave below PIPE_BUF */
        if (write(events, sb.buf, sb.len) < 0)
                return;
}

/* has_cycle: Kahn's algorithm over the in-degrees. */
static bool
has_cycle(const struct dag_task *t, size_t n)
{
        cleanup_free size_t *indeg = xcalloc(n ? n : 1, sizeof(*indeg));
        cleanup_free size_t *queue = xcalloc(n ? n : 1, sizeof(*queue));
        size_t head = 0, tail = 0;

        for (size_t i = 0; i < n; i++)
                indeg[i] = t[i].n_deps;
        for (size_t i = 0; i < n; i++)
                if (!indeg[i])
                        queue[tail++] = i;
        while (head < tail) {
                size_t done = queue[head++];
                for (size_t i = 0; i < n; i++)
                        for (size_t k = 0; k < t[i].n_deps; k++)
                                if (t[i].deps[k].to == done && --indeg[i] == 0)
                                        queue[tail++] = i;
        }
        return tail != n;
}

/* readiness: 1 ready, 0 not yet, -1 never (a hard dependency failed or was skipped) */
static int
readiness(const struct state *s, size_t i)
{
        const struct dag_task *t = &s->run->tasks[i];

        for (size_t k = 0; k < t->n_deps; k++) {
                int d = s->st[t->deps[k].to];
                if (d == T_WAIT || d == T_RUN)
                        return 0;
                if ((d == T_FAILED || d == T_SKIPPED) && !t->deps[k].soft)
                        return -1;
        }
        return 1;
}

static void
child(const struct dag_run *run, size_t i, int wfd)
{
        struct err e = { 0 };
        cleanup_free char *line = NULL;
        int r;

        r = run->fn(i, run->ctx, wfd, &e);
        if (r > 0)
                r = 0;
        line = xasprintf("R %d %s\n", r, r < 0 ? (e.msg[0] ? e.msg : strerror(-r)) : "");
        if (write(wfd, line, strlen(line)) < 0)
                _exit(3);
        _exit(r < 0 ? 1 : 0);
}

static int
launch(struct state *s, size_t i)
{
        struct slot *sl = &s->slots[i];
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return err_setf(s->err, -errno, "create a pipe: %s", strerror(errno));
        fflush(stdout);
        fflush(stderr);
        sl->pid = fork();
        if (sl->pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return err_setf(s->err, -e, "fork: %s", strerror(e));
        }
        if (sl->pid == 0) {
                close(p[0]);
                child(s->run, i, p[1]);
        }
        close(p[1]);
        sl->fd = p[0];
        sbuf_init(&sl->buf);
        sl->have_result = false;
        s->st[i] = T_RUN;
        s->running++;
        return 0;
}

/* launch_ready: start every task whose dependencies are done, within the parallel cap;
 * mark the ones that can never run as skipped. Returns whether anything changed. */
static int
launch_ready(struct state *s, int cap, bool *changed)
{
        for (size_t i = 0; i < s->run->n; i++) {
                int ready;
                if (s->st[i] != T_WAIT)
                        continue;
                ready = readiness(s, i);
                if (ready < 0) {
                        s->st[i] = T_SKIPPED;
                        *changed = true;
                } else if (ready > 0 && s->running < (size_t)cap) {
                        int r = launch(s, i);
                        if (r < 0)
                                return r;
                        *changed = true;
                }
        }
        return 0;
}

static void
take_line(struct state *s, size_t i, char *line)
{
        struct slot *sl = &s->slots[i];

        if (line[0] == 'E' && line[1] == ' ') {
                if (s->run->on_event)
                        s->run->on_event(i, line + 2, s->run->event_ctx);
                return;
        }
        if (line[0] == 'R' && line[1] == ' ') {
                char *end;
                long v = strtol(line + 2, &end, 10);
                sl->have_result = true;
                sl->code = v < 0 && v > -4096 ? (int)v : v ? -EIO : 0;
                free(sl->msg);
                sl->msg = xstrdup(*end == ' ' ? end + 1 : "");
        }
}

static void
finish(struct state *s, size_t i)
{
        struct slot *sl = &s->slots[i];
        const char *name = s->run->tasks[i].name;

        close(sl->fd);
        waitpid(sl->pid, NULL, 0);
        s->running--;
        if (!sl->have_result) {
                sl->code = -EIO;
                free(sl->msg);
                sl->msg = xasprintf("task %s crashed", name ? name : "?");
        }
        s->st[i] = sl->code < 0 ? T_FAILED : T_DONE;
        if (sl->code < 0 && !s->first) {
                s->first = sl->code;
                err_setf(s->err, sl->code, "%s", sl->msg);
        }
        sbuf_release(&sl->buf);
        sl->msg = (free(sl->msg), NULL);
}

/* drain: read what task i wrote; at EOF the task is finished. */
static void
drain(struct state *s, size_t i)
{
        struct slot *sl = &s->slots[i];
        char chunk[4096];
        ssize_t n = read(sl->fd, chunk, sizeof(chunk));
        char *nl;

        if (n < 0 && errno == EINTR)
                return;
        if (n <= 0) {
                finish(s, i);
                return;
        }
        sbuf_add(&sl->buf, chunk, (size_t)n);
        while ((nl = memchr(sl->buf.buf, '\n', sl->buf.len))) {
                size_t len = (size_t)(nl - sl->buf.buf);
                cleanup_free char *line = xstrndup(sl->buf.buf, len);
                memmove(sl->buf.buf, nl + 1, sl->buf.len - len - 1);
                sbuf_truncate(&sl->buf, sl->buf.len - len - 1);
                take_line(s, i, line);
        }
        if (sl->buf.len > DAG_LINE_MAX)
                sbuf_reset(&sl->buf); /* a runaway line: drop it, keep reading */
}

static int
wait_some(struct state *s)
{
        cleanup_free struct pollfd *pfd = xcalloc(s->running, sizeof(*pfd));
        cleanup_free size_t *which = xcalloc(s->running, sizeof(*which));
        size_t k = 0;
        int n;

        for (size_t i = 0; i < s->run->n; i++)
                if (s->st[i] == T_RUN) {
                        pfd[k] = (struct pollfd){ .fd = s->slots[i].fd, .events = POLLIN };
                        which[k++] = i;
                }
        n = poll(pfd, k, -1);
        if (n < 0)
                return errno == EINTR ? 0 : err_setf(s->err, -errno, "poll: %s", strerror(errno));
        for (size_t j = 0; j < k; j++)
                if (pfd[j].revents)
                        drain(s, which[j]);
        return 0;
}

int
dag_execute(const struct dag_run *run, struct err *err)
{
        int cap = run->max_parallel > 0 ? run->max_parallel : DAG_PARALLEL_MAX;
        struct state s = { .run = run, .err = err };
        int r = 0;

        if (run->n > DAG_MAX_TASKS)
                return err_setf(err, -E2BIG, "too many tasks (%zu, at most %d)", run->n,
                                DAG_MAX_TASKS);
        if (has_cycle(run->tasks, run->n))
                return err_setf(err, -ELOOP, "dependency cycle detected");
        s.st = xcalloc(run->n ? run->n : 1, sizeof(*s.st));
        s.slots = xcalloc(run->n ? run->n : 1, sizeof(*s.slots));
        for (;;) {
                bool changed = false;
                if (r == 0)
                        r = launch_ready(&s, cap, &changed);
                if (!s.running && !changed)
                        break;
                if (s.running && wait_some(&s) < 0 && r == 0)
                        r = err->code;
        }
        for (size_t i = 0; run->ret_status && i < run->n; i++)
                run->ret_status[i] = s.st[i] == T_DONE ? 0 : s.st[i] == T_FAILED ? -1 : 1;
        free(s.st);
        free(s.slots);
        if (r < 0 && !s.first)
                return r;
        return s.first;
}

void
dag_reverse(const struct dag_task *tasks, size_t n, struct dag_task **ret_tasks)
{
        struct dag_task *out = xcalloc(n ? n : 1, sizeof(*out));

        for (size_t i = 0; i < n; i++)
                out[i].name = tasks[i].name;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < tasks[i].n_deps; k++) {
                        struct dag_task *t = &out[tasks[i].deps[k].to];
                        t->deps = xreallocarray(t->deps, t->n_deps + 1, sizeof(*t->deps));
                        t->deps[t->n_deps++] = (struct dag_edge){ .to = i, .soft = true };
                }
        *ret_tasks = out;
}

void
dag_reverse_free(struct dag_task *tasks, size_t n)
{
        for (size_t i = 0; tasks && i < n; i++)
                free(tasks[i].deps);
        free(tasks);
}
