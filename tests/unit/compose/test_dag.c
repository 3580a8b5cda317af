/* Unit tests for compose/dag.c: the parallel task runner.
 *
 * Tasks run in forked children, so what they do is recorded through a pipe the test opens
 * before dag_execute ("S <i>" when a task starts, "E <i>" when it ends, one write each, well
 * below PIPE_BUF) and, for counters, in a MAP_SHARED page. Children never call cmocka's
 * asserts: they report through their return value and the runner checks in the parent.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/dag.h"

enum act { ACT_OK, ACT_FAIL, ACT_FAIL_NOMSG, ACT_ABORT, ACT_EXIT, ACT_KILL, ACT_POSITIVE };

struct shared {
        int live, max_live;
};

struct ctx {
        int rec;               /* the write end of the record pipe */
        enum act act[16];
        const char *msg[16];   /* failure messages */
        int sleep_ms[16];
        const char *dir;       /* for the rendezvous test */
        bool rendezvous;
        bool count;            /* track live children in sh */
        struct shared *sh;
        int n_events;          /* events each task sends */
};

static void
record(int fd, char what, size_t i)
{
        char line[32];
        int n = snprintf(line, sizeof(line), "%c %zu\n", what, i);

        if (write(fd, line, (size_t)n) < 0)
                _exit(4);
}

static void
sleep_ms(int ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* wait_for: up to 10 s for path to exist. */
static int
wait_for(const char *path)
{
        for (int k = 0; k < 1000; k++) {
                if (fs_exists(path))
                        return 0;
                sleep_ms(10);
        }
        return -ETIMEDOUT;
}

static int
rendezvous(struct ctx *c, size_t i, struct err *err)
{
        char mine[256], other[256];
        struct err e = { 0 };

        snprintf(mine, sizeof(mine), "%s/%zu", c->dir, i);
        snprintf(other, sizeof(other), "%s/%zu", c->dir, 1 - i);
        if (fs_write_atomic(mine, "x", 1, 0644, &e) < 0)
                return err_setf(err, e.code, "%s", e.msg);
        if (wait_for(other) < 0)
                return err_setf(err, -ETIMEDOUT, "task %zu never saw the other", i);
        return 0;
}

static void
count_live(struct shared *sh, int ms)
{
        int now = __atomic_add_fetch(&sh->live, 1, __ATOMIC_SEQ_CST);
        int seen = __atomic_load_n(&sh->max_live, __ATOMIC_SEQ_CST);

        while (now > seen &&
               !__atomic_compare_exchange_n(&sh->max_live, &seen, now, false, __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST))
                ;
        sleep_ms(ms);
        __atomic_sub_fetch(&sh->live, 1, __ATOMIC_SEQ_CST);
}

static int
task(size_t i, void *vctx, int events, struct err *err)
{
        struct ctx *c = vctx;
        int r = 0;

        record(c->rec, 'S', i);
        for (int k = 0; k < c->n_events; k++)
                dag_event(events, "task %zu event %d", i, k);
        if (c->count)
                count_live(c->sh, c->sleep_ms[i]);
        else if (c->sleep_ms[i])
                sleep_ms(c->sleep_ms[i]);
        if (c->rendezvous)
                r = rendezvous(c, i, err);
        switch (c->act[i]) {
        case ACT_FAIL:
                r = err_setf(err, -EPERM, "%s", c->msg[i] ? c->msg[i] : "failed");
                break;
        case ACT_FAIL_NOMSG:
                r = -ENOENT;
                break;
        case ACT_ABORT:
                signal(SIGABRT, SIG_DFL);
                abort();
        case ACT_EXIT:
                _exit(0);
        case ACT_KILL:
                raise(SIGKILL);
                break;
        case ACT_POSITIVE:
                r = 7;
                break;
        case ACT_OK:
                break;
        }
        record(c->rec, 'E', i);
        return r;
}

/* ---- the record pipe ---------------------------------------------------------------------- */

struct rec {
        int fd[2];
        char buf[65536];
};

static void
rec_open(struct rec *r, struct ctx *c)
{
        assert_int_equal(pipe2(r->fd, O_CLOEXEC | O_NONBLOCK), 0);
        c->rec = r->fd[1];
}

/* rec_read: everything the children wrote (they are all gone by now). */
static const char *
rec_read(struct rec *r)
{
        size_t len = 0;
        ssize_t n;

        while ((n = read(r->fd[0], r->buf + len, sizeof(r->buf) - 1 - len)) > 0)
                len += (size_t)n;
        r->buf[len] = '\0';
        close(r->fd[0]);
        close(r->fd[1]);
        return r->buf;
}

/* pos: the offset of "<what> <i>\n" in the record, or -1. */
static long
pos(const char *log, char what, size_t i)
{
        char line[32];
        const char *p;

        snprintf(line, sizeof(line), "%c %zu\n", what, i);
        for (p = log; (p = strstr(p, line)); p++)
                if (p == log || p[-1] == '\n')
                        return (long)(p - log);
        return -1;
}

#define EDGE(t)       { .to = (t) }
#define SOFT_EDGE(t)  { .to = (t), .soft = true }

/* ---- tests -------------------------------------------------------------------------------- */

static void
test_dag__tasks_run_after_their_deps(void **state)
{
        /* 0 <- 1 <- 2, 3 waits for 0 and 2, 4 waits for nothing */
        struct dag_edge d1[] = { EDGE(0) }, d2[] = { EDGE(1) }, d3[] = { EDGE(2), EDGE(0) };
        struct dag_task t[] = {
                { .name = "a" }, { .name = "b", .deps = d1, .n_deps = 1 },
                { .name = "c", .deps = d2, .n_deps = 1 }, { .name = "d", .deps = d3, .n_deps = 2 },
                { .name = "e" },
        };
        struct ctx c = { .sleep_ms = { 30, 0, 20, 0, 0 } };
        int st[5] = { 9, 9, 9, 9, 9 };
        struct dag_run run = { .tasks = t, .n = 5, .fn = task, .ctx = &c, .ret_status = st };
        struct err err = { 0 };
        struct rec rec;
        const char *log;

        (void)state;
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), 0);
        assert_int_equal(err.code, 0);
        log = rec_read(&rec);
        for (size_t i = 0; i < 5; i++) {
                assert_true(pos(log, 'S', i) >= 0);
                assert_true(pos(log, 'E', i) > pos(log, 'S', i));
                assert_int_equal(st[i], 0);
        }
        for (size_t i = 0; i < 5; i++)
                for (size_t k = 0; k < t[i].n_deps; k++)
                        assert_true(pos(log, 'E', t[i].deps[k].to) < pos(log, 'S', i));
}

