/* berth: the process. Parses the global options, dispatches to a command, and is the only
 * place that prints errors and decides the exit code. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "compose/cli.h"

extern char **environ;

struct command {
        const char *name;
        int (*run)(struct cli_globals *g, int argc, char **argv, struct err *err);
        const char *summary;
};

static const struct command commands[] = {
        { "build", cmd_compose_build, "Build or rebuild services" },
        { "builder", cmd_builder, "Manage builds (prune the build cache)" },
        { "config", cmd_config, "Parse, resolve and render the compose file in canonical format" },
        { "container", cmd_container, "Manage containers" },
        { "cp", cmd_compose_cp, "Copy files/folders between a service container and the local filesystem" },
        { "create", cmd_compose_create, "Creates containers for a service" },
        { "down", cmd_compose_down, "Stop and remove containers, networks" },
        { "exec", cmd_compose_exec, "Execute a command in a running container" },
        { "image", cmd_image, "Manage images" },
        { "images", cmd_compose_images, "List images used by the created containers" },
        { "kill", cmd_compose_kill, "Force stop service containers" },
        { "login", cmd_login, "Log in to a registry" },
        { "logout", cmd_logout, "Log out from a registry" },
        { "logs", cmd_compose_logs, "View output from containers" },
        { "ls", cmd_compose_ls, "List running compose projects" },
        { "network", cmd_network, "Manage networks" },
        { "pause", cmd_compose_pause, "Pause services" },
        { "port", cmd_compose_port, "Print the public port for a port binding" },
        { "ps", cmd_compose_ps, "List containers" },
        { "pull", cmd_compose_pull, "Pull service images" },
        { "push", cmd_compose_push, "Push service images" },
        { "restart", cmd_compose_restart, "Restart service containers" },
        { "rm", cmd_compose_rm, "Removes stopped service containers" },
        { "run", cmd_compose_run, "Run a one-off command on a service" },
        { "start", cmd_compose_start, "Start services" },
        { "stop", cmd_compose_stop, "Stop services" },
        { "system", cmd_system, "Manage berth (disk usage, checks, pruning)" },
        { "top", cmd_compose_top, "Display the running processes" },
        { "unpause", cmd_compose_unpause, "Unpause services" },
        { "up", cmd_compose_up, "Create and start containers" },
        { "version", cmd_version, "Show the berth version information" },
        { "wait", cmd_compose_wait, "Block until containers of all (or specified) services stop" },
        { "volume", cmd_volume, "Manage volumes" },
};

static char *g_root_alloc;

static void
print_warning(void *ctx, enum log_level level, const char *msg)
{
        bool debug = *(bool *)ctx;

        if (level == LOG_DEBUG && !debug)
                return;
        fprintf(stderr, "berth: %s%s\n", level <= LOG_WARN ? "warning: " : "", msg);
}

static void
usage(FILE *f)
{
        fprintf(f,
                "Usage: berth [OPTIONS] COMMAND\n\n"
                "Define and run multi-container applications, daemonless.\n\n"
                "Options:\n"
                "  -f, --file FILE              Compose configuration files\n"
                "  -p, --project-name NAME      Project name\n"
                "      --project-directory DIR  Alternate working directory\n"
                "      --profile PROFILE        Specify a profile to enable\n"
                "      --env-file FILE          Specify an alternate environment file\n"
                "      --progress MODE          auto, tty, plain, quiet or json\n"
                "      --root DIR               State root (default /var/lib/berth, env BERTH_ROOT)\n"
                "      --debug                  Add the origin to error messages\n\n"
                "Commands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strncmp(commands[i].name, "__", 2) != 0) /* internal commands */
                        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

enum {
        OPT_PROJECT_DIR = 256,
        OPT_PROFILE,
        OPT_ENV_FILE,
        OPT_PROGRESS,
        OPT_ROOT,
        OPT_DEBUG,
        OPT_ANSI,
        OPT_COMPAT,
        OPT_PARALLEL,
        OPT_ALL_RESOURCES,
        OPT_DRY_RUN,
};

