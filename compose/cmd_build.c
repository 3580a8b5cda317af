/* cmd_build: `berth image build` (docker build's flags) and `berth builder prune`, plus the
 * internal `berth builder __run` that executes one RUN step (engine/build.h).
 *
 * Progress goes to stderr; stdout stays empty (as docker with BuildKit) unless -q, which prints
 * only the image ID. --iidfile writes the ID to a file (no newline, as docker).
 * SOURCE_DATE_EPOCH in the environment makes the build reproducible.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "engine/build.h"
#include "engine/layer.h"
#include "spec/units.h"

enum {
        OPT_BUILD_ARG = 0x100,
        OPT_TARGET,
        OPT_NO_CACHE,
        OPT_PULL,
        OPT_LABEL,
        OPT_SECRET,
        OPT_PROGRESS,
        OPT_NETWORK,
        OPT_ADD_HOST,
        OPT_SHM_SIZE,
        OPT_IIDFILE,
};

static int
parse_progress(const char *s, enum build_progress *ret, struct err *err)
{
        static const struct {
                const char *name;
                enum build_progress mode;
        } t[] = {
                { "auto", BUILD_PROGRESS_AUTO },
                { "tty", BUILD_PROGRESS_TTY },
                { "plain", BUILD_PROGRESS_PLAIN },
                { "quiet", BUILD_PROGRESS_QUIET },
        };

        for (size_t i = 0; i < ARRAY_SIZE(t); i++)
                if (!strcmp(s, t[i].name)) {
                        *ret = t[i].mode;
                        return 0;
                }
        return err_setf(err, -EINVAL, "invalid --progress '%s' (auto, plain, tty or quiet)", s);
}

struct build_cli {
        struct build_opts o;
        char **tags, **args, **labels, **secrets, **hosts;
        const char *iidfile;
        bool quiet;
};

static void
build_cli_release(struct build_cli *c)
{
        strv_free(c->tags);
        strv_free(c->args);
        strv_free(c->labels);
        strv_free(c->secrets);
        strv_free(c->hosts);
}

static int
one_flag(struct build_cli *c, int opt, const char *arg, struct err *err)
{
        long long n;

        switch (opt) {
        case 't': strv_add(&c->tags, arg); return 0;
        case 'f': c->o.dockerfile_path = arg; return 0;
        case 'q': c->quiet = true; return 0;
        case OPT_BUILD_ARG: strv_add(&c->args, arg); return 0;
        case OPT_TARGET: c->o.target = arg; return 0;
        case OPT_NO_CACHE: c->o.no_cache = true; return 0;
        case OPT_PULL: c->o.pull = true; return 0;
        case OPT_LABEL: strv_add(&c->labels, arg); return 0;
        case OPT_SECRET: strv_add(&c->secrets, arg); return 0;
        case OPT_NETWORK: c->o.network = arg; return 0;
        case OPT_ADD_HOST: strv_add(&c->hosts, arg); return 0;
        case OPT_IIDFILE: c->iidfile = arg; return 0;
        case OPT_PROGRESS: return parse_progress(arg, &c->o.progress, err);
        case OPT_SHM_SIZE:
                if (units_parse_bytes(arg, &n, err) < 0)
                        return err_prefix(err, "invalid --shm-size");
                c->o.shm_size = n;
                return 0;
        default:
                return err_setf(err, -EINVAL, "image build: unknown flag; see 'berth image build "
                                "--help'");
        }
}

static int
parse_flags(struct build_cli *c, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "tag", required_argument, NULL, 't' },
                { "file", required_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                { "build-arg", required_argument, NULL, OPT_BUILD_ARG },
                { "target", required_argument, NULL, OPT_TARGET },
                { "no-cache", no_argument, NULL, OPT_NO_CACHE },
                { "pull", no_argument, NULL, OPT_PULL },
                { "label", required_argument, NULL, OPT_LABEL },
                { "secret", required_argument, NULL, OPT_SECRET },
                { "progress", required_argument, NULL, OPT_PROGRESS },
                { "network", required_argument, NULL, OPT_NETWORK },
                { "add-host", required_argument, NULL, OPT_ADD_HOST },
                { "shm-size", required_argument, NULL, OPT_SHM_SIZE },
                { "iidfile", required_argument, NULL, OPT_IIDFILE },
                { 0 },
        };
        int opt;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "+t:f:q", opts, NULL)) != -1) {
                int r = one_flag(c, opt, optarg, err);

                if (r < 0)
                        return r;
        }
        if (argc - optind != 1)
                return err_setf(err, -EINVAL, "image build: requires exactly 1 argument (the "
                                "context directory)");
        c->o.context_dir = argv[optind];
        return 0;
}

static void
build_usage(void)
{
        printf("Usage: berth image build [OPTIONS] PATH\n\nBuild an image from a Dockerfile\n\n"
               "Options:\n"
               "      --add-host list        Add a custom host-to-IP mapping (host:ip)\n"
               "      --build-arg list       Set build-time variables\n"
               "  -f, --file string          Name of the Dockerfile (\"-\": stdin)\n"
               "      --iidfile string       Write the image ID to the file\n"
               "      --label list           Set metadata for an image\n"
               "      --network string       Networking mode for RUN (default, host, none)\n"
               "      --no-cache             Do not use cache when building the image\n"
               "      --progress string      auto, plain, tty or quiet\n"
               "      --pull                 Always attempt to pull a newer version of the image\n"
               "  -q, --quiet                Suppress the build output and print image ID on success\n"
               "      --secret stringArray   Secret to expose to the build (id=mysecret,src=/path)\n"
               "      --shm-size bytes       Size of /dev/shm for RUN\n"
               "  -t, --tag list             Name and optionally a tag in the name:tag format\n"
               "      --target string        Set the target build stage to build\n");
}

int
cmd_image_build(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct build_cli c = { 0 };
        cleanup_free char *id = NULL;
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        int r;

        if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                build_usage();
                return 0;
        }
        build_opts_init(&c.o);
        r = g->progress && strcmp(g->progress, "json") ? parse_progress(g->progress, &c.o.progress, err) : 0;
        if (r == 0)
                r = parse_flags(&c, argc, argv, err);
        if (r == 0 && sde && *sde)
                r = layer_epoch_from_env(sde, &c.o.epoch, err);
        if (r == 0) {
                c.o.root = g->root;
                c.o.run_root = g->run_root;
                c.o.tags = c.tags;
                c.o.build_args = c.args;
                c.o.labels = c.labels;
                c.o.secrets = c.secrets;
                c.o.extra_hosts = c.hosts;
                c.o.environ_ = g->environ_;
                if (c.quiet)
                        c.o.progress = BUILD_PROGRESS_QUIET;
                r = build_run(&c.o, &id, err);
        }
        if (r == 0 && c.iidfile)
                r = fs_write_atomic(c.iidfile, id, strlen(id), 0644, err);
        if (r == 0 && c.quiet)
                printf("%s\n", id);
        build_cli_release(&c);
        return r;
}

static int
cmd_builder_prune(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct build_prune_report rep;
        int r;

        (void)argv;
        /* -a/--all and -f/--force are accepted as docker's: there is one cache, no prompt */
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "-a") && strcmp(argv[i], "--all") && strcmp(argv[i], "-f") &&
                    strcmp(argv[i], "--force"))
                        return err_setf(err, -EINVAL, "builder prune: unknown flag '%s'", argv[i]);
        r = build_prune(g->root, &rep, err);
        if (r == 0)
                printf("Deleted build cache objects: %zu\nTotal reclaimed space: %" PRIu64 "B\n",
                       rep.entries, rep.bytes);
        return r;
}

int
cmd_builder(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        if (argc >= 2 && !strcmp(argv[1], "__run"))
                return build_runner_main();
        if (argc >= 2 && !strcmp(argv[1], "prune"))
                return cmd_builder_prune(g, argc - 1, argv + 1, err);
        if (argc >= 2 && !strcmp(argv[1], "build"))
                return cmd_image_build(g, argc - 1, argv + 1, err);
        printf("Usage: berth builder COMMAND\n\nManage builds\n\nCommands:\n"
               "  build   Build an image from a Dockerfile\n"
               "  prune   Remove build cache\n");
        return argc < 2 ? err_setf(err, -EINVAL, "builder: no command given") : 0;
}
