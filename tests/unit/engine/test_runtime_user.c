/* Tests for engine/runtime_user.c: docker -u resolution against an image's /etc/passwd and
 * /etc/group (runc GetExecUser + moby getUser rules). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/strv.h"
#include "engine/runtime_int.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "alice:x:1001:1001::/home/alice:/bin/sh\n"
                             "broken:x:notanumber:1::/:/bin/sh\n";
static const char group[] = "root:x:0:\nstaff:x:50:alice,daemon\nalice:x:1001:\nwheel:x:10:root\n";

static void
expect_groups(const struct rt_user *u, size_t n, const gid_t *want)
{
        assert_int_equal(u->n_groups, n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(u->groups[i], want[i]);
}

static void
test_runtime_user__default_is_root_with_its_home_and_groups(void **state)
{
        struct rt_user u;
        gid_t want[] = { 0, 10 };

        (void)state;
        assert_int_equal(rt_user_resolve(NULL, passwd, group, NULL, &u, NULL), 0);
        assert_int_equal(u.uid, 0);
        assert_int_equal(u.gid, 0);
        assert_string_equal(u.home, "/root");
        expect_groups(&u, 2, want);
        rt_user_release(&u);
}

static void
test_runtime_user__numeric_uid_without_entry(void **state)
{
        struct rt_user u;
        gid_t want[] = { 0 };

        (void)state;
        assert_int_equal(rt_user_resolve("1000", passwd, group, NULL, &u, NULL), 0);
        assert_int_equal(u.uid, 1000);
        assert_int_equal(u.gid, 0);
        assert_string_equal(u.home, "/");
        expect_groups(&u, 1, want);
        rt_user_release(&u);
}

static void
test_runtime_user__name_gives_gid_home_and_member_groups(void **state)
{
        struct rt_user u;
        gid_t want[] = { 1001, 50 };

        (void)state;
        assert_int_equal(rt_user_resolve("alice", passwd, group, NULL, &u, NULL), 0);
        assert_int_equal(u.uid, 1001);
        assert_int_equal(u.gid, 1001);
        assert_string_equal(u.home, "/home/alice");
        expect_groups(&u, 2, want);
        rt_user_release(&u);
}

static void
test_runtime_user__explicit_group_drops_member_groups(void **state)
{
        struct rt_user u;
        gid_t want[] = { 50 };

        (void)state;
        assert_int_equal(rt_user_resolve("alice:staff", passwd, group, NULL, &u, NULL), 0);
        assert_int_equal(u.gid, 50);
        expect_groups(&u, 1, want);
        rt_user_release(&u);
        assert_int_equal(rt_user_resolve("1000:1000", passwd, group, NULL, &u, NULL), 0);
        assert_int_equal(u.uid, 1000);
        assert_int_equal(u.gid, 1000);
        rt_user_release(&u);
}

static void
test_runtime_user__group_add_by_name_or_number_once_each(void **state)
{
        cleanup_strv char **add = strv_split("wheel,20,50,wheel", ",");
        gid_t want[] = { 0, 10, 20, 50 };
        struct rt_user u;

        (void)state;
        assert_int_equal(rt_user_resolve("1000", passwd, group, add, &u, NULL), 0);
        expect_groups(&u, 4, want);
        rt_user_release(&u);
}

static void
test_runtime_user__unknown_names_are_errors_in_docker_words(void **state)
{
        cleanup_strv char **bad_add = strv_split("nosuchgroup", ",");
        struct err err = { 0 };
        struct rt_user u;

        (void)state;
        assert_int_equal(rt_user_resolve("nobody", passwd, group, NULL, &u, &err), -EINVAL);
        assert_string_equal(err.msg,
                            "unable to find user nobody: no matching entries in passwd file");
        err_clear(&err);
        assert_int_equal(rt_user_resolve("alice:nogroup", passwd, group, NULL, &u, &err), -EINVAL);
        assert_string_equal(err.msg,
                            "unable to find group nogroup: no matching entries in group file");
        err_clear(&err);
        assert_int_equal(rt_user_resolve("0", passwd, group, bad_add, &u, &err), -EINVAL);
        assert_string_equal(err.msg, "unable to find group nosuchgroup");
        err_clear(&err);
        /* a name with no passwd file at all */
        assert_int_equal(rt_user_resolve("alice", NULL, NULL, NULL, &u, &err), -EINVAL);
}

static void
test_runtime_user__no_files_numeric_ids_work(void **state)
{
        struct rt_user u;

        (void)state;
        assert_int_equal(rt_user_resolve("33:44", NULL, NULL, NULL, &u, NULL), 0);
        assert_int_equal(u.uid, 33);
        assert_int_equal(u.gid, 44);
        assert_string_equal(u.home, "/");
        rt_user_release(&u);
}

static void
test_runtime_user__out_of_range_uid_is_a_name(void **state)
{
        struct rt_user u;

        (void)state;
        assert_int_equal(rt_user_resolve("4294967296", passwd, group, NULL, &u, NULL), -EINVAL);
        assert_int_equal(rt_user_resolve("-1", passwd, group, NULL, &u, NULL), -EINVAL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_user__default_is_root_with_its_home_and_groups),
                cmocka_unit_test(test_runtime_user__numeric_uid_without_entry),
                cmocka_unit_test(test_runtime_user__name_gives_gid_home_and_member_groups),
                cmocka_unit_test(test_runtime_user__explicit_group_drops_member_groups),
                cmocka_unit_test(test_runtime_user__group_add_by_name_or_number_once_each),
                cmocka_unit_test(test_runtime_user__unknown_names_are_errors_in_docker_words),
                cmocka_unit_test(test_runtime_user__no_files_numeric_ids_work),
                cmocka_unit_test(test_runtime_user__out_of_range_uid_is_a_name),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
