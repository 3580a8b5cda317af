/* `berth volume create|ls|rm|inspect|prune`: docker's flags, output and exit codes over the
 * volume store (engine/volume.h).
 *
 * A volume is in use while any container record references it (whatever its state), which
 * is docker's rule for rm and what ls's dangling filter and prune go by. prune follows docker
 * 23+: without --all only anonymous volumes go.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "engine/jsonx.h"
#include "engine/report.h"
#include "engine/volume.h"

#define KV_MAX 256 /* --label / --opt / --filter entries */

static int
kv_add(char ***v, const char *flag, const char *s, struct err *err)
{
        if (strv_length(*v) >= KV_MAX)
                return err_setf(err, -E2BIG, "too many %s (at most %d)", flag, KV_MAX);
        strv_add(v, s);
        return 0;
}

/* ---- create ---- */

struct create_opts {
        const char *name;
        char **labels, **opts;
};

static int
create_parse(struct create_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "name", required_argument, NULL, 'n' },
                { "driver", required_argument, NULL, 'd' },
                { "label", required_argument, NULL, 'l' },
                { "opt", required_argument, NULL, 'o' },
                { 0 },
        };
        int c, r = 0;

        optind = 0;
        opterr = 0;
        while (r == 0 && (c = getopt_long(argc, argv, "+d:o:", opts, NULL)) != -1) {
                if (c == 'n')
                        o->name = optarg;
                else if (c == 'd' && strcmp(optarg, "local") != 0)
                        r = err_setf(err, -ENOENT, "create %s: plugin \"%s\" not found",
                                     o->name ? o->name : "", optarg);
                else if (c == 'l' || c == 'o')
                        r = kv_add(c == 'l' ? &o->labels : &o->opts,
                                   c == 'l' ? "labels" : "options", optarg, err);
                else if (c != 'd')
                        r = err_setf(err, -EINVAL, "volume create: unknown flag '%s'",
                                     argv[optind - 1]);
        }
        if (r < 0)
                return r;
        if (argc - optind > 1)
                return err_setf(err, -EINVAL,
                                "\"berth volume create\" requires at most 1 argument");
        if (optind < argc && o->name && strcmp(o->name, argv[optind]) != 0)
                return err_setf(err, -EINVAL,
                                "conflicting options: either specify --name or "
                                "provide positional arg, not both");
        if (optind < argc)
                o->name = argv[optind];
        return 0;
}

static int
cmd_create(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct create_opts o = { 0 };
        char random[65];
        int created = 0, r = create_parse(&o, argc, argv, err);

        if (r == 0 && !o.name) {
                r = vol_random_name(random, err);
                o.name = random;
        }
        if (r == 0) {
                r = vol_create(g->root, o.name, o.labels, o.opts, &created, err);
                if (r < 0)
                        err_prefix(err, "create %s", o.name);
        }
        if (r == 0)
                printf("%s\n", o.name);
        strv_free(o.labels);
        strv_free(o.opts);
        return r;
}

/* ---- ls ---- */

struct filters {
        int dangling; /* -1 any, 0 in use, 1 unused */
        char **names, **labels;
};

static int
filter_add(struct filters *f, const char *s, struct err *err)
{
        const char *eq = strchr(s, '=');
        size_t klen = eq ? (size_t)(eq - s) : 0;

        if (!eq)
                return err_setf(err, -EINVAL, "bad format of filter (expected name=value)");
        if (klen == 8 && strncmp(s, "dangling", 8) == 0) {
                if (strcmp(eq + 1, "true") && strcmp(eq + 1, "1") && strcmp(eq + 1, "false") &&
                    strcmp(eq + 1, "0"))
                        return err_setf(err, -EINVAL, "invalid filter 'dangling=%s'", eq + 1);
                f->dangling = strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0;
                return 0;
        }
        if (klen == 4 && strncmp(s, "name", 4) == 0)
                return kv_add(&f->names, "filters", eq + 1, err);
        if (klen == 5 && strncmp(s, "label", 5) == 0)
                return kv_add(&f->labels, "filters", eq + 1, err);
        if (klen == 6 && strncmp(s, "driver", 6) == 0 && strcmp(eq + 1, "local") == 0)
                return 0;
        if (klen == 6 && strncmp(s, "driver", 6) == 0)
                return kv_add(&f->names, "filters", "\n", err); /* matches nothing */
        return err_setf(err, -EINVAL, "invalid filter '%.*s'", (int)klen, s);
}

static void
filters_release(struct filters *f)
{
        strv_free(f->names);
        strv_free(f->labels);
}

/* label_match: "key" (present) or "key=value" against a volume's Labels. */
static int
label_match(json_object *labels, const char *want)
{
        const char *eq = strchr(want, '=');
        cleanup_free char *k = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
        json_object *v = jsonx_get(labels, k);

        return v && (!eq || strcmp(json_object_get_string(v), eq + 1) == 0);
}

