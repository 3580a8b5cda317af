/* Tests for engine/store.c: the OCI layout on disk, verified blobs, holds and pins. */
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

#include <sys/file.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/store.h"
#include "store_fixture.h"

#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static int
setup(void **state)
{
        return store_fx_setup(state, "store");
}

static int
teardown(void **state)
{
        return store_fx_teardown(state);
}

static void
test_store__open_creates_an_oci_layout(void **state)
{
        struct fx *f = *state;
        cleanup_free char *layout = xasprintf("%s/store/oci-layout", f->root);
        cleanup_free char *text = NULL;
        struct store *again = NULL;

        assert_int_equal(fs_read_capped(layout, 100, &text, NULL, NULL), 0);
        assert_string_equal(text, "{\"imageLayoutVersion\":\"1.0.0\"}");
        assert_true(fs_is_dir(f->s->layers));
        /* opening again keeps what is there */
        assert_int_equal(store_open(f->root, &again, NULL), 0);
        store_free(again);
}

static void
test_store__blobs_are_content_addressed(void **state)
{
        struct fx *f = *state;
        char d[DIGEST_STR_SIZE];
        cleanup_free char *buf = NULL, *path = NULL;
        size_t len;
        uint64_t size;

        assert_false(store_blob_has(f->s, ABC));
        assert_int_equal(store_blob_write(f->s, "abc", 3, d, NULL), 0);
        assert_string_equal(d, ABC);
        assert_true(store_blob_has(f->s, ABC));
        assert_int_equal(store_blob_read(f->s, ABC, 100, &buf, &len, NULL), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(buf, "abc", 3);
        assert_int_equal(store_blob_verify(f->s, ABC, &size, NULL), 0);
        assert_int_equal(size, 3);
        path = store_blob_path(f->s, ABC);
        assert_true(fs_exists(path));
        /* writing it again is a no-op */
        assert_int_equal(store_blob_write(f->s, "abc", 3, NULL, NULL), 0);
}

static void
test_store__writer_refuses_a_wrong_digest(void **state)
{
        struct fx *f = *state;
        struct store_writer *w;
        struct err err = { 0 };
        char d[DIGEST_STR_SIZE];
        bool created;
        cleanup_free char *ingest = xasprintf("%s/store/ingest", f->root);

        assert_int_equal(store_writer_new(f->s, &w, NULL), 0);
        assert_int_equal(store_writer_write(w, "abd", 3, NULL), 0);
        assert_int_equal(store_writer_commit(w, ABC, d, NULL, NULL, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "digest mismatch"));
        store_writer_free(w);
        assert_false(store_blob_has(f->s, ABC));
        assert_int_equal(store_writer_new(f->s, &w, NULL), 0);
        assert_int_equal(store_writer_sink(w, "ab", 2), 0);
        assert_int_equal(store_writer_sink(w, "c", 1), 0);
        assert_int_equal(store_writer_commit(w, ABC, d, NULL, &created, NULL), 0);
        assert_true(created);
        store_writer_free(w);
        /* nothing is left behind in the ingest area */
        cleanup_free char *cmd = xasprintf("test -z \"$(ls -A %s)\"", ingest);
        assert_int_equal(system(cmd), 0);
}

static void
test_store__corruption_is_detected(void **state)
{
        struct fx *f = *state;
        cleanup_free char *path = NULL, *buf = NULL;
        struct err err = { 0 };
        int fd;

        assert_int_equal(store_blob_write(f->s, "abc", 3, NULL, NULL), 0);
        path = store_blob_path(f->s, ABC);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "!", 1), 1);
        close(fd);
        assert_int_equal(store_blob_read(f->s, ABC, 100, &buf, NULL, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "does not match its digest"));
        assert_int_equal(store_blob_verify(f->s, ABC, NULL, NULL), -EBADMSG);
        err_clear(&err);
        assert_int_equal(store_blob_open(f->s, "sha256:../../x", &fd, NULL, &err), -EINVAL);
}

static void
test_store__holds_count_users(void **state)
{
        struct fx *f = *state;
        struct err err = { 0 };

        assert_int_equal(store_holds_of(f->s, ABC, NULL), 0);
        assert_int_equal(store_hold(f->s, "ctr1", ABC, 1, NULL), 0);
        assert_int_equal(store_hold(f->s, "ctr2", ABC, 1, NULL), 0);
        assert_int_equal(store_holds_of(f->s, ABC, NULL), 2);
        assert_int_equal(store_unhold(f->s, "ctr1", NULL), 0);
        assert_int_equal(store_unhold(f->s, "ctr1", NULL), 0);
        assert_int_equal(store_holds_of(f->s, ABC, NULL), 1);
        assert_int_equal(store_hold(f->s, "../evil", ABC, 1, &err), -EINVAL);
        assert_int_equal(store_hold(f->s, "ok", "sha256:nope", 1, NULL), -EINVAL);
}

