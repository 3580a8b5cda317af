/* dotenv_vectors: run the .env vectors (compose-go/dotenv-vectors.json) through spec/dotenv.
 *
 * The file holds:
 *  - line_cases ({in, key, value}): parsing `in` alone gives exactly that one variable;
 *  - line_error_cases ({in, error_contains}): parsing `in` fails with that text;
 *  - file_cases ({name: {...}}): files in dotenv-fixtures/ next to the JSON file. Each
 *    entry has `expect` / `expect_without_os_env` (parsed with an empty environment),
 *    `expect_with_os_NAME=VALUE` (parsed with that one variable in the environment) or
 *    `error_contains`.
 *
 * A file expectation lists the variables that must be set with those values; like
 * godotenv's own tests (which the vectors come from) other variables of the file are not
 * checked (utf8-bom.env lists 5 of its 9), except that an empty expectation means that
 * nothing at all is set.
 * Expected errors of the form "line N: what" are compose-go's wording; berth puts the
 * position first ("<file>:N: what"), so either form is accepted for the same N and text.
 *
 * usage: dotenv_vectors dotenv-vectors.json
 * Prints each failing case with why, then "N passed, M failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "spec/dotenv.h"
#include "spec/env.h"

struct tally {
        int passed, failed;
};

static const char *
jstr(json_object *obj, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static void
fail(struct tally *t, const char *name, const char *why)
{
        printf("FAIL %s: %s\n", name, why);
        t->failed++;
}

/* error_matches: msg contains want, or want is "line N: what" and msg has "<file>:N: what". */
static bool
error_matches(const char *msg, const char *want, const char *file)
{
        cleanup_free char *alt = NULL;
        int line, used = 0;

        if (strstr(msg, want))
                return true;
        if (sscanf(want, "line %d: %n", &line, &used) != 1 || used == 0)
                return false;
        alt = xasprintf("%s:%d: %s", file, line, want + used);
        return strstr(msg, alt) != NULL;
}

static void
run_line_case(json_object *c, struct tally *t)
{
        const char *in = jstr(c, "in"), *key = jstr(c, "key"), *value = jstr(c, "value");
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };
        char why[256];

        if (!in || !key || !value) {
                fail(t, json_object_to_json_string(c), "malformed case");
                return;
        }
        if (dotenv_parse(in, strlen(in), "line", NULL, NULL, &out, &err) < 0) {
                fail(t, in, err.msg);
                return;
        }
        if (out.n != 1 || strcmp(out.names[0], key) != 0 || strcmp(out.values[0], value) != 0) {
                snprintf(why, sizeof(why), "got %zu variable(s), first %s=\"%s\"; want %s=\"%s\"",
                         out.n, out.n ? out.names[0] : "-", out.n ? out.values[0] : "-", key,
                         value);
                fail(t, in, why);
                return;
        }
        t->passed++;
}

static void
run_line_error_case(json_object *c, struct tally *t)
{
        const char *in = jstr(c, "in"), *want = jstr(c, "error_contains");
        cleanup_env struct env out = ENV_INIT;
        struct err err = { 0 };
        char why[1200];

        if (!in || !want) {
                fail(t, json_object_to_json_string(c), "malformed case");
                return;
        }
        if (dotenv_parse(in, strlen(in), "line", NULL, NULL, &out, &err) == 0) {
                fail(t, in, "parsed, want an error");
                return;
        }
        if (!error_matches(err.msg, want, "line")) {
                snprintf(why, sizeof(why), "error \"%s\" does not contain \"%s\"", err.msg, want);
                fail(t, in, why);
                return;
        }
        t->passed++;
}