static int
matches(const struct filters *f, json_object *vol, int used)
{
        const char *name = jsonx_str(vol, "Name");
        int any = !f->names;

        if (f->dangling >= 0 && f->dangling == used)
                return 0;
        strv_foreach(n, f->names)
                any |= name && strstr(name, n) != NULL;
        strv_foreach(l, f->labels)
                if (!label_match(jsonx_get(vol, "Labels"), l))
                        return 0;
        return any;
}

static char *
labels_text(json_object *labels)
{
        cleanup_strv char **kv = NULL;

        if (json_object_is_type(labels, json_type_object)) {
                json_object_object_foreach(labels, k, v)
                        strv_push(&kv, xasprintf("%s=%s", k, json_object_get_string(v)));
        }
        return strv_join(kv, ",");
}

static json_object *
ls_row(json_object *vol)
{
        json_object *o = json_object_new_object();
        cleanup_free char *labels = labels_text(jsonx_get(vol, "Labels"));

        jsonx_add_str(o, "Availability", "N/A");
        jsonx_add_str(o, "Driver", "local");
        jsonx_add_str(o, "Group", "N/A");
        jsonx_add_str(o, "Labels", labels);
        jsonx_add_str(o, "Links", "N/A");
        jsonx_add_str(o, "Mountpoint", jsonx_str(vol, "Mountpoint"));
        jsonx_add_str(o, "Name", jsonx_str(vol, "Name"));
        jsonx_add_str(o, "Scope", "local");
        jsonx_add_str(o, "Size", "N/A");
        jsonx_add_str(o, "Status", "N/A");
        return o;
}

static json_object *
ls_header(void)
{
        json_object *h = json_object_new_object();

        jsonx_add_str(h, "Driver", "DRIVER");
        jsonx_add_str(h, "Labels", "LABELS");
        jsonx_add_str(h, "Mountpoint", "MOUNTPOINT");
        jsonx_add_str(h, "Name", "VOLUME NAME");
        jsonx_add_str(h, "Scope", "SCOPE");
        return h;
}

/* selected: the volumes (volume.json objects) f selects, in name order. */
static int
selected(const char *root, const struct filters *f, json_object ***ret, size_t *ret_n,
         struct err *err)
{
        cleanup_strv char **names = NULL, **used = NULL;
        json_object **rows;
        size_t n = 0;
        int r = vol_list(root, &names, err);

        if (r >= 0)
                r = vol_used_names(root, &used, err);
        if (r < 0)
                return r;
        rows = xcalloc(strv_length(names) + 1, sizeof(*rows));
        strv_foreach(name, names) {
                json_object *vol = NULL;
                if (vol_inspect(root, name, &vol, NULL) < 0)
                        continue; /* removed while we listed */
                if (matches(f, vol, strv_contains(used, name)))
                        rows[n++] = vol;
                else
                        json_object_put(vol);
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

static void
rows_free(json_object **rows, size_t n)
{
        for (size_t i = 0; i < n; i++)
                json_object_put(rows[i]);
        free(rows);
}

static int
ls_print(const char *root, const struct filters *f, const char *fmt, struct err *err)
{
        json_object **vols = NULL, *header;
        size_t n = 0;
        int r = selected(root, f, &vols, &n, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                json_object *row = ls_row(vols[i]);
                json_object_put(vols[i]);
                vols[i] = row;
        }
        header = ls_header();
        r = report_print_rows(fmt, header, vols, n, err);
        json_object_put(header);
        rows_free(vols, n);
        return r;
}

static int
cmd_ls(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "format", required_argument, NULL, 'F' },
                { "filter", required_argument, NULL, 'f' },
                { "cluster", no_argument, NULL, 'C' },
                { 0 },
        };
        const char *fmt = "table {{.Driver}}\t{{.Name}}";
        struct filters f = { .dangling = -1 };
        int c, r = 0, quiet = 0;

        optind = 0;
        opterr = 0;
        while (r == 0 && (c = getopt_long(argc, argv, "+qf:", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = 1;
                else if (c == 'F')
                        fmt = strcmp(optarg, "table") ? optarg : fmt;
                else if (c == 'f')
                        r = filter_add(&f, optarg, err);
                else
                        r = err_setf(err, -EINVAL, "volume ls: unknown flag '%s'",
                                     argv[optind - 1]);
        }
        if (r == 0 && optind != argc)
                r = err_setf(err, -EINVAL, "\"berth volume ls\" accepts no arguments");
        if (r == 0)
                r = ls_print(g->root, &f, quiet ? "{{.Name}}" : fmt, err);
        filters_release(&f);
        return r;
}

/* ---- inspect, rm ---- */

static int
cmd_inspect(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { 0 },
        };
        json_object *all;
        const char *fmt = NULL;
        int c, r, first = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
                if (c != 'f')
                        return err_setf(err, -EINVAL, "volume inspect: unknown flag '%s'",
                                        argv[optind - 1]);
                fmt = optarg;
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL,
                                "\"berth volume inspect\" requires at least 1 "
                                "argument");
        all = json_object_new_array();
        for (int i = optind; i < argc; i++) {
                json_object *o = NULL;

                /* a missing one does not stop the others (err keeps the first error) */
                r = vol_inspect(g->root, argv[i], &o, err);
                if (r < 0 && !first)
                        first = r;
                if (r == 0)
                        json_object_array_add(all, o);
        }
        r = report_print_inspect(fmt, all, err);
        json_object_put(all);
        return first ? first : r;
}

