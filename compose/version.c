/* `berth version`: like `docker compose version` (--short, --format json). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "compose/cli.h"

const char *
cli_version(void)
{
        return BERTH_VERSION;
}

int
cmd_version(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "short", no_argument, NULL, 's' },
                { "format", required_argument, NULL, 'f' },
                { 0 },
        };
        bool shrt = false, json = false;
        int c;

        (void)g;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
                if (c == 's')
                        shrt = true;
                else if (c == 'f' && strcmp(optarg, "json") == 0)
                        json = true;
                else if (c == 'f' && strcmp(optarg, "pretty") != 0)
                        return err_setf(err, -EINVAL, "version: unknown format '%s'", optarg);
                else if (c == '?')
                        return err_setf(err, -EINVAL, "version: invalid option");
        }
        if (shrt)
                printf("%s\n", cli_version());
        else if (json)
                printf("{\"version\":\"v%s\"}\n", cli_version());
        else
                printf("berth version v%s\n", cli_version());
        return 0;
}
