/* build_parallel: the stages the target needs, built in waves: every stage whose
 * dependencies are built is ready, and the ready stages of a wave are built at the same time,
 * one forked child each (a stage is mostly waiting for RUN containers and disk, and a child
 * keeps the builder single-threaded). A child records its steps in the cache like the parent
 * would, writes its stage's final state to a file in the build's scratch dir and _exits
 * without releasing anything the parent owns (the store pin is a shared flock). Its progress
 * lines go to the same stream; each step keeps the number it has in a sequential build.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/build_int.h"

#define SEQ_PER_STAGE 1000000u /* scratch names of concurrent children never meet */

/* step_base: the number of the step before stage idx's first one */
static int
step_base(const struct build *b, size_t idx)
{
        int n = 0;

        for (size_t i = 0; i < idx; i++)
                for (size_t k = 0; b->plan->stages[i].reachable && k < b->plan->stages[i].nsteps; k++)
                        n += b->plan->stages[i].steps[k].fs_change;
        return n;
}

static bool
ready(const struct build *b, size_t idx)
{
        const struct dfstage_stage *sg = &b->plan->stages[idx];

        if (!sg->reachable || b->done[idx])
                return false;
        for (size_t i = 0; i < sg->ndeps; i++)
                if (!b->done[sg->deps[i]])
                        return false;
        return true;
}

static void
child(struct build *b, size_t idx)
{
        cleanup_free char *path = xasprintf("%s/stage-%zu", b->tmp, idx);
        cleanup_free char *epath = xasprintf("%s/stage-%zu.err", b->tmp, idx);
        struct err e = { 0 };
        int r;

        b->seq = (unsigned)(idx + 1) * SEQ_PER_STAGE;
        b->exefd = -1; /* the parent's copy stays the parent's */
        b->prog.step = step_base(b, idx);
        r = build_stage(b, idx, &e);
        if (r == 0)
                r = build_img_save(&b->results[idx], path, &e);
        if (r < 0) {
                char *msg = xasprintf("%d %s", -r, e.msg);

                fs_write_atomic(epath, msg, strlen(msg), 0600, NULL);
                free(msg);
        }
        fflush(NULL);
        _exit(r < 0 ? 1 : 0);
}

/* collect: the result of a child, or its error (the first one is kept) */
static int
collect(struct build *b, size_t idx, int status, struct err *err)
{
        cleanup_free char *path = xasprintf("%s/stage-%zu", b->tmp, idx);
        cleanup_free char *epath = xasprintf("%s/stage-%zu.err", b->tmp, idx);
        cleanup_free char *msg = NULL;
        size_t len;
        char *sp;
        int code;

        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                int r = build_img_load(path, &b->results[idx], err);

                b->done[idx] = r == 0;
                return r;
        }
        if (fs_read_capped(epath, ERR_MSG_MAX + 32, &msg, &len, NULL) < 0 || !(sp = strchr(msg, ' ')))
                return err_setf(err, -EIO, "building stage %zu failed", idx);
        code = (int)strtol(msg, NULL, 10);
        return err_setf(err, code > 0 && code < 4096 ? -code : -EIO, "%s", sp + 1);
}

static int
wave(struct build *b, const size_t *ids, size_t n, struct err *err)
{
        cleanup_free pid_t *pids = xcalloc(n, sizeof(*pids));
        int r = 0;

        if (n == 1) {
                b->prog.step = step_base(b, ids[0]);
                return build_stage(b, ids[0], err);
        }
        fflush(NULL);
        for (size_t i = 0; i < n; i++) {
                pids[i] = fork();
                if (pids[i] == 0)
                        child(b, ids[i]);
                if (pids[i] < 0 && r == 0)
                        r = err_setf(err, -errno, "fork: %s", strerror(errno));
        }
        for (size_t i = 0; i < n; i++) {
                int status = 0, rc;

                if (pids[i] <= 0)
                        continue;
                while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
                        ;
                rc = collect(b, ids[i], status, r < 0 ? NULL : err);
                if (rc < 0 && r == 0)
                        r = rc;
        }
        return r;
}

int
build_stages(struct build *b, struct err *err)
{
        cleanup_free size_t *ids = xcalloc(b->plan->n, sizeof(*ids));

        for (;;) {
                size_t n = 0;
                int r;

                for (size_t i = 0; i < b->plan->n; i++)
                        if (ready(b, i))
                                ids[n++] = i;
                if (n == 0)
                        break;
                /* a tty view is redrawn in place: stages side by side would garble it */
                if (n > 1 && b->prog.mode == BUILD_PROGRESS_TTY)
                        b->prog.mode = BUILD_PROGRESS_PLAIN;
                r = wave(b, ids, n, err);
                if (r < 0)
                        return r;
        }
        if (!b->done[b->plan->target])
                return err_setf(err, -EINVAL, "stage %zu was not built (dependency cycle?)",
                                b->plan->target);
        return 0;
}
