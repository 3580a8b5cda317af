/* `berth ps`, `ls`, `logs`, `images`, `port`: docker compose v2's views of a project. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "compose/container_int.h"
#include "compose/stack.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/report.h"
#include "engine/store.h"

/* ---- ps ------------------------------------------------------------------------------------ */

struct ps_opts {
        bool all, quiet, services, no_trunc, orphans;
        const char *format;
        char **status;
};

static const char *
state_of(const struct stack_ctr *sc)
{
        const char *s = jsonx_str(sc->state, "Status");

        if (!s)
                return "dead";
        if ((strcmp(s, "running") == 0 || strcmp(s, "restarting") == 0) && !sc->running)
                return "dead";
        return s;
}

static json_object *
ps_row(const struct stack_ctr *sc)
{
        json_object *o = json_object_new_object();
        cleanup_sbuf struct sbuf status = SBUF_INIT;
        cleanup_sbuf struct sbuf created = SBUF_INIT;
        cleanup_free char *cmd = cmd_container_command_text(sc->c);
        cleanup_free char *ports = cmd_container_ports_text(sc->c);
        const char *health = jsonx_str(jsonx_get(sc->state, "Health"), "Status");
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        cmd_container_status_text(&status, sc->c, sc->state);
        cmd_container_human(&created, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec -
                                              cmd_container_parse_time(jsonx_str(sc->c->config, "Created")));
        sbuf_adds(&created, " ago");
        jsonx_add_str(o, "ID", sc->c->id);
        jsonx_add_str(o, "Name", sc->c->name);
        jsonx_add_str(o, "Image", jsonx_str(sc->c->config, "Image"));
        jsonx_add_str(o, "Command", cmd);
        jsonx_add_str(o, "Project", jsonx_str(jsonx_get(sc->c->config, "Labels"), STACK_LABEL_PROJECT));
        jsonx_add_str(o, "Service", sc->service);
        jsonx_add_str(o, "CreatedAt", jsonx_str(sc->c->config, "Created"));
        jsonx_add_str(o, "RunningFor", created.buf ? created.buf : "");
        jsonx_add_str(o, "State", state_of(sc));
        jsonx_add_str(o, "Status", status.buf ? status.buf : "");
        jsonx_add_str(o, "Health", health ? health : "");
        jsonx_add_int(o, "ExitCode", jsonx_int(sc->state, "ExitCode", 0));
        jsonx_add_str(o, "Ports", ports);
        jsonx_add_str(o, "Publishers", NULL);
        return o;
}

static bool
ps_keep(const struct stack *s, const struct stack_ctr *sc, const struct ps_opts *o)
{
        ssize_t i = stack_service_find(s, sc->service);

        if (s->p && (i < 0 ? !o->orphans : !s->svcs[i].selected))
                return false;
        if (o->status)
                return strv_contains(o->status, state_of(sc));
        return o->all || sc->running;
}

static int
ps_parse(struct ps_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
                { "services", no_argument, NULL, 'S' }, { "format", required_argument, NULL, 'F' },
                { "status", required_argument, NULL, 's' }, { "no-trunc", no_argument, NULL, 'n' },
                { "orphans", no_argument, NULL, 'o' }, { "filter", required_argument, NULL, 'f' },
                { 0 },
        };
        int c;

        o->orphans = true;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+aqf:", opts, NULL)) != -1) {
                switch (c) {
                case 'a': o->all = true; break;
                case 'q': o->quiet = true; break;
                case 'S': o->services = true; break;
                case 'F': o->format = optarg; break;
                case 's': strv_add(&o->status, optarg); break;
                case 'n': o->no_trunc = true; break;
                case 'o': o->orphans = true; break;
                case 'f':
                        if (strncmp(optarg, "status=", 7) != 0)
                                return err_setf(err, -ENOTSUP, "ps --filter '%s': only status= "
                                                "is supported", optarg);
                        strv_add(&o->status, optarg + 7);
                        break;
                default:
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth ps --help'",
                                        argv[optind - 1]);
                }
        }
        return optind;
}

static int
by_name(const void *a, const void *b)
{
        return strcmp(jsonx_str(*(json_object *const *)a, "Name"),
                      jsonx_str(*(json_object *const *)b, "Name"));
}

