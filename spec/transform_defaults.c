/* transform_defaults: compose-go's transform.SetDefaultValues, plus the parts of
 * loader.Normalize that need neither paths nor the environment (build dockerfile, volume
 * targets, pull_policy spelling). Runs on a canonical model.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "spec/transform.h"
#include "spec/transform_internal.h"

static void
set_default(struct node *map, const char *key, struct node *val)
{
        if (node_map_get(map, key))
                node_free(val);
        else
                node_map_set(map, key, val);
}

static void
build_defaults(struct node *build)
{
        if (!build || build->kind != NODE_MAP)
                return;
        set_default(build, "context", node_new_str(".", &build->pos));
        if (!node_map_get(build, "dockerfile_inline"))
                set_default(build, "dockerfile", node_new_str("Dockerfile", &build->pos));
}

static void
secret_defaults(struct node *secret)
{
        const char *source = node_map_str(secret, "source");
        cleanup_free char *target = NULL;

        if (!source || node_map_get(secret, "target"))
                return;
        target = xasprintf("/run/secrets/%s", source);
        node_map_set(secret, "target", node_new_str(target, &secret->pos));
}

static void
port_defaults(struct node *port)
{
        set_default(port, "protocol", node_new_str("tcp", &port->pos));
        set_default(port, "mode", node_new_str("ingress", &port->pos));
}

/* device_request_defaults: no count and no device_ids means all devices (-1). */
static void
device_request_defaults(struct node *req)
{
        if (!node_map_get(req, "device_ids"))
                set_default(req, "count", node_new_int(-1, &req->pos));
}

static void
volume_defaults(struct node *vol)
{
        struct node *target = node_map_get(vol, "target");
        cleanup_free char *clean = NULL;

        /* bind.create_host_path defaults to true, which compose prints by omitting it */
        if (!target || target->kind != NODE_STR || !*target->str)
                return;
        clean = path_clean(target->str);
        node_set_str(target, clean);
}

static void
each_map_item(struct node *seq, void (*fn)(struct node *))
{
        if (!seq || seq->kind != NODE_SEQ)
                return;
        for (size_t i = 0; i < seq->n; i++)
                if (seq->items[i]->kind == NODE_MAP)
                        fn(seq->items[i]);
}

static void
service_defaults(struct node *svc)
{
        struct node *deploy = node_map_get(svc, "deploy");
        struct node *res = deploy ? node_map_get(deploy, "resources") : NULL;
        struct node *resv = res ? node_map_get(res, "reservations") : NULL;
        const char *pull = node_map_str(svc, "pull_policy");

        build_defaults(node_map_get(svc, "build"));
        each_map_item(node_map_get(svc, "secrets"), secret_defaults);
        each_map_item(node_map_get(svc, "ports"), port_defaults);
        each_map_item(node_map_get(svc, "gpus"), device_request_defaults);
        each_map_item(resv ? node_map_get(resv, "devices") : NULL, device_request_defaults);
        each_map_item(node_map_get(svc, "volumes"), volume_defaults);
        if (pull && strcmp(pull, "if_not_present") == 0)
                node_set_str(node_map_get(svc, "pull_policy"), "missing");
}

int
transform_defaults(struct node *project, struct err *err)
{
        struct node *services;

        if (!project || project->kind != NODE_MAP)
                return node_errf(err, project, -EINVAL, "top-level object must be a mapping");
        services = node_map_get(project, "services");
        if (services && services->kind == NODE_MAP)
                node_foreach_entry(e, services)
                        if (e->val->kind == NODE_MAP)
                                service_defaults(e->val);
        return 0;
}
