/* Tests for base/sha256: the FIPS 180-4 / NIST example vectors, streaming in odd chunks, and
 * agreement between the hardware and portable block functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/sha256.h"

static void
hex_of(const void *data, size_t n, char out[SHA256_HEX_SIZE])
{
        uint8_t d[SHA256_DIGEST_SIZE];

        sha256_buf(data, n, d);
        sha256_hex(d, out);
}

static void
test_sha256__fips_180_4_vectors(void **state)
{
        static const struct {
                const char *msg;
                const char *hex;
        } v[] = {
                { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
                { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                  "klmnopqrlmnopqrsmnopqrstnopqrstu",
                  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
        };
        char hex[SHA256_HEX_SIZE];

        (void)state;
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                hex_of(v[i].msg, strlen(v[i].msg), hex);
                assert_string_equal(hex, v[i].hex);
        }
}

static void
test_sha256__million_a(void **state)
{
        struct sha256 c;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE], chunk[1000];

        (void)state;
        memset(chunk, 'a', sizeof(chunk));
        sha256_init(&c);
        for (int i = 0; i < 1000; i++)
                sha256_update(&c, chunk, sizeof(chunk));
        sha256_final(&c, d);
        sha256_hex(d, hex);
        assert_string_equal(hex,
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the 55/56/64-byte padding edges, fed in chunks of every size 1..67, must give
 * the one-shot digest; the portable path must agree with the default (hardware) path. */
static void
test_sha256__streaming_and_paths_agree(void **state)
{
        uint8_t *data = xmalloc(300);
        uint8_t one[SHA256_DIGEST_SIZE], got[SHA256_DIGEST_SIZE];

        (void)state;
        for (size_t i = 0; i < 300; i++)
                data[i] = (uint8_t)(i * 131 + 7);
        for (size_t len = 0; len < 300; len += (len < 130 ? 1 : 17)) {
                sha256_buf(data, len, one);
                for (size_t step = 1; step < 68; step += 11) {
                        struct sha256 c;

                        sha256_init(&c);
                        if (step % 2)
                                sha256_force_portable(&c);
                        for (size_t off = 0; off < len; off += step)
                                sha256_update(&c, data + off, len - off < step ? len - off : step);
                        sha256_final(&c, got);
                        assert_memory_equal(one, got, SHA256_DIGEST_SIZE);
                }
        }
        free(data);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sha256__fips_180_4_vectors),
                cmocka_unit_test(test_sha256__million_a),
                cmocka_unit_test(test_sha256__streaming_and_paths_agree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
