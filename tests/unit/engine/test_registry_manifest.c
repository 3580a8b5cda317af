/* Tests for engine/registry_manifest.c: --platform parsing, choosing a manifest from a
 * manifest list / OCI index as containerd's matcher does, and checking image manifests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/registry_int.h"

#define D(c)                                                                                      \
        "\"sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
                c c c c c c c c c c c c c c c c c c c c c c c c c "\""
#define MT_M "\"application/vnd.oci.image.manifest.v1+json\""

static json_object *
parse(const char *s)
{
        json_object *o = NULL;

        assert_int_equal(jsonx_parse(s, strlen(s), 1 << 20, "test", &o, NULL), 0);
        return o;
}

static void
test_registry_manifest__parses_platforms(void **state)
{
        struct reg_platform p;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(reg_platform_parse("linux/arm64/v8", &p, &err), 0);
        assert_string_equal(p.os, "linux");
        assert_string_equal(p.arch, "arm64");
        assert_string_equal(p.variant, "v8");
        assert_int_equal(reg_platform_parse("linux/amd64", &p, &err), 0);
        assert_string_equal(p.variant, "");
        assert_int_equal(reg_platform_parse("linux/arm64", &p, &err), 0);
        assert_string_equal(p.variant, "v8");
        assert_int_equal(reg_platform_parse(NULL, &p, &err), 0);
        assert_string_equal(p.os, "linux");
        assert_string_equal(p.arch, image_platform_arch());
        assert_int_equal(reg_platform_parse("linux", &p, &err), -EINVAL);
        assert_int_equal(reg_platform_parse("linux/", &p, &err), -EINVAL);
        assert_int_equal(reg_platform_parse("/amd64", &p, &err), -EINVAL);
        assert_int_equal(reg_platform_parse("linux/amd64/", &p, &err), -EINVAL);
        assert_int_equal(reg_platform_parse("linux/a b", &p, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "invalid platform"));
}

static const char *const list =
        "{\"schemaVersion\":2,\"manifests\":["
        "{\"mediaType\":" MT_M ",\"digest\":" D(
                "a") ",\"size\":1,"
                     "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
                     "{\"mediaType\":" MT_M ",\"digest\":" D(
                             "b") ",\"size\":1,"
                                  "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}},"
                                  "{\"mediaType\":" MT_M ",\"digest\":" D(
                                          "c") ",\"size\":1,"
                                               "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
                                               "{\"mediaType\":" MT_M ",\"digest\":" D(
                                                       "d") ",\"size\":1,"
                                                            "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
                                                            "{\"mediaType\":" MT_M ",\"digest\":" D(
                                                                    "e") ",\"size\":1,"
                                                                         "\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\"}},"
                                                                         "{\"mediaType\":" MT_M
                                                                         ",\"digest\":" D(
                                                                                 "f") ",\"size\":1,"
                                                                                      "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}]}";

static size_t
pick(json_object *idx, const char *platform)
{
        struct reg_platform p;
        size_t i = 99;
        struct err err = { 0 };

        assert_int_equal(reg_platform_parse(platform, &p, &err), 0);
        if (reg_platform_pick(idx, &p, &i, &err) < 0)
                return 99;
        return i;
}

static void
test_registry_manifest__picks_the_platform(void **state)
{
        json_object *idx = parse(list);

        (void)state;
        assert_int_equal(pick(idx, "linux/amd64"), 0);
        assert_int_equal(pick(idx, "linux/arm/v6"), 1);
        assert_int_equal(pick(idx, "linux/arm/v7"), 2);
        assert_int_equal(pick(idx, "linux/arm"), 2);      /* arm means arm/v7 */
        assert_int_equal(pick(idx, "linux/arm64/v8"), 3); /* arm64 without a variant is v8 */
        assert_int_equal(pick(idx, "linux/arm64"), 3);
        assert_int_equal(pick(idx, "windows/amd64"), 4);
        assert_int_equal(pick(idx, "linux/s390x"), 99);
        assert_int_equal(pick(idx, "linux/arm/v5"), 99);
        assert_int_equal(pick(idx, "unknown/unknown"), 5);
        json_object_put(idx);
}

