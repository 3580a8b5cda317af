/* dockerignore: .dockerignore files and the matching docker uses to leave paths out of the
 * build context (moby/patternmatcher, MatchesOrParentMatches).
 *
 * Reading a file: a UTF-8 BOM is stripped; one pattern per line; a line whose first byte is
 * '#' is a comment; surrounding white space is trimmed and empty lines skipped; a leading '!'
 * makes an exception (white space after it trimmed too); each pattern is cleaned like a path
 * (docs/ == docs, a/./b == a/b) and one leading '/' is dropped.
 *
 * Matching a slash-separated path relative to the context root: '*' is any run of non-'/'
 * characters, '?' one non-'/' character, [...] a class, '\' escapes, '**' any number of
 * segments; a pattern also matches every path below a directory it matches; the last
 * pattern that matches decides (a '!' pattern re-includes). A malformed pattern is an error
 * (some only when they are first used, as in docker).
 *
 * The Dockerfile and the ignore file itself are always read by the builder even when a
 * pattern matches them (dockerignore_always_sent); whether COPY sees them follows the rules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define DOCKERIGNORE_MAX_BYTES    (1u << 20)
#define DOCKERIGNORE_MAX_PATTERNS 10000u

struct dockerignore;

/* dockerignore_read: the patterns of an ignore file's text (rules above), as an owned strv
 * of "pattern" / "!pattern" strings. */
int dockerignore_read(const char *text, size_t len, char ***ret, struct err *err);

/* dockerignore_new: a matcher for patterns (as dockerignore_read returns them, or raw: they
 * are trimmed and cleaned again). A bare "!" or a pattern with a syntax error is -EINVAL. */
int dockerignore_new(char *const *patterns, struct dockerignore **ret, struct err *err);
struct dockerignore *dockerignore_free(struct dockerignore *m);

/* dockerignore_load: the matcher of a build: <dockerfile>.dockerignore next to the
 * Dockerfile when it exists, else .dockerignore at the context root, else one that excludes
 * nothing. dockerfile is relative to ctx_dir (NULL: "Dockerfile"). */
int dockerignore_load(const char *ctx_dir, const char *dockerfile, struct dockerignore **ret,
                      struct err *err);

/* dockerignore_excluded: whether path (relative, '/'-separated) is left out of the context.
 * "." and "" are never excluded. */
int dockerignore_excluded(struct dockerignore *m, const char *path, bool *ret, struct err *err);

/* dockerignore_has_exceptions: whether some '!' pattern could re-include a path below an
 * excluded directory (a walker must then look inside excluded directories). */
bool dockerignore_has_exceptions(const struct dockerignore *m);

/* dockerignore_always_sent: whether path is one of the build files the builder reads no
 * matter what the patterns say (the Dockerfile, .dockerignore, <dockerfile>.dockerignore). */
bool dockerignore_always_sent(const char *path, const char *dockerfile);
