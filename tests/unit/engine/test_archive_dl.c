/* archive_dl: libarchive is found and loaded once, and the table works: a small tar (a file
 * with an xattr, a symlink) written and read back through it, and a reader's error set by
 * its callback (the variadic archive_set_error). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "engine/archive_dl.h"

struct mem {
        char buf[16384];
        size_t len, pos;
        int fail;
};

static la_ssize_t
mem_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        struct mem *m = ud;

        (void)a;
        if (n > sizeof(m->buf) - m->len)
                return -1;
        memcpy(m->buf + m->len, buf, n);
        m->len += n;
        return (la_ssize_t)n;
}

static la_ssize_t
mem_read(struct archive *a, void *ud, const void **buf)
{
        struct mem *m = ud;
        size_t n = m->len - m->pos;

        if (m->fail) {
                archive_set_error(a, EIO, "read: broken %s", "pipe");
                return -1;
        }
        *buf = m->buf + m->pos;
        m->pos += n;
        return (la_ssize_t)n;
}

static void
add(struct archive *w, const char *name, unsigned type, const char *data, const char *link)
{
        struct archive_entry *e = archive_entry_new();
        size_t n = data ? strlen(data) : 0;

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)n);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (link)
                archive_entry_set_symlink(e, link);
        if (data)
                archive_entry_xattr_add_entry(e, "user.k", "v", 1);
        assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
        if (n)
                assert_int_equal(archive_write_data(w, data, n), (la_ssize_t)n);
        archive_entry_free(e);
}

static void
write_tar(struct mem *m)
{
        struct archive *w = archive_write_new();

        assert_non_null(w);
        assert_int_equal(archive_write_set_format_pax_restricted(w), ARCHIVE_OK);
        assert_int_equal(archive_write_add_filter_none(w), ARCHIVE_OK);
        assert_int_equal(archive_write_open(w, m, NULL, mem_write, NULL), ARCHIVE_OK);
        add(w, "a.txt", AE_IFREG, "hello", NULL);
        add(w, "l", AE_IFLNK, NULL, "a.txt");
        assert_int_equal(archive_write_close(w), ARCHIVE_OK);
        assert_int_equal(archive_write_free(w), ARCHIVE_OK);
}

static void
test_archive_dl__loads_once(void **state)
{
        struct err err = { 0 };

        (void)state;
        assert_int_equal(archive_dl_load(&err), 0);
        assert_int_equal(archive_dl_load(&err), 0);
        assert_ptr_equal(archive_dl(), archive_dl());
        assert_non_null(archive_dl()->set_error);
        assert_non_null(archive_dl()->entry_xattr_next);
}

static void
check_file(struct archive *r, struct archive_entry *e)
{
        const char *name;
        const void *v;
        size_t n;
        char data[16] = "";

        assert_string_equal(archive_entry_pathname(e), "a.txt");
        assert_int_equal(archive_entry_filetype(e), AE_IFREG);
        assert_int_equal(archive_entry_perm(e), 0644);
        assert_int_equal(archive_entry_size(e), 5);
        assert_int_equal(archive_entry_mtime(e), 1700000000);
        assert_int_equal(archive_read_data(r, data, sizeof(data)), 5);
        assert_string_equal(data, "hello");
        assert_true(archive_entry_xattr_reset(e) >= 1); /* pax: LIBARCHIVE. and SCHILY. */
        assert_int_equal(archive_entry_xattr_next(e, &name, &v, &n), ARCHIVE_OK);
        assert_string_equal(name, "user.k");
        assert_int_equal(n, 1);
        assert_memory_equal(v, "v", 1);
}

static void
test_archive_dl__tar_round_trip(void **state)
{
        static struct mem m;
        struct archive *r;
        struct archive_entry *e;

        (void)state;
        write_tar(&m);
        r = archive_read_new();
        assert_int_equal(archive_read_support_filter_all(r), ARCHIVE_OK);
        assert_int_equal(archive_read_support_format_tar(r), ARCHIVE_OK);
        assert_int_equal(archive_read_open(r, &m, NULL, mem_read, NULL), ARCHIVE_OK);
        assert_int_equal(archive_filter_code(r, 0), ARCHIVE_FILTER_NONE);
        assert_int_equal(archive_read_next_header(r, &e), ARCHIVE_OK);
        check_file(r, e);
        assert_int_equal(archive_read_next_header(r, &e), ARCHIVE_OK);
        assert_string_equal(archive_entry_pathname(e), "l");
        assert_string_equal(archive_entry_symlink(e), "a.txt");
        assert_int_equal(archive_read_next_header(r, &e), ARCHIVE_EOF);
        assert_int_equal(archive_read_free(r), ARCHIVE_OK);
}

static void
test_archive_dl__callback_error_is_reported(void **state)
{
        static struct mem m = { .fail = 1 };
        struct archive *r = archive_read_new();
        struct archive_entry *e;
        int rc;

        (void)state;
        archive_read_support_format_tar(r);
        rc = archive_read_open(r, &m, NULL, mem_read, NULL);
        if (rc == ARCHIVE_OK)
                rc = archive_read_next_header(r, &e);
        assert_int_not_equal(rc, ARCHIVE_OK);
        assert_int_equal(archive_errno(r), EIO);
        assert_string_equal(archive_error_string(r), "read: broken pipe");
        archive_read_free(r);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_archive_dl__loads_once),
                cmocka_unit_test(test_archive_dl__tar_round_trip),
                cmocka_unit_test(test_archive_dl__callback_error_is_reported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
