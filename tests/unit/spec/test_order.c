#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "spec/order.h"
#include "spec/yaml.h"

static struct node *
load1(const char *text)
{
        struct node *docs = NULL;
        struct err err = { 0 };
        struct node *doc;

        if (yaml_load(text, strlen(text), "t.yaml", NULL, &docs, &err) < 0)
                fail_msg("unexpected error: %s", err.msg);
        assert_int_equal(docs->n, 1);
        doc = node_seq_take(docs, 0);
        node_free(docs);
        return doc;
}

/* keys_at: the keys of the map at a dotted path, joined by ",". */
static char *
keys_at(const struct node *root, const char *path)
{
        cleanup_free char *copy = xstrdup(path);
        const struct node *n = root;
        struct sbuf out = SBUF_INIT;
        char *save = NULL;

        for (char *part = strtok_r(copy, ".", &save); part && *path;
             part = strtok_r(NULL, ".", &save)) {
                n = node_map_get(n, part);
                if (!n)
                        fail_msg("no '%s' in path %s", part, path);
        }
        assert_int_equal(n->kind, NODE_MAP);
        node_foreach_entry(e, n)
        {
                if (out.len)
                        sbuf_addch(&out, ',');
                sbuf_adds(&out, e->key);
        }
        return sbuf_detach(&out);
}

static void
assert_keys(const struct node *root, const char *path, const char *want)
{
        cleanup_free char *got = keys_at(root, path);

        if (strcmp(got, want) != 0)
                fail_msg("%s: got [%s], want [%s]", *path ? path : "(top)", got, want);
}

static void
test_order__project_and_service_fields_follow_compose_go(void **state)
{
        cleanup_node struct node *p = load1(
                "x-top: 1\nconfigs: {}\nvolumes: {}\nservices:\n  web:\n    working_dir: /w\n"
                "    image: nginx\n    command: [a]\n    build: {target: t, context: ., args: {}}\n"
                "    environment: {}\n    ports: [{protocol: tcp, published: '80', target: 80,"
                " mode: ingress}]\n    deploy: {placement: {}, resources: {}, replicas: 2}\n"
                "    annotations: {}\nnetworks: {}\nname: p\nsecrets: {}\nmodels: {}\n");

        (void)state;
        order_project(p, false);
        assert_keys(p, "", "name,services,networks,volumes,secrets,configs,models,x-top");
        assert_keys(p, "services.web",
                    "annotations,build,command,deploy,environment,image,ports,working_dir");
        assert_keys(p, "services.web.build", "context,args,target");
        assert_keys(p, "services.web.deploy", "replicas,resources,placement");
        {
                struct node *web = node_map_get(node_map_get(p, "services"), "web");

                assert_keys(node_map_get(web, "ports")->items[0], "",
                            "mode,target,published,protocol");
        }
}

static void
test_order__extensions_come_after_all_fields_sorted(void **state)
{
        cleanup_node struct node *p =
                load1("services:\n  web:\n    x-b: 1\n    image: i\n    x-a: 2\n    depends_on:\n"
                      "      db: {x-z: 1, required: true, x-y: {b: 1, a: 2},\n"
                      "           condition: service_started}\n"
                      "networks:\n  n: {x-q: 1, name: n, driver: bridge}\n");

        (void)state;
        order_project(p, false);
        assert_keys(p, "services.web", "depends_on,image,x-a,x-b");
        /* ServiceDependency declares Extensions before Required; go-yaml still prints the
         * inline map last */
        assert_keys(p, "services.web.depends_on.db", "condition,required,x-y,x-z");
        assert_keys(p, "services.web.depends_on.db.x-y", "a,b");
        assert_keys(p, "networks.n", "name,driver,x-q");
}

static void
test_order__unknown_keys_keep_their_order_after_known_fields(void **state)
{
        cleanup_node struct node *p =
                load1("services:\n  web: {zeta: 1, x-e: 1, image: i, alpha: 2, cap_add: [A]}\n");

        (void)state;
        order_project(p, false);
        assert_keys(p, "services.web", "cap_add,image,zeta,alpha,x-e");
}

static void
test_order__go_maps_sort_as_go_yaml_or_as_json(void **state)
{
        static const char text[] =
                "services:\n  web:\n    labels: {ab: 1, a10: 1, _x: 1, a9: 1, B: 1, a.b: 1}\n";
        cleanup_node struct node *y = load1(text);
        cleanup_node struct node *j = load1(text);

        (void)state;
        order_project(y, false);
        order_project_json(j, false);
        assert_keys(y, "services.web.labels", "_x,B,a.b,a9,a10,ab");
        assert_keys(j, "services.web.labels", "B,_x,a.b,a10,a9,ab");
}

