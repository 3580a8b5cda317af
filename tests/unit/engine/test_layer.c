/* Tests for engine/layer.c: applying layer tars (whiteouts, metadata, compression), the
 * hostile-archive suite (a sentinel outside the root must stay untouched), caps, the
 * whiteout-layers corpus, and deterministic diffs. */
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

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "engine/layer.h"

#define SENTINEL_TEXT "sentinel: do not touch\n"

/* One entry of a test tar: f file, d dir, l symlink, h hardlink, c char dev, p fifo. */
struct tentry {
        char type;
        const char *name;
        const char *data; /* file contents, or the link target */
        unsigned mode;
};

struct fixture {
        char *top;  /* temp dir holding root/ and the sentinel */
        char *root; /* layer root */
        char *sentinel;
        int rootfd;
};

static la_ssize_t
sb_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        sbuf_add(ud, buf, n);
        return (la_ssize_t)n;
}

static void
add_entry(struct archive *a, const struct tentry *t)
{
        struct archive_entry *e = archive_entry_new();
        size_t len = t->type == 'f' && t->data ? strlen(t->data) : 0;

        archive_entry_set_pathname(e, t->name);
        archive_entry_set_mtime(e, 1000000000, 0);
        archive_entry_set_perm(e, t->mode ? t->mode : (t->type == 'd' ? 0755 : 0644));
        switch (t->type) {
        case 'd':
                archive_entry_set_filetype(e, AE_IFDIR);
                break;
        case 'l':
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_symlink(e, t->data);
                break;
        case 'h':
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_hardlink(e, t->data);
                break;
        case 'c':
                archive_entry_set_filetype(e, AE_IFCHR);
                archive_entry_set_rdevmajor(e, 1);
                archive_entry_set_rdevminor(e, 3);
                break;
        case 'p':
                archive_entry_set_filetype(e, AE_IFIFO);
                break;
        default:
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_size(e, (la_int64_t)len);
        }
        assert_true(archive_write_header(a, e) == ARCHIVE_OK);
        if (len)
                assert_int_equal(archive_write_data(a, t->data, len), (la_ssize_t)len);
        archive_entry_free(e);
}

/* make_tar: a tar of the entries, compressed with filter ("gzip", "zstd" or NULL). */
static void
make_tar(const struct tentry *v, size_t n, const char *filter, struct sbuf *out)
{
        struct archive *a = archive_write_new();

        archive_write_set_format_pax_restricted(a);
        if (filter && !strcmp(filter, "gzip"))
                archive_write_add_filter_gzip(a);
        else if (filter && !strcmp(filter, "zstd"))
                archive_write_add_filter_zstd(a);
        assert_int_equal(archive_write_open(a, out, NULL, sb_write, NULL), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++)
                add_entry(a, &v[i]);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

struct mem {
        const char *p;
        size_t len, off;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
        struct mem *m = ctx;
        size_t k = m->len - m->off < n ? m->len - m->off : n;

        memcpy(buf, m->p + m->off, k);
        m->off += k;
        return (ssize_t)k;
}

static int
apply_buf(struct fixture *f, const struct sbuf *tar, const struct layer_opts *o,
          struct layer_stats *st, struct err *err)
{
        struct mem m = { tar->buf, tar->len, 0 };

        return layer_apply(f->rootfd, mem_read, &m, o, st, err);
}

static int
apply_entries(struct fixture *f, const struct tentry *v, size_t n, const struct layer_opts *o,
              struct err *err)
{
        cleanup_sbuf struct sbuf tar = SBUF_INIT;

        make_tar(v, n, NULL, &tar);
        return apply_buf(f, &tar, o, NULL, err);
}

static int
setup(void **state)
{
        struct fixture *f = xcalloc(1, sizeof(*f));

        f->top = xstrdup("/tmp/berth-test-layer-XXXXXX");
        assert_non_null(mkdtemp(f->top));
        f->root = xasprintf("%s/root", f->top);
        f->sentinel = xasprintf("%s/sentinel", f->top);
        assert_int_equal(mkdir(f->root, 0755), 0);
        assert_int_equal(
                fs_write_atomic(f->sentinel, SENTINEL_TEXT, strlen(SENTINEL_TEXT), 0644, NULL), 0);
        f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->rootfd >= 0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fixture *f = *state;
        int topfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        close(f->rootfd);
        assert_int_equal(layer_remove_tree(topfd, f->top + 5, NULL), 0);
        close(topfd);
        free(f->top);
        free(f->root);
        free(f->sentinel);
        free(f);
        return 0;
}

static void
assert_sentinel_intact(struct fixture *f)
{
        cleanup_free char *buf = NULL;
        struct stat st;

        assert_int_equal(fs_read_capped(f->sentinel, 4096, &buf, NULL, NULL), 0);
        assert_string_equal(buf, SENTINEL_TEXT);
        assert_int_equal(lstat(f->sentinel, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(st.st_mode & 07777, 0644);
}

static char *
read_in_root(struct fixture *f, const char *rel)
{
        cleanup_free char *p = xasprintf("%s/%s", f->root, rel);
        char *buf = NULL;

        if (fs_read_capped(p, 1 << 20, &buf, NULL, NULL) < 0)
                return NULL;
        return buf;
}

static int
lstat_in_root(struct fixture *f, const char *rel, struct stat *st)
{
        cleanup_free char *p = xasprintf("%s/%s", f->root, rel);

        return lstat(p, st);
}

static bool
is_root(void)
{
        return geteuid() == 0;
}

/* ---- hostile archives ---- */

static void
test_layer__dotdot_entry_is_refused(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'f', "../sentinel", "pwned", 0 } };
        const struct tentry w[] = { { 'f', "a/../../sentinel", "pwned", 0 } };
        struct err err = { 0 };

        assert_int_equal(apply_entries(f, v, 1, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "escapes the layer root"));
        err_clear(&err);
        assert_int_equal(apply_entries(f, w, 1, NULL, &err), -EINVAL);
        assert_sentinel_intact(f);
}

static void
test_layer__absolute_name_stays_inside(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'f', f->sentinel, "pwned", 0 } };
        cleanup_free char *inside = NULL;

        assert_int_equal(apply_entries(f, v, 1, NULL, NULL), 0);
        assert_sentinel_intact(f);
        inside = read_in_root(f, f->sentinel + 1);
        assert_non_null(inside);
        assert_string_equal(inside, "pwned");
}

