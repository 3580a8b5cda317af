/* Helpers for the transform tests: YAML in, canonical tree out, trees compared by value and
 * node kind (a mismatch prints both trees in flow style with kinds visible). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/sbuf.h"
#include "spec/node.h"
#include "spec/transform.h"
#include "spec/yaml.h"

/* tf_load: the first document of text (owned); fails the test on a YAML error. */
static inline struct node *
tf_load(const char *text)
{
        struct err err = { 0 };
        struct node *docs = NULL, *doc;

        if (yaml_load(text, strlen(text), "test.yaml", NULL, &docs, &err) < 0) {
                print_error("yaml: %s\n", err.msg);
                fail();
        }
        assert_true(docs->n >= 1);
        doc = node_seq_take(docs, 0);
        node_free(docs);
        return doc;
}

/* tf_canon: text through transform_canonical and transform_defaults; fails on error. */
static inline struct node *
tf_canon(const char *text)
{
        struct err err = { 0 };
        struct node *doc = tf_load(text);

        if (transform_canonical(doc, &err) < 0 || transform_defaults(doc, &err) < 0) {
                print_error("transform: %s\n", err.msg);
                fail();
        }
        return doc;
}

/* tf_canon_err: text through transform_canonical, which must fail; returns the message. */
static inline char *
tf_canon_err(const char *text)
{
        struct err err = { 0 };
        struct node *doc = tf_load(text);
        int r = transform_canonical(doc, &err);

        node_free(doc);
        assert_int_equal(r, -EINVAL);
        return xstrdup(err.msg);
}

/* tf_at: the node at a '/'-separated path; a numeric segment indexes a sequence. */
static inline struct node *
tf_at(struct node *n, const char *path)
{
        while (n && *path) {
                size_t len = strcspn(path, "/");
                char *seg = xstrndup(path, len);
                char *end;

                if (n->kind == NODE_SEQ) {
                        unsigned long i = strtoul(seg, &end, 10);

                        n = (*end || i >= n->n) ? NULL : n->items[i];
                } else {
                        n = node_map_get(n, seg);
                }
                free(seg);
                path += len + (path[len] == '/');
        }
        return n;
}

static inline void
tf_dump(struct sbuf *sb, const struct node *n)
{
        if (!n) {
                sbuf_adds(sb, "<absent>");
                return;
        }
        switch (n->kind) {
        case NODE_STR:
                sbuf_addf(sb, "\"%s\"", n->str);
                return;
        case NODE_NULL:
                sbuf_adds(sb, "null");
                return;
        case NODE_SEQ:
                sbuf_addch(sb, '[');
                for (size_t i = 0; i < n->n; i++) {
                        sbuf_adds(sb, i ? ", " : "");
                        tf_dump(sb, n->items[i]);
                }
                sbuf_addch(sb, ']');
                return;
        case NODE_MAP:
                sbuf_addch(sb, '{');
                for (size_t i = 0; i < n->n; i++) {
                        sbuf_addf(sb, "%s%s: ", i ? ", " : "", n->entries[i].key);
                        tf_dump(sb, n->entries[i].val);
                }
                sbuf_addch(sb, '}');
                return;
        default:
                sbuf_addf(sb, "%s(%s)", node_kind_name(n->kind), n->str);
                return;
        }
}

/* tf_equal: node_equal, but a null is a null whether it was written "null" or "". */
static inline bool
tf_equal(const struct node *a, const struct node *b)
{
        if (!a || !b)
                return a == b;
        if (a->kind != b->kind || a->n != b->n)
                return false;
        if (a->kind == NODE_NULL)
                return true;
        if (node_is_scalar(a))
                return strcmp(a->str, b->str) == 0;
        for (size_t i = 0; i < a->n; i++) {
                if (a->kind == NODE_SEQ
                            ? !tf_equal(a->items[i], b->items[i])
                            : !tf_equal(a->entries[i].val, node_map_get(b, a->entries[i].key)))
                        return false;
        }
        return true;
}

/* tf_expect_node: got equals want (maps compared by key, kinds compared). */
static inline void
tf_expect_node(const struct node *got, const struct node *want, const char *what)
{
        struct sbuf g = SBUF_INIT, w = SBUF_INIT;

        if (tf_equal(got, want))
                return;
        tf_dump(&g, got);
        tf_dump(&w, want);
        print_error("%s:\n  got:  %s\n  want: %s\n", what, g.buf, w.buf);
        sbuf_release(&g);
        sbuf_release(&w);
        fail();
}

/* tf_expect: the node at path of doc equals the YAML value want_yaml ("~" for absent). */
static inline void
tf_expect(struct node *doc, const char *path, const char *want_yaml)
{
        struct node *want = NULL;

        if (strcmp(want_yaml, "~") != 0)
                want = tf_load(want_yaml);
        tf_expect_node(tf_at(doc, path), want, path);
        node_free(want);
}

/* tf_check: canonical form of `text`, then the node at path must equal want_yaml. */
static inline void
tf_check(const char *text, const char *path, const char *want_yaml)
{
        struct node *doc = tf_canon(text);

        tf_expect(doc, path, want_yaml);
        node_free(doc);
}
