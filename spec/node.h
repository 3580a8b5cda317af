/* node: the document tree every compose stage works on.
 *
 * The loader keeps the compose model as a tree of YAML values (as compose-go keeps a
 * map[string]any) because every stage before the typed view (interpolation, merge,
 * extends, canonical transform, schema validation) is defined on that tree. Each node
 * remembers where it came from so that any error can say file:line:col.
 *
 * Ownership: a node owns its children, its text and its keys. pos.file is borrowed: the
 * loader keeps the file names alive for as long as any tree made from them (see
 * spec_project). Maps keep insertion order; keys are unique (the YAML reader rejects
 * duplicates, node_map_set replaces).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "base/err.h"

enum node_kind {
        NODE_NULL,
        NODE_STR,
        NODE_INT,
        NODE_FLOAT,
        NODE_BOOL,
        NODE_SEQ,
        NODE_MAP,
};

enum node_flag {
        NODE_F_RESET = 1 << 0,    /* tagged !reset: remove what earlier files set */
        NODE_F_OVERRIDE = 1 << 1, /* tagged !override: replace instead of merging */
        NODE_F_QUOTED = 1 << 2,   /* scalar was quoted or block in the source */
};

struct node_pos {
        const char *file; /* borrowed, may be NULL */
        int line;         /* 1-based, 0 when synthesized */
        int col;          /* 1-based */
};

struct node;

struct node_entry {
        char *key;
        struct node_pos pos; /* of the key */
        struct node *val;
};

struct node {
        enum node_kind kind;
        unsigned flags;
        struct node_pos pos;
        char *str; /* scalars (NULL included: "null" or ""): the text; NULL for SEQ/MAP */
        size_t n, cap;
        union {
                struct node **items;        /* NODE_SEQ */
                struct node_entry *entries; /* NODE_MAP */
        };
};

/* Constructors cannot fail (allocation aborts). pos may be NULL. */
struct node *node_new(enum node_kind kind, const struct node_pos *pos);
struct node *node_new_str(const char *s, const struct node_pos *pos);
struct node *node_new_strn(const char *s, size_t n, const struct node_pos *pos);
struct node *node_new_scalar(enum node_kind kind, const char *text, const struct node_pos *pos);
struct node *node_new_bool(bool b, const struct node_pos *pos);
struct node *node_new_int(long long v, const struct node_pos *pos);
struct node *node_free(struct node *n);
struct node *node_clone(const struct node *n);
/* node_set_str: turn n into a string scalar holding s (copied); children are freed. */
void node_set_str(struct node *n, const char *s);
/* node_replace: move the contents of src into dst (keeping dst's position when src has
 * none) and free the src shell. */
void node_replace(struct node *dst, struct node *src);

static inline bool
node_is_scalar(const struct node *n)
{
        return n && n->kind != NODE_SEQ && n->kind != NODE_MAP;
}
/* node_text: the text of a non-null scalar, else NULL. */
const char *node_text(const struct node *n);
const char *node_kind_name(enum node_kind kind);
bool node_equal(const struct node *a, const struct node *b);

/* Maps. Getters borrow; setters take ownership of val. */
struct node *node_map_get(const struct node *map, const char *key);
struct node_entry *node_map_entry(const struct node *map, const char *key);
ssize_t node_map_index(const struct node *map, const char *key);
void node_map_set(struct node *map, const char *key, struct node *val);
/* node_map_set_at: as node_map_set, with the key's source position. */
void node_map_set_at(struct node *map, const char *key, const struct node_pos *kpos,
                     struct node *val);
/* node_map_take: detach and return the value (owned), or NULL when absent. */
struct node *node_map_take(struct node *map, const char *key);
void node_map_del(struct node *map, const char *key);
/* node_map_sort: order entries by key (byte order). */
void node_map_sort(struct node *map);
/* node_map_str: convenience: text of map[key] when it is a scalar. */
const char *node_map_str(const struct node *map, const char *key);

/* Sequences. */
void node_seq_push(struct node *seq, struct node *item);
void node_seq_insert(struct node *seq, size_t at, struct node *item);
struct node *node_seq_take(struct node *seq, size_t at);

/* Typed reads of scalars (also strings such as "true" or "42", which interpolation makes). */
int node_get_bool(const struct node *n, bool *ret, struct err *err);
int node_get_int(const struct node *n, long long *ret, struct err *err);

/* node_errf: set err to "file:line:col: <msg>" for n (position omitted when unknown). */
int node_errf(struct err *err, const struct node *n, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
int node_pos_errf(struct err *err, const struct node_pos *pos, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define node_foreach_entry(e, map) \
        for (struct node_entry *e = (map)->entries; e && e < (map)->entries + (map)->n; e++)
#define node_foreach_item(it, seq)                              \
        for (size_t it##_i_ = 0; it##_i_ < (seq)->n; it##_i_++) \
                for (struct node *it = (seq)->items[it##_i_]; it; it = NULL)

static inline void
node_free_p(struct node **n)
{
        node_free(*n);
}
#define cleanup_node __attribute__((cleanup(node_free_p)))
