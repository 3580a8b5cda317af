/* interp: compose variable interpolation (compose-spec "Interpolation", compose-go template).
 *
 * Syntax, in string values only: $NAME and ${NAME}; ${NAME:-default} (unset or empty),
 * ${NAME-default} (unset); ${NAME:?message} and ${NAME?message} fail when the variable is
 * unset (or empty with ':'); ${NAME:+alt} and ${NAME+alt} give alt when the variable is set
 * (and non-empty with ':'); '$$' is a literal '$'. Names are [_a-zA-Z][_a-zA-Z0-9]*. An
 * operator's argument runs to the matching '}' on the same line and is itself interpolated,
 * but only when it is used. A '$' followed by anything else is kept literally; '${' that does
 * not form a valid expression is an error ("Invalid template").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/log.h"
#include "spec/node.h"

/* Limits a hostile compose file or environment could otherwise blow up. */
#define INTERP_MAX_OUTPUT (1024 * 1024) /* bytes of one interpolated string */
#define INTERP_MAX_DEPTH  32            /* ${A:-${B:-${C...}}} nesting */

/* interp_lookup_fn: the value of name (borrowed, valid until the next call), or NULL when
 * the variable is unset. An empty string means set-but-empty. */
typedef const char *(*interp_lookup_fn)(void *ctx, const char *name);

struct interp_opts {
        interp_lookup_fn lookup; /* NULL: every variable is unset */
        void *ctx;
        /* receives `The "X" variable is not set. Defaulting to a blank string.` for each
         * reference to an unset variable without an operator; may be NULL */
        const struct logger *log;
};

/* interp_string: interpolate one template. On success *ret is the owned result.
 * Errors (-EINVAL) use compose-go's wording: `Invalid template: "<template>"` and
 * `required variable X is missing a value: <message>` (": <message>" omitted when the
 * message is empty). -E2BIG when the result exceeds INTERP_MAX_OUTPUT or the nesting
 * exceeds INTERP_MAX_DEPTH. *ret is untouched on failure. o may be NULL (all unset). */
int interp_string(const char *in, const struct interp_opts *o, char **ret, struct err *err);

/* interp_tree: interpolate every NODE_STR value of the tree in place. Map keys are never
 * interpolated; other scalar kinds (int, bool, null...) are left alone; flags and positions
 * are kept. The first failure stops the walk (the tree is then partly interpolated) and
 * names the value's file:line:col and key path, e.g.
 *   compose.yaml:3:12: invalid interpolation format for services.web.image: "${":
 *   You may need to escape any $ with another $
 *   compose.yaml:3:12: error while interpolating services.web.image: required variable
 *   TAG is missing a value: TAG must be set
 * Sequence items appear in the path as [index]. */
int interp_tree(struct node *root, const struct interp_opts *o, struct err *err);

/* interp_var: one variable referenced by a tree, as `config --variables` lists it.
 * All strings are owned and never NULL ("" when absent). A variable referenced several
 * times is required when any reference is, and keeps the first non-empty default and
 * presence value. Variables inside operator arguments are listed too. */
struct interp_var {
        char *name;
        char *default_value;  /* the raw (uninterpolated) argument of :- or - */
        char *presence_value; /* the raw argument of :+ or + */
        bool required;        /* referenced with :? or ? */
};

/* interp_variables: every variable the tree's string values reference (keys excluded),
 * sorted by name (byte order), one entry per name. *ret (owned, free with
 * interp_vars_free) may be NULL when *ret_n is 0. A string is scanned up to its first
 * malformed expression: interp_tree reports those. */
int interp_variables(const struct node *root, struct interp_var **ret, size_t *ret_n,
                     struct err *err);
void interp_vars_free(struct interp_var *v, size_t n);

struct sbuf;
/* interp_quote: append s[0..n) to sb as a double-quoted string the way Go's %q prints it
 * (\" \\ \n \t \r, other control bytes as \xNN), for messages that quote user text. */
void interp_quote(struct sbuf *sb, const char *s, size_t n);
