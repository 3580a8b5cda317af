/* YAML reading through libyaml's event API (yaml_parser_parse). Expansion of aliases and
 * merge keys happens here, under a node budget, so that "billion laughs" and merge bombs are
 * refused after a bounded amount of work instead of consuming the machine. */
#include "yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/alloc.h"
#include "base/cleanup.h"

struct anchor {
        char *name;
        const struct node *node; /* borrowed: lives in the tree being built */
        size_t weight;           /* nodes in the subtree, charged on every alias */
};

struct reader {
        yaml_parser_t parser;
        const char *file;
        const char *buf;
        size_t len;
        struct yaml_limits lim;
        size_t nodes;
        struct anchor *anchors;
        size_t n_anchors, cap_anchors;
        struct err *err;
};

static struct node_pos
mark_pos(const struct reader *rd, yaml_mark_t m)
{
        return (struct node_pos){ .file = rd->file,
                                  .line = (int)m.line + 1,
                                  .col = (int)m.column + 1 };
}

static int
charge(struct reader *rd, size_t n, yaml_mark_t m)
{
        struct node_pos pos = mark_pos(rd, m);

        rd->nodes += n;
        if (rd->nodes > rd->lim.max_nodes)
                return node_pos_errf(
                        rd->err, &pos, -E2BIG,
                        "document expands to more than %zu nodes (alias or merge-key bomb?)",
                        rd->lim.max_nodes);
        return 0;
}

static size_t
node_weight(const struct node *n)
{
        size_t w = 1;

        if (n->kind == NODE_SEQ)
                for (size_t i = 0; i < n->n; i++)
                        w += node_weight(n->items[i]);
        else if (n->kind == NODE_MAP)
                for (size_t i = 0; i < n->n; i++)
                        w += node_weight(n->entries[i].val);
        return w;
}

