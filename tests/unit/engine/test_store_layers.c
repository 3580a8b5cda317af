/* Tests for engine/store_layers.c: layers unpacked once per chain ID, verified against their
 * diff IDs, from blobs, from a stream, and from a prefetch. */
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
#include "engine/store.h"
#include "store_fixture.h"

static int
setup(void **state)
{
        return store_fx_setup(state, "layers");
}

static int
teardown(void **state)
{
        return store_fx_teardown(state);
}

static la_ssize_t
sb_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        sbuf_add(ud, buf, n);
        return (la_ssize_t)n;
}

/* one_file_tar: a tar with one file name=content, optionally gzip'ed. */
static void
one_file_tar(const char *name, const char *content, bool gzip, struct sbuf *out)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        archive_write_set_format_pax_restricted(a);
        if (gzip)
                archive_write_add_filter_gzip(a);
        archive_write_open(a, out, NULL, sb_write, NULL);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(content));
        archive_write_header(a, e);
        archive_write_data(a, content, strlen(content));
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
}

static void
skip_unless_root(void)
{
        if (geteuid() != 0)
                skip();
}

static void
test_store_layers__unpack_is_keyed_by_chain_id(void **state)
{
        struct fx *f = *state;
        cleanup_sbuf struct sbuf t1 = SBUF_INIT, t2 = SBUF_INIT;
        char d1[DIGEST_STR_SIZE], d2[DIGEST_STR_SIZE], chain[DIGEST_STR_SIZE];
        struct store_layer l1, l2, again;
        cleanup_free char *p = NULL, *content = NULL, *diff = NULL;

        skip_unless_root();
        one_file_tar("a", "first", false, &t1);
        one_file_tar("b", "second", false, &t2);
        assert_int_equal(store_blob_write(f->s, t1.buf, t1.len, d1, NULL), 0);
        assert_int_equal(store_blob_write(f->s, t2.buf, t2.len, d2, NULL), 0);
        assert_int_equal(store_layer_unpack(f->s, NULL, d1, d1, &l1, NULL), 0);
        assert_string_equal(l1.chain_id, d1);
        assert_string_equal(l1.parent, "");
        assert_int_equal(l1.size, 5);
        assert_int_equal(l1.tar_size, t1.len);
        assert_int_equal(store_layer_unpack(f->s, l1.chain_id, d2, d2, &l2, NULL), 0);
        digest_chain(d1, d2, chain);
        assert_string_equal(l2.chain_id, chain);
        assert_string_equal(l2.parent, d1);
        assert_int_equal(store_layer_get(f->s, chain, &again, NULL), 0);
        assert_string_equal(again.diff_id, d2);
        diff = store_layer_diff_path(f->s, chain);
        p = xasprintf("%s/b", diff);
        assert_int_equal(fs_read_capped(p, 100, &content, NULL, NULL), 0);
        assert_string_equal(content, "second");
        /* a second unpack finds the first */
        assert_int_equal(store_layer_unpack(f->s, l1.chain_id, d2, d2, &again, NULL), 0);
        assert_string_equal(again.chain_id, chain);
}

/* gunzip_digest: the digest of what a gzip stream decompresses to (the diff ID). */
static void
gunzip_digest(const struct sbuf *gz, char out[DIGEST_STR_SIZE])
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        struct digester d;
        char buf[4096];
        la_ssize_t n;

        archive_read_support_filter_gzip(a);
        archive_read_support_format_raw(a);
        assert_int_equal(archive_read_open_memory(a, gz->buf, gz->len), ARCHIVE_OK);
        assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
        digester_init(&d);
        while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
                digester_update(&d, buf, (size_t)n);
        digester_final(&d, out);
        archive_read_free(a);
}

