/* schema_report: words a schema violation the way compose-go does.
 *
 * compose-go prints "<dotted instance path> <message>", with santhosh-tekuri/jsonschema's
 * messages except for three it rewrites: type ("must be a mapping", "must be a number or
 * string"), minimum and maximum ("must be greater than or equal to 0"). Strings are quoted
 * as that library quotes them: single quotes, Go escapes. berth puts the file:line:col of
 * the offending node (of the first offending key, for additional properties) in front.
 *
 * The walk recorded only what failed and where (struct verr); the details (which keys are
 * extra, which are missing, which items repeat) are recomputed here, once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "schema_impl.h"

#define QUOTE_MAX 128 /* bytes of a user's value shown in a message */

/* find_path: the dotted path from cur to target (a node inside it), as compose-go joins
 * its instance location; sequence indices count only the items that are not !reset. */
static bool
find_path(const struct node *cur, const struct node *target, struct sbuf *path)
{
        size_t mark = path->len, idx = 0;

        if (cur == target)
                return true;
        if (cur->kind == NODE_MAP) {
                node_foreach_entry(e, cur) {
                        if (schema_node_is_reset(e->val))
                                continue;
                        sbuf_addf(path, "%s%s", mark ? "." : "", e->key);
                        if (find_path(e->val, target, path))
                                return true;
                        sbuf_truncate(path, mark);
                }
        } else if (cur->kind == NODE_SEQ) {
                node_foreach_item(it, cur) {
                        if (schema_node_is_reset(it))
                                continue;
                        sbuf_addf(path, "%s%zu", mark ? "." : "", idx++);
                        if (find_path(it, target, path))
                                return true;
                        sbuf_truncate(path, mark);
                }
        }
        return false;
}

/* quote: s in single quotes, escaped as Go's %q does (then ' escaped, " left alone). */
static void
quote(struct sbuf *out, const char *s)
{
        size_t i;

        sbuf_addch(out, '\'');
        for (i = 0; s[i] && i < QUOTE_MAX; i++) {
                unsigned char ch = (unsigned char)s[i];
                if (ch == '\\' || ch == '\'')
                        sbuf_addf(out, "\\%c", ch);
                else if (ch == '\n')
                        sbuf_adds(out, "\\n");
                else if (ch == '\t')
                        sbuf_adds(out, "\\t");
                else if (ch == '\r')
                        sbuf_adds(out, "\\r");
                else if (ch < 0x20 || ch == 0x7f)
                        sbuf_addf(out, "\\x%02x", ch);
                else
                        sbuf_addch(out, (char)ch);
        }
        if (s[i])
                sbuf_adds(out, "...");
        sbuf_addch(out, '\'');
}

static void
quote_list(struct sbuf *out, const char *const *names, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (i)
                        sbuf_adds(out, ", ");
                quote(out, names[i]);
        }
}

/* display: a JSON value as santhosh-tekuri shows the values of enum and const. */
static void
display(struct sbuf *out, json_object *j)
{
        switch (json_object_get_type(j)) {
        case json_type_string:
                quote(out, json_object_get_string(j));
                break;
        case json_type_null:
                sbuf_adds(out, "<nil>");
                break;
        case json_type_boolean:
                sbuf_adds(out, json_object_get_boolean(j) ? "true" : "false");
                break;
        case json_type_int:
                sbuf_addf(out, "%lld", (long long)json_object_get_int64(j));
                break;
        case json_type_double:
                sbuf_addf(out, "%g", json_object_get_double(j));
                break;
        case json_type_array:
        case json_type_object:
                sbuf_adds(out, "value");
                break;
        }
}

static bool
is_primitive(json_object *j)
{
        return !json_object_is_type(j, json_type_array) &&
               !json_object_is_type(j, json_type_object);
}

static int
name_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* type_names: compose-go's humanReadableType: object is a mapping, several are sorted and
 * joined "a, b or c". */
static void
type_names(struct sbuf *out, unsigned types)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = {
                { ST_NULL, "null" },       { ST_BOOLEAN, "boolean" }, { ST_OBJECT, "mapping" },
                { ST_ARRAY, "array" },     { ST_NUMBER, "number" },   { ST_STRING, "string" },
                { ST_INTEGER, "integer" },
        };
        const char *want[ARRAY_SIZE(names)];
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (types & names[i].bit)
                        want[n++] = names[i].name;
        qsort(want, n, sizeof(*want), name_cmp);
        for (size_t i = 0; i < n; i++)
                sbuf_addf(out, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", want[i]);
}

