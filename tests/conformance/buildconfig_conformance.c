/* buildconfig_conformance DIR: for every DIR/<case>/Dockerfile of the build-config corpus,
 * computes the image config with spec/dfstage (nothing is run; base images have an empty
 * config, as the corpus's busybox:local) and compares it with <case>/expected-config.json
 * (docker's `inspect .Config` subset; maps compared without order). When <case>/history.txt
 * is there, the build args each RUN step depends on must be the ones docker listed in its
 * "|N NAME=value" prefix, each WORKDIR must resolve to the directory docker recorded, and
 * each COPY/ADD line must be the builder's text (engine/build_layer.c) for the hash docker
 * wrote; for sources from the context the hash itself is recomputed (engine/build_srchash.c)
 * on a copy of the case with the 0644/0755 modes it was recorded with.
 * expected-files.txt (what RUN steps wrote) needs containers and is not checked here.
 * Prints "N passed, M failed".
 */
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/build_copy_int.h"
#include "engine/build_int.h"
#include "spec/dfstage.h"
#include "spec/dockerfile.h"

static int fail(struct sbuf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct sbuf *why, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (why->len == 0)
                sbuf_vaddf(why, fmt, ap);
        va_end(ap);
        return -1;
}

/* the steps of the target and of the stages it is built FROM, oldest first */
static void
chain_steps(const struct dfstage_plan *plan, size_t idx, const struct dfstage_step ***v, size_t *n)
{
        const struct dfstage_stage *st = &plan->stages[idx];

        if (st->base_stage >= 0)
                chain_steps(plan, (size_t)st->base_stage, v, n);
        for (size_t i = 0; i < st->nsteps; i++) {
                *v = xreallocarray(*v, *n + 1, sizeof(**v));
                (*v)[(*n)++] = &st->steps[i];
        }
}

/* "|2 A=1 B=2 /bin/sh -c ..." -> "A=1,B=2"; "" without the prefix */
static char *
history_args(const char *line)
{
        cleanup_strv char **words = strv_split(line, " ");
        cleanup_strv char **args = NULL;
        long n;

        if (line[0] != '|')
                return xstrdup("");
        n = strtol(line + 1, NULL, 10);
        for (long i = 1; i <= n && words[i]; i++)
                strv_add(&args, words[i]);
        strv_sort(args);
        return strv_join(args, ",");
}

/* ctx_hash: the hash text of a step's context sources, computed in ctx (a copy of the case) */
static char *
ctx_hash(const char *ctx, const struct dfstage_step *st)
{
        struct copy_job j = { .rootfd = -1, .lookfd = -1, .hash_kind = COPY_HASH_CONTEXT };
        cleanup_strv char **texts = NULL;
        struct err e = { 0 };

        j.srcfd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        strv_foreach(src, st->srcs) {
                cleanup_free char *pat = xasprintf("%s/%s", ctx, src);
                glob_t g = { 0 };

                if (glob(pat, 0, NULL, &g) == 0)
                        for (size_t i = 0; i < g.gl_pathc; i++) {
                                char *t = NULL;

                                if (copy_src_hash(&j, g.gl_pathv[i] + strlen(ctx) + 1, &t, &e) == 0)
                                        strv_push(&texts, t);
                        }
                globfree(&g);
        }
        close(j.srcfd);
        if (strv_length(texts) == 1)
                return xstrdup(texts[0]);
        return texts ? copy_hash_join("multi", texts) : xstrdup("(no sources)");
}

