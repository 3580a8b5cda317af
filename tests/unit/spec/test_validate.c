#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

/* expect_error: compose text must be rejected with want in the message. */
static void
expect_error(const char *text, const char *want)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        fx_init(&fx);
        fx_write(&fx, "compose.yaml", text);
        if (fx_load(&fx, NULL, &p, &err) == 0)
                fail_msg("accepted: %s", text);
        if (!strstr(err.msg, want))
                fail_msg("error '%s' lacks '%s'", err.msg, want);
        fx_release(&fx);
}

static void
test_validate__references_must_exist(void **state)
{
        (void)state;
        expect_error("services:\n  web:\n    image: a\n    depends_on: [db]\n",
                     "service \"web\" depends on undefined service \"db\"");
        expect_error("services:\n  web:\n    image: a\n    networks: [back]\n",
                     "service \"web\" refers to undefined network back");
        expect_error("services:\n  web:\n    image: a\n    volumes: [data:/d]\n",
                     "service \"web\" refers to undefined volume data");
        expect_error("services:\n  web:\n    image: a\n    secrets: [token]\n",
                     "service \"web\" refers to undefined secret token");
        expect_error("services:\n  web:\n    image: a\n    configs: [c]\n",
                     "service \"web\" refers to undefined config c");
}

static void
test_validate__cycle_is_printed(void **state)
{
        (void)state;
        expect_error("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
                     "    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n",
                     "dependency cycle detected: a -> b -> c -> a");
}

static void
test_validate__exclusive_and_required_keys(void **state)
{
        (void)state;
        expect_error("services:\n  web:\n    command: x\n",
                     "has neither an image nor a build context specified");
        expect_error(
                "services:\n  web:\n    image: a\n    network_mode: host\n    networks: [default]\n",
                "mutually exclusive `network_mode` and `networks`");
        expect_error(
                "services:\n  web:\n    build:\n      dockerfile: D\n      dockerfile_inline: x\n",
                "mutualy exclusive dockerfile and dockerfile_inline");
        expect_error("services:\n  web:\n    image: a\n    healthcheck:\n      test: [RUN, x]\n",
                     "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"");
        expect_error("services:\n  web:\n    image: a\n    secrets: [t]\nsecrets:\n  t: {}\n",
                     "secret \"t\" must declare either `file` or `environment`");
        expect_error(
                "services:\n  web:\n    image: a\n    scale: 2\n    deploy:\n      replicas: 3\n",
                "can't set distinct values on 'scale' and 'deploy.replicas'");
        expect_error("services:\n  web:\n    image: a\n    volumes: [d:/d]\nvolumes:\n  d:\n"
                     "    external: true\n    driver: local\n",
                     "volumes.d: conflicting parameters \"external\" and \"driver\" specified");
}

static void
test_validate__optional_dependency_is_kept_with_a_warning(void **state)
{
        struct fixture fx;
        struct spec_project *p = NULL;
        struct err err = { 0 };

        (void)state;
        fx_init(&fx);
        fx_write(&fx, "compose.yaml",
                 "services:\n  w:\n    image: a\n    depends_on:\n"
                 "      m:\n        condition: service_started\n"
                 "        required: false\n");
        assert_int_equal(fx_load(&fx, NULL, &p, &err), 0);
        assert_non_null(node_map_get(
                node_map_get(node_map_get(node_map_get(p->model, "services"), "w"), "depends_on"),
                "m"));
        assert_int_equal(strv_length(fx.warnings), 1);
        spec_project_free(p);
        fx_release(&fx);
}

static void
test_validate__errors_carry_file_line_col(void **state)
{
        (void)state;
        expect_error("services:\n  web:\n    image: a\n    depends_on: [db]\n", "compose.yaml:4:");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validate__references_must_exist),
                cmocka_unit_test(test_validate__cycle_is_printed),
                cmocka_unit_test(test_validate__exclusive_and_required_keys),
                cmocka_unit_test(test_validate__optional_dependency_is_kept_with_a_warning),
                cmocka_unit_test(test_validate__errors_carry_file_line_col),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
