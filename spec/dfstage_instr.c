/* dfstage_instr: one handler per Dockerfile instruction: the checks docker does when it
 * parses the instruction (moby/buildkit frontend/dockerfile/instructions), then its effect
 * on the image config and the step the builder runs, as docker's builder dispatches it
 * (image-config rules of the classic builder, which the build-config corpus records). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "dfstage_int.h"
#include "base/utf8.h"
#include "shellexpand.h"

#define NFLAGS(a) ARRAY_SIZE(a)

static const struct dfstage_flag copy_flags[] = {
        DFSTAGE_FLAG("chown", STRING),    DFSTAGE_FLAG("from", STRING),
        DFSTAGE_FLAG("chmod", STRING),    DFSTAGE_FLAG("link", BOOL),
        DFSTAGE_FLAG("exclude", STRINGS), DFSTAGE_FLAG("parents", BOOL),
};
static const struct dfstage_flag add_flags[] = {
        DFSTAGE_FLAG("chown", STRING),    DFSTAGE_FLAG("chmod", STRING),
        DFSTAGE_FLAG("link", BOOL),       DFSTAGE_FLAG("keep-git-dir", BOOL),
        DFSTAGE_FLAG("checksum", STRING), DFSTAGE_FLAG("unpack", BOOL),
        DFSTAGE_FLAG("exclude", STRINGS),
};
static const struct dfstage_flag run_flags[] = {
        DFSTAGE_FLAG("mount", STRINGS),
        DFSTAGE_FLAG("network", STRING),
        DFSTAGE_FLAG("security", STRING),
};
static const struct dfstage_flag health_flags[] = {
        DFSTAGE_FLAG("interval", STRING),     DFSTAGE_FLAG("timeout", STRING),
        DFSTAGE_FLAG("start-period", STRING), DFSTAGE_FLAG("start-interval", STRING),
        DFSTAGE_FLAG("retries", STRING),
};
static const struct dfstage_flag from_flags[] = { DFSTAGE_FLAG("platform", STRING) };

/* parse in's flags against a copy of a spec table; the caller releases */
#define PARSE_FLAGS(s, in, table, out)                                \
        ({                                                            \
                memcpy((out), (table), sizeof(table));                \
                dfstage_parse_flags((s), (in), (out), NFLAGS(table)); \
        })

static const char *
flag_value(const struct dfstage_flag *f, size_t n, const char *name)
{
        const struct dfstage_flag *x = dfstage_flag_get(f, n, name);

        return x ? x->value : NULL;
}

/* --- Go's time.ParseDuration --- */

static bool
duration_unit(const char *u, size_t n, uint64_t *ret)
{
        static const struct {
                const char *name;
                uint64_t ns;
        } units[] = {
                { "ns", 1 },
                { "us", 1000 },
                { "\xc2\xb5s", 1000 },
                { "\xce\xbcs", 1000 },
                { "ms", 1000000 },
                { "s", 1000000000ULL },
                { "m", 60000000000ULL },
                { "h", 3600000000000ULL },
        };

        for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0) {
                        *ret = units[i].ns;
                        return true;
                }
        }
        return false;
}

