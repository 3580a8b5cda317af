#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"

static void
test_err__first_failure_wins(void **state)
{
        struct err err = { 0 };

        (void)state;
        assert_int_equal(err_setf(&err, -ENOENT, "open '%s': gone", "x"), -ENOENT);
        assert_int_equal(err_setf(&err, -EINVAL, "later"), -EINVAL);
        assert_string_equal(err.msg, "open 'x': gone");
        assert_int_equal(err.code, -ENOENT);
}

static void
test_err__prefix_adds_context(void **state)
{
        struct err err = { 0 };

        (void)state;
        err_setf(&err, -EIO, "disk full");
        assert_int_equal(err_prefix(&err, "pull '%s'", "redis:7"), -EIO);
        assert_string_equal(err.msg, "pull 'redis:7': disk full");
}

static void
test_err__null_err_still_returns_code(void **state)
{
        (void)state;
        assert_int_equal(err_setf(NULL, -EPERM, "x"), -EPERM);
        assert_int_equal(err_setf(NULL, 5, "positive is a mistake"), -EINVAL);
}

static void
test_err__exit_code_rides_along(void **state)
{
        struct err err = { 0 };

        (void)state;
        assert_int_equal(err.exit_code, 0); /* main's default: 1 */
        err_setf(&err, -ENOENT, "exec: \"x\": executable file not found in $PATH");
        assert_int_equal(err_exit_code(&err, 127, err.code), -ENOENT);
        err_prefix(&err, "exec in container %s", "c");
        assert_int_equal(err.exit_code, 127);
        assert_int_equal(err_exit_code(NULL, 125, -EIO), -EIO);
        err_clear(&err);
        assert_int_equal(err.exit_code, 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_err__first_failure_wins),
                cmocka_unit_test(test_err__prefix_adds_context),
                cmocka_unit_test(test_err__null_err_still_returns_code),
                cmocka_unit_test(test_err__exit_code_rides_along),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
