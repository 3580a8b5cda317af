/* transform_maps: compose-go's list-or-map types, decoded and printed.
 *
 * StringList, ShellCommand (go-shellwords), HealthCheckTest, Mapping/Labels ("KEY=VALUE"
 * lists or maps, values as strings), MappingWithEquals (a bare KEY is null: "inherit from
 * the environment"), Options, MultiOptions, HostsList (printed as a sorted "host=ip" list)
 * and UlimitsConfig (an int or {soft, hard}).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "spec/shellwords.h"
#include "spec/transform_internal.h"

/* item_text: the text of a list item, "" for null; NULL (after an error) for a collection. */
static char *
item_text(struct walk *w, const struct node *it)
{
        char *text = transform_text(it);

        if (!text)
                transform_errf(w, it, "items must be strings, not %s", node_kind_name(it->kind));
        return text;
}

/* texts_in_place: every item of a sequence becomes its string. */
static int
texts_in_place(struct walk *w, struct node *seq)
{
        for (size_t i = 0; i < seq->n; i++) {
                cleanup_free char *text = item_text(w, seq->items[i]);

                if (!text)
                        return -EINVAL;
                node_set_str(seq->items[i], text);
                seq->items[i]->flags &= ~(unsigned)NODE_F_QUOTED;
        }
        return 0;
}

static void
seq_of_one(struct node *n, const char *text)
{
        struct node *seq = node_new(NODE_SEQ, &n->pos);

        node_seq_push(seq, node_new_str(text, &n->pos));
        node_replace(n, seq);
}

static int
conv_strlist(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        int r;

        if (n->kind == NODE_NULL) {
                node_replace(n, node_new(NODE_SEQ, &n->pos));
        } else if (node_is_scalar(n)) {
                cleanup_free char *text = transform_text(n);

                seq_of_one(n, text);
        } else if (n->kind != NODE_SEQ) {
                return transform_errf(w, n, "must be a string or a list of strings");
        }
        r = texts_in_place(w, n);
        if (r < 0)
                return r;
        for (size_t i = 0; (t->flags & TT_DROP_EMPTY) && i < n->n;) {
                if (n->items[i]->str[0] == '\0')
                        node_free(node_seq_take(n, i));
                else
                        i++;
        }
        *ret_zero = n->n == 0;
        return 0;
}

static int
conv_command(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        cleanup_strv char **words = NULL;
        struct err e = { 0 };
        struct node *seq;

        if (n->kind == NODE_NULL) {
                *ret_zero = true;
                return 0;
        }
        if (n->kind == NODE_SEQ) {
                /* an empty test is omitted, an empty command is kept: it clears the image's */
                *ret_zero = t->kind == TK_HCTEST && n->n == 0;
                return texts_in_place(w, n);
        }
        if (n->kind != NODE_STR)
                return transform_errf(w, n, "must be a string or a list of strings");
        if (t->kind == TK_HCTEST) {
                /* HealthCheckTest: the string form runs through a shell */
                struct node *test = node_new(NODE_SEQ, &n->pos);

                node_seq_push(test, node_new_str("CMD-SHELL", &n->pos));
                node_seq_push(test, node_new_str(n->str, &n->pos));
                node_replace(n, test);
                return 0;
        }
        if (shellwords_split(n->str, &words, &e) < 0)
                return transform_errf(w, n, "%s", e.msg);
        seq = node_new(NODE_SEQ, &n->pos);
        strv_foreach(word, words)
                node_seq_push(seq, node_new_str(word, &n->pos));
        node_replace(n, seq);
        return 0;
}

/* kv_from_list: "KEY=VALUE" items into a fresh mapping; a bare KEY maps to bare_null ? null
 * : "". Later items win, as in a Go map. */
static int
kv_from_list(struct walk *w, const struct node *seq, bool bare_null, bool check_space,
             struct node **ret)
{
        cleanup_node struct node *map = node_new(NODE_MAP, &seq->pos);