/* check_copy: a COPY/ADD history line l against step st */
static int
check_copy(const struct dockerfile *df, const char *ctx, const struct dfstage_step *st,
           const char *l, struct sbuf *why)
{
        const char *nop = strstr(l, "#(nop)"), *h = NULL, *in;
        cleanup_free char *prefix = xstrndup(l, nop && nop > l ? (size_t)(nop - l - 1) : 0);
        cleanup_strv char **sh = strv_split(prefix, " ");
        cleanup_free char *hash = NULL, *got = NULL, *want = NULL;
        const char *dest = NULL;

        for (const char *k = nop; !h && k && *k; k++)
                if (!strncmp(k, "file:", 5) || !strncmp(k, "dir:", 4) || !strncmp(k, "multi:", 6))
                        h = k;
        in = h ? strstr(h, " in ") : NULL;
        if (!in)
                return fail(why, "line %d: unexpected docker history: %s", st->line, l);
        hash = xstrndup(h, (size_t)(in - h));
        for (size_t i = 0; i < df->n; i++)
                if (df->instrs[i].start_line == st->line && df->instrs[i].nargs)
                        dest = df->instrs[i].args[df->instrs[i].nargs - 1];
        got = build_created_by(st, sh, hash, dest);
        if (strcmp(got, l) != 0)
                return fail(why, "line %d: history text\n  got  %s\n  want %s", st->line, got, l);
        if (st->from || (st->srcs && strstr(st->srcs[0], "://")))
                return 0; /* hashes of another stage's files: checked by test_build_corpus */
        want = ctx_hash(ctx, st);
        if (strcmp(want, hash) != 0)
                return fail(why, "line %d: source hash %s, docker had %s", st->line, want, hash);
        return 0;
}

static int
check_history(const struct dockerfile *df, const char *ctx, const struct dfstage_plan *plan,
              const char *text, struct sbuf *why)
{
        cleanup_strv char **lines = strv_split(text, "\n");
        cleanup_free const struct dfstage_step **steps = NULL;
        size_t n = 0, run = 0, wd = 0, cp = 0;

        chain_steps(plan, plan->target, &steps, &n);
        strv_foreach(l, lines) {
                if (!l[0])
                        continue;
                if (strstr(l, "#(nop) COPY ") || strstr(l, "#(nop) ADD ")) {
                        while (cp < n && steps[cp]->cmd != DF_COPY && steps[cp]->cmd != DF_ADD)
                                cp++;
                        if (cp >= n)
                                return fail(why, "docker ran more COPY/ADD steps than we planned");
                        if (check_copy(df, ctx, steps[cp++], l, why) < 0)
                                return -1;
                        continue;
                }
                if (strstr(l, "#(nop) WORKDIR ")) {
                        const char *want = strstr(l, "WORKDIR ") + 8;

                        while (wd < n && steps[wd]->cmd != DF_WORKDIR)
                                wd++;
                        if (wd + 1 >= n || strcmp(steps[wd + 1]->workdir, want) != 0)
                                return fail(why, "WORKDIR: docker resolved %s", want);
                        wd++;
                        continue;
                }
                if (strstr(l, "#(nop)"))
                        continue;
                while (run < n && steps[run]->cmd != DF_RUN)
                        run++;
                if (run >= n)
                        return fail(why, "docker ran more RUN steps than we planned");
                cleanup_free char *want = history_args(l);
                cleanup_free char *got = strv_join(steps[run]->key_args, ",");
                if (strcmp(want, got) != 0)
                        return fail(why, "RUN at line %d: build args [%s], docker had [%s]",
                                    steps[run]->line, got, want);
                run++;
        }
        return 0;
}

/* case_copy: the case copied to a temporary dir with the modes docker saw (owned path) */
static char *
case_copy(const char *dir)
{
        char *tmp = xstrdup("/tmp/berth-buildconfig-XXXXXX");
        cleanup_free char *cmd = NULL;

        if (!mkdtemp(tmp)) {
                free(tmp);
                return NULL;
        }
        cmd = xasprintf("cp -r '%s/.' '%s' && find '%s' -type d -exec chmod 755 {} + && "
                        "find '%s' -type f -exec chmod 644 {} +", dir, tmp, tmp, tmp);
        if (system(cmd) != 0) {
                free(cmd);
                cmd = xasprintf("rm -rf '%s'", tmp);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", tmp);
                free(tmp);
                return NULL;
        }
        return tmp;
}

