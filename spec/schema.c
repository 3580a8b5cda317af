/* schema: compiles the compose-spec JSON schema (JSON Schema draft-07) into struct sch.
 *
 * Keywords understood: type, enum, const, format, $ref (local "#/..." JSON pointers),
 * properties, patternProperties, additionalProperties, required, dependencies,
 * min/maxProperties, items (schema or tuple), additionalItems, uniqueItems, min/maxItems,
 * min/maxLength, pattern, minimum, maximum, exclusiveMinimum/Maximum (draft-06+ numbers),
 * allOf, anyOf, oneOf, not, if/then/else, and the boolean schemas. Annotations
 * (description, default, deprecated, ...) are ignored, as a validator must.
 *
 * Patterns are ECMA-262 in JSON Schema; each distinct one is compiled once as a POSIX ERE
 * (\d \w \s translated), and the few trivial ones compose-spec uses for names are matched
 * without regexec. A $ref target is compiled once and shared, so recursive schemas work.
 */
#include "schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "schema_data.h"
#include "schema_impl.h"

#define SCHEMA_MAX_SUBSCHEMAS 20000 /* the embedded schema has about 700 */
#define SCHEMA_MAX_NESTING    64

struct ref_slot {
        json_object *json;
        struct sch *sch;
};

struct compiler {
        struct schema *s;
        struct ref_slot *refs; /* compiled $ref targets, by JSON object */
        size_t nrefs, caprefs;
        int depth;
        struct err *err;
};

typedef int (*kw_fn)(struct compiler *c, struct sch *s, json_object *v);

static int compile(struct compiler *c, json_object *j, struct sch **ret);

static int
bad(struct compiler *c, const char *what, const char *why)
{
        return err_setf(c->err, -EINVAL, "compile compose schema: %s: %s", what, why);
}

static struct sch *
sch_alloc(struct compiler *c)
{
        struct schema *s = c->s;
        struct sch *n = xcalloc(1, sizeof(*n));

        n->boolean = -1;
        n->min_props = n->max_props = -1;
        n->min_items = n->max_items = -1;
        n->min_len = n->max_len = -1;
        GROW(s->all, s->capall, s->nall + 1);
        s->all[s->nall++] = n;
        return n;
}

static void
sch_release(struct sch *n)
{
        free(n->props);
        free(n->patterns);
        free(n->required);
        for (size_t i = 0; i < n->ndeps; i++)
                free(n->deps[i].req);
        free(n->deps);
        free(n->tuple.v);
        free(n->all_of.v);
        free(n->any_of.v);
        free(n->one_of.v);
        free(n);
}

static void
rx_free(struct sch_rx *rx)
{
        if (rx->kind == RX_REGEX)
                regfree(&rx->re);
        free(rx->lit);
        free(rx);
}

/* ---- patterns ---- */

static bool
is_plain_literal(const char *s)
{
        return s[strcspn(s, ".[]()*+?{}|\\^$")] == '\0';
}

/* class_escape: the ERE for \d \w \s (and their negations) inside or outside brackets. */
static const char *
class_escape(char e, bool in_bracket)
{
        switch (e) {
        case 'd':
                return in_bracket ? "0-9" : "[0-9]";
        case 'w':
                return in_bracket ? "A-Za-z0-9_" : "[A-Za-z0-9_]";
        case 's':
                return in_bracket ? "[:space:]" : "[[:space:]]";
        case 'D':
                return in_bracket ? NULL : "[^0-9]";
        case 'W':
                return in_bracket ? NULL : "[^A-Za-z0-9_]";
        case 'S':
                return in_bracket ? NULL : "[^[:space:]]";
        default:
                return NULL;
        }
}

