/* `berth config`: load the project and print the canonical model (docker compose config). */
#include <errno.h>

#include "compose/cli.h"

int
cmd_config(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        (void)g;
        (void)argc;
        (void)argv;
        return err_setf(err, -ENOTSUP, "config: the loader is not wired in yet");
}