static int
parse_global(struct cli_globals *g, int c, struct err *err)
{
        switch (c) {
        case 'f':
                strv_add(&g->files, optarg);
                return 0;
        case 'p':
                g->project_name = optarg;
                return 0;
        case OPT_PROJECT_DIR:
                g->project_dir = optarg;
                return 0;
        case OPT_PROFILE:
                strv_add(&g->profiles, optarg);
                return 0;
        case OPT_ENV_FILE:
                strv_add(&g->env_files, optarg);
                return 0;
        case OPT_PROGRESS:
                g->progress = optarg;
                return 0;
        case OPT_ROOT:
                g->root = optarg;
                return 0;
        case OPT_DEBUG:
                g->debug = true;
                return 0;
        case OPT_COMPAT:
                g->compatibility = true;
                return 0;
        case OPT_ALL_RESOURCES:
                g->all_resources = true;
                return 0;
        case OPT_ANSI:
        case OPT_PARALLEL:
                return 0;
        case OPT_DRY_RUN:
                return err_setf(err, -ENOTSUP, "--dry-run is not supported");
        default:
                return err_setf(err, -EINVAL, "invalid option; see 'berth --help'");
        }
}

static int
parse_globals(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "file", required_argument, NULL, 'f' },
                { "project-name", required_argument, NULL, 'p' },
                { "project-directory", required_argument, NULL, OPT_PROJECT_DIR },
                { "profile", required_argument, NULL, OPT_PROFILE },
                { "env-file", required_argument, NULL, OPT_ENV_FILE },
                { "progress", required_argument, NULL, OPT_PROGRESS },
                { "root", required_argument, NULL, OPT_ROOT },
                { "debug", no_argument, NULL, OPT_DEBUG },
                { "ansi", required_argument, NULL, OPT_ANSI },
                { "compatibility", no_argument, NULL, OPT_COMPAT },
                { "parallel", required_argument, NULL, OPT_PARALLEL },
                { "all-resources", no_argument, NULL, OPT_ALL_RESOURCES },
                { "dry-run", no_argument, NULL, OPT_DRY_RUN },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                { 0 },
        };
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+f:p:hv", opts, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        exit(0);
                }
                if (c == 'v') {
                        printf("berth version v%s\n", cli_version());
                        exit(0);
                }
                if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth --help'",
                                        argv[optind - 1]);
                r = parse_global(g, c, err);
                if (r < 0)
                        return r;
        }
        return optind;
}

/* has_subcommands: the docker-style object commands print their own help */
static bool
has_subcommands(const char *name)
{
        static const char *const v[] = { "builder", "container", "image", "network", "system",
                                         "volume", NULL };

        for (size_t i = 0; v[i]; i++)
                if (strcmp(v[i], name) == 0)
                        return true;
        return false;
}

static const struct command *
find_command(const char *name, struct err *err)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        err_setf(err, -EINVAL, "unknown command '%s'; see 'berth --help'", name);
        return NULL;
}

static int
run(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        const struct command *cmd;
        int first = parse_globals(g, argc, argv, err);

        if (first < 0)
                return first;
        if (first >= argc) {
                usage(stderr);
                return err_setf(err, -EINVAL, "no command given");
        }
        if (!g->root)
                g->root = getenv("BERTH_ROOT");
        if (!g->root)
                g->root = "/var/lib/berth";
        g_root_alloc = xasprintf("%s/run", g->root);
        g->run_root = g_root_alloc;
        cmd = find_command(argv[first], err);
        if (!cmd)
                return err->code;
        if (first + 1 < argc && (strcmp(argv[first + 1], "--help") == 0 ||
                                 strcmp(argv[first + 1], "-h") == 0) && !has_subcommands(cmd->name)) {
                printf("Usage: berth %s [OPTIONS] [SERVICE...]\n\n%s (flags as docker compose "
                       "%s)\n", cmd->name, cmd->summary, cmd->name);
                return 0;
        }
        return cmd->run(g, argc - first, argv + first, err);
}

int
main(int argc, char **argv)
{
        struct cli_globals g = { 0 };
        struct err err = { 0 };
        int r;

        g.environ_ = environ;
        g.argv_ = argv;
        g.log.fn = print_warning;
        g.log.ctx = &g.debug;
        r = run(&g, argc, argv, &err);
        strv_free(g.files);
        strv_free(g.env_files);
        strv_free(g.profiles);
        free(g_root_alloc);
        fflush(stdout);
        if (r >= 0)
                return r;
        if (g.debug && err.src_file)
                fprintf(stderr, "berth: %s (at %s:%d)\n", err.msg, err.src_file, err.src_line);
        else
                fprintf(stderr, "berth: %s\n", err.msg[0] ? err.msg : strerror(-r));
        return err.exit_code ? err.exit_code : 1;
}
