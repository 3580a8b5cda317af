/* `berth image …`: docker's image commands over berth's store (engine/image.h).
 *
 * Output follows the docker CLI: the same table columns and alignment, --format with "json",
 * "table …" and Go-template fields, -q for IDs, and docker's wording for results
 * ("Untagged: …", "Deleted: …", "Loaded image: …").
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/ref.h"
#include "engine/report.h"

static int
open_store(struct cli_globals *g, struct store **ret, struct err *err)
{
        return store_open(g->root, ret, err);
}

static void
store_free_p(struct store **s)
{
        store_free(*s);
}
#define cleanup_store __attribute__((cleanup(store_free_p)))

static int
bad_usage(const char *cmd, const char *usage, struct err *err)
{
        return err_setf(err, -EINVAL, "\"berth image %s\" requires %s; see 'berth image %s --help'",
                        cmd, usage, cmd);
}

static json_object *
header_of(const char *const pairs[][2], size_t n)
{
        json_object *h = json_object_new_object();

        for (size_t i = 0; i < n; i++)
                jsonx_add_str(h, pairs[i][0], pairs[i][1]);
        return h;
}

static void
free_rows(json_object **rows, size_t n)
{
        for (size_t i = 0; i < n; i++)
                json_object_put(rows[i]);
        free(rows);
}

/* ---- import ---- */

static int
cmd_import(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "change", required_argument, NULL, 'c' },
                { "message", required_argument, NULL, 'm' },
                { "platform", required_argument, NULL, 'P' },
                { 0 },
        };
        cleanup_strv char **changes = NULL;
        struct image_import_opts o = { .source = "-" };
        cleanup_store struct store *s = NULL;
        cleanup_close int fd = -1;
        char id[DIGEST_STR_SIZE];
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+c:m:", opts, NULL)) != -1) {
                if (c == 'c')
                        strv_add(&changes, optarg);
                else if (c == 'm')
                        o.message = optarg;
                else if (c == 'P')
                        o.platform = optarg;
                else
                        return bad_usage("import", "valid flags", err);
        }
        if (argc - optind < 1 || argc - optind > 2)
                return bad_usage("import", "1 or 2 arguments", err);
        o.changes = changes;
        fd = strcmp(argv[optind], "-") == 0 ? dup(STDIN_FILENO)
                                            : open(argv[optind], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_setf(err, -errno, "import: open '%s': %s", argv[optind],
                                strerror(errno));
        r = open_store(g, &s, err);
        if (r == 0)
                r = image_import(s, fd, argc - optind == 2 ? argv[optind + 1] : NULL, &o, id, err);
        if (r == 0)
                printf("%s\n", id);
        return r;
}

/* ---- ls ---- */

struct ls_opts {
        bool all, quiet, no_trunc, digests;
        const char *format;
        const char *repo; /* positional REPOSITORY[:TAG] */
        char **filters;   /* key=value */
};

static void
ls_fields(json_object *o, const struct image *img, const char *name, const struct ls_opts *lo)
{
        struct ref r;
        char size3[32], size4[32], ago[64], at[96], short_id[13];
        bool named = name && ref_parse(name, &r, NULL) == 0;
        cleanup_free char *repo = named ? ref_familiar_repo(&r) : xstrdup("<none>");
        cleanup_free char *tag = named && r.tag ? xstrdup(r.tag) : xstrdup("<none>");
        int64_t created = image_created(img);

        if (named)
                ref_release(&r);
        report_size(img->size, 3, size3, sizeof(size3));
        report_size(img->size, 4, size4, sizeof(size4));
        report_ago((time_t)created, time(NULL), ago, sizeof(ago));
        report_time_local((time_t)created, at, sizeof(at));
        image_short_id(img->id, short_id);
        jsonx_add_str(o, "Containers", "N/A");
        jsonx_add_str(o, "CreatedAt", at);
        jsonx_add_str(o, "CreatedSince", ago);
        jsonx_add_str(o, "Digest", "<none>");
        jsonx_add_str(o, "ID", lo->no_trunc ? img->id : short_id);
        jsonx_add_str(o, "Repository", repo);
        jsonx_add_str(o, "SharedSize", "N/A");
        jsonx_add_str(o, "Size", size3);
        jsonx_add_str(o, "Tag", tag);
        jsonx_add_str(o, "UniqueSize", "N/A");
        jsonx_add_str(o, "VirtualSize", size4);
}