static void
test_layer__write_through_escaping_symlink_stays_inside(void **state)
{
        struct fixture *f = *state;
        const struct tentry rel[] = { { 'l', "evil", "../../../..", 0 },
                                      { 'f', "evil/sentinel", "pwned", 0 } };
        const struct tentry abs[] = { { 'l', "evil2", f->top, 0 },
                                      { 'f', "evil2/sentinel", "pwned", 0 } };
        cleanup_free char *inside = NULL;
        struct err err = { 0 };

        assert_int_equal(apply_entries(f, rel, 2, NULL, NULL), 0);
        assert_sentinel_intact(f);
        inside = read_in_root(f, "sentinel");
        assert_non_null(inside);
        assert_string_equal(inside, "pwned");
        /* an absolute target resolves inside the root, where it does not exist */
        assert_true(apply_entries(f, abs, 2, NULL, &err) < 0);
        assert_sentinel_intact(f);
}

static void
test_layer__symlink_replaced_by_file_is_not_followed(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'l', "evil", f->sentinel, 0 },
                                    { 'f', "evil", "pwned", 0 },
                                    { 'l', "evil2", f->top, 0 },
                                    { 'd', "evil2", NULL, 0 },
                                    { 'f', "evil2/sentinel", "pwned", 0 } };
        struct stat st;

        assert_int_equal(apply_entries(f, v, 5, NULL, NULL), 0);
        assert_sentinel_intact(f);
        assert_int_equal(lstat_in_root(f, "evil", &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(lstat_in_root(f, "evil2", &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

static void
test_layer__hardlink_to_outside_is_refused(void **state)
{
        struct fixture *f = *state;
        const struct tentry dotdot[] = { { 'h', "hl", "../sentinel", 0 } };
        const struct tentry abs[] = { { 'h', "hl", f->sentinel, 0 } };
        const struct tentry via[] = { { 'l', "up", "../..", 0 }, { 'h', "hl", "up/sentinel", 0 } };
        struct err err = { 0 };

        assert_int_equal(apply_entries(f, dotdot, 1, NULL, &err), -EINVAL);
        err_clear(&err);
        assert_true(apply_entries(f, abs, 1, NULL, &err) < 0);
        assert_non_null(strstr(err.msg, "hard link target"));
        err_clear(&err);
        assert_true(apply_entries(f, via, 2, NULL, &err) < 0);
        assert_sentinel_intact(f);
}

static void
test_layer__whiteout_outside_is_refused_or_contained(void **state)
{
        struct fixture *f = *state;
        const struct tentry dotdot[] = { { 'f', "../.wh.sentinel", "", 0 } };
        const struct tentry via[] = { { 'l', "up", "../..", 0 },
                                      { 'f', "up/.wh.sentinel", "", 0 } };
        const struct tentry dots[] = { { 'f', "a/.wh..", "", 0 } };
        struct layer_opts merge = { .mode = LAYER_MODE_MERGE };
        struct err err = { 0 };

        assert_int_equal(apply_entries(f, dotdot, 1, &merge, &err), -EINVAL);
        assert_int_equal(apply_entries(f, via, 2, &merge, NULL), 0);
        err_clear(&err);
        assert_int_equal(apply_entries(f, dots, 1, NULL, &err), -EINVAL);
        assert_sentinel_intact(f);
}

static void
test_layer__file_and_directory_replace_each_other(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'f', "a", "file", 0 },    { 'd', "a", NULL, 0 },
                                    { 'f', "a/b", "inner", 0 }, { 'd', "d", NULL, 0 },
                                    { 'f', "d/x", "x", 0 },     { 'f', "d", "now a file", 0 } };
        cleanup_free char *b = NULL, *d = NULL;
        struct stat st;

        assert_int_equal(apply_entries(f, v, 6, NULL, NULL), 0);
        assert_int_equal(lstat_in_root(f, "a", &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        b = read_in_root(f, "a/b");
        assert_string_equal(b, "inner");
        d = read_in_root(f, "d");
        assert_string_equal(d, "now a file");
}

static void
test_layer__devices_refused_when_not_allowed(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'c', "dev/null", NULL, 0666 } };
        struct layer_opts o = { .flags = LAYER_NO_DEVICES };
        struct err err = { 0 };
        struct stat st;

        assert_int_equal(apply_entries(f, v, 1, &o, &err), -EPERM);
        assert_non_null(strstr(err.msg, "device nodes are not allowed"));
        if (!is_root())
                return;
        assert_int_equal(apply_entries(f, v, 1, NULL, NULL), 0);
        assert_int_equal(lstat_in_root(f, "dev/null", &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(major(st.st_rdev), 1);
        assert_int_equal(minor(st.st_rdev), 3);
}

static void
test_layer__entry_count_and_size_are_capped(void **state)
{
        struct fixture *f = *state;
        const struct tentry many[] = {
                { 'f', "1", "", 0 }, { 'f', "2", "", 0 }, { 'f', "3", "", 0 }, { 'f', "4", "", 0 }
        };
        const struct tentry big[] = { { 'f', "big", "0123456789abcdef", 0 } };
        struct layer_opts o = { .max_entries = 3, .max_bytes = 10 };
        struct err err = { 0 };

        assert_int_equal(apply_entries(f, many, 4, &o, &err), -EFBIG);
        err_clear(&err);
        assert_int_equal(apply_entries(f, big, 1, &o, &err), -EFBIG);
}

static void
test_layer__decompression_bomb_is_capped(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *zeros = xcalloc(1, 4 << 20);
        struct tentry v[] = { { 'f', "zeros", NULL, 0 } };
        cleanup_sbuf struct sbuf tar = SBUF_INIT;
        struct layer_opts o = { .max_tar_bytes = 1 << 20 };
        struct err err = { 0 };

        memset(zeros, 'z', (4 << 20) - 1);
        v[0].data = zeros;
        make_tar(v, 1, "gzip", &tar);
        assert_true(tar.len < (1 << 20));
        assert_int_equal(apply_buf(f, &tar, &o, NULL, &err), -EFBIG);
}

static void
test_layer__garbage_is_an_error(void **state)
{
        struct fixture *f = *state;
        cleanup_sbuf struct sbuf junk = SBUF_INIT;
        struct err err = { 0 };

        for (int i = 0; i < 200; i++)
                sbuf_adds(&junk, "this is not a tar archive at all; ");
        assert_int_equal(apply_buf(f, &junk, NULL, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "read layer"));
}

/* ---- what a normal layer keeps ---- */

/* compress: in as one raw stream through a libarchive write filter. */
static void
compress(const char *filter, const struct sbuf *in, struct sbuf *out)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        archive_write_set_format_raw(a);
        if (!strcmp(filter, "gzip"))
                archive_write_add_filter_gzip(a);
        else
                archive_write_add_filter_zstd(a);
        archive_write_set_bytes_in_last_block(a, 1);
        assert_int_equal(archive_write_open(a, out, NULL, sb_write, NULL), ARCHIVE_OK);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_pathname(e, "data");
        archive_write_header(a, e);
        assert_int_equal(archive_write_data(a, in->buf, in->len), (la_ssize_t)in->len);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        archive_entry_free(e);
}

static void
test_layer__compression_is_detected_by_content(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'd', "etc", NULL, 0 }, { 'f', "etc/motd", "hi\n", 0 } };
        const char *filters[] = { NULL, "gzip", "zstd" };
        cleanup_sbuf struct sbuf plain = SBUF_INIT;
        char diff_id[DIGEST_STR_SIZE];

        make_tar(v, 2, NULL, &plain);
        digest_buf(plain.buf, plain.len, diff_id);
        for (size_t i = 0; i < 3; i++) {
                cleanup_sbuf struct sbuf packed = SBUF_INIT;
                const struct sbuf *in = &plain;
                struct layer_stats st;
                char raw[DIGEST_STR_SIZE];

                if (filters[i]) {
                        compress(filters[i], &plain, &packed);
                        in = &packed;
                }
                digest_buf(in->buf, in->len, raw);
                assert_int_equal(apply_buf(f, in, NULL, &st, NULL), 0);
                assert_string_equal(st.blob_digest, raw);
                assert_int_equal(st.blob_bytes, in->len);
                assert_int_equal(st.compressed, i > 0);
                assert_string_equal(st.diff_id, diff_id);
                assert_int_equal(st.tar_bytes, plain.len);
                assert_int_equal(st.entries, 2);
                assert_int_equal(st.content_bytes, 3);
        }
}

static void
test_layer__metadata_is_kept(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'd', "bin", NULL, 0750 },
                                    { 'f', "bin/su", "#!", 04755 },
                                    { 'h', "bin/su2", "bin/su", 0 },
                                    { 'l', "bin/sh", "busybox", 0 },
                                    { 'p', "fifo", NULL, 0600 } };
        struct stat st, st2;
        char target[64];
        ssize_t n;

        assert_int_equal(apply_entries(f, v, 5, NULL, NULL), 0);
        assert_int_equal(lstat_in_root(f, "bin", &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(st.st_mtime, 1000000000);
        assert_int_equal(lstat_in_root(f, "bin/su", &st), 0);
        assert_int_equal(st.st_mode & 07777, 04755);
        assert_int_equal(st.st_mtime, 1000000000);
        assert_int_equal(lstat_in_root(f, "bin/su2", &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);
        assert_int_equal(lstat_in_root(f, "bin/sh", &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        n = readlinkat(f->rootfd, "bin/sh", target, sizeof(target));
        assert_int_equal(n, 7);
        assert_memory_equal(target, "busybox", 7);
        assert_int_equal(lstat_in_root(f, "fifo", &st), 0);
        assert_true(S_ISFIFO(st.st_mode));
}

static void
test_layer__owner_and_xattrs_are_kept(void **state)
{
        struct fixture *f = *state;
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        cleanup_sbuf struct sbuf tar = SBUF_INIT;
        struct stat st;
        char v[16];

        if (!is_root()) {
                archive_entry_free(e);
                archive_write_free(a);
                skip();
        }
        archive_write_set_format_pax_restricted(a);
        archive_write_open(a, &tar, NULL, sb_write, NULL);
        archive_entry_set_pathname(e, "owned");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0640);
        archive_entry_set_uid(e, 1234);
        archive_entry_set_gid(e, 5678);
        archive_entry_xattr_add_entry(e, "user.berth", "yes", 3);
        archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/etc", 4);
        archive_write_header(a, e);
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
        assert_int_equal(apply_buf(f, &tar, NULL, NULL, NULL), 0);
        assert_int_equal(lstat_in_root(f, "owned", &st), 0);
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 5678);
        assert_int_equal(st.st_mode & 07777, 0640);
        cleanup_free char *p = xasprintf("%s/owned", f->root);
        assert_int_equal(lgetxattr(p, "user.berth", v, sizeof(v)), 3);
        assert_memory_equal(v, "yes", 3);
        /* overlay's own attributes never come from a tar */
        assert_int_equal(lgetxattr(p, "trusted.overlay.redirect", v, sizeof(v)), -1);
}

static void
test_layer__whiteouts_become_overlay_form(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'd', "d", NULL, 0 },    { 'f', "d/.wh.gone", "", 0600 },
                                    { 'd', "o", NULL, 0 },    { 'f', "o/.wh..wh..opq", "", 0 },
                                    { 'f', "o/new", "n", 0 }, { 'f', "d/.wh..wh.plnk", "", 0 } };
        cleanup_free char *o = xasprintf("%s/o", f->root);
        struct stat st;
        char val[4];

        if (!is_root())
                skip();
        assert_int_equal(apply_entries(f, v, 6, NULL, NULL), 0);
        assert_int_equal(lstat_in_root(f, "d/gone", &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(0, 0));
        assert_int_equal(lstat_in_root(f, "d/.wh.gone", &st), -1);
        assert_int_equal(lstat_in_root(f, "d/.wh..wh.plnk", &st), -1);
        assert_int_equal(lgetxattr(o, "trusted.overlay.opaque", val, sizeof(val)), 1);
        assert_int_equal(val[0], 'y');
        assert_int_equal(lstat_in_root(f, "o/new", &st), 0);
}

/* ---- the whiteout-layers corpus ---- */

static int
apply_file_into(int dirfd, const char *path, enum layer_mode mode, struct layer_stats *st)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct layer_opts o = { .mode = mode };
        struct err err = { 0 };
        int r;

        assert_true(fd >= 0);
        r = layer_apply_fd(dirfd, fd, &o, st, &err);
        if (r < 0)
                fprintf(stderr, "apply %s: %s\n", path, err.msg);
        return r;
}

