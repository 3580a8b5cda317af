/* dotenv: .env files, as compose reads them for the project environment (--env-file,
 * the project's .env) and for services' env_file entries.
 *
 * Format (compose-go dotenv): blank lines and '#' lines are ignored; an optional leading
 * `export `; KEY=VALUE or KEY: VALUE with whitespace around the key and separator trimmed;
 * a bare KEY takes its value from the lookup (absent: the key stays unset). Unquoted values
 * end at the line end or at " #", trailing blanks trimmed, escapes kept literally. Double
 * quotes expand \n \r \t \a \b \f \v \\ \" \$ and octal \0NNN; single quotes are literal
 * except \'. Both quote kinds may span lines. Unquoted and double-quoted values are
 * interpolated (spec/interp.h); single-quoted ones are not. A UTF-8 BOM is skipped; CRLF
 * line ends are accepted.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "spec/env.h"
#include "spec/interp.h"

#define DOTENV_MAX_BYTES (1024 * 1024) /* a whole file */
#define DOTENV_MAX_KEY   4096          /* one variable name */
#define DOTENV_MAX_LINE  65536         /* one line of a raw file (docker's scanner limit) */

/* dotenv_parse: parse .env text buf[0..len) and set each variable into *out (existing
 * entries are replaced, new ones appended in file order).
 *
 * Interpolation inside values, and bare KEY lines, resolve a name through lookup(ctx, name)
 * FIRST and then through *out, i.e. keys set earlier in this file or by earlier files
 * parsed into the same env. lookup may be NULL.
 *
 * file (may be NULL) names the input in errors, which read "<file>:<line>: <what>", e.g.
 * "key cannot contain a space", "unterminated quoted value ...", "parse error (invalid
 * line): unexpected character ...", or an interpolation error. -EINVAL for bad input,
 * -EFBIG when len > DOTENV_MAX_BYTES. On failure *out keeps the variables set before the
 * bad line. */
int dotenv_parse(const char *buf, size_t len, const char *file, interp_lookup_fn lookup, void *ctx,
                 struct env *out, struct err *err);

/* dotenv_parse_raw: compose's env_file `format: raw` (docker run --env-file rules): one
 * KEY=VALUE per line taken literally (no escapes, no interpolation, no comments after the
 * value; one pair of matching surrounding quotes is removed); '#' lines and blank lines
 * skipped; a bare KEY is looked up as above. Keys may not contain blanks. The input must
 * be valid UTF-8; lines are capped at DOTENV_MAX_LINE. */
int dotenv_parse_raw(const char *buf, size_t len, const char *file, interp_lookup_fn lookup,
                     void *ctx, struct env *out, struct err *err);

/* dotenv_read: read path (at most DOTENV_MAX_BYTES) and parse it with dotenv_parse, or
 * dotenv_parse_raw when raw is true. Errors name the path. -ENOENT etc. from open. */
int dotenv_read(const char *path, bool raw, interp_lookup_fn lookup, void *ctx, struct env *out,
                struct err *err);
