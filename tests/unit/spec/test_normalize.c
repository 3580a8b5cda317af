#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

static const struct node *
svc(const struct spec_project *p, const char *name)
{
        return node_map_get(node_map_get(p->model, "services"), name);
}

static void
test_normalize__default_network_and_names(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        const struct node *nets;

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "name: shop\nservices:\n  web:\n    image: a\n"
                 "    volumes: [data:/d]\n  host:\n    image: b\n"
                 "    network_mode: host\nvolumes:\n  data:\n"
                 "  ext:\n    external: true\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_non_null(node_map_entry(node_map_get(svc(p, "web"), "networks"), "default"));
        assert_null(node_map_get(svc(p, "host"), "networks"));
        nets = node_map_get(p->model, "networks");
        assert_string_equal(node_map_str(node_map_get(nets, "default"), "name"), "shop_default");
        assert_string_equal(
                node_map_str(node_map_get(node_map_get(p->model, "volumes"), "data"), "name"),
                "shop_data");
        /* declared but unused: dropped, as docker compose config does */
        assert_null(node_map_get(node_map_get(p->model, "volumes"), "ext"));
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_normalize__all_resources_keeps_unused_and_external_keeps_its_key(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        struct spec_load_opts o = { .all_resources = true };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "name: shop\nservices:\n  web:\n    image: a\n"
                 "volumes:\n  ext:\n    external: true\n");
        assert_int_equal(fx_load_opts(&fx, &o, NULL, &p, &err), 0);
        assert_string_equal(
                node_map_str(node_map_get(node_map_get(p->model, "volumes"), "ext"), "name"),
                "ext");
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_normalize__implicit_dependencies(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        const struct node *deps;

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  db:\n    image: d\n  vpn:\n    image: v\n"
                 "  data:\n    image: x\n"
                 "  web:\n    image: w\n    links: ['db:database']\n"
                 "    volumes_from: ['data:ro']\n    network_mode: service:vpn\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        deps = node_map_get(svc(p, "web"), "depends_on");
        assert_int_equal(deps->n, 3);
        assert_string_equal(node_map_str(node_map_get(deps, "db"), "condition"), "service_started");
        assert_string_equal(node_map_str(node_map_get(deps, "vpn"), "restart"), "true");
        assert_null(node_map_get(node_map_get(deps, "data"), "restart"));
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_normalize__paths_home_and_remote_contexts(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        const struct node *vols;
        char *want;

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  web:\n    build: https://example.com/r.git\n"
                 "    volumes: ['~/cfg:/cfg', './src:/src', '/abs:/abs']\n"
                 "  api:\n    build: ./api\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        vols = node_map_get(svc(p, "web"), "volumes");
        assert_string_equal(node_map_str(vols->items[0], "source"), "/home/u/cfg");
        want = path_join(fx.dir, "src");
        assert_string_equal(node_map_str(vols->items[1], "source"), want);
        free(want);
        assert_string_equal(node_map_str(vols->items[2], "source"), "/abs");
        assert_string_equal(node_map_str(node_map_get(svc(p, "web"), "build"), "context"),
                            "https://example.com/r.git");
        want = path_join(fx.dir, "api");
        assert_string_equal(node_map_str(node_map_get(svc(p, "api"), "build"), "context"), want);
        free(want);
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_normalize__env_file_then_environment_then_shell(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        const struct node *env;

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  app:\n    image: a\n    env_file:\n"
                 "      - a.env\n      - path: missing.env\n        required: false\n"
                 "    environment:\n      FROM_MAP: value\n      PASS:\n"
                 "      UNSET_ME:\n      NUM: 3\n");
        fx_write(&fx, "a.env", "FROM_FILE=file\nFROM_MAP=loses\n");
        strv_add(&fx.env, "PASS=ok");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        env = node_map_get(svc(p, "app"), "environment");
        assert_string_equal(node_map_str(env, "FROM_FILE"), "file");
        assert_string_equal(node_map_str(env, "FROM_MAP"), "value");
        assert_string_equal(node_map_str(env, "PASS"), "ok");
        assert_string_equal(node_map_str(env, "NUM"), "3");
        assert_int_equal(node_map_get(env, "UNSET_ME")->kind, NODE_NULL);
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_normalize__missing_required_env_file_is_an_error(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml", "services:\n  app:\n    image: a\n    env_file: nope.env\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "nope.env not found"));
        fx_release(&fx);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalize__default_network_and_names),
                cmocka_unit_test(
                        test_normalize__all_resources_keeps_unused_and_external_keeps_its_key),
                cmocka_unit_test(test_normalize__implicit_dependencies),
                cmocka_unit_test(test_normalize__paths_home_and_remote_contexts),
                cmocka_unit_test(test_normalize__env_file_then_environment_then_shell),
                cmocka_unit_test(test_normalize__missing_required_env_file_is_an_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
