/* schema: structural validation of a compose file against the compose-spec JSON schema.
 *
 * The schema (draft-07, embedded in the binary, see schema_data.h) is compiled once by
 * schema_new(): $refs resolved, patterns compiled. The compiled schema is immutable, so one
 * instance can validate any number of documents, from any number of threads.
 *
 * Errors use compose-go's wording (which wraps santhosh-tekuri/jsonschema): the offending
 * node's file:line:col, the dotted key path, then the problem, e.g.
 *   compose.yaml:3:12: services.web.image must be a string
 *   compose.yaml:5:5: services.web additional properties 'impossible' not allowed
 *   compose.yaml:6:20: services.web.depends_on.db.condition value must be one of ...
 * Of all the violations the most specific one (the deepest, as compose-go picks it) is
 * reported.
 */
#pragma once

#include "base/err.h"
#include "spec/node.h"

struct schema;

/* schema_new: compile the embedded compose-spec schema. *ret is owned by the caller
 * (schema_free). Fails only when the embedded text is broken (-EINVAL). */
int schema_new(struct schema **ret, struct err *err);

/* schema_new_text: compile another draft-07 schema given as JSON text (borrowed only during
 * the call). Only local "#/..." $refs are followed. */
int schema_new_text(const char *text, struct schema **ret, struct err *err);

/* schema_free: release s (NULL is fine); returns NULL. */
struct schema *schema_free(struct schema *s);

/* schema_validate: check one compose document (normally the NODE_MAP that yaml_load
 * produced, before or after interpolation) against s.
 *
 * YAML kinds map onto JSON types: NODE_STR string, NODE_INT integer (and number),
 * NODE_FLOAT number (an integral one also integer), NODE_BOOL boolean, NODE_NULL null,
 * NODE_SEQ array, NODE_MAP object. Values tagged !reset count as absent, as compose-go
 * drops them before validating.
 *
 * Returns 0 when doc conforms; -EINVAL with err naming the most specific violation
 * otherwise (-E2BIG when doc nests deeper than the validator follows). doc is borrowed. */
int schema_validate(const struct schema *s, const struct node *doc, struct err *err);
