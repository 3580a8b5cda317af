/* cli: the berth command line (compose-compatible commands). */
#pragma once

const char *cli_version(void);