static void
bound(struct sbuf *out, const char *what, double v)
{
        if (v == (double)(long long)v)
                sbuf_addf(out, "must be %s %lld", what, (long long)v);
        else
                sbuf_addf(out, "must be %s %g", what, v);
}

static void
describe_enum(struct sbuf *out, const struct sch *s)
{
        json_object *vals = s->enum_vals;
        size_t n = json_object_array_length(vals);

        for (size_t i = 0; i < n; i++)
                if (!is_primitive(json_object_array_get_idx(vals, i))) {
                        sbuf_adds(out, "enum failed");
                        return;
                }
        sbuf_adds(out, n == 1 ? "value must be " : "value must be one of ");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        sbuf_adds(out, ", ");
                display(out, json_object_array_get_idx(vals, i));
        }
}

static void
describe_const(struct sbuf *out, const struct sch *s)
{
        if (!is_primitive(s->const_val)) {
                sbuf_adds(out, "const failed");
                return;
        }
        sbuf_adds(out, "value must be ");
        display(out, s->const_val);
}

/* describe_additional: the extra keys, in document order; *ret_first is the first one. */
static void
describe_additional(struct sbuf *out, const struct sch *s, const struct node *n,
                    const struct node_entry **ret_first)
{
        size_t count = 0;

        sbuf_adds(out, "additional properties ");
        node_foreach_entry(e, n) {
                if (schema_node_is_reset(e->val) || !schema_is_additional(s, e->key))
                        continue;
                if (count++)
                        sbuf_adds(out, ", ");
                else
                        *ret_first = e;
                quote(out, e->key);
        }
        sbuf_adds(out, " not allowed");
}

static void
describe_required(struct sbuf *out, const struct sch *s, const struct node *n)
{
        cleanup_free const char **missing = xcalloc(s->nrequired + 1, sizeof(*missing));
        size_t count = 0;

        for (size_t i = 0; i < s->nrequired; i++) {
                if (!schema_live_get(n, s->required[i]))
                        missing[count++] = s->required[i];
        }
        sbuf_adds(out, count == 1 ? "missing property " : "missing properties ");
        quote_list(out, missing, count);
}

static void
describe_dependency(struct sbuf *out, const struct sch *s, const struct node *n)
{
        for (size_t i = 0; i < s->ndeps; i++) {
                const struct sch_dep *d = &s->deps[i];
                cleanup_free const char **missing = xcalloc(d->nreq + 1, sizeof(*missing));
                size_t count = 0;
                if (d->sch || !schema_live_get(n, d->name))
                        continue;
                for (size_t k = 0; k < d->nreq; k++)
                        if (!schema_live_get(n, d->req[k]))
                                missing[count++] = d->req[k];
                if (!count)
                        continue;
                sbuf_adds(out, "properties ");
                quote_list(out, missing, count);
                sbuf_adds(out, " required, if ");
                quote(out, d->name);
                sbuf_adds(out, " exists");
                return;
        }
}

static void
describe_one_of(struct sbuf *out, const struct sch *s, const struct node *n)
{
        size_t found[2] = { 0, 0 }, k = 0;

        for (size_t i = 0; i < s->one_of.n && k < 2; i++)
                if (schema_node_matches(s->one_of.v[i], n))
                        found[k++] = i;
        sbuf_addf(out, "oneOf failed, subschemas %zu, %zu matched", found[0], found[1]);
}

static void
describe_format(struct sbuf *out, const struct sch *s, const struct node *n)
{
        quote(out, n->str);
        sbuf_addf(out, " is not valid %s", s->format);
        if (strcmp(s->format, "duration") == 0)
                sbuf_addf(out, ": time: invalid duration \"%.*s\"", QUOTE_MAX, n->str);
}

static void
describe_unique(struct sbuf *out, const struct node *n)
{
        size_t i = 0, j = 0;

        (void)schema_find_dup(n, &i, &j);
        sbuf_addf(out, "items at %zu and %zu are equal", i, j);
}