/* compare: every expected variable is set to its value; an empty expectation: none is set. */
static bool
compare(const struct env *got, json_object *want, char *why, size_t why_len)
{
        json_object_object_foreach(want, k, v) {
                const char *g = env_get(got, k);

                if (!g || strcmp(g, json_object_get_string(v)) != 0) {
                        snprintf(why, why_len, "%s: got %s%s%s, want \"%s\"", k, g ? "\"" : "",
                                 g ? g : "unset", g ? "\"" : "", json_object_get_string(v));
                        return false;
                }
        }
        if (json_object_object_length(want) == 0 && got->n > 0) {
                snprintf(why, why_len, "unexpected variable %s=\"%s\"", got->names[0],
                         got->values[0]);
                return false;
        }
        return true;
}

/* run_expectation: one key of a file case. */
static void
run_expectation(const char *path, const char *name, const char *what, json_object *want,
                struct tally *t)
{
        cleanup_env struct env os = ENV_INIT;
        cleanup_env struct env out = ENV_INIT;
        cleanup_free char *label = xasprintf("%s [%s]", name, what);
        const char *eq;
        struct err err = { 0 };
        char why[1200];
        int r;

        if (strncmp(what, "expect_with_os_", 15) == 0 && (eq = strchr(what + 15, '='))) {
                cleanup_free char *var = xstrndup(what + 15, (size_t)(eq - (what + 15)));

                env_set(&os, var, eq + 1);
        }
        r = dotenv_read(path, false, env_lookup, &os, &out, &err);
        if (strcmp(what, "error_contains") == 0) {
                if (r == 0) {
                        fail(t, label, "parsed, want an error");
                        return;
                }
                if (!error_matches(err.msg, json_object_get_string(want), path)) {
                        snprintf(why, sizeof(why), "error \"%s\" does not contain \"%s\"", err.msg,
                                 json_object_get_string(want));
                        fail(t, label, why);
                        return;
                }
        } else if (r < 0) {
                fail(t, label, err.msg);
                return;
        } else if (!compare(&out, want, why, sizeof(why))) {
                fail(t, label, why);
                return;
        }
        t->passed++;
}

static void
run_file_case(const char *dir, const char *name, json_object *spec, struct tally *t)
{
        cleanup_free char *path = xasprintf("%s/dotenv-fixtures/%s", dir, name);
        int n = 0;

        json_object_object_foreach(spec, what, want) {
                if (strcmp(what, "note") == 0)
                        continue;
                if (strcmp(what, "error_contains") != 0 && strcmp(what, "expect") != 0 &&
                    strcmp(what, "expect_without_os_env") != 0 &&
                    strncmp(what, "expect_with_os_", 15) != 0) {
                        fail(t, name, "unknown expectation key");
                        continue;
                }
                run_expectation(path, name, what, want, t);
                n++;
        }
        if (n == 0)
                fail(t, name, "no expectation");
}

static void
run_array(json_object *root, const char *key, struct tally *t,
          void (*fn)(json_object *, struct tally *))
{
        json_object *arr;

        if (!json_object_object_get_ex(root, key, &arr) ||
            !json_object_is_type(arr, json_type_array)) {
                fail(t, key, "missing array");
                return;
        }
        for (size_t i = 0; i < json_object_array_length(arr); i++)
                fn(json_object_array_get_idx(arr, i), t);
}

int
main(int argc, char **argv)
{
        cleanup_free char *dir = NULL;
        struct tally t = { 0 };
        json_object *root, *files;

        if (argc != 2) {
                fprintf(stderr, "usage: %s dotenv-vectors.json\n", argv[0]);
                return 2;
        }
        root = json_object_from_file(argv[1]);
        if (!root) {
                fprintf(stderr, "read '%s': %s\n", argv[1], json_util_get_last_err());
                return 2;
        }
        dir = path_dirname(argv[1]);
        run_array(root, "line_cases", &t, run_line_case);
        run_array(root, "line_error_cases", &t, run_line_error_case);
        if (json_object_object_get_ex(root, "file_cases", &files)) {
                json_object_object_foreach(files, name, spec) run_file_case(dir, name, spec, &t);
        } else {
                fail(&t, "file_cases", "missing object");
        }
        json_object_put(root);
        printf("%d passed, %d failed\n", t.passed, t.failed);
        return t.failed ? 1 : 0;
}