/* one "12.5ms" component; adds to *total */
static bool
duration_part(const char **sp, uint64_t *total)
{
        const char *s = *sp, *u;
        uint64_t v = 0, f = 0, scale = 1, unit;
        bool digits = false;

        for (; *s >= '0' && *s <= '9'; s++, digits = true) {
                if (v > (UINT64_MAX - 9) / 10)
                        return false;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        if (*s == '.') {
                for (s++; *s >= '0' && *s <= '9'; s++, digits = true) {
                        if (scale < 1000000000000000000ULL) {
                                f = f * 10 + (uint64_t)(*s - '0');
                                scale *= 10;
                        }
                }
        }
        for (u = s; *s && *s != '.' && (*s < '0' || *s > '9'); s++)
                ;
        if (!digits || !duration_unit(u, (size_t)(s - u), &unit))
                return false;
        if (v > INT64_MAX / unit)
                return false;
        v = v * unit + (uint64_t)((long double)f * (long double)unit / (long double)scale);
        if (v > INT64_MAX || *total > (uint64_t)INT64_MAX - v)
                return false;
        *total += v;
        *sp = s;
        return true;
}

int
dfstage_parse_duration(const char *s, int64_t *ret, struct err *err)
{
        const char *p = s;
        uint64_t total = 0;
        bool neg = false;

        if (*p == '-' || *p == '+')
                neg = *p++ == '-';
        if (strcmp(p, "0") == 0) {
                *ret = 0;
                return 0;
        }
        if (!*p)
                return err_setf(err, -EINVAL, "time: invalid duration \"%s\"", s);
        while (*p)
                if (!duration_part(&p, &total))
                        return err_setf(err, -EINVAL, "time: invalid duration \"%s\"", s);
        *ret = neg ? -(int64_t)total : (int64_t)total;
        return 0;
}

/* --- steps --- */

void
dfstage_step_release(struct dfstage_step *st)
{
        free(st->canon);
        strv_free(st->key_args);
        free(st->workdir);
        free(st->user);
        strv_free(st->argv);
        strv_free(st->env);
        strv_free(st->proxy_env);
        strv_free(st->mounts);
        free(st->network);
        free(st->security);
        for (size_t i = 0; i < st->nheredocs; i++)
                dockerfile_heredoc_release(&st->heredocs[i]);
        free(st->heredocs);
        strv_free(st->srcs);
        for (size_t i = 0; i < st->ninl; i++) {
                free(st->inl[i].name);
                free(st->inl[i].data);
        }
        free(st->inl);
        free(st->dest);
        free(st->from);
        free(st->chown);
        free(st->chmod);
        free(st->checksum);
        strv_free(st->excludes);
        memset(st, 0, sizeof(*st));
}

static struct dfstage_step *
new_step(struct dfstage_run *s, const struct df_instr *in, bool onbuild)
{
        struct dfstage_stage *stage = s->st;
        struct dfstage_step *st;

        stage->steps = xreallocarray(stage->steps, stage->nsteps + 1, sizeof(*stage->steps));
        st = &stage->steps[stage->nsteps++];
        memset(st, 0, sizeof(*st));
        st->cmd = in->cmd;
        st->line = onbuild ? 0 : s->line;
        st->onbuild = onbuild;
        st->from_stage = -1;
        st->keep_git_dir = st->unpack = -1;
        st->workdir = xstrdup(s->cfg.workdir ? s->cfg.workdir : "/");
        st->user = xstrdup(s->cfg.user ? s->cfg.user : "");
        return st;
}

/* canon: the step as a JSON array of strings (unambiguous, stable) */
static void
canon_add(json_object *a, const char *s)
{
        json_object_array_add(a, json_object_new_string(s));
}

static void
canon_addv(json_object *a, char *const *v)
{
        strv_foreach(x, v)
                canon_add(a, x);
}

static void
canon_finish(struct dfstage_step *st, json_object *a)
{
        st->canon = xstrdup(json_object_to_json_string_ext(
                a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
}

static json_object *
canon_new(const struct df_instr *in)
{
        json_object *a = json_object_new_array();

        canon_add(a, dockerfile_cmd_name(in->cmd));
        return a;
}

/* --- checks at parse time --- */

static bool
valid_stage_name(const char *n)
{
        if (!(*n >= 'a' && *n <= 'z'))
                return false;
        for (n++; *n; n++)
                if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '-' ||
                      *n == '_' || *n == '.'))
                        return false;
        return true;
}

static int
check_from(struct dfstage_run *s, const struct df_instr *in)
{
        struct dfstage_flag f[NFLAGS(from_flags)];
        int r;

        if (!(in->nargs == 1 || (in->nargs == 3 && strcasecmp(in->args[1], "as") == 0)))
                return dfstage_fail(s, "FROM requires either one or three arguments");
        if (in->nargs == 3) {
                cleanup_free char *name = xstrdup(in->args[2]);

                for (char *p = name; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char)(*p | 0x20);
                if (!valid_stage_name(name))
                        return dfstage_fail(s,
                                            "invalid name for build stage: \"%s\", name can't "
                                            "start with a number or contain symbols",
                                            in->args[2]);
        }
        r = PARSE_FLAGS(s, in, from_flags, f);
        dfstage_flags_release(f, NFLAGS(f));
        return r;
}

static int
check_kv(struct dfstage_run *s, const struct df_instr *in)
{
        const char *name = dockerfile_cmd_name(in->cmd);

        if (in->nargs == 0)
                return dfstage_fail(s, "%s requires at least one argument", name);
        if (in->cmd == DF_ARG) {
                for (size_t i = 0; i < in->nargs; i++)
                        if (in->args[i][0] == '=')
                                return dfstage_fail(s, "ARG names can not be blank");
                return 0;
        }
        for (size_t i = 0; i < in->nargs; i += 3)
                if (!in->args[i][0])
                        return dfstage_fail(s, "%s names can not be blank", name);
        return 0;
}

static int
parse_interval(struct dfstage_run *s, const char *flag, const char *v, int64_t *ret)
{
        struct err e = { 0 };

        *ret = 0;
        if (!v || !*v)
                return 0;
        if (dfstage_parse_duration(v, ret, &e) < 0)
                return dfstage_fail(s, "%s", e.msg);
        if (*ret != 0 && *ret < 1000000)
                return dfstage_fail(s, "Interval \"%s\" cannot be less than 1ms", flag);
        return 0;
}

/* --retries: a 32-bit integer, not negative (Go's strconv.ParseInt(v, 10, 32)) */
static int
parse_retries(struct dfstage_run *s, const char *v, int *ret)
{
        char *end;
        long n = strtol(v, &end, 10);

        if (*end || end == v || v[0] == ' ' || n > INT32_MAX || n < INT32_MIN)
                return dfstage_fail(s, "invalid --retries value \"%s\"", v);
        if (n < 0)
                return dfstage_fail(s, "--retries cannot be negative (%ld)", n);
        *ret = (int)n;
        return 0;
}

/* HEALTHCHECK: the config it sets (NONE takes no flags or arguments; CMD takes both) */
static int
health_parse(struct dfstage_run *s, const struct df_instr *in, struct dfstage_health *h)
{
        struct dfstage_flag f[NFLAGS(health_flags)];
        const char *retries;
        int r;

        memset(h, 0, sizeof(*h));
        if (in->nargs == 0)
                return dfstage_fail(s, "HEALTHCHECK requires at least one argument");
        if (strcasecmp(in->args[0], "NONE") == 0) {
                if (in->nargs > 1)
                        return dfstage_fail(s, "HEALTHCHECK NONE takes no arguments");
                strv_add(&h->test, "NONE");
                return 0;
        }
        r = PARSE_FLAGS(s, in, health_flags, f);
        if (r == 0 && strcasecmp(in->args[0], "CMD") != 0)
                r = dfstage_fail(s, "Unknown type \"%s\" in HEALTHCHECK (try CMD)", in->args[0]);
        if (r == 0 && in->nargs < 2)
                r = dfstage_fail(s, "Missing command after HEALTHCHECK CMD");
        if (r == 0)
                r = parse_interval(s, "interval", flag_value(f, NFLAGS(f), "interval"),
                                   &h->interval);
        if (r == 0)
                r = parse_interval(s, "timeout", flag_value(f, NFLAGS(f), "timeout"), &h->timeout);
        if (r == 0)
                r = parse_interval(s, "start-period", flag_value(f, NFLAGS(f), "start-period"),
                                   &h->start_period);
        if (r == 0)
                r = parse_interval(s, "start-interval", flag_value(f, NFLAGS(f), "start-interval"),
                                   &h->start_interval);
        retries = flag_value(f, NFLAGS(f), "retries");
        if (r == 0 && retries && *retries)
                r = parse_retries(s, retries, &h->retries);
        dfstage_flags_release(f, NFLAGS(f));
        if (r < 0)
                return r;
        if (!in->json) {
                cleanup_free char *joined = strv_join(in->args + 1, " ");

                strv_add(&h->test, "CMD-SHELL");
                strv_add(&h->test, joined);
        } else {
                strv_add(&h->test, "CMD");
                strv_foreach(a, in->args + 1)
                        strv_add(&h->test, a);
        }
        return 0;
}

static int
check_copy(struct dfstage_run *s, const struct df_instr *in)
{
        struct dfstage_flag
                f[NFLAGS(add_flags) > NFLAGS(copy_flags) ? NFLAGS(add_flags) : NFLAGS(copy_flags)];
        struct df_heredoc h = { 0 };
        const char *name = dockerfile_cmd_name(in->cmd);
        int r;

        if (in->nargs < 2)
                return dfstage_fail(s,
                                    "%s requires at least two arguments, but only one was "
                                    "provided. Destination could not be determined",
                                    name);
        if (in->cmd == DF_COPY) {
                memcpy(f, copy_flags, sizeof(copy_flags));
                r = dfstage_parse_flags(s, in, f, NFLAGS(copy_flags));
        } else {
                memcpy(f, add_flags, sizeof(add_flags));
                r = dfstage_parse_flags(s, in, f, NFLAGS(add_flags));
        }
        dfstage_flags_release(f, in->cmd == DF_COPY ? NFLAGS(copy_flags) : NFLAGS(add_flags));
        if (r < 0)
                return r;
        if (dockerfile_heredoc_word(in->args[in->nargs - 1], &h, NULL) > 0) {
                dockerfile_heredoc_release(&h);
                return dfstage_fail(s, "%s cannot accept a heredoc as a destination", name);
        }
        return 0;
}

static int
check_run(struct dfstage_run *s, const struct df_instr *in)
{
        struct dfstage_flag f[NFLAGS(run_flags)];
        const char *net, *sec;
        int r = PARSE_FLAGS(s, in, run_flags, f);

        net = flag_value(f, NFLAGS(f), "network");
        sec = flag_value(f, NFLAGS(f), "security");
        if (r == 0 && net && strcmp(net, "default") && strcmp(net, "none") && strcmp(net, "host"))
                r = dfstage_fail(s, "unsupported network mode \"%s\"", net);
        if (r == 0 && sec && strcmp(sec, "sandbox") && strcmp(sec, "insecure"))
                r = dfstage_fail(s, "unsupported security mode \"%s\"", sec);
        if (r == 0 && in->json && in->nargs == 0)
                r = dfstage_fail(s, "RUN requires a command");
        dfstage_flags_release(f, NFLAGS(f));
        return r;
}

static int
check_onbuild(struct dfstage_run *s, const struct df_instr *in)
{
        if (!in->sub)
                return dfstage_fail(s, "ONBUILD requires at least one argument");
        if (in->sub->cmd == DF_ONBUILD)
                return dfstage_fail(s, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (in->sub->cmd == DF_FROM || in->sub->cmd == DF_MAINTAINER)
                return dfstage_fail(s, "%s isn't allowed as an ONBUILD trigger",
                                    dockerfile_cmd_name(in->sub->cmd));
        return 0;
}

static int
check_args(struct dfstage_run *s, const struct df_instr *in)
{
        const char *name = dockerfile_cmd_name(in->cmd);

        switch (in->cmd) {
        case DF_MAINTAINER:
        case DF_USER:
        case DF_WORKDIR:
        case DF_STOPSIGNAL:
                if (in->nargs != 1)
                        return dfstage_fail(s, "%s requires exactly one argument", name);
                return 0;
        case DF_EXPOSE:
        case DF_VOLUME:
                if (in->nargs == 0)
                        return dfstage_fail(s, "%s requires at least one argument", name);
                for (size_t i = 0; in->cmd == DF_VOLUME && i < in->nargs; i++)
                        if (utf8_lspace(in->args[i], in->arglen[i]) == in->arglen[i])
                                return dfstage_fail(s, "VOLUME specified can not be an empty "
                                                       "string");
                return 0;
        case DF_SHELL:
                if (in->nargs == 0)
                        return dfstage_fail(s, "SHELL requires at least one argument");
                if (!in->json)
                        return dfstage_fail(s, "SHELL requires the arguments to be in JSON form");
                return 0;
        default:
                return 0;
        }
}

static bool
has_nul(const struct df_instr *in)
{
        for (size_t i = 0; i < in->nargs; i++)
                if (in->arglen[i] != strlen(in->args[i]))
                        return true;
        return in->sub && has_nul(in->sub);
}

int
dfstage_check(struct dfstage_run *s, const struct df_instr *in)
{
        struct dfstage_health h;
        int r;

        if (has_nul(in))
                return dfstage_fail(s, "argument contains a NUL byte");
        switch (in->cmd) {
        case DF_UNKNOWN:
                return dfstage_fail(s, "unknown instruction: %s", in->keyword);
        case DF_FROM:
                return check_from(s, in);
        case DF_ARG:
        case DF_ENV:
        case DF_LABEL:
                r = check_kv(s, in);
                break;
        case DF_ADD:
        case DF_COPY:
                return check_copy(s, in);
        case DF_RUN:
                return check_run(s, in);
        case DF_HEALTHCHECK:
                r = health_parse(s, in, &h);
                strv_free(h.test);
                return r;
        case DF_ONBUILD:
                r = check_onbuild(s, in);
                break;
        default:
                r = check_args(s, in);
                break;
        }
        if (r == 0)
                r = dfstage_parse_flags(s, in, NULL, 0);
        return r;
}

/* --- dispatch --- */

static char **
list_dup(char *const *v)
{
        char **out = strv_copy(v);

        return out ? out : xcalloc(1, sizeof(char *));
}

/* the SHELL prefix (or /bin/sh -c) plus the shell-form text */
static char **
with_shell(const struct dfstage_run *s, char *const *args)
{
        char **out = s->cfg.shell ? list_dup(s->cfg.shell) : NULL;

        if (!out) {
                strv_add(&out, "/bin/sh");
                strv_add(&out, "-c");
        }
        if (args && args[0])
                strv_push(&out, strv_join(args, " "));
        return out;
}

static void
sorted_set_add(char ***set, const char *v)
{
        if (!strv_contains(*set, v))
                strv_add(set, v);
        strv_sort(*set);
}

/* "NAME=value" of the ARGs in names that currently have a value, sorted */
static char **
arg_pairs(const struct dfstage_run *s, char *const *names)
{
        char **out = NULL;

        strv_foreach(n, names) {
                const char *v = env_get(&s->args, n);

                if (v)
                        strv_push(&out, xasprintf("%s=%s", n, v));
        }
        strv_sort(out);
        return out;
}

static int
do_arg(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        json_object *canon = canon_new(in);

        for (size_t i = 0; i < in->nargs; i++) {
                cleanup_free char *key = NULL;
                cleanup_free char *val = NULL;
                const char *eq = strchr(in->args[i], '='), *given;
                int r;

                key = eq ? xstrndup(in->args[i], (size_t)(eq - in->args[i])) : xstrdup(in->args[i]);
                given = dfstage_build_arg(s->pl, key);
                if (given) {
                        val = xstrdup(given);
                } else if (eq) {
                        r = dfstage_expand(s, eq + 1, &val);
                        if (r < 0) {
                                json_object_put(canon);
                                return r;
                        }
                } else if (env_get(&s->pl->globals, key)) {
                        val = xstrdup(env_get(&s->pl->globals, key));
                }
                if (val)
                        env_set(&s->args, key, val);
                cleanup_free char *pair = val ? xasprintf("%s=%s", key, val) : xstrdup(key);
                canon_add(canon, pair);
        }
        canon_finish(st, canon);
        return 0;
}

/* ENV and LABEL: every pair is expanded with the values from before the instruction */
static int
do_kv(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        json_object *canon = canon_new(in);
        cleanup_strv char **kv = NULL;
        int r = 0;

        for (size_t i = 0; r == 0 && i + 2 < in->nargs; i += 3) {
                char *k = NULL, *v = NULL;

                r = dfstage_expand(s, in->args[i], &k);
                if (r == 0)
                        r = dfstage_expand(s, in->args[i + 1], &v);
                if (r == 0) {
                        strv_push(&kv, k);
                        strv_push(&kv, v);
                } else {
                        free(k);
                        free(v);
                }
        }
        for (size_t i = 0; r == 0 && kv && kv[i]; i += 2) {
                cleanup_free char *pair = xasprintf("%s=%s", kv[i], kv[i + 1]);

                if (in->cmd == DF_ENV)
                        dfstage_env_set(&s->cfg.env, kv[i], kv[i + 1]);
                else
                        env_set(&s->cfg.labels, kv[i], kv[i + 1]);
                canon_add(canon, pair);
        }
        canon_finish(st, canon);
        return r;
}

static void
set_list(char ***slot, char **v)
{
        strv_free(*slot);
        *slot = v;
}

static int
do_cmd_entrypoint(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        json_object *canon = canon_new(in);
        char **argv;

        if (in->json)
                argv = (in->nargs == 0 && in->cmd == DF_ENTRYPOINT) ? NULL : list_dup(in->args);
        else if (in->nargs == 0 && in->cmd == DF_ENTRYPOINT)
                argv = NULL;
        else
                argv = with_shell(s, in->args);
        canon_addv(canon, argv);
        canon_finish(st, canon);
        if (in->cmd == DF_CMD) {
                set_list(&s->cfg.cmd, argv);
                s->cmd_set = true;
                return 0;
        }
        set_list(&s->cfg.entrypoint, argv);
        /* an ENTRYPOINT drops the CMD it inherited, not one set in this stage */
        if (!s->cmd_set)
                set_list(&s->cfg.cmd, NULL);
        return 0;
}

static int
do_workdir(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        cleanup_free char *p = NULL;
        json_object *canon;
        char *abs;
        int r = dfstage_expand(s, in->args[0], &p);

        if (r < 0)
                return r;
        if (p[0] == '/') {
                abs = path_clean(p);
        } else {
                cleanup_free char *base = xasprintf("/%s", s->cfg.workdir ? s->cfg.workdir : "");

                abs = path_join(base, p);
        }
        free(s->cfg.workdir);
        s->cfg.workdir = abs;
        canon = canon_new(in);
        canon_add(canon, abs);
        canon_add(canon, s->cfg.user ? s->cfg.user : "");
        canon_finish(st, canon);
        return 0;
}

/* USER, STOPSIGNAL, MAINTAINER: one expanded (or, for MAINTAINER, literal) string */
static int
do_string(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st, char **slot)
{
        char *v = NULL;
        json_object *canon;
        int r = 0;

        if (in->cmd == DF_MAINTAINER)
                v = xstrdup(in->args[0]);
        else
                r = dfstage_expand(s, in->args[0], &v);
        if (r < 0)
                return r;
        free(*slot);
        *slot = v;
        canon = canon_new(in);
        canon_add(canon, v);
        canon_finish(st, canon);
        return 0;
}

/* moby's signal.ParseSignal: a non-zero number, or a name with or without SIG */
static bool
valid_signal(const char *sig)
{
        static const char *const names[] = {
                "ABRT",   "ALRM",   "BUS",  "CHLD", "CLD",    "CONT",  "FPE",  "HUP",  "ILL",
                "INT",    "IO",     "IOT",  "KILL", "PIPE",   "POLL",  "PROF", "PWR",  "QUIT",
                "SEGV",   "STKFLT", "STOP", "SYS",  "TERM",   "TRAP",  "TSTP", "TTIN", "TTOU",
                "UNUSED", "URG",    "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
        };
        cleanup_free char *up = xstrdup(sig);
        const char *n = up;
        char *end;
        long v;

        v = strtol(sig, &end, 10);
        if (end != sig && !*end)
                return v != 0;
        for (char *p = up; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 32);
        if (strncmp(n, "SIG", 3) == 0)
                n += 3;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(n, names[i]) == 0)
                        return true;
        if (strncmp(n, "RTMIN", 5) == 0 || strncmp(n, "RTMAX", 5) == 0) {
                const char *rest = n + 5;

                if (!*rest)
                        return true;
                v = strtol(rest + 1, &end, 10);
                return (rest[0] == '+' || rest[0] == '-') && end != rest + 1 && !*end && v >= 1 &&
                       v <= 15;
        }
        return false;
}

/* one EXPOSE word: port[-end][/proto] (a host part before ':' is ignored) */
static int
expose_port(struct dfstage_run *s, const char *word, char ***set)
{
        cleanup_free char *w = xstrdup(word);
        char *proto = strchr(w, '/'), *port = strrchr(w, ':'), *dash, *end;
        unsigned long lo, hi;

        if (proto)
                *proto++ = '\0';
        for (char *p = proto; p && *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p | 0x20);
        if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
                return dfstage_fail(s, "invalid proto: %s", proto);
        port = port ? port + 1 : w;
        dash = strchr(port, '-');
        if (dash)
                *dash++ = '\0';
        lo = strtoul(port, &end, 10);
        if (!*port || *end || *port == '-' || *port == '+' || lo > 65535)
                return dfstage_fail(s, "invalid containerPort: %s", word);
        hi = lo;
        if (dash) {
                hi = strtoul(dash, &end, 10);
                if (!*dash || *end || *dash == '-' || *dash == '+' || hi > 65535 || hi < lo)
                        return dfstage_fail(s, "invalid range specified for container port: %s",
                                            word);
        }
        for (unsigned long p = lo; p <= hi; p++) {
                cleanup_free char *e = xasprintf("%lu/%s", p, proto ? proto : "tcp");

                if (!strv_contains(*set, e))
                        strv_add(set, e);
        }
        return 0;
}

static int
do_expose(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        json_object *canon = canon_new(in);
        int r = 0;

        for (size_t i = 0; r == 0 && i < in->nargs; i++) {
                cleanup_strv char **words = NULL;

                r = dfstage_expand_words(s, in->args[i], &words);
                strv_foreach(w, words) {
                        if (r == 0)
                                r = expose_port(s, w, &s->cfg.exposed);
                }
        }
        strv_sort(s->cfg.exposed);
        canon_addv(canon, s->cfg.exposed);
        canon_finish(st, canon);
        return r;
}

static int
do_volume(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        json_object *canon = canon_new(in);
        int r = 0;

        for (size_t i = 0; r == 0 && i < in->nargs; i++) {
                cleanup_free char *v = NULL;
                const char *t;
                size_t n;

                r = dfstage_expand(s, in->args[i], &v);
                if (r < 0)
                        break;
                t = v + utf8_lspace(v, strlen(v));
                n = strlen(t) - utf8_rspace(t, strlen(t));
                if (n == 0) {
                        r = dfstage_fail(s, "VOLUME specified can not be an empty string");
                        break;
                }
                cleanup_free char *vol = xstrndup(t, n);
                sorted_set_add(&s->cfg.volumes, vol);
                canon_add(canon, vol);
        }
        canon_finish(st, canon);
        return r;
}

static int
do_health(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        struct dfstage_health *h = xcalloc(1, sizeof(*h));
        json_object *canon = canon_new(in);
        cleanup_free char *d = NULL;
        int r = health_parse(s, in, h);

        if (r < 0) {
                strv_free(h->test);
                free(h);
                json_object_put(canon);
                return r;
        }
        if (s->cfg.health)
                strv_free(s->cfg.health->test);
        free(s->cfg.health);
        s->cfg.health = h;
        canon_addv(canon, h->test);
        d = xasprintf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %d", h->interval, h->timeout,
                      h->start_period, h->start_interval, h->retries);
        canon_add(canon, d);
        canon_finish(st, canon);
        return 0;
}

