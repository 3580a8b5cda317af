/* transform_short: compose-go's transform.Canonical rules, one hook per attribute.
 *
 * Each hook turns the short syntax of one attribute into its long syntax and leaves the
 * long syntax alone (build: DIR -> {context: DIR}, depends_on: [a] -> {a: {condition:
 * service_started, required: true}}, secrets: [s] -> [{source: s}], external: {name: n}
 * -> name: n + external: true, ...). Decoding of the values is the type's business.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "spec/transform_internal.h"

/* wrap: replace scalar n by {key: <n's text>}. */
static void
wrap(struct node *n, const char *key)
{
        cleanup_free char *text = transform_text(n);
        struct node *map = node_new(NODE_MAP, &n->pos);

        node_map_set(map, key, node_new_str(text ? text : "", &n->pos));
        node_replace(n, map);
}

static int
bad_type(struct walk *w, const struct node *n, const char *what)
{
        return transform_errf(w, n, "invalid type %s for %s", node_kind_name(n->kind), what);
}

int
transform_hook_build(struct walk *w, struct node *n)
{
        if (n->kind == NODE_STR)
                wrap(n, "context");
        else if (n->kind != NODE_MAP && n->kind != NODE_NULL)
                return bad_type(w, n, "build");
        return 0;
}

int
transform_hook_file_ref(struct walk *w, struct node *n)
{
        if (n->kind == NODE_STR)
                wrap(n, "source");
        else if (n->kind != NODE_MAP)
                return bad_type(w, n, "a secret or config reference");
        return 0;
}

int
transform_hook_extends(struct walk *w, struct node *n)
{
        if (n->kind == NODE_STR)
                wrap(n, "service");
        else if (n->kind != NODE_MAP && n->kind != NODE_NULL)
                return bad_type(w, n, "extends");
        return 0;
}

int
transform_hook_include(struct walk *w, struct node *n)
{
        if (n->kind == NODE_STR)
                wrap(n, "path");
        else if (n->kind != NODE_MAP)
                return bad_type(w, n, "include");
        return 0;
}

/* transform_hook_key_value: additional_contexts as a list must be KEY=VALUE items. */
int
transform_hook_key_value(struct walk *w, struct node *n)
{
        cleanup_node struct node *map = NULL;

        if (n->kind != NODE_SEQ)
                return 0;
        map = node_new(NODE_MAP, &n->pos);
        for (size_t i = 0; i < n->n; i++) {
                cleanup_free char *text = transform_text(n->items[i]);
                char *eq = text ? strchr(text, '=') : NULL;

                if (!eq)
                        return transform_item_errf(w, i, n->items[i],
                                                   "invalid value %s, expected key=value",
                                                   text ? text : node_kind_name(n->items[i]->kind));
                *eq = '\0';
                node_map_set_at(map, text, &n->items[i]->pos,
                                node_new_str(eq + 1, &n->items[i]->pos));
        }
        node_replace(n, TAKE_PTR(map));
        return 0;
}

static struct node *
dependency(const struct node_pos *pos)
{
        struct node *d = node_new(NODE_MAP, pos);

        node_map_set(d, "condition", node_new_str("service_started", pos));
        node_map_set(d, "required", node_new_bool(true, pos));
        return d;
}

int
transform_hook_depends_on(struct walk *w, struct node *n)
{
        cleanup_node struct node *map = NULL;

        if (n->kind == NODE_MAP) {
                node_foreach_entry(e, n) {
                        if (e->val->kind != NODE_MAP)
                                return transform_errf(w, e->val,
                                                      "%s: unsupported value, expected a "
                                                      "mapping",
                                                      e->key);
                        if (!node_map_get(e->val, "condition"))
                                node_map_set(e->val, "condition",
                                             node_new_str("service_started", &e->val->pos));
                        if (!node_map_get(e->val, "required"))
                                node_map_set(e->val, "required", node_new_bool(true, &e->val->pos));
                }
                return 0;
        }
        if (n->kind != NODE_SEQ)
                return n->kind == NODE_NULL ? 0 : bad_type(w, n, "depends_on");
        map = node_new(NODE_MAP, &n->pos);
        for (size_t i = 0; i < n->n; i++) {
                const struct node *it = n->items[i];

                if (it->kind != NODE_STR)
                        return transform_item_errf(w, i, it,
                                                   "invalid type %s for a depends_on entry",
                                                   node_kind_name(it->kind));
                node_map_set_at(map, it->str, &it->pos, dependency(&it->pos));
        }
        node_replace(n, TAKE_PTR(map));
        return 0;
}

/* transform_hook_env_file: a path (or list of paths) -> [{path}]; required defaults to true, which
 * is how compose prints it: absent. */
int
transform_hook_env_file(struct walk *w, struct node *n)
{
        struct node *seq;

        if (n->kind == NODE_STR) {
                seq = node_new(NODE_SEQ, &n->pos);
                node_seq_push(seq, node_clone(n));
                node_replace(n, seq);
        }
        if (n->kind == NODE_NULL)
                return 0;
        if (n->kind != NODE_SEQ)
                return bad_type(w, n, "env_file");
        for (size_t i = 0; i < n->n; i++) {
                if (n->items[i]->kind == NODE_STR)
                        wrap(n->items[i], "path");
                else if (n->items[i]->kind != NODE_MAP)
                        return transform_item_errf(w, i, n->items[i],
                                                   "invalid type %s for an env_file "
                                                   "entry",
                                                   node_kind_name(n->items[i]->kind));
        }
        return 0;
}

