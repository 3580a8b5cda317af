/* transform: the walker that gives a compose document compose-go's canonical shape.
 *
 * compose-go reaches `docker compose config` output in three steps: transform.Canonical
 * (short syntax -> long, on the map), mapstructure decoding into Go types (casts, units,
 * list-or-map attributes) and go-yaml marshalling (omitempty, struct field order, sorted
 * maps). Here one type description of the model (transform_model.c) drives all three in a
 * single walk: apply() runs the type's short-syntax hook, converts the node to the type,
 * then drops the zero values go-yaml would omit. Key order is spec/order.c's business.
 */
#include "transform.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "spec/transform_internal.h"

static int transform_verrf(struct walk *w, const struct node *n, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

static int
transform_verrf(struct walk *w, const struct node *n, const char *fmt, va_list ap)
{
        char msg[ERR_MSG_MAX];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (w->path.len)
                return node_errf(w->err, n, -EINVAL, "%s: %s", w->path.buf, msg);
        return node_errf(w->err, n, -EINVAL, "%s", msg);
}

int
transform_errf(struct walk *w, const struct node *n, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = transform_verrf(w, n, fmt, ap);
        va_end(ap);
        return r;
}

int
transform_item_errf(struct walk *w, size_t i, const struct node *n, const char *fmt, ...)
{
        size_t mark = transform_push_index(w, i);
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = transform_verrf(w, n, fmt, ap);
        va_end(ap);
        transform_pop(w, mark);
        return r;
}

size_t
transform_push(struct walk *w, const char *key)
{
        size_t old = w->path.len;

        if (old)
                sbuf_addch(&w->path, '.');
        sbuf_adds(&w->path, key);
        return old;
}

size_t
transform_push_index(struct walk *w, size_t i)
{
        size_t old = w->path.len;

        sbuf_addf(&w->path, "[%zu]", i);
        return old;
}

void
transform_pop(struct walk *w, size_t mark)
{
        sbuf_truncate(&w->path, mark);
}

static int apply(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero);

/* apply_seq: []elem. A null item of a pointer sequence stays null. */
static int
apply_seq(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        bool zero;
        int r;

        if (n->kind == NODE_NULL)
                node_replace(n, node_new(NODE_SEQ, &n->pos));
        if (n->kind != NODE_SEQ)
                return transform_errf(w, n, "must be a list, not a %s", node_kind_name(n->kind));
        for (size_t i = 0; i < n->n; i++) {
                struct node *it = n->items[i];
                size_t mark;

                if (it->kind == NODE_NULL && (t->flags & TT_PTR_ELEM))
                        continue;
                mark = transform_push_index(w, i);
                r = apply(w, t->elem, it, &zero);
                transform_pop(w, mark);
                if (r < 0)
                        return r;
        }
        *ret_zero = n->n == 0;
        return 0;
}

/* apply_map: map[string]elem. A null value of a pointer map stays null. */
static int
apply_map(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        bool zero;
        int r;

        if (n->kind == NODE_NULL)
                node_replace(n, node_new(NODE_MAP, &n->pos));
        if (n->kind != NODE_MAP)
                return transform_errf(w, n, "must be a mapping, not a %s", node_kind_name(n->kind));
        node_foreach_entry(e, n) {
                size_t mark;

                if (e->val->kind == NODE_NULL && (t->flags & TT_PTR_ELEM))
                        continue;
                mark = transform_push(w, e->key);
                r = apply(w, t->elem, e->val, &zero);
                transform_pop(w, mark);
                if (r < 0)
                        return r;
        }
        *ret_zero = n->n == 0;
        return 0;
}

static const struct tfield *
find_field(const struct ttype *t, const char *key)
{
        for (const struct tfield *f = t->fields; f->key; f++)
                if (f->key[0] == key[0] && strcmp(f->key, key) == 0)
                        return f;
        return NULL;
}

static const struct ttype any_type = { .kind = TK_ANY };

/* apply_field: one struct field; returns 1 when go-yaml would omit it. */
static int
apply_field(struct walk *w, const struct tfield *f, struct node *val)
{
        bool zero = false;
        int r;

        if (val->kind == NODE_NULL && !(f->flags & TF_ALWAYS))
                return 1; /* nil pointer or zero value */
        r = apply(w, f->type, val, &zero);
        if (r < 0)
                return r;
        return zero && !(f->flags & (TF_KEEP | TF_ALWAYS));
}

static int
apply_struct(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        int r;

        if (n->kind == NODE_NULL)
                node_replace(n, node_new(NODE_MAP, &n->pos));
        if (n->kind != NODE_MAP)
                return transform_errf(w, n, "must be a mapping, not a %s", node_kind_name(n->kind));
        for (size_t i = 0; i < n->n;) {
                struct node_entry *e = &n->entries[i];
                const struct tfield *f = find_field(t, e->key);
                struct tfield ext = { e->key, &any_type, TF_ALWAYS };
                size_t mark = transform_push(w, e->key);

                /* unknown keys are the schema's business; keep them as written */
                r = apply_field(w, f ? f : &ext, e->val);
                transform_pop(w, mark);
                if (r < 0)
                        return r;
                if (r == 1)
                        node_map_del(n, e->key);
                else
                        i++;
        }
        *ret_zero = n->n == 0;
        return 0;
}

static int apply_strict(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero);

/* apply: one value; in lenient mode a value that does not parse is kept as written, as
 * compose-go's Canonical(dict, ignoreParseError) does when interpolation was skipped. */
static int
apply(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        struct node *backup;
        int r;

        if (!w->lenient)
                return apply_strict(w, t, n, ret_zero);
        backup = node_clone(n);
        r = apply_strict(w, t, n, ret_zero);
        if (r < 0) {
                node_replace(n, backup);
                err_clear(w->err);
                *ret_zero = false;
                return 0;
        }
        node_free(backup);
        return r;
}

static int
apply_strict(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        int r;

        *ret_zero = false;
        if (t->pre) {
                r = t->pre(w, n);
                if (r < 0)
                        return r;
        }
        switch (t->kind) {
        case TK_ANY:
                transform_normalize_any(n);
                return 0;
        case TK_SEQ:
                return apply_seq(w, t, n, ret_zero);
        case TK_MAP:
                return apply_map(w, t, n, ret_zero);
        case TK_STRUCT:
                return apply_struct(w, t, n, ret_zero);
        case TK_STRLIST:
        case TK_COMMAND:
        case TK_HCTEST:
        case TK_MAPPING:
        case TK_MAPPING_EQ:
        case TK_LABELS:
        case TK_OPTIONS:
        case TK_MULTIOPTIONS:
        case TK_HOSTS:
        case TK_ULIMIT:
                return transform_conv_collection(w, t, n, ret_zero);
        default:
                return transform_conv_scalar(w, t, n, ret_zero);
        }
}

int
transform_canonical(struct node *project, struct err *err)
{
        return transform_canonical_opts(project, 0, err);
}

int
transform_canonical_opts(struct node *project, unsigned flags, struct err *err)
{
        struct walk w = { .path = SBUF_INIT, .err = err, .lenient = flags & TRANSFORM_LENIENT };
        bool zero;
        int r;

        if (!project || project->kind != NODE_MAP)
                return node_errf(err, project, -EINVAL, "top-level object must be a mapping");
        r = apply(&w, &transform_project_type, project, &zero);
        sbuf_release(&w.path);
        return r;
}