/* ONBUILD: the trigger is stored as written, without the ONBUILD keyword */
static int
do_onbuild(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        struct sbuf expr = SBUF_INIT;
        const char *o = in->original;
        json_object *canon = canon_new(in);

        while (*o == ' ' || *o == '\t' || *o == '\n' || *o == '\f' || *o == '\r')
                o++;
        if (strncasecmp(o, "ONBUILD", 7) == 0)
                o += 7;
        while (*o == ' ' || *o == '\t' || *o == '\n' || *o == '\f' || *o == '\r')
                o++;
        sbuf_adds(&expr, o);
        for (size_t i = 0; i < in->nheredocs; i++)
                sbuf_addf(&expr, "\n%s%s", in->heredocs[i].content, in->heredocs[i].name);
        canon_add(canon, expr.buf);
        canon_finish(st, canon);
        strv_push(&s->cfg.onbuild, sbuf_detach(&expr));
        return 0;
}

/* the destination made absolute against WORKDIR; a trailing '/' (or "." / "") keeps
 * meaning "into this directory" */
static char *
copy_dest(const struct dfstage_run *s, const char *dest)
{
        size_t n = strlen(dest);
        bool dir = n == 0 || strcmp(dest, ".") == 0 || dest[n - 1] == '/';
        cleanup_free char *abs = NULL;

        if (dest[0] == '/') {
                abs = path_clean(dest);
        } else {
                cleanup_free char *base = xasprintf("/%s", s->cfg.workdir ? s->cfg.workdir : "");

                abs = path_join(base, dest);
        }
        if (dir && strcmp(abs, "/") != 0)
                return xasprintf("%s/", abs);
        return TAKE_PTR(abs);
}

