/* Tests for engine/runtime_cgroup.c: hierarchies from mountinfo (v1, v2, hybrid), the
 * container's cgroup paths and the limit files in docker's units. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/strv.h"
#include "engine/runtime_int.h"

static const char hybrid[] =
        "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpu\\040acct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "99 35 0:32 / /mnt/again rw,relatime - cgroup cgroup rw,memory\n";

static void
test_runtime_cgroup__hybrid_layout(void **state)
{
        struct rt_cg_layout l;
        char **dirs;

        (void)state;
        assert_int_equal(rt_cgroup_parse_mountinfo(hybrid, &l, NULL), 0);
        assert_int_equal(l.mode, RT_CG_HYBRID);
        assert_int_equal(l.n, 5); /* memory's second mount is the same hierarchy */
        assert_string_equal(l.h[1].mountpoint, "/sys/fs/cgroup/cpu acct");
        assert_string_equal(l.h[3].controllers, "name=systemd");
        assert_true(rt_cg_has(&l.h[2], "memory"));
        assert_false(rt_cg_has(&l.h[0], "cpuacct"));
        assert_int_equal(l.h[4].v2, 1);
        dirs = rt_cgroup_dirs(&l, "berth", "abc");
        assert_string_equal(dirs[2], "/sys/fs/cgroup/memory/berth/abc");
        assert_string_equal(dirs[4], "/sys/fs/cgroup/unified/berth/abc");
        strv_free(dirs);
        rt_cg_layout_release(&l);
}

static void
test_runtime_cgroup__v2_and_v1_only_and_none(void **state)
{
        struct rt_cg_layout l;

        (void)state;
        assert_int_equal(rt_cgroup_parse_mountinfo(
                                 "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
                                 &l, NULL),
                         0);
        assert_int_equal(l.mode, RT_CG_V2);
        rt_cg_layout_release(&l);
        assert_int_equal(rt_cgroup_parse_mountinfo(
                                 "32 31 0:29 / /c/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
                                 &l, NULL),
                         0);
        assert_int_equal(l.mode, RT_CG_V1);
        assert_string_equal(l.h[0].controllers, "cpu,cpuacct");
        assert_true(rt_cg_has(&l.h[0], "cpuacct"));
        rt_cg_layout_release(&l);
        assert_int_equal(
                rt_cgroup_parse_mountinfo("22 27 0:21 / /proc rw - proc proc rw\n", &l, NULL),
                -ENOENT);
}

static const char *
value_of(struct rt_cg_write *w, size_t n, const char *file)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(w[i].file, file) == 0)
                        return w[i].value;
        return NULL;
}

static void
test_runtime_cgroup__limits_in_dockers_units(void **state)
{
        struct rt_config cfg;
        struct rt_cg_write *w;
        size_t n;

        (void)state;
        rt_config_init(&cfg);
        cfg.memory = 64 << 20;
        cfg.memory_swap = 128 << 20;
        cfg.pids_limit = 50;
        cfg.nano_cpus = 500000000;
        cfg.cpu_shares = 512;
        cfg.cpuset_cpus = "0";
        assert_int_equal(rt_cgroup_limits(&cfg, 0, &w, &n, NULL), 0);
        assert_string_equal(value_of(w, n, "memory.limit_in_bytes"), "67108864");
        assert_string_equal(value_of(w, n, "memory.memsw.limit_in_bytes"), "134217728");
        assert_string_equal(value_of(w, n, "pids.max"), "50");
        assert_string_equal(value_of(w, n, "cpu.cfs_quota_us"), "50000");
        assert_string_equal(value_of(w, n, "cpu.cfs_period_us"), "100000");
        assert_string_equal(value_of(w, n, "cpu.shares"), "512");
        assert_string_equal(value_of(w, n, "cpuset.cpus"), "0");
        rt_cg_writes_free(w, n);
        assert_int_equal(rt_cgroup_limits(&cfg, 1, &w, &n, NULL), 0);
        assert_string_equal(value_of(w, n, "memory.max"), "67108864");
        assert_string_equal(value_of(w, n, "memory.swap.max"), "67108864");
        assert_string_equal(value_of(w, n, "cpu.max"), "50000 100000");
        assert_string_equal(value_of(w, n, "cpu.weight"), "20");
        rt_cg_writes_free(w, n);
}

static void
test_runtime_cgroup__swap_defaults_and_unlimited(void **state)
{
        struct rt_config cfg;
        struct rt_cg_write *w;
        size_t n;

        (void)state;
        rt_config_init(&cfg);
        cfg.memory = 32 << 20;
        assert_int_equal(rt_cgroup_limits(&cfg, 0, &w, &n, NULL), 0);
        assert_string_equal(value_of(w, n, "memory.memsw.limit_in_bytes"), "67108864"); /* 2x */
        rt_cg_writes_free(w, n);
        cfg.memory_swap = -1;
        assert_int_equal(rt_cgroup_limits(&cfg, 1, &w, &n, NULL), 0);
        assert_string_equal(value_of(w, n, "memory.swap.max"), "max");
        rt_cg_writes_free(w, n);
        rt_config_init(&cfg);
        assert_int_equal(rt_cgroup_limits(&cfg, 0, &w, &n, NULL), 0);
        assert_int_equal(n, 0);
        rt_cg_writes_free(w, n);
}

static void
test_runtime_cgroup__bad_limits_in_dockers_words(void **state)
{
        struct rt_config cfg;
        struct rt_cg_write *w;
        struct err err = { 0 };
        size_t n;

        (void)state;
        rt_config_init(&cfg);
        cfg.memory = 1 << 20;
        assert_int_equal(rt_cgroup_limits(&cfg, 0, &w, &n, &err), -EINVAL);
        assert_string_equal(err.msg, "minimum memory limit allowed is 6MB");
        err_clear(&err);
        cfg.memory = 64 << 20;
        cfg.memory_swap = 32 << 20;
        assert_int_equal(rt_cgroup_limits(&cfg, 0, &w, &n, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "memoryswap limit should be larger"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_cgroup__hybrid_layout),
                cmocka_unit_test(test_runtime_cgroup__v2_and_v1_only_and_none),
                cmocka_unit_test(test_runtime_cgroup__limits_in_dockers_units),
                cmocka_unit_test(test_runtime_cgroup__swap_defaults_and_unlimited),
                cmocka_unit_test(test_runtime_cgroup__bad_limits_in_dockers_words),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
