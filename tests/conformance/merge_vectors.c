/* merge_vectors: run compose-go's merge vectors (merge-vectors.yaml) through spec/merge.
 *
 * The file holds `vectors:`, each with base, override and expected YAML texts. For each,
 * expected == EnforceUnicity(Merge(base, override)), compared as data: mapping order is
 * irrelevant, sequence order matters, and environment/labels/annotations mappings are
 * compared as sorted KEY=VALUE lists (both sides are converted before comparing).
 *
 * usage: merge_vectors FILE
 * Prints each failing vector with where it differs, then "N passed, M failed".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "spec/merge.h"
#include "spec/node.h"
#include "spec/yaml.h"

#define VECTORS_MAX_BYTES (16u << 20)

static int
cmp_item(const void *a, const void *b)
{
        return strcmp((*(struct node *const *)a)->str, (*(struct node *const *)b)->str);
}

static bool
is_kv_attr(const char *key)
{
        return key && (strcmp(key, "environment") == 0 || strcmp(key, "labels") == 0 ||
                       strcmp(key, "annotations") == 0);
}

/* kv_list: {K: V} -> sorted ["K=V"] ("K" for a null V). */
static struct node *
kv_list(const struct node *map)
{
        struct node *seq = node_new(NODE_SEQ, &map->pos);

        node_foreach_entry(e, map) {
                const char *t = node_text(e->val);
                char *s = t ? xasprintf("%s=%s", e->key, t) : xstrdup(e->key);

                node_seq_push(seq, node_new_str(s, &e->val->pos));
                free(s);
        }
        if (seq->n > 1)
                qsort(seq->items, seq->n, sizeof(seq->items[0]), cmp_item);
        return seq;
}

static void
normalize(struct node *n)
{
        if (n->kind == NODE_SEQ) {
                node_foreach_item(it, n)
                        normalize(it);
                return;
        }
        if (n->kind != NODE_MAP)
                return;
        node_foreach_entry(e, n) {
                if (is_kv_attr(e->key) && e->val->kind == NODE_MAP)
                        node_replace(e->val, kv_list(e->val));
                else
                        normalize(e->val);
        }
}

static void
describe(struct sbuf *sb, const struct node *n)
{
        if (!n)
                sbuf_adds(sb, "nothing");
        else if (n->kind == NODE_SEQ || n->kind == NODE_MAP)
                sbuf_addf(sb, "a %s of %zu", node_kind_name(n->kind), n->n);
        else
                sbuf_addf(sb, "%s '%s'", node_kind_name(n->kind), n->str);
}

static bool
differ(struct sbuf *why, const char *path, const struct node *want, const struct node *got)
{
        sbuf_addf(why, "at '%s': expected ", *path ? path : "(document)");
        describe(why, want);
        sbuf_adds(why, ", got ");
        describe(why, got);
        return false;
}

static bool same(const struct node *want, const struct node *got, const char *path,
                 struct sbuf *why);

static bool
same_children(const struct node *want, const struct node *got, const char *path, struct sbuf *why)
{
        for (size_t i = 0; i < want->n; i++) {
                cleanup_free char *sub = NULL;
                const struct node *w, *g;

                if (want->kind == NODE_SEQ) {
                        sub = xasprintf("%s[%zu]", path, i);
                        w = want->items[i];
                        g = got->items[i];
                } else {
                        sub = xasprintf("%s%s%s", path, *path ? "." : "", want->entries[i].key);
                        w = want->entries[i].val;
                        g = node_map_get(got, want->entries[i].key);
                }
                if (!same(w, g, sub, why))
                        return false;
        }
        return true;
}

static bool
same(const struct node *want, const struct node *got, const char *path, struct sbuf *why)
{
        if (!want || !got || want->kind != got->kind)
                return (!want && !got) || differ(why, path, want, got);
        if (want->kind == NODE_NULL)
                return true;
        if (node_is_scalar(want))
                return strcmp(want->str, got->str) == 0 || differ(why, path, want, got);
        if (want->n != got->n)
                return differ(why, path, want, got);
        return same_children(want, got, path, why);
}

/* load_doc: the first document of text (a NODE_NULL when there is none). */
static int
load_doc(const struct node *text, const char *name, struct node **ret, struct err *err)
{
        cleanup_node struct node *docs = NULL;
        const char *t = node_text(text);
        int r;

        if (!t)
                return node_errf(err, text, -EINVAL, "%s: expected a YAML text", name);
        r = yaml_load(t, strlen(t), name, NULL, &docs, err);
        if (r < 0)
                return r;
        *ret = docs->n ? node_seq_take(docs, 0) : node_new(NODE_NULL, NULL);
        return 0;
}

static int
run_vector(const struct node *v, const char *name, struct sbuf *why, struct err *err)
{
        cleanup_node struct node *base = NULL, *ov = NULL, *want = NULL;
        int r;

        r = load_doc(node_map_get(v, "base"), name, &base, err);
        if (r >= 0)
                r = load_doc(node_map_get(v, "override"), name, &ov, err);
        if (r >= 0)
                r = load_doc(node_map_get(v, "expected"), name, &want, err);
        if (r >= 0)
                r = merge_tree(base, ov, "", err);
        if (r >= 0)
                r = merge_enforce_unicity(base, err);
        if (r < 0)
                return r;
        merge_strip_tags(base);
        normalize(base);
        normalize(want);
        return same(want, base, "", why) ? 0 : 1;
}

int
main(int argc, char **argv)
{
        cleanup_free char *buf = NULL;
        cleanup_node struct node *docs = NULL;
        const struct node *vectors;
        struct err err = { 0 };
        size_t len, passed = 0, failed = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: merge_vectors FILE\n");
                return 2;
        }
        if (fs_read_capped(argv[1], VECTORS_MAX_BYTES, &buf, &len, &err) < 0 ||
            yaml_load(buf, len, argv[1], NULL, &docs, &err) < 0) {
                fprintf(stderr, "merge_vectors: %s\n", err.msg);
                return 2;
        }
        vectors = docs->n ? node_map_get(docs->items[0], "vectors") : NULL;
        if (!vectors || vectors->kind != NODE_SEQ) {
                fprintf(stderr, "merge_vectors: %s: no 'vectors' list\n", argv[1]);
                return 2;
        }
        node_foreach_item(v, vectors) {
                struct sbuf why = SBUF_INIT;
                const char *name = node_map_str(v, "name");
                int r;

                err_clear(&err);
                name = name ? name : "(unnamed)";
                r = run_vector(v, name, &why, &err);
                if (r == 0) {
                        passed++;
                } else {
                        failed++;
                        printf("FAIL %s: %s\n", name, r < 0 ? err.msg : why.buf);
                }
                sbuf_release(&why);
        }
        printf("%zu passed, %zu failed\n", passed, failed);
        return failed ? 1 : 0;
}
