/* Tests for spec/dockerignore: reading .dockerignore files and excluding paths. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/dockerignore.h"

static struct dockerignore *
matcher(const char *file)
{
        cleanup_strv char **p = NULL;
        struct dockerignore *m = NULL;
        struct err err = { 0 };

        if (dockerignore_read(file, strlen(file), &p, &err) < 0 ||
            dockerignore_new(p, &m, &err) < 0)
                fail_msg("%s", err.msg);
        return m;
}

static bool
excluded(struct dockerignore *m, const char *path)
{
        bool ex = false;
        struct err err = { 0 };

        if (dockerignore_excluded(m, path, &ex, &err) < 0)
                fail_msg("%s: %s", path, err.msg);
        return ex;
}

static void
test_dockerignore__read_rules(void **state)
{
        const char *f = "\xEF\xBB\xBF# comment\n  docs/  \n !  /keep/./this \n\n#x\n /abs\n";
        cleanup_strv char **p = NULL;
        cleanup_free char *j = NULL;

        (void)state;
        assert_int_equal(dockerignore_read(f, strlen(f), &p, NULL), 0);
        j = strv_join(p, "|");
        assert_string_equal(j, "docs|!keep/this|abs");
}

static void
test_dockerignore__last_match_wins_and_parents(void **state)
{
        struct dockerignore *m = matcher("*.go\n!keep.go\ndocs\n**/tmp\n");

        (void)state;
        assert_true(excluded(m, "main.go"));
        assert_false(excluded(m, "keep.go"));
        assert_false(excluded(m, "sub/main.go")); /* '*' does not cross '/' */
        assert_true(excluded(m, "docs/a/b.md"));  /* a matched parent excludes */
        assert_true(excluded(m, "x/y/tmp/z"));
        assert_false(excluded(m, "."));
        assert_true(dockerignore_has_exceptions(m));
        dockerignore_free(m);
}

static void
test_dockerignore__bad_patterns(void **state)
{
        static const char *const bad[] = { "!\n", "[\n", "a\\\n", "[]a]\n", "[a-b-c]\n" };
        struct err err = { 0 };

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cleanup_strv char **p = NULL;
                struct dockerignore *m = NULL;

                assert_int_equal(dockerignore_read(bad[i], strlen(bad[i]), &p, NULL), 0);
                assert_int_equal(dockerignore_new(p, &m, &err), -EINVAL);
                assert_null(m);
        }
}

static void
write_file(const char *dir, const char *name, const char *text)
{
        cleanup_free char *p = xasprintf("%s/%s", dir, name);

        assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644, NULL), 0);
}

static void
test_dockerignore__dockerfile_specific_file_wins(void **state)
{
        char dir[] = "/tmp/berth-test-dockerignore-XXXXXX";
        struct dockerignore *m = NULL;

        (void)state;
        assert_non_null(mkdtemp(dir));
        write_file(dir, ".dockerignore", "a\n");
        write_file(dir, "app.Dockerfile.dockerignore", "b\n");
        assert_int_equal(dockerignore_load(dir, "app.Dockerfile", &m, NULL), 0);
        assert_false(excluded(m, "a"));
        assert_true(excluded(m, "b"));
        dockerignore_free(m);
        assert_int_equal(dockerignore_load(dir, NULL, &m, NULL), 0);
        assert_true(excluded(m, "a"));
        dockerignore_free(m);
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void
test_dockerignore__build_files_always_sent(void **state)
{
        (void)state;
        assert_true(dockerignore_always_sent("Dockerfile", NULL));
        assert_true(dockerignore_always_sent("./.dockerignore", NULL));
        assert_true(
                dockerignore_always_sent("ci/app.Dockerfile.dockerignore", "ci/app.Dockerfile"));
        assert_false(dockerignore_always_sent("src/Dockerfile", NULL));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dockerignore__read_rules),
                cmocka_unit_test(test_dockerignore__last_match_wins_and_parents),
                cmocka_unit_test(test_dockerignore__bad_patterns),
                cmocka_unit_test(test_dockerignore__dockerfile_specific_file_wins),
                cmocka_unit_test(test_dockerignore__build_files_always_sent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
