/* Tests for engine/image_tar.c: docker-archive and OCI-layout save and load, the variants
 * other tools write, and archives that lie about their content. */
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

#include <sys/mman.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/image.h"
#include "engine/jsonx.h"

struct fx {
        char *top;
        struct store *a, *b; /* two stores: save from a, load into b */
};

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        cleanup_free char *ra = NULL, *rb = NULL;

        f->top = xstrdup("/tmp/berth-test-imgtar-XXXXXX");
        assert_non_null(mkdtemp(f->top));
        ra = xasprintf("%s/a", f->top);
        rb = xasprintf("%s/b", f->top);
        assert_int_equal(store_open(ra, &f->a, NULL), 0);
        assert_int_equal(store_open(rb, &f->b, NULL), 0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;
        int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        store_free(f->a);
        store_free(f->b);
        layer_remove_tree(fd, f->top + 5, NULL);
        close(fd);
        free(f->top);
        free(f);
        return 0;
}

/* An archive under construction: members written to a memfd. */
struct arch {
        struct archive *a;
        int fd;
};

static la_ssize_t
fd_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        return write(*(int *)ud, buf, n);
}

static void
arch_open(struct arch *ar, bool gzip)
{
        ar->fd = memfd_create("archive", MFD_CLOEXEC);
        ar->a = archive_write_new();
        archive_write_set_format_pax_restricted(ar->a);
        if (gzip)
                archive_write_add_filter_gzip(ar->a);
        archive_write_open(ar->a, &ar->fd, NULL, fd_write, NULL);
}

static void
arch_add(struct arch *ar, const char *name, const void *data, size_t len, const char *symlink)
{
        struct archive_entry *e = archive_entry_new();

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, symlink ? AE_IFLNK : AE_IFREG);
        archive_entry_set_perm(e, 0644);
        if (symlink)
                archive_entry_set_symlink(e, symlink);
        else
                archive_entry_set_size(e, (la_int64_t)len);
        assert_int_equal(archive_write_header(ar->a, e), ARCHIVE_OK);
        if (len)
                archive_write_data(ar->a, data, len);
        archive_entry_free(e);
}

static int
arch_close(struct arch *ar)
{
        archive_write_close(ar->a);
        archive_write_free(ar->a);
        lseek(ar->fd, 0, SEEK_SET);
        return ar->fd;
}

static la_ssize_t
sb_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        sbuf_add(ud, buf, n);
        return (la_ssize_t)n;
}

/* layer_tar: a layer with one file. */
static void
layer_tar(const char *name, const char *content, struct sbuf *out)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        archive_write_set_format_pax_restricted(a);
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

static char *
config_for(char *const *diff_ids)
{
        cleanup_free char *ids = NULL;
        json_object *a = jsonx_strv(diff_ids);

        ids = jsonx_string(a, NULL);
        json_object_put(a);
        return xasprintf(
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":%s}}",
                ids);
}

static int
load(struct store *s, int fd, struct image_load_result *res, struct err *err)
{
        int r = image_load(s, fd, res, err);

        close(fd);
        return r;
}

static void
skip_unless_root(void)
{
        if (geteuid() != 0)
                skip();
}

/* docker_archive: one image, layers given as (member name, tar) pairs; the second image
 * entry (when dup) reuses the first layer through a symlink, as docker save does. */
static int
docker_archive(const struct sbuf *l1, const struct sbuf *l2, const char *l1_name, bool dup,
               bool gzip, char out_cfg[DIGEST_STR_SIZE])
{
        char d1[DIGEST_STR_SIZE], d2[DIGEST_STR_SIZE], cfgd[DIGEST_STR_SIZE];
        char *ids[] = { d1, d2, NULL };
        cleanup_free char *cfg = NULL, *cfgname = NULL, *man = NULL;
        struct arch ar;

        digest_buf(l1->buf, l1->len, d1);
        digest_buf(l2->buf, l2->len, d2);
        cfg = config_for(ids);
        digest_buf(cfg, strlen(cfg), cfgd);
        cfgname = xasprintf("%s.json", digest_hex(cfgd));
        man = xasprintf("[{\"Config\":\"%s\",\"RepoTags\":[\"app:1\"],\"Layers\":[\"%s\","
                        "\"l2/layer.tar\"]}%s]",
                        cfgname, l1_name,
                        dup ? ",{\"Config\":\"x.json\",\"RepoTags\":[\"first:1\"],"
                              "\"Layers\":[\"dup/layer.tar\"]}"
                            : "");
        arch_open(&ar, gzip);
        arch_add(&ar, l1_name, l1->buf, l1->len, NULL);
        arch_add(&ar, "l2/layer.tar", l2->buf, l2->len, NULL);
        arch_add(&ar, cfgname, cfg, strlen(cfg), NULL);
        if (dup) {
                char *one[] = { d1, NULL };
                cleanup_free char *c1 = config_for(one);

                arch_add(&ar, "dup/layer.tar", NULL, 0, "../l1/layer.tar");
                arch_add(&ar, "x.json", c1, strlen(c1), NULL);
        }
        arch_add(&ar, "manifest.json", man, strlen(man), NULL);
        memcpy(out_cfg, cfgd, DIGEST_STR_SIZE);
        return arch_close(&ar);
}