static void
test_dag__independent_tasks_run_in_parallel(void **state)
{
        char dir[] = "/tmp/berth-dag-XXXXXX";
        struct dag_task t[] = { { .name = "x" }, { .name = "y" } };
        struct ctx c = { .rendezvous = true, .dir = dir };
        int st[2];
        struct dag_run run = { .tasks = t, .n = 2, .fn = task, .ctx = &c, .ret_status = st };
        struct err err = { 0 };
        struct rec rec;
        char *cmd;

        (void)state;
        assert_non_null(mkdtemp(dir));
        rec_open(&rec, &c);
        /* each waits for a file the other creates: only works when both run at once */
        assert_int_equal(dag_execute(&run, &err), 0);
        assert_int_equal(st[0], 0);
        assert_int_equal(st[1], 0);
        rec_read(&rec);
        cmd = xasprintf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

static void
test_dag__failure_skips_hard_dependents_not_soft(void **state)
{
        /* 0 fails; 1 hard on 0 (skipped), 2 soft on 0 (runs), 3 hard on 1 (skipped, transitively),
         * 4 independent (runs), 5 soft on 1 (runs: a skipped soft dependency does not hold it) */
        struct dag_edge d1[] = { EDGE(0) }, d2[] = { SOFT_EDGE(0) }, d3[] = { EDGE(1) };
        struct dag_edge d5[] = { SOFT_EDGE(1) };
        struct dag_task t[] = {
                { .name = "a" }, { .name = "b", .deps = d1, .n_deps = 1 },
                { .name = "c", .deps = d2, .n_deps = 1 }, { .name = "d", .deps = d3, .n_deps = 1 },
                { .name = "e" }, { .name = "f", .deps = d5, .n_deps = 1 },
        };
        struct ctx c = { .act = { ACT_FAIL }, .msg = { "service a: it broke" } };
        int st[6];
        struct dag_run run = { .tasks = t, .n = 6, .fn = task, .ctx = &c, .ret_status = st };
        struct err err = { 0 };
        struct rec rec;
        const char *log;

        (void)state;
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), -EPERM);
        assert_string_equal(err.msg, "service a: it broke");
        assert_int_equal(st[0], -1);
        assert_int_equal(st[1], 1);
        assert_int_equal(st[2], 0);
        assert_int_equal(st[3], 1);
        assert_int_equal(st[4], 0);
        assert_int_equal(st[5], 0);
        log = rec_read(&rec);
        assert_true(pos(log, 'S', 1) < 0);
        assert_true(pos(log, 'S', 3) < 0);
        assert_true(pos(log, 'E', 2) >= 0);
        assert_true(pos(log, 'E', 0) < pos(log, 'S', 2));
}

