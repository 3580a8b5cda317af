/* shell_conformance DIR: runs the builder-expansion tables of DIR (the shell/ corpus:
 * envVarTest, wordsTest, extended-expansion-cases.tsv, formats in its README.md) through
 * spec/shellexpand and prints "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/env.h"
#include "spec/shellexpand.h"

struct tally {
        int pass, fail;
};

static char *
trim(char *s)
{
        char *end;

        while (*s == ' ' || *s == '\t')
                s++;
        end = s + strlen(s);
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                *--end = '\0';
        return s;
}

static void
report(struct tally *t, bool ok, const char *file, int line, const char *input, const char *want,
       const char *got)
{
        if (ok) {
                t->pass++;
                return;
        }
        t->fail++;
        printf("FAIL %s:%d: input [%s]: want [%s], got [%s]\n", file, line, input, want, got);
}

/* one word through ProcessWord: "error" expected means it must fail */
static void
check_word(struct tally *t, const struct env *env, const char *file, int line, const char *in,
           const char *want)
{
        struct shellexpand sx = { .lookup = env_lookup, .ctx = (void *)env };
        struct err err = { 0 };
        cleanup_free char *got = NULL;
        int r = shellexpand_word(&sx, in, &got, &err);

        if (strcmp(want, "error") == 0)
                report(t, r < 0, file, line, in, "error", r < 0 ? err.msg : got);
        else
                report(t, r == 0 && strcmp(got, want) == 0, file, line, in, want,
                       r < 0 ? err.msg : got);
}

static int
run_envvartest(const char *dir, struct tally *t)
{
        cleanup_free char *path = xasprintf("%s/envVarTest", dir);
        cleanup_free char *text = NULL;
        cleanup_strv char **lines = NULL;
        struct env env = ENV_INIT;
        struct err err = { 0 };
        int n = 0;

        if (fs_read_capped(path, 1 << 20, &text, NULL, &err) < 0) {
                printf("FAIL %s\n", err.msg);
                t->fail++;
                return -1;
        }
        env_set(&env, "PWD", "/home");
        env_set(&env, "SHELL", "bash");
        env_set(&env, "KOREAN", "한국어");
        env_set(&env, "NULL", "");
        lines = strv_split(text, "\n");
        strv_foreach(l, lines) {
                cleanup_strv char **f = NULL;

                n++;
                if (l[0] == '#' || trim(l)[0] == '\0')
                        continue;
                f = strv_split(l, "|");
                if (strv_length(f) != 3) {
                        report(t, false, "envVarTest", n, l, "3 fields", "other");
                        continue;
                }
                if (strcmp(trim(f[0]), "W") == 0)
                        continue;
                check_word(t, &env, "envVarTest", n, trim(f[1]), trim(f[2]));
        }
        env_release(&env);
        return 0;
}

static void
check_words(struct tally *t, const struct env *env, int line, const char *in, const char *want)
{
        struct shellexpand sx = { .lookup = env_lookup, .ctx = (void *)env };
        struct err err = { 0 };
        cleanup_strv char **got = NULL;
        cleanup_free char *joined = NULL;
        int r = shellexpand_words(&sx, in, &got, &err);

        if (r == 0)
                joined = strv_join(got, ",");
        if (strcmp(want, "error") == 0)
                report(t, r < 0, "wordsTest", line, in, want, r < 0 ? err.msg : joined);
        else
                report(t, r == 0 && strcmp(joined, want) == 0, "wordsTest", line, in, want,
                       r < 0 ? err.msg : joined);
}

static int
run_wordstest(const char *dir, struct tally *t)
{
        cleanup_free char *path = xasprintf("%s/wordsTest", dir);
        cleanup_free char *text = NULL;
        cleanup_strv char **lines = NULL;
        struct env env = ENV_INIT;
        struct err err = { 0 };
        int n = 0;

        if (fs_read_capped(path, 1 << 20, &text, NULL, &err) < 0) {
                printf("FAIL %s\n", err.msg);
                t->fail++;
                return -1;
        }
        lines = strv_split(text, "\n");
        strv_foreach(l, lines) {
                char *bar, *eq, *want;

                n++;
                if (l[0] == '#' || l[0] == '\0')
                        continue;
                if (strncmp(l, "ENV ", 4) == 0) {
                        char *kv = l + 4;

                        while (*kv == ' ')
                                kv++;
                        eq = strchr(kv, '=');
                        if (eq) {
                                *eq = '\0';
                                env_set(&env, kv, eq + 1);
                        }
                        continue;
                }
                bar = strchr(l, '|');
                if (!bar)
                        continue;
                *bar = '\0';
                want = bar + 1;
                while (*want == ' ')
                        want++;
                check_words(t, &env, n, trim(l), want);
        }
        env_release(&env);
        return 0;
}

/* the tsv rows: id, input, env (NAME=VALUE;...), expected (<ERR>, <EMPTY> or the text) */
static void
run_tsv_row(struct tally *t, int line, char **f)
{
        struct env env = ENV_INIT;
        cleanup_strv char **pairs = strv_split(f[2], ";");
        const char *want = f[3];

        strv_foreach(p, pairs) {
                char *eq = strchr(p, '=');

                if (eq) {
                        *eq = '\0';
                        env_set(&env, p, eq + 1);
                }
        }
        if (strcmp(want, "<ERR>") == 0)
                want = "error";
        else if (strcmp(want, "<EMPTY>") == 0)
                want = "";
        check_word(t, &env, "extended-expansion-cases.tsv", line, f[1], want);
        env_release(&env);
}

static int
run_extended(const char *dir, struct tally *t)
{
        cleanup_free char *path = xasprintf("%s/extended-expansion-cases.tsv", dir);
        cleanup_free char *text = NULL;
        cleanup_strv char **lines = NULL;
        struct err err = { 0 };
        int n = 0;

        if (fs_read_capped(path, 1 << 20, &text, NULL, &err) < 0) {
                printf("FAIL %s\n", err.msg);
                t->fail++;
                return -1;
        }
        lines = strv_split(text, "\n");
        strv_foreach(l, lines) {
                cleanup_strv char **f = NULL;

                n++;
                if (l[0] == '#' || l[0] == '\0' || strncmp(l, "id\t", 3) == 0)
                        continue;
                f = strv_split(l, "\t");
                if (strv_length(f) != 4) {
                        report(t, false, "extended-expansion-cases.tsv", n, l, "4 columns",
                               "other");
                        continue;
                }
                run_tsv_row(t, n, f);
        }
        return 0;
}

int
main(int argc, char **argv)
{
        struct tally t = { 0 };

        if (argc != 2) {
                fprintf(stderr, "usage: %s SHELL-CORPUS-DIR\n", argv[0]);
                return 2;
        }
        run_envvartest(argv[1], &t);
        run_wordstest(argv[1], &t);
        run_extended(argv[1], &t);
        printf("%d passed, %d failed\n", t.pass, t.fail);
        return t.fail > 0;
}
