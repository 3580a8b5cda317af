/* schema_check: walks a YAML node tree against a compiled JSON schema (draft-07).
 *
 * The semantics follow santhosh-tekuri/jsonschema, which compose-go uses: a failed `type`,
 * `const`, `enum` or `format` stops the checks of that subschema; a `$ref` replaces its
 * siblings (draft-07); every other keyword is checked and every violation counts. Of the
 * violations, the one reported is the most specific as compose-go picks it: the deepest
 * value (an additional property counts one deeper), the first one on a tie. So instead
 * of building an error tree, the walk keeps one running "best" violation; violations in
 * the branches of anyOf/oneOf are kept aside and count only when the combinator fails.
 * One deliberate difference: between branches that fail equally deep, one whose type
 * matched wins over a plain type mismatch (compose-go takes the first branch).
 *
 * YAML values are seen through JSON's eyes: an integral float is an integer, 1 equals 1.0,
 * and values tagged !reset are absent (compose-go removes them before validating).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "schema_impl.h"

/* Recursion of the walk (values, $refs and combinator branches together). The compose-spec
 * schema needs about 40; the cap stops a self-referencing schema from looping. */
#define CHECK_MAX_DEPTH 512

struct walk {
        int depth;
        bool quiet; /* only the verdict matters: stop at the first violation */
        bool too_deep;
        const struct node *deep_at;
};

static bool check(struct walk *w, const struct sch *s, const struct node *n, int lvl,
                  struct verr *best);

static bool
fail(struct verr *best, enum verr_kind kind, const struct sch *s, const struct node *n, int spec)
{
        if (spec > best->spec)
                *best = (struct verr){ .spec = spec, .kind = kind, .sch = s, .at = n };
        return false;
}

static void
merge(struct verr *dst, const struct verr *src)
{
        if (src->spec > dst->spec)
                *dst = *src;
}

bool
schema_node_is_reset(const struct node *n)
{
        return n && (n->flags & NODE_F_RESET);
}

size_t
schema_live_count(const struct node *n)
{
        size_t live = 0;

        for (size_t i = 0; i < n->n; i++)
                live += !schema_node_is_reset(n->kind == NODE_SEQ ? n->items[i]
                                                                  : n->entries[i].val);
        return live;
}

const struct node *
schema_live_get(const struct node *map, const char *key)
{
        const struct node *v = node_map_get(map, key);

        return schema_node_is_reset(v) ? NULL : v;
}

/* ---- numbers ---- */

/* node_number: the value of a NODE_INT or NODE_FLOAT as go-yaml reads it. */
static bool
node_number(const struct node *n, long double *ret)
{
        const char *t = n->str;
        char *end = NULL;
        int sign = 1;

        if (n->kind != NODE_INT && n->kind != NODE_FLOAT)
                return false;
        if (*t == '-' || *t == '+')
                sign = *t++ == '-' ? -1 : 1;
        if (strcasecmp(t, ".inf") == 0) {
                *ret = sign * (long double)INFINITY;
                return true;
        }
        if (strcasecmp(t, ".nan") == 0) {
                *ret = NAN;
                return true;
        }
        errno = 0;
        if (n->kind == NODE_INT && (strncmp(t, "0o", 2) == 0 || strncmp(t, "0b", 2) == 0)) {
                unsigned long long v = strtoull(t + 2, &end, t[1] == 'o' ? 8 : 2);
                *ret = sign * (long double)v;
        } else if (n->kind == NODE_INT) {
                unsigned long long v = strtoull(t, &end, 0);
                *ret = sign * (long double)v;
        }
        if (n->kind == NODE_FLOAT || errno || !end || *end)
                *ret = sign * strtold(t, &end);
        return true;
}

static bool
is_integral(const struct node *n)
{
        long double v;

        return node_number(n, &v) && isfinite(v) && v == floorl(v);
}

