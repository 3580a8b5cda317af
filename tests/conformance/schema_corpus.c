/* schema_corpus: validate every compose YAML file under a directory against the compose-spec
 * schema (spec/schema), without interpolation, as `berth config` would see each file.
 *
 * A file must fail validation when it is named in `expected_invalid` below or when its first
 * line says `# expect: INVALID (schema)`; then the error must contain the expected text (the
 * table's, else the first "..." of that line) and start with the file's name and position.
 * Every other file must pass: the upstream compose-go and docker compose files and the
 * authored ones that are invalid for other reasons (cycles, undefined references...).
 * Files that are not compose files (expected outputs, vector files) are skipped, as are
 * files the YAML reader rejects and documents that are not mappings (the loader's errors).
 *
 * usage: schema_corpus DIR
 * Prints each failing file and why, then "N passed, M failed".
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/node.h"
#include "spec/schema.h"
#include "spec/yaml.h"

#define CORPUS_MAX_BYTES (4u << 20)

/* Files whose header does not say "(schema)" or quotes another wording. */
static const struct {
        const char *suffix;
        const char *want;
} expected_invalid[] = {
        { "authored/invalid/depends-on-bad-condition.yaml",
          "services.web.depends_on.db.condition value must be one of 'service_started', "
          "'service_healthy', 'service_completed_successfully'" },
        { "authored/invalid/image-not-string.yaml", "services.web.image must be a string" },
        { "authored/invalid/unknown-service-attribute.yaml",
          "services.web additional properties 'impossible' not allowed" },
        { "authored/invalid/services-not-mapping.yaml", "services must be a mapping" },
        /* the `nil:` service only loads with validation skipped (MANIFEST.md) */
        { "compose-go/loader-testdata/extends/base.yaml", "services.nil must be a mapping" },
};

/* Not compose files: expected outputs and test vectors. */
static const char *const not_compose[] = {
        "expected.yaml",  "expected-normalized.yaml", "merge-vectors.yaml",
        "scenarios.yaml", "expected-config.yaml",     "expected-config-no-interpolate.yaml",
};

static bool
has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool
is_compose_name(const char *name)
{
        if (!has_suffix(name, ".yaml") && !has_suffix(name, ".yml"))
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(not_compose); i++)
                if (strcmp(name, not_compose[i]) == 0)
                        return false;
        return true;
}

/* collect: the compose files under dir, recursively (symlinks not followed). */
static void
collect(const char *dir, int depth, char ***files)
{
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                cleanup_free char *path = NULL;
                if (de->d_name[0] == '.' && (!de->d_name[1] || strcmp(de->d_name, "..") == 0))
                        continue;
                path = path_join(dir, de->d_name);
                if (de->d_type == DT_DIR && depth < 16)
                        collect(path, depth + 1, files);
                else if (de->d_type == DT_REG && is_compose_name(de->d_name))
                        strv_push(files, TAKE_PTR(path));
        }
        closedir(d);
}

/* expectation: the text the error must contain, or NULL when the file must pass. */
static char *
expectation(const char *path, const char *text)
{
        const char *eol = strchr(text, '\n'), *q, *end;

        for (size_t i = 0; i < ARRAY_SIZE(expected_invalid); i++)
                if (has_suffix(path, expected_invalid[i].suffix))
                        return xstrdup(expected_invalid[i].want);
        eol = eol ? eol : text + strlen(text);
        q = strstr(text, "# expect: INVALID (schema)");
        if (!q || q > eol)
                return NULL;
        q = memchr(q, '"', (size_t)(eol - q));
        end = q ? memchr(q + 1, '"', (size_t)(eol - q - 1)) : NULL;
        if (!end)
                return xstrdup("");
        return xstrndup(q + 1, (size_t)(end - q - 1));
}

/* validate_docs: validate every mapping document: 1 when all pass, 0 when there is none. */
static int
validate_docs(const struct schema *s, const struct node *docs, struct err *err)
{
        int checked = 0, r;

        node_foreach_item(doc, docs) {
                if (doc->kind != NODE_MAP)
                        continue;
                checked = 1;
                r = schema_validate(s, doc, err);
                if (r < 0)
                        return r;
        }
        return checked;
}

/* run_file: 1 passed, 0 failed, -1 not applicable. */
static int
run_file(const struct schema *s, const char *path)
{
        cleanup_free char *text = NULL, *want = NULL;
        cleanup_node struct node *docs = NULL;
        struct err err = { 0 };
        size_t len;
        int r;

        if (fs_read_capped(path, CORPUS_MAX_BYTES, &text, &len, &err) < 0 ||
            yaml_load(text, len, path, NULL, &docs, &err) < 0)
                return -1;
        want = expectation(path, text);
        r = validate_docs(s, docs, &err);
        if (r == 0 && !want)
                return -1;
        if (r > 0 && !want)
                return 1;
        if (r >= 0) {
                printf("FAIL %s: accepted, want an error containing \"%s\"\n", path,
                       want ? want : "");
                return 0;
        }
        if (!want) {
                printf("FAIL %s: rejected: %s\n", path, err.msg);
                return 0;
        }
        if (!strstr(err.msg, want) || strncmp(err.msg, path, strlen(path)) != 0 ||
            err.msg[strlen(path)] != ':') {
                printf("FAIL %s: got \"%s\", want \"%s\" after the file's position\n", path,
                       err.msg, want);
                return 0;
        }
        return 1;
}

int
main(int argc, char **argv)
{
        cleanup_strv char **files = NULL;
        struct schema *s = NULL;
        struct err err = { 0 };
        int passed = 0, failed = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s DIR\n", argv[0]);
                return 2;
        }
        if (schema_new(&s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
        }
        collect(argv[1], 0, &files);
        if (!files) {
                fprintf(stderr, "%s: no compose files found\n", argv[1]);
                schema_free(s);
                return 1;
        }
        strv_sort(files);
        strv_foreach(path, files) {
                int r = run_file(s, path);
                passed += r > 0;
                failed += r == 0;
        }
        printf("%d passed, %d failed\n", passed, failed);
        schema_free(s);
        return failed ? 1 : 0;
}
