#include "node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/types.h>

#include "base/alloc.h"
#include "base/sbuf.h"

struct node *
node_new(enum node_kind kind, const struct node_pos *pos)
{
        struct node *n = xcalloc(1, sizeof(*n));

        n->kind = kind;
        if (pos)
                n->pos = *pos;
        if (kind == NODE_NULL)
                n->str = xstrdup("null");
        return n;
}

struct node *
node_new_strn(const char *s, size_t len, const struct node_pos *pos)
{
        struct node *n = node_new(NODE_STR, pos);

        n->str = xstrndup(s, len);
        return n;
}

struct node *
node_new_str(const char *s, const struct node_pos *pos)
{
        return node_new_strn(s, strlen(s), pos);
}

struct node *
node_new_scalar(enum node_kind kind, const char *text, const struct node_pos *pos)
{
        struct node *n = node_new(kind, pos);

        free(n->str);
        n->str = xstrdup(text);
        return n;
}

struct node *
node_new_bool(bool b, const struct node_pos *pos)
{
        return node_new_scalar(NODE_BOOL, b ? "true" : "false", pos);
}

struct node *
node_new_int(long long v, const struct node_pos *pos)
{
        struct node *n = node_new(NODE_INT, pos);

        n->str = xasprintf("%lld", v);
        return n;
}

static void
node_clear(struct node *n)
{
        if (n->kind == NODE_SEQ) {
                for (size_t i = 0; i < n->n; i++)
                        node_free(n->items[i]);
                free(n->items);
        } else if (n->kind == NODE_MAP) {
                for (size_t i = 0; i < n->n; i++) {
                        free(n->entries[i].key);
                        node_free(n->entries[i].val);
                }
                free(n->entries);
        }
        free(n->str);
        n->str = NULL;
        n->items = NULL;
        n->n = n->cap = 0;
}

struct node *
node_free(struct node *n)
{
        if (!n)
                return NULL;
        node_clear(n);
        free(n);
        return NULL;
}

struct node *
node_clone(const struct node *n)
{
        struct node *c;

        if (!n)
                return NULL;
        c = node_new(n->kind, &n->pos);
        c->flags = n->flags;
        if (node_is_scalar(n)) {
                free(c->str);
                c->str = xstrdup(n->str);
        } else if (n->kind == NODE_SEQ) {
                for (size_t i = 0; i < n->n; i++)
                        node_seq_push(c, node_clone(n->items[i]));
        } else {
                /* keys of a map are unique already: append without looking them up */
                c->entries = xreallocarray(NULL, n->n ? n->n : 1, sizeof(*c->entries));
                c->cap = n->n ? n->n : 1;
                for (size_t i = 0; i < n->n; i++) {
                        c->entries[i].key = xstrdup(n->entries[i].key);
                        c->entries[i].pos = n->entries[i].pos;
                        c->entries[i].val = node_clone(n->entries[i].val);
                }
                c->n = n->n;
        }
        return c;
}

void
node_set_str(struct node *n, const char *s)
{
        char *copy = xstrdup(s);

        node_clear(n);
        n->kind = NODE_STR;
        n->str = copy;
}

void
node_replace(struct node *dst, struct node *src)
{
        struct node_pos pos = dst->pos;

        node_clear(dst);
        *dst = *src;
        if (!dst->pos.line)
                dst->pos = pos;
        free(src);
}

const char *
node_text(const struct node *n)
{
        if (!n || !node_is_scalar(n) || n->kind == NODE_NULL)
                return NULL;
        return n->str;
}

const char *
node_kind_name(enum node_kind kind)
{
        static const char *const names[] = {
                [NODE_NULL] = "null",    [NODE_STR] = "string",   [NODE_INT] = "number",
                [NODE_FLOAT] = "number", [NODE_BOOL] = "boolean", [NODE_SEQ] = "array",
                [NODE_MAP] = "mapping",
        };
        return names[kind];
}

bool
node_equal(const struct node *a, const struct node *b)
{
        if (!a || !b)
                return a == b;
        if (a->kind != b->kind || a->n != b->n)
                return false;
        if (node_is_scalar(a))
                return strcmp(a->str, b->str) == 0;
        for (size_t i = 0; i < a->n; i++) {
                if (a->kind == NODE_SEQ) {
                        if (!node_equal(a->items[i], b->items[i]))
                                return false;
                        continue;
                }
                if (!node_equal(a->entries[i].val, node_map_get(b, a->entries[i].key)))
                        return false;
        }
        return true;
}

ssize_t
node_map_index(const struct node *map, const char *key)
{
        if (!map || map->kind != NODE_MAP)
                return -1;
        /* the first byte rules out most keys without a call: maps are searched a lot */
        for (size_t i = 0; i < map->n; i++)
                if (map->entries[i].key[0] == key[0] && strcmp(map->entries[i].key, key) == 0)
                        return (ssize_t)i;
        return -1;
}

