/* monitor_main: main() of berth-monitor, the small executable that runs, one process each,
 * a container's monitor and a network's DNS responder (engine/monitor.h):
 *
 *   berth-monitor --root ROOT container __monitor --attach|--detached ID
 *   berth-monitor --root ROOT __dns [--ready-fd 3] NETWORK
 *   berth-monitor --root ROOT container exec ARGS...   (berth's `container exec` and compose's
 *                                                       `exec` become this: cmd_container_exec.c)
 *
 * The command lines are those the full berth binary used to run, so `ps`, pgrep patterns and
 * the DNS responder's PID-file check (`… --root ROOT __dns … NAME`) see the same argv. Only
 * berth starts these processes (cmd_container.c, cmd_network_dns.c); ROOT is always given,
 * absolute. This binary links the runtime and the network code only: no libarchive, libcurl
 * or libyaml, so a monitor maps little more than its own pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/alloc.h"
#include "compose/cli.h"
#include "compose/container_int.h"
#include "engine/container.h"
#include "engine/monitor.h"
#include "engine/runtime.h"

extern char **environ;

#define USAGE                                                                                  \
        "usage: berth-monitor --root ROOT container __monitor --attach|--detached ID\n"        \
        "       berth-monitor --root ROOT __dns [--ready-fd 3] NETWORK\n"                      \
        "       berth-monitor --root ROOT container exec [OPTIONS] CONTAINER COMMAND...\n"     \
        "(started by berth; not meant to be run by hand)"

/* run_monitor: `container __monitor MODE ID` (argv[0] is "__monitor"). */
static int
run_monitor(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct ctr *c = NULL;
        int attach, r;
        const char *pargv[] = { MONITOR_EXE, "--root", g->root, "container", "__monitor",
                                argc > 1 ? argv[1] : "", argc > 2 ? argv[2] : "", NULL };

        if (argc != 3 || (strcmp(argv[1], "--attach") != 0 && strcmp(argv[1], "--detached") != 0))
                return err_setf(err, -EINVAL, "%s", USAGE);
        /* a no-op when berth fexecve'd a sealed copy, as it does */
        r = rt_exe_protect((char *const *)pargv, err);
        if (r < 0)
                return r;
        attach = strcmp(argv[1], "--attach") == 0;
        if (chdir("/") < 0)
                return err_setf(err, -errno, "chdir /: %s", strerror(errno));
        r = ctr_open(g->root, g->run_root, argv[2], &c, err);
        if (r < 0)
                return r;
        monitor_exe_note(g->run_root); /* the next monitor may share our sealed copy */
        r = monitor_run(g->root, c, attach,
                        json_object_get_boolean(json_object_object_get(c->config, "Interactive")),
                        err);
        ctr_free(c);
        return r;
}

static int
run(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        if (argc < 4 || strcmp(argv[1], "--root") != 0 || argv[2][0] != '/')
                return err_setf(err, -EINVAL, "%s", USAGE);
        g->root = argv[2];
        if (strcmp(argv[3], "__dns") == 0)
                return cmd_network_dns(g, argc - 3, argv + 3, err);
        if (argc > 4 && strcmp(argv[3], "container") == 0 && strcmp(argv[4], "__monitor") == 0)
                return run_monitor(g, argc - 4, argv + 4, err);
        if (argc > 4 && strcmp(argv[3], "container") == 0 && strcmp(argv[4], "exec") == 0)
                return cmd_container_exec(g, argc - 4, argv + 4, err);
        return err_setf(err, -EINVAL, "%s", USAGE);
}

int
main(int argc, char **argv)
{
        struct cli_globals g = { 0 };
        struct err err = { 0 };
        char *run_root = argc > 2 ? xasprintf("%s/run", argv[2]) : NULL;
        /* exec is berth's own command run from here: its errors read as berth's */
        const char *me = argc > 4 && strcmp(argv[4], "exec") == 0 ? "berth" : "berth-monitor";
        int r;

        g.run_root = run_root;
        g.environ_ = environ;
        r = run(&g, argc, argv, &err);
        free(run_root);
        if (r >= 0)
                return r;
        fprintf(stderr, "%s: %s\n", me, err.msg[0] ? err.msg : strerror(-r));
        return err.exit_code ? err.exit_code : 1;
}