/* line_has_tab_indent: whether line (0-based) of buf starts with white space holding a tab. */
static int
line_has_tab_indent(const char *buf, size_t len, size_t line)
{
        size_t i = 0;

        for (; i < len && line; i++)
                if (buf[i] == '\n')
                        line--;
        for (; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
                if (buf[i] == '\t')
                        return 1;
        return 0;
}

static int
parse_error(struct reader *rd)
{
        yaml_parser_t *p = &rd->parser;
        struct node_pos pos = mark_pos(rd, p->problem_mark);
        const char *problem = p->problem ? p->problem : "invalid YAML";

        if (p->error == YAML_MEMORY_ERROR)
                return err_setf(rd->err, -ENOMEM, "%s: out of memory reading YAML", rd->file);
        /* libyaml calls a tab in block indentation "a character that cannot start any token";
         * say what is wrong, as docker compose (go-yaml) does */
        if ((strstr(problem, "cannot start any token") || strstr(problem, "mapping values")) &&
            line_has_tab_indent(rd->buf, rd->len, p->problem_mark.line))
                problem = "found a tab character that violates indentation";
        if (p->context)
                return node_pos_errf(rd->err, &pos, -EINVAL, "yaml: %s %s", p->context, problem);
        return node_pos_errf(rd->err, &pos, -EINVAL, "yaml: %s", problem);
}

static int
next_event(struct reader *rd, yaml_event_t *ev)
{
        if (!yaml_parser_parse(&rd->parser, ev))
                return parse_error(rd);
        return 0;
}

/* resolve_plain: the YAML 1.2 core schema, as go-yaml v3 applies it to plain scalars. */
static enum node_kind
resolve_plain(const char *s)
{
        static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
        static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE" };
        static const char *const floats[] = { ".inf", "-.inf", "+.inf", ".Inf", "-.Inf", "+.Inf",
                                              ".INF", "-.INF", "+.INF", ".nan", ".NaN",  ".NAN" };
        char *end;

        /* most scalars are words: only these first bytes can start a non-string */
        if (s[0] && !strchr("~nNtTfF+-.0123456789", s[0]))
                return NODE_STR;
        for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
                if (strcmp(s, nulls[i]) == 0)
                        return NODE_NULL;
        for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
                if (strcmp(s, bools[i]) == 0)
                        return NODE_BOOL;
        for (size_t i = 0; s[0] == '.' || s[1] == '.' ? i < ARRAY_SIZE(floats) : false; i++)
                if (strcmp(s, floats[i]) == 0)
                        return NODE_FLOAT;
        if (!strchr("+-.0123456789", s[0]))
                return NODE_STR;
        errno = 0;
        (void)strtoll(s, &end, 0);
        if (*end == '\0' && end != s && !errno)
                return NODE_INT;
        if ((strncmp(s, "0o", 2) == 0 || strncmp(s, "0b", 2) == 0) && s[2] &&
            strspn(s + 2, s[1] == 'o' ? "01234567" : "01") == strlen(s + 2))
                return NODE_INT;
        (void)strtod(s, &end);
        if (*end == '\0' && end != s && strpbrk(s, "0123456789") && !strpbrk(s, "xXpP") &&
            !strstr(s, "in") && !strstr(s, "IN") && !strstr(s, "na") && !strstr(s, "NA"))
                return NODE_FLOAT;
        return NODE_STR;
}

static enum node_kind
resolve_tagged(const char *tag, const char *value, enum node_kind plain)
{
        if (!tag || strcmp(tag, "!") == 0)
                return plain;
        if (strcmp(tag, YAML_STR_TAG) == 0)
                return NODE_STR;
        if (strcmp(tag, YAML_INT_TAG) == 0)
                return resolve_plain(value) == NODE_INT ? NODE_INT : NODE_STR;
        if (strcmp(tag, YAML_BOOL_TAG) == 0)
                return resolve_plain(value) == NODE_BOOL ? NODE_BOOL : NODE_STR;
        if (strcmp(tag, YAML_NULL_TAG) == 0)
                return NODE_NULL;
        if (strcmp(tag, YAML_FLOAT_TAG) == 0)
                return NODE_FLOAT;
        return plain;
}

static unsigned
tag_flags(const yaml_char_t *tag)
{
        if (!tag)
                return 0;
        if (strcmp((const char *)tag, "!reset") == 0)
                return NODE_F_RESET;
        if (strcmp((const char *)tag, "!override") == 0)
                return NODE_F_OVERRIDE;
        return 0;
}

static void
remember_anchor(struct reader *rd, const yaml_char_t *name, const struct node *n)
{
        struct anchor *a;

        if (!name)
                return;
        GROW(rd->anchors, rd->cap_anchors, rd->n_anchors + 1);
        a = &rd->anchors[rd->n_anchors++];
        a->name = xstrdup((const char *)name);
        a->node = n;
        a->weight = node_weight(n);
}

static int parse_node(struct reader *rd, yaml_event_t *ev, int depth, struct node **ret);

static int
parse_scalar(struct reader *rd, yaml_event_t *ev, struct node **ret)
{
        struct node_pos pos = mark_pos(rd, ev->start_mark);
        const char *value = (const char *)ev->data.scalar.value;
        const char *tag = (const char *)ev->data.scalar.tag;
        enum node_kind kind = NODE_STR;
        struct node *n;
        int r;

        if (strlen(value) != ev->data.scalar.length)
                return node_pos_errf(rd->err, &pos, -EINVAL, "yaml: NUL character in a scalar");
        r = charge(rd, 1, ev->start_mark);
        if (r < 0)
                return r;
        /* !reset and !override only flag a value; it is typed as if untagged */
        if ((ev->data.scalar.plain_implicit || tag_flags(ev->data.scalar.tag)) &&
            ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
                kind = resolve_plain(value);
        kind = resolve_tagged(tag_flags(ev->data.scalar.tag) ? NULL : tag, value, kind);
        n = node_new_scalar(kind, value, &pos);
        if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                n->flags |= NODE_F_QUOTED;
        n->flags |= tag_flags(ev->data.scalar.tag);
        remember_anchor(rd, ev->data.scalar.anchor, n);
        *ret = n;
        return 0;
}

static int
parse_alias(struct reader *rd, yaml_event_t *ev, struct node **ret)
{
        const char *name = (const char *)ev->data.alias.anchor;
        struct node_pos pos = mark_pos(rd, ev->start_mark);
        int r;

        for (size_t i = rd->n_anchors; i-- > 0;) {
                if (strcmp(rd->anchors[i].name, name) != 0)
                        continue;
                r = charge(rd, rd->anchors[i].weight, ev->start_mark);
                if (r < 0)
                        return r;
                *ret = node_clone(rd->anchors[i].node);
                return 0;
        }
        return node_pos_errf(rd->err, &pos, -EINVAL, "yaml: unknown anchor '%s' referenced", name);
}

static int
parse_seq(struct reader *rd, yaml_event_t *ev, int depth, struct node **ret)
{
        struct node_pos pos = mark_pos(rd, ev->start_mark);
        cleanup_node struct node *seq = node_new(NODE_SEQ, &pos);
        yaml_char_t *anchor = ev->data.sequence_start.anchor;
        int r;

        seq->flags |= tag_flags(ev->data.sequence_start.tag);
        for (;;) {
                yaml_event_t item;
                struct node *child = NULL;

                r = next_event(rd, &item);
                if (r < 0)
                        return r;
                if (item.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&item);
                        break;
                }
                r = parse_node(rd, &item, depth + 1, &child);
                yaml_event_delete(&item);
                if (r < 0)
                        return r;
                node_seq_push(seq, child);
        }
        remember_anchor(rd, anchor, seq);
        *ret = TAKE_PTR(seq);
        return 0;
}

/* merge_from: add src's entries that map does not have yet (merge keys are shallow). */
static int
merge_from(struct reader *rd, struct node *map, const struct node *src, struct node_pos *pos)
{
        if (src->kind != NODE_MAP)
                return node_pos_errf(
                        rd->err, pos, -EINVAL,
                        "yaml: map merge requires map or sequence of maps as the value");
        for (size_t i = 0; i < src->n; i++) {
                const struct node_entry *e = &src->entries[i];
                size_t w;

                if (node_map_entry(map, e->key))
                        continue;
                w = node_weight(e->val);
                rd->nodes += w;
                if (rd->nodes > rd->lim.max_nodes)
                        return node_pos_errf(
                                rd->err, pos, -E2BIG,
                                "document expands to more than %zu nodes (alias or merge-key bomb?)",
                                rd->lim.max_nodes);
                node_map_set_at(map, e->key, &e->pos, node_clone(e->val));
        }
        return 0;
}

static int
apply_merges(struct reader *rd, struct node *map, struct node *merges)
{
        int r = 0;

        for (size_t i = 0; i < merges->n && r == 0; i++) {
                struct node *m = merges->items[i];

                if (m->kind == NODE_SEQ) {
                        for (size_t j = 0; j < m->n && r == 0; j++)
                                r = merge_from(rd, map, m->items[j], &m->items[j]->pos);
                } else {
                        r = merge_from(rd, map, m, &m->pos);
                }
        }
        return r;
}

static int
parse_key(struct reader *rd, yaml_event_t *ev, int depth, char **ret, struct node_pos *pos)
{
        cleanup_node struct node *k = NULL;
        int r = parse_node(rd, ev, depth, &k);

        if (r < 0)
                return r;
        *pos = k->pos;
        if (!node_is_scalar(k))
                return node_pos_errf(rd->err, pos, -EINVAL,
                                     "yaml: mapping keys must be scalars, not %s",
                                     node_kind_name(k->kind));
        *ret = xstrdup(k->str);
        return 0;
}

static int
add_entry(struct reader *rd, struct node *map, struct node *merges, char *key,
          struct node_pos *kpos, struct node *val)
{
        const struct node_entry *dup;

        if (strcmp(key, "<<") == 0 && !(val->flags & NODE_F_QUOTED)) {
                node_seq_push(merges, val);
                return 0;
        }
        dup = node_map_entry(map, key);
        if (dup) {
                node_free(val);
                return node_pos_errf(rd->err, kpos, -EINVAL,
                                     "yaml: mapping key \"%s\" already defined at line %d", key,
                                     dup->pos.line);
        }
        node_map_set_at(map, key, kpos, val);
        return 0;
}

static int
parse_map(struct reader *rd, yaml_event_t *ev, int depth, struct node **ret)
{
        struct node_pos pos = mark_pos(rd, ev->start_mark);
        cleanup_node struct node *map = node_new(NODE_MAP, &pos);
        cleanup_node struct node *merges = node_new(NODE_SEQ, &pos);
        yaml_char_t *anchor = ev->data.mapping_start.anchor;
        int r;

        map->flags |= tag_flags(ev->data.mapping_start.tag);
        for (;;) {
                cleanup_free char *key = NULL;
                struct node_pos kpos;
                struct node *val = NULL;
                yaml_event_t e;

                r = next_event(rd, &e);
                if (r < 0)
                        return r;
                if (e.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&e);
                        break;
                }
                r = parse_key(rd, &e, depth + 1, &key, &kpos);
                yaml_event_delete(&e);
                if (r == 0)
                        r = next_event(rd, &e);
                if (r < 0)
                        return r;
                r = parse_node(rd, &e, depth + 1, &val);
                yaml_event_delete(&e);
                if (r < 0)
                        return r;
                r = add_entry(rd, map, merges, key, &kpos, val);
                if (r < 0)
                        return r;
        }
        r = apply_merges(rd, map, merges);
        if (r < 0)
                return r;
        remember_anchor(rd, anchor, map);
        *ret = TAKE_PTR(map);
        return 0;
}

