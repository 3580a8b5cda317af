/* interp: compose variable interpolation, as the compose-spec "Interpolation" section
 * defines it, with compose-go's template package as the reference for the corner cases.
 *
 * compose-go finds references with one regular expression and then re-splits each match at
 * its matching brace. Here a small lexer (ref_lex) reads one reference at a time; the
 * expander and the variable extractor both use it. Behaviour kept from compose-go:
 *  - the operator is the first of ":-" "-" ":?" "?" ":+" "+" right after the name; its
 *    argument runs to the matching '}' (every '{' and '}' counts, so JSON defaults work) and,
 *    when the braces of the line do not balance, to the line's last '}' (the regex's greedy
 *    ".*}"). An expression never spans a newline.
 *  - an argument is interpolated only when it is used, so an unused ${UNSET} does not warn.
 *  - only a reference without an operator warns about an unset variable.
 *  - '$' followed by neither '$', a name nor '{' stays literal; a bad "${" is an error.
 */
#include "interp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"

/* the tree walks recurse once per level; YAML input is capped lower (YAML_MAX_DEPTH) */
#define TREE_MAX_DEPTH 512

enum ref_kind {
        REF_LITERAL, /* a lone '$' */
        REF_ESCAPE,  /* "$$" */
        REF_NAMED,   /* $NAME */
        REF_BRACED,  /* ${NAME} or ${NAME<op><arg>} */
        REF_INVALID, /* "${" that does not form an expression */
};

enum ref_op {
        OP_NONE,
        OP_DEFAULT_EMPTY,  /* :- */
        OP_DEFAULT,        /* -  */
        OP_REQUIRED_EMPTY, /* :? */
        OP_REQUIRED,       /* ?  */
        OP_ALT_NONEMPTY,   /* :+ */
        OP_ALT,            /* +  */
};

struct ref {
        enum ref_kind kind;
        enum ref_op op;
        const char *name;
        size_t name_len;
        const char *arg; /* operator argument, not NUL-terminated */
        size_t arg_len;
        size_t len; /* bytes consumed, from the '$' */
};

enum xerr {
        XERR_NONE,
        XERR_INVALID,
        XERR_REQUIRED,
        XERR_LIMIT
};

struct expander {
        const struct interp_opts *o;
        struct err *err;
        enum xerr kind; /* what failed, for interp_tree's wording */
        char *bad;      /* XERR_INVALID: the template (level) that failed, owned */
};

static bool
is_name_start(char c)
{
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_name_char(char c)
{
        return is_name_start(c) || (c >= '0' && c <= '9');
}

static size_t
name_span(const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0 || !is_name_start(s[0]))
                return 0;
        while (++i < n && is_name_char(s[i]))
                ;
        return i;
}

/* op_span: length of the operator at s (0 when there is none). */
static size_t
op_span(const char *s, size_t n, enum ref_op *op)
{
        size_t colon = n > 0 && s[0] == ':';

        if (colon >= n)
                return 0;
        switch (s[colon]) {
        case '-':
                *op = colon ? OP_DEFAULT_EMPTY : OP_DEFAULT;
                break;
        case '?':
                *op = colon ? OP_REQUIRED_EMPTY : OP_REQUIRED;
                break;
        case '+':
                *op = colon ? OP_ALT_NONEMPTY : OP_ALT;
                break;
        default:
                return 0;
        }
        return colon + 1;
}

/* arg_end: offset of the '}' that ends an argument starting at s, inside an already open
 * "${": the matching one, else the last '}' of the line; -1 when the line has none. */
static ssize_t
arg_end(const char *s, size_t n)
{
        size_t open = 1;
        ssize_t last = -1;

        for (size_t i = 0; i < n && s[i] != '\n'; i++) {
                if (s[i] == '{') {
                        open++;
                } else if (s[i] == '}') {
                        if (--open == 0)
                                return (ssize_t)i;
                        last = (ssize_t)i;
                }
        }
        return last;
}