static unsigned
node_types(const struct node *n)
{
        switch (n->kind) {
        case NODE_NULL:
                return ST_NULL;
        case NODE_BOOL:
                return ST_BOOLEAN;
        case NODE_STR:
                return ST_STRING;
        case NODE_INT:
                return ST_INTEGER | ST_NUMBER;
        case NODE_FLOAT:
                return is_integral(n) ? ST_INTEGER | ST_NUMBER : ST_NUMBER;
        case NODE_SEQ:
                return ST_ARRAY;
        case NODE_MAP:
                return ST_OBJECT;
        }
        return 0;
}

static bool
node_boolean(const struct node *n)
{
        bool b = false;

        (void)node_get_bool(n, &b, NULL);
        return b;
}

/* ---- JSON equality ---- */

bool
schema_json_equal(const struct node *n, json_object *j)
{
        long double v;
        size_t i = 0;

        switch (json_object_get_type(j)) {
        case json_type_null:
                return n->kind == NODE_NULL;
        case json_type_boolean:
                return n->kind == NODE_BOOL && node_boolean(n) == json_object_get_boolean(j);
        case json_type_int:
                return node_number(n, &v) && v == (long double)json_object_get_int64(j);
        case json_type_double:
                return node_number(n, &v) && v == (long double)json_object_get_double(j);
        case json_type_string:
                return n->kind == NODE_STR && strcmp(n->str, json_object_get_string(j)) == 0;
        case json_type_array:
                if (n->kind != NODE_SEQ || schema_live_count(n) != json_object_array_length(j))
                        return false;
                node_foreach_item(it, n) {
                        if (!schema_node_is_reset(it) &&
                            !schema_json_equal(it, json_object_array_get_idx(j, i++)))
                                return false;
                }
                return true;
        case json_type_object:
                if (n->kind != NODE_MAP ||
                    schema_live_count(n) != (size_t)json_object_object_length(j))
                        return false;
                json_object_object_foreach(j, key, val)
                {
                        const struct node *m = schema_live_get(n, key);
                        if (!m || !schema_json_equal(m, val))
                                return false;
                }
                return true;
        }
        return false;
}

/* json_class: nodes that JSON could find equal share a class. */
static int
json_class(const struct node *n)
{
        return n->kind == NODE_FLOAT ? NODE_INT : (int)n->kind;
}

static bool
nodes_equal(const struct node *a, const struct node *b)
{
        long double x, y;
        size_t i = 0, j = 0;

        if (json_class(a) != json_class(b))
                return false;
        switch (a->kind) {
        case NODE_NULL:
                return true;
        case NODE_BOOL:
                return node_boolean(a) == node_boolean(b);
        case NODE_INT:
        case NODE_FLOAT:
                return node_number(a, &x) && node_number(b, &y) && x == y;
        case NODE_STR:
                return strcmp(a->str, b->str) == 0;
        case NODE_SEQ:
                for (;; i++, j++) {
                        while (i < a->n && schema_node_is_reset(a->items[i]))
                                i++;
                        while (j < b->n && schema_node_is_reset(b->items[j]))
                                j++;
                        if (i == a->n || j == b->n)
                                return i == a->n && j == b->n;
                        if (!nodes_equal(a->items[i], b->items[j]))
                                return false;
                }
        case NODE_MAP:
                if (schema_live_count(a) != schema_live_count(b))
                        return false;
                node_foreach_entry(e, a) {
                        const struct node *o = schema_live_get(b, e->key);
                        if (!schema_node_is_reset(e->val) && (!o || !nodes_equal(e->val, o)))
                                return false;
                }
                return true;
        }
        return false;
}

static uint64_t
hash_mix(uint64_t h, uint64_t v)
{
        h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        return h;
}

