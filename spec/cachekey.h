/* cachekey: the build cache key of one Dockerfile step, a pure function of what determines
 * the step's result:
 *   - the parent: the base image digest for a stage's first step, else the previous
 *     filesystem step's key (dfstage_step.fs_change);
 *   - the instruction after expansion (dfstage_step.canon, which for RUN includes the
 *     command, image env, WORKDIR, USER, mounts and network/security);
 *   - the build args the step depends on (dfstage_step.key_args: every ARG in scope for
 *     RUN, the ARGs it expanded for other steps), in any order;
 *   - the content digests of COPY/ADD sources (spec/context.h: file modes and ownership
 *     included, modification times excluded).
 * Nothing else (time, host, file mtimes) goes in, so the same inputs always give the same
 * key, and an input that changes always changes it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sha256.h"
#include "spec/context.h"
#include "spec/dfstage.h"

/* "sha256:" + 64 hex digits + NUL */
#define CACHEKEY_SIZE (7 + 2 * SHA256_DIGEST_SIZE + 1)

struct cachekey_source {
        const char *path;                   /* the source as the step names it */
        uint8_t digest[SHA256_DIGEST_SIZE]; /* its content digest */
};

struct cachekey_input {
        const char *parent;                    /* required */
        const char *instruction;               /* required */
        char *const *build_args;               /* "NAME=value"; NULL = none */
        const struct cachekey_source *sources; /* in the step's order */
        size_t nsources;
};

/* cachekey_compute: write "sha256:<hex>" into out. -EINVAL without parent or instruction. */
int cachekey_compute(const struct cachekey_input *in, char out[CACHEKEY_SIZE], struct err *err);

/* cachekey_step: the key of a dfstage step. Sources of COPY/ADD from the build context are
 * digested from ctx; for COPY --from (another stage or an image) from_digest is the digest
 * of that stage's result or image, and the source paths are taken as written; URL sources
 * of ADD are taken as written (the builder checks their content). ctx may be NULL for
 * steps without context sources. */
int cachekey_step(const struct dfstage_step *st, const char *parent, const struct context *ctx,
                  const char *from_digest, char out[CACHEKEY_SIZE], struct err *err);