/* ref_lex: read the reference starting at the '$' s[0]. */
static void
ref_lex(const char *s, size_t n, struct ref *r)
{
        size_t p, k;
        ssize_t end;

        memset(r, 0, sizeof(*r));
        r->kind = REF_LITERAL;
        r->len = 1;
        if (n < 2)
                return;
        if (s[1] == '$') {
                r->kind = REF_ESCAPE;
                r->len = 2;
                return;
        }
        r->name = s + 1;
        r->name_len = name_span(s + 1, n - 1);
        if (r->name_len) {
                r->kind = REF_NAMED;
                r->len = 1 + r->name_len;
                return;
        }
        if (s[1] != '{')
                return;
        r->kind = REF_INVALID;
        r->len = 2;
        r->name = s + 2;
        r->name_len = name_span(s + 2, n - 2);
        if (!r->name_len)
                return;
        p = 2 + r->name_len;
        if (p < n && s[p] == '}') {
                r->kind = REF_BRACED;
                r->len = p + 1;
                return;
        }
        k = op_span(s + p, n - p, &r->op);
        if (!k)
                return;
        p += k;
        end = arg_end(s + p, n - p);
        if (end < 0)
                return;
        r->kind = REF_BRACED;
        r->arg = s + p;
        r->arg_len = (size_t)end;
        r->len = p + (size_t)end + 1;
}

void
interp_quote(struct sbuf *sb, const char *s, size_t n)
{
        sbuf_addch(sb, '"');
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '"' || c == '\\')
                        sbuf_addf(sb, "\\%c", c);
                else if (c == '\n')
                        sbuf_adds(sb, "\\n");
                else if (c == '\t')
                        sbuf_adds(sb, "\\t");
                else if (c == '\r')
                        sbuf_adds(sb, "\\r");
                else if (c < 0x20 || c == 0x7f)
                        sbuf_addf(sb, "\\x%02x", c);
                else
                        sbuf_addch(sb, (char)c);
        }
        sbuf_addch(sb, '"');
}

static const char *
lookup(const struct expander *x, const char *name)
{
        if (!x->o || !x->o->lookup)
                return NULL;
        return x->o->lookup(x->o->ctx, name);
}

static int
emit(struct expander *x, struct sbuf *out, const char *s, size_t n)
{
        if (n > INTERP_MAX_OUTPUT - out->len) {
                x->kind = XERR_LIMIT;
                return err_setf(x->err, -E2BIG, "interpolation result larger than %d bytes",
                                INTERP_MAX_OUTPUT);
        }
        sbuf_add(out, s, n);
        return 0;
}

static int
invalid_template(struct expander *x, const char *s, size_t n)
{
        cleanup_sbuf struct sbuf q = SBUF_INIT;

        x->kind = XERR_INVALID;
        free(x->bad);
        x->bad = xstrndup(s, n);
        interp_quote(&q, s, n);
        return err_setf(x->err, -EINVAL, "Invalid template: %s", q.buf);
}

static int expand(struct expander *x, const char *s, size_t n, int depth, struct sbuf *out);

/* required_missing: the ${NAME:?message} failure; the message is itself interpolated. */
static int
required_missing(struct expander *x, const char *name, const struct ref *r, int depth)
{
        cleanup_sbuf struct sbuf msg = SBUF_INIT;
        int rc = expand(x, r->arg, r->arg_len, depth + 1, &msg);

        if (rc < 0)
                return rc;
        x->kind = XERR_REQUIRED;
        if (msg.len == 0)
                return err_setf(x->err, -EINVAL, "required variable %s is missing a value", name);
        return err_setf(x->err, -EINVAL, "required variable %s is missing a value: %s", name,
                        msg.buf);
}

static int
expand_var(struct expander *x, const struct ref *r, int depth, struct sbuf *out)
{
        cleanup_free char *name = xstrndup(r->name, r->name_len);
        const char *v = lookup(x, name);
        bool set = v != NULL, full = v && *v;
        bool use_arg = false;

        switch (r->op) {
        case OP_NONE:
                if (!set)
                        log_warn(x->o ? x->o->log : NULL,
                                 "The \"%s\" variable is not set. Defaulting to a blank string.",
                                 name);
                break;
        case OP_DEFAULT_EMPTY:
                use_arg = !full;
                break;
        case OP_DEFAULT:
                use_arg = !set;
                break;
        case OP_ALT_NONEMPTY:
                use_arg = full;
                break;
        case OP_ALT:
                use_arg = set;
                break;
        case OP_REQUIRED_EMPTY:
                if (!full)
                        return required_missing(x, name, r, depth);
                break;
        case OP_REQUIRED:
                if (!set)
                        return required_missing(x, name, r, depth);
                break;
        }
        if (use_arg)
                return expand(x, r->arg, r->arg_len, depth + 1, out);
        return set ? emit(x, out, v, strlen(v)) : 0;
}