static const struct df_heredoc *
find_heredoc(const struct df_instr *in, const char *name)
{
        for (size_t i = 0; i < in->nheredocs; i++)
                if (strcmp(in->heredocs[i].name, name) == 0)
                        return &in->heredocs[i];
        return NULL;
}

/* one source: a path/URL to expand, or a heredoc that becomes an inline file */
static int
copy_source(struct dfstage_run *s, const struct df_instr *in, const char *arg,
            struct dfstage_step *st)
{
        struct df_heredoc h = { 0 };
        const struct df_heredoc *body;
        cleanup_free char *data = NULL;
        char *v = NULL;
        int r;

        if (dockerfile_heredoc_word(arg, &h, NULL) <= 0) {
                r = dfstage_expand(s, arg, &v);
                if (r == 0)
                        strv_push(&st->srcs, v);
                return r;
        }
        body = find_heredoc(in, h.name);
        h.content = xstrdup(body && body->content ? body->content : "");
        data = dockerfile_heredoc_body(&h);
        r = h.expand ? dfstage_expand_raw(s, data, &v) : 0;
        if (r == 0) {
                st->inl = xreallocarray(st->inl, st->ninl + 1, sizeof(*st->inl));
                st->inl[st->ninl].name = xstrdup(h.name);
                st->inl[st->ninl].data = h.expand ? v : TAKE_PTR(data);
                st->ninl++;
        }
        dockerfile_heredoc_release(&h);
        return r;
}

