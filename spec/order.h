/* order: put a canonical project tree into the key order docker compose prints.
 *
 * `docker compose config` marshals compose-go's types.Project: struct fields come out in
 * Go declaration order, Go maps sorted by key, x-* extensions (the inline Extensions map)
 * after a struct's fields, sorted. The order tables in order.c follow compose-go's
 * types package; any key they do not know keeps its relative place after the known fields
 * (before the extensions). Keys are never added or removed by order_project.
 *
 * The tree is expected in canonical (long) syntax, as the project model holds it: a
 * value whose kind does not match the table (a string where a struct is expected, say)
 * is left as it is. Sequences keep their order.
 */
#pragma once

#include <stdbool.h>

#include "spec/node.h"

/* order_project: reorder every mapping of project in place for YAML output (emit_yaml).
 * Go maps are sorted as go-yaml sorts map keys (digit runs compare as numbers, so "a9"
 * sorts before "a10"; letters sort after other characters where go-yaml says so).
 * alphabetical=true is `config --no-interpolate`, whose model is a plain map[string]any:
 * then every mapping, top level included, is sorted and struct order does not apply. */
void order_project(struct node *project, bool alphabetical);

/* order_project_json: prepare project for JSON output (emit_json) the way
 * Project.MarshalJSON and encoding/json shape it; this does change keys:
 *  - the top level is a Go map: keys in byte order, "name" and "services" always present,
 *    "models" dropped (MarshalJSON leaves it out), x-* kept;
 *  - below the top level x-* extensions are dropped (json:"-");
 *  - fields JSON never omits are added when absent: service and hook `command` and
 *    `entrypoint` as null, network `ipam`, deploy `resources` and `placement` as {},
 *    develop.watch[] `exec` as {"command": null};
 *  - blkio weight/throttle devices use the Go field names ("Path", "Weight", "Rate");
 *    ulimits soft/hard of 0 are dropped (omitempty).
 * Struct fields keep declaration order; Go maps are sorted in byte order (encoding/json).
 * alphabetical=true (`config --no-interpolate --format json`): every mapping sorted in byte
 * order, nothing added or dropped. */
void order_project_json(struct node *project, bool alphabetical);

/* order_yaml_key_cmp: go-yaml's map key order (its keyList.Less) as a strcmp-like
 * comparison; exposed for callers that print other Go maps. */
int order_yaml_key_cmp(const char *a, const char *b);