static int
expand_ref(struct expander *x, const char *s, size_t n, const struct ref *r, int depth,
           struct sbuf *out)
{
        switch (r->kind) {
        case REF_LITERAL:
        case REF_ESCAPE:
                return emit(x, out, "$", 1);
        case REF_INVALID:
                return invalid_template(x, s, n);
        case REF_NAMED:
        case REF_BRACED:
                break;
        }
        return expand_var(x, r, depth, out);
}

/* expand: interpolate s[0..n) (one template level) onto out. */
static int
expand(struct expander *x, const char *s, size_t n, int depth, struct sbuf *out)
{
        size_t i = 0;

        if (depth > INTERP_MAX_DEPTH) {
                x->kind = XERR_LIMIT;
                return err_setf(x->err, -E2BIG, "interpolation nested deeper than %d levels",
                                INTERP_MAX_DEPTH);
        }
        while (i < n) {
                const char *d = memchr(s + i, '$', n - i);
                size_t lit = d ? (size_t)(d - (s + i)) : n - i;
                struct ref r;
                int rc = emit(x, out, s + i, lit);

                if (rc < 0)
                        return rc;
                i += lit;
                if (i >= n)
                        break;
                ref_lex(s + i, n - i, &r);
                rc = expand_ref(x, s, n, &r, depth, out);
                if (rc < 0)
                        return rc;
                i += r.len;
        }
        return 0;
}

int
interp_string(const char *in, const struct interp_opts *o, char **ret, struct err *err)
{
        struct expander x = { .o = o, .err = err };
        cleanup_sbuf struct sbuf out = SBUF_INIT;
        int r = expand(&x, in, strlen(in), 0, &out);

        free(x.bad);
        if (r < 0)
                return r;
        *ret = sbuf_detach(&out);
        return 0;
}

/* ---- tree walk ---- */

struct walker {
        const struct interp_opts *o;
        struct sbuf path; /* key path of the node being visited */
        struct err *err;
};

static const char *
path_or_root(const struct sbuf *path)
{
        return path->len ? path->buf : "the document";
}

static int
interp_node(struct walker *w, struct node *n)
{
        struct err local = { 0 };
        struct expander x = { .o = w->o, .err = &local };
        cleanup_sbuf struct sbuf out = SBUF_INIT;
        cleanup_sbuf struct sbuf q = SBUF_INIT;
        int r;

        if (!n->str || !strchr(n->str, '$'))
                return 0;
        r = expand(&x, n->str, strlen(n->str), 0, &out);
        if (r < 0 && x.kind == XERR_INVALID) {
                interp_quote(&q, x.bad, strlen(x.bad));
                free(x.bad);
                return node_errf(w->err, n, r,
                                 "invalid interpolation format for %s: %s: You may need to "
                                 "escape any $ with another $",
                                 path_or_root(&w->path), q.buf);
        }
        free(x.bad);
        if (r < 0)
                return node_errf(w->err, n, r, "error while interpolating %s: %s",
                                 path_or_root(&w->path), local.msg);
        node_set_str(n, out.buf);
        return 0;
}

static int
walk(struct walker *w, struct node *n, int depth)
{
        size_t mark = w->path.len;
        int r = 0;

        if (depth > TREE_MAX_DEPTH)
                return node_errf(w->err, n, -E2BIG, "interpolate %s: nested deeper than %d levels",
                                 path_or_root(&w->path), TREE_MAX_DEPTH);
        if (n->kind == NODE_STR)
                return interp_node(w, n);
        for (size_t i = 0; n->kind == NODE_SEQ && i < n->n && r == 0; i++) {
                sbuf_addf(&w->path, "[%zu]", i);
                r = walk(w, n->items[i], depth + 1);
                sbuf_truncate(&w->path, mark);
        }
        for (size_t i = 0; n->kind == NODE_MAP && i < n->n && r == 0; i++) {
                if (mark)
                        sbuf_addch(&w->path, '.');
                sbuf_adds(&w->path, n->entries[i].key);
                r = walk(w, n->entries[i].val, depth + 1);
                sbuf_truncate(&w->path, mark);
        }
        return r;
}

int
interp_tree(struct node *root, const struct interp_opts *o, struct err *err)
{
        struct walker w = { .o = o, .path = SBUF_INIT, .err = err };
        int r;

        if (!root)
                return 0;
        r = walk(&w, root, 0);
        sbuf_release(&w.path);
        return r;
}

