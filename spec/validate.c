/* Consistency of a compose model, as compose-go's loader/validate.go and graph checks:
 * references to services, networks, volumes, secrets and configs must exist, dependency
 * cycles are refused with the cycle printed, and mutually exclusive keys are caught. Errors
 * carry file:line:col of the offending node. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "spec/loader.h"

/* ---- checks on the raw merged model ---- */

static int
raw_resource(const char *kind, const struct node_entry *e, struct err *err)
{
        const struct node *ext = node_map_get(e->val, "external");
        const char *ext_name = node_map_str(ext, "name");
        const char *name = node_map_str(e->val, "name");
        bool external = ext && (ext->kind == NODE_MAP ||
                                (ext->kind == NODE_BOOL && strcmp(ext->str, "true") == 0));

        if (ext_name && name && strcmp(ext_name, name) != 0)
                return node_errf(err, ext, -EINVAL,
                                 "%s.%s: name and external.name conflict; only use name", kind,
                                 e->key);
        if (external && strcmp(kind, "volumes") == 0 && node_map_get(e->val, "driver"))
                return node_errf(
                        err, ext, -EINVAL,
                        "%s.%s: conflicting parameters \"external\" and \"driver\" specified", kind,
                        e->key);
        return 0;
}

static int
raw_scale(const struct node_entry *e, struct err *err)
{
        const struct node *scale = node_map_get(e->val, "scale");
        const struct node *replicas = node_map_get(node_map_get(e->val, "deploy"), "replicas");
        long long s, n;

        if (!scale || node_get_int(scale, &s, NULL) < 0)
                return 0;
        if (s < 0)
                return node_errf(err, scale, -EINVAL,
                                 "services.%s.scale: must be greater than or equal to 0", e->key);
        if (replicas && node_get_int(replicas, &n, NULL) == 0 && n != s)
                return node_errf(
                        err, scale, -EINVAL,
                        "services.%s: can't set distinct values on 'scale' and 'deploy.replicas'",
                        e->key);
        return 0;
}

int
validate_raw(struct node *model, struct err *err)
{
        static const char *const kinds[] = { "networks", "volumes", "secrets", "configs" };
        const struct node *svcs = node_map_get(model, "services");
        int r;

        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
                const struct node *res = node_map_get(model, kinds[k]);

                if (!res || res->kind != NODE_MAP)
                        continue;
                node_foreach_entry(e, res)
                        if ((r = raw_resource(kinds[k], e, err)) < 0)
                                return r;
        }
        if (svcs && svcs->kind == NODE_MAP)
                node_foreach_entry(e, svcs)
                        if ((r = raw_scale(e, err)) < 0)
                                return r;
        return 0;
}

/* ---- checks on the canonical model ---- */

static int
check_build(const char *name, const struct node *svc, struct err *err)
{
        const struct node *build = node_map_get(svc, "build");

        if (!build && !node_map_get(svc, "image"))
                return node_errf(
                        err, svc, -EINVAL,
                        "service \"%s\" has neither an image nor a build context specified", name);
        if (build && node_map_get(build, "dockerfile") && node_map_get(build, "dockerfile_inline"))
                return node_errf(
                        err, build, -EINVAL,
                        "service \"%s\" declares mutualy exclusive dockerfile and dockerfile_inline",
                        name);
        return 0;
}

static int
check_healthcheck(const char *name, const struct node *svc, struct err *err)
{
        const struct node *test = node_map_get(node_map_get(svc, "healthcheck"), "test");
        const char *first;

        if (!test || test->kind != NODE_SEQ || test->n == 0)
                return 0;
        first = node_text(test->items[0]);
        if (first && (strcmp(first, "CMD") == 0 || strcmp(first, "CMD-SHELL") == 0 ||
                      strcmp(first, "NONE") == 0))
                return 0;
        return node_errf(
                err, test, -EINVAL,
                "service \"%s\": healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"",
                name);
}

static int
check_depends(struct loader *ld, const char *name, struct node *svc, const struct node *svcs,
              struct err *err)
{
        struct node *deps = node_map_get(svc, "depends_on");

        if (!deps || deps->kind != NODE_MAP)
                return 0;
        for (size_t i = deps->n; i-- > 0;) {
                struct node_entry *d = &deps->entries[i];
                bool required = true;

                if (node_map_get(svcs, d->key))
                        continue;
                node_get_bool(node_map_get(d->val, "required"), &required, NULL);
                if (required)
                        return node_pos_errf(
                                err, &d->pos, -EINVAL,
                                "service \"%s\" depends on undefined service \"%s\": invalid compose project",
                                name, d->key);
                /* kept in the model (docker compose prints it); `up` skips it */
                log_warn(ld->opts->log,
                         "service \"%s\" depends on undefined service \"%s\" (required: false)",
                         name, d->key);
        }
        return 0;
}