static int
parse_node(struct reader *rd, yaml_event_t *ev, int depth, struct node **ret)
{
        struct node_pos pos = mark_pos(rd, ev->start_mark);

        if (depth > rd->lim.max_depth)
                return node_pos_errf(rd->err, &pos, -E2BIG, "yaml: nesting deeper than %d levels",
                                     rd->lim.max_depth);
        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                return parse_scalar(rd, ev, ret);
        case YAML_ALIAS_EVENT:
                return parse_alias(rd, ev, ret);
        case YAML_SEQUENCE_START_EVENT:
                if (charge(rd, 1, ev->start_mark) < 0)
                        return rd->err ? rd->err->code : -E2BIG;
                return parse_seq(rd, ev, depth, ret);
        case YAML_MAPPING_START_EVENT:
                if (charge(rd, 1, ev->start_mark) < 0)
                        return rd->err ? rd->err->code : -E2BIG;
                return parse_map(rd, ev, depth, ret);
        default:
                return node_pos_errf(rd->err, &pos, -EINVAL, "yaml: unexpected event");
        }
}

static int
parse_document(struct reader *rd, struct node **ret)
{
        yaml_event_t ev;
        struct node *root = NULL;
        int r;

        r = next_event(rd, &ev);
        if (r < 0)
                return r;
        if (ev.type == YAML_DOCUMENT_END_EVENT) {
                *ret = node_new(NODE_NULL, NULL);
                yaml_event_delete(&ev);
                return 0;
        }
        r = parse_node(rd, &ev, 0, &root);
        yaml_event_delete(&ev);
        if (r == 0)
                r = next_event(rd, &ev);
        if (r < 0) {
                node_free(root);
                return r;
        }
        yaml_event_delete(&ev); /* DOCUMENT_END */
        *ret = root;
        return 0;
}

