/* Tests for engine/image.c: images from config + layers, lookups the way docker resolves
 * names and IDs, tags, removal with docker's conflict rules, holds, prune, platform indexes. */
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
#include "store_fixture.h"

static la_ssize_t
sb_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        sbuf_add(ud, buf, n);
        return (la_ssize_t)n;
}

static void
tar_of(const char *name, const char *content, struct sbuf *out)
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

/* make_image: a one-layer image whose layer holds name=content, named names. */
static void
make_image(struct fx *f, const char *file, const char *content, char *const *names,
           char id[DIGEST_STR_SIZE])
{
        cleanup_sbuf struct sbuf tar = SBUF_INIT;
        cleanup_free char *cfg = NULL;
        char layer[DIGEST_STR_SIZE];
        struct image_layer_ref ref;

        tar_of(file, content, &tar);
        assert_int_equal(store_blob_write(f->s, tar.buf, tar.len, layer, NULL), 0);
        cfg = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":"
                        "\"2026-01-01T00:00:00Z\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                        "\"diff_ids\":[\"%s\"]}}",
                        layer);
        ref = (struct image_layer_ref){ layer, MEDIA_OCI_LAYER, (int64_t)tar.len };
        assert_int_equal(store_pin(f->s, NULL), 0);
        assert_int_equal(image_commit(f->s, cfg, strlen(cfg), &ref, 1, names, id, NULL), 0);
        store_unpin(f->s);
}

/* names_of: a strv of the arguments (NULL-terminated). */
static char **
names_of(const char *first, ...)
{
        char **v = NULL;
        va_list ap;

        va_start(ap, first);
        for (const char *n = first; n; n = va_arg(ap, const char *))
                strv_add(&v, n);
        va_end(ap);
        return v;
}

static int
setup(void **state)
{
        return store_fx_setup(state, "image");
}

static int
teardown(void **state)
{
        return store_fx_teardown(state);
}

static int
resolve(struct fx *f, const char *what, char *ret_id, struct err *err)
{
        struct store_index idx;
        struct store_image *img;
        int r;

        assert_int_equal(store_index_read(f->s, &idx, NULL), 0);
        r = image_resolve(&idx, what, &img, err);
        if (r == 0 && ret_id)
                snprintf(ret_id, DIGEST_STR_SIZE, "%s", img->id);
        store_index_release(&idx);
        return r;
}

static void
test_image__commit_then_open(void **state)
{
        struct fx *f = *state;
        cleanup_strv char **names = names_of("docker.io/library/one:latest", NULL);
        char id[DIGEST_STR_SIZE];
        struct store_index idx;
        struct image *img;

        make_image(f, "file", "12345", names, id);
        assert_int_equal(store_index_read(f->s, &idx, NULL), 0);
        assert_int_equal(idx.n, 1);
        assert_int_equal(image_open(f->s, &idx.v[0], &img, NULL), 0);
        assert_string_equal(img->id, id);
        assert_int_equal(strv_length(img->diff_ids), 1);
        assert_string_equal(img->chains[0], img->diff_ids[0]);
        assert_string_equal(img->layer_digests[0], img->diff_ids[0]);
        assert_int_equal(img->size, 5);
        assert_int_equal(image_created(img), 1767225600);
        assert_string_equal(jsonx_str(img->manifest, "mediaType"), MEDIA_OCI_MANIFEST);
        image_free(img);
        store_index_release(&idx);
}

static void
test_image__resolves_like_docker(void **state)
{
        struct fx *f = *state;
        cleanup_strv char **names =
                names_of("docker.io/library/busybox:latest", "quay.io/x/y:2", NULL);
        char id[DIGEST_STR_SIZE], got[DIGEST_STR_SIZE], prefix[16];
        struct err err = { 0 };

        make_image(f, "f", "x", names, id);
        assert_int_equal(resolve(f, "busybox", got, NULL), 0);
        assert_string_equal(got, id);
        assert_int_equal(resolve(f, "docker.io/library/busybox:latest", got, NULL), 0);
        assert_int_equal(resolve(f, "quay.io/x/y:2", got, NULL), 0);
        assert_int_equal(resolve(f, id, got, NULL), 0);
        assert_int_equal(resolve(f, id + 7, got, NULL), 0);
        snprintf(prefix, sizeof(prefix), "%.12s", id + 7);
        assert_int_equal(resolve(f, prefix, got, NULL), 0);
        assert_string_equal(got, id);
        assert_int_equal(resolve(f, "busybox:1", NULL, &err), -ENOENT);
        assert_string_equal(err.msg, "No such image: busybox:1");
        err_clear(&err);
        assert_int_equal(resolve(f, "Bad/Name", NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "invalid reference format"));
}

static void
test_image__ambiguous_prefix_is_refused(void **state)
{
        struct fx *f = *state;
        char ids[17][DIGEST_STR_SIZE];
        struct err err = { 0 };
        char common[2] = "";

        /* 17 images: two of them share the first hex digit of their IDs */
        for (int i = 0; i < 17 && !common[0]; i++) {
                char c[8];

                snprintf(c, sizeof(c), "%d", i);
                make_image(f, "f", c, NULL, ids[i]);
                for (int k = 0; k < i; k++)
                        if (ids[k][7] == ids[i][7])
                                common[0] = ids[i][7];
        }
        assert_true(common[0] != '\0');
        assert_int_equal(resolve(f, common, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "ambiguous"));
}

