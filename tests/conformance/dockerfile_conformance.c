/* dockerfile-conformance DIR [--spans=A-B:S-E,S-E,...] [--semantic-error]
 *
 * Parses every <case>/Dockerfile under DIR (or DIR/Dockerfile when DIR is itself a case)
 * with spec/dockerfile and compares the AST dump with <case>/result (the format of the parser
 * corpus MANIFEST); a case without result must fail to parse (unless --spans is given). Where a
 * case has them, it also checks warnings (each expected line among the parser's warnings),
 * heredocs.jsonl / expected.jsonl (heredoc names, bodies, flags per instruction) and
 * heredoc-markers.tsv.
 * --spans checks line numbers: the span of the whole file, then of each instruction.
 * --semantic-error: the cases parse but the instruction layer (spec/dfstage) must reject them.
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

struct opts {
        const char *spans;
        bool semantic_error;
};

struct tally {
        int pass, fail;
};

static char *
read_opt(const char *dir, const char *file)
{
        cleanup_free char *path = xasprintf("%s/%s", dir, file);
        char *text = NULL;

        if (!fs_exists(path) || fs_read_capped(path, 16 << 20, &text, NULL, NULL) < 0)
                return NULL;
        return text;
}

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

static int
check_heredoc(const struct df_heredoc *h, json_object *want, struct sbuf *why)
{
        json_object *v;

        if (json_object_object_get_ex(want, "name", &v) &&
            strcmp(json_object_get_string(v), h->name) != 0)
                return fail(why, "heredoc name %s, want %s", h->name, json_object_get_string(v));
        if (json_object_object_get_ex(want, "content", &v) &&
            strcmp(json_object_get_string(v), h->content) != 0)
                return fail(why, "heredoc %s content [%s], want [%s]", h->name, h->content,
                            json_object_get_string(v));
        if (json_object_object_get_ex(want, "expand", &v) &&
            json_object_get_boolean(v) != h->expand)
                return fail(why, "heredoc %s expand %d", h->name, h->expand);
        if (json_object_object_get_ex(want, "chomp", &v) && json_object_get_boolean(v) != h->chomp)
                return fail(why, "heredoc %s chomp %d", h->name, h->chomp);
        if (json_object_object_get_ex(want, "fd", &v) &&
            (unsigned long)json_object_get_int64(v) != h->fd)
                return fail(why, "heredoc %s fd %lu", h->name, h->fd);
        return 0;
}

/* one JSON object per instruction: index, [first_line], heredocs */
static int
check_heredocs_jsonl(const struct dockerfile *df, const char *text, struct sbuf *why)
{
        cleanup_strv char **lines = strv_split(text, "\n");

        strv_foreach(l, lines) {
                json_object *o = json_tokener_parse(l), *v, *docs;
                const struct df_instr *in;
                int r = 0;

                if (!o)
                        continue;
                json_object_object_get_ex(o, "index", &v);
                size_t idx = (size_t)json_object_get_int(v);
                if (idx >= df->n) {
                        json_object_put(o);
                        return fail(why, "no instruction %zu", idx);
                }
                in = &df->instrs[idx];
                if (json_object_object_get_ex(o, "first_line", &v) &&
                    strcmp(json_object_get_string(v), in->original) != 0)
                        r = fail(why, "instruction %zu is [%s]", idx, in->original);
                json_object_object_get_ex(o, "heredocs", &docs);
                if (r == 0 && json_object_array_length(docs) != in->nheredocs)
                        r = fail(why, "instruction %zu has %zu heredocs", idx, in->nheredocs);
                for (size_t i = 0; r == 0 && i < in->nheredocs; i++)
                        r = check_heredoc(&in->heredocs[i], json_object_array_get_idx(docs, i),
                                          why);
                json_object_put(o);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
check_marker_row(char **f, struct sbuf *why)
{
        cleanup_sbuf struct sbuf got = SBUF_INIT;
        struct df_heredoc *docs = NULL;
        size_t n = 0;
        int r;

        if (strcmp(f[0], "word") == 0) {
                struct df_heredoc h = { 0 };

                r = dockerfile_heredoc_word(f[1], &h, NULL);
                sbuf_adds(&got, r < 0 ? "<ERR>" : r == 0 ? "<NONE>" : h.name);
                dockerfile_heredoc_release(&h);
        } else {
                r = dockerfile_heredoc_markers(f[1], &docs, &n, NULL);
                for (size_t i = 0; i < n; i++) {
                        sbuf_addf(&got, "%s%s", i ? "," : "", docs[i].name);
                        dockerfile_heredoc_release(&docs[i]);
                }
                free(docs);
                if (r < 0)
                        sbuf_adds(&got, "<ERR>");
                else if (n == 0)
                        sbuf_adds(&got, "<NONE>");
        }
        if (strcmp(got.buf, f[2]) != 0)
                return fail(why, "marker %s [%s]: got %s, want %s", f[0], f[1], got.buf, f[2]);
        return 0;
}

static int
check_markers(const char *text, struct sbuf *why)
{
        cleanup_strv char **lines = strv_split(text, "\n");

        strv_foreach(l, lines) {
                cleanup_strv char **f = NULL;
                char *tab1 = strchr(l, '\t'), *tab2;

                if (l[0] == '#' || !tab1 || strncmp(l, "kind\t", 5) == 0)
                        continue;
                tab2 = strchr(tab1 + 1, '\t');
                if (!tab2)
                        continue;
                *tab1 = *tab2 = '\0';
                f = xcalloc(4, sizeof(char *));
                f[0] = xstrdup(l);
                f[1] = xstrdup(tab1 + 1);
                f[2] = xstrdup(tab2 + 1);
                if (check_marker_row(f, why) < 0)
                        return -1;
        }
        return 0;
}

static int
check_warnings(const struct dockerfile *df, const char *text, struct sbuf *why)
{
        cleanup_strv char **lines = strv_split(text, "\n");

        strv_foreach(l, lines) {
                if (l[0] && !strv_contains(df->warnings, l))
                        return fail(why, "missing warning [%s]", l);
        }
        return 0;
}

/* "A-B:S-E,S-E,...": the whole span, then each instruction's */
static int
check_spans(const struct dockerfile *df, const char *spans, struct sbuf *why)
{
        cleanup_sbuf struct sbuf got = SBUF_INIT;

        sbuf_addf(&got, "%d-%d:", df->start_line, df->end_line);
        for (size_t i = 0; i < df->n; i++)
                sbuf_addf(&got, "%s%d-%d", i ? "," : "", df->instrs[i].start_line,
                          df->instrs[i].end_line);
        if (strcmp(got.buf, spans) != 0)
                return fail(why, "line spans %s, want %s", got.buf, spans);
        return 0;
}

static int
check_semantic_error(const struct dockerfile *df, struct sbuf *why)
{
        struct dfstage_opts o = { 0 };
        struct dfstage_plan *plan = NULL;
        struct err err = { 0 };

        if (dfstage_plan(df, &o, &plan, &err) == 0) {
                dfstage_plan_free(plan);
                return fail(why, "the instruction layer accepted it");
        }
        return 0;
}

static int
check_extras(const char *dir, const struct dockerfile *df, const struct opts *o, struct sbuf *why)
{
        static const char *const jsonl[] = { "heredocs.jsonl", "expected.jsonl" };
        cleanup_free char *warnings = read_opt(dir, "warnings");
        cleanup_free char *markers = read_opt(dir, "heredoc-markers.tsv");

        for (size_t i = 0; i < 2; i++) {
                cleanup_free char *text = read_opt(dir, jsonl[i]);

                if (text && check_heredocs_jsonl(df, text, why) < 0)
                        return -1;
        }
        if (warnings && check_warnings(df, warnings, why) < 0)
                return -1;
        if (markers && check_markers(markers, why) < 0)
                return -1;
        if (o->spans && check_spans(df, o->spans, why) < 0)
                return -1;
        if (o->semantic_error && check_semantic_error(df, why) < 0)
                return -1;
        return 0;
}

static int
run_case(const char *dir, const struct opts *o, struct sbuf *why)
{
        cleanup_free char *path = xasprintf("%s/Dockerfile", dir);
        cleanup_free char *text = NULL;
        cleanup_free char *want = read_opt(dir, "result");
        cleanup_sbuf struct sbuf dump = SBUF_INIT;
        struct dockerfile *df = NULL;
        struct err err = { 0 };
        size_t len;
        int r;

        if (fs_read_capped(path, 16 << 20, &text, &len, &err) < 0)
                return fail(why, "%s", err.msg);
        r = dockerfile_parse(NULL, text, len, NULL, &df, &err);
        if (!want && !o->spans)
                return r < 0 ? 0 : (dockerfile_free(df), fail(why, "parsed, but must fail"));
        if (r < 0)
                return fail(why, "%s", err.msg);
        dockerfile_dump(df, &dump);
        if (want && strcmp(dump.buf, want) != 0)
                r = fail(why, "dump differs:\n--- got\n%s--- want\n%s", dump.buf, want);
        else
                r = check_extras(dir, df, o, why);
        dockerfile_free(df);
        return r;
}

static void
one(const char *dir, const char *label, const struct opts *o, struct tally *t)
{
        cleanup_sbuf struct sbuf why = SBUF_INIT;

        if (run_case(dir, o, &why) == 0) {
                t->pass++;
                return;
        }
        t->fail++;
        printf("FAIL %s: %s\n", label, why.buf);
}

static int
cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
        struct opts o = { 0 };
        struct tally t = { 0 };
        const char *dir = NULL;

        for (int i = 1; i < argc; i++) {
                if (strncmp(argv[i], "--spans=", 8) == 0)
                        o.spans = argv[i] + 8;
                else if (strcmp(argv[i], "--semantic-error") == 0)
                        o.semantic_error = true;
                else
                        dir = argv[i];
        }
        if (!dir) {
                fprintf(stderr, "usage: %s DIR [--spans=A-B:S-E,...] [--semantic-error]\n",
                        argv[0]);
                return 2;
        }
        cleanup_free char *self = xasprintf("%s/Dockerfile", dir);
        if (fs_exists(self)) {
                one(dir, dir, &o, &t);
        } else {
                DIR *d = opendir(dir);
                struct dirent *e;
                cleanup_strv char **names = NULL;

                if (!d) {
                        printf("FAIL %s: cannot open\n0 passed, 1 failed\n", dir);
                        return 1;
                }
                while ((e = readdir(d)))
                        if (e->d_name[0] != '.')
                                strv_add(&names, e->d_name);
                closedir(d);
                if (names)
                        qsort(names, strv_length(names), sizeof(char *), cmp_names);
                strv_foreach(name, names) {
                        cleanup_free char *sub = xasprintf("%s/%s", dir, name);

                        if (fs_is_dir(sub))
                                one(sub, name, &o, &t);
                }
        }
        printf("%d passed, %d failed\n", t.pass, t.fail);
        return t.fail > 0;
}