        for (size_t i = 0; i < seq->n; i++) {
                const struct node *it = seq->items[i];
                cleanup_free char *text = item_text(w, it);
                char *eq;

                if (!text)
                        return -EINVAL;
                eq = strchr(text, '=');
                if (eq)
                        *eq = '\0';
                if (check_space && *text && isspace((unsigned char)text[strlen(text) - 1]))
                        return transform_errf(w, it,
                                              "environment variable %s is declared with a "
                                              "trailing space",
                                              text);
                node_map_set_at(map, text, &it->pos,
                                eq          ? node_new_str(eq + 1, &it->pos)
                                : bare_null ? node_new(NODE_NULL, &it->pos)
                                            : node_new_str("", &it->pos));
        }
        *ret = TAKE_PTR(map);
        return 0;
}

/* values_to_text: map values become strings; null becomes "" unless keep_null. */
static int
values_to_text(struct walk *w, struct node *map, bool keep_null)
{
        node_foreach_entry(e, map) {
                cleanup_free char *text = NULL;

                if (e->val->kind == NODE_NULL && keep_null)
                        continue;
                text = transform_text(e->val);
                if (!text)
                        return transform_errf(w, e->val,
                                              "%s: must be a string, number, boolean or "
                                              "null",
                                              e->key);
                node_set_str(e->val, text);
                e->val->flags &= ~(unsigned)NODE_F_QUOTED;
        }
        return 0;
}

static int
conv_mapping(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        bool with_equals = t->kind == TK_MAPPING_EQ;
        struct node *map = NULL;
        int r;

        if (n->kind == NODE_NULL)
                node_replace(n, node_new(NODE_MAP, &n->pos));
        if (n->kind == NODE_SEQ && t->kind != TK_OPTIONS && t->kind != TK_MULTIOPTIONS) {
                r = kv_from_list(w, n, with_equals, with_equals, &map);
                if (r < 0)
                        return r;
                node_replace(n, map);
        }
        if (n->kind != NODE_MAP)
                return transform_errf(w, n, "must be a mapping%s",
                                      t->kind == TK_OPTIONS || t->kind == TK_MULTIOPTIONS
                                              ? ""
                                              : " or a list of KEY=VALUE");
        if (t->kind == TK_MULTIOPTIONS) {
                node_foreach_entry(e, n) {
                        if (node_is_scalar(e->val)) {
                                cleanup_free char *text = transform_text(e->val);

                                seq_of_one(e->val, text);
                        }
                        r = texts_in_place(w, e->val);
                        if (r < 0)
                                return r;
                }
        } else {
                r = values_to_text(w, n, with_equals);
                if (r < 0)
                        return r;
        }
        *ret_zero = n->n == 0;
        return 0;
}

/* hosts_add: one host and its addresses (brackets of IPv6 literals removed). */
static int
hosts_add(struct walk *w, const struct node *at, struct node *out, const char *host,
          const char *ips)
{
        cleanup_strv char **list = strv_split(ips, ",");

        if (!*host || strpbrk(host, ":="))
                return transform_errf(w, at, "bad host name '%s'", host);
        if (!list || !*list)
                strv_add(&list, "");
        strv_foreach(ip, list) {
                size_t len = strlen(ip);
                cleanup_free char *entry = NULL;

                if (len > 2 && ip[0] == '[' && ip[len - 1] == ']')
                        entry = xasprintf("%s=%.*s", host, (int)(len - 2), ip + 1);
                else
                        entry = xasprintf("%s=%s", host, ip);
                node_seq_push(out, node_new_str(entry, &at->pos));
        }
        return 0;
}

