/* Tests for engine/image_view.c: docker's inspect object and history rows. */
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
#include "base/strv.h"
#include "engine/image.h"
#include "engine/jsonx.h"

#define HEX1 "1111111111111111111111111111111111111111111111111111111111111111"
#define HEX2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D1   "sha256:" HEX1
#define D2   "sha256:" HEX2
#define ID   "sha256:9999999999999999999999999999999999999999999999999999999999999999"

/* an image as image_open leaves it, built by hand: two layers, an empty_layer step */
static struct image *
fake_image(void)
{
        struct image *img = xcalloc(1, sizeof(*img));
        const char *cfg =
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"comment\":\"c\","
                "\"created\":\"2026-11-28T05:02:29Z\","
                "\"config\":{\"Env\":[\"A=1\"],\"Cmd\":[\"sh\"],\"Labels\":{\"x\":\"y\"},"
                "\"ExposedPorts\":{\"80/tcp\":{}}},"
                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
                "\"history\":[{\"created\":\"2026-11-28T05:00:00Z\",\"created_by\":\"ADD x\"},"
                "{\"created\":\"2026-11-28T05:01:00Z\",\"created_by\":\"ENV A=1\","
                "\"empty_layer\":true},"
                "{\"created\":\"2026-11-28T05:02:00Z\",\"created_by\":\"RUN y\","
                "\"comment\":\"z\"}]}";

        img->id = xstrdup(ID);
        strv_add(&img->names, "docker.io/library/busybox:latest");
        strv_add(&img->names, "example.com/a/b:1");
        strv_add(&img->diff_ids, D1);
        strv_add(&img->diff_ids, D2);
        strv_add(&img->chains, D1);
        strv_add(&img->chains, D2);
        img->layer_sizes = xcalloc(3, sizeof(uint64_t));
        img->layer_sizes[0] = 100;
        img->layer_sizes[1] = 7;
        img->size = 107;
        assert_int_equal(jsonx_parse(cfg, strlen(cfg), 1 << 20, "cfg", &img->config, NULL), 0);
        return img;
}

static void
test_image_view__inspect_is_docker_shaped(void **state)
{
        struct image *img = fake_image();
        struct store s = { .layers = (char *)"/var/lib/berth/layers" };
        json_object *o = image_inspect_json(&s, img);
        json_object *c = jsonx_get(o, "Config");
        const char *keys[] = { "Id",      "RepoTags",      "RepoDigests", "Parent", "Comment",
                               "Created", "DockerVersion", "Author",      "Config", "Architecture",
                               "Os",      "Size",          "GraphDriver", "RootFS", "Metadata" };
        size_t i = 0;

        (void)state;
        json_object_object_foreach(o, k, v)
        {
                (void)v;
                assert_string_equal(k, keys[i++]);
        }
        assert_int_equal(i, ARRAY_SIZE(keys));
        assert_string_equal(jsonx_str(o, "Id"), ID);
        assert_string_equal(
                json_object_get_string(json_object_array_get_idx(jsonx_get(o, "RepoTags"), 0)),
                "busybox:latest");
        assert_int_equal(jsonx_int(o, "Size", 0), 107);
        assert_string_equal(jsonx_str(c, "Hostname"), "");
        assert_false(jsonx_bool(c, "Tty"));
        assert_non_null(jsonx_get(c, "ExposedPorts"));
        assert_null(jsonx_get(c, "Volumes"));
        assert_string_equal(jsonx_str(jsonx_get(jsonx_get(o, "GraphDriver"), "Data"), "LowerDir"),
                            "/var/lib/berth/layers/" HEX1 "/diff");
        assert_string_equal(jsonx_str(jsonx_get(jsonx_get(o, "GraphDriver"), "Data"), "UpperDir"),
                            "/var/lib/berth/layers/" HEX2 "/diff");
        assert_int_equal(json_object_array_length(jsonx_get(jsonx_get(o, "RootFS"), "Layers")), 2);
        json_object_put(o);
        image_free(img);
}

static void
test_image_view__history_is_newest_first(void **state)
{
        struct image *img = fake_image();
        struct image_history_row *rows;
        size_t n;

        (void)state;
        assert_int_equal(image_history(img, &rows, &n, NULL), 0);
        assert_int_equal(n, 3);
        assert_string_equal(rows[0].created_by, "RUN y");
        assert_string_equal(rows[0].id, ID);
        assert_string_equal(rows[0].comment, "z");
        assert_int_equal(rows[0].size, 7);
        assert_null(rows[1].id);
        assert_true(rows[1].empty_layer);
        assert_int_equal(rows[1].size, 0);
        assert_int_equal(rows[2].size, 100);
        assert_int_equal(rows[2].created, 1795842000);
        image_history_free(rows, n);
        assert_int_equal(image_created(img), 1795842149);
        image_free(img);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_image_view__inspect_is_docker_shaped),
                cmocka_unit_test(test_image_view__history_is_newest_first),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