static void
test_image_tar__loads_docker_archives_and_variants(void **state)
{
        struct fx *f = *state;
        cleanup_sbuf struct sbuf l1 = SBUF_INIT, l2 = SBUF_INIT;
        struct image_load_result res;
        char cfg[DIGEST_STR_SIZE];
        cleanup_strv char **problems = NULL;

        skip_unless_root();
        layer_tar("a", "first", &l1);
        layer_tar("b", "second", &l2);
        /* docker <= 24 with a symlinked duplicate layer */
        assert_int_equal(
                load(f->b, docker_archive(&l1, &l2, "l1/layer.tar", true, false, cfg), &res, NULL),
                0);
        assert_int_equal(strv_length(res.names), 2);
        assert_string_equal(res.names[0], "app:1");
        assert_string_equal(res.names[1], "first:1");
        image_load_result_release(&res);
        /* skopeo's layout (<diff-hex>.tar at the top), gzip'ed as a whole */
        assert_int_equal(
                load(f->b, docker_archive(&l1, &l2, "aaaa.tar", false, true, cfg), &res, NULL), 0);
        assert_string_equal(res.names[0], "app:1");
        image_load_result_release(&res);
        assert_int_equal(store_check(f->b, &problems, NULL), 0);
}

static void
test_image_tar__lying_archives_are_refused(void **state)
{
        struct fx *f = *state;
        cleanup_sbuf struct sbuf l1 = SBUF_INIT, l2 = SBUF_INIT, l3 = SBUF_INIT;
        struct image_load_result res;
        struct err err = { 0 };
        struct arch ar;
        struct store_index idx;
        int fd;

        skip_unless_root();
        layer_tar("a", "first", &l1);
        layer_tar("b", "second", &l2);
        layer_tar("b", "SECOND", &l3);
        /* config says l2, the archive has l3 at that place */
        {
                char d1[DIGEST_STR_SIZE], d2[DIGEST_STR_SIZE];
                char *ids[] = { d1, d2, NULL };
                cleanup_free char *c = NULL, *name = NULL, *man = NULL;
                char cd[DIGEST_STR_SIZE];

                digest_buf(l1.buf, l1.len, d1);
                digest_buf(l2.buf, l2.len, d2);
                c = config_for(ids);
                digest_buf(c, strlen(c), cd);
                name = xasprintf("%s.json", digest_hex(cd));
                man = xasprintf("[{\"Config\":\"%s\",\"RepoTags\":[\"bad:1\"],\"Layers\":"
                                "[\"l1.tar\",\"l2.tar\"]}]",
                                name);
                arch_open(&ar, false);
                arch_add(&ar, "l1.tar", l1.buf, l1.len, NULL);
                arch_add(&ar, "l2.tar", l3.buf, l3.len, NULL);
                arch_add(&ar, name, c, strlen(c), NULL);
                arch_add(&ar, "manifest.json", man, strlen(man), NULL);
        }
        assert_int_equal(load(f->b, arch_close(&ar), &res, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "not to its diff ID"));
        image_load_result_release(&res);
        assert_int_equal(store_index_read(f->b, &idx, NULL), 0);
        assert_int_equal(idx.n, 0);
        store_index_release(&idx);
        /* an OCI blob whose name is not its digest */
        err_clear(&err);
        arch_open(&ar, false);
        arch_add(&ar, "oci-layout", "{}", 2, NULL);
        arch_add(&ar,
                 "blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000",
                 "abc", 3, NULL);
        assert_int_equal(load(f->b, arch_close(&ar), &res, &err), -EBADMSG);
        image_load_result_release(&res);
        /* a member name climbing out, and a link out of the archive */
        err_clear(&err);
        arch_open(&ar, false);
        arch_add(&ar, "../manifest.json", "[]", 2, NULL);
        assert_int_equal(load(f->b, arch_close(&ar), &res, &err), -EINVAL);
        image_load_result_release(&res);
        err_clear(&err);
        arch_open(&ar, false);
        arch_add(&ar, "x/layer.tar", NULL, 0, "../../etc/passwd");
        assert_int_equal(load(f->b, arch_close(&ar), &res, &err), -EINVAL);
        image_load_result_release(&res);
        /* no manifest at all; not an archive */
        err_clear(&err);
        arch_open(&ar, false);
        arch_add(&ar, "hello", "x", 1, NULL);
        assert_int_equal(load(f->b, arch_close(&ar), &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "not an image archive"));
        image_load_result_release(&res);
        err_clear(&err);
        fd = memfd_create("junk", MFD_CLOEXEC);
        assert_int_equal(write(fd, "garbage garbage garbage", 23), 23);
        lseek(fd, 0, SEEK_SET);
        assert_int_equal(load(f->b, fd, &res, &err), -EINVAL);
        image_load_result_release(&res);
}

