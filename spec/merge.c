/* merge: compose's multi-file merge and unicity rules on raw document trees.
 *
 * The format spoken is the compose-spec "Merge and override" chapter (13-merge.md) with the
 * per-attribute exceptions of compose-go's override package, which docker compose uses:
 * each exception is attached to a path pattern ("services.*.environment"), matched against
 * the path of the value being merged. Patterns never go through sequences: a sequence is
 * merged as a whole (appended), then deduplicated by merge_enforce_unicity().
 *
 * Where compose-go has known bugs or gaps the sane reading of the spec wins: ipam.config
 * entries are merged by subnet without losing base entries; a `KEY: !reset` entry of a
 * KEY=VALUE map also removes KEY from a base in list form; short and long port syntaxes
 * share one unique key; the list-or-map labels of secrets/configs and build.ssh merge like
 * other labels; models.*.runtime_flags is replaced like command (compose-go appends, but
 * its own disabled test and the shared vectors expect replacement).
 */
#include "spec/merge.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"

/* Every pattern below has at most 5 segments; deeper paths only need their depth. */
#define MPATH_MAX 8

struct mpath {
        const char *seg[MPATH_MAX];
        size_t depth;
};

enum merge_rule {
        RULE_DEFAULT,
        RULE_REPLACE,     /* the later value wins as a whole */
        RULE_TO_SEQ,      /* list-or-map attributes: both as lists, appended */
        RULE_EXTRA_HOSTS, /* as RULE_TO_SEQ, without repeating an entry of base */
        RULE_DEPENDS_ON,  /* both as mappings, list entries get the default condition */
        RULE_TO_MAP,      /* both as mappings, list entries map to null */
        RULE_LOGGING,     /* options merged only for the same (or an unset) driver */
        RULE_BUILD,       /* a string is {context: string} */
        RULE_IPAM_CONFIG, /* entries merged by subnet */
};

static const struct {
        const char *pattern;
        enum merge_rule rule;
} merge_rules[] = {
        /* an argv like command; compose-go appends, but its own (disabled) test and the
         * shared vectors expect the later list to win */
        { "models.*.runtime_flags", RULE_REPLACE },
        { "networks.*.ipam.config", RULE_IPAM_CONFIG },
        { "networks.*.labels", RULE_TO_SEQ },
        { "volumes.*.labels", RULE_TO_SEQ },
        /* list-or-map attributes compose-go leaves to the generic rule (which fails on a
         * list over a mapping) */
        { "secrets.*.labels", RULE_TO_SEQ },
        { "configs.*.labels", RULE_TO_SEQ },
        { "services.*.build.ssh", RULE_TO_SEQ },
        { "services.*.annotations", RULE_TO_SEQ },
        { "services.*.build", RULE_BUILD },
        { "services.*.build.args", RULE_TO_SEQ },
        { "services.*.build.additional_contexts", RULE_TO_SEQ },
        { "services.*.build.extra_hosts", RULE_EXTRA_HOSTS },
        { "services.*.build.labels", RULE_TO_SEQ },
        { "services.*.command", RULE_REPLACE },
        { "services.*.depends_on", RULE_DEPENDS_ON },
        { "services.*.deploy.labels", RULE_TO_SEQ },
        { "services.*.dns", RULE_TO_SEQ },
        { "services.*.dns_opt", RULE_TO_SEQ },
        { "services.*.dns_search", RULE_TO_SEQ },
        { "services.*.entrypoint", RULE_REPLACE },
        { "services.*.env_file", RULE_TO_SEQ },
        { "services.*.label_file", RULE_TO_SEQ },
        { "services.*.environment", RULE_TO_SEQ },
        { "services.*.extra_hosts", RULE_EXTRA_HOSTS },
        { "services.*.healthcheck.test", RULE_REPLACE },
        { "services.*.labels", RULE_TO_SEQ },
        { "services.*.logging", RULE_LOGGING },
        { "services.*.models", RULE_TO_MAP },
        { "services.*.networks", RULE_TO_MAP },
        { "services.*.sysctls", RULE_TO_SEQ },
        { "services.*.tmpfs", RULE_TO_SEQ },
        /* compose-go's mergeUlimit always returns the override */
        { "services.*.ulimits.*", RULE_REPLACE },
};

