/* Tests for spec/cachekey: step cache keys change when a step's inputs change, and only
 * then (the scenarios of issue 3: unrelated edits, copied files, used and unused ARGs). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/cachekey.h"

struct fixture {
        char dir[64];
};

static int
setup(void **state)
{
        struct fixture *f = xcalloc(1, sizeof(*f));

        snprintf(f->dir, sizeof(f->dir), "/tmp/berth-test-cachekey-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", f->dir);
        int r = system(cmd);

        free(f);
        return r == 0 ? 0 : -1;
}

static void
put(const struct fixture *f, const char *name, const char *text)
{
        cleanup_free char *p = xasprintf("%s/%s", f->dir, name);

        assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644, NULL), 0);
}

/* the keys of the filesystem steps of the last stage, "|"-joined */
static char *
keys(const struct fixture *f, const char *dockerfile, const char *arg_name, const char *arg_val)
{
        struct env ba = ENV_INIT;
        struct dfstage_opts o = { .build_args = &ba };
        struct dockerfile *df = NULL;
        struct dfstage_plan *plan = NULL;
        struct context *ctx = NULL;
        struct err err = { 0 };
        char **out = NULL;
        char parent[CACHEKEY_SIZE] = "sha256:base-image";
        char *joined;

        if (arg_name)
                env_set(&ba, arg_name, arg_val);
        if (dockerfile_parse(NULL, dockerfile, strlen(dockerfile), NULL, &df, &err) < 0 ||
            dfstage_plan(df, &o, &plan, &err) < 0 || context_walk(f->dir, NULL, &ctx, &err) < 0)
                fail_msg("%s", err.msg);
        const struct dfstage_stage *st = &plan->stages[plan->target];
        for (size_t i = 0; i < st->nsteps; i++) {
                char key[CACHEKEY_SIZE];

                if (!st->steps[i].fs_change)
                        continue;
                if (cachekey_step(&st->steps[i], parent, ctx, NULL, key, &err) < 0)
                        fail_msg("%s", err.msg);
                strv_add(&out, key);
                memcpy(parent, key, CACHEKEY_SIZE);
        }
        joined = strv_join(out, "|");
        strv_free(out);
        context_free(ctx);
        dfstage_plan_free(plan);
        dockerfile_free(df);
        env_release(&ba);
        return joined;
}

static const char *const copy_df = "FROM x\nCOPY a.txt /a.txt\nRUN make\n";

static void
test_cachekey__unrelated_edit_keeps_key(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *k1 = NULL;
        cleanup_free char *k2 = NULL;

        put(f, "a.txt", "a");
        put(f, "b.txt", "b");
        k1 = keys(f, copy_df, NULL, NULL);
        put(f, "b.txt", "changed");
        k2 = keys(f, copy_df, NULL, NULL);
        assert_string_equal(k1, k2);
}

static void
test_cachekey__copied_file_edit_changes_key(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *p = xasprintf("%s/a.txt", f->dir);
        cleanup_free char *k1 = NULL;
        cleanup_free char *k2 = NULL;
        cleanup_free char *k3 = NULL;
        struct timespec t[2] = { { 1000, 0 }, { 1000, 0 } };

        put(f, "a.txt", "a");
        k1 = keys(f, copy_df, NULL, NULL);
        assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0); /* mtime alone: same key */
        k2 = keys(f, copy_df, NULL, NULL);
        assert_string_equal(k1, k2);
        put(f, "a.txt", "A");
        k3 = keys(f, copy_df, NULL, NULL);
        /* both the COPY and the RUN after it change */
        assert_true(strncmp(k1, k3, CACHEKEY_SIZE - 1) != 0);
        assert_string_not_equal(k1 + CACHEKEY_SIZE, k3 + CACHEKEY_SIZE);
}

static void
test_cachekey__mode_change_changes_key(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *p = xasprintf("%s/a.txt", f->dir);
        cleanup_free char *k1 = NULL;
        cleanup_free char *k2 = NULL;

        put(f, "a.txt", "a");
        k1 = keys(f, copy_df, NULL, NULL);
        assert_int_equal(chmod(p, 0600), 0);
        k2 = keys(f, copy_df, NULL, NULL);
        assert_string_not_equal(k1, k2);
}

static void
test_cachekey__arg_used_by_run_changes_key(void **state)
{
        struct fixture *f = *state;
        const char *df = "FROM x\nARG VERSION=1\nRUN ./build.sh\n";
        cleanup_free char *k1 = keys(f, df, "VERSION", "1");
        cleanup_free char *k2 = keys(f, df, "VERSION", "2");
        cleanup_free char *k3 = keys(f, df, NULL, NULL);

        (void)state;
        assert_string_not_equal(k1, k2);
        assert_string_equal(k1, k3); /* the default and --build-arg of the same value agree */
}

static void
test_cachekey__unused_arg_keeps_key(void **state)
{
        struct fixture *f = *state;
        /* declared globally but not in the stage, and declared in the stage but only
         * followed by a COPY that does not expand it */
        const char *g = "ARG UNUSED=1\nFROM x\nRUN make\n";
        const char *s = "FROM x\nARG UNUSED=1\nCOPY a.txt /\n";
        cleanup_free char *g1 = NULL, *g2 = NULL, *s1 = NULL, *s2 = NULL;

        put(f, "a.txt", "a");
        g1 = keys(f, g, "UNUSED", "1");
        g2 = keys(f, g, "UNUSED", "2");
        s1 = keys(f, s, "UNUSED", "1");
        s2 = keys(f, s, "UNUSED", "2");
        assert_string_equal(g1, g2);
        assert_string_equal(s1, s2);
}

static void
test_cachekey__pure_function(void **state)
{
        char x1[] = "A=1", x2[] = "B=2";
        char *const a1[] = { x1, x2, NULL };
        char *const a2[] = { x2, x1, NULL };
        struct cachekey_source src = { .path = "x" };
        struct cachekey_input in = { .parent = "p",
                                     .instruction = "[\"RUN\"]",
                                     .build_args = a1,
                                     .sources = &src,
                                     .nsources = 1 };
        char k1[CACHEKEY_SIZE], k2[CACHEKEY_SIZE], k3[CACHEKEY_SIZE];

        (void)state;
        assert_int_equal(cachekey_compute(&in, k1, NULL), 0);
        in.build_args = a2;
        assert_int_equal(cachekey_compute(&in, k2, NULL), 0);
        assert_string_equal(k1, k2); /* arg order does not matter */
        assert_int_equal(strncmp(k1, "sha256:", 7), 0);
        assert_int_equal(strlen(k1), CACHEKEY_SIZE - 1);
        in.parent = "q";
        assert_int_equal(cachekey_compute(&in, k3, NULL), 0);
        assert_string_not_equal(k1, k3);
        in.parent = NULL;
        assert_int_equal(cachekey_compute(&in, k3, NULL), -EINVAL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_cachekey__unrelated_edit_keeps_key, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_cachekey__copied_file_edit_changes_key, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_cachekey__mode_change_changes_key, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_cachekey__arg_used_by_run_changes_key, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_cachekey__unused_arg_keeps_key, setup,
                                                teardown),
                cmocka_unit_test(test_cachekey__pure_function),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
