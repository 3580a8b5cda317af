#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/strv.h"

static void
test_strv__split_and_join_round_trip(void **state)
{
        char **v = strv_split("a:b::c", ":");
        char *j;

        (void)state;
        assert_int_equal(strv_length(v), 4);
        assert_string_equal(v[2], "");
        j = strv_join(v, ":");
        assert_string_equal(j, "a:b::c");
        free(j);
        strv_free(v);
}

static void
test_strv__split_empty_is_empty(void **state)
{
        char **v = strv_split("", ",");

        (void)state;
        assert_int_equal(strv_length(v), 0);
        strv_free(v);
}

static void
test_strv__sort_uniq_contains(void **state)
{
        char **v = NULL;

        (void)state;
        strv_add(&v, "b");
        strv_add(&v, "a");
        strv_add(&v, "b");
        strv_sort(v);
        strv_uniq(v);
        assert_int_equal(strv_length(v), 2);
        assert_string_equal(v[0], "a");
        assert_true(strv_contains(v, "b"));
        assert_false(strv_contains(v, "c"));
        strv_free(v);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strv__split_and_join_round_trip),
                cmocka_unit_test(test_strv__split_empty_is_empty),
                cmocka_unit_test(test_strv__sort_uniq_contains),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
