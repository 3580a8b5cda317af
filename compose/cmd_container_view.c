/* cmd_container_view: `container ls`, `inspect` and `logs`, read from the container records
 * (engine/container.h) without talking to any monitor.
 *
 * ls prints docker ps's table (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES)
 * or, with --format json, one JSON object per line with docker's keys. Durations are docker's
 * go-units HumanDuration ("Up 5 seconds", "Exited (0) About a minute ago").
 * logs reads log.json.1 then log.json (docker json-file lines, see engine/monitor.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "engine/monitor.h"
#include "engine/report.h"

#define LOG_READ_MAX (MONITOR_LOG_MAX + (4u << 20))

static const char *
jget(json_object *o, const char *k)
{
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int64_t
cmd_container_parse_time(const char *s)
{
        struct tm tm = { 0 };
        const char *p;
        int64_t ns = 0, scale = 100000000;

        if (!s)
                return 0;
        p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return 0;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
                        ns += (*p - '0') * scale;
        return (int64_t)timegm(&tm) * 1000000000 + ns;
}

static int64_t
now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* human: go-units HumanDuration. */
void
cmd_container_human(struct sbuf *sb, int64_t ns)
{
        int64_t s = ns / 1000000000, m = s / 60, h = m / 60;

        if (s < 1)
                sbuf_adds(sb, "Less than a second");
        else if (s == 1)
                sbuf_adds(sb, "1 second");
        else if (s < 60)
                sbuf_addf(sb, "%lld seconds", (long long)s);
        else if (m == 1)
                sbuf_adds(sb, "About a minute");
        else if (m < 60)
                sbuf_addf(sb, "%lld minutes", (long long)m);
        else if (h < 2)
                sbuf_adds(sb, "About an hour");
        else if (h < 48)
                sbuf_addf(sb, "%lld hours", (long long)h);
        else if (h < 24 * 7 * 2)
                sbuf_addf(sb, "%lld days", (long long)(h / 24));
        else if (h < 24 * 30 * 2)
                sbuf_addf(sb, "%lld weeks", (long long)(h / 24 / 7));
        else if (h < 24 * 365 * 2)
                sbuf_addf(sb, "%lld months", (long long)(h / 24 / 30));
        else
                sbuf_addf(sb, "%lld years", (long long)(h / 24 / 365));
}

int
cmd_container_alive(const struct ctr *c, json_object *state)
{
        (void)state;
        return monitor_alive(c);
}

/* status_of: docker's State.Status, correcting a record whose monitor died. */
static const char *
status_of(const struct ctr *c, json_object *st)
{
        const char *s = jget(st, "Status");

        if (!s)
                return "dead";
        if ((strcmp(s, "running") == 0 || strcmp(s, "restarting") == 0) &&
            !cmd_container_alive(c, st))
                return "dead";
        if (strcmp(s, "running") == 0 &&
            json_object_get_boolean(json_object_object_get(st, "Paused")))
                return "paused";
        return s;
}

void
cmd_container_status_text(struct sbuf *sb, const struct ctr *c, json_object *st)
{
        const char *s = status_of(c, st);
        int64_t now = now_ns();
        json_object *code = json_object_object_get(st, "ExitCode");
        json_object *health = json_object_object_get(st, "Health");
        const char *hs = jget(health, "Status");

        if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0) {
                sbuf_adds(sb, "Up ");
                cmd_container_human(sb, now - cmd_container_parse_time(jget(st, "StartedAt")));
                if (strcmp(s, "paused") == 0)
                        sbuf_adds(sb, " (Paused)");
                else if (hs)
                        sbuf_addf(sb, " (%s)", strcmp(hs, "starting") == 0 ? "health: starting" : hs);
        } else if (strcmp(s, "exited") == 0 || strcmp(s, "restarting") == 0) {
                sbuf_addf(sb, "%s (%d) ", strcmp(s, "exited") == 0 ? "Exited" : "Restarting",
                          json_object_get_int(code));
                cmd_container_human(sb, now - cmd_container_parse_time(jget(st, "FinishedAt")));
                sbuf_adds(sb, " ago");
        } else if (strcmp(s, "created") == 0) {
                sbuf_adds(sb, "Created");
        } else {
                sbuf_adds(sb, "Dead");
        }
}

