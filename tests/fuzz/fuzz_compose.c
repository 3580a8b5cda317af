/* libFuzzer target: compose YAML text -> model (YAML reader, interpolation, schema, merge,
 * canonical transform, emitters). Nothing a compose file contains may crash or hang berth. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/sbuf.h"
#include "spec/emit.h"
#include "spec/env.h"
#include "spec/interp.h"
#include "spec/merge.h"
#include "spec/order.h"
#include "spec/schema.h"
#include "spec/transform.h"
#include "spec/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
model_path(struct node *doc, struct schema *schema)
{
        struct env env = ENV_INIT;
        struct interp_opts io = { .lookup = env_lookup, .ctx = &env };
        struct node *model = node_new(NODE_MAP, NULL);
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        env_set(&env, "FOO", "bar");
        if (interp_tree(doc, &io, &err) == 0 && schema_validate(schema, doc, &err) == 0 &&
            merge_tree(model, doc, "", &err) == 0 && merge_enforce_unicity(model, &err) == 0) {
                merge_strip_tags(model);
                if (transform_canonical(model, &err) == 0 && transform_defaults(model, &err) == 0) {
                        order_project(model, false);
                        emit_yaml(model, &out, &err);
                        emit_json(model, &out, &err);
                }
        }
        sbuf_release(&out);
        node_free(model);
        env_release(&env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct schema *schema; /* parsed once per fuzzing process */
        struct node *docs = NULL;
        struct err err = { 0 };
        struct yaml_limits lim = { 20000, 64 };

        if (!schema && schema_new(&schema, &err) < 0)
                abort();
        if (size > 64 * 1024)
                return 0;
        if (yaml_load((const char *)data, size, "fuzz.yaml", &lim, &docs, &err) == 0) {
                for (size_t i = 0; i < docs->n; i++)
                        if (docs->items[i]->kind == NODE_MAP)
                                model_path(docs->items[i], schema);
        }
        node_free(docs);
        return 0;
}
