/* Tests for engine/build_fetch.c: what a URL is and the file name a download gets (the
 * downloads themselves are tested by tests/build/test_build_add_url.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/build_int.h"

static void
expect_name(const char *url, const char *want)
{
        char *got = build_url_name(url);

        if (!want && got)
                fail_msg("%s: got '%s', want none", url, got);
        if (want && (!got || strcmp(got, want) != 0))
                fail_msg("%s: got '%s', want '%s'", url, got ? got : "(none)", want);
        free(got);
}

static void
test_build_fetch__file_name_is_the_last_path_part(void **state)
{
        (void)state;
        expect_name("http://127.0.0.1:8000/r.txt", "r.txt");
        expect_name("https://example.com/a/b/c.tar.gz?x=1#frag", "c.tar.gz");
        expect_name("http://example.com/dir/", NULL);
        expect_name("http://example.com", NULL);
        expect_name("http://example.com/", NULL);
}

static void
test_build_fetch__urls(void **state)
{
        (void)state;
        assert_true(build_is_url("http://x/y"));
        assert_true(build_is_url("https://x/y"));
        assert_false(build_is_url("ftp://x/y"));
        assert_false(build_is_url("src/http://"));
        assert_false(build_is_url("file.txt"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_fetch__file_name_is_the_last_path_part),
                cmocka_unit_test(test_build_fetch__urls),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
