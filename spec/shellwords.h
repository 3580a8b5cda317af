/* shellwords: split a command string into words the way compose-go does for the string form
 * of command, entrypoint and hook commands (github.com/mattn/go-shellwords v1.0.13 with
 * environment and backtick expansion off).
 */
#pragma once

#include "base/err.h"

/* shellwords_split: split s into words. Quotes group and are removed ('...' literal,
 * "..." with backslash escapes), a backslash escapes the next character (\t and \n become
 * tab and newline), `...` and $(...) are kept verbatim as part of a word. As in
 * go-shellwords, splitting stops at the first unquoted ; & | < or > (and a word such as
 * "2" just before '>' is dropped). "" gives an empty vector.
 *
 * On success *ret is an owned NULL-terminated strv (free with strv_free). -EINVAL with
 * "invalid command line string: <why>" for an unterminated quote, a trailing backslash,
 * or an unbalanced parenthesis. */
int shellwords_split(const char *s, char ***ret, struct err *err);
