/* stack_resources: a project's networks and volumes, created before its containers and
 * removed after them, as compose does. Ownership is by label (com.docker.compose.project and
 * .network/.volume): `down` removes only what the project made, never an external one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "compose/network_int.h"
#include "compose/progress.h"
#include "compose/stack.h"
#include "engine/jsonx.h"
#include "engine/volume.h"

static bool
flag_of(const struct node *n, const char *key)
{
        struct node *v = node_map_get(n, key);
        struct err e = { 0 };
        bool b = false;

        if (v)
                node_get_bool(v, &b, &e);
        return b;
}

static void
labels_into(json_object *labels, const struct node *n)
{
        struct node *l = node_map_get(n, "labels");

        if (l && l->kind == NODE_MAP)
                node_foreach_entry(e, l)
                        json_object_object_add(labels, e->key,
                                               json_object_new_string(node_text(e->val) ? node_text(e->val) : ""));
}

static int
ipam_into(struct network_create_opts *o, const struct node *net, struct err *err)
{
        struct node *cfg = node_map_get(node_map_get(net, "ipam"), "config");
        struct node *first, *aux;

        if (!cfg || cfg->kind != NODE_SEQ || cfg->n == 0)
                return 0;
        if (cfg->n > 1)
                return node_errf(err, cfg, -ENOTSUP, "more than one ipam.config entry is not "
                                 "supported yet");
        first = cfg->items[0];
        o->subnet = node_map_str(first, "subnet");
        o->gateway = node_map_str(first, "gateway");
        o->ip_range = node_map_str(first, "ip_range");
        aux = node_map_get(first, "aux_addresses");
        if (aux && aux->kind == NODE_MAP)
                node_foreach_entry(e, aux)
                        strv_push(&o->aux, xasprintf("%s=%s", e->key, node_text(e->val) ? node_text(e->val) : ""));
        return 0;
}

static int
network_make(struct stack *s, const char *key, const struct node *net, const char *name,
             struct err *err)
{
        struct network_create_opts o = { .internal = flag_of(net, "internal") };
        const char *driver = node_map_str(net, "driver");
        struct node *dopts = node_map_get(net, "driver_opts");
        int r;

        if (driver && strcmp(driver, "bridge") != 0)
                return node_errf(err, net, -ENOTSUP, "network %s: driver '%s' is not supported "
                                 "(only bridge)", key, driver);
        if (flag_of(net, "enable_ipv6"))
                return node_errf(err, net, -ENOTSUP, "network %s: IPv6 is not supported yet", key);
        o.labels = json_object_new_object();
        o.options = json_object_new_object();
        labels_into(o.labels, net);
        jsonx_add_str(o.labels, STACK_LABEL_PROJECT, s->name);
        jsonx_add_str(o.labels, STACK_LABEL_NETWORK, key);
        jsonx_add_str(o.labels, STACK_LABEL_VERSION, cli_version());
        if (dopts && dopts->kind == NODE_MAP)
                node_foreach_entry(e, dopts)
                        jsonx_add_str(o.options, e->key, node_text(e->val) ? node_text(e->val) : "");
        r = ipam_into(&o, net, err);
        if (r == 0)
                r = network_create(s->g, name, &o, NULL, err);
        json_object_put(o.labels);
        json_object_put(o.options);
        strv_free(o.aux);
        return r;
}

static int
network_up(struct stack *s, const char *key, const struct node *net, struct progress *pg,
           struct err *err)
{
        const char *name = node_map_str(net, "name") ? node_map_str(net, "name") : key;
        cleanup_free char *id = xasprintf("Network %s", name);
        json_object *labels = NULL;
        struct err e = { 0 };
        int r = network_labels(s->g, name, &labels, &e);

        if (r == 0) {
                const char *owner = jsonx_str(labels, STACK_LABEL_PROJECT);
                if (!flag_of(net, "external") && (!owner || strcmp(owner, s->name) != 0))
                        log_warn(&s->g->log, "a network with name %s exists but was not created "
                                 "for project \"%s\". Set `external: true` to use an existing "
                                 "network", name, s->name);
                json_object_put(labels);
                return 0;
        }
        if (r != -ENOENT) {
                *err = e;
                return r;
        }
        if (flag_of(net, "external"))
                return err_setf(err, -ENOENT, "network %s declared as external, but could not "
                                "be found", name);
        progress_event(pg, id, "Creating");
        r = network_make(s, key, net, name, err);
        progress_event(pg, id, r < 0 ? "Error" : "Created");
        return r < 0 ? err_prefix(err, "create network %s", name) : 0;
}

int
stack_resources_up(struct stack *s, struct progress *pg, struct err *err)
{
        struct node *nets = node_map_get(s->p->model, "networks");
        int r = 0;

        if (nets && nets->kind == NODE_MAP)
                node_foreach_entry(e, nets) {
                        r = network_up(s, e->key, e->val, pg, err);
                        if (r < 0)
                                return r;
                }
        return stack_volumes_up(s, pg, err);
}

/* project_networks: the networks labelled as this project's. */
static int
project_networks(struct stack *s, char ***ret, struct err *err)
{
        cleanup_strv char **all = NULL;
        int r = network_list(s->g, &all, err);

        *ret = NULL;
        if (r < 0)
                return r;
        strv_foreach(n, all) {
                json_object *labels = NULL;
                struct err e = { 0 };
                const char *owner;
                if (network_labels(s->g, n, &labels, &e) < 0)
                        continue;
                owner = jsonx_str(labels, STACK_LABEL_PROJECT);
                if (owner && strcmp(owner, s->name) == 0)
                        strv_add(ret, n);
                json_object_put(labels);
        }
        return 0;
}

