#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

static void
test_project__discovery_walks_up_and_loads_override(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "My App/compose.yaml", "services:\n  web:\n    image: a\n");
        fx_write(&fx, "My App/compose.override.yaml", "services:\n  web:\n    image: b\n");
        fx_write(&fx, "My App/deep/er/.keep", "");
        assert_int_equal(fx_load(&fx, "My App/deep/er", &p, &err), 0);
        assert_string_equal(p->name, "myapp");
        assert_string_equal(svc_str(p, "web", "image"), "b");
        assert_int_equal(strv_length(p->config_files), 2);
        spec_project_free(p);
        fx_release(&fx);
}

/* ancestor_has_compose: discovery walks up, so a compose file above the fixture (in /tmp
 * or /) would be found; such a machine cannot run the "nothing found" test. */
static bool
ancestor_has_compose(const char *dir)
{
        static const char *const names[] = { "compose.yaml", "compose.yml", "docker-compose.yml",
                                             "docker-compose.yaml" };
        char *d = path_dirname(dir);
        bool found = false;

        for (;;) {
                char *parent;

                for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !found; i++) {
                        char *p = path_join(d, names[i]);

                        found = fs_exists(p);
                        free(p);
                }
                parent = path_dirname(d);
                if (found || strcmp(parent, d) == 0) {
                        free(parent);
                        break;
                }
                free(d);
                d = parent;
        }
        free(d);
        return found;
}

static void
test_project__no_file_is_a_clear_error(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        if (ancestor_has_compose(fx.dir)) {
                fx_release(&fx);
                skip();
        }
        assert_int_equal(fx_load(&fx, NULL, &p, &err), -ENOENT);
        assert_string_equal(err.msg, "no configuration file provided: not found");
        fx_release(&fx);
}

static void
test_project__name_precedence_and_rules(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        struct spec_load_opts o = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "name: \"Demo_${STAGE:-dev}\"\nservices:\n  w:\n    image: x\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_string_equal(p->name, "demo_dev");
        assert_string_equal(node_map_str(p->model, "name"), "demo_dev");
        p = spec_project_free(p);
        o.project_name = "My.Proj";
        assert_int_equal(fx_load_opts(&fx, &o, NULL, &p, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "invalid project name \"My.Proj\""));
        err_clear(&err);
        strv_add(&fx.env, "COMPOSE_PROJECT_NAME=from_env");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_string_equal(p->name, "from_env");
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_project__shell_beats_dotenv_and_env_file_replaces_it(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        struct spec_load_opts o = { 0 };
        char *files[2] = { NULL, NULL };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml", "services:\n  w:\n    image: \"${IMG}:${TAG}\"\n");
        fx_write(&fx, ".env", "IMG=fromdotenv\nTAG=1\n");
        fx_write(&fx, "other.env", "IMG=fromother\nTAG=2\n");
        strv_add(&fx.env, "TAG=shell");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_string_equal(svc_str(p, "w", "image"), "fromdotenv:shell");
        p = spec_project_free(p);
        files[0] = path_join(fx.dir, "other.env");
        o.env_files = files;
        assert_int_equal(fx_load_opts(&fx, &o, NULL, &p, &err), 0);
        assert_string_equal(svc_str(p, "w", "image"), "fromother:shell");
        free(files[0]);
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_project__compose_file_variable_and_separator(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "a.yaml", "services:\n  w:\n    image: a\n");
        fx_write(&fx, "b.yaml", "services:\n  w:\n    image: b\n");
        fx_write(&fx, ".env", "COMPOSE_FILE=a.yaml;b.yaml\nCOMPOSE_PATH_SEPARATOR=;\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_string_equal(svc_str(p, "w", "image"), "b");
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_project__version_is_dropped_with_a_warning(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml", "version: '3.8'\nservices:\n  w:\n    image: a\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_null(node_map_get(p->model, "version"));
        assert_int_equal(strv_length(fx.warnings), 1);
        assert_non_null(strstr(fx.warnings[0], "`version` is obsolete"));
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_project__name_normalization(void **state)
{
        char *a = spec_project_name_normalize("__My Project-1.0");
        char *b = spec_project_name_normalize("UNNORMALIZED PATH");

        (void)state;
        assert_string_equal(a, "myproject-10");
        assert_string_equal(b, "unnormalizedpath");
        assert_true(spec_project_name_valid("42app"));
        assert_false(spec_project_name_valid("_x"));
        assert_false(spec_project_name_valid(""));
        free(a);
        free(b);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_project__discovery_walks_up_and_loads_override),
                cmocka_unit_test(test_project__no_file_is_a_clear_error),
                cmocka_unit_test(test_project__name_precedence_and_rules),
                cmocka_unit_test(test_project__shell_beats_dotenv_and_env_file_replaces_it),
                cmocka_unit_test(test_project__compose_file_variable_and_separator),
                cmocka_unit_test(test_project__version_is_dropped_with_a_warning),
                cmocka_unit_test(test_project__name_normalization),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