static void
test_dag__first_error_is_returned(void **state)
{
        /* 1 waits (softly) for 0, so 0's failure is first for sure */
        struct dag_edge d1[] = { SOFT_EDGE(0) };
        struct dag_task t[] = { { .name = "a" }, { .name = "b", .deps = d1, .n_deps = 1 } };
        struct ctx c = { .act = { ACT_FAIL, ACT_FAIL }, .msg = { "first", "second" } };
        int st[2];
        struct dag_run run = { .tasks = t, .n = 2, .fn = task, .ctx = &c, .ret_status = st };
        struct err err = { 0 };
        struct rec rec;

        (void)state;
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), -EPERM);
        assert_string_equal(err.msg, "first");
        assert_int_equal(st[0], -1);
        assert_int_equal(st[1], -1);
        rec_read(&rec);
}

static void
test_dag__error_without_message_uses_strerror(void **state)
{
        struct dag_task t[] = { { .name = "a" }, { .name = "p" } };
        struct ctx c = { .act = { ACT_FAIL_NOMSG, ACT_POSITIVE } };
        int st[2];
        struct dag_run run = { .tasks = t, .n = 2, .fn = task, .ctx = &c, .ret_status = st };
        struct err err = { 0 };
        struct rec rec;

        (void)state;
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), -ENOENT);
        assert_string_equal(err.msg, strerror(ENOENT));
        assert_int_equal(st[0], -1);
        assert_int_equal(st[1], 0); /* a positive return is success */
        rec_read(&rec);
}

static void
test_dag__cycle_is_eloop_before_anything_runs(void **state)
{
        struct dag_edge d0[] = { EDGE(1) }, d1[] = { EDGE(0) };
        struct dag_task t[] = {
                { .name = "a", .deps = d0, .n_deps = 1 }, { .name = "b", .deps = d1, .n_deps = 1 },
                { .name = "free" },
        };
        struct dag_edge self[] = { EDGE(0) };
        struct dag_task t2[] = { { .name = "me", .deps = self, .n_deps = 1 } };
        struct ctx c = { 0 };
        struct dag_run run = { .tasks = t, .n = 3, .fn = task, .ctx = &c };
        struct err err = { 0 };
        struct rec rec;

        (void)state;
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), -ELOOP);
        assert_string_equal(err.msg, "dependency cycle detected");
        err_clear(&err);
        run.tasks = t2;
        run.n = 1;
        assert_int_equal(dag_execute(&run, &err), -ELOOP);
        assert_string_equal(rec_read(&rec), ""); /* not even the independent task ran */
}

