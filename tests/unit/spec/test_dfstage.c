/* Tests for spec/dfstage: stages, ARG scoping, build args, the stage graph and --target. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "spec/dfstage.h"

struct planned {
        struct dockerfile *df;
        struct dfstage_plan *plan;
};

static int
plan_of(const char *text, const struct dfstage_opts *o, struct planned *p, struct err *err)
{
        int r = dockerfile_parse(NULL, text, strlen(text), NULL, &p->df, err);

        if (r == 0)
                r = dfstage_plan(p->df, o, &p->plan, err);
        return r;
}

static struct planned
plan_ok(const char *text, const struct dfstage_opts *o)
{
        struct planned p = { 0 };
        struct err err = { 0 };

        if (plan_of(text, o, &p, &err) < 0)
                fail_msg("%s", err.msg);
        return p;
}

static void
planned_free(struct planned *p)
{
        dfstage_plan_free(p->plan);
        dockerfile_free(p->df);
}

/* the RUN step's environment value of name in stage s, step i */
static const char *
run_env(const struct planned *p, size_t s, size_t i, const char *name)
{
        size_t len = strlen(name);

        strv_foreach(e, p->plan->stages[s].steps[i].env)
                if (strncmp(e, name, len) == 0 && e[len] == '=')
                        return e + len + 1;
        return NULL;
}

static void
test_dfstage__global_args_need_redeclaring(void **state)
{
        struct planned p = plan_ok("ARG V=1\nARG IMG=alpine:${V}\nFROM ${IMG}\nRUN a\nARG V\n"
                                   "RUN b\n",
                                   NULL);

        (void)state;
        assert_string_equal(p.plan->stages[0].base, "alpine:1");
        assert_null(run_env(&p, 0, 0, "V")); /* not declared in the stage yet */
        assert_string_equal(run_env(&p, 0, 2, "V"), "1");
        assert_string_equal(env_get(&p.plan->meta_args, "IMG"), "alpine:1");
        planned_free(&p);
}

static void
test_dfstage__build_args_and_env_precedence(void **state)
{
        struct env ba = ENV_INIT;
        struct dfstage_opts o = { .build_args = &ba };
        struct planned p;

        (void)state;
        env_set(&ba, "A", "cli");
        env_set(&ba, "HTTP_PROXY", "http://proxy:3128");
        env_set(&ba, "UNUSED", "x");
        p = plan_ok("FROM x\nARG A=default\nARG B=b\nENV B=env\nRUN echo\n", &o);
        assert_string_equal(run_env(&p, 0, 3, "A"), "cli");
        assert_string_equal(run_env(&p, 0, 3, "B"), "env");
        assert_string_equal(p.plan->stages[0].steps[3].key_args[0], "A=cli");
        assert_null(p.plan->stages[0].steps[3].key_args[1]); /* B is shadowed by ENV */
        assert_string_equal(p.plan->stages[0].steps[3].proxy_env[0],
                            "HTTP_PROXY=http://proxy:3128");
        assert_non_null(p.plan->warnings);
        assert_non_null(strstr(p.plan->warnings[0], "UNUSED"));
        planned_free(&p);
        env_release(&ba);
}

static void
test_dfstage__platform_args(void **state)
{
        struct dfstage_opts o = { .build_platform = "linux/amd64",
                                  .target_platform = "linux/arm/v7" };
        struct planned p = plan_ok("FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\n"
                                   "ARG TARGETVARIANT\nRUN x\n",
                                   &o);

        (void)state;
        assert_string_equal(p.plan->stages[0].platform, "linux/amd64");
        assert_string_equal(run_env(&p, 0, 2, "TARGETARCH"), "arm");
        assert_string_equal(run_env(&p, 0, 2, "TARGETVARIANT"), "v7");
        planned_free(&p);
}

