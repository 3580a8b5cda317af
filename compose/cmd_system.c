/* `berth system …`: df (docker's disk usage table), check (re-verify the image store),
 * prune (for now: container records a killed create left, unused images, then garbage
 * collection; with --volumes also unused anonymous volumes). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "base/fs.h"
#include "compose/cli.h"
#include "engine/container.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/layer.h"
#include "engine/report.h"
#include "engine/runtime.h"
#include "engine/volume.h"

#define STALE_RECORD_AGE 60 /* seconds: a record younger than this may be a create under way */

static void
store_free_p(struct store **s)
{
        store_free(*s);
}
#define cleanup_store __attribute__((cleanup(store_free_p)))

struct usage {
        size_t images, active;
        uint64_t size, active_size; /* unique layer bytes, in total and of images in use */
        size_t volumes, volumes_used;
        uint64_t volumes_size, volumes_unused_size; /* bytes under the volumes' _data */
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

/* df_volumes: docker's "Local Volumes space usage" table (system df -v). */
static void
df_volumes(const char *root)
{
        struct report_table t = { 0 };
        cleanup_strv char **names = NULL;

        if (vol_list(root, &names, NULL) < 0)
                return;
        printf("Local Volumes space usage:\n\n");
        report_table_add(&t, "VOLUME NAME\tLINKS\tSIZE");
        strv_foreach(n, names) {
                cleanup_strv char **users = NULL;
                cleanup_free char *data = vol_path(root, n);
                char size[32];

                vol_users(root, n, &users, NULL);
                report_size(vol_size(data), 4, size, sizeof(size));
                report_table_addf(&t, "%s\t%zu\t%s", n, strv_length(users), size);
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
        rows[2] = df_row("Local Volumes", u->volumes, u->volumes_used, u->volumes_size,
                         u->volumes_unused_size);
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

/* volume_usage: volumes, those a container references, and the bytes in them. */
static int
volume_usage(const char *root, struct usage *u, struct err *err)
{
        cleanup_strv char **names = NULL, **used = NULL;
        int r = vol_list(root, &names, err);

        if (r >= 0)
                r = vol_used_names(root, &used, err);
        if (r < 0)
                return r;
        strv_foreach(n, names) {
                cleanup_free char *data = vol_path(root, n);
                uint64_t bytes = vol_size(data);
                bool in_use = strv_contains(used, n);

                u->volumes++;
                u->volumes_used += in_use;
                u->volumes_size += bytes;
                u->volumes_unused_size += in_use ? 0 : bytes;
        }
        return 0;
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
        if (r == 0)
                r = volume_usage(g->root, &u, err);
        if (r == 0 && verbose && !format) {
                df_verbose(imgs);
                df_volumes(g->root);
        }
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
json_valid(const char *dir, const char *leaf)
{
        cleanup_free char *p = xasprintf("%s/%s", dir, leaf);
        cleanup_free char *buf = NULL;
        json_object *o = NULL;
        size_t len;
        int ok = fs_read_capped(p, CTR_JSON_MAX, &buf, &len, NULL) == 0 &&
                 jsonx_parse(buf, len, CTR_JSON_MAX, p, &o, NULL) == 0 &&
                 json_object_is_type(o, json_type_object);

        json_object_put(o);
        return ok;
}

/* stale: a record ctr_create never finished (no valid config.json or state.json) and old
 * enough not to be one under way. */
static bool
stale(const char *root, const char *id, time_t now)
{
        cleanup_free char *dir = xasprintf("%s/containers/%s", root, id);
        struct stat sb;

        if (stat(dir, &sb) < 0 || now - sb.st_mtime < STALE_RECORD_AGE)
                return false;
        return !json_valid(dir, "config.json") || !json_valid(dir, "state.json");
}

static void
remove_stale(struct cli_globals *g, int dfd, const char *id, char ***deleted, struct err *err)
{
        cleanup_free char *run_dir = xasprintf("%s/containers/%s", g->run_root, id);
        struct err e = { 0 };

        rt_delete(run_dir, &e); /* nothing should run, but a half-made one may have */
        ctr_image_unhold(g->root, id);
        if (layer_remove_tree(dfd, id, &e) < 0) {
                err_setf(err, e.code, "%s", e.msg);
                return;
        }
        strv_add(deleted, id);
}

/* prune_stale: remove the container records a CLI killed inside ctr_create left behind;
 * under the containers lock, the one ctr_create holds while it writes a record. */
static int
prune_stale(struct cli_globals *g, char ***deleted, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/containers", g->root);
        cleanup_free char *lock = xasprintf("%s/.lock", dir);
        cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_close int lfd = -1;
        cleanup_strv char **ids = NULL;
        time_t now = time(NULL);
        int r;

        if (dfd < 0)
                return errno == ENOENT ? 0 : err_setf(err, -errno, "open '%s': %s", dir,
                                                      strerror(errno));
        lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lfd < 0 || flock(lfd, LOCK_EX) < 0)
                return err_setf(err, -errno, "lock '%s': %s", lock, strerror(errno));
        r = ctr_list(g->root, &ids, err);
        strv_foreach(id, ids)
                if (r >= 0 && stale(g->root, id, now))
                        remove_stale(g, dfd, id, deleted, err);
        return r < 0 ? r : err_is_set(err) ? err->code : 0;
}

static void
print_list(const char *title, char **v)
{
        if (!v)
                return;
        printf("%s\n", title);
        strv_foreach(s, v)
                printf("%s\n", s);
        printf("\n");
}

/* prune_volumes: --volumes: unused anonymous volumes (docker 23+). */
static int
prune_volumes(struct cli_globals *g, char ***deleted, uint64_t *reclaimed, struct err *err)
{
        cleanup_strv char **names = NULL, **used = NULL;
        int r = vol_list(g->root, &names, err);

        if (r >= 0)
                r = vol_used_names(g->root, &used, err);
        strv_foreach(n, names) {
                json_object *v = NULL;
                cleanup_free char *data = vol_path(g->root, n);
                uint64_t bytes = vol_size(data);
                bool anon;

                if (r < 0 || strv_contains(used, n) || vol_inspect(g->root, n, &v, NULL) < 0)
                        continue;
                anon = jsonx_get(jsonx_get(v, "Labels"), VOL_ANON_LABEL) != NULL;
                json_object_put(v);
                if (anon && vol_remove(g->root, n, 1, NULL) == 0) {
                        strv_add(deleted, n);
                        *reclaimed += bytes;
                }
        }
        return r < 0 ? r : 0;
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
        cleanup_strv char **stale_ids = NULL, **vols = NULL;
        uint64_t vol_bytes = 0;
        bool all = false, force = false, volumes = false;
        char size[32];
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+af", opts, NULL)) != -1) {
                if (c == 'a' || c == 'f')
                        *(c == 'a' ? &all : &force) = true;
                else if (c == 'V')
                        volumes = true;
                else
                        return err_setf(err, -EINVAL, "system prune: invalid flag");
        }
        if (!force && !confirm(all ? "WARNING! This will remove:\n  - all images without at "
                                     "least one container associated to them\n"
                                   : "WARNING! This will remove:\n  - all dangling images\n"))
                return 0;
        r = prune_stale(g, &stale_ids, err);
        if (r == 0)
                r = vol_prune_partial(g->root, STALE_RECORD_AGE, err);
        r = r > 0 ? 0 : r;
        print_list("Deleted Containers:", stale_ids);
        if (r == 0 && volumes)
                r = prune_volumes(g, &vols, &vol_bytes, err);
        print_list("Deleted Volumes:", vols);
        if (r == 0)
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
        report_size(res.reclaimed + vol_bytes, 4, size, sizeof(size));
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