struct node_entry *
node_map_entry(const struct node *map, const char *key)
{
        ssize_t i = node_map_index(map, key);

        return i < 0 ? NULL : &map->entries[i];
}

struct node *
node_map_get(const struct node *map, const char *key)
{
        struct node_entry *e = node_map_entry(map, key);

        return e ? e->val : NULL;
}

const char *
node_map_str(const struct node *map, const char *key)
{
        return node_text(node_map_get(map, key));
}

void
node_map_set_at(struct node *map, const char *key, const struct node_pos *kpos, struct node *val)
{
        struct node_entry *e = node_map_entry(map, key);

        if (e) {
                node_free(e->val);
                e->val = val;
                return;
        }
        GROW(map->entries, map->cap, map->n + 1);
        e = &map->entries[map->n++];
        e->key = xstrdup(key);
        e->pos = kpos ? *kpos : (val ? val->pos : (struct node_pos){ 0 });
        e->val = val;
}

void
node_map_set(struct node *map, const char *key, struct node *val)
{
        node_map_set_at(map, key, NULL, val);
}

struct node *
node_map_take(struct node *map, const char *key)
{
        ssize_t i = node_map_index(map, key);
        struct node *v;

        if (i < 0)
                return NULL;
        v = map->entries[i].val;
        free(map->entries[i].key);
        memmove(&map->entries[i], &map->entries[i + 1],
                (map->n - (size_t)i - 1) * sizeof(map->entries[0]));
        map->n--;
        return v;
}

void
node_map_del(struct node *map, const char *key)
{
        node_free(node_map_take(map, key));
}

static int
cmp_entry(const void *a, const void *b)
{
        return strcmp(((const struct node_entry *)a)->key, ((const struct node_entry *)b)->key);
}

void
node_map_sort(struct node *map)
{
        if (map && map->kind == NODE_MAP && map->n > 1)
                qsort(map->entries, map->n, sizeof(map->entries[0]), cmp_entry);
}

void
node_seq_insert(struct node *seq, size_t at, struct node *item)
{
        GROW(seq->items, seq->cap, seq->n + 1);
        if (at > seq->n)
                at = seq->n;
        memmove(&seq->items[at + 1], &seq->items[at], (seq->n - at) * sizeof(seq->items[0]));
        seq->items[at] = item;
        seq->n++;
}

void
node_seq_push(struct node *seq, struct node *item)
{
        node_seq_insert(seq, seq->n, item);
}

struct node *
node_seq_take(struct node *seq, size_t at)
{
        struct node *it;

        if (at >= seq->n)
                return NULL;
        it = seq->items[at];
        memmove(&seq->items[at], &seq->items[at + 1], (seq->n - at - 1) * sizeof(seq->items[0]));
        seq->n--;
        return it;
}

int
node_get_bool(const struct node *n, bool *ret, struct err *err)
{
        static const char *const yes[] = { "true", "True", "TRUE", "yes", "y", "on", NULL };
        static const char *const no[] = { "false", "False", "FALSE", "no", "n", "off", NULL };
        const char *t = node_text(n);

        for (size_t i = 0; t && (n->kind == NODE_STR || n->kind == NODE_BOOL) && yes[i]; i++) {
                if (strcasecmp(t, yes[i]) == 0 || strcasecmp(t, no[i]) == 0) {
                        *ret = strcasecmp(t, yes[i]) == 0;
                        return 0;
                }
        }
        return node_errf(err, n, -EINVAL, "'%s' is not a boolean", n ? n->str : "");
}

int
node_get_int(const struct node *n, long long *ret, struct err *err)
{
        const char *t = node_text(n);
        char *end = NULL;
        long long v;

        if (!t || (n->kind != NODE_STR && n->kind != NODE_INT))
                return node_errf(err, n, -EINVAL, "'%s' is not an integer", n ? n->str : "");
        errno = 0;
        v = strtoll(t, &end, 0);
        if (errno || end == t || *end)
                return node_errf(err, n, -EINVAL, "'%s' is not an integer", t);
        *ret = v;
        return 0;
}

static int __attribute__((format(printf, 4, 0)))
pos_verrf(struct err *err, const struct node_pos *pos, int code, const char *fmt, va_list ap)
{
        struct sbuf sb = SBUF_INIT;
        int r;

        if (pos && pos->file && pos->line)
                sbuf_addf(&sb, "%s:%d:%d: ", pos->file, pos->line, pos->col);
        else if (pos && pos->file)
                sbuf_addf(&sb, "%s: ", pos->file);
        sbuf_vaddf(&sb, fmt, ap);
        r = err_setf(err, code, "%s", sb.buf);
        sbuf_release(&sb);
        return r;
}

int
node_pos_errf(struct err *err, const struct node_pos *pos, int code, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = pos_verrf(err, pos, code, fmt, ap);
        va_end(ap);
        return r;
}

int
node_errf(struct err *err, const struct node *n, int code, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = pos_verrf(err, n ? &n->pos : NULL, code, fmt, ap);
        va_end(ap);
        return r;
}
