/* `berth system …`: df (docker's disk usage table), check (re-verify the image store),
 * prune (for now: unused images, then garbage collection). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/report.h"

static void
store_free_p(struct store **s)
{
        store_free(*s);
}
#define cleanup_store __attribute__((cleanup(store_free_p)))

struct usage {
        size_t images, active;
        uint64_t size, active_size; /* unique layer bytes, in total and of images in use */
};

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
seen(char ***set, const char *chain)
{
        size_t n = strv_length(*set);

        if (n && bsearch(&chain, *set, n, sizeof(char *), cmp_str))
                return true;
        strv_add(set, chain);
        strv_sort(*set);
        return false;
}

/* usage_of: images, those in use, and unique layer bytes (shared layers counted once). */
static int
usage_of(struct store *s, struct usage *u, struct image ***ret_imgs, struct err *err)
{
        struct store_index idx;
        cleanup_strv char **all = NULL, **active = NULL;
        struct image **imgs = NULL;
        int r = store_index_read(s, &idx, err);

        *u = (struct usage){ .images = idx.n };
        imgs = xcalloc(idx.n + 1, sizeof(*imgs));
        for (size_t i = 0; r == 0 && i < idx.n; i++) {
                int held = store_holds_of(s, idx.v[i].id, err);

                r = held < 0 ? held : image_open(s, &idx.v[i], &imgs[i], err);
                for (size_t k = 0; r == 0 && k < strv_length(imgs[i]->chains); k++) {
                        if (!seen(&all, imgs[i]->chains[k]))
                                u->size += imgs[i]->layer_sizes[k];
                        if (held && !seen(&active, imgs[i]->chains[k]))
                                u->active_size += imgs[i]->layer_sizes[k];
                }
                u->active += held > 0;
        }
        store_index_release(&idx);
        *ret_imgs = imgs;
        return r;
}

static void
free_images(struct image **imgs)
{
        for (size_t i = 0; imgs && imgs[i]; i++)
                image_free(imgs[i]);
        free(imgs);
}

static json_object *
df_row(const char *type, size_t total, size_t active, uint64_t size, uint64_t reclaim)
{
        json_object *o = json_object_new_object();
        char sz[32], rc[32];
        cleanup_free char *t = xasprintf("%zu", total), *a = xasprintf("%zu", active);
        cleanup_free char *rec = NULL;

        report_size(size, 4, sz, sizeof(sz));
        report_size(reclaim, 4, rc, sizeof(rc));
        rec = size ? xasprintf("%s (%d%%)", rc, (int)(reclaim * 100 / size)) : xstrdup(rc);
        jsonx_add_str(o, "Active", a);
        jsonx_add_str(o, "Reclaimable", rec);
        jsonx_add_str(o, "Size", sz);
        jsonx_add_str(o, "TotalCount", t);
        jsonx_add_str(o, "Type", type);
        return o;
}

static void
df_verbose(struct image **imgs)
{
        struct report_table t = { 0 };

        printf("Images space usage:\n\n");
        report_table_add(&t, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE");
        for (size_t i = 0; imgs && imgs[i]; i++) {
                char id[13], ago[64], size[32];
                struct ref r;
                bool named = imgs[i]->names && ref_parse(imgs[i]->names[0], &r, NULL) == 0;
                cleanup_free char *repo = named ? ref_familiar_repo(&r) : xstrdup("<none>");

                image_short_id(imgs[i]->id, id);
                report_ago((time_t)image_created(imgs[i]), time(NULL), ago, sizeof(ago));
                report_size(imgs[i]->size, 4, size, sizeof(size));
                report_table_addf(&t, "%s\t%s\t%s\t%s\t%s", repo, named ? r.tag : "<none>", id, ago,
                                  size);
                if (named)
                        ref_release(&r);
        }
        report_table_flush(&t, stdout);
        printf("\n");
}

static int
df_print(const struct usage *u, const char *format, struct err *err)
{
        json_object *rows[4];
        int r = 0;

        rows[0] = df_row("Images", u->images, u->active, u->size, u->size - u->active_size);
        rows[1] = df_row("Containers", 0, 0, 0, 0);
        rows[2] = df_row("Local Volumes", 0, 0, 0, 0);
        rows[3] = df_row("Build Cache", 0, 0, 0, 0);
        if (format && !strcmp(format, "json")) {
                for (size_t i = 0; i < 4; i++) {
                        cleanup_free char *line = jsonx_string(rows[i], NULL);

                        puts(line);
                }
        } else if (format && strcmp(format, "table")) {
                r = err_setf(err, -EINVAL, "system df: unsupported format '%s' (table or json)",
                             format);
        } else {
                struct report_table t = { 0 };

                report_table_add(&t, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE");
                for (size_t i = 0; i < 4; i++)
                        report_table_addf(&t, "%s\t%s\t%s\t%s\t%s", jsonx_str(rows[i], "Type"),
                                          jsonx_str(rows[i], "TotalCount"),
                                          jsonx_str(rows[i], "Active"), jsonx_str(rows[i], "Size"),
                                          jsonx_str(rows[i], "Reclaimable"));
                report_table_flush(&t, stdout);
        }
        for (size_t i = 0; i < 4; i++)
                json_object_put(rows[i]);
        return r;
}

static int
cmd_df(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "verbose", no_argument, NULL, 'v' },
                { "format", required_argument, NULL, 'F' },
                { 0 },
        };
        cleanup_store struct store *s = NULL;
        struct image **imgs = NULL;
        struct usage u;
        const char *format = NULL;
        bool verbose = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+v", opts, NULL)) != -1) {
                if (c == 'v')
                        verbose = true;
                else if (c == 'F')
                        format = optarg;
                else
                        return err_setf(err, -EINVAL, "system df: invalid flag");
        }
        r = store_open(g->root, &s, err);
        if (r == 0)
                r = store_pin(s, err);
        if (r == 0)
                r = usage_of(s, &u, &imgs, err);
        if (r == 0 && verbose && !format)
                df_verbose(imgs);
        if (r == 0)
                r = df_print(&u, format, err);
        free_images(imgs);
        return r;
}

