/* cli: the berth command line.
 *
 * main.c parses the global options (docker compose's, plus --root and --debug) into a
 * struct cli_globals and dispatches to one cmd_* function per command. A command parses its
 * own flags from argv (argv[0] is the command name), does its work, writes its normal output
 * to stdout, and returns 0, a positive exit code (a container's), or a negative errno with
 * err filled; main prints the error as one line and exits with err.exit_code (1 when 0).
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "base/log.h"

struct cli_globals {
        char **files;             /* -f/--file, in order (strv, may be NULL) */
        char **env_files;         /* --env-file, in order */
        char **profiles;          /* --profile, in order */
        const char *project_name; /* -p/--project-name */
        const char *project_dir;  /* --project-directory */
        const char *root;         /* --root / BERTH_ROOT: state root (persistent) */
        const char *run_root;     /* runtime state root (derived from root) */
        const char *progress;     /* --progress auto|tty|plain|quiet|json */
        bool compatibility;       /* --compatibility */
        bool all_resources;       /* --all-resources */
        bool debug;               /* --debug: add the source origin to errors */
        struct logger log;        /* warnings go to stderr through main */
        char **environ_;          /* the process environment (borrowed) */
        char **argv_;             /* the whole command line, for a re-exec (borrowed) */
};

const char *cli_version(void);

int cmd_config(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_version(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_image(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_image_build(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_builder(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_system(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_network(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_network_dns(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_volume(struct cli_globals *g, int argc, char **argv, struct err *err);

/* compose's project commands (cmd_up.c, cmd_down.c, cmd_ps.c) */
int cmd_compose_up(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_create(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_down(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_start(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_stop(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_restart(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_rm(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_kill(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_ps(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_ls(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_logs(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_images(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_exec(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_run(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_pause(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_unpause(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_top(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_cp(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_build(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_pull(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_push(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_wait(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_compose_port(struct cli_globals *g, int argc, char **argv, struct err *err);
/* cmd_registry.c */
int cmd_image_pull(struct cli_globals *g, int argc, char **argv, struct err *err);
/* cmd_image_pull_for_run: pull ref as docker run does when it lacks the image (progress and
 * result on stderr; platform NULL: the host's or DOCKER_DEFAULT_PLATFORM). */
int cmd_image_pull_for_run(struct cli_globals *g, const char *ref, const char *platform,
                           struct err *err);
int cmd_image_push(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_login(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_logout(struct cli_globals *g, int argc, char **argv, struct err *err);