/* check_refs: every network, named volume, secret and config a service names is declared. */
static int
check_refs(const char *name, const struct node *svc, const struct node *model, struct err *err)
{
        static const char *const kinds[] = { "networks", "volumes", "secrets", "configs" };
        static const char *const singular[] = { "network", "volume", "secret", "config" };

        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
                const struct node *refs = node_map_get(svc, kinds[k]);
                const struct node *decl = node_map_get(model, kinds[k]);

                if (!refs)
                        continue;
                if (refs->kind == NODE_MAP) {
                        node_foreach_entry(e, refs)
                                if (!node_map_get(decl, e->key))
                                        return node_pos_errf(
                                                err, &e->pos, -EINVAL,
                                                "service \"%s\" refers to undefined %s %s: invalid compose project",
                                                name, singular[k], e->key);
                        continue;
                }
                if (refs->kind != NODE_SEQ)
                        continue;
                node_foreach_item(it, refs) {
                        const char *src = node_map_str(it, "source");
                        const char *type = node_map_str(it, "type");

                        if (!src || (k == 1 && (!type || strcmp(type, "volume") != 0)))
                                continue;
                        if (!node_map_get(decl, src))
                                return node_errf(
                                        err, it, -EINVAL,
                                        "service \"%s\" refers to undefined %s %s: invalid compose project",
                                        name, singular[k], src);
                }
        }
        return 0;
}

static int
check_service(struct loader *ld, const char *name, struct node *svc, const struct node *model,
              struct err *err)
{
        const struct node *svcs = node_map_get(model, "services");
        int r;

        if (node_map_get(svc, "network_mode") && node_map_get(svc, "networks"))
                return node_errf(
                        err, node_map_get(svc, "networks"), -EINVAL,
                        "service %s declares mutually exclusive `network_mode` and `networks`: invalid compose project",
                        name);
        r = check_build(name, svc, err);
        if (r == 0)
                r = check_healthcheck(name, svc, err);
        if (r == 0)
                r = check_depends(ld, name, svc, svcs, err);
        if (r == 0)
                r = check_refs(name, svc, model, err);
        return r;
}

static int
check_sources(const struct node *model, struct err *err)
{
        static const char *const kinds[] = { "secrets", "configs" };

        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
                const struct node *res = node_map_get(model, kinds[k]);
                bool external;

                if (!res || res->kind != NODE_MAP)
                        continue;
                node_foreach_entry(e, res) {
                        external = false;
                        node_get_bool(node_map_get(e->val, "external"), &external, NULL);
                        if (external || node_map_get(e->val, "file") ||
                            node_map_get(e->val, "environment") || node_map_get(e->val, "content"))
                                continue;
                        return node_pos_errf(
                                err, &e->pos, -EINVAL,
                                "%.*s \"%s\" must declare either `file` or `environment`: invalid compose project",
                                (int)strlen(kinds[k]) - 1, kinds[k], e->key);
                }
        }
        return 0;
}

/* ---- cycles ---- */

enum {
        WHITE,
        GREY,
        BLACK
};

struct dfs {
        const struct node *svcs;
        unsigned char *color;
        char **path;
        struct err *err;
};

static int
visit(struct dfs *d, size_t i)
{
        const struct node *deps = node_map_get(d->svcs->entries[i].val, "depends_on");
        int r;

        d->color[i] = GREY;
        strv_add(&d->path, d->svcs->entries[i].key);
        if (deps && deps->kind == NODE_MAP)
                node_foreach_entry(e, deps) {
                        ssize_t j = node_map_index(d->svcs, e->key);

                        if (j < 0 || d->color[j] == BLACK)
                                continue;
                        if (d->color[j] == GREY) {
                                cleanup_free char *chain = NULL;
                                size_t start = 0;

                                while (strcmp(d->path[start], e->key) != 0)
                                        start++;
                                chain = strv_join(d->path + start, " -> ");
                                return node_pos_errf(d->err, &e->pos, -ELOOP,
                                                     "dependency cycle detected: %s -> %s", chain,
                                                     e->key);
                        }
                        r = visit(d, (size_t)j);
                        if (r < 0)
                                return r;
                }
        free(d->path[strv_length(d->path) - 1]);
        d->path[strv_length(d->path) - 1] = NULL;
        d->color[i] = BLACK;
        return 0;
}

int
validate_cycles(const struct node *svcs, struct err *err)
{
        struct dfs d = { .svcs = svcs, .err = err };
        int r = 0;

        if (!svcs || svcs->kind != NODE_MAP)
                return 0;
        d.color = xcalloc(svcs->n, 1);
        for (size_t i = 0; i < svcs->n && r == 0; i++)
                if (d.color[i] == WHITE)
                        r = visit(&d, i);
        free(d.color);
        strv_free(d.path);
        return r;
}

int
validate_project(struct loader *ld, struct node *model, struct err *err)
{
        struct node *svcs = node_map_get(model, "services");
        int r;

        if (svcs && svcs->kind == NODE_MAP) {
                if (svcs->n > SPEC_MAX_SERVICES)
                        return node_errf(err, svcs, -E2BIG, "more than %d services",
                                         SPEC_MAX_SERVICES);
                node_foreach_entry(e, svcs) {
                        r = check_service(ld, e->key, e->val, model, err);
                        if (r < 0)
                                return r;
                }
        }
        r = check_sources(model, err);
        if (r == 0)
                r = validate_cycles(svcs, err);
        return r;
}
