/* digest: OCI content digests ("sha256:" + 64 lowercase hex) over base/sha256, and the
 * layer chain ID (image-spec config.md: ChainID(L0) = DiffID(L0),
 * ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln))).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sha256.h"

#define DIGEST_PREFIX   "sha256:"
#define DIGEST_STR_SIZE (7 + 64 + 1) /* "sha256:" + hex + NUL */

/* A streaming digester that also counts bytes. */
struct digester {
        struct sha256 sha;
        uint64_t bytes;
};

void digester_init(struct digester *d);
void digester_update(struct digester *d, const void *data, size_t n);
/* digester_final: write "sha256:<hex>" into out; d is spent. */
void digester_final(struct digester *d, char out[DIGEST_STR_SIZE]);

/* digest_buf: the digest of a buffer. */
void digest_buf(const void *data, size_t n, char out[DIGEST_STR_SIZE]);
/* digest_fd: the digest and length of everything readable from fd (from its offset). */
int digest_fd(int fd, const char *name, char out[DIGEST_STR_SIZE], uint64_t *ret_size,
              struct err *err);
/* digest_valid: whether s is "sha256:" + 64 lowercase hex. Other algorithms are not
 * supported by the store. */
int digest_valid(const char *s);
/* digest_hex: the hex part of a valid digest. */
const char *digest_hex(const char *digest);
/* digest_chain: the chain ID of parent (NULL for the bottom layer) plus diff_id. */
void digest_chain(const char *parent, const char *diff_id, char out[DIGEST_STR_SIZE]);
