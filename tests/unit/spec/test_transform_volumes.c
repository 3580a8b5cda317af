#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "transform_fixture.h"

static void
expect_volume(const char *spec, const char *want_yaml)
{
        struct node *want = tf_load(want_yaml), *got = NULL;
        struct err err = { 0 };

        if (transform_parse_volume(spec, NULL, &got, &err) < 0) {
                print_error("%s: %s\n", spec, err.msg);
                fail();
        }
        tf_expect_node(got, want, spec);
        node_free(got);
        node_free(want);
}

static void
expect_bad_volume(const char *spec, const char *why)
{
        struct node_pos pos = { "test.yaml", 7, 9 };
        struct err err = { 0 };
        struct node *got = NULL;

        assert_int_equal(transform_parse_volume(spec, &pos, &got, &err), -EINVAL);
        assert_null(got);
        assert_non_null(strstr(err.msg, "test.yaml:7:9: "));
        if (!strstr(err.msg, why)) {
                print_error("%s: %s\n", spec, err.msg);
                fail();
        }
}

static void
test_transform_volumes__parse_short_specs(void **state)
{
        (void)state;
        expect_volume("/var/lib/anonymous",
                      "{type: volume, target: /var/lib/anonymous, volume: {}}");
        expect_volume("/opt/data:/var/lib/data", "{type: bind, source: /opt/data, "
                                                 "target: /var/lib/data, "
                                                 "bind: {create_host_path: true}}");
        expect_volume(".:/code", "{type: bind, source: ., target: /code, "
                                 "bind: {create_host_path: true}}");
        expect_volume("~/configs:/etc/configs:ro", "{type: bind, source: ~/configs, "
                                                   "target: /etc/configs, read_only: true, "
                                                   "bind: {create_host_path: true}}");
        expect_volume("datavolume:/var/lib/volume", "{type: volume, source: datavolume, "
                                                    "target: /var/lib/volume, volume: {}}");
        expect_volume("data:/data:nocopy,rw", "{type: volume, source: data, target: /data, "
                                              "volume: {nocopy: true}}");
        expect_volume("./src:/app:z,rshared", "{type: bind, source: ./src, target: /app, "
                                              "bind: {selinux: z, propagation: rshared, "
                                              "create_host_path: true}}");
        expect_volume("c:\\dir:/mnt", "{type: bind, source: 'c:\\dir', target: /mnt, "
                                      "bind: {create_host_path: true}}");
        expect_volume("${SRC:-a:b}:/x", "{type: volume, source: '${SRC:-a:b}', target: /x, "
                                        "volume: {}}");
        expect_volume("/data/../x/./y/:/t/../u/", "{type: bind, source: /data/../x/./y/, "
                                                  "target: /u, bind: {create_host_path: true}}");
        /* a spec of one or two characters is a bare target, as in compose-go */
        expect_volume("ab", "{type: volume, target: ab}");
}

static void
test_transform_volumes__bad_specs_are_rejected(void **state)
{
        (void)state;
        expect_bad_volume("", "invalid empty volume spec");
        expect_bad_volume(":/data", "empty section between colons");
        expect_bad_volume("ab::/data", "empty section between colons");
        expect_bad_volume("ab:/b:ro:x", "too many colons");
        /* like compose, a one-letter source is read as a Windows drive */
        expect_volume("a:/b:ro:x", "{type: bind, source: 'a:/b', target: ro, "
                                   "bind: {create_host_path: true}}");
}

static void
test_transform_volumes__printed_as_compose_prints_them(void **state)
{
        struct node *doc = tf_canon("services:\n  web:\n    image: x\n    volumes:\n"
                                    "      - /host:/data\n"
                                    "      - type: bind\n        source: /a\n        target: /b\n"
                                    "        read_only: 'true'\n"
                                    "        bind: {create_host_path: false}\n"
                                    "      - type: bind\n        source: /c\n        target: /d/\n"
                                    "        bind: {propagation: slave}\n"
                                    "      - type: tmpfs\n        target: /t\n"
                                    "        tmpfs: {size: 1g, mode: 01777}\n"
                                    "      - type: volume\n        source: v\n        target: /v\n"
                                    "        read_only: false\n        volume: {nocopy: 'true'}\n");

        (void)state;
        /* create_host_path defaults to true, which compose prints by leaving it out */
        tf_expect(doc, "services/web/volumes/0",
                  "{type: bind, source: /host, target: /data, bind: {}}");
        tf_expect(doc, "services/web/volumes/1",
                  "{type: bind, source: /a, target: /b, "
                  "read_only: true, "
                  "bind: {create_host_path: false}}");
        tf_expect(doc, "services/web/volumes/2",
                  "{type: bind, source: /c, target: /d, "
                  "bind: {propagation: slave}}");
        tf_expect(doc, "services/web/volumes/3",
                  "{type: tmpfs, target: /t, "
                  "tmpfs: {size: '1073741824', mode: 1023}}");
        tf_expect(doc, "services/web/volumes/4",
                  "{type: volume, source: v, target: /v, "
                  "volume: {nocopy: true}}");
        node_free(doc);
}

static void
test_transform_volumes__errors_point_at_the_entry(void **state)
{
        cleanup_free char *msg = tf_canon_err("services:\n  web:\n    volumes:\n      - ':/x'\n");

        (void)state;
        assert_string_equal(msg, "test.yaml:4:9: services.web.volumes[0]: invalid volume spec "
                                 "\":/x\": empty section between colons");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_transform_volumes__parse_short_specs),
                cmocka_unit_test(test_transform_volumes__bad_specs_are_rejected),
                cmocka_unit_test(test_transform_volumes__printed_as_compose_prints_them),
                cmocka_unit_test(test_transform_volumes__errors_point_at_the_entry),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
