#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "spec/env.h"

static void
test_env__set_get_replace_keeps_first_position(void **state)
{
        struct env e = ENV_INIT;

        (void)state;
        env_set(&e, "A", "1");
        env_set(&e, "B", "2");
        env_set(&e, "A", "3");
        assert_int_equal(e.n, 2);
        assert_string_equal(e.names[0], "A");
        assert_string_equal(env_get(&e, "A"), "3");
        assert_null(env_get(&e, "C"));
        env_unset(&e, "A");
        assert_false(env_has(&e, "A"));
        assert_string_equal(e.names[0], "B");
        env_release(&e);
}

static void
test_env__from_environ_and_merge(void **state)
{
        char a[] = "PATH=/bin", b[] = "EMPTY=", c[] = "=bad", d[] = "noeq";
        char *environ_[] = { a, b, c, d, NULL };
        struct env e = ENV_INIT, over = ENV_INIT;

        (void)state;
        env_from_environ(&e, environ_);
        assert_int_equal(e.n, 2);
        assert_string_equal(env_get(&e, "EMPTY"), "");
        env_set(&over, "PATH", "/usr/bin");
        env_merge(&e, &over);
        assert_string_equal(env_lookup(&e, "PATH"), "/usr/bin");
        env_release(&e);
        env_release(&over);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env__set_get_replace_keeps_first_position),
                cmocka_unit_test(test_env__from_environ_and_merge),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