static int
ps_print(const struct stack *s, const struct ps_opts *o, struct err *err)
{
        cleanup_free json_object **rows = xcalloc(s->n_ctrs + 1, sizeof(*rows));
        json_object *header = json_object_new_object();
        const char *fmt = o->format;
        size_t n = 0;
        int r;

        if (!fmt || strcmp(fmt, "table") == 0)
                fmt = "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t"
                      "{{.Status}}\t{{.Ports}}";
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (ps_keep(s, &s->ctrs[i], o))
                        rows[n++] = ps_row(&s->ctrs[i]);
        qsort(rows, n, sizeof(*rows), by_name); /* compose lists by container name */
        jsonx_add_str(header, "Name", "NAME");
        jsonx_add_str(header, "Image", "IMAGE");
        jsonx_add_str(header, "Command", "COMMAND");
        jsonx_add_str(header, "Service", "SERVICE");
        jsonx_add_str(header, "RunningFor", "CREATED");
        jsonx_add_str(header, "Status", "STATUS");
        jsonx_add_str(header, "Ports", "PORTS");
        r = report_print_rows(fmt, header, rows, n, err);
        for (size_t i = 0; i < n; i++)
                json_object_put(rows[i]);
        json_object_put(header);
        return r;
}

int
cmd_compose_ps(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct ps_opts o = { 0 };
        struct stack *s = NULL;
        int first = ps_parse(&o, argc, argv, err), r;

        if (first < 0) {
                strv_free(o.status);
                return first;
        }
        r = stack_open(g, argv + first, STACK_NAME_ONLY, &s, err);
        if (r == 0 && o.services) {
                for (size_t i = 0; i < s->n_svcs; i++)
                        if (s->svcs[i].selected)
                                printf("%s\n", s->svcs[i].name);
        } else if (r == 0 && o.quiet) {
                for (size_t i = 0; i < s->n_ctrs; i++)
                        if (ps_keep(s, &s->ctrs[i], &o))
                                printf("%s\n", s->ctrs[i].c->id);
        } else if (r == 0) {
                r = ps_print(s, &o, err);
        }
        stack_free(s);
        strv_free(o.status);
        return r;
}

/* ---- logs ---------------------------------------------------------------------------------- */

struct logs_opts {
        bool follow, timestamps, no_prefix, no_color;
        long long tail;
        int64_t since, until; /* unix ns, 0: no bound */
        long index;           /* --index: only the replica with this number (0: all) */
};

static int
logs_parse(struct logs_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "follow", no_argument, NULL, 'f' }, { "timestamps", no_argument, NULL, 't' },
                { "tail", required_argument, NULL, 'n' }, { "since", required_argument, NULL, 's' },
                { "no-log-prefix", no_argument, NULL, 'p' }, { "no-color", no_argument, NULL, 'c' },
                { "index", required_argument, NULL, 'i' }, { "until", required_argument, NULL, 'u' },
                { 0 },
        };
        char *end;
        int c;

        o->tail = -1;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+ftn:", opts, NULL)) != -1) {
                switch (c) {
                case 'f': o->follow = true; break;
                case 't': o->timestamps = true; break;
                case 'p': o->no_prefix = true; break;
                case 'c': o->no_color = true; break;
                case 's':
                        if (cmd_container_parse_since(optarg, "--since", &o->since, err) < 0)
                                return err->code;
                        break;
                case 'u':
                        if (cmd_container_parse_since(optarg, "--until", &o->until, err) < 0)
                                return err->code;
                        break;
                case 'i':
                        o->index = strtol(optarg, &end, 10);
                        if (end == optarg || *end || o->index < 1 || o->index > 100000)
                                return err_setf(err, -EINVAL, "invalid --index '%s'", optarg);
                        break;
                case 'n':
                        if (strcmp(optarg, "all") == 0)
                                break;
                        o->tail = strtoll(optarg, &end, 10);
                        if (end == optarg || *end || o->tail < 0)
                                return err_setf(err, -EINVAL, "invalid --tail '%s'", optarg);
                        break;
                default:
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth logs --help'",
                                        argv[optind - 1]);
                }
        }
        return optind;
}

/* logs_round: add the project's containers (also new ones; with --index only that replica
 * of each service); the number that run. */