int
stack_networks_down(struct stack *s, struct progress *pg, int *ret_removed, struct err *err)
{
        cleanup_strv char **names = NULL;
        int r = project_networks(s, &names, err), first = 0;

        *ret_removed = 0;
        if (r < 0)
                return r;
        strv_foreach(n, names) {
                cleanup_free char *id = xasprintf("Network %s", n);
                progress_event(pg, id, "Removing");
                r = network_remove(s->g, n, err);
                progress_event(pg, id, r < 0 ? "Error" : "Removed");
                if (r < 0 && !first)
                        first = r;
                *ret_removed += r == 0;
        }
        return first;
}

/* ---- volumes ------------------------------------------------------------------------------ */

static void
kv_of(char ***out, const struct node *map)
{
        if (map && map->kind == NODE_MAP)
                node_foreach_entry(e, map)
                        strv_push(out, xasprintf("%s=%s", e->key,
                                                 node_text(e->val) ? node_text(e->val) : ""));
}

static int
volume_up(struct stack *s, const char *key, const struct node *vol, struct progress *pg,
          struct err *err)
{
        const char *name = node_map_str(vol, "name") ? node_map_str(vol, "name") : key;
        const char *driver = node_map_str(vol, "driver");
        cleanup_free char *id = xasprintf("Volume \"%s\"", name);
        cleanup_strv char **labels = NULL;
        cleanup_strv char **opts = NULL;
        json_object *have = NULL;
        struct err e = { 0 };
        int created = 0, r;

        if (vol_inspect(s->g->root, name, &have, &e) == 0) {
                json_object_put(have);
                return 0;
        }
        if (flag_of(vol, "external"))
                return err_setf(err, -ENOENT, "external volume \"%s\" not found", name);
        if (driver && strcmp(driver, "local") != 0)
                return node_errf(err, vol, -ENOTSUP, "volume %s: driver '%s' is not supported "
                                 "(only local)", key, driver);
        kv_of(&labels, node_map_get(vol, "labels"));
        strv_push(&labels, xasprintf(STACK_LABEL_PROJECT "=%s", s->name));
        strv_push(&labels, xasprintf(STACK_LABEL_VOLUME "=%s", key));
        strv_push(&labels, xasprintf(STACK_LABEL_VERSION "=%s", cli_version()));
        kv_of(&opts, node_map_get(vol, "driver_opts"));
        progress_event(pg, id, "Creating");
        r = vol_create(s->g->root, name, labels, opts, &created, err);
        progress_event(pg, id, r < 0 ? "Error" : "Created");
        return r < 0 ? err_prefix(err, "create volume %s", name) : 0;
}

int
stack_volumes_up(struct stack *s, struct progress *pg, struct err *err)
{
        struct node *vols = node_map_get(s->p->model, "volumes");

        if (vols && vols->kind == NODE_MAP)
                node_foreach_entry(e, vols) {
                        int r = volume_up(s, e->key, e->val, pg, err);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* stack_volumes_down: the named volumes labelled as this project's (down -v). */
int
stack_volumes_down(struct stack *s, struct progress *pg, struct err *err)
{
        cleanup_strv char **all = NULL;
        int r = vol_list(s->g->root, &all, err), first = 0;

        if (r < 0)
                return r;
        strv_foreach(n, all) {
                json_object *v = NULL;
                struct err e = { 0 };
                const char *owner;
                cleanup_free char *id = NULL;
                if (vol_inspect(s->g->root, n, &v, &e) < 0)
                        continue;
                owner = jsonx_str(jsonx_get(v, "Labels"), STACK_LABEL_PROJECT);
                if (owner && strcmp(owner, s->name) == 0) {
                        id = xasprintf("Volume %s", n);
                        progress_event(pg, id, "Removing");
                        r = vol_remove(s->g->root, n, 0, err);
                        progress_event(pg, id, r < 0 ? "Error" : "Removed");
                        if (r < 0 && !first)
                                first = r;
                }
                json_object_put(v);
        }
        return first;
}