static char *command_text(const struct ctr *c, int trunc);

char *
cmd_container_command_text(const struct ctr *c)
{
        return command_text(c, 1);
}

static char *
command_text(const struct ctr *c, int trunc)
{
        struct sbuf sb = SBUF_INIT;
        json_object *args = json_object_object_get(c->config, "Args");
        const char *path = jget(c->config, "Path");

        sbuf_addf(&sb, "\"%s", path ? path : "");
        for (size_t i = 0; args && i < json_object_array_length(args); i++)
                sbuf_addf(&sb, " %s", json_object_get_string(json_object_array_get_idx(args, i)));
        if (trunc && sb.len > 21) {
                sbuf_truncate(&sb, 19);
                sbuf_adds(&sb, "…");
        }
        sbuf_addch(&sb, '"');
        return sbuf_detach(&sb);
}

#define LS_COLS 7

struct ls_opts {
        int all, quiet, json, no_trunc;
        const char *format; /* a --format template (not "json" or "table"), or NULL */
        char **cells;       /* table cells, LS_COLS per row, header first */
        json_object **rows; /* with format: one object of ls_fields a container */
        size_t n_rows;
};

/* width: display columns of s (code points; the table holds no wide characters). */
static size_t
width(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += ((unsigned char)*s & 0xC0) != 0x80;
        return n;
}

/* table_print: docker's tabwriter layout: each column as wide as its widest cell + 3. */
static void
table_print(char **cells)
{
        size_t w[LS_COLS] = { 0 }, n = strv_length(cells);

        for (size_t i = 0; i < n; i++) {
                size_t len = width(cells[i]);
                if (len > w[i % LS_COLS])
                        w[i % LS_COLS] = len;
        }
        for (size_t i = 0; i < n; i++) {
                size_t col = i % LS_COLS;
                if (col == LS_COLS - 1) {
                        printf("%s\n", cells[i]);
                        continue;
                }
                printf("%s%*s", cells[i], (int)(w[col] + 3 - width(cells[i])), "");
        }
}

/* created_at: docker ps's CreatedAt, "2006-01-02 15:04:05 +0000 UTC". */
static void
created_at(const struct ctr *c, char buf[48])
{
        time_t t = (time_t)(cmd_container_parse_time(jget(c->config, "Created")) / 1000000000);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, 48, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

/* mounts_text: docker ps's Mounts (volume names or bind sources, each cut to 15 characters
 * with an ellipsis) and LocalVolumes (the volumes among them). */
static void
mounts_text(const struct ctr *c, struct sbuf *sb, char nvol[16])
{
        json_object *ms = json_object_object_get(c->config, "Mounts");
        size_t n = json_object_is_type(ms, json_type_array) ? json_object_array_length(ms) : 0;
        int vols = 0;

        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_array_get_idx(ms, i);
                const char *name = jget(m, "Name") ? jget(m, "Name") : jget(m, "Source");

                vols += jget(m, "Driver") && strcmp(jget(m, "Driver"), "local") == 0;
                if (!name || !*name)
                        continue;
                if (sb->len)
                        sbuf_addch(sb, ',');
                if (strlen(name) > 15)
                        sbuf_addf(sb, "%.14s\u2026", name);
                else
                        sbuf_adds(sb, name);
        }
        snprintf(nvol, 16, "%d", vols);
}