/* describe_limits: sizes, lengths, bounds and patterns. */
static void
describe_limits(struct sbuf *out, const struct verr *v)
{
        const struct sch *s = v->sch;
        const struct node *n = v->at;

        switch (v->kind) {
        case VK_MIN_PROPS:
                sbuf_addf(out, "minProperties: got %zu, want %lld", schema_live_count(n),
                          s->min_props);
                break;
        case VK_MAX_PROPS:
                sbuf_addf(out, "maxProperties: got %zu, want %lld", schema_live_count(n),
                          s->max_props);
                break;
        case VK_MIN_ITEMS:
                sbuf_addf(out, "minItems: got %zu, want %lld", schema_live_count(n), s->min_items);
                break;
        case VK_MAX_ITEMS:
                sbuf_addf(out, "maxItems: got %zu, want %lld", schema_live_count(n), s->max_items);
                break;
        case VK_ADDL_ITEMS:
                sbuf_addf(out, "last %zu additionalItem(s) not allowed",
                          schema_live_count(n) - s->tuple.n);
                break;
        case VK_MIN_LEN:
                sbuf_addf(out, "minLength: got %zu, want %lld", schema_utf8_length(n->str),
                          s->min_len);
                break;
        case VK_MAX_LEN:
                sbuf_addf(out, "maxLength: got %zu, want %lld", schema_utf8_length(n->str),
                          s->max_len);
                break;
        case VK_PATTERN:
                quote(out, n->str);
                sbuf_adds(out, " does not match pattern ");
                quote(out, s->pattern->src);
                break;
        case VK_MINIMUM:
                bound(out, "greater than or equal to", s->minimum.v);
                break;
        case VK_MAXIMUM:
                bound(out, "less than or equal to", s->maximum.v);
                break;
        case VK_EX_MINIMUM:
                sbuf_addf(out, "exclusiveMinimum: got %s, want %g", n->str, s->ex_minimum.v);
                break;
        case VK_EX_MAXIMUM:
                sbuf_addf(out, "exclusiveMaximum: got %s, want %g", n->str, s->ex_maximum.v);
                break;
        default:
                break;
        }
}

static void
describe(struct sbuf *out, const struct verr *v, const struct node_entry **ret_key)
{
        const struct sch *s = v->sch;
        const struct node *n = v->at;

        switch (v->kind) {
        case VK_TYPE:
                sbuf_adds(out, "must be a ");
                type_names(out, s->types);
                break;
        case VK_CONST:
                describe_const(out, s);
                break;
        case VK_ENUM:
                describe_enum(out, s);
                break;
        case VK_FORMAT:
                describe_format(out, s, n);
                break;
        case VK_REQUIRED:
                describe_required(out, s, n);
                break;
        case VK_DEPENDENCY:
                describe_dependency(out, s, n);
                break;
        case VK_ADDL_PROPS:
                describe_additional(out, s, n, ret_key);
                break;
        case VK_UNIQUE:
                describe_unique(out, n);
                break;
        case VK_NOT:
                sbuf_adds(out, "not failed");
                break;
        case VK_ONE_OF_MANY:
                describe_one_of(out, s, n);
                break;
        case VK_FALSE:
                sbuf_adds(out, "false schema");
                break;
        case VK_NONE:
                sbuf_adds(out, "does not match the schema");
                break;
        default:
                describe_limits(out, v);
                break;
        }
}

int
schema_report(const struct node *doc, const struct verr *v, struct err *err)
{
        cleanup_sbuf struct sbuf path = SBUF_INIT;
        cleanup_sbuf struct sbuf msg = SBUF_INIT;
        const struct node_entry *key = NULL;

        if (!v->at)
                return node_errf(err, doc, -EINVAL, "does not match the compose schema");
        (void)find_path(doc, v->at, &path);
        describe(&msg, v, &key);
        if (!path.len && v->kind == VK_TYPE)
                sbuf_adds(&path, "top-level object");
        if (key)
                return node_pos_errf(err, &key->pos, -EINVAL, "%s%s%s", path.buf,
                                     path.len ? " " : "", msg.buf);
        return node_errf(err, v->at, -EINVAL, "%s%s%s", path.buf, path.len ? " " : "", msg.buf);
}
