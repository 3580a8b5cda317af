/* Tests for spec/dfstage_instr: what each instruction does to the image config and steps. */
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
plan_of(const char *text, struct planned *p, struct err *err)
{
        int r = dockerfile_parse(NULL, text, strlen(text), NULL, &p->df, err);

        if (r == 0)
                r = dfstage_plan(p->df, NULL, &p->plan, err);
        return r;
}

static struct planned
plan_ok(const char *text)
{
        struct planned p = { 0 };
        struct err err = { 0 };

        if (plan_of(text, &p, &err) < 0)
                fail_msg("%s", err.msg);
        return p;
}

static void
planned_free(struct planned *p)
{
        dfstage_plan_free(p->plan);
        dockerfile_free(p->df);
}

static const struct dfstage_config *
final(const struct planned *p)
{
        return &p->plan->stages[p->plan->target].config;
}

static void
assert_list(char *const *v, const char *joined)
{
        cleanup_free char *j = strv_join(v, "|");

        assert_string_equal(j, joined);
}

static void
test_dfstage_instr__cmd_entrypoint_shell(void **state)
{
        struct planned p = plan_ok("FROM x\nSHELL [\"/bin/bash\", \"-c\"]\nCMD echo hi\n"
                                   "ENTRYPOINT [\"/e\"]\n");

        (void)state;
        assert_list(final(&p)->cmd, "/bin/bash|-c|echo hi"); /* CMD set here survives */
        assert_list(final(&p)->entrypoint, "/e");
        assert_list(final(&p)->shell, "/bin/bash|-c");
        planned_free(&p);
        p = plan_ok("FROM x AS a\nCMD [\"c\"]\nFROM a\nENTRYPOINT e\nCMD []\n");
        assert_list(final(&p)->entrypoint, "/bin/sh|-c|e");
        assert_non_null(final(&p)->cmd); /* CMD [] is an empty list, not unset */
        assert_null(final(&p)->cmd[0]);
        planned_free(&p);
}

static void
test_dfstage_instr__env_label_workdir_user(void **state)
{
        struct planned p = plan_ok("FROM x\nENV A=1\nENV A=2 B=$A\nLABEL \"k 1\"=\"v w\" k2=$B\n"
                                   "WORKDIR /a\nWORKDIR b/../c\nWORKDIR $A\nUSER u:g\n");
        const struct dfstage_config *c = final(&p);

        (void)state;
        assert_list(c->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|"
                            "A=2|B=1");
        assert_string_equal(env_get(&c->labels, "k 1"), "v w");
        assert_string_equal(env_get(&c->labels, "k2"), "1");
        assert_string_equal(c->workdir, "/a/c/2");
        assert_string_equal(c->user, "u:g");
        planned_free(&p);
}

static void
test_dfstage_instr__expose_volume_stopsignal_healthcheck(void **state)
{
        struct planned p = plan_ok("FROM x\nEXPOSE 80 53/UDP 8000-8002/tcp\nVOLUME /a [\"/b\"]\n"
                                   "VOLUME [\"/c\"]\nSTOPSIGNAL SIGQUIT\n"
                                   "HEALTHCHECK --interval=1m30s --retries=2 CMD curl -f x\n");
        const struct dfstage_config *c = final(&p);

        (void)state;
        assert_list(c->exposed, "53/udp|80/tcp|8000/tcp|8001/tcp|8002/tcp");
        assert_list(c->volumes, "/a|/c|[/b]");
        assert_string_equal(c->stopsignal, "SIGQUIT");
        assert_list(c->health->test, "CMD-SHELL|curl -f x");
        assert_int_equal(c->health->interval, 90000000000LL);
        assert_int_equal(c->health->retries, 2);
        planned_free(&p);
}

static void
test_dfstage_instr__copy_step(void **state)
{
        struct planned p =
                plan_ok("FROM x\nARG U=1000\nWORKDIR /app\n"
                        "COPY --chown=$U:$U --chmod=0755 --link a* ./b/ ./\n"
                        "COPY <<EOF /etc/motd\nhi $U\nEOF\nADD --unpack=false x.tgz .\n");
        const struct dfstage_step *c = &p.plan->stages[0].steps[2];

        (void)state;
        assert_true(c->fs_change);
        assert_string_equal(c->chown, "1000:1000");
        assert_string_equal(c->chmod, "0755");
        assert_true(c->link);
        assert_list(c->srcs, "a*|./b/");
        assert_string_equal(c->dest, "/app/");
        assert_list(c->key_args, "U=1000");
        assert_int_equal(p.plan->stages[0].steps[3].ninl, 1);
        assert_string_equal(p.plan->stages[0].steps[3].inl[0].data, "hi 1000\n");
        assert_string_equal(p.plan->stages[0].steps[3].dest, "/etc/motd");
        assert_int_equal(p.plan->stages[0].steps[4].unpack, 0);
        planned_free(&p);
}