/* ls_match: the positional REPOSITORY[:TAG] and --filter reference= / dangling=. */
static bool
ls_match(const struct ls_opts *lo, json_object *row)
{
        cleanup_free char *rt =
                xasprintf("%s:%s", jsonx_str(row, "Repository"), jsonx_str(row, "Tag"));
        bool dangling = strcmp(jsonx_str(row, "Repository"), "<none>") == 0;

        if (lo->repo && strcmp(lo->repo, jsonx_str(row, "Repository")) != 0 &&
            strcmp(lo->repo, rt) != 0)
                return false;
        strv_foreach(f, lo->filters) {
                if (!strncmp(f, "dangling=", 9) && (strcmp(f + 9, "true") == 0) != dangling)
                        return false;
                if (!strncmp(f, "reference=", 10) &&
                    fnmatch(f + 10, jsonx_str(row, "Repository"), 0) != 0 &&
                    fnmatch(f + 10, rt, 0) != 0)
                        return false;
        }
        return true;
}

static struct timespec
created_ts(const struct image *img)
{
        const char *c = jsonx_str(img->config, "created");
        struct timespec ts = { 0 };

        if (c && report_time_parse(c, &ts) < 0)
                ts = (struct timespec){ 0 };
        return ts;
}

/* cmp_created: newest first, as docker lists images. */
static int
cmp_created(const void *a, const void *b)
{
        struct timespec x = created_ts(*(struct image *const *)a);
        struct timespec y = created_ts(*(struct image *const *)b);

        if (x.tv_sec != y.tv_sec)
                return x.tv_sec < y.tv_sec ? 1 : -1;
        return x.tv_nsec < y.tv_nsec ? 1 : x.tv_nsec > y.tv_nsec ? -1 : 0;
}

static int
open_all(struct store *s, const struct store_index *idx, struct image ***ret, struct err *err)
{
        struct image **imgs = xcalloc(idx->n + 1, sizeof(*imgs));
        int r = 0;

        for (size_t i = 0; r == 0 && i < idx->n; i++)
                r = image_open(s, &idx->v[i], &imgs[i], err);
        if (r < 0) {
                for (size_t i = 0; i < idx->n; i++)
                        image_free(imgs[i]);
                free(imgs);
                return r;
        }
        qsort(imgs, idx->n, sizeof(*imgs), cmp_created);
        *ret = imgs;
        return 0;
}

static size_t
ls_collect(struct image **imgs, size_t n, const struct ls_opts *lo, json_object ***ret)
{
        json_object **rows = NULL;
        size_t nrows = 0, cap = 0;

        for (size_t i = 0; i < n; i++) {
                size_t names = strv_length(imgs[i]->names);

                for (size_t k = 0; k < (names ? names : 1); k++) {
                        json_object *o = json_object_new_object();

                        ls_fields(o, imgs[i], names ? imgs[i]->names[k] : NULL, lo);
                        if (!ls_match(lo, o)) {
                                json_object_put(o);
                                continue;
                        }
                        GROW(rows, cap, nrows + 1);
                        rows[nrows++] = o;
                }
        }
        *ret = rows;
        return nrows;
}

static const char *
ls_format(const struct ls_opts *lo)
{
        if (lo->quiet)
                return "{{.ID}}";
        if (lo->format && strcmp(lo->format, "table") != 0)
                return lo->format;
        return lo->digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                             "{{.CreatedSince}}\t{{.Size}}"
                           : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
                             "{{.Size}}";
}

