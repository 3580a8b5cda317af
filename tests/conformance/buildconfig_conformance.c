/* buildconfig_conformance DIR: for every DIR/<case>/Dockerfile of the build-config corpus,
 * computes the image config with spec/dfstage (nothing is run; base images have an empty
 * config, as the corpus's busybox:local) and compares it with <case>/expected-config.json
 * (docker's `inspect .Config` subset; maps compared without order). When <case>/history.txt
 * is there, the build args each RUN step depends on must be the ones docker listed in its
 * "|N NAME=value" prefix, and each WORKDIR must resolve to the directory docker recorded.
 * expected-files.txt (what RUN steps wrote) needs containers and is not checked here.
 * Prints "N passed, M failed".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
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

static int
check_history(const struct dfstage_plan *plan, const char *text, struct sbuf *why)
{
        cleanup_strv char **lines = strv_split(text, "\n");
        cleanup_free const struct dfstage_step **steps = NULL;
        size_t n = 0, run = 0, wd = 0;

        chain_steps(plan, plan->target, &steps, &n);
        strv_foreach(l, lines) {
                if (!l[0])
                        continue;
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
                r = check_history(plan, hist, why);
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
