/* Tests for engine/runtime_mounts.c: docker's mount table, /dev contents and device rules,
 * and the user mount options. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "engine/runtime_int.h"

static struct rt_cg_hier hiers[] = {
        { .mountpoint = (char[]){ "/sys/fs/cgroup/memory" }, .controllers = (char[]){ "memory" } },
        { .mountpoint = (char[]){ "/sys/fs/cgroup/unified" },
          .controllers = (char[]){ "" },
          .v2 = 1 },
};
static char dir0[] = "/sys/fs/cgroup/memory/berth/x", dir1[] = "/sys/fs/cgroup/unified/berth/x";
static char *dirs[] = { dir0, dir1, NULL };

static void
build(const struct rt_config *cfg, enum rt_cg_mode mode, struct rt_mount_table *t)
{
        struct rt_cg_layout cg = { .mode = mode, .h = hiers, .n = 2 };
        struct rt_mounts_in in = { .cfg = cfg,
                                   .cg = &cg,
                                   .cg_dirs = dirs,
                                   .hosts_path = "/r/hosts",
                                   .hostname_path = "/r/hostname",
                                   .resolv_path = "/r/resolv.conf" };

        assert_int_equal(rt_mounts_build(&in, t, NULL), 0);
}

static const struct rt_mount_op *
find(const struct rt_mount_op *ops, size_t n, const char *target)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(ops[i].target, target) == 0)
                        return &ops[i];
        return NULL;
}

static void
test_runtime_mounts__default_table_in_dockers_order(void **state)
{
        static const char *const want[] = { "proc",         "dev",           "dev/pts",
                                            "sys",          "sys/fs/cgroup", "sys/fs/cgroup/memory",
                                            "dev/mqueue",   "dev/shm",       "etc/resolv.conf",
                                            "etc/hostname", "etc/hosts" };
        struct rt_config cfg;
        struct rt_mount_table t;

        (void)state;
        rt_config_init(&cfg);
        build(&cfg, RT_CG_HYBRID, &t);
        assert_int_equal(t.n_ops, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < t.n_ops; i++)
                assert_string_equal(t.ops[i].target, want[i]);
        assert_true(t.ops[0].flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC));
        assert_string_equal(t.ops[1].data, "mode=755,size=65536k");
        assert_string_equal(t.ops[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        assert_true(t.ops[3].flags & MS_RDONLY);
        assert_string_equal(t.ops[5].source, dir0); /* the container's own cgroup, read-only */
        assert_true(t.ops[5].flags & MS_RDONLY);
        assert_string_equal(t.ops[7].data, "mode=1777,size=65536k");
        assert_int_equal(t.ops[8].opf & RT_OPF_FILE, RT_OPF_FILE);
        rt_mount_table_release(&t);
}

static void
test_runtime_mounts__masked_and_readonly_paths_unless_privileged(void **state)
{
        struct rt_config cfg;
        struct rt_mount_table t;
        const struct rt_mount_op *op;

        (void)state;
        rt_config_init(&cfg);
        build(&cfg, RT_CG_V1, &t);
        op = find(t.late, t.n_late, "proc/sys");
        assert_non_null(op);
        assert_int_equal(op->kind, RT_OP_RO);
        op = find(t.late, t.n_late, "proc/kcore");
        assert_non_null(op);
        assert_int_equal(op->kind, RT_OP_MASK);
        assert_int_equal(op->opf & RT_OPF_OPTIONAL, RT_OPF_OPTIONAL);
        assert_non_null(find(t.late, t.n_late, "sys/firmware"));
        rt_mount_table_release(&t);
        cfg.privileged = 1;
        build(&cfg, RT_CG_V1, &t);
        assert_int_equal(t.n_late, 0);
        assert_false(find(t.ops, t.n_ops, "sys")->flags & MS_RDONLY);
        assert_string_equal(t.device_rules[0], "a *:* rwm");
        rt_mount_table_release(&t);
}

static void
test_runtime_mounts__v2_mounts_cgroup2_read_only(void **state)
{
        struct rt_config cfg;
        struct rt_mount_table t;
        const struct rt_mount_op *op;

        (void)state;
        rt_config_init(&cfg);
        build(&cfg, RT_CG_V2, &t);
        op = find(t.ops, t.n_ops, "sys/fs/cgroup");
        assert_string_equal(op->fstype, "cgroup2");
        assert_true(op->flags & MS_RDONLY);
        assert_null(find(t.ops, t.n_ops, "sys/fs/cgroup/memory"));
        rt_mount_table_release(&t);
}

