/* sha256: SHA-256 (FIPS 180-4), berth's own implementation, so that content digests need no
 * crypto library. Used for build-context file digests, tree digests and build cache keys.
 *
 * A struct sha256 is a streaming context: sha256_init(), any number of sha256_update(), then
 * sha256_final() (after which the context must be re-initialised before reuse). On x86-64
 * CPUs with the SHA extensions the block function uses them; the result is identical.
 * Nothing here can fail or allocate.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64
/* hex digest plus NUL */
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)

struct sha256 {
        uint32_t h[8];
        uint64_t len; /* bytes hashed so far */
        uint8_t buf[SHA256_BLOCK_SIZE];
        size_t nbuf;
        bool hw; /* use the CPU's SHA instructions */
};

/* sha256_init: start a digest. It asks the CPU (CPUID) which block function to use, which
 * costs microseconds in a VM: to hash many small things, init one context and copy it
 * (struct assignment) or sha256_reset() a used one. */
void sha256_init(struct sha256 *c);
/* sha256_reset: start a new digest in c, keeping the block function sha256_init chose. */
void sha256_reset(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
/* sha256_final: write the 32-byte digest; c is spent afterwards. */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_DIGEST_SIZE]);
/* sha256_buf: one-shot digest of a buffer. */
void sha256_buf(const void *data, size_t n, uint8_t out[SHA256_DIGEST_SIZE]);
/* sha256_hex: lower-case hex of a digest, NUL-terminated. */
void sha256_hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[SHA256_HEX_SIZE]);
/* sha256_force_portable: turn off the hardware path for c (tests compare both paths). */
void sha256_force_portable(struct sha256 *c);