enum unique_key {
        KEY_VALUE,    /* the text before '=' */
        KEY_TEXT,     /* the whole entry */
        KEY_VOLUME,   /* mount target, short syntax parsed */
        KEY_DEVICE,   /* container path */
        KEY_SECRET,   /* target, relative to /run/secrets, defaulting to the source */
        KEY_CONFIG,   /* target, relative to /, defaulting to the source */
        KEY_ENV_FILE, /* path */
        KEY_PORT,     /* host_ip, published, target, protocol */
};

static const struct {
        const char *pattern;
        enum unique_key key;
} unique_rules[] = {
        { "networks.*.labels", KEY_VALUE },
        { "networks.*.ipam.options", KEY_VALUE },
        { "volumes.*.labels", KEY_VALUE },
        { "secrets.*.labels", KEY_VALUE },
        { "configs.*.labels", KEY_VALUE },
        { "services.*.build.ssh", KEY_VALUE },
        { "services.*.annotations", KEY_VALUE },
        { "services.*.build.args", KEY_VALUE },
        { "services.*.build.additional_contexts", KEY_VALUE },
        { "services.*.build.extra_hosts", KEY_TEXT },
        { "services.*.build.platform", KEY_VALUE },
        { "services.*.build.tags", KEY_VALUE },
        { "services.*.build.labels", KEY_VALUE },
        { "services.*.cap_add", KEY_VALUE },
        { "services.*.cap_drop", KEY_VALUE },
        { "services.*.configs", KEY_CONFIG },
        { "services.*.deploy.labels", KEY_VALUE },
        { "services.*.devices", KEY_DEVICE },
        { "services.*.dns", KEY_VALUE },
        { "services.*.dns_opt", KEY_VALUE },
        { "services.*.dns_search", KEY_VALUE },
        { "services.*.environment", KEY_VALUE },
        { "services.*.env_file", KEY_ENV_FILE },
        { "services.*.expose", KEY_TEXT },
        { "services.*.extra_hosts", KEY_TEXT },
        { "services.*.labels", KEY_VALUE },
        { "services.*.links", KEY_VALUE },
        { "services.*.networks.*.aliases", KEY_VALUE },
        { "services.*.networks.*.link_local_ips", KEY_VALUE },
        { "services.*.ports", KEY_PORT },
        { "services.*.profiles", KEY_VALUE },
        { "services.*.secrets", KEY_SECRET },
        { "services.*.sysctls", KEY_VALUE },
        { "services.*.tmpfs", KEY_VALUE },
        { "services.*.volumes", KEY_VOLUME },
};

/* ---- paths ---- */

static void
mpath_push(struct mpath *p, const char *seg)
{
        if (p->depth < MPATH_MAX)
                p->seg[p->depth] = seg;
        p->depth++;
}

static void
mpath_pop(struct mpath *p)
{
        p->depth--;
}

/* mpath_match: whether p has exactly the segments of pattern ("*" matches any one). */
static bool
mpath_match(const struct mpath *p, const char *pattern)
{
        const char *s = pattern;
        size_t i = 0;

        for (;;) {
                const char *dot = strchr(s, '.');
                size_t len = dot ? (size_t)(dot - s) : strlen(s);

                if (i >= p->depth || i >= MPATH_MAX)
                        return false;
                if (!(len == 1 && *s == '*') &&
                    (strlen(p->seg[i]) != len || memcmp(p->seg[i], s, len) != 0))
                        return false;
                i++;
                if (!dot)
                        return i == p->depth;
                s = dot + 1;
        }
}

/* mpath_parse: the caller's path: the top-level key, then the resource name (which may
 * contain dots, as service names can). Returns the buffer the segments point into. */