static int
copy_flag(struct dfstage_run *s, const struct dfstage_flag *f, size_t n, const char *name,
          char **slot)
{
        const char *v = flag_value(f, n, name);

        return v ? dfstage_expand(s, v, slot) : 0;
}

/* COPY --from is never expanded; docker rejects a value that would change */
static int
copy_from(struct dfstage_run *s, const char *from, struct dfstage_step *st)
{
        struct shellexpand sx = { .escape = (unsigned char)s->pl->df->escape };
        cleanup_free char *same = NULL;

        if (shellexpand_word(&sx, from, &same, NULL) < 0 || strcmp(same, from) != 0)
                return dfstage_fail(s, "variable expansion is not supported for --from, define a "
                                       "new stage with FROM using ARG from global scope as a "
                                       "workaround");
        st->from = xstrdup(from);
        return dfstage_stage_ref(s, from, &st->from_stage);
}

static void
copy_canon(const struct df_instr *in, struct dfstage_step *st)
{
        json_object *c = canon_new(in);
        cleanup_free char *flags = xasprintf(
                "from=%s chown=%s chmod=%s checksum=%s link=%d parents=%d keep-git-dir=%d "
                "unpack=%d",
                st->from ? st->from : "", st->chown ? st->chown : "", st->chmod ? st->chmod : "",
                st->checksum ? st->checksum : "", st->link, st->parents, st->keep_git_dir,
                st->unpack);

        canon_add(c, flags);
        canon_add(c, "exclude");
        canon_addv(c, st->excludes);
        canon_add(c, "src");
        canon_addv(c, st->srcs);
        canon_add(c, "inline");
        for (size_t i = 0; i < st->ninl; i++) {
                canon_add(c, st->inl[i].name);
                canon_add(c, st->inl[i].data);
        }
        canon_add(c, "dest");
        canon_add(c, st->dest);
        canon_finish(st, c);
}

