/* interp_vectors: run the interpolation vectors (interpolation-vectors.json) through
 * spec/interp.
 *
 * The file holds `env` (the only variables that are set; every other name is unset),
 * `cases` ({in, out}: interp_string(in) must succeed with exactly out) and `error_cases`
 * ({in, error_contains}: interp_string(in) must fail with a message containing the text).
 *
 * usage: interp_vectors FILE
 * Prints each failing case with why, then "N passed, M failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/cleanup.h"
#include "base/err.h"
#include "spec/env.h"
#include "spec/interp.h"

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
load_env(json_object *root, struct env *env)
{
        json_object *e;

        if (!json_object_object_get_ex(root, "env", &e))
                return;
        json_object_object_foreach(e, k, v) env_set(env, k, json_object_get_string(v));
}

static void
run_case(json_object *c, const struct interp_opts *o, struct tally *t)
{
        const char *in = jstr(c, "in"), *want = jstr(c, "out");
        cleanup_free char *got = NULL;
        struct err err = { 0 };

        if (!in || !want) {
                printf("FAIL malformed case %s\n", json_object_to_json_string(c));
                t->failed++;
                return;
        }
        if (interp_string(in, o, &got, &err) < 0) {
                printf("FAIL %s: error %s, want \"%s\"\n", in, err.msg, want);
                t->failed++;
        } else if (strcmp(got, want) != 0) {
                printf("FAIL %s: got \"%s\", want \"%s\"\n", in, got, want);
                t->failed++;
        } else {
                t->passed++;
        }
}

static void
run_error_case(json_object *c, const struct interp_opts *o, struct tally *t)
{
        const char *in = jstr(c, "in"), *want = jstr(c, "error_contains");
        cleanup_free char *got = NULL;
        struct err err = { 0 };

        if (!in || !want) {
                printf("FAIL malformed error case %s\n", json_object_to_json_string(c));
                t->failed++;
                return;
        }
        if (interp_string(in, o, &got, &err) == 0) {
                printf("FAIL %s: got \"%s\", want an error containing \"%s\"\n", in, got, want);
                t->failed++;
        } else if (!strstr(err.msg, want)) {
                printf("FAIL %s: error \"%s\" does not contain \"%s\"\n", in, err.msg, want);
                t->failed++;
        } else {
                t->passed++;
        }
}

static void
run_list(json_object *root, const char *key, const struct interp_opts *o, struct tally *t,
         void (*fn)(json_object *, const struct interp_opts *, struct tally *))
{
        json_object *arr;

        if (!json_object_object_get_ex(root, key, &arr) ||
            !json_object_is_type(arr, json_type_array)) {
                printf("FAIL missing \"%s\" array\n", key);
                t->failed++;
                return;
        }
        for (size_t i = 0; i < json_object_array_length(arr); i++)
                fn(json_object_array_get_idx(arr, i), o, t);
}

int
main(int argc, char **argv)
{
        cleanup_env struct env env = ENV_INIT;
        struct interp_opts o = { .lookup = env_lookup, .ctx = &env };
        struct tally t = { 0 };
        json_object *root;

        if (argc != 2) {
                fprintf(stderr, "usage: %s interpolation-vectors.json\n", argv[0]);
                return 2;
        }
        root = json_object_from_file(argv[1]);
        if (!root) {
                fprintf(stderr, "read '%s': %s\n", argv[1], json_util_get_last_err());
                return 2;
        }
        load_env(root, &env);
        run_list(root, "cases", &o, &t, run_case);
        run_list(root, "error_cases", &o, &t, run_error_case);
        json_object_put(root);
        printf("%d passed, %d failed\n", t.passed, t.failed);
        return t.failed ? 1 : 0;
}
