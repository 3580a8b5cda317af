/* Tests for engine/build_layer.c: an upper dir becomes a layer by moving it into the store
 * (not copying it), reproducibly under SOURCE_DATE_EPOCH; the history text of steps. */
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

#include "base/fs.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "store_fixture.h"

static int
setup(void **state)
{
        return store_fx_setup(state, "build-layer");
}

static int
teardown(void **state)
{
        return store_fx_teardown(state);
}

static void
build_init(struct build *b, struct fx *f, int64_t epoch)
{
        *b = (struct build){ .s = f->s, .exefd = -1, .epoch = epoch };
        b->tmp = xasprintf("%s/.build-test", f->s->layers);
        mkdir(b->tmp, 0700);
}

static char *
make_upper(struct build *b, const char *content, time_t mtime)
{
        char *upper = NULL, *work = NULL;
        char *file;
        struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

        assert_int_equal(build_stage_dirs(b, &upper, &work, NULL), 0);
        file = xasprintf("%s/hello.txt", upper);
        assert_int_equal(fs_write_atomic(file, content, strlen(content), 0644, NULL), 0);
        utimensat(AT_FDCWD, file, ts, 0);
        free(file);
        free(work);
        return upper;
}

static void
test_build_layer__upper_dir_is_adopted(void **state)
{
        struct fx *f = *state;
        struct build b;
        struct build_img im = { 0 };
        struct store_layer l;
        struct err err = { 0 };
        char *upper, *diff, *moved;

        build_init(&b, f, -1);
        upper = make_upper(&b, "hello\n", 1000);
        assert_int_equal(build_commit_upper(&b, upper, &im, &err), 1);
        assert_int_equal(im.n, 1);
        assert_false(fs_exists(upper)); /* renamed, not copied */
        assert_int_equal(store_layer_get(f->s, im.layers[0].chain, &l, NULL), 0);
        assert_string_equal(l.diff_id, im.layers[0].diff_id);
        assert_int_equal(store_blob_has(f->s, im.layers[0].blob), 1);
        diff = store_layer_diff_path(f->s, im.layers[0].chain);
        moved = xasprintf("%s/hello.txt", diff);
        assert_true(fs_exists(moved));
        free(moved);
        free(diff);
        free(upper);
        build_img_release(&im);
        free(b.tmp);
}

static void
test_build_layer__empty_upper_adds_nothing(void **state)
{
        struct fx *f = *state;
        struct build b;
        struct build_img im = { 0 };
        char *upper = NULL, *work = NULL;

        build_init(&b, f, -1);
        assert_int_equal(build_stage_dirs(&b, &upper, &work, NULL), 0);
        assert_int_equal(build_commit_upper(&b, upper, &im, NULL), 0);
        assert_int_equal(im.n, 0);
        assert_false(fs_exists(upper));
        free(upper);
        free(work);
        free(b.tmp);
}

static void
test_build_layer__epoch_clamps_mtimes(void **state)
{
        struct fx *f = *state;
        struct build b;
        struct build_img a = { 0 }, c = { 0 }, d = { 0 };
        char *u1, *u2, *u3;

        build_init(&b, f, 100);
        u1 = make_upper(&b, "same\n", 5000);
        u2 = make_upper(&b, "same\n", 9000);
        assert_int_equal(build_commit_upper(&b, u1, &a, NULL), 1);
        assert_int_equal(build_commit_upper(&b, u2, &c, NULL), 1);
        assert_string_equal(a.layers[0].diff_id, c.layers[0].diff_id);
        b.epoch = -1;
        u3 = make_upper(&b, "same\n", 9000);
        assert_int_equal(build_commit_upper(&b, u3, &d, NULL), 1);
        assert_string_not_equal(a.layers[0].diff_id, d.layers[0].diff_id);
        build_img_release(&a);
        build_img_release(&c);
        build_img_release(&d);
        free(u1);
        free(u2);
        free(u3);
        free(b.tmp);
}

static void
test_build_layer__history_text_as_the_classic_builder(void **state)
{
        char **sh = strv_split("/bin/sh -c", " ");
        char **argv = strv_split("/bin/sh|-c|echo hi", "|");
        char **args = strv_split("A=1 B=2", " ");
        char c1[] = "[]", c2[] = "[\"ENV\",\"K=v\"]", c3[] = "[\"CMD\",\"a\",\"b c\"]";
        char c4[] = "[\"WORKDIR\",\"/w\",\"\"]";
        struct dfstage_step run = { .cmd = DF_RUN, .argv = argv, .key_args = args, .canon = c1 };
        struct dfstage_step env = { .cmd = DF_ENV, .canon = c2 };
        struct dfstage_step cmd = { .cmd = DF_CMD, .canon = c3 };
        struct dfstage_step wd = { .cmd = DF_WORKDIR, .canon = c4 };
        char chown[] = "1:2", dest[] = "/o";
        struct dfstage_step cp = { .cmd = DF_COPY, .canon = c1, .chown = chown, .dest = dest };
        char *s;

        (void)state;
        s = build_created_by(&run, sh, NULL, NULL);
        assert_string_equal(s, "|2 A=1 B=2 /bin/sh -c echo hi");
        free(s);
        s = build_created_by(&env, sh, NULL, NULL);
        assert_string_equal(s, "/bin/sh -c #(nop)  ENV K=v");
        free(s);
        s = build_created_by(&cmd, sh, NULL, NULL);
        assert_string_equal(s, "/bin/sh -c #(nop)  CMD [\"a\" \"b c\"]");
        free(s);
        s = build_created_by(&wd, sh, NULL, NULL);
        assert_string_equal(s, "/bin/sh -c #(nop) WORKDIR /w");
        free(s);
        s = build_created_by(&cp, sh, "file:ab", ".");
        assert_string_equal(s, "/bin/sh -c #(nop) COPY --chown=1:2file:ab in . ");
        free(s);
        strv_free(sh);
        strv_free(argv);
        strv_free(args);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_build_layer__upper_dir_is_adopted),
                T(test_build_layer__empty_upper_adds_nothing),
                T(test_build_layer__epoch_clamps_mtimes),
                cmocka_unit_test(test_build_layer__history_text_as_the_classic_builder),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