static int
copy_flags_apply(struct dfstage_run *s, const struct dfstage_flag *f, size_t n,
                 struct dfstage_step *st)
{
        const struct dfstage_flag *x;
        const char *v;
        int r;

        r = copy_flag(s, f, n, "chown", &st->chown);
        if (r == 0)
                r = copy_flag(s, f, n, "chmod", &st->chmod);
        if (r == 0)
                r = copy_flag(s, f, n, "checksum", &st->checksum);
        if (r == 0 && (v = flag_value(f, n, "from")))
                r = copy_from(s, v, st);
        x = dfstage_flag_get(f, n, "exclude");
        if (x)
                st->excludes = strv_copy(x->values);
        st->link = (v = flag_value(f, n, "link")) && strcmp(v, "true") == 0;
        st->parents = (v = flag_value(f, n, "parents")) && strcmp(v, "true") == 0;
        if ((v = flag_value(f, n, "keep-git-dir")))
                st->keep_git_dir = strcmp(v, "true") == 0;
        if ((v = flag_value(f, n, "unpack")))
                st->unpack = strcmp(v, "true") == 0;
        return r;
}

static int
do_copy(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        struct dfstage_flag
                f[NFLAGS(add_flags) > NFLAGS(copy_flags) ? NFLAGS(add_flags) : NFLAGS(copy_flags)];
        size_t n = in->cmd == DF_COPY ? NFLAGS(copy_flags) : NFLAGS(add_flags);
        cleanup_free char *dest = NULL;
        int r;

        memcpy(f, in->cmd == DF_COPY ? copy_flags : add_flags, n * sizeof(*f));
        r = dfstage_parse_flags(s, in, f, n);
        if (r == 0)
                r = copy_flags_apply(s, f, n, st);
        for (size_t i = 0; r == 0 && i + 1 < in->nargs; i++)
                r = copy_source(s, in, in->args[i], st);
        if (r == 0)
                r = dfstage_expand(s, in->args[in->nargs - 1], &dest);
        if (r == 0) {
                st->dest = copy_dest(s, dest);
                copy_canon(in, st);
        }
        dfstage_flags_release(f, n);
        return r;
}