static int
cmd_check(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        cleanup_store struct store *s = NULL;
        cleanup_strv char **problems = NULL;
        int r;

        (void)argv;
        if (argc != 1)
                return err_setf(err, -EINVAL, "system check: takes no arguments");
        r = store_open(g->root, &s, err);
        if (r == 0)
                r = store_check(s, &problems, err);
        if (r < 0)
                return r;
        strv_foreach(p, problems)
                printf("%s\n", p);
        if (r > 0)
                return err_setf(err, -EBADMSG, "system check: %d problem%s found", r,
                                r == 1 ? "" : "s");
        printf("image store is consistent\n");
        return 0;
}

static bool
confirm(const char *warning)
{
        char line[64];

        printf("%s\nAre you sure you want to continue? [y/N] ", warning);
        fflush(stdout);
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static int
cmd_prune(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' },
                { "force", no_argument, NULL, 'f' },
                { "volumes", no_argument, NULL, 'V' },
                { 0 },
        };
        cleanup_store struct store *s = NULL;
        struct image_rm_result res = { 0 };
        bool all = false, force = false;
        char size[32];
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+af", opts, NULL)) != -1) {
                if (c == 'a' || c == 'f')
                        *(c == 'a' ? &all : &force) = true;
                else if (c != 'V')
                        return err_setf(err, -EINVAL, "system prune: invalid flag");
        }
        if (!force && !confirm(all ? "WARNING! This will remove:\n  - all images without at "
                                     "least one container associated to them\n"
                                   : "WARNING! This will remove:\n  - all dangling images\n"))
                return 0;
        r = store_open(g->root, &s, err);
        if (r == 0)
                r = image_prune(s, all, &res, err);
        if (r == 0 && (res.untagged || res.deleted)) {
                printf("Deleted Images:\n");
                strv_foreach(u, res.untagged)
                        printf("untagged: %s\n", u);
                strv_foreach(d, res.deleted)
                        printf("deleted: %s\n", d);
                printf("\n");
        }
        report_size(res.reclaimed, 4, size, sizeof(size));
        if (r == 0)
                printf("Total reclaimed space: %s\n", size);
        image_rm_result_release(&res);
        return r;
}

int
cmd_system(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        if (argc < 2 || !strcmp(argv[1], "--help")) {
                fprintf(argc < 2 ? stderr : stdout,
                        "Usage: berth system COMMAND\n\nCommands:\n"
                        "  check     Verify the image store (blob digests, layers)\n"
                        "  df        Show disk usage\n"
                        "  prune     Remove unused data\n");
                return argc < 2 ? err_setf(err, -EINVAL, "system: no command given") : 0;
        }
        if (!strcmp(argv[1], "df"))
                return cmd_df(g, argc - 1, argv + 1, err);
        if (!strcmp(argv[1], "check"))
                return cmd_check(g, argc - 1, argv + 1, err);
        if (!strcmp(argv[1], "prune"))
                return cmd_prune(g, argc - 1, argv + 1, err);
        return err_setf(err, -EINVAL, "unknown command 'system %s'; see 'berth system --help'",
                        argv[1]);
}
