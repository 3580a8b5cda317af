/* jsonx: json-c helpers; the writer follows Go's encoding/json output byte for byte for the
 * values docker emits (strings escaped with \u003c \u003e \u0026 \u2028 \u2029, control
 * characters as \n \r \t or \u00XX, no "\/"; MarshalIndent puts one member per line and
 * prints empty containers as {} and []).
 */
#include "engine/jsonx.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strv.h"

int
jsonx_parse(const char *buf, size_t len, size_t max, const char *what, json_object **ret,
            struct err *err)
{
        struct json_tokener *tok;
        json_object *obj;
        size_t end;

        if (len > max || len > INT_MAX)
                return err_setf(err, -EFBIG, "parse %s: larger than %zu bytes", what, max);
        tok = json_tokener_new_ex(JSONX_DEPTH_MAX);
        if (!tok)
                return err_setf(err, -ENOMEM, "parse %s: out of memory", what);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        obj = json_tokener_parse_ex(tok, buf, (int)len);
        if (!obj && json_tokener_get_error(tok) == json_tokener_continue) {
                json_tokener_free(tok);
                return err_setf(err, -EINVAL, "parse %s: unexpected end of JSON", what);
        }
        if (!obj && json_tokener_get_error(tok) != json_tokener_success) {
                int r = err_setf(err, -EINVAL, "parse %s: %s at byte %zu", what,
                                 json_tokener_error_desc(json_tokener_get_error(tok)),
                                 json_tokener_get_parse_end(tok));

                json_tokener_free(tok);
                return r;
        }
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        while (end < len && strchr(" \t\r\n", buf[end]) && buf[end])
                end++;
        if (end < len || !obj) {
                json_object_put(obj);
                return err_setf(err, -EINVAL, "parse %s: %s", what,
                                obj ? "trailing data after the JSON value" : "empty document");
        }
        *ret = obj;
        return 0;
}

json_object *
jsonx_get(json_object *obj, const char *key)
{
        json_object *v = NULL;

        if (!obj || !json_object_is_type(obj, json_type_object))
                return NULL;
        if (!json_object_object_get_ex(obj, key, &v))
                return NULL;
        return v;
}

json_object *
jsonx_get_type(json_object *obj, const char *key, json_type type)
{
        json_object *v = jsonx_get(obj, key);

        return v && json_object_is_type(v, type) ? v : NULL;
}

const char *
jsonx_str(json_object *obj, const char *key)
{
        json_object *v = jsonx_get_type(obj, key, json_type_string);

        return v ? json_object_get_string(v) : NULL;
}

int64_t
jsonx_int(json_object *obj, const char *key, int64_t fallback)
{
        json_object *v = jsonx_get_type(obj, key, json_type_int);

        return v ? json_object_get_int64(v) : fallback;
}

bool
jsonx_bool(json_object *obj, const char *key)
{
        json_object *v = jsonx_get_type(obj, key, json_type_boolean);

        return v && json_object_get_boolean(v);
}

void
jsonx_add_str(json_object *obj, const char *key, const char *s)
{
        json_object_object_add(obj, key, s ? json_object_new_string(s) : NULL);
}

void
jsonx_add_int(json_object *obj, const char *key, int64_t v)
{
        json_object_object_add(obj, key, json_object_new_int64(v));
}

json_object *
jsonx_strv(char *const *v)
{
        json_object *arr = json_object_new_array();

        for (size_t i = 0; v && v[i]; i++)
                json_object_array_add(arr, json_object_new_string(v[i]));
        return arr;
}

char **
jsonx_to_strv(json_object *arr)
{
        char **v = NULL;
        size_t n;

        if (!arr || !json_object_is_type(arr, json_type_array))
                return NULL;
        n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(arr, i);

                if (json_object_is_type(e, json_type_string))
                        strv_add(&v, json_object_get_string(e));
        }
        return v;
}

static void
write_string(struct sbuf *sb, const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";

        sbuf_addch(sb, '"');
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '"' || c == '\\') {
                        sbuf_addch(sb, '\\');
                        sbuf_addch(sb, (char)c);
                } else if (c == '\n' || c == '\r' || c == '\t') {
                        sbuf_addch(sb, '\\');
                        sbuf_addch(sb, c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
                } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                        sbuf_adds(sb, "\\u00");
                        sbuf_addch(sb, hex[c >> 4]);
                        sbuf_addch(sb, hex[c & 15]);
                } else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                           ((unsigned char)s[i + 2] & 0xfe) == 0xa8) {
                        sbuf_addf(sb, "\\u202%c", (unsigned char)s[i + 2] == 0xa8 ? '8' : '9');
                        i += 2;
                } else {
                        sbuf_addch(sb, (char)c);
                }
        }
        sbuf_addch(sb, '"');
}

static void
newline(struct sbuf *sb, const char *indent, int depth)
{
        if (!indent)
                return;
        sbuf_addch(sb, '\n');
        for (int i = 0; i < depth; i++)
                sbuf_adds(sb, indent);
}

static void write_value(struct sbuf *sb, json_object *obj, const char *indent, int depth);

static void
write_object(struct sbuf *sb, json_object *obj, const char *indent, int depth)
{
        int first = 1;

        sbuf_addch(sb, '{');
        json_object_object_foreach(obj, key, val)
        {
                if (!first)
                        sbuf_addch(sb, ',');
                first = 0;
                newline(sb, indent, depth + 1);
                write_string(sb, key, strlen(key));
                sbuf_adds(sb, indent ? ": " : ":");
                write_value(sb, val, indent, depth + 1);
        }
        if (!first)
                newline(sb, indent, depth);
        sbuf_addch(sb, '}');
}

static void
write_array(struct sbuf *sb, json_object *obj, const char *indent, int depth)
{
        size_t n = json_object_array_length(obj);

        sbuf_addch(sb, '[');
        for (size_t i = 0; i < n; i++) {
                if (i)
                        sbuf_addch(sb, ',');
                newline(sb, indent, depth + 1);
                write_value(sb, json_object_array_get_idx(obj, i), indent, depth + 1);
        }
        if (n)
                newline(sb, indent, depth);
        sbuf_addch(sb, ']');
}

static void
write_value(struct sbuf *sb, json_object *obj, const char *indent, int depth)
{
        switch (json_object_get_type(obj)) {
        case json_type_null:
                sbuf_adds(sb, "null");
                return;
        case json_type_boolean:
                sbuf_adds(sb, json_object_get_boolean(obj) ? "true" : "false");
                return;
        case json_type_int:
                sbuf_addf(sb, "%" PRId64, json_object_get_int64(obj));
                return;
        case json_type_double:
                sbuf_adds(sb, json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
                return;
        case json_type_string:
                write_string(sb, json_object_get_string(obj),
                             (size_t)json_object_get_string_len(obj));
                return;
        case json_type_object:
                write_object(sb, obj, indent, depth);
                return;
        case json_type_array:
                write_array(sb, obj, indent, depth);
                return;
        }
}

void
jsonx_write(struct sbuf *sb, json_object *obj, const char *indent)
{
        write_value(sb, obj, indent, 0);
}

char *
jsonx_string(json_object *obj, const char *indent)
{
        struct sbuf sb = SBUF_INIT;

        jsonx_write(&sb, obj, indent);
        return sbuf_detach(&sb);
}
