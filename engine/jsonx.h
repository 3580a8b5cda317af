/* jsonx: the JSON helpers the engine needs on top of json-c: capped parsing with a clear
 * error, typed getters that tolerate absent keys, and a writer that produces the bytes Go's
 * encoding/json would (docker prints and hashes what Go writes: "<" as "\u003c", "/" kept,
 * object members in insertion order, MarshalIndent's layout).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/err.h"
#include "base/sbuf.h"

#define JSONX_DEPTH_MAX 64

/* jsonx_parse: parse exactly one JSON value from buf[0..len). what names the input in the
 * error ("manifest 'sha256:...'"). *ret is owned (json_object_put). -EINVAL on bad JSON,
 * -EFBIG beyond max bytes. */
int jsonx_parse(const char *buf, size_t len, size_t max, const char *what, json_object **ret,
                struct err *err);

/* Getters borrow from obj; a missing key or a value of another type gives NULL / fallback. */
json_object *jsonx_get(json_object *obj, const char *key);
json_object *jsonx_get_type(json_object *obj, const char *key, json_type type);
const char *jsonx_str(json_object *obj, const char *key);
int64_t jsonx_int(json_object *obj, const char *key, int64_t fallback);
bool jsonx_bool(json_object *obj, const char *key);

/* Builders: add a copy of s (NULL becomes JSON null). */
void jsonx_add_str(json_object *obj, const char *key, const char *s);
void jsonx_add_int(json_object *obj, const char *key, int64_t v);
/* jsonx_strv: a JSON array of strings from a strv (NULL gives an empty array). */
json_object *jsonx_strv(char *const *v);
/* jsonx_to_strv: the strings of a JSON array (other element types are skipped). Owned. */
char **jsonx_to_strv(json_object *arr);

/* jsonx_write: append obj to sb as Go would marshal it; indent NULL for compact output,
 * or e.g. "    " for MarshalIndent(obj, "", "    "). */
void jsonx_write(struct sbuf *sb, json_object *obj, const char *indent);
/* jsonx_string: the same into a new owned string. */
char *jsonx_string(json_object *obj, const char *indent);