static void
test_dag__too_many_tasks(void **state)
{
        struct dag_task t[1] = { { .name = "a" } };
        struct dag_run run = { .tasks = t, .n = DAG_MAX_TASKS + 1, .fn = task };
        struct err err = { 0 };

        (void)state;
        assert_int_equal(dag_execute(&run, &err), -E2BIG);
}

static void
test_dag__empty_graph(void **state)
{
        struct dag_run run = { .tasks = NULL, .n = 0, .fn = task };
        struct err err = { 0 };

        (void)state;
        assert_int_equal(dag_execute(&run, &err), 0);
}

struct seen {
        char **lines;
};

static void
on_event(size_t i, const char *text, void *vctx)
{
        struct seen *s = vctx;
        char *line = xasprintf("%zu:%s", i, text);

        strv_push(&s->lines, line);
}

static void
test_dag__events_reach_on_event_in_order(void **state)
{
        struct dag_edge d1[] = { EDGE(0) };
        struct dag_task t[] = { { .name = "a" }, { .name = "b", .deps = d1, .n_deps = 1 } };
        struct ctx c = { .n_events = 50 };
        struct seen seen = { 0 };
        struct dag_run run = { .tasks = t, .n = 2, .fn = task, .ctx = &c, .on_event = on_event,
                               .event_ctx = &seen };
        struct err err = { 0 };
        struct rec rec;
        size_t k = 0;

        (void)state;
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), 0);
        rec_read(&rec);
        assert_int_equal(strv_length(seen.lines), 100);
        for (size_t i = 0; i < 2; i++)
                for (int e = 0; e < 50; e++) {
                        char *want = xasprintf("%zu:task %zu event %d", i, i, e);
                        assert_string_equal(seen.lines[k++], want);
                        free(want);
                }
        strv_free(seen.lines);
}

static int
task_odd_events(size_t i, void *vctx, int events, struct err *err)
{
        char big[DAG_LINE_MAX * 2];

        (void)i;
        (void)vctx;
        (void)err;
        dag_event(events, "two\nlines");
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        dag_event(events, "%s", big);
        dag_event(-1, "dropped");
        dag_event(events, "last");
        return 0;
}

static void
test_dag__event_newlines_and_long_lines(void **state)
{
        struct dag_task t[] = { { .name = "a" } };
        struct seen seen = { 0 };
        struct dag_run run = { .tasks = t, .n = 1, .fn = task_odd_events, .on_event = on_event,
                               .event_ctx = &seen };
        struct err err = { 0 };

        (void)state;
        assert_int_equal(dag_execute(&run, &err), 0);
        assert_int_equal(strv_length(seen.lines), 3);
        assert_string_equal(seen.lines[0], "0:two lines");
        /* truncated to one line of DAG_LINE_MAX with its newline: "E " + text */
        assert_int_equal(strlen(seen.lines[1]), strlen("0:") + DAG_LINE_MAX - 3);
        assert_string_equal(seen.lines[2], "0:last");
        strv_free(seen.lines);
}

static void
check_crash(enum act act)
{
        struct dag_edge d1[] = { EDGE(0) };
        struct dag_task t[] = { { .name = "boom" }, { .name = "after", .deps = d1, .n_deps = 1 },
                                { .name = "other" } };
        struct ctx c = { .act = { act } };
        int st[3];
        struct dag_run run = { .tasks = t, .n = 3, .fn = task, .ctx = &c, .ret_status = st };
        struct err err = { 0 };
        struct rec rec;

        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), -EIO);
        assert_string_equal(err.msg, "task boom crashed");
        assert_int_equal(st[0], -1);
        assert_int_equal(st[1], 1);
        assert_int_equal(st[2], 0);
        rec_read(&rec);
}

static void
test_dag__crashing_child(void **state)
{
        (void)state;
        check_crash(ACT_ABORT);
        check_crash(ACT_EXIT);
        check_crash(ACT_KILL);
}