static void
test_store__pins_block_garbage_collection(void **state)
{
        struct fx *f = *state;
        cleanup_free char *lock = xasprintf("%s/store/gc.lock", f->root);
        int fd;

        assert_int_equal(store_pin(f->s, NULL), 0);
        assert_int_equal(store_pin(f->s, NULL), 0); /* nests */
        fd = open(lock, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1); /* what GC takes */
        assert_int_equal(errno, EWOULDBLOCK);
        store_unpin(f->s);
        assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
        store_unpin(f->s);
        assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
        close(fd);
}

static bool
ingest_has(struct fx *f, const char *name)
{
        cleanup_free char *p = xasprintf("%s/store/ingest/%s", f->root, name);

        return fs_exists(p);
}

static void
test_store__resumable_writer_continues_a_partial_blob(void **state)
{
        struct fx *f = *state;
        struct store_writer *w = NULL, *w2 = NULL;
        uint64_t off = 99;
        char got[DIGEST_STR_SIZE];

        assert_int_equal(store_writer_resume(f->s, "pull-abc", &w, &off, NULL), 0);
        assert_int_equal(off, 0);
        assert_int_equal(store_writer_write(w, "a", 1, NULL), 0);
        /* one writer per name */
        assert_int_equal(store_writer_resume(f->s, "pull-abc", &w2, &off, NULL), -EBUSY);
        store_writer_free(w); /* killed mid-blob: the part stays */
        assert_true(ingest_has(f, "pull-abc"));
        assert_int_equal(store_writer_resume(f->s, "pull-abc", &w, &off, NULL), 0);
        assert_int_equal(off, 1);
        assert_int_equal(store_writer_write(w, "bc", 2, NULL), 0);
        assert_int_equal(store_writer_commit(w, ABC, got, NULL, NULL, NULL), 0);
        assert_string_equal(got, ABC);
        store_writer_free(w);
        assert_false(ingest_has(f, "pull-abc"));
        assert_int_equal(store_blob_has(f->s, ABC), 1);
}

static void
test_store__resumable_writer_drops_bad_parts(void **state)
{
        struct fx *f = *state;
        struct store_writer *w = NULL;
        uint64_t off;

        assert_int_equal(store_writer_resume(f->s, "pull-x", &w, &off, NULL), 0);
        assert_int_equal(store_writer_write(w, "xyz", 3, NULL), 0);
        assert_int_equal(store_writer_commit(w, ABC, NULL, NULL, NULL, NULL), -EBADMSG);
        store_writer_free(w);
        assert_false(ingest_has(f, "pull-x")); /* never resumed from wrong bytes */
        assert_int_equal(store_writer_resume(f->s, "pull-y", &w, &off, NULL), 0);
        assert_int_equal(store_writer_write(w, "zz", 2, NULL), 0);
        assert_int_equal(store_writer_reset(w, NULL), 0);
        assert_int_equal(store_writer_write(w, "abc", 3, NULL), 0);
        assert_int_equal(store_writer_commit(w, ABC, NULL, NULL, NULL, NULL), 0);
        store_writer_free(w);
        /* an empty part is not kept; bad names are refused */
        assert_int_equal(store_writer_resume(f->s, "pull-z", &w, &off, NULL), 0);
        store_writer_free(w);
        assert_false(ingest_has(f, "pull-z"));
        assert_int_equal(store_writer_resume(f->s, "../x", &w, &off, NULL), -EINVAL);
        assert_int_equal(store_writer_resume(f->s, "1-2-3", &w, &off, NULL), -EINVAL);
}

static void
test_store__sweep_removes_dead_writers_files(void **state)
{
        struct fx *f = *state;
        cleanup_free char *dead = xasprintf("%s/store/ingest/999999999-1-2-0", f->root);
        cleanup_free char *mine = xasprintf("%s/store/ingest/%d-1-2-0", f->root, (int)getpid());
        struct store_writer *w = NULL;
        uint64_t off;

        assert_int_equal(fs_write_atomic(dead, "x", 1, 0644, NULL), 0);
        assert_int_equal(fs_write_atomic(mine, "x", 1, 0644, NULL), 0);
        assert_int_equal(store_writer_resume(f->s, "pull-keep", &w, &off, NULL), 0);
        assert_int_equal(store_writer_write(w, "a", 1, NULL), 0);
        store_writer_free(w);
        store_ingest_sweep(f->s);
        assert_false(fs_exists(dead));
        assert_true(fs_exists(mine));
        assert_true(ingest_has(f, "pull-keep")); /* recent: kept for a week */
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_store__open_creates_an_oci_layout),
                T(test_store__blobs_are_content_addressed),
                T(test_store__writer_refuses_a_wrong_digest),
                T(test_store__corruption_is_detected),
                T(test_store__holds_count_users),
                T(test_store__pins_block_garbage_collection),
                T(test_store__resumable_writer_continues_a_partial_blob),
                T(test_store__resumable_writer_drops_bad_parts),
                T(test_store__sweep_removes_dead_writers_files),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
