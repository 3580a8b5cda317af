/* cmd_container_pause: `container pause|unpause CONTAINER...` with the cgroup freezer
 * (rt_freeze). The record's state.json carries "Paused": true while frozen; `ls` and
 * `inspect` show the status "paused" from it. The monitor clears it whenever it records a
 * start or an exit, and thaws a paused container it is told to stop or kill (as docker does),
 * so a paused container can always be stopped, killed and removed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compose/container_int.h"
#include "engine/jsonx.h"
#include "engine/runtime.h"

static void
set_paused(json_object *st, void *ctx)
{
        json_object_object_add(st, "Paused", json_object_new_boolean(*(int *)ctx));
}

static int
pause_one(struct cli_globals *g, const char *ref, int pause, struct err *err)
{
        struct ctr *c = NULL;
        json_object *st = NULL;
        int r = ctr_open(g->root, g->run_root, ref, &c, err);

        if (r >= 0)
                r = ctr_state_read(c, &st, err);
        if (r < 0)
                goto out;
        if (!cmd_container_alive(c, st) || !jsonx_bool(st, "Running"))
                r = err_setf(err, -ESRCH, "container %s is not running", c->id);
        else if (pause && jsonx_bool(st, "Paused"))
                r = err_setf(err, -EALREADY, "container %s is already paused", c->id);
        else if (!pause && !jsonx_bool(st, "Paused"))
                r = err_setf(err, -EINVAL, "container %s is not paused", c->id);
        if (r >= 0)
                r = rt_freeze(c->run_dir, pause, err);
        if (r >= 0)
                r = ctr_state_update(c, set_paused, &pause, err);
        if (r >= 0)
                printf("%s\n", ref);
out:
        json_object_put(st);
        ctr_free(c);
        return r;
}

static int
run(struct cli_globals *g, int argc, char **argv, int pause, struct err *err)
{
        int r = 0;

        if (argc < 2)
                return err_setf(err, -EINVAL, "'container %s' requires at least 1 argument",
                                argv[0]);
        for (int i = 1; i < argc; i++)
                if (argv[i][0] == '-')
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container %s'",
                                        argv[i], argv[0]);
        for (int i = 1; i < argc && r >= 0; i++)
                r = pause_one(g, argv[i], pause, err);
        return r;
}

int
cmd_container_pause(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        return run(g, argc, argv, 1, err);
}

int
cmd_container_unpause(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        return run(g, argc, argv, 0, err);
}
