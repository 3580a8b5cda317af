/* Tests for engine/digest.c: content digests and chain IDs (image-spec config.md). */
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

#include "engine/digest.h"

#define ABC   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
test_digest__known_vectors(void **state)
{
        char d[DIGEST_STR_SIZE];
        struct digester g;

        (void)state;
        digest_buf("abc", 3, d);
        assert_string_equal(d, ABC);
        digest_buf("", 0, d);
        assert_string_equal(d, EMPTY);
        digester_init(&g);
        digester_update(&g, "a", 1);
        digester_update(&g, "bc", 2);
        assert_int_equal(g.bytes, 3);
        digester_final(&g, d);
        assert_string_equal(d, ABC);
}

static void
test_digest__validation(void **state)
{
        (void)state;
        assert_true(digest_valid(ABC));
        assert_false(digest_valid(NULL));
        assert_false(digest_valid("sha512:ba7816bf"));
        assert_false(digest_valid(
                "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
        assert_false(digest_valid(ABC "00"));
        assert_false(digest_valid("sha256:../../etc/passwd"));
        assert_string_equal(digest_hex(ABC), &ABC[7]);
}

static void
test_digest__chain_id(void **state)
{
        char c[DIGEST_STR_SIZE], want[DIGEST_STR_SIZE];
        char *joined = NULL;

        (void)state;
        digest_chain(NULL, ABC, c);
        assert_string_equal(c, ABC); /* the bottom layer's chain ID is its diff ID */
        digest_chain(ABC, EMPTY, c);
        joined = malloc(2 * DIGEST_STR_SIZE);
        snprintf(joined, 2 * DIGEST_STR_SIZE, "%s %s", ABC, EMPTY);
        digest_buf(joined, strlen(joined), want);
        assert_string_equal(c, want);
        free(joined);
}

static void
test_digest__of_a_file(void **state)
{
        char path[] = "/tmp/berth-test-digest-XXXXXX";
        int fd = mkstemp(path);
        char d[DIGEST_STR_SIZE];
        uint64_t size;

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "abc", 3), 3);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(digest_fd(fd, path, d, &size, NULL), 0);
        assert_string_equal(d, ABC);
        assert_int_equal(size, 3);
        close(fd);
        unlink(path);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_digest__known_vectors),
                cmocka_unit_test(test_digest__validation),
                cmocka_unit_test(test_digest__chain_id),
                cmocka_unit_test(test_digest__of_a_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
