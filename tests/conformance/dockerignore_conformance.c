/* dockerignore_conformance FILE.tsv: each row (id, group, path, expected, patterns...; see
 * dockerignore-README.md) writes its patterns as the lines of a .dockerignore, reads them
 * with spec/dockerignore and checks whether path is excluded (1), kept (0) or the pattern
 * list is rejected (ERR). Prints "N passed, M failed". */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "spec/dockerignore.h"

static const char *
evaluate(char **f, size_t nf, struct err *err)
{
        cleanup_sbuf struct sbuf file = SBUF_INIT;
        cleanup_strv char **patterns = NULL;
        struct dockerignore *m = NULL;
        bool excluded;
        int r;

        for (size_t i = 4; i < nf; i++)
                sbuf_addf(&file, "%s\n", f[i]);
        r = dockerignore_read(file.buf, file.len, &patterns, err);
        if (r == 0)
                r = dockerignore_new(patterns, &m, err);
        if (r == 0)
                r = dockerignore_excluded(m, f[2], &excluded, err);
        dockerignore_free(m);
        if (r < 0)
                return "ERR";
        return excluded ? "1" : "0";
}

int
main(int argc, char **argv)
{
        cleanup_free char *text = NULL;
        cleanup_strv char **lines = NULL;
        struct err err = { 0 };
        int pass = 0, failed = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s dockerignore-cases.tsv\n", argv[0]);
                return 2;
        }
        if (fs_read_capped(argv[1], 16 << 20, &text, NULL, &err) < 0) {
                printf("FAIL %s\n0 passed, 1 failed\n", err.msg);
                return 1;
        }
        lines = strv_split(text, "\n");
        strv_foreach(l, lines) {
                cleanup_strv char **f = NULL;
                struct err e = { 0 };
                const char *got;

                if (l[0] == '#' || l[0] == '\0' || strncmp(l, "id\t", 3) == 0)
                        continue;
                f = strv_split(l, "\t");
                if (strv_length(f) < 4) {
                        printf("FAIL malformed row [%s]\n", l);
                        failed++;
                        continue;
                }
                got = evaluate(f, strv_length(f), &e);
                if (strcmp(got, f[3]) == 0) {
                        pass++;
                        continue;
                }
                failed++;
                printf("FAIL row %s (%s): path [%s]: got %s, want %s%s%s\n", f[0], f[1], f[2], got,
                       f[3], e.msg[0] ? ": " : "", e.msg);
        }
        printf("%d passed, %d failed\n", pass, failed);
        return failed > 0;
}
