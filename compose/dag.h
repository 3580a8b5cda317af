/* dag: run the tasks of a dependency graph in parallel, each in a forked child.
 *
 * compose starts a service as soon as its own dependencies are satisfied and stops one as
 * soon as its dependents are gone. The work of one task blocks (spawning a monitor, waiting
 * for a container to become healthy, a stop timeout), so each ready task runs in its own
 * child process: fork() is cheap next to that work, a child sees the parent's data as it was
 * at the fork, and no thread-safety is asked of the engine.
 *
 * A child reports through a pipe, one line at a time:
 *   "E <text>"       an event for the progress view (passed to the on_event callback)
 *   "R <code> <msg>" its result: 0, or -errno and the error message
 * A child that dies without a result line has failed ("task NAME crashed").
 *
 * Scheduling: task i starts when every task in deps[i] has finished with 0 (or has failed
 * and the edge is soft). A failed task's hard dependents never start; the run goes on with
 * the others (compose starts what it can) and returns the first error. max_parallel caps the
 * number of live children.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define DAG_MAX_TASKS    10000
#define DAG_LINE_MAX     4096
#define DAG_PARALLEL_MAX 64

struct dag_edge {
        size_t to;   /* the task this one waits for */
        bool soft;   /* a failure of `to` does not stop this task (required: false) */
};

struct dag_task {
        const char *name;      /* for errors (borrowed) */
        struct dag_edge *deps; /* borrowed */
        size_t n_deps;
};

/* dag_fn: the work of task i, run in a child; events go to dag_event(events, …). */
typedef int (*dag_fn)(size_t i, void *ctx, int events, struct err *err);
/* dag_event_fn: called in the parent for every event line of task i. */
typedef void (*dag_event_fn)(size_t i, const char *text, void *ctx);

struct dag_run {
        const struct dag_task *tasks;
        size_t n;
        dag_fn fn;
        void *ctx;
        dag_event_fn on_event; /* may be NULL */
        void *event_ctx;
        int max_parallel;      /* 0: DAG_PARALLEL_MAX */
        int *ret_status;       /* optional, n entries: 0 done, <0 failed, 1 skipped */
};

/* dag_execute: run every task; 0 when all succeeded, else the first failure's -errno with
 * its message in err (prefixed by nothing: the task's own message says which). A cycle is
 * -ELOOP before anything runs. */
int dag_execute(const struct dag_run *run, struct err *err);

/* dag_event: from inside a task (the child): send one progress event line on events (the fd
 * the task was given; -1 drops the event). */
void dag_event(int events, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* dag_reverse: the graph with every edge turned around (for stopping: a task waits for its
 * dependents); the reversed edges are soft (a failed stop does not hold the others back).
 * Owned: free with dag_reverse_free. */
void dag_reverse(const struct dag_task *tasks, size_t n, struct dag_task **ret_tasks);
void dag_reverse_free(struct dag_task *tasks, size_t n);