/* RUN's process environment: the image env, then every ARG in scope that no ENV shadows;
 * predefined proxy args from --build-arg go separately (not in the cache key) */
static void
run_env(struct dfstage_run *s, struct dfstage_step *st)
{
        const struct env *ba = s->pl->o->build_args;
        char **names = NULL;

        st->env = list_dup(s->cfg.env);
        for (size_t i = 0; i < s->args.n; i++) {
                if (dfstage_env_get(s->cfg.env, s->args.names[i]))
                        continue;
                strv_push(&st->env, xasprintf("%s=%s", s->args.names[i], s->args.values[i]));
                strv_add(&names, s->args.names[i]);
        }
        st->key_args = arg_pairs(s, names);
        strv_free(names);
        for (size_t i = 0; ba && i < ba->n; i++) {
                if (!dfstage_is_proxy_arg(ba->names[i]) || env_has(&s->args, ba->names[i]) ||
                    dfstage_env_get(s->cfg.env, ba->names[i]))
                        continue;
                strv_push(&st->proxy_env, xasprintf("%s=%s", ba->names[i], ba->values[i]));
        }
}

static void
run_canon(const struct df_instr *in, struct dfstage_step *st)
{
        json_object *c = canon_new(in);
        cleanup_free char *opts = xasprintf(
                "network=%s security=%s workdir=%s user=%s", st->network ? st->network : "",
                st->security ? st->security : "", st->workdir, st->user);

        canon_add(c, opts);
        canon_add(c, "mount");
        canon_addv(c, st->mounts);
        canon_add(c, "env");
        canon_addv(c, st->env);
        canon_add(c, "argv");
        canon_addv(c, st->argv);
        canon_add(c, "heredoc");
        for (size_t i = 0; i < st->nheredocs; i++) {
                canon_add(c, st->heredocs[i].name);
                canon_add(c, st->heredocs[i].content);
                canon_add(c, st->heredocs[i].chomp ? "chomp" : "");
                canon_add(c, st->heredocs[i].expand ? "expand" : "");
        }
        canon_finish(st, c);
}