static void
check_merged(const char *dir)
{
        cleanup_free char *hello = xasprintf("%s/data/hello.txt", dir);
        cleanup_free char *a = xasprintf("%s/data/keep/a", dir);
        cleanup_free char *n = xasprintf("%s/data/replace/new", dir);
        cleanup_free char *gone = xasprintf("%s/data/gone", dir);
        cleanup_free char *b = xasprintf("%s/data/replace/b", dir);
        cleanup_free char *x = xasprintf("%s/data/replace/x", dir);
        cleanup_free char *wh = xasprintf("%s/data/.wh.gone", dir);
        cleanup_free char *opq = xasprintf("%s/data/replace/.wh..wh..opq", dir);
        cleanup_free char *h = NULL, *av = NULL, *nv = NULL;
        struct stat st;

        assert_int_equal(fs_read_capped(hello, 100, &h, NULL, NULL), 0);
        assert_string_equal(h, "hello\n");
        assert_int_equal(fs_read_capped(a, 100, &av, NULL, NULL), 0);
        assert_string_equal(av, "a\na2\n");
        assert_int_equal(fs_read_capped(n, 100, &nv, NULL, NULL), 0);
        assert_string_equal(nv, "new\n");
        assert_int_equal(lstat(gone, &st), -1);
        assert_int_equal(lstat(b, &st), -1);
        assert_int_equal(lstat(x, &st), -1);
        assert_int_equal(lstat(wh, &st), -1);
        assert_int_equal(lstat(opq, &st), -1);
}