static void
test_store_layers__compressed_blob_must_match_its_diff_id(void **state)
{
        struct fx *f = *state;
        cleanup_sbuf struct sbuf gz = SBUF_INIT, other = SBUF_INIT;
        char diff[DIGEST_STR_SIZE], blob[DIGEST_STR_SIZE], wrong[DIGEST_STR_SIZE];
        struct store_layer l;
        struct err err = { 0 };
        cleanup_free char *dir = NULL;

        skip_unless_root();
        one_file_tar("f", "data", true, &gz);
        one_file_tar("g", "other", false, &other);
        digest_buf(other.buf, other.len, wrong);
        gunzip_digest(&gz, diff);
        assert_int_equal(store_blob_write(f->s, gz.buf, gz.len, blob, NULL), 0);
        assert_int_equal(store_layer_unpack(f->s, NULL, wrong, blob, &l, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "not to its diff ID"));
        dir = store_layer_diff_path(f->s, wrong);
        assert_false(fs_exists(dir));
        assert_int_equal(store_layer_unpack(f->s, NULL, diff, blob, &l, NULL), 0);
        assert_string_equal(l.diff_id, diff);
        assert_int_equal(l.size, 4);
}

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
        struct sbuf *sb = ctx;
        size_t k = sb->len < n ? sb->len : n;

        memcpy(buf, sb->buf, k);
        memmove(sb->buf, sb->buf + k, sb->len - k);
        sb->len -= k;
        return (ssize_t)k;
}

static void
test_store_layers__ingest_stores_the_uncompressed_tar(void **state)
{
        struct fx *f = *state;
        cleanup_sbuf struct sbuf gz = SBUF_INIT;
        struct store_layer l;
        cleanup_free char *buf = NULL;
        char check[DIGEST_STR_SIZE];
        size_t len;

        skip_unless_root();
        one_file_tar("etc/motd", "hello", true, &gz);
        assert_int_equal(store_pin(f->s, NULL), 0);
        assert_int_equal(store_layer_ingest(f->s, NULL, mem_read, &gz, &l, NULL), 0);
        store_unpin(f->s);
        /* the blob is the uncompressed tar, so its digest is the diff ID */
        assert_int_equal(store_blob_read(f->s, l.diff_id, 1 << 20, &buf, &len, NULL), 0);
        digest_buf(buf, len, check);
        assert_string_equal(check, l.diff_id);
        assert_int_equal(len, l.tar_size);
        assert_int_equal(l.size, 5);
}

static void
test_store_layers__prefetched_tree_is_published(void **state)
{
        struct fx *f = *state;
        cleanup_sbuf struct sbuf t = SBUF_INIT, junk = SBUF_INIT;
        struct store_prefetch *p = NULL;
        char d[DIGEST_STR_SIZE];
        struct store_layer l;

        skip_unless_root();
        one_file_tar("x", "prefetched", false, &t);
        assert_int_equal(store_prefetch_start(f->s, &p, NULL), 0);
        store_prefetch_feed(p, t.buf, 100);
        store_prefetch_feed(p, t.buf + 100, t.len - 100);
        assert_int_equal(store_blob_write(f->s, t.buf, t.len, d, NULL), 0);
        store_prefetch_finish(f->s, p, d);
        assert_int_equal(f->s->npending, 1);
        assert_int_equal(store_layer_unpack(f->s, NULL, d, d, &l, NULL), 0);
        assert_int_equal(f->s->npending, 0);
        assert_int_equal(l.size, 10);
        /* something that is not a layer fails quietly and leaves nothing pending */
        for (int i = 0; i < 20000; i++)
                sbuf_adds(&junk, "not a tar ");
        assert_int_equal(store_prefetch_start(f->s, &p, NULL), 0);
        store_prefetch_feed(p, junk.buf, junk.len);
        store_prefetch_finish(f->s, p, d);
        assert_int_equal(f->s->npending, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_store_layers__unpack_is_keyed_by_chain_id),
                T(test_store_layers__compressed_blob_must_match_its_diff_id),
                T(test_store_layers__ingest_stores_the_uncompressed_tar),
                T(test_store_layers__prefetched_tree_is_published),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