static int
do_run(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        struct dfstage_flag f[NFLAGS(run_flags)];
        const struct dfstage_flag *mounts;
        const char *v;
        int r = PARSE_FLAGS(s, in, run_flags, f);

        mounts = dfstage_flag_get(f, NFLAGS(f), "mount");
        for (size_t i = 0; r == 0 && mounts && mounts->values[i]; i++) {
                char *m = NULL;

                r = dfstage_expand(s, mounts->values[i], &m);
                if (r == 0)
                        strv_push(&st->mounts, m);
        }
        if ((v = flag_value(f, NFLAGS(f), "network")))
                st->network = xstrdup(v);
        if ((v = flag_value(f, NFLAGS(f), "security")))
                st->security = xstrdup(v);
        dfstage_flags_release(f, NFLAGS(f));
        if (r < 0)
                return r;
        st->argv = in->json ? list_dup(in->args) : with_shell(s, in->args);
        if (in->nheredocs > 0) {
                st->heredocs = xcalloc(in->nheredocs, sizeof(*st->heredocs));
                st->nheredocs = in->nheredocs;
                for (size_t i = 0; i < in->nheredocs; i++) {
                        st->heredocs[i] = in->heredocs[i];
                        st->heredocs[i].name = xstrdup(in->heredocs[i].name);
                        st->heredocs[i].content = xstrdup(in->heredocs[i].content);
                }
        }
        run_env(s, st);
        run_canon(in, st);
        return 0;
}

static int
do_shell(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        json_object *canon = canon_new(in);

        set_list(&s->cfg.shell, list_dup(in->args));
        canon_addv(canon, in->args);
        canon_finish(st, canon);
        return 0;
}

static int
dispatch_one(struct dfstage_run *s, const struct df_instr *in, struct dfstage_step *st)
{
        int r;

        switch (in->cmd) {
        case DF_ARG:
                return do_arg(s, in, st);
        case DF_ENV:
        case DF_LABEL:
                return do_kv(s, in, st);
        case DF_CMD:
        case DF_ENTRYPOINT:
                return do_cmd_entrypoint(s, in, st);
        case DF_WORKDIR:
                return do_workdir(s, in, st);
        case DF_USER:
                return do_string(s, in, st, &s->cfg.user);
        case DF_MAINTAINER:
                return do_string(s, in, st, &s->cfg.author);
        case DF_STOPSIGNAL:
                r = do_string(s, in, st, &s->cfg.stopsignal);
                if (r == 0 && !valid_signal(s->cfg.stopsignal))
                        r = dfstage_fail(s, "invalid signal: %s", s->cfg.stopsignal);
                return r;
        case DF_EXPOSE:
                return do_expose(s, in, st);
        case DF_VOLUME:
                return do_volume(s, in, st);
        case DF_HEALTHCHECK:
                return do_health(s, in, st);
        case DF_ONBUILD:
                return do_onbuild(s, in, st);
        case DF_SHELL:
                return do_shell(s, in, st);
        case DF_ADD:
        case DF_COPY:
                return do_copy(s, in, st);
        case DF_RUN:
                return do_run(s, in, st);
        default:
                return dfstage_fail(s, "%s is not allowed here", in->keyword);
        }
}

int
dfstage_dispatch(struct dfstage_run *s, const struct df_instr *in, bool onbuild)
{
        struct dfstage_step *st;
        int r;

        s->used = strv_free(s->used);
        st = new_step(s, in, onbuild);
        r = dispatch_one(s, in, st);
        if (r == 0 && in->cmd != DF_RUN) {
                /* a RUN sees every ARG in scope; other steps depend on those they expanded */
                st->key_args = arg_pairs(s, s->used);
        }
        st->fs_change = in->cmd == DF_RUN || in->cmd == DF_COPY || in->cmd == DF_ADD ||
                        in->cmd == DF_WORKDIR;
        return r;
}