static char *
mpath_parse(struct mpath *p, const char *path)
{
        char *buf, *dot;

        if (!path || !*path)
                return NULL;
        buf = xstrdup(path);
        dot = strchr(buf, '.');
        if (dot)
                *dot = '\0';
        mpath_push(p, buf);
        if (dot)
                mpath_push(p, dot + 1);
        return buf;
}

static char *
mpath_str(const struct mpath *p)
{
        struct sbuf sb = SBUF_INIT;

        for (size_t i = 0; i < p->depth && i < MPATH_MAX; i++)
                sbuf_addf(&sb, "%s%s", i ? "." : "", p->seg[i]);
        if (p->depth > MPATH_MAX)
                sbuf_adds(&sb, "...");
        return sbuf_detach(&sb);
}

static enum merge_rule
merge_rule_for(const struct mpath *p)
{
        for (size_t i = 0; i < ARRAY_SIZE(merge_rules); i++)
                if (mpath_match(p, merge_rules[i].pattern))
                        return merge_rules[i].rule;
        return RULE_DEFAULT;
}

/* ---- small tree helpers ---- */

static bool
is_reset(const struct node *n)
{
        return n && (n->flags & NODE_F_RESET);
}

/* clone_clean: a copy of n without the entries tagged !reset and without merge tags. */
static struct node *
clone_clean(const struct node *n)
{
        struct node *c = node_new(n->kind, &n->pos);

        c->flags = n->flags & ~(unsigned)(NODE_F_RESET | NODE_F_OVERRIDE);
        if (node_is_scalar(n)) {
                free(c->str);
                c->str = xstrdup(n->str);
        } else if (n->kind == NODE_SEQ) {
                node_foreach_item(it, n)
                        if (!is_reset(it))
                                node_seq_push(c, clone_clean(it));
        } else {
                node_foreach_entry(e, n)
                        if (!is_reset(e->val))
                                node_map_set_at(c, e->key, &e->pos, clone_clean(e->val));
        }
        return c;
}

static void
replace_with_clone(struct node *base, const struct node *ov)
{
        node_replace(base, clone_clean(ov));
}

/* scalar_text: the text a scalar has in a KEY=VALUE string (Go's %v of the YAML value). */
static const char *
scalar_text(const struct node *n)
{
        if (n->kind == NODE_BOOL)
                return (n->str[0] == 't' || n->str[0] == 'T') ? "true" : "false";
        return n->kind == NODE_NULL ? "" : n->str;
}

static int
mismatch(const struct node *base, const struct node *ov, const struct mpath *p, struct err *err)
{
        cleanup_free char *where = mpath_str(p);

        return node_errf(err, ov, -EINVAL, "cannot merge '%s': a %s cannot override a %s",
                         *where ? where : "document", node_kind_name(ov->kind),
                         node_kind_name(base->kind));
}

/* kv_key_len: length of the KEY of a "KEY=VALUE" (or bare "KEY") string. */
static size_t
kv_key_len(const char *s)
{
        const char *eq = strchr(s, '=');

        return eq ? (size_t)(eq - s) : strlen(s);
}

static bool
kv_key_is(const struct node *item, const char *key)
{
        const char *t = node_text(item);

        return t && kv_key_len(t) == strlen(key) && strncmp(t, key, strlen(key)) == 0;
}

/* ---- list-or-map conversions ---- */

static int
cmp_item_text(const void *a, const void *b)
{
        return strcmp((*(struct node *const *)a)->str, (*(struct node *const *)b)->str);
}

static void
push_kv(struct node *seq, const char *key, const struct node *val)
{
        struct node *s = node_new(NODE_STR, &val->pos);

        s->str = val->kind == NODE_NULL ? xstrdup(key) : xasprintf("%s=%s", key, scalar_text(val));
        node_seq_push(seq, s);
}

/* push_kv_entry: the strings of one map entry; NULL when done, else the offending node. */
static const struct node *
push_kv_entry(struct node *seq, const struct node_entry *e)
{
        const struct node *v = e->val;

        if (node_is_scalar(v)) {
                push_kv(seq, e->key, v);
                return NULL;
        }
        if (v->kind != NODE_SEQ)
                return v;
        node_foreach_item(it, v) {
                if (!node_is_scalar(it))
                        return it;
                push_kv(seq, e->key, it);
        }
        return NULL;
}

