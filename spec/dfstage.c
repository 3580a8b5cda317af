/* dfstage: Dockerfile build stages and ARG scoping, as docker's builder (moby/buildkit
 * dockerfile2llb, with the classic builder's image-config rules) evaluates them before it
 * runs anything.
 *
 * The plan is made in four passes: (1) every instruction is checked as docker parses it and
 * the global ARGs before the first FROM are resolved; (2) each FROM is expanded with the
 * global ARGs and the automatic platform args; (3) the stage graph (FROM <stage>,
 * COPY --from, RUN --mount from=) decides which stages the target needs; (4) those stages
 * are walked instruction by instruction (spec/dfstage_instr.c).
 */
#include "dfstage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/utsname.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "dfstage_int.h"
#include "shellexpand.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* usable without an ARG, given to RUN, never part of the cache key (docker's builtin args) */
static const char *const proxy_args[] = {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
        "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy",
};

bool
dfstage_is_proxy_arg(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(proxy_args); i++)
                if (strcmp(name, proxy_args[i]) == 0)
                        return true;
        return false;
}

int
dfstage_fail(struct dfstage_run *s, const char *fmt, ...)
{
        char msg[ERR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return err_setf(s->pl->err, -EINVAL, "%s:%d%s: %s", s->pl->df->name, s->line,
                        s->where ? s->where : "", msg);
}

/* --- flags (docker's BFlags) --- */

const struct dfstage_flag *
dfstage_flag_get(const struct dfstage_flag *spec, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(spec[i].name, name) == 0)
                        return spec[i].used ? &spec[i] : NULL;
        return NULL;
}

void
dfstage_flags_release(struct dfstage_flag *spec, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(spec[i].values);
                spec[i].values = NULL;
        }
}

static int
set_flag(struct dfstage_run *s, struct dfstage_flag *f, const char *flag, const char *value)
{
        size_t k = 0;

        if (f->used && f->type != DFSTAGE_FLAG_STRINGS)
                return dfstage_fail(s, "duplicate flag specified: %s", flag);
        f->used = true;
        if (f->type == DFSTAGE_FLAG_BOOL) {
                if (value && !*value)
                        return dfstage_fail(s, "missing a value on flag: %s", flag);
                if (!value || strcasecmp(value, "true") == 0)
                        f->value = "true";
                else if (strcasecmp(value, "false") == 0)
                        f->value = "false";
                else
                        return dfstage_fail(s, "expecting boolean value for flag %s, not: %s", flag,
                                            value);
                return 0;
        }
        if (!value)
                return dfstage_fail(s, "missing a value on flag: %s", flag);
        if (f->type == DFSTAGE_FLAG_STRING) {
                f->value = value;
                return 0;
        }
        while (f->values && f->values[k])
                k++;
        f->values = xreallocarray(f->values, k + 2, sizeof(char *));
        f->values[k] = (char *)value;
        f->values[k + 1] = NULL;
        return 0;
}