static int
hosts_from_map(struct walk *w, const struct node *map, struct node *out)
{
        int r;

        node_foreach_entry(e, map) {
                struct node one = { .kind = NODE_SEQ, .n = 1, .items = &e->val };
                const struct node *list = e->val->kind == NODE_SEQ ? e->val : &one;

                for (size_t i = 0; i < list->n; i++) {
                        cleanup_free char *ip = item_text(w, list->items[i]);

                        if (!ip)
                                return -EINVAL;
                        r = hosts_add(w, list->items[i], out, e->key, ip);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int
hosts_from_list(struct walk *w, const struct node *seq, struct node *out)
{
        int r;

        for (size_t i = 0; i < seq->n; i++) {
                cleanup_free char *text = item_text(w, seq->items[i]);
                char *sep;

                if (!text)
                        return -EINVAL;
                sep = strchr(text, '=');
                if (!sep)
                        sep = strchr(text, ':');
                if (!sep)
                        return transform_errf(w, seq->items[i],
                                              "invalid additional host, missing IP: %s", text);
                *sep = '\0';
                r = hosts_add(w, seq->items[i], out, text, sep + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
cmp_item_text(const void *a, const void *b)
{
        return strcmp((*(struct node *const *)a)->str, (*(struct node *const *)b)->str);
}

static int
conv_hosts(struct walk *w, struct node *n, bool *ret_zero)
{
        cleanup_node struct node *out = node_new(NODE_SEQ, &n->pos);
        int r = 0;

        if (n->kind == NODE_MAP)
                r = hosts_from_map(w, n, out);
        else if (n->kind == NODE_SEQ)
                r = hosts_from_list(w, n, out);
        else if (n->kind != NODE_NULL)
                return transform_errf(w, n, "must be a mapping or a list of host=ip");
        if (r < 0)
                return r;
        if (out->n > 1)
                qsort(out->items, out->n, sizeof(out->items[0]), cmp_item_text);
        *ret_zero = out->n == 0;
        node_replace(n, TAKE_PTR(out));
        return 0;
}

/* ulimit_value: an int, or a string holding one (interpolation). */
static int
ulimit_value(struct walk *w, struct node *v)
{
        static const struct ttype int_type = { .kind = TK_INT };
        bool zero;

        return transform_conv_scalar(w, &int_type, v, &zero);
}

static int
conv_ulimit(struct walk *w, struct node *n, bool *ret_zero)
{
        struct node *map;
        int r;

        if (n->kind == NODE_INT || n->kind == NODE_STR) {
                r = ulimit_value(w, n);
                if (r < 0 || strcmp(n->str, "0") != 0)
                        return r;
                /* UlimitsConfig prints a zero single value as {soft: 0, hard: 0} */
                node_replace(n, node_new(NODE_MAP, &n->pos));
        }
        if (n->kind != NODE_MAP)
                return transform_errf(w, n, "must be an integer or a mapping with soft and hard");
        map = node_new(NODE_MAP, &n->pos);
        for (size_t i = 0; i < 2; i++) {
                const char *key = i ? "hard" : "soft";
                struct node *v = node_map_take(n, key);

                if (!v)
                        v = node_new_int(0, &n->pos);
                node_map_set(map, key, v);
                r = ulimit_value(w, v);
                if (r < 0) {
                        node_free(map);
                        return r;
                }
        }
        node_replace(n, map);
        *ret_zero = false;
        return 0;
}

int
transform_conv_collection(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        *ret_zero = false;
        switch (t->kind) {
        case TK_STRLIST:
                return conv_strlist(w, t, n, ret_zero);
        case TK_COMMAND:
        case TK_HCTEST:
                return conv_command(w, t, n, ret_zero);
        case TK_MAPPING:
        case TK_MAPPING_EQ:
        case TK_LABELS:
        case TK_OPTIONS:
        case TK_MULTIOPTIONS:
                return conv_mapping(w, t, n, ret_zero);
        case TK_HOSTS:
                return conv_hosts(w, n, ret_zero);
        case TK_ULIMIT:
                return conv_ulimit(w, n, ret_zero);
        default:
                return transform_errf(w, n, "internal error: type %d is not a collection",
                                      (int)t->kind);
        }
}