/* ecma_to_ere: translate the ECMA-262 constructs compose-spec may use; fails on the rest. */
static int
ecma_to_ere(const char *src, struct sbuf *out)
{
        bool in_bracket = false;

        for (const char *p = src; *p; p++) {
                if (*p == '\\' && p[1]) {
                        const char *cls = class_escape(p[1], in_bracket);
                        p++;
                        if (cls)
                                sbuf_adds(out, cls);
                        else if (in_bracket && !strchr("]^-\\", *p) && !strchr("dwsDWS", *p))
                                sbuf_addch(out, *p); /* a backslash is literal in a bracket */
                        else if (!in_bracket && !strchr("dwsDWSbBnrtfv0123456789", *p))
                                sbuf_addf(out, "\\%c", *p);
                        else
                                return -EINVAL;
                        continue;
                }
                if (!in_bracket && *p == '(' && p[1] == '?')
                        return -EINVAL;
                if (*p == '[' && !in_bracket) {
                        in_bracket = true;
                        sbuf_addch(out, *p);
                        if (p[1] == '^')
                                sbuf_addch(out, *++p);
                        if (p[1] == ']')
                                sbuf_addch(out, *++p);
                        continue;
                }
                if (*p == ']')
                        in_bracket = false;
                sbuf_addch(out, *p);
        }
        return 0;
}

static int
rx_compile(struct compiler *c, struct sch_rx *rx)
{
        cleanup_sbuf struct sbuf ere = SBUF_INIT;
        char why[256];
        int r;

        if (strcmp(rx->src, ".+") == 0) {
                rx->kind = RX_NONEMPTY;
                return 0;
        }
        if (strcmp(rx->src, "^.+$") == 0) {
                rx->kind = RX_ONE_LINE;
                return 0;
        }
        if (rx->src[0] == '^' && is_plain_literal(rx->src + 1)) {
                rx->kind = RX_PREFIX;
                rx->lit = xstrdup(rx->src + 1);
                return 0;
        }
        if (ecma_to_ere(rx->src, &ere) < 0)
                return bad(c, rx->src, "unsupported regular expression syntax");
        r = regcomp(&rx->re, ere.buf, REG_EXTENDED | REG_NOSUB);
        if (r) {
                regerror(r, &rx->re, why, sizeof(why));
                return bad(c, rx->src, why);
        }
        rx->kind = RX_REGEX;
        return 0;
}

/* rx_get: the compiled pattern for src, compiling it on first use. */
static int
rx_get(struct compiler *c, const char *src, const struct sch_rx **ret)
{
        struct schema *s = c->s;
        struct sch_rx *rx;
        int r;

        for (size_t i = 0; i < s->nrx; i++)
                if (strcmp(s->rx[i]->src, src) == 0) {
                        *ret = s->rx[i];
                        return 0;
                }
        rx = xcalloc(1, sizeof(*rx));
        rx->src = src;
        r = rx_compile(c, rx);
        if (r < 0) {
                free(rx);
                return r;
        }
        GROW(s->rx, s->caprx, s->nrx + 1);
        s->rx[s->nrx++] = rx;
        *ret = rx;
        return 0;
}

/* ---- $ref ---- */

/* pointer_step: follow one JSON pointer token (with ~0 ~1 escapes) of len n from j. */
static json_object *
pointer_step(json_object *j, const char *tok, size_t n)
{
        cleanup_sbuf struct sbuf key = SBUF_INIT;
        char *end;
        long idx;

        for (size_t i = 0; i < n; i++) {
                if (tok[i] == '~' && i + 1 < n && (tok[i + 1] == '0' || tok[i + 1] == '1')) {
                        sbuf_addch(&key, tok[++i] == '0' ? '~' : '/');
                        continue;
                }
                sbuf_addch(&key, tok[i]);
        }
        if (json_object_is_type(j, json_type_object))
                return json_object_object_get(j, key.buf);
        if (!json_object_is_type(j, json_type_array) || !key.len)
                return NULL;
        errno = 0;
        idx = strtol(key.buf, &end, 10);
        if (errno || *end || idx < 0)
                return NULL;
        return json_object_array_get_idx(j, (size_t)idx);
}

static json_object *
resolve_pointer(json_object *root, const char *ref)
{
        json_object *j = root;
        const char *p;

        if (ref[0] != '#' || (ref[1] && ref[1] != '/'))
                return NULL;
        for (p = ref + 1; j && *p == '/';) {
                size_t n = strcspn(p + 1, "/");
                j = pointer_step(j, p + 1, n);
                p += 1 + n;
        }
        return j;
}

static int compile_into(struct compiler *c, json_object *j, struct sch *n);