/* map_to_kv_seq: {K: V} -> sorted ["K=V"]; a null V gives "K", a list V one "K=item" each. */
static int
map_to_kv_seq(struct node *n, const struct mpath *p, struct err *err)
{
        cleanup_node struct node *seq = node_new(NODE_SEQ, &n->pos);

        node_foreach_entry(e, n) {
                const struct node *bad;

                if (is_reset(e->val))
                        continue;
                bad = push_kv_entry(seq, e);
                if (bad) {
                        cleanup_free char *where = mpath_str(p);

                        return node_errf(err, bad, -EINVAL,
                                         "cannot merge '%s': the value of '%s' must be a string, "
                                         "number, boolean or null",
                                         where, e->key);
                }
        }
        if (seq->n > 1)
                qsort(seq->items, seq->n, sizeof(seq->items[0]), cmp_item_text);
        node_replace(n, TAKE_PTR(seq));
        return 0;
}

/* to_seq: turn a list-or-map (or a single string) value into a sequence, in place. */
static int
to_seq(struct node *n, const struct mpath *p, struct err *err)
{
        struct node *seq;

        if (n->kind == NODE_SEQ)
                return 0;
        if (n->kind == NODE_MAP)
                return map_to_kv_seq(n, p, err);
        seq = node_new(NODE_SEQ, &n->pos);
        if (n->kind != NODE_NULL)
                node_seq_push(seq, clone_clean(n));
        node_replace(n, seq);
        return 0;
}

static int
not_names(const struct node *n, const struct mpath *p, struct err *err)
{
        cleanup_free char *where = mpath_str(p);

        return node_errf(err, n, -EINVAL,
                         "cannot merge '%s': expected a list of names or a mapping, not a %s",
                         where, node_kind_name(n->kind));
}

/* to_map: turn a list of names into a mapping (name -> a copy of dflt, or null), in place. */
static int
to_map(struct node *n, const struct node *dflt, const struct mpath *p, struct err *err)
{
        cleanup_node struct node *map = NULL;

        if (n->kind == NODE_MAP)
                return 0;
        if (n->kind != NODE_SEQ && n->kind != NODE_NULL)
                return not_names(n, p, err);
        map = node_new(NODE_MAP, &n->pos);
        for (size_t i = 0; n->kind == NODE_SEQ && i < n->n; i++) {
                const struct node *it = n->items[i];

                if (is_reset(it))
                        continue;
                if (!node_text(it))
                        return not_names(it, p, err);
                node_map_set_at(map, it->str, &it->pos,
                                dflt ? node_clone(dflt) : node_new(NODE_NULL, &it->pos));
        }
        node_replace(n, TAKE_PTR(map));
        return 0;
}

/* ---- merging ---- */

static int merge_value(struct node *base, const struct node *ov, struct mpath *p, struct err *err);

