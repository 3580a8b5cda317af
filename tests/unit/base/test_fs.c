#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "base/fs.h"

static void
check_clean(const char *in, const char *want)
{
        char *got = path_clean(in);

        assert_string_equal(got, want);
        free(got);
}

static void
test_fs__path_clean_matches_go(void **state)
{
        (void)state;
        check_clean("", ".");
        check_clean("a/b/../c", "a/c");
        check_clean("/../a", "/a");
        check_clean("../../a", "../../a");
        check_clean("a/../..", "..");
        check_clean("//a//b/./", "/a/b");
        check_clean("/", "/");
        check_clean("a/..", ".");
}

static void
test_fs__join_dirname_basename(void **state)
{
        char *j = path_join("/w", "./x/../y");
        char *abs = path_join("/w", "/etc");
        char *d = path_dirname("/a/b/c");
        char *b = path_basename("/a/b/c/");
        char *root = path_dirname("/a");

        (void)state;
        assert_string_equal(j, "/w/y");
        assert_string_equal(abs, "/etc");
        assert_string_equal(d, "/a/b");
        assert_string_equal(b, "c");
        assert_string_equal(root, "/");
        free(j);
        free(abs);
        free(d);
        free(b);
        free(root);
}

static void
test_fs__atomic_write_then_capped_read(void **state)
{
        char dir[] = "/tmp/berth-test-fs-XXXXXX";
        char path[256];
        struct err err = { 0 };
        char *buf = NULL;
        size_t len = 0;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/sub/f", dir);
        snprintf(path, sizeof(path), "%s/sub", dir);
        assert_int_equal(fs_mkdir_p(path, 0755, &err), 0);
        snprintf(path, sizeof(path), "%s/sub/f", dir);
        assert_int_equal(fs_write_atomic(path, "hello", 5, 0600, &err), 0);
        assert_int_equal(fs_read_capped(path, 100, &buf, &len, &err), 0);
        assert_int_equal(len, 5);
        assert_string_equal(buf, "hello");
        free(buf);
        assert_int_equal(fs_read_capped(path, 3, &buf, &len, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "larger than 3 bytes"));
        /* the unsynced variant replaces the same way (rename over the old file) */
        assert_int_equal(fs_write_replace(path, "bye", 3, 0600, &err), 0);
        assert_int_equal(fs_read_capped(path, 100, &buf, &len, &err), 0);
        assert_string_equal(buf, "bye");
        free(buf);
        unlink(path);
        snprintf(path, sizeof(path), "%s/sub", dir);
        rmdir(path);
        rmdir(dir);
}

static void
test_fs__mkdir_p_makes_missing_parents_and_names_a_blocker(void **state)
{
        char dir[] = "/tmp/berth-test-fs-XXXXXX";
        char path[256], cmd[300];
        struct err err = { 0 };

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/a/b/c/", dir);
        assert_int_equal(fs_mkdir_p(path, 0700, &err), 0);
        snprintf(path, sizeof(path), "%s/a/b/c", dir);
        assert_true(fs_is_dir(path));
        assert_int_equal(fs_mkdir_p(path, 0700, &err), 0); /* again: nothing to do */
        snprintf(path, sizeof(path), "%s/a/f", dir);
        assert_int_equal(fs_write_atomic(path, "x", 1, 0600, &err), 0);
        snprintf(path, sizeof(path), "%s/a/f/g/h", dir);
        assert_int_equal(fs_mkdir_p(path, 0700, &err), -ENOTDIR);
        assert_non_null(strstr(err.msg, "/a/f/g"));
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void
test_fs__read_missing_file_says_why(void **state)
{
        struct err err = { 0 };
        char *buf = NULL;

        (void)state;
        assert_int_equal(fs_read_capped("/nonexistent/x", 10, &buf, NULL, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "/nonexistent/x"));
        assert_non_null(strstr(err.msg, "No such file"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fs__path_clean_matches_go),
                cmocka_unit_test(test_fs__join_dirname_basename),
                cmocka_unit_test(test_fs__atomic_write_then_capped_read),
                cmocka_unit_test(test_fs__read_missing_file_says_why),
                cmocka_unit_test(test_fs__mkdir_p_makes_missing_parents_and_names_a_blocker),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