static int
ls_print(struct store *s, const struct ls_opts *lo, struct err *err)
{
        static const char *const titles[][2] = {
                { "Containers", "CONTAINERS" },
                { "CreatedAt", "CREATED AT" },
                { "CreatedSince", "CREATED" },
                { "Digest", "DIGEST" },
                { "ID", "IMAGE ID" },
                { "Repository", "REPOSITORY" },
                { "SharedSize", "SHARED SIZE" },
                { "Size", "SIZE" },
                { "Tag", "TAG" },
                { "UniqueSize", "UNIQUE SIZE" },
                { "VirtualSize", "VIRTUAL SIZE" },
        };
        struct store_index idx;
        struct image **imgs = NULL;
        json_object **rows = NULL, *header;
        size_t n = 0;
        int r = store_pin(s, err); /* no garbage collection while we read the snapshot */

        if (r == 0)
                r = store_index_read(s, &idx, err);
        if (r == 0)
                r = open_all(s, &idx, &imgs, err);
        if (r == 0) {
                n = ls_collect(imgs, idx.n, lo, &rows);
                header = header_of(titles, ARRAY_SIZE(titles));
                r = report_print_rows(ls_format(lo), header, rows, n, err);
                json_object_put(header);
                free_rows(rows, n);
                for (size_t i = 0; i < idx.n; i++)
                        image_free(imgs[i]);
                free(imgs);
        }
        store_index_release(&idx);
        return r;
}

/* familiar_filter: the positional REPOSITORY[:TAG] of image ls in the familiar form. */
static char *
familiar_filter(const char *arg)
{
        const char *slash = strrchr(arg, '/');
        bool tagged = strchr(slash ? slash : arg, ':') != NULL;
        struct ref r;
        char *out;

        if (ref_parse(arg, &r, NULL) < 0)
                return xstrdup(arg);
        out = tagged ? ref_familiar(&r) : ref_familiar_repo(&r);
        ref_release(&r);
        return out;
}

static int
check_filter(const char *f, struct err *err)
{
        if (!strncmp(f, "dangling=", 9) && (!strcmp(f + 9, "true") || !strcmp(f + 9, "false")))
                return 0;
        if (!strncmp(f, "reference=", 10))
                return 0;
        return err_setf(err, -EINVAL,
                        "invalid filter '%s' (berth supports dangling= and "
                        "reference=)",
                        f);
}

static int
cmd_ls(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' },
                { "quiet", no_argument, NULL, 'q' },
                { "no-trunc", no_argument, NULL, 'T' },
                { "digests", no_argument, NULL, 'D' },
                { "format", required_argument, NULL, 'F' },
                { "filter", required_argument, NULL, 'f' },
                { "tree", no_argument, NULL, 'X' },
                { 0 },
        };
        cleanup_strv char **filters = NULL;
        struct ls_opts lo = { 0 };
        cleanup_store struct store *s = NULL;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+aqf:", opts, NULL)) != -1) {
                if (c == 'a' || c == 'X')
                        lo.all = true;
                else if (c == 'q')
                        lo.quiet = true;
                else if (c == 'T')
                        lo.no_trunc = true;
                else if (c == 'D')
                        lo.digests = true;
                else if (c == 'F')
                        lo.format = optarg;
                else if (c == 'f' && check_filter(optarg, err) == 0)
                        strv_add(&filters, optarg);
                else
                        return err_is_set(err) ? err->code : bad_usage("ls", "valid flags", err);
        }
        if (argc - optind > 1)
                return bad_usage("ls", "at most 1 argument", err);
        cleanup_free char *repo = argc > optind ? familiar_filter(argv[optind]) : NULL;

        lo.repo = repo;
        lo.filters = filters;
        r = open_store(g, &s, err);
        return r < 0 ? r : ls_print(s, &lo, err);
}

/* ---- rm, tag, prune ---- */