static int
merge_map(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        node_foreach_entry(e, ov) {
                struct node_entry *be;
                int r;

                if (is_reset(e->val)) {
                        node_map_del(base, e->key);
                        continue;
                }
                be = node_map_entry(base, e->key);
                if (!be || is_reset(be->val) || (e->val->flags & NODE_F_OVERRIDE)) {
                        node_map_set_at(base, e->key, &e->pos, clone_clean(e->val));
                        continue;
                }
                mpath_push(p, e->key);
                r = merge_value(be->val, e->val, p, err);
                mpath_pop(p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void
seq_append(struct node *base, const struct node *ov)
{
        node_foreach_item(it, ov)
                if (!is_reset(it))
                        node_seq_push(base, clone_clean(it));
}

/* seq_move: move every item of from to the end of to (from is left empty). */
static void
seq_move(struct node *to, struct node *from)
{
        node_foreach_item(it, from)
                node_seq_push(to, it);
        from->n = 0;
}

static int
cmp_str_p(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* seq_move_new: as seq_move, dropping the entries base already has (extra_hosts). */
static void
seq_move_new(struct node *to, struct node *from)
{
        cleanup_free const char **seen = xcalloc(to->n + 1, sizeof(*seen));
        size_t n = 0;

        node_foreach_item(it, to)
                if (node_text(it))
                        seen[n++] = it->str;
        qsort(seen, n, sizeof(*seen), cmp_str_p);
        node_foreach_item(it, from) {
                const char *t = node_text(it);

                if (t && bsearch(&t, seen, n, sizeof(*seen), cmp_str_p))
                        node_free(it);
                else
                        node_seq_push(to, it);
        }
        from->n = 0;
}

/* drop_reset_keys: `KEY: !reset` in a KEY=VALUE map removes KEY from base in either form. */
static void
drop_reset_keys(struct node *base, const struct node *ov)
{
        if (ov->kind != NODE_MAP)
                return;
        node_foreach_entry(e, ov) {
                if (!is_reset(e->val))
                        continue;
                if (base->kind == NODE_MAP)
                        node_map_del(base, e->key);
                for (size_t i = base->kind == NODE_SEQ ? base->n : 0; i-- > 0;)
                        if (kv_key_is(base->items[i], e->key))
                                node_free(node_seq_take(base, i));
        }
}

static int
merge_to_seq(struct node *base, const struct node *ov, bool skip_known, const struct mpath *p,
             struct err *err)
{
        cleanup_node struct node *o = clone_clean(ov);
        int r;

        drop_reset_keys(base, ov);
        r = to_seq(base, p, err);
        if (r >= 0)
                r = to_seq(o, p, err);
        if (r < 0)
                return r;
        if (skip_known)
                seq_move_new(base, o);
        else
                seq_move(base, o);
        return 0;
}

static int
merge_as_map(struct node *base, const struct node *ov, const struct node *dflt, struct mpath *p,
             struct err *err)
{
        cleanup_node struct node *o = NULL;
        int r = to_map(base, dflt, p, err);

        if (r < 0)
                return r;
        if (ov->kind == NODE_MAP)
                return merge_map(base, ov, p, err);
        o = clone_clean(ov);
        r = to_map(o, dflt, p, err);
        return r < 0 ? r : merge_map(base, o, p, err);
}

/* merge_depends_on: `depends_on: [db]` means db: {condition: service_started, required: true}. */
static int
merge_depends_on(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        cleanup_node struct node *dflt = node_new(NODE_MAP, NULL);

        node_map_set(dflt, "condition", node_new_str("service_started", NULL));
        node_map_set(dflt, "required", node_new_bool(true, NULL));
        return merge_as_map(base, ov, dflt, p, err);
}

/* build_to_map: `build: ./dir` is {context: ./dir}. */
static void
build_to_map(struct node *n)
{
        struct node *m;

        if (n->kind == NODE_MAP)
                return;
        m = node_new(NODE_MAP, &n->pos);
        if (n->kind != NODE_NULL)
                node_map_set(m, "context", clone_clean(n));
        node_replace(n, m);
}

static int
merge_build(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        cleanup_node struct node *o = NULL;

        if (base->kind == NODE_SEQ || ov->kind == NODE_SEQ)
                return mismatch(base, ov, p, err);
        build_to_map(base);
        if (ov->kind == NODE_MAP)
                return merge_map(base, ov, p, err);
        o = clone_clean(ov);
        build_to_map(o);
        return merge_map(base, o, p, err);
}

static int
merge_default(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        if (base->kind == NODE_MAP) {
                if (ov->kind != NODE_MAP)
                        return mismatch(base, ov, p, err);
                return merge_map(base, ov, p, err);
        }
        if (base->kind == NODE_SEQ) {
                if (ov->kind != NODE_SEQ)
                        return mismatch(base, ov, p, err);
                seq_append(base, ov);
                return 0;
        }
        replace_with_clone(base, ov);
        return 0;
}

/* merge_logging: options of another driver mean nothing to this one, so a different driver
 * replaces the whole logging block. */
static int
merge_logging(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        const struct node *bd, *od;

        if (base->kind != NODE_MAP || ov->kind != NODE_MAP)
                return merge_default(base, ov, p, err);
        bd = node_map_get(base, "driver");
        od = node_map_get(ov, "driver");
        if (bd && od && !is_reset(od) && !node_equal(bd, od)) {
                replace_with_clone(base, ov);
                return 0;
        }
        return merge_map(base, ov, p, err);
}

static struct node *
find_subnet(const struct node *configs, const struct node *entry)
{
        const struct node *subnet = entry->kind == NODE_MAP ? node_map_get(entry, "subnet") : NULL;

        if (!subnet || is_reset(subnet))
                return NULL;
        node_foreach_item(it, configs)
                if (it->kind == NODE_MAP && node_equal(node_map_get(it, "subnet"), subnet))
                        return it;
        return NULL;
}

/* merge_ipam_config: an override entry for a subnet base already has is merged into it;
 * other entries are appended. */
static int
merge_ipam_config(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        if (base->kind != NODE_SEQ || ov->kind != NODE_SEQ)
                return merge_default(base, ov, p, err);
        node_foreach_item(it, ov) {
                struct node *same;
                int r;

                if (is_reset(it))
                        continue;
                same = find_subnet(base, it);
                if (!same) {
                        node_seq_push(base, clone_clean(it));
                        continue;
                }
                mpath_push(p, "[]");
                r = merge_map(same, it, p, err);
                mpath_pop(p);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* merge_value: merge ov into the existing value base found at path p. */
static int
merge_value(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        enum merge_rule rule = merge_rule_for(p);

        if (rule == RULE_REPLACE) {
                replace_with_clone(base, ov);
                return 0;
        }
        if (ov->kind == NODE_NULL)
                return 0; /* an empty attribute in a later file changes nothing */
        switch (rule) {
        case RULE_TO_SEQ:
                return merge_to_seq(base, ov, false, p, err);
        case RULE_EXTRA_HOSTS:
                return merge_to_seq(base, ov, true, p, err);
        case RULE_DEPENDS_ON:
                return merge_depends_on(base, ov, p, err);
        case RULE_TO_MAP:
                return merge_as_map(base, ov, NULL, p, err);
        case RULE_LOGGING:
                return merge_logging(base, ov, p, err);
        case RULE_BUILD:
                return merge_build(base, ov, p, err);
        case RULE_IPAM_CONFIG:
                return merge_ipam_config(base, ov, p, err);
        case RULE_DEFAULT:
        case RULE_REPLACE:
                break;
        }
        return merge_default(base, ov, p, err);
}

static int
merge_root(struct node *base, const struct node *ov, struct mpath *p, struct err *err)
{
        if (is_reset(ov)) {
                node_replace(base, node_new(NODE_NULL, &base->pos));
                return 0;
        }
        if (base->kind == NODE_NULL || is_reset(base) || (ov->flags & NODE_F_OVERRIDE)) {
                replace_with_clone(base, ov);
                return 0;
        }
        return merge_value(base, ov, p, err);
}

int
merge_tree(struct node *base, const struct node *override, const char *path, struct err *err)
{
        struct mpath p = { 0 };
        char *buf;
        int r;

        if (!base)
                return err_setf(err, -EINVAL, "cannot merge into nothing");
        if (!override)
                return 0;
        buf = mpath_parse(&p, path); /* p's segments point into buf */
        r = merge_root(base, override, &p, err);
        free(buf);
        return r;
}

/* ---- unicity ---- */

/* volume_target: the container path of a short volume spec, as compose's parser reads it:
 * fields split at ':' except right after a one-letter field (a Windows drive, "C:\x") and
 * inside ${...}; one field is an anonymous volume's target, else the second field is. */
static char *
volume_target(const char *spec)
{
        size_t len = strlen(spec), start = 0, field = 0, depth = 0;

        if (len == 0)
                return NULL;
        if (len <= 2)
                return xstrdup(spec);
        for (size_t i = 0; i <= len; i++) {
                char c = spec[i];

                if (c == '$' && spec[i + 1] == '{') {
                        depth++;
                        i++;
                        continue;
                }
                if (c == '}' && depth) {
                        depth--;
                        continue;
                }
                if ((c != ':' && c != '\0') || depth ||
                    (c == ':' && i - start == 1 && isalpha((unsigned char)spec[start])))
                        continue;
                if (i == start)
                        return NULL; /* empty field: let validation report it */
                if (field == 1 || (field == 0 && c == '\0'))
                        return xstrndup(spec + start, i - start);
                field++;
                start = i + 1;
        }
        return NULL;
}

/* device_target: "/dev/a:/dev/b[:rwm]" -> "/dev/b"; "/dev/a" -> "/dev/a". */
static char *
device_target(const char *spec)
{
        const char *c1 = strchr(spec, ':'), *c2;

        if (!c1)
                return xstrdup(spec);
        c2 = strchr(c1 + 1, ':');
        return c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
}

static char *
port_key_fields(const char *host, size_t hlen, const char *pub, size_t plen, const char *target,
                size_t tlen, const char *proto)
{
        if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
                host++;
                hlen -= 2;
        }
        return xasprintf("%.*s|%.*s|%.*s|%s", (int)hlen, host, (int)plen, pub, (int)tlen, target,
                         *proto ? proto : "tcp");
}

/* port_key_short: "[host_ip:][published:]target[/protocol]" -> its unique key. */
static char *
port_key_short(const char *spec)
{
        const char *slash = strrchr(spec, '/');
        size_t len = slash ? (size_t)(slash - spec) : strlen(spec);
        const char *proto = slash ? slash + 1 : "tcp";
        const char *c2 = memrchr(spec, ':', len), *c1;

        if (!c2)
                return port_key_fields("", 0, "", 0, spec, len, proto);
        c1 = memrchr(spec, ':', (size_t)(c2 - spec));
        if (!c1)
                return port_key_fields("", 0, spec, (size_t)(c2 - spec), c2 + 1,
                                       len - (size_t)(c2 + 1 - spec), proto);
        return port_key_fields(spec, (size_t)(c1 - spec), c1 + 1, (size_t)(c2 - c1 - 1), c2 + 1,
                               len - (size_t)(c2 + 1 - spec), proto);
}

static char *
port_key(const struct node *n)
{
        const char *host, *pub, *target, *proto;

        if (n->kind != NODE_MAP)
                return node_text(n) ? port_key_short(n->str) : NULL;
        target = node_map_str(n, "target");
        if (!target)
                return NULL;
        host = node_map_str(n, "host_ip");
        pub = node_map_str(n, "published");
        proto = node_map_str(n, "protocol");
        host = host ? host : "";
        pub = pub ? pub : "";
        return port_key_fields(host, strlen(host), pub, strlen(pub), target, strlen(target),
                               proto ? proto : "tcp");
}

/* mount_key: secrets and configs: the target, relative ones (and the default, the source
 * name) under dir. */
static char *
mount_key(const struct node *n, const char *dir)
{
        const char *t = node_text(n);

        if (n->kind == NODE_MAP) {
                t = node_map_str(n, "target");
                if (t && t[0] == '/')
                        return xstrdup(t);
                if (!t)
                        t = node_map_str(n, "source");
        }
        return t ? xasprintf("%s/%s", dir, t) : NULL;
}

static char *
map_key_or(const struct node *n, const char *field, char *(*parse)(const char *))
{
        const char *t;

        if (n->kind == NODE_MAP) {
                t = node_map_str(n, field);
                return t ? xstrdup(t) : NULL;
        }
        t = node_text(n);
        if (!t)
                return NULL;
        return parse ? parse(t) : xstrdup(t);
}

/* unique_key_of: the key an entry is unique by, owned, or NULL when there is none. */
static char *
unique_key_of(const struct node *n, enum unique_key kind)
{
        const char *t = node_text(n);

        switch (kind) {
        case KEY_VALUE:
                return t ? xstrndup(t, kv_key_len(t)) : NULL;
        case KEY_TEXT:
                return t ? xstrdup(t) : NULL;
        case KEY_VOLUME:
                return map_key_or(n, "target", volume_target);
        case KEY_DEVICE:
                return map_key_or(n, "target", device_target);
        case KEY_ENV_FILE:
                return map_key_or(n, "path", NULL);
        case KEY_SECRET:
                return mount_key(n, "/run/secrets");
        case KEY_CONFIG:
                return mount_key(n, "");
        case KEY_PORT:
                return port_key(n);
        }
        return NULL;
}

struct keyed {
        char *key;
        size_t idx;
};

static int
cmp_keyed(const void *a, const void *b)
{
        const struct keyed *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        if (c)
                return c;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* seq_dedup: keep one entry per key: the last one, at the first one's position. Sorting
 * (key, index) pairs keeps this O(n log n) however long the list is. */
static void
seq_dedup(struct node *seq, enum unique_key kind)
{
        cleanup_free struct keyed *ks = xcalloc(seq->n + 1, sizeof(*ks));
        cleanup_free struct node **out = xcalloc(seq->n + 1, sizeof(*out));
        size_t m = 0, j = 0;

        for (size_t i = 0; i < seq->n; i++) {
                out[i] = seq->items[i];
                ks[m].key = is_reset(seq->items[i]) ? NULL : unique_key_of(seq->items[i], kind);
                ks[m].idx = i;
                if (ks[m].key)
                        m++;
        }
        qsort(ks, m, sizeof(*ks), cmp_keyed);
        for (size_t g = 0; g < m;) {
                size_t end = g;

                while (end + 1 < m && strcmp(ks[end + 1].key, ks[g].key) == 0)
                        end++;
                for (size_t k = g; k < end; k++) {
                        node_free(seq->items[ks[k].idx]);
                        out[ks[k + 1].idx] = NULL;
                }
                out[ks[g].idx] = seq->items[ks[end].idx];
                g = end + 1;
        }
        for (size_t i = 0; i < m; i++)
                free(ks[i].key);
        for (size_t i = 0; i < seq->n; i++)
                if (out[i])
                        seq->items[j++] = out[i];
        seq->n = j;
}

static void
unique_walk(struct node *n, struct mpath *p)
{
        if (n->kind == NODE_MAP) {
                node_foreach_entry(e, n) {
                        mpath_push(p, e->key);
                        unique_walk(e->val, p);
                        mpath_pop(p);
                }
                return;
        }
        if (n->kind != NODE_SEQ)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(unique_rules); i++) {
                if (mpath_match(p, unique_rules[i].pattern)) {
                        seq_dedup(n, unique_rules[i].key);
                        return;
                }
        }
}

int
merge_enforce_unicity(struct node *doc, struct err *err)
{
        struct mpath p = { 0 };

        (void)err; /* entries without a computable key are kept for validation to report */
        if (doc)
                unique_walk(doc, &p);
        return 0;
}

/* ---- tags ---- */

void
merge_strip_tags(struct node *doc)
{
        struct node *n = doc;
        size_t j = 0;

        if (!n)
                return;
        n->flags &= ~(unsigned)(NODE_F_RESET | NODE_F_OVERRIDE);
        if (n->kind == NODE_SEQ) {
                for (size_t i = 0; i < n->n; i++) {
                        if (is_reset(n->items[i])) {
                                node_free(n->items[i]);
                                continue;
                        }
                        merge_strip_tags(n->items[i]);
                        n->items[j++] = n->items[i];
                }
                n->n = j;
        } else if (n->kind == NODE_MAP) {
                for (size_t i = 0; i < n->n; i++) {
                        if (is_reset(n->entries[i].val)) {
                                free(n->entries[i].key);
                                node_free(n->entries[i].val);
                                continue;
                        }
                        merge_strip_tags(n->entries[i].val);
                        n->entries[j++] = n->entries[i];
                }
                n->n = j;
        }
}
