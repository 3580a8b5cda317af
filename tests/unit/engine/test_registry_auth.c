/* Tests for engine/registry_auth.c: WWW-Authenticate parsing, base64, docker's config.json
 * credentials (keys as docker writes and normalises them). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "engine/jsonx.h"
#include "engine/registry_int.h"

static void
test_registry_auth__parses_bearer_challenges(void **state)
{
        struct reg_challenge c;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(reg_challenge_parse(
                                 "Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
                                 "docker.io\",scope=\"repository:library/busybox:pull,push\"",
                                 &c, &err),
                         0);
        assert_string_equal(c.scheme, "bearer");
        assert_string_equal(c.realm, "https://auth.docker.io/token");
        assert_string_equal(c.service, "registry.docker.io");
        assert_string_equal(c.scope, "repository:library/busybox:pull,push");
        reg_challenge_release(&c);

        /* spaces, token values, escapes, unknown keys, case-insensitive scheme and keys */
        assert_int_equal(reg_challenge_parse("  BEARER  Realm = \"http://h/t?a=1\" , x=y, "
                                             "service=svc ,scope=\"a \\\"b\\\"\"",
                                             &c, &err),
                         0);
        assert_string_equal(c.scheme, "bearer");
        assert_string_equal(c.realm, "http://h/t?a=1");
        assert_string_equal(c.service, "svc");
        assert_string_equal(c.scope, "a \"b\"");
        reg_challenge_release(&c);
}

static void
test_registry_auth__parses_basic_and_rejects_garbage(void **state)
{
        struct reg_challenge c;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(reg_challenge_parse("Basic realm=\"basic-realm\"", &c, &err), 0);
        assert_string_equal(c.scheme, "basic");
        assert_string_equal(c.realm, "basic-realm");
        assert_null(c.service);
        reg_challenge_release(&c);
        /* a second challenge ends the first */
        assert_int_equal(reg_challenge_parse("Basic realm=\"r\", Bearer realm=\"x\"", &c, &err), 0);
        assert_string_equal(c.realm, "r");
        reg_challenge_release(&c);
        assert_int_equal(reg_challenge_parse("", &c, &err), -EINVAL);
        assert_int_equal(reg_challenge_parse("Bearer realm=\"unterminated", &c, &err), -EINVAL);
        assert_int_equal(reg_challenge_parse("Bearer =x", &c, &err), -EINVAL);
}

static void
test_registry_auth__base64_round_trips(void **state)
{
        static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "tester:secret" };
        static const char *const out[] = {
                "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "dGVzdGVyOnNlY3JldA=="
        };
        char *dec;
        size_t n;

        (void)state;
        for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
                char *enc = reg_base64(in[i], strlen(in[i]));

                assert_string_equal(enc, out[i]);
                assert_int_equal(reg_unbase64(enc, &dec, &n), 0);
                assert_int_equal(n, strlen(in[i]));
                assert_string_equal(dec, in[i]);
                free(enc);
                free(dec);
        }
        assert_int_equal(reg_unbase64("Zm9v", &dec, &n), 0); /* padding optional */
        free(dec);
        assert_int_equal(reg_unbase64("Zm9vY", &dec, &n), -EINVAL);
        assert_int_equal(reg_unbase64("Zm9v!", &dec, &n), -EINVAL);
        assert_int_equal(reg_unbase64("Zg=a", &dec, &n), -EINVAL);
}

static json_object *
parse(const char *s)
{
        json_object *o = NULL;

        assert_int_equal(jsonx_parse(s, strlen(s), 1 << 20, "test", &o, NULL), 0);
        return o;
}

static void
test_registry_auth__config_keys_like_docker(void **state)
{
        char *k[] = { reg_config_key(NULL), reg_config_key("docker.io"),
                      reg_config_key("index.docker.io"), reg_config_key("127.0.0.1:5000"),
                      reg_config_key("https://quay.io/v2/") };

        (void)state;
        assert_string_equal(k[0], "https://index.docker.io/v1/");
        assert_string_equal(k[1], "https://index.docker.io/v1/");
        assert_string_equal(k[2], "https://index.docker.io/v1/");
        assert_string_equal(k[3], "127.0.0.1:5000");
        assert_string_equal(k[4], "quay.io");
        for (size_t i = 0; i < 5; i++)
                free(k[i]);
}

static void
test_registry_auth__config_lookup_and_set(void **state)
{
        json_object *cfg = parse("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":"
                                 "\"aHViOnB3\"},\"http://reg:5000/v2/\":{\"auth\":"
                                 "\"dTpwOjE=\"},\"helper.io\":{}},\"credsStore\":\"x\"}");
        char *u, *p;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(reg_config_lookup(cfg, "docker.io", &u, &p, &err), 0);
        assert_string_equal(u, "hub");
        assert_string_equal(p, "pw");
        free(u);
        free(p);
        assert_int_equal(reg_config_lookup(cfg, "reg:5000", &u, &p, &err), 0);
        assert_string_equal(u, "u");
        assert_string_equal(p, "p:1"); /* only the first colon splits */
        free(u);
        free(p);
        assert_int_equal(reg_config_lookup(cfg, "helper.io", &u, &p, &err), 0);
        assert_null(u);
        assert_int_equal(reg_config_lookup(cfg, "other:1", &u, &p, &err), 0);
        assert_null(u);

        assert_int_equal(reg_config_set(cfg, "new:1", "me", "s3cret"), 1);
        assert_string_equal(jsonx_str(jsonx_get(jsonx_get(cfg, "auths"), "new:1"), "auth"),
                            "bWU6czNjcmV0");
        assert_int_equal(reg_config_set(cfg, "new:1", NULL, NULL), 1);
        assert_int_equal(reg_config_set(cfg, "new:1", NULL, NULL), 0);
        assert_string_equal(jsonx_str(cfg, "credsStore"), "x");
        json_object_put(cfg);

        cfg = parse("{\"auths\":{\"bad\":{\"auth\":\"bm9jb2xvbg==\"}}}");
        assert_int_equal(reg_config_lookup(cfg, "bad", &u, &p, &err), -EINVAL);
        json_object_put(cfg);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_registry_auth__parses_bearer_challenges),
                cmocka_unit_test(test_registry_auth__parses_basic_and_rejects_garbage),
                cmocka_unit_test(test_registry_auth__base64_round_trips),
                cmocka_unit_test(test_registry_auth__config_keys_like_docker),
                cmocka_unit_test(test_registry_auth__config_lookup_and_set),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
