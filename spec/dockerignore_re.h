/* dockerignore_re: the regular expressions docker's .dockerignore matcher builds from a
 * pattern (moby/patternmatcher turns "*.go" into "^[^/]*\.go$" and hands it to Go's regexp).
 *
 * The syntax is the subset of Go's RE2 syntax (Perl flags: . does not match \n, negated
 * classes do, ^ and $ only at the ends of the text) that such translations can contain:
 * literals, ., ^, $, groups, the * + ? repetitions (lazy forms accepted), bracket classes
 * with ranges, negation, POSIX [:name:] and Perl \d \s \w classes, and escapes of
 * punctuation, controls (\t \n ...), octal and \x hex. Other syntax (alternation, {n,m},
 * \b, \p{...}, \Q...\E, flags) is rejected as unsupported. Matching is a Thompson NFA
 * simulation: linear in the text, no backtracking.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"

#define DOCKERIGNORE_RE_MAX 4096 /* bytes of expression */

struct dockerignore_re;

/* dockerignore_re_compile: -EINVAL with Go-like wording ("missing closing ]", ...). */
int dockerignore_re_compile(const char *expr, struct dockerignore_re **ret, struct err *err);
/* dockerignore_re_search: whether the expression matches anywhere in s (Go's MatchString). */
bool dockerignore_re_search(const struct dockerignore_re *re, const char *s);
struct dockerignore_re *dockerignore_re_free(struct dockerignore_re *re);