static void
print_rm(const struct image_rm_result *res)
{
        strv_foreach(u, res->untagged)
                printf("Untagged: %s\n", u);
        strv_foreach(d, res->deleted)
                printf("Deleted: %s\n", d);
}

static int
cmd_rm(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "no-prune", no_argument, NULL, 'N' },
                { 0 },
        };
        cleanup_store struct store *s = NULL;
        bool force = false;
        int c, r, last = 0;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
                if (c == 'f')
                        force = true;
                else if (c != 'N')
                        return bad_usage("rm", "valid flags", err);
        }
        if (optind >= argc)
                return bad_usage("rm", "at least 1 argument", err);
        r = open_store(g, &s, err);
        if (r < 0)
                return r;
        for (int i = optind; i < argc; i++) {
                struct image_rm_result res = { 0 };
                struct err e = { 0 };

                r = image_remove(s, argv[i], force, &res, &e);
                print_rm(&res);
                image_rm_result_release(&res);
                if (r < 0 && i + 1 < argc)
                        log_emit(&g->log, LOG_ERROR, "%s", e.msg);
                if (r < 0)
                        last = err_setf(err, r, "%s", e.msg);
        }
        return last;
}

static int
cmd_tag(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        cleanup_store struct store *s = NULL;
        int r;

        if (argc != 3 || argv[1][0] == '-')
                return bad_usage("tag", "exactly 2 arguments", err);
        r = open_store(g, &s, err);
        return r < 0 ? r : image_tag(s, argv[1], argv[2], err);
}

/* confirm: docker's [y/N] question; false unless the answer starts with y. */
static bool
confirm(const char *warning)
{
        char line[64];

        printf("%s\nAre you sure you want to continue? [y/N] ", warning);
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return false;
        return line[0] == 'y' || line[0] == 'Y';
}

static void
print_prune(const struct image_rm_result *res)
{
        char size[32];

        if (res->untagged || res->deleted) {
                printf("Deleted Images:\n");
                strv_foreach(u, res->untagged)
                        printf("untagged: %s\n", u);
                strv_foreach(d, res->deleted)
                        printf("deleted: %s\n", d);
                printf("\n");
        }
        report_size(res->reclaimed, 4, size, sizeof(size));
        printf("Total reclaimed space: %s\n", size);
}

static int
cmd_prune(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' },
                { "force", no_argument, NULL, 'f' },
                { 0 },
        };
        cleanup_store struct store *s = NULL;
        struct image_rm_result res = { 0 };
        bool all = false, force = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+af", opts, NULL)) != -1) {
                if (c == 'a')
                        all = true;
                else if (c == 'f')
                        force = true;
                else
                        return bad_usage("prune", "valid flags", err);
        }
        if (!force && !confirm(all ? "WARNING! This will remove all images without at least "
                                     "one container associated to them."
                                   : "WARNING! This will remove all dangling images."))
                return 0;
        r = open_store(g, &s, err);
        if (r == 0)
                r = image_prune(s, all, &res, err);
        if (r == 0)
                print_prune(&res);
        image_rm_result_release(&res);
        return r;
}

/* ---- inspect, history ---- */

static int
inspect_one(struct store *s, const struct store_index *idx, const char *what,
            const struct report_tmpl *t, json_object *all, struct err *err)
{
        struct store_image *entry;
        struct image *img;
        json_object *o;
        int r = image_resolve(idx, what, &entry, err);

        if (r == 0)
                r = image_open(s, entry, &img, err);
        if (r < 0)
                return r;
        o = image_inspect_json(s, img);
        image_free(img);
        if (t) {
                cleanup_sbuf struct sbuf sb = SBUF_INIT;

                r = report_tmpl_render(t, o, &sb, err);
                if (r == 0)
                        puts(sb.buf);
                json_object_put(o);
                return r;
        }
        json_object_array_add(all, o);
        return 0;
}

