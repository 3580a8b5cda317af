#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

static const char *compose_text = "services:\n  foo:\n    image: foo\n  bar:\n    image: bar\n"
                                  "    profiles: [test]\n  zot:\n    image: zot\n"
                                  "    profiles: [debug]\n";

static char **
names(const struct spec_project *p)
{
        return spec_project_services(p);
}

static void
test_profiles__inactive_services_are_left_out(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        char **n;

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml", compose_text);
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        n = names(p);
        assert_int_equal(strv_length(n), 1);
        assert_string_equal(n[0], "foo");
        assert_non_null(node_map_get(p->disabled, "bar"));
        strv_free(n);
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_profiles__flag_env_star_and_targets_activate(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };
        char star0[] = "*", target0[] = "zot";
        char *star[] = { star0, NULL };
        char *target[] = { target0, NULL };
        struct spec_load_opts o = { .profiles = star };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml", compose_text);
        assert_int_equal(fx_load_opts(&fx, &o, NULL, &p, &err), 0);
        assert_int_equal(node_map_get(p->model, "services")->n, 3);
        p = spec_project_free(p);
        o = (struct spec_load_opts){ .services = target };
        assert_int_equal(fx_load_opts(&fx, &o, NULL, &p, &err), 0);
        assert_non_null(node_map_get(node_map_get(p->model, "services"), "zot"));
        assert_null(node_map_get(node_map_get(p->model, "services"), "bar"));
        p = spec_project_free(p);
        strv_add(&fx.env, "COMPOSE_PROFILES=test,debug");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_int_equal(node_map_get(p->model, "services")->n, 3);
        spec_project_free(p);
        fx_release(&fx);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_profiles__inactive_services_are_left_out),
                cmocka_unit_test(test_profiles__flag_env_star_and_targets_activate),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
