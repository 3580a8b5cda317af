/* Profiles (compose-spec "Using profiles with Compose"): a service with `profiles` runs only
 * when one of them is active; `*` activates all; naming a service on the command line
 * activates its profiles. Disabled services leave the model (kept aside for --profiles). */
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "spec/loader.h"

static void
profile_names(const struct node *svc, char ***out)
{
        const struct node *pr = node_map_get(svc, "profiles");

        if (!pr || pr->kind != NODE_SEQ)
                return;
        node_foreach_item(p, pr)
                if (node_text(p))
                        strv_add(out, p->str);
}

static bool
service_enabled(const struct node *svc, char *const *active)
{
        cleanup_strv char **mine = NULL;

        profile_names(svc, &mine);
        if (!mine || strv_contains(active, "*"))
                return true;
        strv_foreach(p, mine)
                if (strv_contains(active, p))
                        return true;
        return false;
}

int
profiles_apply(struct loader *ld, struct node *model, struct err *err)
{
        struct node *svcs = node_map_get(model, "services");
        char ***active = &ld->p->profiles;

        (void)err;
        ld->p->disabled = node_new(NODE_MAP, NULL);
        if (!svcs || svcs->kind != NODE_MAP)
                return 0;
        strv_foreach(name, ld->opts->services) {
                const struct node *svc = node_map_get(svcs, name);
                cleanup_strv char **mine = NULL;

                profile_names(svc, &mine);
                strv_foreach(p, mine)
                        if (!strv_contains(*active, p))
                                strv_add(active, p);
        }
        for (size_t i = svcs->n; i-- > 0;) {
                struct node_entry *e = &svcs->entries[i];
                cleanup_free char *key = NULL;

                if (service_enabled(e->val, *active))
                        continue;
                key = xstrdup(e->key);
                node_map_set(ld->p->disabled, key, node_map_take(svcs, key));
        }
        return 0;
}
