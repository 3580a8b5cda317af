/* Tests for engine/image_import.c: `docker import` of rootfs tarballs and its --change. */
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

static char *
changes_of(const char *const *changes, struct err *err, int *ret)
{
        json_object *cfg = json_object_new_object();
        char **v = NULL;
        char *out;

        for (size_t i = 0; changes[i]; i++)
                strv_add(&v, changes[i]);
        *ret = image_apply_changes(cfg, v, err);
        out = jsonx_string(cfg, NULL);
        json_object_put(cfg);
        strv_free(v);
        return out;
}

static void
expect_changes(const char *const *changes, const char *want)
{
        struct err err = { 0 };
        int r;
        char *got = changes_of(changes, &err, &r);

        if (r < 0)
                fail_msg("changes failed: %s", err.msg);
        if (strcmp(got, want) != 0)
                fail_msg("got %s\nwant %s", got, want);
        free(got);
}

static void
test_image_import__changes_use_dockerfile_syntax(void **state)
{
        (void)state;
        expect_changes((const char *[]){ "CMD [\"sh\", \"-c\", \"echo hi\"]", NULL },
                       "{\"Cmd\":[\"sh\",\"-c\",\"echo hi\"]}");
        expect_changes((const char *[]){ "cmd echo hi", NULL },
                       "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"]}");
        expect_changes((const char *[]){ "ENTRYPOINT [\"/init\"]", NULL },
                       "{\"Entrypoint\":[\"/init\"]}");
        expect_changes((const char *[]){ "ENV A=1 B=\"two words\"", "ENV C 3 4", "ENV A=x", NULL },
                       "{\"Env\":[\"A=x\",\"B=two words\",\"C=3 4\"]}");
        expect_changes((const char *[]){ "LABEL a=b \"c d\"='e f'", NULL },
                       "{\"Labels\":{\"a\":\"b\",\"c d\":\"e f\"}}");
        expect_changes((const char *[]){ "EXPOSE 80 53/udp", NULL },
                       "{\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}}}");
        expect_changes((const char *[]){ "VOLUME [\"/data\"]", "VOLUME /a /b", NULL },
                       "{\"Volumes\":{\"/data\":{},\"/a\":{},\"/b\":{}}}");
        expect_changes((const char *[]){ "WORKDIR /srv", "WORKDIR app", NULL },
                       "{\"WorkingDir\":\"/srv/app\"}");
        expect_changes(
                (const char *[]){ "USER 1000:1000", "STOPSIGNAL SIGINT", "ONBUILD RUN make", NULL },
                "{\"User\":\"1000:1000\",\"StopSignal\":\"SIGINT\",\"OnBuild\":[\"RUN make\"]}");
}

static void
test_image_import__bad_changes_are_refused(void **state)
{
        struct err err = { 0 };
        int r;

        (void)state;
        free(changes_of((const char *[]){ "RUN make", NULL }, &err, &r));
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err.msg, "RUN is not a valid change command");
        err_clear(&err);
        free(changes_of((const char *[]){ "EXPOSE http", NULL }, &err, &r));
        assert_int_equal(r, -EINVAL);
        err_clear(&err);
        free(changes_of((const char *[]){ "ENV", NULL }, &err, &r));
        assert_int_equal(r, -EINVAL);
        err_clear(&err);
        free(changes_of((const char *[]){ "LABEL a=\"unterminated", NULL }, &err, &r));
        assert_int_equal(r, -EINVAL);
}

static la_ssize_t
fd_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        return write(*(int *)ud, buf, n);
}

/* rootfs_fd: a memfd holding a (gzip'ed) tar with bin/sh. */
static int
rootfs_fd(bool gzip)
{
        int fd = memfd_create("rootfs", MFD_CLOEXEC);
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        archive_write_set_format_pax_restricted(a);
        if (gzip)
                archive_write_add_filter_gzip(a);
        archive_write_open(a, &fd, NULL, fd_write, NULL);
        archive_entry_set_pathname(e, "./bin/sh");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0755);
        archive_entry_set_size(e, 4);
        archive_write_header(a, e);
        archive_write_data(a, "#!sh", 4);
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
        lseek(fd, 0, SEEK_SET);
        return fd;
}

static void
test_image_import__makes_a_one_layer_image(void **state)
{
        char *root = xstrdup("/tmp/berth-test-import-XXXXXX");
        struct store *s = NULL;
        struct image_import_opts o = { .source = "-" };
        struct store_index idx;
        struct image *img;
        char id[DIGEST_STR_SIZE], id2[DIGEST_STR_SIZE];
        struct err err = { 0 };
        int fd, top;

        (void)state;
        if (geteuid() != 0) {
                free(root);
                skip(); /* unpacking keeps owners: root only */
        }
        assert_non_null(mkdtemp(root));
        assert_int_equal(store_open(root, &s, NULL), 0);
        fd = rootfs_fd(true);
        assert_int_equal(image_import(s, fd, "Bad Name", &o, id, &err), -EINVAL);
        assert_int_equal(lseek(fd, 0, SEEK_CUR), 0); /* refused before reading */
        assert_int_equal(image_import(s, fd, "me/rootfs:1", &o, id, NULL), 0);
        close(fd);
        assert_int_equal(store_index_read(s, &idx, NULL), 0);
        assert_int_equal(image_open(s, store_index_by_id(&idx, id), &img, NULL), 0);
        assert_string_equal(img->names[0], "docker.io/me/rootfs:1");
        assert_string_equal(jsonx_str(img->config, "comment"), "Imported from -");
        assert_string_equal(jsonx_str(img->config, "os"), "linux");
        assert_string_equal(jsonx_str(img->config, "architecture"), image_platform_arch());
        assert_int_equal(json_object_array_length(jsonx_get(img->config, "history")), 1);
        /* the layer blob is the uncompressed tar */
        assert_string_equal(img->layer_digests[0], img->diff_ids[0]);
        assert_string_equal(img->layer_media[0], MEDIA_OCI_LAYER);
        assert_int_equal(img->size, 4);
        /* an untagged import, with -m */
        fd = rootfs_fd(false);
        o.message = "second";
        assert_int_equal(image_import(s, fd, NULL, &o, id2, NULL), 0);
        close(fd);
        image_free(img);
        store_index_release(&idx);
        assert_int_equal(store_index_read(s, &idx, NULL), 0);
        assert_int_equal(image_open(s, store_index_by_id(&idx, id2), &img, NULL), 0);
        assert_null(img->names);
        assert_string_equal(jsonx_str(img->config, "comment"), "second");
        image_free(img);
        store_index_release(&idx);
        store_free(s);
        top = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        layer_remove_tree(top, root + 5, NULL);
        close(top);
        free(root);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_image_import__changes_use_dockerfile_syntax),
                cmocka_unit_test(test_image_import__bad_changes_are_refused),
                cmocka_unit_test(test_image_import__makes_a_one_layer_image),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
