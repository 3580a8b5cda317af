/* Tests for engine/runtime_devbpf.c: the cgroup v2 device program built from allow rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <linux/bpf.h>

#include <cmocka.h>

#include "base/strv.h"
#include "engine/runtime_int.h"

#define PROLOGUE 7

static void
test_runtime_devbpf__rules_become_checks_then_deny(void **state)
{
        cleanup_strv char **rules = strv_split("c 1:3 rwm;b *:* m;c 136:* rw", ";");
        struct bpf_insn *p = NULL;
        size_t n = 0;

        (void)state;
        assert_int_equal(rt_devbpf_program(rules, &p, &n, NULL), 0);
        /* c 1:3 rwm: type, major, minor, allow; b *:* m: type, access (3), allow;
         * c 136:* rw: type, access (3), major, allow; then deny */
        assert_int_equal(n, PROLOGUE + 5 + 6 + 7 + 2);
        assert_int_equal(p[PROLOGUE].code, BPF_JMP | BPF_JNE | BPF_K);
        assert_int_equal(p[PROLOGUE].imm, BPF_DEVCG_DEV_CHAR);
        assert_int_equal(p[PROLOGUE].off, 4); /* to the next rule */
        assert_int_equal(p[PROLOGUE + 1].imm, 1);
        assert_int_equal(p[PROLOGUE + 2].imm, 3);
        assert_int_equal(p[n - 2].imm, 0); /* r0 = 0: deny */
        assert_int_equal(p[n - 1].code, BPF_JMP | BPF_EXIT);
        free(p);
}

static void
test_runtime_devbpf__allow_all_has_no_unreachable_deny(void **state)
{
        cleanup_strv char **rules = strv_split("a *:* rwm;c 1:3 rwm", ";");
        struct bpf_insn *p = NULL;
        size_t n = 0;

        (void)state;
        assert_int_equal(rt_devbpf_program(rules, &p, &n, NULL), 0);
        assert_int_equal(n, PROLOGUE + 2);
        assert_int_equal(p[PROLOGUE].imm, 1);
        free(p);
}

static void
test_runtime_devbpf__bad_rules(void **state)
{
        cleanup_strv char **rules = strv_split("c 1:x rwm", ";");
        struct bpf_insn *p = NULL;
        struct err err = { 0 };
        size_t n = 0;

        (void)state;
        assert_int_equal(rt_devbpf_program(rules, &p, &n, &err), -EINVAL);
        assert_string_equal(err.msg, "device cgroup: bad rule 'c 1:x rwm'");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_devbpf__rules_become_checks_then_deny),
                cmocka_unit_test(test_runtime_devbpf__allow_all_has_no_unreachable_deny),
                cmocka_unit_test(test_runtime_devbpf__bad_rules),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
