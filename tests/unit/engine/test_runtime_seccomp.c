/* Tests for engine/runtime_seccomp.c: docker's default profile evaluated for a capability
 * set, custom profiles, and the compiled filter doing what the profile says in a real
 * process. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <seccomp.h>

#include "engine/runtime_int.h"

static const struct rt_sc_host amd64_6_1 = { .arch = SCMP_ARCH_X86_64, .kmajor = 6, .kminor = 1 };
static const struct rt_sc_host amd64_4_4 = { .arch = SCMP_ARCH_X86_64, .kmajor = 4, .kminor = 4 };

/* rule: the first rule for name, or NULL */
static const struct rt_sc_rule *
rule(const struct rt_sc_profile *p, const char *name)
{
        for (size_t i = 0; i < p->n_rules; i++)
                if (strcmp(p->rules[i].name, name) == 0)
                        return &p->rules[i];
        return NULL;
}

static void
test_runtime_seccomp__default_profile_for_default_caps(void **state)
{
        struct rt_sc_profile p;

        (void)state;
        assert_int_equal(rt_seccomp_evaluate(rt_seccomp_default_profile(), "default",
                                             RT_CAPS_DOCKER_DEFAULT, &amd64_6_1, &p, NULL),
                         0);
        assert_true(p.default_action == SCMP_ACT_ERRNO(EPERM));
        assert_int_equal(p.n_arches, 3); /* x86_64 and its archMap subarchitectures */
        assert_true(p.arches[0] == SCMP_ARCH_X86_64);
        assert_non_null(rule(&p, "read"));
        assert_non_null(rule(&p, "arch_prctl"));     /* includes.arches amd64 */
        assert_null(rule(&p, "s390_runtime_instr")); /* includes.arches s390 */
        assert_null(rule(&p, "mount"));              /* needs CAP_SYS_ADMIN */
        assert_null(rule(&p, "reboot"));             /* needs CAP_SYS_BOOT */
        assert_non_null(rule(&p, "ptrace"));         /* minKernel 4.8 */
        assert_true(rule(&p, "clone3")->action == SCMP_ACT_ERRNO(ENOSYS));
        assert_int_equal(rule(&p, "clone")->n_args, 1); /* masked: no namespace flags */
        assert_true(rule(&p, "clone")->args[0].op == SCMP_CMP_MASKED_EQ);
        rt_sc_profile_release(&p);
}

static void
test_runtime_seccomp__caps_and_kernel_open_gates(void **state)
{
        struct rt_sc_profile p;

        (void)state;
        assert_int_equal(rt_seccomp_evaluate(rt_seccomp_default_profile(), "default",
                                             RT_CAPS_DOCKER_DEFAULT | (1ULL << CAP_SYS_ADMIN),
                                             &amd64_6_1, &p, NULL),
                         0);
        assert_non_null(rule(&p, "mount"));
        assert_non_null(rule(&p, "unshare"));
        assert_true(rule(&p, "clone3")->action == SCMP_ACT_ALLOW); /* the ENOSYS rule excluded */
        assert_int_equal(rule(&p, "clone")->n_args, 0);
        rt_sc_profile_release(&p);
        assert_int_equal(rt_seccomp_evaluate(rt_seccomp_default_profile(), "default",
                                             RT_CAPS_DOCKER_DEFAULT, &amd64_4_4, &p, NULL),
                         0);
        assert_null(rule(&p, "ptrace"));
        rt_sc_profile_release(&p);
}