static size_t
logs_round(struct stack *s, struct stack_logs *l, long index)
{
        struct err e = { 0 };
        size_t live = 0;

        if (stack_refresh(s, &e) < 0)
                return 0;
        for (size_t i = 0; i < s->n_ctrs; i++) {
                ssize_t k = stack_service_find(s, s->ctrs[i].service);
                if (s->p && (k < 0 || !s->svcs[k].selected))
                        continue;
                if (index && (s->ctrs[i].oneoff || s->ctrs[i].number != index))
                        continue;
                stack_logs_add(l, s->ctrs[i].c);
                live += s->ctrs[i].running;
        }
        stack_logs_pump(l);
        return live;
}

int
cmd_compose_logs(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct logs_opts o = { 0 };
        struct stack *s = NULL;
        struct stack_logs l = { 0 };
        int first = logs_parse(&o, argc, argv, err), r;

        if (first < 0)
                return first;
        l = (struct stack_logs){ .tail = o.tail, .timestamps = o.timestamps,
                                 .no_prefix = o.no_prefix, .color = !o.no_color && isatty(1),
                                 .since = o.since, .until = o.until };
        r = stack_open(g, argv + first, STACK_NAME_ONLY, &s, err);
        if (r < 0)
                return r;
        /* -f: until every container has stopped or --until has come (and Ctrl-C ends it like
         * compose's) */
        while (logs_round(s, &l, o.index) > 0 && o.follow && !cmd_container_until_passed(o.until))
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        stack_logs_release(&l);
        stack_free(s);
        return 0;
}

/* ---- ls ------------------------------------------------------------------------------------ */

struct project_row {
        char *name, *files;
        int running, exited, other;
};

static struct project_row *
row_of(struct project_row **rows, size_t *n, const char *name, const char *files)
{
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*rows)[i].name, name) == 0)
                        return &(*rows)[i];
        *rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
        (*rows)[*n] = (struct project_row){ .name = xstrdup(name), .files = xstrdup(files ? files : "") };
        return &(*rows)[(*n)++];
}

static void
status_of_project(const struct project_row *p, struct sbuf *sb)
{
        if (p->running)
                sbuf_addf(sb, "running(%d)", p->running);
        if (p->exited)
                sbuf_addf(sb, "%sexited(%d)", sb->len ? ", " : "", p->exited);
        if (p->other)
                sbuf_addf(sb, "%screated(%d)", sb->len ? ", " : "", p->other);
}

static int
collect_projects(struct cli_globals *g, bool all, struct project_row **rows, size_t *n,
                 struct err *err)
{
        cleanup_strv char **ids = NULL;
        int r = ctr_list(g->root, &ids, err);

        if (r == -ENOENT)
                return 0;
        strv_foreach(id, ids) {
                struct ctr *c = NULL;
                struct err e = { 0 };
                json_object *labels, *st = NULL;
                const char *proj;
                struct project_row *p;
                bool run;
                if (ctr_open(g->root, g->run_root, id, &c, &e) < 0)
                        continue;
                labels = jsonx_get(c->config, "Labels");
                proj = jsonx_str(labels, STACK_LABEL_PROJECT);
                if (proj) {
                        ctr_state_read(c, &st, &e);
                        run = cmd_container_alive(c, st);
                        p = row_of(rows, n, proj, jsonx_str(labels, STACK_LABEL_FILES));
                        if (run)
                                p->running++;
                        else if (st && jsonx_str(st, "FinishedAt"))
                                p->exited++;
                        else
                                p->other++;
                        json_object_put(st);
                }
                ctr_free(c);
        }
        (void)all;
        return r < 0 ? r : 0;
}