/* ls_fields: a container as docker's --format fields (ID, Image, Command, ...) */
static json_object *
ls_fields(const struct ctr *c, json_object *st, const char *cmd, const char *status, int no_trunc)
{
        json_object *o = json_object_new_object();
        cleanup_sbuf struct sbuf rf = SBUF_INIT;
        json_object *labels = json_object_object_get(c->config, "Labels");
        cleanup_sbuf struct sbuf lb = SBUF_INIT;
        cleanup_sbuf struct sbuf mounts = SBUF_INIT;
        cleanup_free char *nets = cmd_container_networks_text(c);
        cleanup_free char *ports = cmd_container_ports_text(c);
        char when[48], nvol[16];

        created_at(c, when);
        mounts_text(c, &mounts, nvol);
        cmd_container_human(&rf, now_ns() - cmd_container_parse_time(jget(c->config, "Created")));
        sbuf_adds(&rf, " ago");
        if (labels) {
                json_object_object_foreach(labels, k, v)
                        sbuf_addf(&lb, "%s%s=%s", lb.len ? "," : "", k, json_object_get_string(v));
        }
        json_object_object_add(o, "Command", json_object_new_string(cmd));
        json_object_object_add(o, "CreatedAt", json_object_new_string(when));
        json_object_object_add(o, "ID", json_object_new_string_len(c->id, no_trunc ? 64 : 12));
        json_object_object_add(o, "Image", json_object_new_string(jget(c->config, "Image")));
        json_object_object_add(o, "Labels", json_object_new_string(lb.len ? lb.buf : ""));
        json_object_object_add(o, "LocalVolumes", json_object_new_string(nvol));
        json_object_object_add(o, "Mounts", json_object_new_string(mounts.len ? mounts.buf : ""));
        json_object_object_add(o, "Names", json_object_new_string(c->name));
        json_object_object_add(o, "Networks", json_object_new_string(nets));
        json_object_object_add(o, "Ports", json_object_new_string(ports));
        json_object_object_add(o, "RunningFor", json_object_new_string(rf.buf ? rf.buf : ""));
        json_object_object_add(o, "Size", json_object_new_string("0B"));
        json_object_object_add(o, "State", json_object_new_string(status_of(c, st)));
        json_object_object_add(o, "Status", json_object_new_string(status));
        return o;
}

static void
ls_one(struct ls_opts *o, const struct ctr *c, json_object *st)
{
        cleanup_sbuf struct sbuf status = SBUF_INIT;
        cleanup_sbuf struct sbuf created = SBUF_INIT;
        cleanup_free char *cmd = NULL;
        const char *s = status_of(c, st);

        if (!o->all && strcmp(s, "running") != 0 && strcmp(s, "restarting") != 0 &&
            strcmp(s, "paused") != 0)
                return;
        if (o->quiet) {
                printf("%.12s\n", c->id);
                return;
        }
        cmd_container_status_text(&status, c, st);
        cmd_container_human(&created, now_ns() - cmd_container_parse_time(jget(c->config, "Created")));
        sbuf_adds(&created, " ago");
        cmd = command_text(c, !o->no_trunc);
        if (o->json || o->format) {
                json_object *f = ls_fields(c, st, cmd, status.buf, o->no_trunc);

                if (o->format) {
                        o->rows = xreallocarray(o->rows, o->n_rows + 1, sizeof(*o->rows));
                        o->rows[o->n_rows++] = f;
                        return;
                }
                printf("%s\n", json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN |
                                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(f);
                return;
        }
        strv_push(&o->cells, xstrndup(c->id, o->no_trunc ? 64 : 12));
        strv_add(&o->cells, jget(c->config, "Image"));
        strv_add(&o->cells, cmd);
        strv_add(&o->cells, created.buf);
        strv_add(&o->cells, status.buf);
        strv_push(&o->cells, cmd_container_ports_text(c));
        strv_add(&o->cells, c->name);
}

static int
ls_parse(struct ls_opts *o, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' },
                { "quiet", no_argument, NULL, 'q' },
                { "format", required_argument, NULL, 'f' },
                { "no-trunc", no_argument, NULL, 'N' },
                { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "aq", opts, NULL)) != -1) {
                if (c == 'a')
                        o->all = 1;
                else if (c == 'q')
                        o->quiet = 1;
                else if (c == 'f' && strcmp(optarg, "json") == 0)
                        o->json = 1;
                else if (c == 'f' && strcmp(optarg, "table") != 0)
                        o->format = optarg;
                else if (c == 'N')
                        o->no_trunc = 1;
                else if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container ls'",
                                        argv[optind - 1]);
        }
        if (optind < argc)
                return err_setf(err, -EINVAL, "'container ls' takes no arguments");
        return 0;
}

