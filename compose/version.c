#include "compose/cli.h"

const char *
cli_version(void)
{
        return BERTH_VERSION;
}