int
cmd_compose_ls(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
                { "format", required_argument, NULL, 'F' }, { 0 },
        };
        struct project_row *rows = NULL;
        bool all = false, quiet = false, json = false;
        size_t n = 0;
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+aq", opts, NULL)) != -1) {
                if (c == 'a')
                        all = true;
                else if (c == 'q')
                        quiet = true;
                else if (c == 'F' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
                        json = strcmp(optarg, "json") == 0;
                else
                        return err_setf(err, -EINVAL, "unknown flag '%s'", argv[optind - 1]);
        }
        r = collect_projects(g, all, &rows, &n, err);
        if (r == 0 && !quiet && !json)
                printf("%-24s%-24s%s\n", "NAME", "STATUS", "CONFIG FILES");
        if (json && r == 0)
                printf("[");
        for (size_t i = 0; i < n; i++) {
                cleanup_sbuf struct sbuf st = SBUF_INIT;
                status_of_project(&rows[i], &st);
                if (r == 0 && (all || rows[i].running)) {
                        if (quiet)
                                printf("%s\n", rows[i].name);
                        else if (json)
                                printf("%s{\"Name\":\"%s\",\"Status\":\"%s\",\"ConfigFiles\":\"%s\"}",
                                       i ? "," : "", rows[i].name, st.buf ? st.buf : "", rows[i].files);
                        else
                                printf("%-24s%-24s%s\n", rows[i].name, st.buf ? st.buf : "",
                                       rows[i].files);
                }
                free(rows[i].name);
                free(rows[i].files);
        }
        if (json && r == 0)
                printf("]\n");
        free(rows);
        return r;
}

/* ---- images, port -------------------------------------------------------------------------- */

struct images_opts {
        bool quiet, json;
};

static int
images_parse(struct images_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "format", required_argument, NULL, 'F' },
                { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
                if (c == 'q')
                        o->quiet = true;
                else if (c == 'F' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
                        o->json = !strcmp(optarg, "json");
                else if (c == 'F')
                        return err_setf(err, -EINVAL, "invalid format '%s': images takes "
                                                      "table or json", optarg);
                else
                        return err_setf(err, -EINVAL, "unknown flag: %s", argv[optind - 1]);
        }
        return optind;
}

/* image_size: docker's Size of the image id names (its unpacked layers), 0 when the store
 * no longer has it */
static uint64_t
image_size(struct store *st, const struct store_index *idx, const char *id)
{
        struct store_image *entry = NULL;
        struct image *img = NULL;
        uint64_t size = 0;

        if (!id || !*id || image_resolve(idx, id, &entry, &(struct err){ 0 }) < 0)
                return 0;
        if (image_open(st, entry, &img, &(struct err){ 0 }) == 0)
                size = img->size;
        image_free(img);
        return size;
}

/* images_row: one container's image, as a table line or a docker compose JSON object */
static void
images_row(struct report_table *t, json_object *arr, const struct stack_ctr *sc, uint64_t size)
{
        const char *image = jsonx_str(sc->c->config, "Image");
        const char *id = sc->image_id ? sc->image_id : "";
        cleanup_free char *repo = xstrdup(image ? image : "");
        char *colon = strrchr(repo, ':'), short_id[13] = "", human[32];
        json_object *o;

        if (colon && !strchr(colon, '/'))
                *colon++ = 0;
        else
                colon = NULL;
        if (strlen(id) > 7)
                image_short_id(id, short_id);
        if (!arr) {
                report_size(size, 3, human, sizeof(human));
                report_table_addf(t, "%s\t%s\t%s\t%s\t%s", sc->c->name, repo,
                                  colon ? colon : "latest", short_id, human);
                return;
        }
        o = json_object_new_object();
        jsonx_add_str(o, "ID", id);
        jsonx_add_str(o, "ContainerName", sc->c->name);
        jsonx_add_str(o, "Repository", repo);
        jsonx_add_str(o, "Tag", colon ? colon : "latest");
        json_object_object_add(o, "Size", json_object_new_int64((int64_t)size));
        json_object_array_add(arr, o);
}