static void
test_dag__reverse_turns_edges_around(void **state)
{
        /* b -> a (hard), c -> a (soft), c -> b (hard) */
        struct dag_edge db[] = { EDGE(0) }, dc[] = { SOFT_EDGE(0), EDGE(1) };
        struct dag_task t[] = { { .name = "a" }, { .name = "b", .deps = db, .n_deps = 1 },
                                { .name = "c", .deps = dc, .n_deps = 2 } };
        struct dag_task *r = NULL;
        struct ctx c = { .act = { ACT_OK, ACT_OK, ACT_FAIL }, .msg = { NULL, NULL, "stop c" } };
        int st[3];
        struct dag_run run = { .n = 3, .fn = task, .ctx = &c, .ret_status = st };
        struct err err = { 0 };
        struct rec rec;
        const char *log;

        (void)state;
        dag_reverse(t, 3, &r);
        assert_string_equal(r[0].name, "a");
        assert_string_equal(r[1].name, "b");
        assert_string_equal(r[2].name, "c");
        assert_int_equal(r[0].n_deps, 2);
        assert_int_equal(r[0].deps[0].to, 1);
        assert_int_equal(r[0].deps[1].to, 2);
        assert_int_equal(r[1].n_deps, 1);
        assert_int_equal(r[1].deps[0].to, 2);
        assert_int_equal(r[2].n_deps, 0);
        for (size_t i = 0; i < 2; i++)
                for (size_t k = 0; k < r[i].n_deps; k++)
                        assert_true(r[i].deps[k].soft);
        /* stopping: c first, then b, then a; c's failure holds nobody back */
        run.tasks = r;
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), -EPERM);
        assert_string_equal(err.msg, "stop c");
        assert_int_equal(st[0], 0);
        assert_int_equal(st[1], 0);
        assert_int_equal(st[2], -1);
        log = rec_read(&rec);
        assert_true(pos(log, 'S', 2) < pos(log, 'S', 1));
        assert_true(pos(log, 'E', 1) < pos(log, 'S', 0));
        dag_reverse_free(r, 3);
        dag_reverse_free(NULL, 0);
}

static void
check_parallel(int max_parallel, int want_max)
{
        struct dag_task t[8];
        struct ctx c = { .count = true };
        struct dag_run run = { .tasks = t, .n = 8, .fn = task, .ctx = &c,
                               .max_parallel = max_parallel };
        struct err err = { 0 };
        struct rec rec;

        c.sh = mmap(NULL, sizeof(*c.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(c.sh != MAP_FAILED);
        memset(c.sh, 0, sizeof(*c.sh));
        for (size_t i = 0; i < 8; i++) {
                t[i] = (struct dag_task){ .name = "t" };
                c.sleep_ms[i] = 250;
        }
        rec_open(&rec, &c);
        assert_int_equal(dag_execute(&run, &err), 0);
        rec_read(&rec);
        assert_true(c.sh->max_live <= want_max);
        assert_true(c.sh->max_live >= 1);
        /* 8 tasks of 250 ms each overlap on any machine */
        if (want_max > 1)
                assert_true(c.sh->max_live >= 2);
        assert_int_equal(c.sh->live, 0);
        munmap(c.sh, sizeof(*c.sh));
}

static void
test_dag__max_parallel_is_honoured(void **state)
{
        (void)state;
        check_parallel(1, 1);
        check_parallel(3, 3);
        check_parallel(0, 8);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dag__tasks_run_after_their_deps),
                cmocka_unit_test(test_dag__independent_tasks_run_in_parallel),
                cmocka_unit_test(test_dag__failure_skips_hard_dependents_not_soft),
                cmocka_unit_test(test_dag__first_error_is_returned),
                cmocka_unit_test(test_dag__error_without_message_uses_strerror),
                cmocka_unit_test(test_dag__cycle_is_eloop_before_anything_runs),
                cmocka_unit_test(test_dag__too_many_tasks),
                cmocka_unit_test(test_dag__empty_graph),
                cmocka_unit_test(test_dag__events_reach_on_event_in_order),
                cmocka_unit_test(test_dag__event_newlines_and_long_lines),
                cmocka_unit_test(test_dag__crashing_child),
                cmocka_unit_test(test_dag__reverse_turns_edges_around),
                cmocka_unit_test(test_dag__max_parallel_is_honoured),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