static int
cmd_inspect(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "platform", required_argument, NULL, 'P' },
                { 0 },
        };
        cleanup_store struct store *s = NULL;
        const char *format = NULL;
        struct report_tmpl t = { 0 };
        struct store_index idx = { 0 };
        json_object *all = json_object_new_array();
        int c, r = 0;

        optind = 0;
        while (r == 0 && (c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1)
                if (c == 'f')
                        format = optarg;
                else if (c != 'P')
                        r = bad_usage("inspect", "valid flags", err);
        if (r == 0 && optind >= argc)
                r = bad_usage("inspect", "at least 1 argument", err);
        if (r == 0 && format && strcmp(format, "json") != 0)
                r = report_tmpl_parse(format, &t, err);
        if (r == 0)
                r = open_store(g, &s, err);
        if (r == 0)
                r = store_pin(s, err);
        if (r == 0)
                r = store_index_read(s, &idx, err);
        for (int i = optind; r == 0 && i < argc; i++)
                r = inspect_one(s, &idx, argv[i], t.text ? &t : NULL, all, err);
        if (r == 0 && !t.text) {
                cleanup_free char *text = jsonx_string(all, "    ");

                puts(text);
        }
        if (r < 0 && err_is_set(err) && !strncmp(err->msg, "No such image", 13) && !t.text)
                puts("[]");
        store_index_release(&idx);
        report_tmpl_release(&t);
        json_object_put(all);
        return r;
}

struct history_opts {
        bool human, no_trunc, quiet;
        const char *format;
};

/* ellipsis: docker's stringutils.Ellipsis: at most max code points, the last one "…". */
static char *
ellipsis(const char *s, size_t max)
{
        size_t cps = 0, i = 0, cut = 0;

        for (; s[i]; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80 && ++cps == max)
                        cut = i;
        if (cps <= max)
                return xstrdup(s);
        return xasprintf("%.*s…", (int)cut, s);
}

static json_object *
history_fields(const struct image_history_row *row, const struct history_opts *ho)
{
        json_object *o = json_object_new_object();
        char ago[64], size[32], at[64], short_id[13];
        cleanup_free char *by = xstrdup(row->created_by), *cut = NULL;
        struct timespec ts = { .tv_sec = (time_t)row->created };

        for (char *p = by; *p; p++)
                if (*p == '\t')
                        *p = ' ';
        cut = ho->no_trunc ? xstrdup(by) : ellipsis(by, 45);
        report_ago((time_t)row->created, time(NULL), ago, sizeof(ago));
        report_time_rfc3339(&ts, at, sizeof(at));
        if (ho->human)
                report_size(row->size, 3, size, sizeof(size));
        else
                snprintf(size, sizeof(size), "%llu", (unsigned long long)row->size);
        if (row->id)
                image_short_id(row->id, short_id);
        jsonx_add_str(o, "Comment", row->comment);
        jsonx_add_str(o, "CreatedAt", at);
        jsonx_add_str(o, "CreatedBy", cut);
        jsonx_add_str(o, "CreatedSince", ho->human ? ago : at);
        jsonx_add_str(o, "ID", !row->id ? "<missing>" : ho->no_trunc ? row->id : short_id);
        jsonx_add_str(o, "Size", size);
        return o;
}

static int
history_print(const struct image *img, const struct history_opts *ho, struct err *err)
{
        static const char *const titles[][2] = {
                { "Comment", "COMMENT" },
                { "CreatedAt", "CREATED AT" },
                { "CreatedBy", "CREATED BY" },
                { "CreatedSince", "CREATED" },
                { "ID", "IMAGE" },
                { "Size", "SIZE" },
        };
        struct image_history_row *rows;
        json_object **objs, *header;
        size_t n;
        const char *fmt = ho->quiet ? "{{.ID}}"
                          : ho->format && strcmp(ho->format, "table")
                                  ? ho->format
                                  : "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
                                    "{{.Comment}}";
        int r = image_history(img, &rows, &n, err);

        if (r < 0)
                return r;
        objs = xcalloc(n + 1, sizeof(*objs));
        for (size_t i = 0; i < n; i++)
                objs[i] = history_fields(&rows[i], ho);
        header = header_of(titles, ARRAY_SIZE(titles));
        r = report_print_rows(fmt, header, objs, n, err);
        json_object_put(header);
        free_rows(objs, n);
        image_history_free(rows, n);
        return r;
}