/* members: the names of a saved archive and the content of one of them. */
static char **
members(int fd, const char *want, char **ret_content)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char **names = NULL;

        lseek(fd, 0, SEEK_SET);
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_fd(a, fd, 65536), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                strv_add(&names, archive_entry_pathname(e));
                if (want && !strcmp(archive_entry_pathname(e), want)) {
                        size_t n = (size_t)archive_entry_size(e);

                        *ret_content = xcalloc(1, n + 1);
                        archive_read_data(a, *ret_content, n);
                }
        }
        archive_read_free(a);
        lseek(fd, 0, SEEK_SET);
        return names;
}

static void
import_into(struct store *s, const char *name, char id[DIGEST_STR_SIZE])
{
        cleanup_sbuf struct sbuf t = SBUF_INIT;
        struct image_import_opts o = { .source = "-" };
        int fd = memfd_create("rootfs", MFD_CLOEXEC);

        layer_tar("bin/tool", "#!/bin/true", &t);
        assert_int_equal(write(fd, t.buf, t.len), (ssize_t)t.len);
        lseek(fd, 0, SEEK_SET);
        assert_int_equal(image_import(s, fd, name, &o, id, NULL), 0);
        close(fd);
}

static void
test_image_tar__save_then_load_round_trips(void **state)
{
        struct fx *f = *state;
        char id[DIGEST_STR_SIZE];
        struct image_load_result res;
        cleanup_strv char **names = NULL, **what = NULL;
        cleanup_free char *manifest = NULL;
        int fd;

        skip_unless_root();
        import_into(f->a, "me/app:1", id);
        strv_add(&what, "me/app:1");
        fd = memfd_create("save", MFD_CLOEXEC);
        assert_int_equal(image_save(f->a, what, IMAGE_FORMAT_DOCKER, fd, NULL), 0);
        names = members(fd, "manifest.json", &manifest);
        assert_true(strv_contains(names, "repositories"));
        assert_non_null(strstr(manifest, "\"RepoTags\":[\"me/app:1\"]"));
        assert_int_equal(load(f->b, fd, &res, NULL), 0);
        assert_string_equal(res.names[0], "me/app:1");
        image_load_result_release(&res);
        {
                struct store_index idx;

                assert_int_equal(store_index_read(f->b, &idx, NULL), 0);
                assert_non_null(store_index_by_id(&idx, id));
                store_index_release(&idx);
        }
}

static void
test_image_tar__oci_layout_names_its_images(void **state)
{
        struct fx *f = *state;
        char id[DIGEST_STR_SIZE], id2[DIGEST_STR_SIZE];
        struct image_load_result res;
        cleanup_strv char **names = NULL, **what = NULL;
        cleanup_free char *index = NULL;
        int fd;

        skip_unless_root();
        import_into(f->a, "me/app:1", id);
        import_into(f->a, NULL, id2);
        strv_add(&what, "me/app:1");
        strv_add(&what, id2); /* by ID: saved without a name */
        fd = memfd_create("save", MFD_CLOEXEC);
        assert_int_equal(image_save(f->a, what, IMAGE_FORMAT_OCI, fd, NULL), 0);
        names = members(fd, "index.json", &index);
        assert_true(strv_contains(names, "oci-layout"));
        assert_true(strv_contains(names, "manifest.json"));
        assert_non_null(strstr(index, "\"io.containerd.image.name\":\"docker.io/me/app:1\""));
        assert_non_null(strstr(index, "\"org.opencontainers.image.ref.name\":\"1\""));
        assert_int_equal(load(f->b, fd, &res, NULL), 0);
        assert_string_equal(res.names[0], "me/app:1");
        assert_string_equal(res.ids[0], id2);
        image_load_result_release(&res);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_image_tar__loads_docker_archives_and_variants),
                T(test_image_tar__lying_archives_are_refused),
                T(test_image_tar__save_then_load_round_trips),
                T(test_image_tar__oci_layout_names_its_images),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
