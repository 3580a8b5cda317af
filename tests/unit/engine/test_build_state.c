/* Tests for engine/build_state.c: a recorded step comes back whole (layers, history,
 * creation time), survives garbage collection, and goes with build_cache_drop. */
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
#include "engine/build_int.h"
#include "engine/jsonx.h"
#include "store_fixture.h"

static int
setup(void **state)
{
        return store_fx_setup(state, "build-state");
}

static int
teardown(void **state)
{
        return store_fx_teardown(state);
}

/* one_layer: a build state with one committed layer holding name */
static void
one_layer(struct build *b, struct build_img *im, const char *name)
{
        char *upper = NULL, *work = NULL, *file;

        assert_int_equal(build_stage_dirs(b, &upper, &work, NULL), 0);
        file = xasprintf("%s/%s", upper, name);
        assert_int_equal(fs_write_atomic(file, "x", 1, 0644, NULL), 0);
        assert_int_equal(build_commit_upper(b, upper, im, NULL), 1);
        build_history_add(im, "2023-11-14T22:13:20Z", "/bin/sh -c touch x", false);
        free(file);
        free(upper);
        free(work);
}

static void
test_build_state__record_round_trip_and_gc(void **state)
{
        struct fx *f = *state;
        struct build b = { .s = f->s, .exefd = -1, .epoch = 0 };
        struct build_img im = { 0 }, got = { 0 };
        struct store_gc_report rep;
        const char *key = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        size_t n = 0;

        b.tmp = xasprintf("%s/.build-test", f->s->layers);
        mkdir(b.tmp, 0700);
        one_layer(&b, &im, "a");
        assert_int_equal(build_cache_put(&b, key, &im, NULL), 0);
        assert_int_equal(build_cache_get(&b, "sha256:2222222222222222222222222222222222222222222222222222222222222222", &got), 0);
        rmdir(b.tmp); /* gc removes dot-dirs of the layer store */
        assert_int_equal(store_gc(f->s, &rep, NULL), 0);
        store_gc_report_release(&rep);
        assert_int_equal(build_cache_get(&b, key, &got), 1);
        assert_int_equal(got.n, 1);
        assert_string_equal(got.layers[0].diff_id, im.layers[0].diff_id);
        assert_string_equal(got.created, "2023-11-14T22:13:20Z");
        assert_int_equal(json_object_array_length(got.history), 1);
        assert_string_equal(got.key, key);

        assert_int_equal(build_cache_drop(f->s, &n, NULL), 0);
        assert_int_equal(n, 1);
        build_img_release(&got);
        assert_int_equal(build_cache_get(&b, key, &got), 0);
        assert_int_equal(store_gc(f->s, &rep, NULL), 0);
        assert_true(rep.layers && rep.layers[0]); /* the layer went with its record */
        store_gc_report_release(&rep);
        build_img_release(&im);
        free(b.tmp);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_build_state__record_round_trip_and_gc,
                                                setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