static int
parse_bool_arg(const char *v, bool *ret, struct err *err)
{
        if (v && v[0] == '=') /* "-H=false": getopt hands over "=false" */
                v++;
        if (!v || !strcmp(v, "true") || !strcmp(v, "1")) {
                *ret = true;
                return 0;
        }
        if (!strcmp(v, "false") || !strcmp(v, "0")) {
                *ret = false;
                return 0;
        }
        return err_setf(err, -EINVAL, "invalid boolean value '%s'", v);
}

static int
cmd_history(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "human", optional_argument, NULL, 'H' },
                { "no-trunc", no_argument, NULL, 'T' },
                { "quiet", no_argument, NULL, 'q' },
                { "format", required_argument, NULL, 'F' },
                { "platform", required_argument, NULL, 'P' },
                { 0 },
        };
        struct history_opts ho = { .human = true };
        cleanup_store struct store *s = NULL;
        struct store_index idx = { 0 };
        struct store_image *entry;
        struct image *img = NULL;
        int c, r = 0;

        optind = 0;
        while (r == 0 && (c = getopt_long(argc, argv, "+H::q", opts, NULL)) != -1) {
                if (c == 'H')
                        r = parse_bool_arg(optarg, &ho.human, err);
                else if (c == 'T' || c == 'q')
                        *(c == 'T' ? &ho.no_trunc : &ho.quiet) = true;
                else if (c == 'F')
                        ho.format = optarg;
                else if (c != 'P')
                        r = bad_usage("history", "valid flags", err);
        }
        if (r == 0 && argc - optind != 1)
                r = bad_usage("history", "exactly 1 argument", err);
        if (r == 0)
                r = open_store(g, &s, err);
        if (r == 0)
                r = store_pin(s, err);
        if (r == 0)
                r = store_index_read(s, &idx, err);
        if (r == 0)
                r = image_resolve(&idx, argv[optind], &entry, err);
        if (r == 0)
                r = image_open(s, entry, &img, err);
        if (r == 0)
                r = history_print(img, &ho, err);
        image_free(img);
        store_index_release(&idx);
        return r;
}

/* ---- save, load ---- */

static int
save_to_file(struct store *s, char **what, enum image_format fmt, const char *out, struct err *err)
{
        cleanup_free char *dir = path_dirname(out);
        cleanup_free char *base = path_basename(out);
        cleanup_free char *tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
        int fd = mkostemp(tmp, O_CLOEXEC);
        int r;

        if (fd < 0)
                return err_setf(err, -errno, "save: create '%s': %s", out, strerror(errno));
        r = image_save(s, what, fmt, fd, err);
        if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, out) < 0))
                r = err_setf(err, -errno, "save: write '%s': %s", out, strerror(errno));
        close(fd);
        if (r < 0)
                unlink(tmp);
        return r;
}

static int
cmd_save(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' },
                { "format", required_argument, NULL, 'F' },
                { "platform", required_argument, NULL, 'P' },
                { 0 },
        };
        cleanup_store struct store *s = NULL;
        enum image_format fmt = IMAGE_FORMAT_DOCKER;
        const char *out = NULL;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
                if (c == 'o')
                        out = optarg;
                else if (c == 'F' && (!strcmp(optarg, "oci") || !strcmp(optarg, "docker")))
                        fmt = !strcmp(optarg, "oci") ? IMAGE_FORMAT_OCI : IMAGE_FORMAT_DOCKER;
                else if (c == 'F')
                        return err_setf(err, -EINVAL, "save: unknown format '%s' (docker or oci)",
                                        optarg);
                else if (c != 'P')
                        return bad_usage("save", "valid flags", err);
        }
        if (optind >= argc)
                return bad_usage("save", "at least 1 argument", err);
        if (!out && isatty(STDOUT_FILENO))
                return err_setf(err, -EINVAL,
                                "cowardly refusing to save to a terminal. Use the "
                                "-o flag or redirect");
        r = open_store(g, &s, err);
        if (r == 0 && out)
                r = save_to_file(s, argv + optind, fmt, out, err);
        else if (r == 0)
                r = image_save(s, argv + optind, fmt, STDOUT_FILENO, err);
        return r;
}

