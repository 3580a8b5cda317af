/* Tests for engine/build_mount.c: RUN --mount values become the runner's mounts; bad ones
 * are clear errors; a cache mount is a directory under the state root. */
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
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/jsonx.h"
#include "engine/layer.h"

struct fx {
        char *root;
        struct build_opts o;
        struct build b;
        char **env;
};

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));

        f->root = xstrdup("/tmp/berth-test-mount-XXXXXX");
        if (!mkdtemp(f->root))
                return -1;
        build_opts_init(&f->o);
        f->o.root = f->root;
        strv_add(&f->env, "TOKEN=from-env");
        f->o.environ_ = f->env;
        strv_add(&f->o.secrets, "id=tok,env=TOKEN");
        f->b = (struct build){ .o = &f->o, .exefd = -1, .tmp = xasprintf("%s/tmp", f->root) };
        mkdir(f->b.tmp, 0700);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;
        int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        layer_remove_tree(tmp, f->root + 5, NULL);
        close(tmp);
        strv_free(f->env);
        strv_free(f->o.secrets);
        free(f->b.tmp);
        free(f->root);
        free(f);
        return 0;
}

static int
add(struct fx *f, const char *spec, json_object **ret, struct build_mounts *m, struct err *err)
{
        char *mounts[] = { (char *)spec, NULL };
        struct dfstage_step st = { .cmd = DF_RUN, .mounts = mounts };

        *ret = json_object_new_object();
        return build_mounts_add(&f->b, &st, *ret, m, err);
}

static void
test_build_mount__cache_tmpfs_secret(void **state)
{
        struct fx *f = *state;
        struct build_mounts m = { 0 };
        json_object *o;
        json_object *mt;
        char *dir;

        assert_int_equal(add(f, "type=cache,target=/root/.cache,id=c1", &o, &m, NULL), 0);
        mt = json_object_array_get_idx(jsonx_get(o, "mounts"), 0);
        assert_string_equal(jsonx_str(mt, "target"), "/root/.cache");
        dir = xasprintf("%s/build/cache-mounts", f->root);
        assert_int_equal(strncmp(jsonx_str(mt, "source"), dir, strlen(dir)), 0);
        assert_true(fs_is_dir(jsonx_str(mt, "source")));
        free(dir);
        json_object_put(o);

        assert_int_equal(add(f, "type=tmpfs,target=/t,size=1m", &o, &m, NULL), 0);
        mt = json_object_array_get_idx(jsonx_get(o, "mounts"), 0);
        assert_string_equal(jsonx_str(mt, "type"), "tmpfs");
        assert_string_equal(jsonx_str(mt, "options"), "size=1m");
        json_object_put(o);

        assert_int_equal(add(f, "type=secret,id=tok", &o, &m, NULL), 0);
        mt = json_object_array_get_idx(jsonx_get(o, "mounts"), 0);
        assert_string_equal(jsonx_str(mt, "target"), "/run/secrets/tok");
        assert_string_equal(jsonx_str(mt, "options"), "ro");
        assert_true(strv_contains(m.targets, "/run/secrets/tok")); /* pruned from the layer */
        json_object_put(o);
        build_mounts_release(&m);
}

static void
test_build_mount__bad_values(void **state)
{
        struct fx *f = *state;
        struct build_mounts m = { 0 };
        struct err err = { 0 };
        json_object *o;

        assert_int_equal(add(f, "type=ssh", &o, &m, &err), -ENOTSUP);
        json_object_put(o);
        err_clear(&err);
        assert_int_equal(add(f, "type=cache,target=/c,colour=red", &o, &m, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "colour"));
        json_object_put(o);
        err_clear(&err);
        assert_int_equal(add(f, "type=cache", &o, &m, &err), -EINVAL);
        json_object_put(o);
        err_clear(&err);
        assert_int_equal(add(f, "type=cache,target=/c,sharing=weird", &o, &m, &err), -EINVAL);
        json_object_put(o);
        err_clear(&err);
        assert_int_equal(add(f, "type=secret,id=absent,required", &o, &m, &err), -ENOENT);
        json_object_put(o);
        assert_int_equal(add(f, "type=secret,id=absent", &o, &m, NULL), 0); /* optional */
        assert_null(jsonx_get(o, "mounts"));
        json_object_put(o);
        build_mounts_release(&m);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_build_mount__cache_tmpfs_secret),
                T(test_build_mount__bad_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