static void
test_image__tag_and_remove_follow_docker(void **state)
{
        struct fx *f = *state;
        cleanup_strv char **names = names_of("docker.io/library/a:latest", NULL);
        char id[DIGEST_STR_SIZE];
        struct image_rm_result res = { 0 };
        struct err err = { 0 };

        make_image(f, "f", "x", names, id);
        assert_int_equal(image_tag(f->s, "a", "b:1", NULL), 0);
        assert_int_equal(image_tag(f->s, "a",
                                   "b@sha256:0123456789abcdef0123456789abcdef"
                                   "0123456789abcdef0123456789abcdef",
                                   &err),
                         -EINVAL);
        err_clear(&err);
        assert_int_equal(image_remove(f->s, id, false, &res, &err), -EBUSY);
        assert_non_null(strstr(err.msg, "must be forced"));
        assert_int_equal(image_remove(f->s, "a", false, &res, NULL), 0);
        assert_int_equal(strv_length(res.untagged), 1);
        assert_string_equal(res.untagged[0], "a:latest");
        assert_null(res.deleted);
        image_rm_result_release(&res);
        assert_int_equal(image_remove(f->s, "b:1", false, &res, NULL), 0);
        assert_string_equal(res.deleted[0], id);
        assert_true(strv_length(res.deleted) >= 2); /* the image, then its layer */
        assert_true(res.reclaimed > 0);
        image_rm_result_release(&res);
        assert_int_equal(resolve(f, id, NULL, NULL), -ENOENT);
        assert_false(store_blob_has(f->s, id));
}

static void
test_image__images_in_use_stay(void **state)
{
        struct fx *f = *state;
        cleanup_strv char **names = names_of("docker.io/library/used:latest", NULL);
        char id[DIGEST_STR_SIZE];
        struct image_rm_result res = { 0 };
        struct err err = { 0 };

        make_image(f, "f", "x", names, id);
        assert_int_equal(store_hold(f->s, "container1", id, 1, NULL), 0);
        assert_int_equal(image_remove(f->s, "used", false, &res, &err), -EBUSY);
        assert_non_null(strstr(err.msg, "must force"));
        assert_int_equal(image_remove(f->s, "used", true, &res, NULL), 0);
        assert_null(res.deleted);
        image_rm_result_release(&res);
        /* untagged but still there, and prune leaves it alone */
        assert_int_equal(resolve(f, id, NULL, NULL), 0);
        assert_int_equal(image_prune(f->s, true, &res, NULL), 0);
        assert_null(res.deleted);
        image_rm_result_release(&res);
        assert_int_equal(store_unhold(f->s, "container1", NULL), 0);
        assert_int_equal(image_prune(f->s, false, &res, NULL), 0);
        assert_string_equal(res.deleted[0], id);
        image_rm_result_release(&res);
}

static void
test_image__prune_all_or_dangling(void **state)
{
        struct fx *f = *state;
        cleanup_strv char **names = names_of("docker.io/library/kept:latest", NULL);
        char kept[DIGEST_STR_SIZE], dangling[DIGEST_STR_SIZE];
        struct image_rm_result res = { 0 };

        make_image(f, "f", "kept", names, kept);
        make_image(f, "f", "dangling", NULL, dangling);
        assert_int_equal(image_prune(f->s, false, &res, NULL), 0);
        assert_true(strv_contains(res.deleted, dangling));
        assert_false(strv_contains(res.deleted, kept));
        image_rm_result_release(&res);
        assert_int_equal(image_prune(f->s, true, &res, NULL), 0);
        assert_true(strv_contains(res.deleted, kept));
        assert_string_equal(res.untagged[0], "kept:latest");
        image_rm_result_release(&res);
}

static void
test_image__index_resolves_to_this_platform(void **state)
{
        struct fx *f = *state;
        cleanup_strv char **names = names_of("docker.io/library/multi:latest", NULL);
        char id[DIGEST_STR_SIZE], other_id[DIGEST_STR_SIZE], index_digest[DIGEST_STR_SIZE];
        char id2[DIGEST_STR_SIZE];
        struct store_index idx;
        struct store_image *mine, *other;
        cleanup_free char *index = NULL;

        make_image(f, "f", "mine", NULL, id);
        make_image(f, "f", "other", NULL, other_id);
        assert_int_equal(store_index_read(f->s, &idx, NULL), 0);
        mine = store_index_by_id(&idx, id);
        other = store_index_by_id(&idx, other_id);
        index = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
                          "{\"digest\":\"%s\",\"size\":1,\"platform\":{\"os\":\"linux\","
                          "\"architecture\":\"s390x-not-this\"}},"
                          "{\"digest\":\"%s\",\"size\":1,\"platform\":{\"os\":\"linux\","
                          "\"architecture\":\"%s\"}}]}",
                          MEDIA_OCI_INDEX, other->manifest, mine->manifest, image_platform_arch());
        store_index_release(&idx);
        assert_int_equal(store_blob_write(f->s, index, strlen(index), index_digest, NULL), 0);
        assert_int_equal(store_pin(f->s, NULL), 0);
        assert_int_equal(image_register(f->s, index_digest, names, id2, NULL), 0);
        store_unpin(f->s);
        assert_string_equal(id2, id);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_image__commit_then_open),
                T(test_image__resolves_like_docker),
                T(test_image__ambiguous_prefix_is_refused),
                T(test_image__tag_and_remove_follow_docker),
                T(test_image__images_in_use_stay),
                T(test_image__prune_all_or_dangling),
                T(test_image__index_resolves_to_this_platform),
        };

        if (geteuid() != 0) {
                printf("skipped: unpacking layers needs root\n");
                return 0;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
