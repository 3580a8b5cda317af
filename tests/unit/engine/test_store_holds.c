/* Tests for engine/store_holds.c (and container_hold.c): holder names, and dropping a hold
 * without opening the store, as the monitor of a --rm container does. */
#include <errno.h>
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
#include "base/fs.h"
#include "engine/container.h"
#include "engine/store.h"

static void
test_store_holds__holder_names(void **state)
{
        char long_name[STORE_HOLDER_MAX + 2];
        struct err e = { 0 };

        (void)state;
        assert_int_equal(store_check_holder("0123abcdef", &e), 0);
        assert_int_equal(store_check_holder("build_1.x-y", &e), 0);
        assert_int_equal(store_check_holder("", &e), -EINVAL);
        assert_int_equal(store_check_holder(".hidden", &e), -EINVAL);
        err_clear(&e);
        assert_int_equal(store_check_holder("a/../b", &e), -EINVAL);
        assert_non_null(strstr(e.msg, "invalid holder name 'a/../b'"));
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        assert_int_equal(store_check_holder(long_name, &e), -EINVAL);
}

static void
test_store_holds__unhold_without_the_store(void **state)
{
        char tmpl[] = "/tmp/berth-test-holds.XXXXXX";
        char *dir, *hold, *cmd;
        struct err e = { 0 };

        (void)state;
        assert_non_null(mkdtemp(tmpl));
        dir = xasprintf("%s/store/holds", tmpl);
        hold = xasprintf("%s/c1", dir);
        /* no store at all: nothing to drop, and nothing is created */
        assert_int_equal(store_unhold_at(tmpl, "c1", &e), 0);
        assert_false(fs_exists(dir));
        assert_int_equal(fs_mkdir_p(dir, 0700, &e), 0);
        assert_int_equal(fs_write_atomic(hold, "sha256:x\n", 9, 0644, &e), 0);
        ctr_image_unhold(tmpl, "c1");
        assert_false(fs_exists(hold));
        assert_int_equal(store_unhold_at(tmpl, "c1", &e), 0);
        assert_int_equal(store_unhold_at(tmpl, "../c1", &e), -EINVAL);
        cmd = xasprintf("rm -rf '%s'", tmpl);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(hold);
        free(dir);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_store_holds__holder_names),
                cmocka_unit_test(test_store_holds__unhold_without_the_store),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
