/* Tests for engine/registry_http.c: which registries get plain http, URLs, and turning
 * registry error responses into errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/registry_int.h"

static void
test_registry_http__loopback_and_insecure(void **state)
{
        (void)state;
        assert_true(reg_is_loopback("127.0.0.1:5000"));
        assert_true(reg_is_loopback("127.1.2.3"));
        assert_true(reg_is_loopback("localhost:5000"));
        assert_true(reg_is_loopback("LOCALHOST"));
        assert_true(reg_is_loopback("[::1]:5000"));
        assert_false(reg_is_loopback("128.0.0.1:5000"));
        assert_false(reg_is_loopback("127.0.0.1.example.com"));
        assert_false(reg_is_loopback("docker.io"));
        assert_false(reg_is_loopback("[::2]:5000"));
        assert_true(reg_is_insecure("10.0.0.5:5000", "a:1,10.0.0.5:5000"));
        assert_false(reg_is_insecure("10.0.0.5:5000", "10.0.0.5"));
        assert_false(reg_is_insecure("10.0.0.5", NULL));
        assert_true(reg_is_insecure("127.0.0.1:1", NULL));
}

static void
test_registry_http__client_urls(void **state)
{
        struct reg_opts o = { .config_dir = "/nonexistent-berth-test", .insecure = "" };
        struct reg_client c;
        char *u;

        (void)state;
        assert_int_equal(reg_client_init(&c, &o, "docker.io", NULL), 0);
        assert_string_equal(c.base, "https://registry-1.docker.io");
        u = reg_url(&c, "/v2/library/busybox/manifests/latest");
        assert_string_equal(u, "https://registry-1.docker.io/v2/library/busybox/manifests/latest");
        free(u);
        u = reg_url(&c, "http://elsewhere/upload?x=1");
        assert_string_equal(u, "http://elsewhere/upload?x=1");
        free(u);
        reg_client_release(&c);
        assert_int_equal(reg_client_init(&c, &o, "127.0.0.1:5000", NULL), 0);
        assert_string_equal(c.base, "http://127.0.0.1:5000");
        reg_client_release(&c);
}

static void
test_registry_http__errors_from_responses(void **state)
{
        struct reg_resp r = { .status = 404, .body = SBUF_INIT };
        struct err err = { 0 };

        (void)state;
        sbuf_adds(&r.body, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
                           "unknown\",\"detail\":{}}]}");
        assert_int_equal(reg_http_error(&r, "get manifest", &err), -ENOENT);
        assert_string_equal(err.msg, "get manifest: HTTP 404: MANIFEST_UNKNOWN: manifest unknown");
        sbuf_reset(&r.body);
        r.status = 401;
        err = (struct err){ 0 };
        assert_int_equal(reg_http_error(&r, "x", &err), -EACCES);
        assert_string_equal(err.msg, "x: HTTP 401: authentication required");
        r.status = 500;
        sbuf_adds(&r.body, "<html>not json</html>");
        err = (struct err){ 0 };
        assert_int_equal(reg_http_error(&r, "x", &err), -EIO);
        assert_string_equal(err.msg, "x: HTTP 500");
        sbuf_release(&r.body);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_registry_http__loopback_and_insecure),
                cmocka_unit_test(test_registry_http__client_urls),
                cmocka_unit_test(test_registry_http__errors_from_responses),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