int
dfstage_parse_flags(struct dfstage_run *s, const struct df_instr *in, struct dfstage_flag *spec,
                    size_t n)
{
        strv_foreach(a, in->flags) {
                cleanup_free char *flag = NULL;
                const char *eq = strchr(a, '=');
                size_t i;
                int r;

                if (strcmp(a, "--") == 0)
                        break;
                if (strncmp(a, "--", 2) != 0)
                        return dfstage_fail(s, "arg should start with -- : %s", a);
                flag = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
                for (i = 0; i < n && strcmp(spec[i].name, flag + 2) != 0; i++)
                        ;
                if (i == n)
                        return dfstage_fail(s, "unknown flag: %s", flag);
                r = set_flag(s, &spec[i], flag, eq ? eq + 1 : NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- environment and expansion --- */

const char *
dfstage_env_get(char *const *env, const char *name)
{
        size_t len = strlen(name);

        strv_foreach(e, env)
                if (strncmp(e, name, len) == 0 && e[len] == '=')
                        return e + len + 1;
        return NULL;
}

void
dfstage_env_set(char ***env, const char *name, const char *value)
{
        size_t len = strlen(name);

        for (size_t i = 0; *env && (*env)[i]; i++) {
                if (strncmp((*env)[i], name, len) == 0 && (*env)[i][len] == '=') {
                        free((*env)[i]);
                        (*env)[i] = xasprintf("%s=%s", name, value);
                        return;
                }
        }
        strv_push(env, xasprintf("%s=%s", name, value));
}

/* ENV (the image's and this stage's) always wins over an ARG of the same name */
static const char *
run_lookup(void *ctx, const char *name)
{
        struct dfstage_run *s = ctx;
        const char *v = dfstage_env_get(s->cfg.env, name);

        if (v)
                return v;
        v = env_get(&s->args, name);
        if (v && !strv_contains(s->used, name))
                strv_add(&s->used, name);
        return v;
}

static int
expand_with(struct dfstage_run *s, const struct shellexpand *sx, const char *word, char **ret,
            char ***ret_words)
{
        struct err e = { 0 };
        int r = ret ? shellexpand_word(sx, word, ret, &e)
                    : shellexpand_words(sx, word, ret_words, &e);

        if (r < 0)
                return dfstage_fail(s, "%s", e.msg);
        return 0;
}

int
dfstage_expand(struct dfstage_run *s, const char *word, char **ret)
{
        struct shellexpand sx = { .escape = (unsigned char)s->pl->df->escape,
                                  .lookup = run_lookup,
                                  .ctx = s };

        return expand_with(s, &sx, word, ret, NULL);
}

int
dfstage_expand_words(struct dfstage_run *s, const char *word, char ***ret)
{
        struct shellexpand sx = { .escape = (unsigned char)s->pl->df->escape,
                                  .lookup = run_lookup,
                                  .ctx = s };

        return expand_with(s, &sx, word, NULL, ret);
}

int
dfstage_expand_raw(struct dfstage_run *s, const char *word, char **ret)
{
        struct shellexpand sx = {
                .escape = '\\', .skip_quotes = true, .lookup = run_lookup, .ctx = s
        };

        return expand_with(s, &sx, word, ret, NULL);
}

static int
expand_global(struct dfstage_run *s, const char *word, char **ret)
{
        struct shellexpand sx = { .escape = (unsigned char)s->pl->df->escape,
                                  .lookup = env_lookup,
                                  .ctx = &s->pl->globals };

        return expand_with(s, &sx, word, ret, NULL);
}

/* --- platforms --- */

static const char *
host_arch(const char **variant)
{
        static const struct {
                const char *machine, *arch, *variant;
        } map[] = {
                { "x86_64", "amd64", "" },    { "aarch64", "arm64", "" },
                { "armv7l", "arm", "v7" },    { "armv6l", "arm", "v6" },
                { "i686", "386", "" },        { "i386", "386", "" },
                { "ppc64le", "ppc64le", "" }, { "s390x", "s390x", "" },
                { "riscv64", "riscv64", "" },
        };
        struct utsname u;

        *variant = "";
        if (uname(&u) == 0) {
                for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
                        if (strcmp(u.machine, map[i].machine) == 0) {
                                *variant = map[i].variant;
                                return map[i].arch;
                        }
                }
        }
        return "amd64";
}

/* BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT (prefix "BUILD") from "os/arch[/variant]" */
static int
platform_args(struct env *e, const char *prefix, const char *platform, struct err *err)
{
        cleanup_strv char **parts = strv_split(platform, "/");
        size_t n = strv_length(parts);
        cleanup_free char *k = NULL;

        if (n < 2 || n > 3 || !parts[0][0] || !parts[1][0])
                return err_setf(err, -EINVAL, "invalid platform '%s': want os/arch[/variant]",
                                platform);
        k = xasprintf("%sPLATFORM", prefix);
        env_set(e, k, platform);
        free(k);
        k = xasprintf("%sOS", prefix);
        env_set(e, k, parts[0]);
        free(k);
        k = xasprintf("%sARCH", prefix);
        env_set(e, k, parts[1]);
        free(k);
        k = xasprintf("%sVARIANT", prefix);
        env_set(e, k, n == 3 ? parts[2] : "");
        return 0;
}

static int
init_globals(struct dfstage_planner *pl)
{
        cleanup_free char *host = NULL;
        const char *build = pl->o->build_platform, *target, *variant;
        const char *arch = host_arch(&variant);
        int r;

        if (!build) {
                host = *variant ? xasprintf("linux/%s/%s", arch, variant)
                                : xasprintf("linux/%s", arch);
                build = host;
        }
        target = pl->o->target_platform ? pl->o->target_platform : build;
        r = platform_args(&pl->globals, "BUILD", build, pl->err);
        if (r == 0)
                r = platform_args(&pl->globals, "TARGET", target, pl->err);
        return r;
}

/* --- pass 1: checks and global ARGs --- */

const char *
dfstage_build_arg(struct dfstage_planner *pl, const char *name)
{
        const char *v = pl->o->build_args ? env_get(pl->o->build_args, name) : NULL;

        if (v && !strv_contains(pl->consumed, name))
                strv_add(&pl->consumed, name);
        return v;
}

static int
global_arg(struct dfstage_run *s, const struct df_instr *in)
{
        struct dfstage_planner *pl = s->pl;

        for (size_t i = 0; i < in->nargs; i++) {
                cleanup_free char *key = NULL;
                cleanup_free char *val = NULL;
                const char *eq = strchr(in->args[i], '='), *given;
                int r;

                key = eq ? xstrndup(in->args[i], (size_t)(eq - in->args[i])) : xstrdup(in->args[i]);
                given = dfstage_build_arg(pl, key);
                if (given) {
                        val = xstrdup(given);
                } else if (eq) {
                        r = expand_global(s, eq + 1, &val);
                        if (r < 0)
                                return r;
                }
                if (val) {
                        env_set(&pl->globals, key, val);
                        env_set(&pl->plan->meta_args, key, val);
                }
        }
        return 0;
}

struct stage_src {
        size_t first, end; /* instruction indexes: the FROM, one past the last */
};

static int
new_stage(struct dfstage_planner *pl, size_t at, struct stage_src **src)
{
        struct dfstage_plan *plan = pl->plan;
        struct dfstage_stage *st;

        plan->stages = xreallocarray(plan->stages, plan->n + 1, sizeof(*plan->stages));
        *src = xreallocarray(*src, plan->n + 1, sizeof(**src));
        st = &plan->stages[plan->n];
        memset(st, 0, sizeof(*st));
        dfstage_config_init(&st->config);
        st->index = plan->n;
        st->base_stage = -1;
        st->line = pl->df->instrs[at].start_line;
        (*src)[plan->n].first = at;
        (*src)[plan->n].end = pl->df->n;
        if (plan->n > 0)
                (*src)[plan->n - 1].end = at;
        plan->n++;
        return 0;
}

static int
collect(struct dfstage_planner *pl, struct stage_src **src)
{
        struct dfstage_run s = { .pl = pl, .where = "" };
        int r;

        for (size_t i = 0; i < pl->df->n; i++) {
                const struct df_instr *in = &pl->df->instrs[i];

                s.line = in->start_line;
                r = dfstage_check(&s, in);
                if (r < 0)
                        return r;
                if (in->cmd == DF_FROM)
                        r = new_stage(pl, i, src);
                else if (pl->plan->n == 0 && in->cmd == DF_ARG)
                        r = global_arg(&s, in);
                else if (pl->plan->n == 0)
                        r = dfstage_fail(&s, "no build stage in current context");
                if (r < 0)
                        return r;
        }
        if (pl->plan->n == 0) {
                s.line = pl->df->end_line;
                return dfstage_fail(&s, "dockerfile contains no stages to build");
        }
        return 0;
}

/* --- pass 2: FROM --- */

static char *
lower(const char *s)
{
        char *out = xstrdup(s);

        for (char *p = out; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p | 0x20);
        return out;
}

static void
add_dep(struct dfstage_stage *st, size_t dep)
{
        for (size_t i = 0; i < st->ndeps; i++)
                if (st->deps[i] == dep)
                        return;
        st->deps = xreallocarray(st->deps, st->ndeps + 1, sizeof(size_t));
        st->deps[st->ndeps++] = dep;
}

static int
stage_from(struct dfstage_planner *pl, struct dfstage_stage *st, const struct df_instr *in)
{
        struct dfstage_run s = { .pl = pl, .st = st, .line = in->start_line, .where = "" };
        struct dfstage_flag spec[] = { DFSTAGE_FLAG("platform", STRING) };
        const struct dfstage_flag *plat;
        cleanup_free char *base = NULL;
        int r = dfstage_parse_flags(&s, in, spec, ARRAY_SIZE(spec));

        if (r < 0)
                return r;
        if (in->nargs == 3)
                st->name = lower(in->args[2]);
        r = expand_global(&s, in->args[0], &st->base);
        if (r < 0)
                return r;
        if (!st->base[0])
                return dfstage_fail(&s, "base name (%s) should not be blank", in->args[0]);
        plat = dfstage_flag_get(spec, ARRAY_SIZE(spec), "platform");
        if (plat) {
                r = expand_global(&s, plat->value, &st->platform);
                if (r < 0)
                        return r;
                if (!st->platform[0])
                        return dfstage_fail(&s, "empty platform value from expression %s",
                                            plat->value);
        }
        base = lower(st->base);
        for (size_t j = 0; j < st->index; j++) {
                const char *name = pl->plan->stages[j].name;

                if (name && strcmp(name, base) == 0) {
                        st->base_stage = (int)j;
                        add_dep(st, j);
                        break;
                }
        }
        return 0;
}

/* --- pass 3: the stage graph --- */

static bool
all_digits(const char *s)
{
        if (*s == '+' || *s == '-')
                s++;
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int
dfstage_stage_ref(struct dfstage_run *s, const char *ref, int *ret)
{
        struct dfstage_plan *plan = s->pl->plan;
        cleanup_free char *name = NULL;

        *ret = -1;
        if (all_digits(ref)) {
                long idx = strtol(ref, NULL, 10);

                if (idx < 0 || (size_t)idx >= s->st->index)
                        return dfstage_fail(s,
                                            "invalid stage index %s: it must name a stage "
                                            "before this one",
                                            ref);
                *ret = (int)idx;
                return 0;
        }
        name = lower(ref);
        for (size_t j = 0; j < plan->n; j++) {
                if (!plan->stages[j].name || strcmp(plan->stages[j].name, name) != 0)
                        continue;
                if (j >= s->st->index)
                        return dfstage_fail(s, "stage '%s' is used before it is defined", ref);
                *ret = (int)j;
                return 0;
        }
        return 0;
}

/* the from= of a --mount value ("type=bind,from=build,target=/x"), or NULL */
static char *
mount_from(const char *mount)
{
        cleanup_strv char **fields = strv_split(mount, ",");

        strv_foreach(f, fields) {
                if (strncasecmp(f, "from=", 5) == 0)
                        return xstrdup(f + 5);
        }
        return NULL;
}

static int
instr_deps(struct dfstage_run *s, const struct df_instr *in)
{
        int r, idx;

        if (in->cmd != DF_COPY && in->cmd != DF_RUN)
                return 0;
        /* the flags were checked in pass 1; pick the two that name stages */
        strv_foreach(a, in->flags) {
                cleanup_free char *from = NULL;

                if (in->cmd == DF_COPY && strncmp(a, "--from=", 7) == 0)
                        from = xstrdup(a + 7);
                else if (in->cmd == DF_RUN && strncmp(a, "--mount=", 8) == 0)
                        from = mount_from(a + 8);
                if (!from)
                        continue;
                r = dfstage_stage_ref(s, from, &idx);
                if (r < 0)
                        return r;
                if (idx >= 0)
                        add_dep(s->st, (size_t)idx);
        }
        return 0;
}

static void
mark_reachable(struct dfstage_plan *plan, size_t i)
{
        if (plan->stages[i].reachable)
                return;
        plan->stages[i].reachable = true;
        for (size_t d = 0; d < plan->stages[i].ndeps; d++)
                mark_reachable(plan, plan->stages[i].deps[d]);
}

static int
graph(struct dfstage_planner *pl, const struct stage_src *src)
{
        struct dfstage_plan *plan = pl->plan;
        int r;

        for (size_t i = 0; i < plan->n; i++) {
                struct dfstage_run s = { .pl = pl, .st = &plan->stages[i], .where = "" };

                for (size_t k = src[i].first + 1; k < src[i].end; k++) {
                        s.line = pl->df->instrs[k].start_line;
                        r = instr_deps(&s, &pl->df->instrs[k]);
                        if (r < 0)
                                return r;
                }
        }
        plan->target = plan->n - 1;
        if (pl->o->target) {
                int t = dfstage_find_stage(plan, pl->o->target);

                if (t < 0 || all_digits(pl->o->target))
                        return err_setf(pl->err, -ENOENT, "target stage \"%s\" could not be found",
                                        pl->o->target);
                plan->target = (size_t)t;
        }
        mark_reachable(plan, plan->target);
        return 0;
}

/* --- pass 4: walking a stage --- */

static int
base_config(struct dfstage_run *s)
{
        struct dfstage_stage *st = s->st;
        const struct dfstage_opts *o = s->pl->o;
        int r;

        if (st->base_stage >= 0) {
                dfstage_config_copy(&s->cfg, &s->pl->plan->stages[st->base_stage].config);
                return 0;
        }
        if (strcasecmp(st->base, "scratch") == 0 || !o->image_config)
                return 0;
        r = o->image_config(o->ctx, st->base, st->platform, &s->cfg, s->pl->err);
        if (r == -ENOENT) {
                err_clear(s->pl->err);
                dfstage_config_release(&s->cfg);
                return 0;
        }
        if (r < 0)
                return err_prefix(s->pl->err, "%s:%d: base image '%s'", s->pl->df->name, st->line,
                                  st->base);
        return 0;
}

/* a base image's ONBUILD triggers run first, as instructions of this stage */
static int
run_triggers(struct dfstage_run *s, char **triggers)
{
        cleanup_free char *text = strv_join(triggers, "\n");
        struct dockerfile *t = NULL;
        int r;

        s->where = " (ONBUILD trigger of the base image)";
        r = dockerfile_parse(s->pl->df->name, text, strlen(text), NULL, &t, s->pl->err);
        if (r < 0)
                return err_prefix(s->pl->err, "ONBUILD trigger of base image '%s'", s->st->base);
        for (size_t i = 0; r == 0 && i < t->n; i++) {
                const struct df_instr *in = &t->instrs[i];

                if (in->cmd == DF_FROM || in->cmd == DF_ONBUILD || in->cmd == DF_MAINTAINER)
                        r = dfstage_fail(s, "%s isn't allowed as an ONBUILD trigger",
                                         dockerfile_cmd_name(in->cmd));
                if (r == 0)
                        r = dfstage_check(s, in);
                if (r == 0)
                        r = dfstage_dispatch(s, in, true);
        }
        dockerfile_free(t);
        s->where = "";
        return r;
}

static int
walk_stage(struct dfstage_planner *pl, size_t idx, const struct stage_src *src)
{
        struct dfstage_stage *st = &pl->plan->stages[idx];
        struct dfstage_run s = { .pl = pl, .st = st, .line = st->line, .where = "" };
        cleanup_strv char **triggers = NULL;
        int r;

        dfstage_config_init(&s.cfg);
        env_init(&s.args);
        r = base_config(&s);
        triggers = s.cfg.onbuild;
        s.cfg.onbuild = NULL;
        /* docker adds the default PATH with the first instruction that commits */
        if (r == 0 && (triggers || src->end > src->first + 1) &&
            !dfstage_env_get(s.cfg.env, "PATH"))
                dfstage_env_set(&s.cfg.env, "PATH", DEFAULT_PATH);
        if (r == 0 && triggers)
                r = run_triggers(&s, triggers);
        for (size_t i = src->first + 1; r == 0 && i < src->end; i++) {
                s.line = pl->df->instrs[i].start_line;
                r = dfstage_dispatch(&s, &pl->df->instrs[i], false);
        }
        dfstage_config_release(&st->config);
        st->config = s.cfg;
        env_release(&s.args);
        strv_free(s.used);
        return r;
}

static void
warn_unused(struct dfstage_planner *pl)
{
        const struct env *ba = pl->o->build_args;

        for (size_t i = 0; ba && i < ba->n; i++) {
                const char *name = ba->names[i];

                if (dfstage_is_proxy_arg(name) || strv_contains(pl->consumed, name) ||
                    env_has(&pl->globals, name))
                        continue;
                strv_push(&pl->plan->warnings,
                          xasprintf("build-arg %s was not consumed by any ARG", name));
        }
}

static int
plan_all(struct dfstage_planner *pl)
{
        cleanup_free struct stage_src *src = NULL;
        int r = init_globals(pl);

        if (r == 0)
                r = collect(pl, &src);
        for (size_t i = 0; r == 0 && i < pl->plan->n; i++)
                r = stage_from(pl, &pl->plan->stages[i], &pl->df->instrs[src[i].first]);
        if (r == 0)
                r = graph(pl, src);
        for (size_t i = 0; r == 0 && i < pl->plan->n; i++)
                if (pl->plan->stages[i].reachable)
                        r = walk_stage(pl, i, &src[i]);
        if (r == 0)
                warn_unused(pl);
        return r;
}

int
dfstage_plan(const struct dockerfile *df, const struct dfstage_opts *opts,
             struct dfstage_plan **ret, struct err *err)
{
        static const struct dfstage_opts none = { 0 };
        struct dfstage_planner pl = { .df = df, .o = opts ? opts : &none, .err = err };
        int r;

        pl.plan = xcalloc(1, sizeof(*pl.plan));
        env_init(&pl.plan->meta_args);
        env_init(&pl.globals);
        r = plan_all(&pl);
        env_release(&pl.globals);
        strv_free(pl.consumed);
        if (r < 0) {
                dfstage_plan_free(pl.plan);
                return r;
        }
        *ret = pl.plan;
        return 0;
}

struct dfstage_plan *
dfstage_plan_free(struct dfstage_plan *plan)
{
        if (!plan)
                return NULL;
        for (size_t i = 0; i < plan->n; i++) {
                struct dfstage_stage *st = &plan->stages[i];

                free(st->name);
                free(st->base);
                free(st->platform);
                for (size_t k = 0; k < st->nsteps; k++)
                        dfstage_step_release(&st->steps[k]);
                free(st->steps);
                dfstage_config_release(&st->config);
                free(st->deps);
        }
        free(plan->stages);
        env_release(&plan->meta_args);
        strv_free(plan->warnings);
        free(plan);
        return NULL;
}

int
dfstage_find_stage(const struct dfstage_plan *plan, const char *name)
{
        cleanup_free char *l = lower(name);

        if (all_digits(name)) {
                long i = strtol(name, NULL, 10);

                return (i >= 0 && (size_t)i < plan->n) ? (int)i : -1;
        }
        for (size_t i = 0; i < plan->n; i++)
                if (plan->stages[i].name && strcmp(plan->stages[i].name, l) == 0)
                        return (int)i;
        return -1;
}