static int
kw_ref(struct compiler *c, struct sch *s, json_object *v)
{
        const char *ref = json_object_get_string(v);
        json_object *target = resolve_pointer(c->s->root, ref);
        struct sch *n;

        if (!json_object_is_type(v, json_type_string) || !target)
                return bad(c, ref, "$ref is not a local JSON pointer of this schema");
        for (size_t i = 0; i < c->nrefs; i++)
                if (c->refs[i].json == target) {
                        s->ref = c->refs[i].sch;
                        return 0;
                }
        /* register before compiling so that a recursive definition finds itself */
        n = sch_alloc(c);
        GROW(c->refs, c->caprefs, c->nrefs + 1);
        c->refs[c->nrefs++] = (struct ref_slot){ target, n };
        s->ref = n;
        return compile_into(c, target, n);
}

/* ---- keywords ---- */

static int
type_bit(const char *name, unsigned *ret)
{
        static const struct {
                const char *name;
                unsigned bit;
        } types[] = {
                { "null", ST_NULL },       { "boolean", ST_BOOLEAN }, { "object", ST_OBJECT },
                { "array", ST_ARRAY },     { "number", ST_NUMBER },   { "string", ST_STRING },
                { "integer", ST_INTEGER },
        };

        for (size_t i = 0; i < ARRAY_SIZE(types); i++)
                if (name && strcmp(name, types[i].name) == 0) {
                        *ret |= types[i].bit;
                        return 0;
                }
        return -EINVAL;
}

static int
kw_type(struct compiler *c, struct sch *s, json_object *v)
{
        if (json_object_is_type(v, json_type_string)) {
                if (type_bit(json_object_get_string(v), &s->types) < 0)
                        return bad(c, json_object_get_string(v), "unknown type");
                return 0;
        }
        if (!json_object_is_type(v, json_type_array))
                return bad(c, "type", "not a string or an array");
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *t = json_object_array_get_idx(v, i);
                if (!json_object_is_type(t, json_type_string) ||
                    type_bit(json_object_get_string(t), &s->types) < 0)
                        return bad(c, "type", "unknown type in the list");
        }
        return 0;
}

static int
prop_cmp(const void *a, const void *b)
{
        return strcmp(((const struct sch_prop *)a)->name, ((const struct sch_prop *)b)->name);
}

static int
kw_properties(struct compiler *c, struct sch *s, json_object *v)
{
        int r;

        if (!json_object_is_type(v, json_type_object))
                return bad(c, "properties", "not an object");
        s->props = xcalloc((size_t)json_object_object_length(v) + 1, sizeof(*s->props));
        json_object_object_foreach(v, name, sub)
        {
                struct sch_prop *p = &s->props[s->nprops++];
                p->name = name;
                r = compile(c, sub, &p->sch);
                if (r < 0)
                        return r;
        }
        qsort(s->props, s->nprops, sizeof(*s->props), prop_cmp);
        return 0;
}

