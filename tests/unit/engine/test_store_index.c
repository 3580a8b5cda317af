/* Tests for engine/store_index.c: names -> images in the store's index.json. */
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

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/store.h"
#include "store_fixture.h"

#define ID1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define M1  "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define M2  "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define BB  "docker.io/library/busybox:latest"

static int
setup(void **state)
{
        return store_fx_setup(state, "index");
}

static int
teardown(void **state)
{
        return store_fx_teardown(state);
}

/* commit: apply fn to the locked index and write it. */
static void
edit(struct fx *f, void (*fn)(struct store_index *))
{
        struct store_index idx;

        assert_int_equal(store_index_lock(f->s, &idx, NULL), 0);
        fn(&idx);
        assert_int_equal(store_index_commit(f->s, &idx, NULL), 0);
        store_index_release(&idx);
        store_index_unlock(f->s);
}

static void
add_two(struct store_index *idx)
{
        struct store_image *a = store_index_put(idx, ID1, M1, MEDIA_OCI_MANIFEST, 100);
        struct store_image *b = store_index_put(idx, ID2, M2, MEDIA_OCI_MANIFEST, 200);

        store_index_tag(idx, a, BB);
        store_index_tag(idx, a, "docker.io/library/busybox:1");
        store_index_tag(idx, b, "example.com/app:v1");
}

static void
test_store_index__round_trips_through_disk(void **state)
{
        struct fx *f = *state;
        struct store_index idx;
        struct store_image *a;

        edit(f, add_two);
        assert_int_equal(store_index_read(f->s, &idx, NULL), 0);
        assert_int_equal(idx.n, 2);
        a = store_index_by_name(&idx, BB);
        assert_non_null(a);
        assert_string_equal(a->id, ID1);
        assert_string_equal(a->manifest, M1);
        assert_int_equal(a->size, 100);
        assert_int_equal(strv_length(a->names), 2);
        assert_ptr_equal(store_index_by_id(&idx, ID2),
                         store_index_by_name(&idx, "example.com/app:v1"));
        assert_null(store_index_by_name(&idx, "docker.io/library/nope:latest"));
        store_index_release(&idx);
}

static void
move_name(struct store_index *idx)
{
        store_index_tag(idx, store_index_by_id(idx, ID2), BB);
}

static void
untag_app(struct store_index *idx)
{
        assert_non_null(store_index_untag(idx, "example.com/app:v1"));
        assert_null(store_index_untag(idx, "example.com/app:v1"));
}

static void
test_store_index__a_name_belongs_to_one_image(void **state)
{
        struct fx *f = *state;
        struct store_index idx;

        edit(f, add_two);
        edit(f, move_name);
        edit(f, untag_app);
        assert_int_equal(store_index_read(f->s, &idx, NULL), 0);
        assert_string_equal(store_index_by_name(&idx, BB)->id, ID2);
        assert_int_equal(strv_length(store_index_by_id(&idx, ID1)->names), 1);
        /* an image that lost its last-but-one name keeps the other */
        assert_int_equal(strv_length(store_index_by_id(&idx, ID2)->names), 1);
        store_index_release(&idx);
}

static void
remove_first(struct store_index *idx)
{
        store_index_remove(idx, store_index_by_id(idx, ID1));
        store_index_untag(idx, BB);
}

static void
test_store_index__untagged_images_stay_listed(void **state)
{
        struct fx *f = *state;
        struct store_index idx;
        cleanup_free char *path = xasprintf("%s/store/index.json", f->root);
        cleanup_free char *text = NULL;
        json_object *o = NULL, *list;

        edit(f, add_two);
        edit(f, remove_first);
        edit(f, untag_app);
        assert_int_equal(store_index_read(f->s, &idx, NULL), 0);
        assert_int_equal(idx.n, 1);
        assert_null(idx.v[0].names);
        store_index_release(&idx);
        /* on disk: an OCI index, one descriptor without a name */
        assert_int_equal(fs_read_capped(path, 1 << 20, &text, NULL, NULL), 0);
        assert_int_equal(jsonx_parse(text, strlen(text), 1 << 20, "index", &o, NULL), 0);
        assert_int_equal(jsonx_int(o, "schemaVersion", 0), 2);
        list = jsonx_get(o, "manifests");
        assert_int_equal(json_object_array_length(list), 1);
        assert_string_equal(jsonx_str(json_object_array_get_idx(list, 0), "digest"), M2);
        assert_null(jsonx_str(jsonx_get(json_object_array_get_idx(list, 0), "annotations"),
                              STORE_ANN_NAME));
        json_object_put(o);
}

static void
test_store_index__commit_needs_the_lock(void **state)
{
        struct fx *f = *state;
        struct store_index idx = { 0 };
        struct err err = { 0 };
        cleanup_free char *path = xasprintf("%s/store/index.json", f->root);

        assert_int_equal(store_index_commit(f->s, &idx, &err), -ENOLCK);
        assert_int_equal(
                fs_write_atomic(path, "{\"manifests\":[{\"digest\":\"x\"}]}", 31, 0644, NULL), 0);
        assert_int_equal(store_index_read(f->s, &idx, &err), -EINVAL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_store_index__round_trips_through_disk),
                T(test_store_index__a_name_belongs_to_one_image),
                T(test_store_index__untagged_images_stay_listed),
                T(test_store_index__commit_needs_the_lock),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