static void
test_order__service_names_are_a_sorted_map(void **state)
{
        cleanup_node struct node *p = load1("services: {web2: {}, web10: {}, db: {}, Web: {}}\n");

        (void)state;
        order_project(p, false);
        assert_keys(p, "services", "Web,db,web2,web10");
}

static void
test_order__alphabetical_sorts_every_map(void **state)
{
        cleanup_node struct node *p =
                load1("services:\n  nginx:\n    networks: {default: null}\n    build:\n"
                      "      dockerfile: ${MYVAR}\n      context: /x\n"
                      "networks: {default: {name: p_default}}\n"
                      "name: p\nx-a: {z: 1, y: 2}\n");

        (void)state;
        order_project(p, true);
        assert_keys(p, "", "name,networks,services,x-a");
        assert_keys(p, "services.nginx", "build,networks");
        assert_keys(p, "services.nginx.build", "context,dockerfile");
        assert_keys(p, "x-a", "y,z");
}

static void
test_order__json_adds_what_encoding_json_never_omits(void **state)
{
        cleanup_node struct node *p =
                load1("services:\n  web:\n    image: i\n    x-e: 1\n    deploy: {replicas: 1}\n"
                      "    develop: {watch: [{path: ., action: sync}]}\n"
                      "    post_start: [{user: root}]\n"
                      "    ulimits: {nofile: {soft: 0, hard: 10}, nproc: 5}\n"
                      "    blkio_config: {weight_device: [{weight: 10, path: /dev/sda}]}\n"
                      "networks:\n  n: {driver: bridge, x-n: 1}\nmodels: {m: {model: x}}\n"
                      "x-top: {b: 1, a: 1}\n");

        (void)state;
        order_project_json(p, false);
        assert_keys(p, "", "name,networks,services,x-top");
        assert_string_equal(node_map_str(p, "name"), "");
        assert_keys(p, "x-top", "a,b");
        assert_keys(p, "services.web",
                    "develop,blkio_config,command,deploy,entrypoint,image,ulimits,post_start");
        assert_int_equal(
                node_map_get(node_map_get(node_map_get(p, "services"), "web"), "command")->kind,
                NODE_NULL);
        assert_keys(p, "services.web.deploy", "replicas,resources,placement");
        assert_keys(p, "services.web.ulimits.nofile", "hard");
        assert_keys(p, "networks.n", "driver,ipam");
        {
                struct node *web = node_map_get(node_map_get(p, "services"), "web");
                struct node *watch = node_map_get(node_map_get(web, "develop"), "watch");
                struct node *hook = node_map_get(web, "post_start")->items[0];
                struct node *dev = node_map_get(node_map_get(web, "blkio_config"), "weight_device");

                assert_keys(watch->items[0], "", "path,action,exec");
                assert_keys(watch->items[0], "exec", "command");
                assert_keys(hook, "", "command,user");
                assert_keys(dev->items[0], "", "Path,Weight");
        }
}

static void
test_order__json_alphabetical_only_sorts(void **state)
{
        cleanup_node struct node *p =
                load1("services: {web: {x-e: 1, image: i}}\nname: p\nmodels: {m: {}}\n");

        (void)state;
        order_project_json(p, true);
        assert_keys(p, "", "models,name,services");
        assert_keys(p, "services.web", "image,x-e");
}

static void
test_order__yaml_key_cmp_matches_go_yaml_sorter(void **state)
{
        static const char *const less[][2] = {
                { "a9", "a10" }, { "a1", "a01" },     { "B", "a" },    { "_x", "B" },
                { "a.b", "a9" }, { "a9", "ab" },      { "a-b", "a1" }, { "x1y", "x1z" },
                { "a", "ab" },   { "1", "9" },        { "9", "10" },   { "a0", "a00" },
                { "~", "a" },    { "z", "\xC3\xA9" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(less); i++) {
                if (order_yaml_key_cmp(less[i][0], less[i][1]) >= 0 ||
                    order_yaml_key_cmp(less[i][1], less[i][0]) <= 0)
                        fail_msg("want %s < %s", less[i][0], less[i][1]);
        }
        assert_int_equal(order_yaml_key_cmp("same", "same"), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order__project_and_service_fields_follow_compose_go),
                cmocka_unit_test(test_order__extensions_come_after_all_fields_sorted),
                cmocka_unit_test(test_order__unknown_keys_keep_their_order_after_known_fields),
                cmocka_unit_test(test_order__go_maps_sort_as_go_yaml_or_as_json),
                cmocka_unit_test(test_order__service_names_are_a_sorted_map),
                cmocka_unit_test(test_order__alphabetical_sorts_every_map),
                cmocka_unit_test(test_order__json_adds_what_encoding_json_never_omits),
                cmocka_unit_test(test_order__json_alphabetical_only_sorts),
                cmocka_unit_test(test_order__yaml_key_cmp_matches_go_yaml_sorter),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