/* ---- variable extraction ---- */

struct seen_var {
        struct interp_var v;
        size_t seq; /* order of appearance: the first default wins */
};

struct var_list {
        struct seen_var *items;
        size_t n, cap;
};

static void
var_add(struct var_list *l, const struct ref *r)
{
        struct seen_var *s;
        const char *arg = r->arg ? r->arg : "";
        bool is_default = r->op == OP_DEFAULT || r->op == OP_DEFAULT_EMPTY;
        bool is_alt = r->op == OP_ALT || r->op == OP_ALT_NONEMPTY;

        GROW(l->items, l->cap, l->n + 1);
        s = &l->items[l->n];
        s->seq = l->n++;
        s->v.name = xstrndup(r->name, r->name_len);
        s->v.default_value = xstrndup(arg, is_default ? r->arg_len : 0);
        s->v.presence_value = xstrndup(arg, is_alt ? r->arg_len : 0);
        s->v.required = r->op == OP_REQUIRED || r->op == OP_REQUIRED_EMPTY;
}

static void
extract(struct var_list *l, const char *s, size_t n, int depth)
{
        size_t i = 0;

        if (depth > INTERP_MAX_DEPTH)
                return;
        while (i < n) {
                const char *d = memchr(s + i, '$', n - i);
                struct ref r;

                if (!d)
                        return;
                i = (size_t)(d - s);
                ref_lex(s + i, n - i, &r);
                /* the rest of a malformed string is not worth a (quadratic) rescan:
                 * interpolation rejects it anyway */
                if (r.kind == REF_INVALID)
                        return;
                if (r.kind == REF_NAMED || r.kind == REF_BRACED)
                        var_add(l, &r);
                if (r.kind == REF_BRACED && r.arg_len)
                        extract(l, r.arg, r.arg_len, depth + 1);
                i += r.len;
        }
}

static int
extract_tree(struct var_list *l, const struct node *n, int depth, struct err *err)
{
        int r = 0;

        if (depth > TREE_MAX_DEPTH)
                return node_errf(err, n, -E2BIG, "list variables: nested deeper than %d levels",
                                 TREE_MAX_DEPTH);
        if (n->kind == NODE_STR && n->str)
                extract(l, n->str, strlen(n->str), 0);
        for (size_t i = 0; n->kind == NODE_SEQ && i < n->n && r == 0; i++)
                r = extract_tree(l, n->items[i], depth + 1, err);
        for (size_t i = 0; n->kind == NODE_MAP && i < n->n && r == 0; i++)
                r = extract_tree(l, n->entries[i].val, depth + 1, err);
        return r;
}

static int
seen_cmp(const void *a, const void *b)
{
        const struct seen_var *x = a, *y = b;
        int c = strcmp(x->v.name, y->v.name);

        if (c)
                return c;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
var_release(struct interp_var *v)
{
        free(v->name);
        free(v->default_value);
        free(v->presence_value);
}

/* combine: fold a later reference of the same variable into the first one. */
static void
combine(struct interp_var *into, struct interp_var *v)
{
        into->required = into->required || v->required;
        if (!*into->default_value) {
                free(into->default_value);
                into->default_value = TAKE_PTR(v->default_value);
        }
        if (!*into->presence_value) {
                free(into->presence_value);
                into->presence_value = TAKE_PTR(v->presence_value);
        }
        var_release(v);
}

int
interp_variables(const struct node *root, struct interp_var **ret, size_t *ret_n, struct err *err)
{
        struct var_list l = { 0 };
        struct interp_var *out;
        size_t k = 0;
        int r = root ? extract_tree(&l, root, 0, err) : 0;

        if (r < 0) {
                for (size_t i = 0; i < l.n; i++)
                        var_release(&l.items[i].v);
                free(l.items);
                return r;
        }
        if (l.n)
                qsort(l.items, l.n, sizeof(*l.items), seen_cmp);
        out = l.n ? xcalloc(l.n, sizeof(*out)) : NULL;
        for (size_t i = 0; i < l.n; i++) {
                if (k && strcmp(out[k - 1].name, l.items[i].v.name) == 0)
                        combine(&out[k - 1], &l.items[i].v);
                else
                        out[k++] = l.items[i].v;
        }
        free(l.items);
        *ret = out;
        *ret_n = k;
        return 0;
}

void
interp_vars_free(struct interp_var *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                var_release(&v[i]);
        free(v);
}