/* ls_print_format: the rows through a --format template ("table ..." gets docker's titles) */
static int
ls_print_format(struct ls_opts *o, struct err *err)
{
        static const char *const titles[][2] = {
                { "Command", "COMMAND" },   { "CreatedAt", "CREATED AT" },
                { "ID", "CONTAINER ID" },   { "Image", "IMAGE" },
                { "Labels", "LABELS" },     { "LocalVolumes", "LOCAL VOLUMES" },
                { "Mounts", "MOUNTS" },     { "Names", "NAMES" },
                { "Networks", "NETWORKS" }, { "Ports", "PORTS" },
                { "RunningFor", "CREATED" }, { "Size", "SIZE" },
                { "State", "STATE" },       { "Status", "STATUS" },
        };
        json_object *header = json_object_new_object();
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(titles); i++)
                json_object_object_add(header, titles[i][0], json_object_new_string(titles[i][1]));
        r = report_print_rows(o->format, header, o->rows, o->n_rows, err);
        json_object_put(header);
        for (size_t i = 0; i < o->n_rows; i++)
                json_object_put(o->rows[i]);
        free(o->rows);
        return r;
}

int
cmd_container_ls(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct ls_opts o = { 0 };
        cleanup_strv char **ids = NULL;
        int r = ls_parse(&o, argc, argv, err);

        if (r >= 0)
                r = ctr_list(g->root, &ids, err);
        if (r < 0)
                return r;
        if (!o.quiet && !o.json && !o.format) {
                static const char *const head[LS_COLS] = { "CONTAINER ID", "IMAGE", "COMMAND",
                                                           "CREATED", "STATUS", "PORTS", "NAMES" };
                for (size_t i = 0; i < LS_COLS; i++)
                        strv_add(&o.cells, head[i]);
        }
        strv_foreach(id, ids) {
                struct ctr *c = NULL;
                json_object *st = NULL;
                struct err e = { 0 };
                if (ctr_open(g->root, g->run_root, id, &c, &e) < 0)
                        continue; /* removed meanwhile, or half-created */
                ctr_state_read(c, &st, &e);
                ls_one(&o, c, st);
                json_object_put(st);
                ctr_free(c);
        }
        table_print(o.cells);
        strv_free(o.cells);
        return o.format ? ls_print_format(&o, err) : 0;
}

/* ---- inspect ---- */

static json_object *
copy_key(json_object *from, const char *k)
{
        json_object *v = NULL;

        json_object_object_get_ex(from, k, &v);
        return json_object_get(v);
}

static json_object *
inspect_state(const struct ctr *c, json_object *st)
{
        json_object *s = json_object_new_object();
        const char *status = status_of(c, st);
        json_object *pid = json_object_object_get(st, "Pid");
        int up = strcmp(status, "running") == 0 || strcmp(status, "paused") == 0;

        json_object_object_add(s, "Status", json_object_new_string(status));
        json_object_object_add(s, "Running", json_object_new_boolean(up));
        json_object_object_add(s, "Paused", json_object_new_boolean(strcmp(status, "paused") == 0));
        json_object_object_add(s, "Restarting",
                               json_object_new_boolean(strcmp(status, "restarting") == 0));
        json_object_object_add(s, "OOMKilled",
                               json_object_new_boolean(json_object_get_boolean(
                                       json_object_object_get(st, "OOMKilled"))));
        json_object_object_add(s, "Dead", json_object_new_boolean(strcmp(status, "dead") == 0));
        json_object_object_add(s, "Pid", json_object_new_int(
                                                 up ? json_object_get_int(pid) : 0));
        json_object_object_add(s, "ExitCode",
                               json_object_new_int(json_object_get_int(json_object_object_get(st, "ExitCode"))));
        json_object_object_add(s, "Error", json_object_new_string(jget(st, "Error") ? jget(st, "Error") : ""));
        json_object_object_add(s, "StartedAt", json_object_new_string(
                                                       jget(st, "StartedAt") ? jget(st, "StartedAt") : "0001-01-01T00:00:00Z"));
        json_object_object_add(s, "FinishedAt", json_object_new_string(
                                                        jget(st, "FinishedAt") ? jget(st, "FinishedAt") : "0001-01-01T00:00:00Z"));
        if (json_object_object_get(st, "Health"))
                json_object_object_add(s, "Health", copy_key(st, "Health"));
        return s;
}