static int
images_print(struct cli_globals *g, const struct stack *s, bool json, struct err *err)
{
        struct store *st = NULL;
        struct store_index idx = { 0 };
        struct report_table t = { 0 };
        json_object *arr = json ? json_object_new_array() : NULL;
        int r = store_open(g->root, &st, err);

        if (r == 0)
                r = store_pin(st, err);
        if (r == 0) {
                r = store_index_read(st, &idx, err);
                if (r < 0)
                        store_unpin(st);
        }
        if (r < 0) {
                store_free(st);
                json_object_put(arr);
                return r;
        }
        if (!json)
                report_table_add(&t, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE");
        for (size_t i = 0; i < s->n_ctrs; i++)
                images_row(&t, arr, &s->ctrs[i], image_size(st, &idx, s->ctrs[i].image_id));
        store_index_release(&idx);
        store_unpin(st);
        store_free(st);
        if (json)
                printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
                                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
        report_table_flush(&t, stdout);
        report_table_release(&t);
        json_object_put(arr);
        return 0;
}

int
cmd_compose_images(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct images_opts o = { 0 };
        struct stack *s = NULL;
        int first = images_parse(&o, argc, argv, err), r;

        if (first < 0)
                return first;
        r = stack_open(g, argv + first, STACK_NAME_ONLY, &s, err);
        if (r < 0)
                return r;
        if (o.quiet)
                for (size_t i = 0; i < s->n_ctrs; i++)
                        printf("%s\n", s->ctrs[i].image_id ? s->ctrs[i].image_id : "");
        else
                r = images_print(g, s, o.json, err);
        stack_free(s);
        return r;
}

int
cmd_compose_port(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct stack *s = NULL;
        cleanup_free struct stack_ctr **cs = NULL;
        char verb[] = "port";
        char *args[4] = { verb, NULL, NULL, NULL };
        int r;

        if (argc != 3)
                return err_setf(err, -EINVAL, "usage: berth port SERVICE PRIVATE_PORT[/PROTO]");
        r = stack_open(g, NULL, STACK_MODEL, &s, err);
        if (r < 0)
                return r;
        if (stack_service_find(s, argv[1]) < 0) {
                stack_free(s);
                return err_setf(err, -ENOENT, "no such service: %s", argv[1]);
        }
        cs = stack_ctrs_of(s, argv[1]);
        if (!cs[0]) {
                stack_free(s);
                return err_setf(err, -ENOENT, "service \"%s\" is not running", argv[1]);
        }
        args[1] = cs[0]->c->id;
        args[2] = argv[2];
        r = cmd_container_port(g, 3, args, err);
        stack_free(s);
        return r;
}

/* ---- wait ---------------------------------------------------------------------------------- */

/* wait_first: the exit code of the first of the project's running containers to exit (-1
 * when none runs). */
static int
wait_first(struct stack *s, struct err *err)
{
        for (;;) {
                size_t live = 0;
                int r = stack_refresh(s, err);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < s->n_ctrs; i++) {
                        ssize_t k = stack_service_find(s, s->ctrs[i].service);
                        if (s->ctrs[i].oneoff || (s->p && (k < 0 || !s->svcs[k].selected)))
                                continue;
                        if (s->ctrs[i].running)
                                live++;
                }
                if (!live)
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
                for (size_t i = 0; i < s->n_ctrs; i++) {
                        json_object *st = NULL;
                        struct err e = { 0 };
                        ssize_t k = stack_service_find(s, s->ctrs[i].service);
                        if (!s->ctrs[i].running || s->ctrs[i].oneoff ||
                            (s->p && (k < 0 || !s->svcs[k].selected)))
                                continue;
                        if (ctr_state_read(s->ctrs[i].c, &st, &e) == 0 &&
                            !cmd_container_alive(s->ctrs[i].c, st)) {
                                int code = (int)jsonx_int(st, "ExitCode", 0);
                                json_object_put(st);
                                return code;
                        }
                        json_object_put(st);
                }
        }
        return -1;
}

int
cmd_compose_wait(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct stack *s = NULL;
        bool down = false;
        int first = 1, r, code;

        if (argc > 1 && strcmp(argv[1], "--down-project") == 0) {
                down = true;
                first = 2;
        }
        if (argc <= first)
                return err_setf(err, -EINVAL, "'wait' requires at least 1 argument: SERVICE");
        r = stack_open(g, argv + first, STACK_MODEL, &s, err);
        if (r < 0)
                return r;
        code = wait_first(s, err);
        stack_free(s);
        if (code < 0 && err_is_set(err))
                return code;
        if (code < 0)
                return err_setf(err, -ENOENT, "no running container to wait for");
        printf("%d\n", code);
        if (down) {
                char verb[] = "down";
                char *dargv[] = { verb, NULL };
                r = cmd_compose_down(g, 1, dargv, err);
                if (r < 0)
                        return r;
        }
        return code;
}