static void
test_layer__corpus_merges_as_expected(void **state)
{
        struct fixture *f = *state;
        struct layer_stats st;

        for (int i = 1; i <= 3; i++) {
                cleanup_free char *p =
                        xasprintf("%s/image/whiteout-layers/layer%d.tar", CONFORMANCE_DIR, i);
                char want[DIGEST_STR_SIZE];
                cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);

                assert_int_equal(digest_fd(fd, p, want, NULL, NULL), 0);
                assert_int_equal(apply_file_into(f->rootfd, p, LAYER_MODE_MERGE, &st), 0);
                assert_string_equal(st.diff_id, want);
                assert_false(st.compressed);
        }
        check_merged(f->root);
}

static void
test_layer__corpus_overlay_mount_matches(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *merged = xasprintf("%s/merged", f->top);
        cleanup_free char *opts = NULL;
        char *dirs[3];

        if (!is_root())
                skip();
        for (int i = 0; i < 3; i++) {
                cleanup_free char *p =
                        xasprintf("%s/image/whiteout-layers/layer%d.tar", CONFORMANCE_DIR, i + 1);
                cleanup_close int dfd = -1;

                dirs[i] = xasprintf("%s/l%d", f->top, i + 1);
                assert_int_equal(mkdir(dirs[i], 0755), 0);
                dfd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_int_equal(apply_file_into(dfd, p, LAYER_MODE_OVERLAY, NULL), 0);
        }
        assert_int_equal(mkdir(merged, 0755), 0);
        opts = xasprintf("lowerdir=%s:%s:%s", dirs[2], dirs[1], dirs[0]);
        if (mount("overlay", merged, "overlay", MS_RDONLY, opts) < 0) {
                fprintf(stderr, "overlay mount failed (%s): skipping the mount check\n",
                        strerror(errno));
        } else {
                check_merged(merged);
                assert_int_equal(umount2(merged, MNT_DETACH), 0);
        }
        for (int i = 0; i < 3; i++)
                free(dirs[i]);
}

