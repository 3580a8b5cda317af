/* Tests for engine/build_copytree.c: --chown names resolved in the destination's
 * /etc/passwd and /etc/group; parent directories created inside the root, following the
 * image's symlinks without leaving it. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "engine/build_copy_int.h"
#include "engine/layer.h"

struct root {
        char *dir;
        int fd;
};

static int
setup(void **state)
{
        struct root *r = xcalloc(1, sizeof(*r));
        char *etc, *p;

        r->dir = xstrdup("/tmp/berth-test-copytree-XXXXXX");
        if (!mkdtemp(r->dir))
                return -1;
        etc = xasprintf("%s/etc", r->dir);
        mkdir(etc, 0755);
        p = xasprintf("%s/passwd", etc);
        fs_write_atomic(p, "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n", 59, 0644, NULL);
        free(p);
        p = xasprintf("%s/group", etc);
        fs_write_atomic(p, "root:x:0:\nstaff:x:50:\n", 22, 0644, NULL);
        free(p);
        p = xasprintf("%s/escape", r->dir);
        symlink("/", p); /* absolute: must resolve to the root itself */
        free(p);
        free(etc);
        r->fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *state = r;
        return 0;
}

static int
teardown(void **state)
{
        struct root *r = *state;
        int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        close(r->fd);
        layer_remove_tree(tmp, r->dir + 5, NULL);
        close(tmp);
        free(r->dir);
        free(r);
        return 0;
}

static void
expect_owner(int fd, const char *spec, int uid, int gid)
{
        uid_t u = 99;
        gid_t g = 99;
        struct err err = { 0 };

        if (copy_resolve_chown(fd, spec, &u, &g, &err) < 0)
                fail_msg("%s: %s", spec, err.msg);
        if ((int)u != uid || (int)g != gid)
                fail_msg("%s: got %d:%d, want %d:%d", spec, (int)u, (int)g, uid, gid);
}

static void
test_build_copytree__chown_names_from_the_image(void **state)
{
        struct root *r = *state;
        uid_t u;
        gid_t g;
        struct err err = { 0 };

        expect_owner(r->fd, "app", 1000, 1001);     /* the user's primary group */
        expect_owner(r->fd, "app:staff", 1000, 50);
        expect_owner(r->fd, "1234", 1234, 1234);    /* docker: a lone uid is also the gid */
        expect_owner(r->fd, "1234:5678", 1234, 5678);
        expect_owner(r->fd, "0:staff", 0, 50);
        assert_int_equal(copy_resolve_chown(r->fd, "nobody", &u, &g, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "nobody"));
        assert_int_equal(copy_resolve_chown(r->fd, "app:nogroup", &u, &g, NULL), -EINVAL);
}

static void
test_build_copytree__mkdir_stays_in_the_root(void **state)
{
        struct root *r = *state;
        struct copy_job j = { .rootfd = r->fd, .chmod = NULL };
        int fd = copy_mkdir_p(&j, "/escape/a/b", NULL);
        char *p = xasprintf("%s/a/b", r->dir);

        assert_true(fd >= 0);
        close(fd);
        assert_true(fs_is_dir(p)); /* /escape -> / resolved inside the root */
        free(p);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_build_copytree__chown_names_from_the_image),
                T(test_build_copytree__mkdir_stays_in_the_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