static int
parse_stream(struct reader *rd, struct node *docs)
{
        for (;;) {
                yaml_event_t ev;
                struct node *doc = NULL;
                yaml_event_type_t type;
                int r = next_event(rd, &ev);

                if (r < 0)
                        return r;
                type = ev.type;
                yaml_event_delete(&ev);
                if (type == YAML_STREAM_END_EVENT)
                        return 0;
                if (type != YAML_DOCUMENT_START_EVENT)
                        continue; /* STREAM_START */
                r = parse_document(rd, &doc);
                if (r < 0)
                        return r;
                node_seq_push(docs, doc);
        }
}

int
yaml_load(const char *buf, size_t len, const char *file, const struct yaml_limits *limits,
          struct node **ret, struct err *err)
{
        struct reader rd = { .file = file, .buf = buf, .len = len, .err = err };
        cleanup_node struct node *docs = node_new(NODE_SEQ, NULL);
        int r;

        rd.lim = limits ? *limits : (struct yaml_limits){ YAML_MAX_NODES, YAML_MAX_DEPTH };
        if (!yaml_parser_initialize(&rd.parser))
                return err_setf(err, -ENOMEM, "%s: out of memory reading YAML", file);
        yaml_parser_set_input_string(&rd.parser, (const unsigned char *)buf, len);
        r = parse_stream(&rd, docs);
        yaml_parser_delete(&rd.parser);
        for (size_t i = 0; i < rd.n_anchors; i++)
                free(rd.anchors[i].name);
        free(rd.anchors);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(docs);
        return 0;
}