static json_object *
inspect_config(const struct ctr *c)
{
        json_object *o = json_object_new_object();
        json_object *cfg = c->config;
        const char *host = jget(cfg, "Hostname");
        static const char *const keys[] = { "User", "Env", "Cmd", "Image", "WorkingDir",
                                            "Entrypoint", "Labels", "StopSignal", "StopTimeout",
                                            "Healthcheck" };

        json_object_object_add(o, "Hostname", host ? json_object_new_string(host)
                                                   : json_object_new_string_len(c->id, 12));
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (json_object_object_get(cfg, keys[i]) || strcmp(keys[i], "Healthcheck") != 0)
                        json_object_object_add(o, keys[i], copy_key(cfg, keys[i]));
        json_object_object_add(o, "Tty", json_object_new_boolean(
                                                 json_object_get_boolean(json_object_object_get(cfg, "Tty"))));
        json_object_object_add(o, "OpenStdin", copy_key(cfg, "Interactive"));
        return o;
}

static json_object *
inspect_one(const struct ctr *c, json_object *st)
{
        json_object *o = json_object_new_object();
        cleanup_free char *name = xasprintf("/%s", c->name);
        cleanup_free char *log = ctr_path(c, "log.json");

        json_object_object_add(o, "Id", json_object_new_string(c->id));
        json_object_object_add(o, "Created", copy_key(c->config, "Created"));
        json_object_object_add(o, "Path", copy_key(c->config, "Path"));
        json_object_object_add(o, "Args", copy_key(c->config, "Args"));
        json_object_object_add(o, "State", inspect_state(c, st));
        json_object_object_add(o, "Image", copy_key(c->config, "ImageID"));
        json_object_object_add(o, "LogPath", json_object_new_string(log));
        json_object_object_add(o, "Name", json_object_new_string(name));
        json_object_object_add(o, "RestartCount",
                               json_object_new_int(json_object_get_int(json_object_object_get(st, "RestartCount"))));
        json_object_object_add(o, "Driver", json_object_new_string("overlay"));
        json_object_object_add(o, "HostConfig", copy_key(c->config, "HostConfig"));
        json_object_object_add(o, "Mounts", json_object_object_get(c->config, "Mounts")
                                                    ? copy_key(c->config, "Mounts")
                                                    : json_object_new_array());
        json_object_object_add(o, "Config", inspect_config(c));
        json_object_object_add(o, "NetworkSettings", cmd_container_net_settings(c));
        return o;
}

/* inspect_parse: -f/--format (docker's Go template subset, or json); the optind of the
 * first container */
static int
inspect_parse(int argc, char **argv, const char **ret_fmt, struct err *err)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "size", no_argument, NULL, 's' },
                { 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "f:s", opts, NULL)) != -1) {
                if (c == 'f')
                        *ret_fmt = optarg;
                else if (c == 's')
                        return err_setf(err, -ENOTSUP, "'container inspect --size' is not "
                                                       "available yet");
                else
                        return err_setf(err, -EINVAL, "unknown flag '%s' for 'container inspect'",
                                        argv[optind - 1]);
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'container inspect' requires at least 1 argument");
        return optind;
}

int
cmd_container_inspect(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        const char *fmt = NULL;
        int first = inspect_parse(argc, argv, &fmt, err), r, missing = 0;
        json_object *arr;

        if (first < 0)
                return first;
        arr = json_object_new_array();
        for (int i = first; i < argc; i++) {
                struct ctr *c = NULL;
                json_object *st = NULL;
                struct err e = { 0 };
                if (ctr_open(g->root, g->run_root, argv[i], &c, &e) < 0) {
                        fprintf(stderr, "berth: %s\n", e.msg);
                        missing++;
                        continue;
                }
                ctr_state_read(c, &st, &e);
                json_object_array_add(arr, inspect_one(c, st));
                json_object_put(st);
                ctr_free(c);
        }
        r = report_print_inspect(fmt, arr, err);
        json_object_put(arr);
        if (r == 0 && missing)
                r = err_setf(err, -ENOENT, "%d of the containers do not exist", missing);
        return r;
}