static int
kw_pattern_properties(struct compiler *c, struct sch *s, json_object *v)
{
        int r;

        if (!json_object_is_type(v, json_type_object))
                return bad(c, "patternProperties", "not an object");
        s->patterns = xcalloc((size_t)json_object_object_length(v) + 1, sizeof(*s->patterns));
        json_object_object_foreach(v, pat, sub)
        {
                struct sch_pattern *p = &s->patterns[s->npatterns++];
                r = rx_get(c, pat, &p->rx);
                if (r < 0)
                        return r;
                r = compile(c, sub, &p->sch);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* schema_or_false: a keyword that takes a schema, where `false` means "nothing allowed". */
static int
schema_or_false(struct compiler *c, json_object *v, struct sch **ret, bool *ret_false)
{
        if (json_object_is_type(v, json_type_boolean)) {
                *ret_false = !json_object_get_boolean(v);
                return 0;
        }
        return compile(c, v, ret);
}

static int
kw_additional_properties(struct compiler *c, struct sch *s, json_object *v)
{
        return schema_or_false(c, v, &s->addl, &s->addl_false);
}

static int
kw_additional_items(struct compiler *c, struct sch *s, json_object *v)
{
        return schema_or_false(c, v, &s->addl_items, &s->addl_items_false);
}

static int
string_list(struct compiler *c, json_object *v, const char ***ret, size_t *ret_n)
{
        size_t n;

        if (!json_object_is_type(v, json_type_array))
                return bad(c, "required", "not an array");
        n = json_object_array_length(v);
        *ret = xcalloc(n + 1, sizeof(**ret));
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (!json_object_is_type(e, json_type_string))
                        return bad(c, "required", "not a list of strings");
                (*ret)[i] = json_object_get_string(e);
        }
        *ret_n = n;
        return 0;
}

static int
kw_required(struct compiler *c, struct sch *s, json_object *v)
{
        return string_list(c, v, &s->required, &s->nrequired);
}

static int
kw_dependencies(struct compiler *c, struct sch *s, json_object *v)
{
        int r;

        if (!json_object_is_type(v, json_type_object))
                return bad(c, "dependencies", "not an object");
        s->deps = xcalloc((size_t)json_object_object_length(v) + 1, sizeof(*s->deps));
        json_object_object_foreach(v, name, sub)
        {
                struct sch_dep *d = &s->deps[s->ndeps++];
                d->name = name;
                if (json_object_is_type(sub, json_type_array))
                        r = string_list(c, sub, &d->req, &d->nreq);
                else
                        r = compile(c, sub, &d->sch);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
kw_enum(struct compiler *c, struct sch *s, json_object *v)
{
        if (!json_object_is_type(v, json_type_array))
                return bad(c, "enum", "not an array");
        s->enum_vals = v;
        return 0;
}

static int
kw_const(struct compiler *c, struct sch *s, json_object *v)
{
        (void)c;
        s->has_const = true;
        s->const_val = v;
        return 0;
}

static int
kw_format(struct compiler *c, struct sch *s, json_object *v)
{
        if (!json_object_is_type(v, json_type_string))
                return bad(c, "format", "not a string");
        s->format = json_object_get_string(v);
        return 0;
}

static int
kw_pattern(struct compiler *c, struct sch *s, json_object *v)
{
        if (!json_object_is_type(v, json_type_string))
                return bad(c, "pattern", "not a string");
        return rx_get(c, json_object_get_string(v), &s->pattern);
}

static int
list(struct compiler *c, json_object *v, struct sch_list *ret)
{
        size_t n;
        int r;

        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
                return bad(c, "allOf/anyOf/oneOf/items", "not a non-empty array");
        n = json_object_array_length(v);
        ret->v = xcalloc(n, sizeof(*ret->v));
        for (ret->n = 0; ret->n < n; ret->n++) {
                r = compile(c, json_object_array_get_idx(v, ret->n), &ret->v[ret->n]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
kw_items(struct compiler *c, struct sch *s, json_object *v)
{
        if (json_object_is_type(v, json_type_array))
                return list(c, v, &s->tuple);
        return compile(c, v, &s->items);
}

#define KW_LIST(field)                                                           \
        static int kw_##field(struct compiler *c, struct sch *s, json_object *v) \
        {                                                                        \
                return list(c, v, &s->field);                                    \
        }
KW_LIST(all_of)
KW_LIST(any_of)
KW_LIST(one_of)

#define KW_SCHEMA(field)                                                         \
        static int kw_##field(struct compiler *c, struct sch *s, json_object *v) \
        {                                                                        \
                return compile(c, v, &s->field);                                 \
        }
KW_SCHEMA(not_)
KW_SCHEMA(if_)
KW_SCHEMA(then_)
KW_SCHEMA(else_)

static int
count(struct compiler *c, json_object *v, long long *ret)
{
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return bad(c, json_object_to_json_string(v), "not a non-negative integer");
        *ret = json_object_get_int64(v);
        return 0;
}

#define KW_COUNT(field)                                                          \
        static int kw_##field(struct compiler *c, struct sch *s, json_object *v) \
        {                                                                        \
                return count(c, v, &s->field);                                   \
        }
KW_COUNT(min_props)
KW_COUNT(max_props)
KW_COUNT(min_items)
KW_COUNT(max_items)
KW_COUNT(min_len)
KW_COUNT(max_len)

static int
number(struct compiler *c, json_object *v, struct sch_num *ret)
{
        if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
                return bad(c, json_object_to_json_string(v), "not a number");
        ret->set = true;
        ret->v = json_object_get_double(v);
        return 0;
}

#define KW_NUMBER(field)                                                         \
        static int kw_##field(struct compiler *c, struct sch *s, json_object *v) \
        {                                                                        \
                return number(c, v, &s->field);                                  \
        }
KW_NUMBER(minimum)
KW_NUMBER(maximum)
KW_NUMBER(ex_minimum)
KW_NUMBER(ex_maximum)

static int
kw_unique(struct compiler *c, struct sch *s, json_object *v)
{
        if (!json_object_is_type(v, json_type_boolean))
                return bad(c, "uniqueItems", "not a boolean");
        s->unique = json_object_get_boolean(v);
        return 0;
}

static const struct {
        const char *name;
        kw_fn fn;
} keywords[] = {
        { "$ref", kw_ref },
        { "type", kw_type },
        { "enum", kw_enum },
        { "const", kw_const },
        { "format", kw_format },
        { "properties", kw_properties },
        { "patternProperties", kw_pattern_properties },
        { "additionalProperties", kw_additional_properties },
        { "required", kw_required },
        { "dependencies", kw_dependencies },
        { "minProperties", kw_min_props },
        { "maxProperties", kw_max_props },
        { "items", kw_items },
        { "additionalItems", kw_additional_items },
        { "uniqueItems", kw_unique },
        { "minItems", kw_min_items },
        { "maxItems", kw_max_items },
        { "minLength", kw_min_len },
        { "maxLength", kw_max_len },
        { "pattern", kw_pattern },
        { "minimum", kw_minimum },
        { "maximum", kw_maximum },
        { "exclusiveMinimum", kw_ex_minimum },
        { "exclusiveMaximum", kw_ex_maximum },
        { "allOf", kw_all_of },
        { "anyOf", kw_any_of },
        { "oneOf", kw_one_of },
        { "not", kw_not_ },
        { "if", kw_if_ },
        { "then", kw_then_ },
        { "else", kw_else_ },
};

static int
compile_into(struct compiler *c, json_object *j, struct sch *n)
{
        int r = 0;

        if (json_object_is_type(j, json_type_boolean)) {
                n->boolean = json_object_get_boolean(j);
                return 0;
        }
        if (!json_object_is_type(j, json_type_object))
                return bad(c, json_object_to_json_string(j), "a schema must be an object");
        if (c->s->nall > SCHEMA_MAX_SUBSCHEMAS || c->depth >= SCHEMA_MAX_NESTING)
                return bad(c, "schema", "too large or nested too deep");
        c->depth++;
        json_object_object_foreach(j, key, val)
        {
                for (size_t i = 0; i < ARRAY_SIZE(keywords) && r >= 0; i++)
                        if (strcmp(key, keywords[i].name) == 0)
                                r = keywords[i].fn(c, n, val);
                if (r < 0)
                        break;
        }
        c->depth--;
        return r;
}

static int
compile(struct compiler *c, json_object *j, struct sch **ret)
{
        *ret = sch_alloc(c);
        return compile_into(c, j, *ret);
}

int
schema_new_text(const char *text, struct schema **ret, struct err *err)
{
        struct schema *s = xcalloc(1, sizeof(*s));
        struct compiler c = { .s = s, .err = err };
        enum json_tokener_error jerr = json_tokener_success;
        int r;

        s->root = json_tokener_parse_verbose(text, &jerr);
        if (!s->root) {
                r = err_setf(err, -EINVAL, "parse compose schema: %s",
                             json_tokener_error_desc(jerr));
                schema_free(s);
                return r;
        }
        r = compile(&c, s->root, &s->top);
        free(c.refs);
        if (r < 0) {
                schema_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int
schema_new(struct schema **ret, struct err *err)
{
        return schema_new_text(spec_schema_json, ret, err);
}

struct schema *
schema_free(struct schema *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->nall; i++)
                sch_release(s->all[i]);
        free(s->all);
        for (size_t i = 0; i < s->nrx; i++)
                rx_free(s->rx[i]);
        free(s->rx);
        json_object_put(s->root);
        free(s);
        return NULL;
}

int
schema_validate(const struct schema *s, const struct node *doc, struct err *err)
{
        struct verr best = VERR_INIT;
        int r;

        if (!s || !doc)
                return err_setf(err, -EINVAL, "validate compose file: no schema or no document");
        r = schema_check_doc(s->top, doc, &best);
        if (r == -E2BIG)
                return node_errf(err, best.at ? best.at : doc, r,
                                 "validate compose file: nested too deep");
        if (r < 0)
                return schema_report(doc, &best, err);
        return 0;
}