static int
cmd_rm(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { 0 },
        };
        int c, force = 0, first = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
                if (c != 'f')
                        return err_setf(err, -EINVAL, "volume rm: unknown flag '%s'",
                                        argv[optind - 1]);
                force = 1;
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "\"berth volume rm\" requires at least 1 argument");
        /* docker goes on after a failure and exits 1; the earlier errors are printed here */
        for (int i = optind; i < argc; i++) {
                struct err e = { 0 };
                int r = vol_remove(g->root, argv[i], force, &e);

                if (r == 0) {
                        puts(argv[i]);
                        continue;
                }
                if (first)
                        fprintf(stderr, "berth: %s\n", err->msg);
                err_clear(err);
                err_setf(err, r, "%s", e.msg);
                first = r;
        }
        return first;
}

/* ---- prune ---- */

static int
confirm(int all)
{
        char line[64];

        printf("WARNING! This will remove %s local volumes not used by at least one "
               "container.\nAre you sure you want to continue? [y/N] ",
               all ? "all" : "anonymous");
        fflush(stdout);
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static int
prune_selected(const char *root, const struct filters *f, int all, struct err *err)
{
        json_object **vols = NULL;
        cleanup_strv char **deleted = NULL;
        uint64_t reclaimed = 0;
        size_t n = 0;
        char size[32];
        int r = selected(root, f, &vols, &n, err);

        for (size_t i = 0; r == 0 && i < n; i++) {
                const char *name = jsonx_str(vols[i], "Name");
                cleanup_free char *data = vol_path(root, name);
                uint64_t bytes;
                struct err e = { 0 };
                int k;

                if (!all && !jsonx_get(jsonx_get(vols[i], "Labels"), VOL_ANON_LABEL))
                        continue;
                bytes = vol_size(data);
                k = vol_remove(root, name, 1, &e);
                if (k == 0) {
                        strv_add(&deleted, name);
                        reclaimed += bytes;
                } else if (k != -EBUSY) { /* taken meanwhile: fine */
                        r = err_setf(err, k, "%s", e.msg);
                }
        }
        rows_free(vols, n);
        if (deleted) {
                printf("Deleted Volumes:\n");
                strv_foreach(d, deleted)
                        printf("%s\n", d);
                printf("\n");
        }
        report_size(reclaimed, 4, size, sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        return r;
}

static int
cmd_prune(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "all", no_argument, NULL, 'a' },
                { "filter", required_argument, NULL, 'F' },
                { 0 },
        };
        struct filters f = { .dangling = 1 };
        int c, r = 0, force = 0, all = 0;

        optind = 0;
        opterr = 0;
        while (r == 0 && (c = getopt_long(argc, argv, "+fa", opts, NULL)) != -1) {
                if (c == 'f' || c == 'a')
                        *(c == 'f' ? &force : &all) = 1;
                else if (c == 'F' && strncmp(optarg, "label=", 6) == 0)
                        r = kv_add(&f.labels, "filters", optarg + 6, err);
                else
                        r = err_setf(err, -EINVAL,
                                     "volume prune: unsupported flag or filter '%s' "
                                     "(-a, -f and --filter label=... are)",
                                     argv[optind - 1]);
        }
        if (r == 0 && optind != argc)
                r = err_setf(err, -EINVAL, "\"berth volume prune\" accepts no arguments");
        if (r == 0 && (force || confirm(all)))
                r = prune_selected(g->root, &f, all, err);
        filters_release(&f);
        return r;
}

/* ---- dispatch ---- */

static const struct {
        const char *name, *alias;
        int (*run)(struct cli_globals *g, int argc, char **argv, struct err *err);
        const char *summary;
} subcommands[] = {
        { "create", NULL, cmd_create, "Create a volume" },
        { "inspect", NULL, cmd_inspect, "Display detailed information on one or more volumes" },
        { "ls", "list", cmd_ls, "List volumes" },
        { "prune", NULL, cmd_prune, "Remove unused local volumes" },
        { "rm", "remove", cmd_rm, "Remove one or more volumes" },
};

int
cmd_volume(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                FILE *f = argc < 2 ? stderr : stdout;

                fprintf(f, "Usage: berth volume COMMAND\n\nManage volumes\n\nCommands:\n");
                for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                        fprintf(f, "  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
                return argc < 2 ? err_setf(err, -EINVAL, "volume: no command given") : 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                if (!strcmp(argv[1], subcommands[i].name) ||
                    (subcommands[i].alias && !strcmp(argv[1], subcommands[i].alias)))
                        return subcommands[i].run(g, argc - 1, argv + 1, err);
        return err_setf(err, -EINVAL, "unknown command 'volume %s'; see 'berth volume --help'",
                        argv[1]);
}