/* ---- diff ---- */

static int
sb_sink(void *ctx, const void *buf, size_t n)
{
        sbuf_add(ctx, buf, n);
        return 0;
}

static char *
list_tar(const struct sbuf *tar)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        struct sbuf out = SBUF_INIT;

        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_memory(a, tar->buf, tar->len), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK)
                sbuf_addf(&out, "%s%s %o %lld\n", archive_entry_pathname(e),
                          archive_entry_filetype(e) == AE_IFDIR ? "(d)" : "", archive_entry_perm(e),
                          (long long)archive_entry_mtime(e));
        archive_read_free(a);
        return sbuf_detach(&out);
}

static void
test_layer__diff_turns_overlay_back_into_whiteouts(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *p = xasprintf("%s/image/whiteout-layers/layer2.tar", CONFORMANCE_DIR);
        cleanup_sbuf struct sbuf tar = SBUF_INIT;
        cleanup_free char *list = NULL;
        struct layer_diff_opts o = { .epoch = -1 };
        struct layer_stats st;

        if (!is_root())
                skip();
        assert_int_equal(apply_file_into(f->rootfd, p, LAYER_MODE_OVERLAY, NULL), 0);
        assert_int_equal(layer_diff(f->rootfd, sb_sink, &tar, &o, &st, NULL), 0);
        list = list_tar(&tar);
        /* the same entries, modes and times as docker's layer (listing.txt) */
        assert_string_equal(list, "data/(d) 755 1795842149\n"
                                  "data/.wh.gone 600 1795842149\n"
                                  "data/keep/(d) 755 1795842148\n"
                                  "data/keep/a 644 1795842149\n"
                                  "data/replace/(d) 755 1795842149\n"
                                  "data/replace/.wh..wh..opq 755 0\n"
                                  "data/replace/new 644 1795842149\n");
        assert_int_equal(st.entries, 7);
        assert_int_equal(st.tar_bytes, tar.len);
}