static void
test_runtime_seccomp__custom_profile_formats(void **state)
{
        struct rt_sc_profile p;

        (void)state;
        assert_int_equal(
                rt_seccomp_evaluate("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
                                    "[\"SCMP_ARCH_X86\"],\"syscalls\":[{\"name\":\"mkdir\","
                                    "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},{\"names\":["
                                    "\"chown\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                                    "t", 0, &amd64_6_1, &p, NULL),
                0);
        assert_true(p.default_action == SCMP_ACT_ALLOW);
        assert_int_equal(p.n_arches, 2);
        assert_true(rule(&p, "mkdir")->action == SCMP_ACT_ERRNO(ENOSYS));
        assert_true(rule(&p, "chown")->action == SCMP_ACT_ERRNO(EPERM));
        rt_sc_profile_release(&p);
}

static void
test_runtime_seccomp__bad_profiles_say_where(void **state)
{
        struct rt_sc_profile p;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(
                rt_seccomp_evaluate("{\"defaultAction\":", "f.json", 0, &amd64_6_1, &p, &err),
                -EINVAL);
        assert_non_null(strstr(err.msg, "seccomp profile f.json"));
        err_clear(&err);
        assert_int_equal(rt_seccomp_evaluate("{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "f.json", 0,
                                             &amd64_6_1, &p, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "SCMP_ACT_NOPE"));
        err_clear(&err);
        assert_int_equal(rt_seccomp_evaluate("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                                             "[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ALLOW\","
                                             "\"args\":[{\"index\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                                             "f.json", 0, &amd64_6_1, &p, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "f.json: syscalls[0]"));
}

/* run_filtered: in a child, install the filter (with no_new_privs) and report
 * (unshare(CLONE_NEWUSER) errno, clone3 errno, mkdir errno, getpid works). */
static void
run_filtered(const struct sock_filter *prog, size_t n, int ret[4])
{
        struct sock_fprog fp = { .len = (unsigned short)n, .filter = (struct sock_filter *)prog };
        int fds[2], status;
        pid_t pid;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        if (pid == 0) {
                int r[4] = { 0 };

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
                        _exit(2);
                r[0] = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
                r[1] = syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
                r[2] = mkdir("/nonexistent-dir/x", 0700) < 0 ? errno : 0;
                r[3] = getpid() > 0;
                _exit(write(fds[1], r, sizeof(r)) == sizeof(r) ? 0 : 3);
        }
        close(fds[1]);
        assert_int_equal(read(fds[0], ret, 4 * sizeof(int)), 4 * (ssize_t)sizeof(int));
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_runtime_seccomp__compiled_default_filter_bites(void **state)
{
        struct rt_sc_profile p;
        struct rt_sc_host host;
        struct sock_filter *prog = NULL;
        size_t n = 0;
        int r[4];

        (void)state;
        rt_seccomp_host(&host);
        if (host.arch != SCMP_ARCH_X86_64 && host.arch != SCMP_ARCH_AARCH64)
                skip();
        assert_int_equal(rt_seccomp_evaluate(rt_seccomp_default_profile(), "default",
                                             RT_CAPS_DOCKER_DEFAULT, &host, &p, NULL),
                         0);
        assert_int_equal(rt_seccomp_compile(&p, &prog, &n, NULL), 0);
        assert_true(n > 0 && n <= 4096);
        run_filtered(prog, n, r);
        assert_int_equal(r[0], EPERM);  /* unshare: not in the profile without SYS_ADMIN */
        assert_int_equal(r[1], ENOSYS); /* clone3: errnoRet 38 */
        assert_int_equal(r[2], ENOENT); /* mkdir allowed: the kernel's own answer */
        assert_int_equal(r[3], 1);
        free(prog);
        rt_sc_profile_release(&p);
}

static void
test_runtime_seccomp__cache_returns_the_same_filter(void **state)
{
        char dir[] = "/tmp/berth-sc-test.XXXXXX", cmd[64];
        struct sock_filter *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(rt_seccomp_load(rt_seccomp_default_profile(), "d", RT_CAPS_DOCKER_DEFAULT,
                                         dir, &a, &na, NULL),
                         0);
        assert_int_equal(rt_seccomp_load(rt_seccomp_default_profile(), "d", RT_CAPS_DOCKER_DEFAULT,
                                         dir, &b, &nb, NULL),
                         0);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof(*a));
        free(a);
        free(b);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_seccomp__default_profile_for_default_caps),
                cmocka_unit_test(test_runtime_seccomp__caps_and_kernel_open_gates),
                cmocka_unit_test(test_runtime_seccomp__custom_profile_formats),
                cmocka_unit_test(test_runtime_seccomp__bad_profiles_say_where),
                cmocka_unit_test(test_runtime_seccomp__compiled_default_filter_bites),
                cmocka_unit_test(test_runtime_seccomp__cache_returns_the_same_filter),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