static void
test_runtime_mounts__dev_nodes_links_and_rules(void **state)
{
        struct rt_config cfg;
        struct rt_mount_table t;

        (void)state;
        rt_config_init(&cfg);
        build(&cfg, RT_CG_V1, &t);
        assert_int_equal(t.n_devs, 6);
        assert_string_equal(t.devs[0].path, "null");
        assert_int_equal(t.devs[0].mode, S_IFCHR | 0666);
        assert_string_equal(t.links[0].path, "fd");
        assert_string_equal(t.links[4].target, "pts/ptmx");
        assert_string_equal(t.device_rules[0], "b *:* m");
        assert_string_equal(t.device_rules[11], "c 136:* rwm");
        rt_mount_table_release(&t);
}

static void
test_runtime_mounts__user_mounts_sorted_by_depth_and_replace_defaults(void **state)
{
        struct rt_mount m[] = {
                { .type = RT_MOUNT_TMPFS, .target = "/a/b/c" },
                { .type = RT_MOUNT_BIND, .source = "/", .target = "/a", .options = "ro,rslave" },
                { .type = RT_MOUNT_TMPFS, .target = "/dev/shm", .options = "size=1m" },
        };
        struct rt_config cfg;
        struct rt_mount_table t;
        const struct rt_mount_op *a;
        size_t ia = 0, ic = 0;

        (void)state;
        rt_config_init(&cfg);
        cfg.mounts = m;
        cfg.n_mounts = 3;
        build(&cfg, RT_CG_V1, &t);
        for (size_t i = 0; i < t.n_ops; i++) {
                ia = strcmp(t.ops[i].target, "a") == 0 ? i : ia;
                ic = strcmp(t.ops[i].target, "a/b/c") == 0 ? i : ic;
        }
        assert_true(ia > 0 && ic > ia);
        a = &t.ops[ia];
        assert_true(a->flags & MS_RDONLY);
        assert_true(a->propagation == (MS_SLAVE | MS_REC));
        assert_int_equal(a->opf & RT_OPF_FILE, 0);
        /* the user's /dev/shm replaces docker's */
        assert_string_equal(find(t.ops, t.n_ops, "dev/shm")->data, "size=1048576");
        rt_mount_table_release(&t);
}

static void
test_runtime_mounts__bad_user_mounts(void **state)
{
        struct rt_mount rel = { .type = RT_MOUNT_TMPFS, .target = "relative" };
        struct rt_mount root = { .type = RT_MOUNT_TMPFS, .target = "/" };
        struct rt_mount missing = { .type = RT_MOUNT_BIND,
                                    .source = "/nonexistent/x",
                                    .target = "/x" };
        struct rt_mount badopt = { .type = RT_MOUNT_TMPFS, .target = "/x", .options = "fly" };
        struct rt_mount *cases[] = { &rel, &root, &missing, &badopt };
        struct rt_cg_layout cg = { .mode = RT_CG_V1, .h = hiers, .n = 2 };

        (void)state;
        for (size_t i = 0; i < 4; i++) {
                struct rt_config cfg;
                struct rt_mount_table t;
                struct err err = { 0 };
                struct rt_mounts_in in = { .cfg = &cfg, .cg = &cg, .cg_dirs = dirs };

                rt_config_init(&cfg);
                cfg.mounts = cases[i];
                cfg.n_mounts = 1;
                assert_true(rt_mounts_build(&in, &t, &err) < 0);
                assert_true(err.msg[0] != '\0');
        }
}

static void
test_runtime_mounts__tmpfs_options(void **state)
{
        struct rt_mount m = { .type = RT_MOUNT_TMPFS,
                              .target = "/t",
                              .options = "exec,size=64m,mode=700" };
        unsigned long flags, prop;
        char *data = NULL;
        int rec;

        (void)state;
        assert_int_equal(rt_mount_options(&m, &flags, &prop, &rec, &data, NULL), 0);
        assert_true(flags == (MS_NOSUID | MS_NODEV));
        assert_string_equal(data, "size=67108864,mode=700");
        free(data);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_mounts__default_table_in_dockers_order),
                cmocka_unit_test(test_runtime_mounts__masked_and_readonly_paths_unless_privileged),
                cmocka_unit_test(test_runtime_mounts__v2_mounts_cgroup2_read_only),
                cmocka_unit_test(test_runtime_mounts__dev_nodes_links_and_rules),
                cmocka_unit_test(
                        test_runtime_mounts__user_mounts_sorted_by_depth_and_replace_defaults),
                cmocka_unit_test(test_runtime_mounts__bad_user_mounts),
                cmocka_unit_test(test_runtime_mounts__tmpfs_options),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
