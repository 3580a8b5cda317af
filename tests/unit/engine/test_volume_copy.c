/* Tests for engine/volume_copy.c: copy-up merges the image's layers like overlayfs (a higher
 * layer's entry wins, whiteouts hide, symlinks and modes are kept), only into an empty
 * volume; vol_size sums file bytes. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/volume.h"

static int
setup(void **state)
{
        char tmpl[] = "/tmp/berth-test-volcp.XXXXXX";

        assert_non_null(mkdtemp(tmpl));
        *state = xstrdup(tmpl);
        return 0;
}

static int
teardown(void **state)
{
        char *root = *state;
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", root);

        assert_int_equal(system(cmd), 0);
        free(root);
        return 0;
}

static void
put(const char *root, const char *rel, const char *text)
{
        cleanup_free char *p = xasprintf("%s/%s", root, rel);
        cleanup_free char *d = path_dirname(p);
        struct err e = { 0 };

        assert_int_equal(fs_mkdir_p(d, 0755, &e), 0);
        assert_int_equal(fs_write_atomic(p, text, strlen(text), 0640, &e), 0);
}

static char *
get(const char *path)
{
        char *buf = NULL;
        size_t len;

        if (fs_read_capped(path, 4096, &buf, &len, NULL) < 0)
                return NULL;
        return buf;
}

static void
test_volume_copy__merges_layers(void **state)
{
        const char *root = *state;
        cleanup_free char *up = xasprintf("%s/l1", root), *low = xasprintf("%s/l2", root);
        cleanup_free char *data = NULL, *a = NULL, *b = NULL, *wh = NULL, *ln = NULL;
        char *lowers[] = { up, low, NULL };
        char target[64] = { 0 };
        struct stat sb;
        int created, whiteout;
        struct err e = { 0 };

        put(up, "srv/a", "upper");
        put(low, "srv/a", "lower");
        put(low, "srv/sub/b", "bee");
        put(low, "srv/gone", "x");
        put(low, "other/c", "not copied");
        wh = xasprintf("%s/srv/gone", up);
        whiteout = mknod(wh, S_IFCHR | 0600, makedev(0, 0)) == 0;
        ln = xasprintf("%s/srv/link", up);
        assert_int_equal(symlink("/etc/passwd", ln), 0);
        assert_int_equal(vol_create(root, "vv", NULL, NULL, &created, &e), 0);
        assert_int_equal(vol_copy_up(root, "vv", lowers, "/srv/", &e), 0);
        data = vol_path(root, "vv");
        a = xasprintf("%s/a", data);
        b = xasprintf("%s/sub/b", data);
        char *s = get(a);
        assert_string_equal(s, "upper");
        free(s);
        s = get(b);
        assert_string_equal(s, "bee");
        free(s);
        assert_int_equal(stat(a, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0640);
        free(ln);
        ln = xasprintf("%s/link", data);
        assert_true(readlink(ln, target, sizeof(target) - 1) > 0);
        assert_string_equal(target, "/etc/passwd");
        free(wh);
        wh = xasprintf("%s/gone", data);
        if (whiteout)
                assert_false(fs_exists(wh));
        assert_int_equal(vol_size(data), 5 + 3 + (whiteout ? 0 : 1));
        /* the volume's root takes the mode of the image's directory */
        free(wh);
        wh = xasprintf("%s/srv", up);
        assert_int_equal(chmod(wh, 0710), 0);
        assert_int_equal(vol_create(root, "v2", NULL, NULL, &created, &e), 0);
        assert_int_equal(vol_copy_up(root, "v2", lowers, "/srv", &e), 0);
        free(data);
        data = vol_path(root, "v2");
        assert_int_equal(stat(data, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0710);
}

static void
test_volume_copy__only_into_empty(void **state)
{
        const char *root = *state;
        cleanup_free char *l = xasprintf("%s/l", root);
        cleanup_free char *data = NULL, *f = NULL;
        char *lowers[] = { l, NULL };
        int created;
        struct err e = { 0 };

        put(l, "d/new", "image");
        assert_int_equal(vol_create(root, "vv", NULL, NULL, &created, &e), 0);
        data = vol_path(root, "vv");
        put(data, "mine", "kept");
        assert_int_equal(vol_copy_up(root, "vv", lowers, "/d", &e), 0);
        f = xasprintf("%s/new", data);
        assert_false(fs_exists(f));
        /* a path the image does not have copies nothing */
        assert_int_equal(vol_create(root, "ww", NULL, NULL, &created, &e), 0);
        assert_int_equal(vol_copy_up(root, "ww", lowers, "/nothing/here", &e), 0);
        free(data);
        data = vol_path(root, "ww");
        assert_int_equal(vol_size(data), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_volume_copy__merges_layers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_volume_copy__only_into_empty, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
