/* Tests for engine/build_chmod.c: --chmod values as BuildKit applies them (octal and
 * symbolic, BSD setmode semantics with umask 0) and the ones it refuses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "engine/build_copy_int.h"

static mode_t
ap(const char *s, mode_t old)
{
        mode_t m = 0;

        assert_int_equal(copy_chmod_apply(s, old, &m), 0);
        assert_int_equal(m & S_IFMT, old & S_IFMT); /* the file type is kept */
        return m & 07777;
}

static void
test_build_chmod__octal(void **state)
{
        (void)state;
        assert_int_equal(ap("755", S_IFREG | 0600), 0755);
        assert_int_equal(ap("0640", S_IFDIR | 0777), 0640);
        assert_int_equal(ap("4755", S_IFREG | 0644), 04755);
        assert_int_equal(ap("0", S_IFREG | 0644), 0);
}

static void
test_build_chmod__symbolic(void **state)
{
        (void)state;
        assert_int_equal(ap("u+x", S_IFREG | 0644), 0744);
        assert_int_equal(ap("+x", S_IFREG | 0644), 0755);
        assert_int_equal(ap("go-w", S_IFREG | 0666), 0644);
        assert_int_equal(ap("a+rX", S_IFREG | 0600), 0644);  /* no x anywhere: X adds none */
        assert_int_equal(ap("a+rX", S_IFREG | 0700), 0755);  /* some x: X adds all */
        assert_int_equal(ap("a+rX", S_IFDIR | 0700), 0755);  /* a directory always gets X */
        /* BuildKit's mode package honours X only after '+': "a=rX" is "a=r" */
        assert_int_equal(ap("a=rX", S_IFDIR | 0755), 0444);
        assert_int_equal(ap("go-w,a+X", S_IFREG | 0766), 0755);
        assert_int_equal(ap("u=rwx,go=rx", S_IFREG | 0), 0755);
        assert_int_equal(ap("u=rwx,go=u-w", S_IFREG | 0), 0755);
        assert_int_equal(ap("go=", S_IFREG | 0777), 0700);
        assert_int_equal(ap("g=u", S_IFREG | 0640), 0660);
        assert_int_equal(ap("u+x-w", S_IFREG | 0644), 0544);
        assert_int_equal(ap("u+s", S_IFREG | 0755), 04755);
        assert_int_equal(ap("o+s", S_IFREG | 0755), 0755);   /* set-id ignored for o alone */
        assert_int_equal(ap("+t", S_IFDIR | 0777), 01777);
        assert_int_equal(ap("=", S_IFREG | 0755), 0);
}

static void
test_build_chmod__refused_as_buildkit(void **state)
{
        const char *bad[] = { "", "u", "u+x,", ",u+x", "u+x,,g+w", "z+x", "u+q", "888",
                              "10000", "0o755", "u+x g+w", "+x;", "755x" };
        mode_t m;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(copy_chmod_apply(bad[i], S_IFREG | 0644, &m), -EINVAL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_chmod__octal),
                cmocka_unit_test(test_build_chmod__symbolic),
                cmocka_unit_test(test_build_chmod__refused_as_buildkit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