static void
test_dfstage_instr__run_step(void **state)
{
        struct planned p = plan_ok("FROM x\nARG V=1\nRUN --mount=type=cache,target=/c$V "
                                   "--network=none echo $V\nRUN [\"ls\", \"-l\"]\n");
        const struct dfstage_step *r = &p.plan->stages[0].steps[1];

        (void)state;
        assert_list(r->argv, "/bin/sh|-c|echo $V"); /* RUN text is never expanded */
        assert_list(r->mounts, "type=cache,target=/c1");
        assert_string_equal(r->network, "none");
        assert_list(r->key_args, "V=1");
        assert_list(p.plan->stages[0].steps[2].argv, "ls|-l");
        assert_false(p.plan->stages[0].steps[0].fs_change); /* ARG */
        planned_free(&p);
}

static void
test_dfstage_instr__onbuild_stored_as_written(void **state)
{
        struct planned p = plan_ok("FROM x\nONBUILD RUN echo $HOME\nonbuild COPY . /app\n");

        (void)state;
        assert_list(final(&p)->onbuild, "RUN echo $HOME|COPY . /app");
        planned_free(&p);
}

static void
test_dfstage_instr__errors(void **state)
{
        static const struct {
                const char *text, *msg;
        } cases[] = {
                { "FROM\n", "Dockerfile:1: FROM requires either one or three arguments" },
                { "ARG\nFROM a\n", "Dockerfile:1: ARG requires at least one argument" },
                { "FROM a\nCOPY x\n", "Dockerfile:2: COPY requires at least two arguments" },
                { "FROM a\nFOO x\n", "Dockerfile:2: unknown instruction: FOO" },
                { "FROM a\nCOPY --nope x y\n", "Dockerfile:2: unknown flag: --nope" },
                { "FROM a\nCOPY --link=maybe x y\n", "expecting boolean value for flag --link" },
                { "FROM a\nCOPY --from=a --from=b x y\n", "duplicate flag specified: --from" },
                { "FROM a\nENV --x=1 A=b\n", "Dockerfile:2: unknown flag: --x" },
                { "FROM a\nEXPOSE 80/xtp\n", "Dockerfile:2: invalid proto: xtp" },
                { "FROM a\nEXPOSE 90-80\n", "invalid range specified" },
                { "FROM a\nSTOPSIGNAL NOPE\n", "Dockerfile:2: invalid signal: NOPE" },
                { "FROM a\nHEALTHCHECK --interval=1us CMD x\n", "cannot be less than 1ms" },
                { "FROM a\nHEALTHCHECK --retries=-1 CMD x\n", "--retries cannot be negative" },
                { "FROM a\nHEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments" },
                { "FROM a\nHEALTHCHECK FOO x\n", "Unknown type \"FOO\" in HEALTHCHECK" },
                { "FROM a\nSHELL sh -c\n", "SHELL requires the arguments to be in JSON form" },
                { "FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD" },
                { "FROM a\nCOPY x <<EOF\nEOF\n", "COPY cannot accept a heredoc as a destination" },
                { "FROM a\nWORKDIR ${X:?need X}\n", "Dockerfile:2: failed to process" },
                { "FROM a\nRUN --network=wifi x\n", "unsupported network mode" },
                { "FROM a\nVOLUME \"\"\n", "VOLUME specified can not be an empty string" },
                { "FROM a\nCMD [\"\\u0000\"]\n", "argument contains a NUL byte" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct planned p = { 0 };
                struct err err = { 0 };

                assert_true(plan_of(cases[i].text, &p, &err) < 0);
                if (!strstr(err.msg, cases[i].msg))
                        fail_msg("case %zu: '%s'", i, err.msg);
                planned_free(&p);
        }
}

static void
test_dfstage_instr__durations(void **state)
{
        int64_t d;

        (void)state;
        assert_int_equal(dfstage_parse_duration("1h2m3.5s", &d, NULL), 0);
        assert_int_equal(d, 3723500000000LL);
        assert_int_equal(dfstage_parse_duration("300ms", &d, NULL), 0);
        assert_int_equal(d, 300000000);
        assert_int_equal(dfstage_parse_duration("1\xc2\xb5s", &d, NULL), 0);
        assert_int_equal(d, 1000);
        assert_int_equal(dfstage_parse_duration("0", &d, NULL), 0);
        assert_int_equal(dfstage_parse_duration("5", &d, NULL), -EINVAL);
        assert_int_equal(dfstage_parse_duration("1x", &d, NULL), -EINVAL);
        assert_int_equal(dfstage_parse_duration("999999999999h", &d, NULL), -EINVAL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dfstage_instr__cmd_entrypoint_shell),
                cmocka_unit_test(test_dfstage_instr__env_label_workdir_user),
                cmocka_unit_test(test_dfstage_instr__expose_volume_stopsignal_healthcheck),
                cmocka_unit_test(test_dfstage_instr__copy_step),
                cmocka_unit_test(test_dfstage_instr__run_step),
                cmocka_unit_test(test_dfstage_instr__onbuild_stored_as_written),
                cmocka_unit_test(test_dfstage_instr__errors),
                cmocka_unit_test(test_dfstage_instr__durations),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