static void
make_tree(const char *dir, time_t mtime)
{
        cleanup_free char *sub = xasprintf("%s/sub", dir);
        cleanup_free char *file = xasprintf("%s/sub/file", dir);
        cleanup_free char *z = xasprintf("%s/z", dir);
        cleanup_free char *a = xasprintf("%s/a", dir);
        struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(fs_write_atomic(file, "content", 7, 0644, NULL), 0);
        assert_int_equal(fs_write_atomic(z, "zz", 2, 0600, NULL), 0);
        assert_int_equal(symlink("sub/file", a), 0);
        utimensat(AT_FDCWD, file, ts, AT_SYMLINK_NOFOLLOW);
        utimensat(AT_FDCWD, z, ts, AT_SYMLINK_NOFOLLOW);
        utimensat(AT_FDCWD, a, ts, AT_SYMLINK_NOFOLLOW);
        utimensat(AT_FDCWD, sub, ts, AT_SYMLINK_NOFOLLOW);
}

static void
diff_dir(const char *dir, int64_t epoch, char out[DIGEST_STR_SIZE], char **ret_list)
{
        cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_sbuf struct sbuf tar = SBUF_INIT;
        struct layer_diff_opts o = { .epoch = epoch };
        struct layer_stats st;
        char check[DIGEST_STR_SIZE];

        assert_int_equal(layer_diff(fd, sb_sink, &tar, &o, &st, NULL), 0);
        digest_buf(tar.buf, tar.len, check);
        assert_string_equal(check, st.diff_id);
        memcpy(out, st.diff_id, DIGEST_STR_SIZE);
        if (ret_list)
                *ret_list = list_tar(&tar);
}