static int
cmd_load(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "input", required_argument, NULL, 'i' },
                { "quiet", no_argument, NULL, 'q' },
                { "platform", required_argument, NULL, 'P' },
                { 0 },
        };
        cleanup_store struct store *s = NULL;
        struct image_load_result res = { 0 };
        const char *in = NULL;
        cleanup_close int fd = -1;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+i:q", opts, NULL)) != -1) {
                if (c == 'i')
                        in = optarg;
                else if (c != 'q' && c != 'P')
                        return bad_usage("load", "valid flags", err);
        }
        if (optind < argc)
                return bad_usage("load", "no arguments", err);
        if (!in && isatty(STDIN_FILENO))
                return err_setf(err, -EINVAL, "requested load from stdin, but stdin is empty");
        fd = in ? open(in, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
        if (fd < 0)
                return err_setf(err, -errno, "load: open '%s': %s", in, strerror(errno));
        r = open_store(g, &s, err);
        if (r == 0)
                r = image_load(s, fd, &res, err);
        strv_foreach(n, res.names)
                printf("Loaded image: %s\n", n);
        strv_foreach(id, res.ids)
                printf("Loaded image ID: %s\n", id);
        image_load_result_release(&res);
        return r;
}

/* ---- dispatch ---- */

static const struct {
        const char *name;
        const char *alias;
        int (*run)(struct cli_globals *g, int argc, char **argv, struct err *err);
        const char *summary;
} subcommands[] = {
        { "build", NULL, cmd_image_build, "Build an image from a Dockerfile" },
        { "history", NULL, cmd_history, "Show the history of an image" },
        { "import", NULL, cmd_import,
          "Import the contents from a tarball to create a filesystem image" },
        { "inspect", NULL, cmd_inspect, "Display detailed information on one or more images" },
        { "load", NULL, cmd_load, "Load an image from a tar archive or STDIN" },
        { "ls", "list", cmd_ls, "List images" },
        { "prune", NULL, cmd_prune, "Remove unused images" },
        { "pull", NULL, cmd_image_pull, "Download an image from a registry" },
        { "push", NULL, cmd_image_push, "Upload an image to a registry" },
        { "rm", "remove", cmd_rm, "Remove one or more images" },
        { "save", NULL, cmd_save,
          "Save one or more images to a tar archive (streamed to STDOUT by default)" },
        { "tag", NULL, cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
};

static void
image_usage(FILE *f)
{
        fprintf(f, "Usage: berth image COMMAND\n\nManage images\n\nCommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
}

int
cmd_image(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const char *const later[] = { "pull", "push" };

        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                image_usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? err_setf(err, -EINVAL, "image: no command given") : 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                if (!strcmp(argv[1], subcommands[i].name) ||
                    (subcommands[i].alias && !strcmp(argv[1], subcommands[i].alias)))
                        return subcommands[i].run(g, argc - 1, argv + 1, err);
        for (size_t i = 0; i < ARRAY_SIZE(later); i++)
                if (!strcmp(argv[1], later[i]))
                        return err_setf(err, -ENOTSUP,
                                        "'image %s' is not available in this "
                                        "version of berth",
                                        argv[1]);
        return err_setf(err, -EINVAL, "unknown command 'image %s'; see 'berth image --help'",
                        argv[1]);
}
