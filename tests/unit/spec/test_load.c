#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

static void
test_load__extends_other_file_rebases_its_paths(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        const struct node *web, *envf;
        char *want;

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  web:\n    extends:\n      file: lib/base.yaml\n"
                 "      service: base\n    command: serve\n");
        fx_write(&fx, "lib/base.yaml",
                 "services:\n  base:\n    image: b\n    env_file: ./b.env\n"
                 "    build: .\n");
        fx_write(&fx, "lib/b.env", "FROM_FILE=1\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        web = node_map_get(node_map_get(p->model, "services"), "web");
        envf = node_map_get(web, "env_file");
        want = path_join(fx.dir, "lib/b.env");
        assert_string_equal(node_map_str(envf->items[0], "path"), want);
        assert_string_equal(node_map_str(node_map_get(web, "environment"), "FROM_FILE"), "1");
        free(want);
        want = path_join(fx.dir, "lib");
        assert_string_equal(node_map_str(node_map_get(web, "build"), "context"), want);
        assert_null(node_map_get(web, "extends"));
        free(want);
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_load__extends_chains_and_local_wins(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  a:\n    image: a\n    user: ua\n"
                 "  b:\n    extends: a\n    user: ub\n"
                 "  c:\n    extends: {service: b}\n    hostname: hc\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_string_equal(svc_str(p, "c", "image"), "a");
        assert_string_equal(svc_str(p, "c", "user"), "ub");
        assert_string_equal(svc_str(p, "c", "hostname"), "hc");
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_load__extends_cycle_and_missing_are_errors(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  a:\n    image: x\n    extends: b\n"
                 "  b:\n    extends: a\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), -ELOOP);
        assert_non_null(strstr(err.msg, "circular reference"));
        err_clear(&err);
        fx_write(&fx, "compose.yaml", "services:\n  web:\n    extends: base\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "cannot extend service \"web\""));
        assert_non_null(strstr(err.msg, "service \"base\" not found"));
        fx_release(&fx);
}

static void
test_load__include_uses_its_own_directory_and_env(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        const struct node *vols;
        char *want;

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "include:\n  - sub/compose.yaml\nservices:\n  web:\n"
                 "    image: w\n    depends_on: [db]\n");
        fx_write(&fx, "sub/compose.yaml",
                 "services:\n  db:\n    image: \"db:${DBTAG}\"\n"
                 "    volumes: [\"./data:/data\"]\n");
        fx_write(&fx, "sub/.env", "DBTAG=16\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_string_equal(svc_str(p, "db", "image"), "db:16");
        vols = node_map_get(node_map_get(node_map_get(p->model, "services"), "db"), "volumes");
        want = path_join(fx.dir, "sub/data");
        assert_string_equal(node_map_str(vols->items[0], "source"), want);
        free(want);
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_load__include_conflicts_and_cycles_are_errors(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml", "include: [other.yaml]\nservices:\n  web:\n    image: a\n");
        fx_write(&fx, "other.yaml", "services:\n  web:\n    image: b\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "conflicting service web"));
        err_clear(&err);
        fx_write(&fx, "other.yaml", "include: [compose.yaml]\nservices:\n  x:\n    image: b\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), -ELOOP);
        assert_non_null(strstr(err.msg, "include cycle detected"));
        fx_release(&fx);
}

static void
test_load__empty_and_non_mapping_files(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml", "# nothing here\n");
        assert_true(fx_load(&fx, NULL, &p, &err) < 0);
        assert_non_null(strstr(err.msg, "empty compose file"));
        err_clear(&err);
        fx_write(&fx, "compose.yaml", "- services\n");
        assert_true(fx_load(&fx, NULL, &p, &err) < 0);
        assert_non_null(strstr(err.msg, "top-level object must be a mapping"));
        assert_non_null(strstr(err.msg, "compose.yaml:1:1"));
        fx_release(&fx);
}

static void
test_load__multiple_documents_merge_in_order(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  w:\n    image: a\n---\nservices:\n  w:\n"
                 "    image: b\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_string_equal(svc_str(p, "w", "image"), "b");
        spec_project_free(p);
        fx_release(&fx);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_load__extends_other_file_rebases_its_paths),
                cmocka_unit_test(test_load__extends_chains_and_local_wins),
                cmocka_unit_test(test_load__extends_cycle_and_missing_are_errors),
                cmocka_unit_test(test_load__include_uses_its_own_directory_and_env),
                cmocka_unit_test(test_load__include_conflicts_and_cycles_are_errors),
                cmocka_unit_test(test_load__empty_and_non_mapping_files),
                cmocka_unit_test(test_load__multiple_documents_merge_in_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
