/* emit: print a node tree exactly as `docker compose config` prints the project model.
 *
 * docker compose marshals compose-go's Go structs: YAML through go-yaml's Encoder with
 * SetIndent(2), JSON through encoding/json MarshalIndent with a two-space indent. These
 * functions reproduce those two printers on a node tree; the order of map entries is the
 * tree's order (see spec/order.h to put a canonical project into Go's order first).
 *
 * Scalars print by node kind: NODE_STR as a string (quoted only where go-yaml would quote
 * it), NODE_INT in decimal (whatever base the text used), NODE_FLOAT as Go formats a
 * float64 (shortest text that reads back, `1e+06` style exponents in YAML), NODE_BOOL as
 * true/false, NODE_NULL as null. Text is expected to be UTF-8; a YAML string that is not
 * is printed as go-yaml does (`!!binary` base64), a JSON one gets U+FFFD for each bad byte.
 */
#pragma once

#include "base/err.h"
#include "base/sbuf.h"
#include "spec/node.h"

/* EMIT_MAX_DEPTH: nesting beyond this is refused (-ELOOP) instead of exhausting the stack. */
#define EMIT_MAX_DEPTH 512

/* emit_yaml: append root as one YAML document in go-yaml v3 style: block collections
 * indented by 2 (sequences indented under their key), `{}` / `[]` for empty ones, literal
 * block scalars (`|`, `|-`, `|+`, `|2-`) for multi-line strings, double quotes where a plain
 * scalar would read back as another type ("3000", "true", "", "yes", "1:20",
 * "2001-12-14"), single quotes where plain style is not allowed ("- a", "a: b", "@x",
 * " x"), and no line wrapping. The output ends with a newline and has no `---`/`...`.
 * Errors: -ELOOP (nesting deeper than EMIT_MAX_DEPTH), -EINVAL (unknown node kind);
 * out may then hold a partial document. */
int emit_yaml(const struct node *root, struct sbuf *out, struct err *err);

/* Which go-yaml docker compose was built with. compose-go <= 2.9 used gopkg.in/yaml.v3;
 * from 2.10 (the docker/compose snapshot of the corpus has compose-go 2.14 and yaml
 * v4.0.0-rc.6) it uses go.yaml.in/yaml/v4, whose Encoder differs in
 * four visible ways: lines wrap at spaces past column 80 (plain and quoted scalars, not
 * simple keys), "yes"/"on"/"1:20"/"<<" are single-quoted, a literal block keeps a leading
 * newline (no `|2` hint for it), and a multi-line string of only whitespace is
 * double-quoted. */
enum emit_yaml_flavor {
        EMIT_YAML_V3,
        EMIT_YAML_V4,
};

/* emit_yaml_flavor: emit_yaml for the given go-yaml generation (emit_yaml is V3). */
int emit_yaml_flavor(const struct node *root, enum emit_yaml_flavor flavor, struct sbuf *out,
                     struct err *err);

/* emit_json: append root as encoding/json MarshalIndent(v, "", "  ") prints it: two-space
 * indent, `"key": value`, `{}` / `[]` for empty collections, strings escaped as Go does
 * (\u003c \u003e \u0026 for < > &, \u2028 \u2029, \b \f \n \r \t, \u00XX for other
 * controls). No trailing newline, as MarshalIndent has none.
 * Errors: -EINVAL for a float that JSON cannot hold (inf, nan) or an unknown kind,
 * -ELOOP for nesting deeper than EMIT_MAX_DEPTH. */
int emit_json(const struct node *root, struct sbuf *out, struct err *err);

/* emit_json_indent: as emit_json with another indent unit (docker compose prints
 * `config --variables --format json` with four spaces). indent is borrowed. */
int emit_json_indent(const struct node *root, const char *indent, struct sbuf *out,
                     struct err *err);