/* transform_hook_gpus: `gpus: all` -> [{count: all}]. */
int
transform_hook_gpus(struct walk *w, struct node *n)
{
        struct node *seq, *req;

        if (n->kind == NODE_SEQ || n->kind == NODE_NULL)
                return 0;
        if (n->kind != NODE_STR)
                return bad_type(w, n, "gpus");
        seq = node_new(NODE_SEQ, &n->pos);
        req = node_new(NODE_MAP, &n->pos);
        node_map_set(req, "count", node_new_str("all", &n->pos));
        node_seq_push(seq, req);
        node_replace(n, seq);
        return 0;
}

/* transform_hook_list_to_map: networks/models as a list of names -> {name: null}. */
int
transform_hook_list_to_map(struct walk *w, struct node *n)
{
        cleanup_node struct node *map = NULL;

        if (n->kind != NODE_SEQ)
                return 0;
        map = node_new(NODE_MAP, &n->pos);
        for (size_t i = 0; i < n->n; i++) {
                cleanup_free char *name = transform_text(n->items[i]);

                if (!name)
                        return transform_item_errf(w, i, n->items[i], "invalid type %s for a name",
                                                   node_kind_name(n->items[i]->kind));
                node_map_set_at(map, name, &n->items[i]->pos,
                                node_new(NODE_NULL, &n->items[i]->pos));
        }
        node_replace(n, TAKE_PTR(map));
        return 0;
}

/* transform_hook_device: "src[:dst[:perms]]" -> {source, target, permissions}. */
int
transform_hook_device(struct walk *w, struct node *n)
{
        cleanup_strv char **parts = NULL;
        struct node *map;
        size_t count;

        if (n->kind != NODE_STR)
                return n->kind == NODE_MAP ? 0 : bad_type(w, n, "a device");
        parts = strv_split(n->str, ":");
        count = strv_length(parts);
        if (count < 1 || count > 3)
                return transform_errf(w, n, "confusing device mapping, please use long syntax: %s",
                                      n->str);
        map = node_new(NODE_MAP, &n->pos);
        node_map_set(map, "source", node_new_str(parts[0], &n->pos));
        node_map_set(map, "target",
                     node_new_str(count > 1 && *parts[1] ? parts[1] : parts[0], &n->pos));
        node_map_set(map, "permissions", node_new_str(count > 2 ? parts[2] : "rwm", &n->pos));
        node_replace(n, map);
        return 0;
}

/* ssh_key: one SSH key in compose's printed form: "default" or "id: path". */
static struct node *
ssh_key(const char *id, const char *path, const struct node_pos *pos)
{
        cleanup_free char *text = path ? xasprintf("%s: %s", id, path) : xstrdup(id);

        return node_new_str(text, pos);
}

/* transform_hook_ssh: ["default", "id=path"] or {default: null, id: path} -> ["default", "id:
 * path"], the list compose-go's SSHConfig prints (its SSHKey marshals as "id: path"). */
int
transform_hook_ssh(struct walk *w, struct node *n)
{
        cleanup_node struct node *out = NULL;

        if (n->kind != NODE_SEQ && n->kind != NODE_MAP)
                return n->kind == NODE_NULL ? 0 : bad_type(w, n, "ssh");
        out = node_new(NODE_SEQ, &n->pos);
        for (size_t i = 0; n->kind == NODE_MAP && i < n->n; i++) {
                const struct node_entry *e = &n->entries[i];
                cleanup_free char *path = e->val->kind == NODE_NULL ? NULL : transform_text(e->val);

                if (e->val->kind != NODE_NULL && !path)
                        return transform_errf(w, e->val, "%s: invalid ssh key path", e->key);
                node_seq_push(out, ssh_key(e->key, path, &e->pos));
        }
        for (size_t i = 0; n->kind == NODE_SEQ && i < n->n; i++) {
                const struct node *it = n->items[i];
                const char *colon = it->kind == NODE_STR ? strstr(it->str, ": ") : NULL;
                const char *eq = it->kind == NODE_STR ? strchr(it->str, '=') : NULL;
                cleanup_free char *id = NULL;

                if (it->kind != NODE_STR)
                        return transform_item_errf(w, i, it, "invalid ssh key type %s",
                                                   node_kind_name(it->kind));
                /* "id=path" as written, or "id: path" as printed (a second pass) */
                if (colon && (!eq || eq > colon))
                        eq = colon;
                if (!eq && strcmp(it->str, "default") != 0)
                        return transform_item_errf(w, i, it, "invalid ssh key \"%s\"", it->str);
                id = eq ? xstrndup(it->str, (size_t)(eq - it->str)) : xstrdup(it->str);
                node_seq_push(out, ssh_key(id, eq ? eq + (eq == colon ? 2 : 1) : NULL, &it->pos));
        }
        node_replace(n, TAKE_PTR(out));
        return 0;
}

/* transform_hook_external: the deprecated `external: {name: x}` of networks, volumes, secrets and
 * configs becomes `name: x` + `external: true`. */
int
transform_hook_external(struct walk *w, struct node *n)
{
        struct node *ext, *extname, *name;
        cleanup_free char *a = NULL, *b = NULL;

        if (n->kind == NODE_NULL)
                return 0;
        if (n->kind != NODE_MAP)
                return transform_errf(w, n, "must be a mapping, not a %s", node_kind_name(n->kind));
        ext = node_map_get(n, "external");
        if (!ext || ext->kind != NODE_MAP)
                return 0;
        extname = node_map_get(ext, "name");
        name = node_map_get(n, "name");
        if (extname && name) {
                a = transform_text(extname);
                b = transform_text(name);
                if (!a || !b || strcmp(a, b) != 0)
                        return transform_errf(w, n,
                                              "name and external.name conflict; only use name");
        } else if (extname) {
                node_map_set(n, "name", node_clone(extname));
        }
        node_replace(ext, node_new_bool(true, &ext->pos));
        return 0;
}