static uint64_t
hash_text(const char *s)
{
        uint64_t h = 1469598103934665603ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

/* node_hash: equal nodes (nodes_equal) hash alike; map order does not matter. */
static uint64_t
node_hash(const struct node *n)
{
        uint64_t h = (uint64_t)json_class(n) * 0x100000001b3ULL;
        long double v;
        uint64_t bits;
        double d;

        switch (n->kind) {
        case NODE_NULL:
                return h;
        case NODE_BOOL:
                return hash_mix(h, node_boolean(n));
        case NODE_STR:
                return hash_mix(h, hash_text(n->str));
        case NODE_INT:
        case NODE_FLOAT:
                /* equal numbers are equal doubles; -0 == 0 must hash alike */
                d = node_number(n, &v) ? (double)v : 0;
                d = d == 0 ? 0 : d;
                memcpy(&bits, &d, sizeof(bits));
                return hash_mix(h, bits);
        case NODE_SEQ:
                node_foreach_item(it, n) {
                        if (!schema_node_is_reset(it))
                                h = hash_mix(h, node_hash(it));
                }
                return h;
        case NODE_MAP:
                node_foreach_entry(e, n) {
                        if (!schema_node_is_reset(e->val))
                                h += hash_mix(hash_text(e->key), node_hash(e->val));
                }
                return h;
        }
        return h;
}

struct hashed {
        uint64_t h;
        size_t idx; /* among the live items */
        const struct node *n;
};

static int
hashed_cmp(const void *pa, const void *pb)
{
        const struct hashed *a = pa, *b = pb;

        if (a->h != b->h)
                return a->h < b->h ? -1 : 1;
        return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* group_dup: within one run of equal hashes (sorted by index), the equal pair with the
 * smallest (j, i); the first one found is it, so a long run of copies costs one compare. */
static void
group_dup(const struct hashed *g, size_t len, size_t *bi, size_t *bj)
{
        for (size_t b = 1; b < len && g[b].idx < *bj; b++)
                for (size_t a = 0; a < b; a++)
                        if (nodes_equal(g[a].n, g[b].n)) {
                                *bi = g[a].idx;
                                *bj = g[b].idx;
                                return;
                        }
}

/* schema_find_dup: sorting by hash keeps this O(n log n) on the lists a user controls. */
bool
schema_find_dup(const struct node *seq, size_t *ret_i, size_t *ret_j)
{
        cleanup_free struct hashed *v = xcalloc(seq->n + 1, sizeof(*v));
        size_t len = 0, bi = SIZE_MAX, bj = SIZE_MAX;

        node_foreach_item(it, seq) {
                if (!schema_node_is_reset(it)) {
                        v[len] = (struct hashed){ node_hash(it), len, it };
                        len++;
                }
        }
        qsort(v, len, sizeof(*v), hashed_cmp);
        for (size_t a = 0, b; a < len; a = b) {
                for (b = a + 1; b < len && v[b].h == v[a].h; b++)
                        ;
                if (b - a > 1)
                        group_dup(v + a, b - a, &bi, &bj);
        }
        if (bj == SIZE_MAX)
                return false;
        *ret_i = bi;
        *ret_j = bj;
        return true;
}

/* ---- patterns and formats ---- */

bool
schema_rx_match(const struct sch_rx *rx, const char *s)
{
        switch (rx->kind) {
        case RX_PREFIX:
                return strncmp(s, rx->lit, strlen(rx->lit)) == 0;
        case RX_NONEMPTY:
                return s[strspn(s, "\n")] != '\0';
        case RX_ONE_LINE:
                return *s && !strchr(s, '\n');
        case RX_REGEX:
                return regexec(&rx->re, s, 0, NULL, 0) == 0;
        }
        return false;
}

/* go_duration: Go's time.ParseDuration grammar, which compose-go registers as "duration":
 * [-+] then one or more <decimal><unit>, or a bare "0". */
static bool
go_duration(const char *s)
{
        static const char *const units[] = { "ns", "us", "\xc2\xb5s", "\xce\xbcs",
                                             "ms", "s",  "m",         "h" };

        s += (*s == '-' || *s == '+');
        if (strcmp(s, "0") == 0)
                return true;
        if (!*s)
                return false;
        while (*s) {
                size_t digits = strspn(s, "0123456789"), frac = 0, ulen, u;
                s += digits;
                if (*s == '.')
                        frac = strspn(++s, "0123456789");
                s += frac;
                ulen = strcspn(s, ".0123456789");
                for (u = 0; u < ARRAY_SIZE(units); u++)
                        if (strlen(units[u]) == ulen && strncmp(s, units[u], ulen) == 0)
                                break;
                if (digits + frac == 0 || u == ARRAY_SIZE(units))
                        return false;
                s += ulen;
        }
        return true;
}

bool
schema_format_ok(const char *format, const struct node *n)
{
        if (n->kind != NODE_STR)
                return true;
        if (strcmp(format, "duration") == 0)
                return go_duration(n->str);
        return true; /* unknown formats are annotations */
}

/* ---- keywords ---- */

static int
prop_key_cmp(const void *key, const void *p)
{
        return strcmp(key, ((const struct sch_prop *)p)->name);
}

const struct sch *
schema_prop_find(const struct sch *s, const char *name)
{
        const struct sch_prop *p;

        if (!s->nprops)
                return NULL;
        p = bsearch(name, s->props, s->nprops, sizeof(*s->props), prop_key_cmp);
        return p ? p->sch : NULL;
}

bool
schema_is_additional(const struct sch *s, const char *key)
{
        if (schema_prop_find(s, key))
                return false;
        for (size_t i = 0; i < s->npatterns; i++)
                if (schema_rx_match(s->patterns[i].rx, key))
                        return false;
        return true;
}

static bool
check_value(const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        bool found = false;

        if (s->types && !(s->types & node_types(n)))
                return fail(best, VK_TYPE, s, n, lvl);
        if (s->has_const && !schema_json_equal(n, s->const_val))
                return fail(best, VK_CONST, s, n, lvl);
        if (s->enum_vals) {
                for (size_t i = 0; !found && i < json_object_array_length(s->enum_vals); i++)
                        found = schema_json_equal(n, json_object_array_get_idx(s->enum_vals, i));
                if (!found)
                        return fail(best, VK_ENUM, s, n, lvl);
        }
        if (s->format && !schema_format_ok(s->format, n))
                return fail(best, VK_FORMAT, s, n, lvl);
        return true;
}

static bool
check_required(const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        bool ok = true;
        size_t live;

        for (size_t i = 0; ok && i < s->nrequired; i++)
                if (!schema_live_get(n, s->required[i]))
                        ok = fail(best, VK_REQUIRED, s, n, lvl);
        if (s->min_props >= 0 || s->max_props >= 0) {
                live = schema_live_count(n);
                if (s->min_props >= 0 && live < (size_t)s->min_props)
                        ok = fail(best, VK_MIN_PROPS, s, n, lvl);
                if (s->max_props >= 0 && live > (size_t)s->max_props)
                        ok = fail(best, VK_MAX_PROPS, s, n, lvl);
        }
        return ok;
}

static bool
check_deps(struct walk *w, const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        bool ok = true;

        for (size_t i = 0; i < s->ndeps && (ok || !w->quiet); i++) {
                const struct sch_dep *d = &s->deps[i];
                if (!schema_live_get(n, d->name))
                        continue;
                if (d->sch) {
                        ok = check(w, d->sch, n, lvl, best) && ok;
                        continue;
                }
                for (size_t k = 0; k < d->nreq; k++)
                        if (!schema_live_get(n, d->req[k])) {
                                ok = fail(best, VK_DEPENDENCY, s, n, lvl);
                                break;
                        }
        }
        return ok;
}

/* check_entry: the schemas that apply to one property; *ret_additional when none does and
 * additionalProperties is false. */
static bool
check_entry(struct walk *w, const struct sch *s, const struct node_entry *e, int lvl,
            struct verr *best, bool *ret_additional)
{
        const struct sch *p = schema_prop_find(s, e->key);
        bool ok = true, matched = p != NULL;

        if (p)
                ok = check(w, p, e->val, lvl + 1, best);
        for (size_t i = 0; i < s->npatterns && (ok || !w->quiet); i++)
                if (schema_rx_match(s->patterns[i].rx, e->key)) {
                        matched = true;
                        ok = check(w, s->patterns[i].sch, e->val, lvl + 1, best) && ok;
                }
        if (matched)
                return ok;
        if (s->addl_false)
                *ret_additional = true;
        else if (s->addl)
                ok = check(w, s->addl, e->val, lvl + 1, best) && ok;
        return ok;
}

static bool
check_object(struct walk *w, const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        bool ok = check_required(s, n, lvl, best), additional = false;

        if (!ok && w->quiet)
                return false;
        ok = check_deps(w, s, n, lvl, best) && ok;
        if (!s->nprops && !s->npatterns && !s->addl && !s->addl_false)
                return ok;
        node_foreach_entry(e, n) {
                if (!ok && w->quiet)
                        return false;
                if (!schema_node_is_reset(e->val))
                        ok = check_entry(w, s, e, lvl, best, &additional) && ok;
        }
        if (additional)
                ok = fail(best, VK_ADDL_PROPS, s, n, lvl + 1);
        return ok;
}

static const struct sch *
item_schema(const struct sch *s, size_t i)
{
        if (s->items)
                return s->items;
        if (i < s->tuple.n)
                return s->tuple.v[i];
        return s->tuple.n ? s->addl_items : NULL;
}

static bool
check_array(struct walk *w, const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        size_t live = schema_live_count(n), i = 0, di, dj;
        bool ok = true;

        if (s->min_items >= 0 && live < (size_t)s->min_items)
                ok = fail(best, VK_MIN_ITEMS, s, n, lvl);
        if (s->max_items >= 0 && live > (size_t)s->max_items)
                ok = fail(best, VK_MAX_ITEMS, s, n, lvl);
        if (s->unique && live > 1 && schema_find_dup(n, &di, &dj))
                ok = fail(best, VK_UNIQUE, s, n, lvl);
        node_foreach_item(it, n) {
                const struct sch *is;
                if (!ok && w->quiet)
                        return false;
                if (schema_node_is_reset(it))
                        continue;
                is = item_schema(s, i++);
                if (is)
                        ok = check(w, is, it, lvl + 1, best) && ok;
        }
        if (!s->items && s->tuple.n && s->addl_items_false && live > s->tuple.n)
                ok = fail(best, VK_ADDL_ITEMS, s, n, lvl);
        return ok;
}

/* schema_utf8_length: code points, as Go's utf8.RuneCount counts them. */
size_t
schema_utf8_length(const char *s)
{
        size_t len = 0;

        for (; *s; s++)
                len += ((unsigned char)*s & 0xc0) != 0x80;
        return len;
}

static bool
check_string(const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        bool ok = true;
        size_t len;

        if (s->min_len >= 0 || s->max_len >= 0) {
                len = schema_utf8_length(n->str);
                if (s->min_len >= 0 && len < (size_t)s->min_len)
                        ok = fail(best, VK_MIN_LEN, s, n, lvl);
                if (s->max_len >= 0 && len > (size_t)s->max_len)
                        ok = fail(best, VK_MAX_LEN, s, n, lvl);
        }
        if (s->pattern && !schema_rx_match(s->pattern, n->str))
                ok = fail(best, VK_PATTERN, s, n, lvl);
        return ok;
}

static bool
check_number(const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        long double v;
        bool ok = true;

        if (!node_number(n, &v))
                return true;
        if (s->minimum.set && v < s->minimum.v)
                ok = fail(best, VK_MINIMUM, s, n, lvl);
        if (s->maximum.set && v > s->maximum.v)
                ok = fail(best, VK_MAXIMUM, s, n, lvl);
        if (s->ex_minimum.set && v <= s->ex_minimum.v)
                ok = fail(best, VK_EX_MINIMUM, s, n, lvl);
        if (s->ex_maximum.set && v >= s->ex_maximum.v)
                ok = fail(best, VK_EX_MAXIMUM, s, n, lvl);
        return ok;
}

/* ---- combinators ---- */

static bool
check_quiet(struct walk *w, const struct sch *s, const struct node *n, int lvl)
{
        struct verr ignored = VERR_INIT;
        bool was = w->quiet, ok;

        w->quiet = true;
        ok = check(w, s, n, lvl, &ignored);
        w->quiet = was;
        return ok;
}

/* merge_branch: fold one failed branch into the combinator's report. On a tie, a branch
 * whose type matched (so failed on something deeper in meaning) beats one whose type did
 * not: "must be less than or equal to 100" says more than "must be a string". */
static void
merge_branch(struct verr *acc, const struct verr *b, const struct node *n)
{
        bool acc_type = acc->kind == VK_TYPE && acc->at == n;
        bool b_type = b->kind == VK_TYPE && b->at == n;

        if (b->spec > acc->spec || (b->spec == acc->spec && acc_type && !b_type))
                *acc = *b;
}

static bool
check_any_of(struct walk *w, const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        struct verr branches = VERR_INIT;

        for (size_t i = 0; i < s->any_of.n; i++) {
                struct verr b = VERR_INIT;
                if (check(w, s->any_of.v[i], n, lvl, &b))
                        return true;
                merge_branch(&branches, &b, n);
        }
        merge(best, &branches);
        return false;
}

static bool
check_one_of(struct walk *w, const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        struct verr branches = VERR_INIT;
        bool matched = false;

        for (size_t i = 0; i < s->one_of.n; i++) {
                struct verr b = VERR_INIT;
                if (matched && check_quiet(w, s->one_of.v[i], n, lvl))
                        return fail(best, VK_ONE_OF_MANY, s, n, lvl);
                if (matched)
                        continue;
                matched = check(w, s->one_of.v[i], n, lvl, &b);
                merge_branch(&branches, &b, n);
        }
        if (!matched)
                merge(best, &branches);
        return matched;
}

static bool
check_combinators(struct walk *w, const struct sch *s, const struct node *n, int lvl,
                  struct verr *best)
{
        bool ok = true;

        if (s->not_ && check_quiet(w, s->not_, n, lvl))
                ok = fail(best, VK_NOT, s, n, lvl);
        for (size_t i = 0; i < s->all_of.n && (ok || !w->quiet); i++)
                ok = check(w, s->all_of.v[i], n, lvl, best) && ok;
        if (s->any_of.n && (ok || !w->quiet))
                ok = check_any_of(w, s, n, lvl, best) && ok;
        if (s->one_of.n && (ok || !w->quiet))
                ok = check_one_of(w, s, n, lvl, best) && ok;
        if (s->if_ && (ok || !w->quiet)) {
                const struct sch *next = check_quiet(w, s->if_, n, lvl) ? s->then_ : s->else_;
                if (next)
                        ok = check(w, next, n, lvl, best) && ok;
        }
        return ok;
}

static bool
check_kind(struct walk *w, const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        switch (n->kind) {
        case NODE_MAP:
                return check_object(w, s, n, lvl, best);
        case NODE_SEQ:
                return check_array(w, s, n, lvl, best);
        case NODE_STR:
                return check_string(s, n, lvl, best);
        case NODE_INT:
        case NODE_FLOAT:
                return check_number(s, n, lvl, best);
        case NODE_NULL:
        case NODE_BOOL:
                return true;
        }
        return true;
}

static bool
check(struct walk *w, const struct sch *s, const struct node *n, int lvl, struct verr *best)
{
        bool ok;

        if (s->boolean >= 0)
                return s->boolean ? true : fail(best, VK_FALSE, s, n, lvl);
        if (w->depth >= CHECK_MAX_DEPTH) {
                if (!w->too_deep)
                        w->deep_at = n;
                w->too_deep = true;
                return false;
        }
        if (!check_value(s, n, lvl, best))
                return false;
        w->depth++;
        if (s->ref) {
                ok = check(w, s->ref, n, lvl, best);
        } else {
                ok = check_kind(w, s, n, lvl, best);
                if (ok || !w->quiet)
                        ok = check_combinators(w, s, n, lvl, best) && ok;
        }
        w->depth--;
        return ok;
}

bool
schema_node_matches(const struct sch *s, const struct node *n)
{
        struct walk w = { 0 };

        return check_quiet(&w, s, n, 0) && !w.too_deep;
}

int
schema_check_doc(const struct sch *top, const struct node *doc, struct verr *best)
{
        struct walk w = { 0 };
        bool ok = check(&w, top, doc, 0, best);

        if (w.too_deep) {
                best->at = w.deep_at;
                return -E2BIG;
        }
        return ok ? 0 : -EINVAL;
}