static void
test_dfstage__stage_graph_and_target_pruning(void **state)
{
        struct dfstage_opts o = { .target = "TEST" };
        const char *df =
                "FROM alpine AS base\nRUN a\nFROM base AS build\nRUN b\n"
                "FROM golang AS tools\nRUN c\nFROM scratch AS test\n"
                "COPY --from=build /a /a\nCOPY --from=0 /b /b\nRUN --mount=from=tools,target=/t d\n"
                "FROM scratch AS unused\nCOPY --from=busybox /bin/sh /sh\n";
        struct planned p = plan_ok(df, &o);
        const struct dfstage_plan *pl = p.plan;

        (void)state;
        assert_int_equal(pl->n, 5);
        assert_int_equal(pl->target, 3);
        assert_int_equal(pl->stages[1].base_stage, 0);
        assert_int_equal(pl->stages[3].steps[0].from_stage, 1);
        assert_int_equal(pl->stages[3].steps[1].from_stage, 0);
        assert_true(pl->stages[0].reachable && pl->stages[1].reachable);
        assert_true(pl->stages[2].reachable); /* via RUN --mount from= */
        assert_false(pl->stages[4].reachable);
        assert_int_equal(pl->stages[4].nsteps, 0); /* not walked */
        assert_int_equal(dfstage_find_stage(pl, "Build"), 1);
        planned_free(&p);
}

static void
test_dfstage__stage_errors(void **state)
{
        static const struct {
                const char *text, *msg;
        } cases[] = {
                { "RUN x\nFROM a\n", "Dockerfile:1: no build stage in current context" },
                { "ARG X\n", "dockerfile contains no stages to build" },
                { "FROM a AS 1x\n", "Dockerfile:1: invalid name for build stage" },
                { "FROM $NOPE\n", "Dockerfile:1: base name ($NOPE) should not be blank" },
                { "FROM a\nCOPY --from=1 /a /b\n", "Dockerfile:2: invalid stage index 1" },
                { "FROM a\nCOPY --from=later /a /b\nFROM b AS later\n",
                  "Dockerfile:2: stage 'later' is used before it is defined" },
                { "FROM a\nCOPY --from=$S /a /b\n", "variable expansion is not supported" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct planned p = { 0 };
                struct err err = { 0 };

                assert_true(plan_of(cases[i].text, NULL, &p, &err) < 0);
                if (!strstr(err.msg, cases[i].msg))
                        fail_msg("case %zu: '%s'", i, err.msg);
                planned_free(&p);
        }
}

static void
test_dfstage__unknown_target(void **state)
{
        struct dfstage_opts o = { .target = "nope" };
        struct planned p = { 0 };
        struct err err = { 0 };

        (void)state;
        assert_int_equal(plan_of("FROM a AS x\n", &o, &p, &err), -ENOENT);
        assert_string_equal(err.msg, "target stage \"nope\" could not be found");
        planned_free(&p);
}

static int
base_with_onbuild(void *ctx, const char *ref, const char *platform, struct dfstage_config *ret,
                  struct err *err)
{
        (void)ctx;
        (void)platform;
        (void)err;
        if (strcmp(ref, "parent") != 0)
                return -ENOENT;
        strv_add(&ret->env, "PATH=/custom");
        strv_add(&ret->onbuild, "ENV FROM_TRIGGER=1");
        strv_add(&ret->onbuild, "RUN echo trigger");
        return 0;
}

static void
test_dfstage__base_image_config_and_onbuild_triggers(void **state)
{
        struct dfstage_opts o = { .image_config = base_with_onbuild };
        struct planned p = plan_ok("FROM parent\nRUN mine\n", &o);
        const struct dfstage_stage *st = &p.plan->stages[0];

        (void)state;
        assert_int_equal(st->nsteps, 3);
        assert_true(st->steps[0].onbuild);
        assert_int_equal(st->steps[1].cmd, DF_RUN);
        assert_true(st->steps[1].onbuild);
        assert_false(st->steps[2].onbuild);
        assert_null(st->config.onbuild); /* triggers are consumed, not inherited */
        assert_string_equal(st->config.env[0], "PATH=/custom");
        assert_string_equal(st->config.env[1], "FROM_TRIGGER=1");
        planned_free(&p);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dfstage__global_args_need_redeclaring),
                cmocka_unit_test(test_dfstage__build_args_and_env_precedence),
                cmocka_unit_test(test_dfstage__platform_args),
                cmocka_unit_test(test_dfstage__stage_graph_and_target_pruning),
                cmocka_unit_test(test_dfstage__stage_errors),
                cmocka_unit_test(test_dfstage__unknown_target),
                cmocka_unit_test(test_dfstage__base_image_config_and_onbuild_triggers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
