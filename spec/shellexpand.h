/* shellexpand: the Dockerfile builder's variable expansion and word splitting (the "shell
 * lexer" of docker's builder), used for ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER,
 * VOLUME, WORKDIR, ARG values and flag values such as --chown. RUN, CMD and ENTRYPOINT text is
 * never expanded here: it goes to the shell as written.
 *
 * Supported: $V ${V} ${V:-x} ${V-x} ${V:+x} ${V+x} ${V:?x} ${V?x} ${V#p} ${V##p} ${V%p}
 * ${V%%p} ${V/p/r} ${V//p/r}; positional and special parameters ($1, $@, $#, ...) are never
 * set. Quotes: nothing is special inside '...'; inside "..." only the escape character before
 * ", $ or the escape character escapes; outside quotes escape+c gives c and a trailing lone
 * escape is dropped. Input is read as UTF-8; invalid bytes become U+FFFD (as docker does).
 *
 * Sizes are capped: input and output at SHELLEXPAND_MAX_BYTES, nesting of ${...} at
 * SHELLEXPAND_MAX_DEPTH, patterns at SHELLEXPAND_MAX_PATTERN characters and pattern matching
 * work at SHELLEXPAND_MAX_MATCH (pattern length times value length). Errors are -EINVAL with a
 * message "failed to process \"WORD\": why".
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define SHELLEXPAND_MAX_BYTES   (1u << 20)
#define SHELLEXPAND_MAX_DEPTH   64
#define SHELLEXPAND_MAX_MATCH   (1u << 22)
#define SHELLEXPAND_MAX_PATTERN 4096

/* shellexpand_lookup: the value of name (borrowed, valid until the expansion returns), or
 * NULL when the variable is not set. An empty string is "set but empty". */
typedef const char *(*shellexpand_lookup)(void *ctx, const char *name);

struct shellexpand {
        uint32_t escape;           /* escape character: '\\' (default when 0) or '`' */
        bool raw_quotes;           /* keep quote characters in the result */
        bool raw_escapes;          /* keep escape characters in the result */
        bool skip_quotes;          /* quotes are ordinary characters (heredoc bodies) */
        bool skip_unset;           /* leave references to unset variables as written */
        shellexpand_lookup lookup; /* NULL: no variable is set */
        void *ctx;
};

/* shellexpand_word: expand word as ONE word (quotes removed, no field splitting) into an
 * owned string *ret. */
int shellexpand_word(const struct shellexpand *sx, const char *word, char **ret, struct err *err);

/* shellexpand_words: expand word and split it into fields: unquoted white space and white
 * space produced by unquoted expansions separate fields, quoted text never does, and empty
 * fields are dropped. *ret is an owned strv (NULL-terminated, possibly empty). */
int shellexpand_words(const struct shellexpand *sx, const char *word, char ***ret, struct err *err);
