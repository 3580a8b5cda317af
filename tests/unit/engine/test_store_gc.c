/* Tests for engine/store_gc.c: garbage collection keeps everything an image reaches and
 * nothing else; `system check` finds corruption and missing pieces. */
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

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/store.h"

struct fx {
        char *root;
        struct store *s;
        char layer[DIGEST_STR_SIZE], config[DIGEST_STR_SIZE], manifest[DIGEST_STR_SIZE];
};

static la_ssize_t
sb_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        sbuf_add(ud, buf, n);
        return (la_ssize_t)n;
}

static void
tar_of(const char *name, struct sbuf *out)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        archive_write_set_format_pax_restricted(a);
        archive_write_open(a, out, NULL, sb_write, NULL);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, 2);
        archive_write_header(a, e);
        archive_write_data(a, "hi", 2);
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
}

/* add_image: a one-layer image (layer blob, config, manifest, index entry, unpacked dir). */
static void
add_image(struct fx *f, const char *file, const char *name)
{
        cleanup_sbuf struct sbuf tar = SBUF_INIT;
        cleanup_free char *cfg = NULL, *man = NULL;
        struct store_index idx;
        struct store_layer l;

        tar_of(file, &tar);
        assert_int_equal(store_blob_write(f->s, tar.buf, tar.len, f->layer, NULL), 0);
        cfg = xasprintf("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", f->layer);
        assert_int_equal(store_blob_write(f->s, cfg, strlen(cfg), f->config, NULL), 0);
        man = xasprintf("{\"schemaVersion\":2,\"config\":{\"digest\":\"%s\",\"size\":%zu},"
                        "\"layers\":[{\"digest\":\"%s\",\"size\":%zu}]}",
                        f->config, strlen(cfg), f->layer, tar.len);
        assert_int_equal(store_blob_write(f->s, man, strlen(man), f->manifest, NULL), 0);
        assert_int_equal(store_layer_unpack(f->s, NULL, f->layer, f->layer, &l, NULL), 0);
        assert_int_equal(store_index_lock(f->s, &idx, NULL), 0);
        store_index_tag(&idx,
                        store_index_put(&idx, f->config, f->manifest, MEDIA_OCI_MANIFEST,
                                        (int64_t)strlen(man)),
                        name);
        assert_int_equal(store_index_commit(f->s, &idx, NULL), 0);
        store_index_release(&idx);
        store_index_unlock(f->s);
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));

        f->root = xstrdup("/tmp/berth-test-gc-XXXXXX");
        assert_non_null(mkdtemp(f->root));
        assert_int_equal(store_open(f->root, &f->s, NULL), 0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;
        int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        store_free(f->s);
        layer_remove_tree(fd, f->root + 5, NULL);
        close(fd);
        free(f->root);
        free(f);
        return 0;
}

static void
drop_image(struct fx *f, const char *id)
{
        struct store_index idx;

        assert_int_equal(store_index_lock(f->s, &idx, NULL), 0);
        store_index_remove(&idx, store_index_by_id(&idx, id));
        assert_int_equal(store_index_commit(f->s, &idx, NULL), 0);
        store_index_release(&idx);
        store_index_unlock(f->s);
}

static void
test_store_gc__keeps_what_images_reach(void **state)
{
        struct fx *f = *state;
        struct store_gc_report rep;
        char keep_layer[DIGEST_STR_SIZE], drop_config[DIGEST_STR_SIZE];
        char junk[DIGEST_STR_SIZE];
        cleanup_free char *leftover = xasprintf("%s/store/ingest/crashed", f->root);

        add_image(f, "a", "docker.io/library/a:latest");
        memcpy(keep_layer, f->layer, sizeof(keep_layer));
        add_image(f, "b", "docker.io/library/b:latest");
        memcpy(drop_config, f->config, sizeof(drop_config));
        assert_int_equal(store_blob_write(f->s, "junk", 4, junk, NULL), 0);
        assert_int_equal(fs_write_atomic(leftover, "x", 1, 0644, NULL), 0);
        drop_image(f, drop_config);
        assert_int_equal(store_gc(f->s, &rep, NULL), 0);
        /* b's manifest, config and layer, and the junk blob go; a stays whole */
        assert_int_equal(strv_length(rep.blobs), 4);
        assert_true(strv_contains(rep.blobs, junk));
        assert_true(strv_contains(rep.blobs, drop_config));
        assert_int_equal(strv_length(rep.layers), 1);
        assert_string_equal(rep.layers[0], f->layer);
        assert_true(rep.bytes > 0);
        assert_true(store_blob_has(f->s, keep_layer));
        assert_false(store_blob_has(f->s, f->layer));
        assert_false(fs_exists(leftover));
        store_gc_report_release(&rep);
        cleanup_strv char **problems = NULL;
        assert_int_equal(store_check(f->s, &problems, NULL), 0);
}

static void
test_store_gc__refused_while_pinned(void **state)
{
        struct fx *f = *state;
        struct store_gc_report rep;

        assert_int_equal(store_pin(f->s, NULL), 0);
        assert_int_equal(store_gc(f->s, &rep, NULL), -EDEADLK);
        store_unpin(f->s);
        assert_int_equal(store_gc(f->s, &rep, NULL), 0);
        store_gc_report_release(&rep);
}

static void
test_store_gc__check_reports_problems(void **state)
{
        struct fx *f = *state;
        cleanup_strv char **problems = NULL;
        cleanup_free char *blob = NULL, *layer = NULL;
        int fd;

        add_image(f, "a", "docker.io/library/a:latest");
        blob = store_blob_path(f->s, f->layer);
        fd = open(blob, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_int_equal(write(fd, "x", 1), 1);
        close(fd);
        layer = xasprintf("%s/%s/layer.json", f->s->layers, digest_hex(f->layer));
        assert_int_equal(unlink(layer), 0);
        assert_int_equal(store_check(f->s, &problems, NULL), 2);
        assert_non_null(strstr(problems[0], "does not match its digest"));
        assert_non_null(strstr(problems[1], "is not unpacked"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_store_gc__keeps_what_images_reach),
                T(test_store_gc__refused_while_pinned),
                T(test_store_gc__check_reports_problems),
        };

        if (geteuid() != 0) {
                printf("skipped: unpacking layers needs root\n");
                return 0;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
