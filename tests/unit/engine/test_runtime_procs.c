/* Tests for engine/runtime_procs.c on stand-in cgroup directories (plain files): the freezer
 * protocol of v1 (freezer.state) and v2 (cgroup.freeze, cgroup.events), the choice between
 * them, and the container's pids from cgroup.procs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/runtime_int.h"

static char *
tmpdir(void)
{
        char *d = xstrdup("/tmp/berth-unit-procs.XXXXXX");

        assert_non_null(mkdtemp(d));
        return d;
}

static void
put(const char *dir, const char *leaf, const char *text)
{
        char *p = xasprintf("%s/%s", dir, leaf);

        assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644, NULL), 0);
        free(p);
}

static char *
get(const char *dir, const char *leaf)
{
        char *p = xasprintf("%s/%s", dir, leaf), *text = NULL;

        assert_int_equal(fs_read_capped(p, 4096, &text, NULL, NULL), 0);
        free(p);
        return text;
}

static void
rmtree(char *d)
{
        char *cmd = xasprintf("rm -rf '%s'", d);

        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(d);
}

static void
test_runtime_procs__v1_freezer(void **state)
{
        char *d = tmpdir(), *text;
        char *dirs[] = { d, NULL };

        (void)state;
        put(d, "freezer.state", "THAWED\n");
        assert_int_equal(rt_freeze_dirs(dirs, 1, NULL), 0);
        text = get(d, "freezer.state");
        assert_int_equal(strncmp(text, "FROZEN", 6), 0);
        free(text);
        assert_int_equal(rt_freeze_dirs(dirs, 0, NULL), 0);
        text = get(d, "freezer.state");
        assert_int_equal(strncmp(text, "THAWED", 6), 0);
        free(text);
        rmtree(d);
}

static void
test_runtime_procs__v2_freezer_and_preference(void **state)
{
        char *v2 = tmpdir(), *v1 = tmpdir(), *text;
        char *only_v2[] = { v2, NULL }, *hybrid[] = { v2, v1, NULL };
        struct err err = { 0 };

        (void)state;
        put(v2, "cgroup.freeze", "0\n");
        put(v2, "cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(rt_freeze_dirs(only_v2, 1, NULL), 0);
        text = get(v2, "cgroup.freeze");
        assert_int_equal(text[0], '1');
        free(text);
        /* a hybrid host: the v1 freezer is the one used, whatever the order */
        put(v1, "freezer.state", "THAWED\n");
        put(v2, "cgroup.freeze", "0\n");
        assert_int_equal(rt_freeze_dirs(hybrid, 1, NULL), 0);
        text = get(v2, "cgroup.freeze");
        assert_int_equal(text[0], '0');
        free(text);
        rmtree(v1);
        /* no freezer at all */
        {
                char *none = tmpdir();
                char *nd[] = { none, NULL };

                assert_int_equal(rt_freeze_dirs(nd, 1, &err), -ENOTSUP);
                assert_non_null(strstr(err.msg, "no freezer"));
                rmtree(none);
        }
        rmtree(v2);
}

static void
test_runtime_procs__pids_sorted_from_cgroup_procs(void **state)
{
        char *run = tmpdir(), *cg = tmpdir();
        char *cgs[] = { xasprintf("%s/missing", cg), cg, NULL };
        struct rt_state st = { .pid = getpid(), .cgroups = cgs };
        pid_t *pids = NULL;
        size_t n = 0;

        (void)state;
        memcpy(st.id, "abc", 4);
        put(cg, "cgroup.procs", "30\n10\n20\n");
        assert_int_equal(rt_state_write(run, &st, NULL), 0);
        /* the first hierarchy lacks the dir: the next one answers */
        assert_int_equal(rt_pids(run, &pids, &n, NULL), 0);
        assert_int_equal(n, 3);
        assert_int_equal(pids[0], 10);
        assert_int_equal(pids[1], 20);
        assert_int_equal(pids[2], 30);
        free(pids);
        put(cg, "cgroup.procs", "");
        assert_int_equal(rt_pids(run, &pids, &n, NULL), 0);
        assert_int_equal(n, 0);
        free(pids);
        free(cgs[0]);
        rmtree(run);
        rmtree(cg);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_procs__v1_freezer),
                cmocka_unit_test(test_runtime_procs__v2_freezer_and_preference),
                cmocka_unit_test(test_runtime_procs__pids_sorted_from_cgroup_procs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