static int
check_case_history(const struct dockerfile *df, const char *dir, const struct dfstage_plan *plan,
                   const char *hist, struct sbuf *why)
{
        cleanup_free char *ctx = case_copy(dir);
        cleanup_free char *rm = ctx ? xasprintf("rm -rf '%s'", ctx) : NULL;
        int r;

        if (!ctx)
                return fail(why, "cannot copy the case to a temporary dir");
        r = check_history(df, ctx, plan, hist, why);
        if (system(rm) != 0)
                fprintf(stderr, "cannot remove %s\n", ctx);
        return r;
}

static int
run_case(const char *dir, struct sbuf *why)
{
        cleanup_free char *path = xasprintf("%s/Dockerfile", dir);
        cleanup_free char *want_path = xasprintf("%s/expected-config.json", dir);
        cleanup_free char *hist_path = xasprintf("%s/history.txt", dir);
        cleanup_free char *text = NULL;
        cleanup_free char *hist = NULL;
        struct dockerfile *df = NULL;
        struct dfstage_plan *plan = NULL;
        struct dfstage_opts o = { 0 };
        json_object *want = NULL, *got = NULL;
        struct err err = { 0 };
        size_t len;
        int r;

        r = fs_read_capped(path, 1 << 20, &text, &len, &err);
        if (r == 0)
                r = dockerfile_parse(NULL, text, len, NULL, &df, &err);
        if (r == 0)
                r = dfstage_plan(df, &o, &plan, &err);
        if (r < 0) {
                dockerfile_free(df);
                return fail(why, "%s", err.msg);
        }
        want = json_object_from_file(want_path);
        got = dfstage_config_to_json(&plan->stages[plan->target].config);
        if (!want)
                r = fail(why, "cannot read %s", want_path);
        else if (!json_object_equal(want, got))
                r = fail(why, "config differs:\n--- got\n%s\n--- want\n%s",
                         json_object_to_json_string_ext(got, JSON_C_TO_STRING_PRETTY),
                         json_object_to_json_string_ext(want, JSON_C_TO_STRING_PRETTY));
        if (r == 0 && fs_exists(hist_path) &&
            fs_read_capped(hist_path, 1 << 20, &hist, NULL, NULL) == 0)
                r = check_case_history(df, dir, plan, hist, why);
        json_object_put(want);
        json_object_put(got);
        dfstage_plan_free(plan);
        dockerfile_free(df);
        return r;
}

static int
cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
        cleanup_strv char **names = NULL;
        int pass = 0, failed = 0, unrun = 0;
        struct dirent *e;
        DIR *d;

        if (argc != 2) {
                fprintf(stderr, "usage: %s BUILD-CONFIG-CASES-DIR\n", argv[0]);
                return 2;
        }
        d = opendir(argv[1]);
        if (!d) {
                printf("FAIL cannot open %s\n0 passed, 1 failed\n", argv[1]);
                return 1;
        }
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        strv_add(&names, e->d_name);
        closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_names);
        strv_foreach(name, names) {
                cleanup_free char *dir = xasprintf("%s/%s", argv[1], name);
                cleanup_free char *files = xasprintf("%s/expected-files.txt", dir);
                cleanup_sbuf struct sbuf why = SBUF_INIT;

                if (!fs_is_dir(dir))
                        continue;
                unrun += fs_exists(files);
                if (run_case(dir, &why) == 0) {
                        pass++;
                        continue;
                }
                failed++;
                printf("FAIL %s: %s\n", name, why.buf);
        }
        if (unrun)
                printf("note: %d cases also have expected-files.txt (files written by RUN), "
                       "which needs containers and is checked by the builder's tests\n",
                       unrun);
        printf("%d passed, %d failed\n", pass, failed);
        return failed > 0;
}