static void
test_registry_manifest__exact_variant_beats_missing_one(void **state)
{
        json_object *idx = parse(
                "{\"manifests\":["
                "{\"digest\":" D(
                        "a") ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\"}},"
                             "{\"digest\":" D(
                                     "b") ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
                                          "\"variant\":\"v7\"}},"
                                          "{\"mediaType\":\"application/vnd.in-toto+json\",\"digest\":" D(
                                                  "c") ","
                                                       "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}}]}");
        struct err err = { 0 };
        struct reg_platform p;
        size_t i;

        (void)state;
        assert_int_equal(pick(idx, "linux/arm/v7"), 1);
        assert_int_equal(pick(idx, "linux/arm/v6"), 99); /* a is v7, c is not a manifest */
        assert_int_equal(pick(idx, "linux/arm"), 1);
        assert_int_equal(reg_platform_parse("linux/ppc64le", &p, &err), 0);
        assert_int_equal(reg_platform_pick(idx, &p, &i, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no matching manifest for linux/ppc64le"));
        json_object_put(idx);
}

static void
test_registry_manifest__checks_image_manifests(void **state)
{
        json_object *m = parse(
                "{\"schemaVersion\":2,\"mediaType\":" MT_M ",\"config\":{\"mediaType\":"
                "\"application/vnd.oci.image.config.v1+json\",\"digest\":" D(
                        "1") ",\"size\":9},"
                             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                             "\"digest\":" D(
                                     "2") ",\"size\":10},{\"mediaType\":"
                                          "\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":" D(
                                                  "3") ",\"size\":11}]}");
        struct reg_blob *b;
        size_t n;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(reg_manifest_blobs(m, "m", &b, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_int_equal(b[0].size, 9);
        assert_int_equal(b[2].size, 11);
        assert_string_equal(b[1].media, "application/vnd.oci.image.layer.v1.tar+gzip");
        reg_blobs_free(b, n);
        json_object_put(m);
}

static void
test_registry_manifest__refuses_what_it_cannot_pull(void **state)
{
        static const char *const bad[] = {
                "{\"schemaVersion\":1,\"fsLayers\":[]}",
                "{\"schemaVersion\":2,\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:12\",\"size\":1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":" D(
                        "1") ",\"size\":-1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":" D(
                        "1") ",\"size\":1},\"layers\":["
                             "{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\","
                             "\"digest\":" D("2") ",\"size\":1}]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":" D(
                        "1") ",\"size\":1},\"layers\":["
                             "{\"mediaType\":\"application/x-helm\",\"digest\":" D(
                                     "2") ",\"size\":1}]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":" D("1") ",\"size\":99999999999},"
                                                                      "\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
                "\"digest\":" D("1") ",\"size\":1},\"layers\":[]}",
        };
        static const int code[] = { -EPROTO, -EPROTO, -EPROTO, -EPROTO,
                                    -EPROTO, -EPROTO, -EFBIG,  -EPROTO };

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_object *m = parse(bad[i]);
                struct reg_blob *b = NULL;
                size_t n = 0;
                struct err err = { 0 };

                if (reg_manifest_blobs(m, "m", &b, &n, &err) != code[i])
                        fail_msg("case %zu: got '%s'", i, err.msg);
                json_object_put(m);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_registry_manifest__parses_platforms),
                cmocka_unit_test(test_registry_manifest__picks_the_platform),
                cmocka_unit_test(test_registry_manifest__exact_variant_beats_missing_one),
                cmocka_unit_test(test_registry_manifest__checks_image_manifests),
                cmocka_unit_test(test_registry_manifest__refuses_what_it_cannot_pull),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