static void
test_layer__diff_is_deterministic_with_source_date_epoch(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *d1 = xasprintf("%s/t1", f->top);
        cleanup_free char *d2 = xasprintf("%s/t2", f->top);
        cleanup_free char *list = NULL;
        char a[DIGEST_STR_SIZE], b[DIGEST_STR_SIZE], c[DIGEST_STR_SIZE];
        int64_t epoch;

        make_tree(d1, 2000000000);
        make_tree(d2, 2000000100);
        diff_dir(d1, -1, a, NULL);
        diff_dir(d1, -1, b, NULL);
        assert_string_equal(a, b);
        diff_dir(d2, -1, c, NULL);
        assert_string_not_equal(a, c);
        assert_int_equal(layer_epoch_from_env("1000", &epoch, NULL), 0);
        diff_dir(d1, epoch, a, &list);
        diff_dir(d2, epoch, b, NULL);
        assert_string_equal(a, b);
        assert_string_equal(list, "a 777 1000\nsub/(d) 755 1000\nsub/file 644 1000\nz 600 1000\n");
        assert_int_equal(layer_epoch_from_env("soon", &epoch, NULL), -EINVAL);
        assert_int_equal(layer_epoch_from_env(NULL, &epoch, NULL), 0);
        assert_int_equal(epoch, -1);
}

static void
test_layer__diff_then_apply_round_trips(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *d1 = xasprintf("%s/t1", f->top);
        cleanup_close int fd = -1;
        cleanup_sbuf struct sbuf tar = SBUF_INIT;
        struct layer_diff_opts o = { .epoch = -1 };
        char a[DIGEST_STR_SIZE], b[DIGEST_STR_SIZE];

        make_tree(d1, 2000000000);
        fd = open(d1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(layer_diff(fd, sb_sink, &tar, &o, NULL, NULL), 0);
        digest_buf(tar.buf, tar.len, a);
        assert_int_equal(apply_buf(f, &tar, NULL, NULL, NULL), 0);
        diff_dir(f->root, -1, b, NULL);
        assert_string_equal(a, b);
}

static void
test_layer__remove_tree_does_not_follow_symlinks(void **state)
{
        struct fixture *f = *state;
        const struct tentry v[] = { { 'd', "t", NULL, 0 },
                                    { 'd', "t/d", NULL, 0 },
                                    { 'f', "t/d/f", "x", 0 },
                                    { 'l', "t/up", "../..", 0 },
                                    { 'l', "t/s", f->sentinel, 0 } };
        struct stat st;

        assert_int_equal(apply_entries(f, v, 5, NULL, NULL), 0);
        assert_int_equal(layer_remove_tree(f->rootfd, "t", NULL), 0);
        assert_int_equal(lstat_in_root(f, "t", &st), -1);
        assert_int_equal(layer_remove_tree(f->rootfd, "missing", NULL), 0);
        assert_sentinel_intact(f);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_layer__dotdot_entry_is_refused),
                T(test_layer__absolute_name_stays_inside),
                T(test_layer__write_through_escaping_symlink_stays_inside),
                T(test_layer__symlink_replaced_by_file_is_not_followed),
                T(test_layer__hardlink_to_outside_is_refused),
                T(test_layer__whiteout_outside_is_refused_or_contained),
                T(test_layer__file_and_directory_replace_each_other),
                T(test_layer__devices_refused_when_not_allowed),
                T(test_layer__entry_count_and_size_are_capped),
                T(test_layer__decompression_bomb_is_capped),
                T(test_layer__garbage_is_an_error),
                T(test_layer__compression_is_detected_by_content),
                T(test_layer__metadata_is_kept),
                T(test_layer__owner_and_xattrs_are_kept),
                T(test_layer__whiteouts_become_overlay_form),
                T(test_layer__corpus_merges_as_expected),
                T(test_layer__corpus_overlay_mount_matches),
                T(test_layer__diff_turns_overlay_back_into_whiteouts),
                T(test_layer__diff_is_deterministic_with_source_date_epoch),
                T(test_layer__diff_then_apply_round_trips),
                T(test_layer__remove_tree_does_not_follow_symlinks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
