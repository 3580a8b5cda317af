/* Tests for base/procfs.c: masks out of /proc/self/status. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/procfs.h"

static const char STATUS[] = "Name:\tberth-monitor\n"
                             "SigPnd:\t0000000000000000\n"
                             "SigIgn:\t0000000000001006\n"
                             "CapBnd:\t000001ffffffffff\n"
                             "CapAmb:\t0000000000000000\n";

static void
test_procfs__fields_by_name(void **state)
{
        uint64_t v = 0;

        (void)state;
        assert_int_equal(procfs_parse_mask(STATUS, "SigIgn", &v), 0);
        assert_int_equal(v, 0x1006);
        assert_int_equal(procfs_parse_mask(STATUS, "CapBnd", &v), 0);
        assert_int_equal(v, 0x1ffffffffffull);
        /* a prefix of a name is not the name */
        assert_int_equal(procfs_parse_mask(STATUS, "Sig", &v), -ENOENT);
        assert_int_equal(procfs_parse_mask(STATUS, "CapEff", &v), -ENOENT);
}

static void
test_procfs__bad_values_and_empty_text(void **state)
{
        uint64_t v = 0;

        (void)state;
        assert_int_equal(procfs_parse_mask("SigIgn:\tzz\n", "SigIgn", &v), -EINVAL);
        assert_int_equal(procfs_parse_mask("SigIgn:\t12 34\n", "SigIgn", &v), -EINVAL);
        assert_int_equal(procfs_parse_mask("SigIgn:\t1ffffffffffffffff\n", "SigIgn", &v), -EINVAL);
        assert_int_equal(procfs_parse_mask("", "SigIgn", &v), -ENOENT);
        assert_int_equal(procfs_parse_mask("SigIgn:\t0000000000000001", "SigIgn", &v), 0);
        assert_int_equal(v, 1);
}

static void
test_procfs__our_own_ignored_signal(void **state)
{
        uint64_t v = 0;

        (void)state;
        signal(SIGUSR2, SIG_IGN);
        assert_int_equal(procfs_status_mask("SigIgn", &v), 0);
        assert_true(v & (1ull << (SIGUSR2 - 1)));
        signal(SIGUSR2, SIG_DFL);
        assert_int_equal(procfs_status_mask("SigIgn", &v), 0);
        assert_false(v & (1ull << (SIGUSR2 - 1)));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_procfs__fields_by_name),
                cmocka_unit_test(test_procfs__bad_values_and_empty_text),
                cmocka_unit_test(test_procfs__our_own_ignored_signal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
