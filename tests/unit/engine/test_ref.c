/* Tests for engine/ref.c: docker's reference normalisation and validation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "engine/ref.h"

static void
expect_ref(const char *in, const char *full, const char *familiar)
{
        struct ref r;
        struct err err = { 0 };
        char *f, *fam;

        if (ref_parse(in, &r, &err) < 0)
                fail_msg("'%s' did not parse: %s", in, err.msg);
        f = ref_string(&r);
        fam = ref_familiar(&r);
        if (strcmp(f, full) != 0 || strcmp(fam, familiar) != 0)
                fail_msg("'%s' -> '%s' / '%s', want '%s' / '%s'", in, f, fam, full, familiar);
        free(f);
        free(fam);
        ref_release(&r);
}

static void
test_ref__normalises_like_docker(void **state)
{
        (void)state;
        expect_ref("busybox", "docker.io/library/busybox:latest", "busybox:latest");
        expect_ref("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36");
        expect_ref("me/app:v1", "docker.io/me/app:v1", "me/app:v1");
        expect_ref("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest");
        expect_ref("index.docker.io/library/redis", "docker.io/library/redis:latest",
                   "redis:latest");
        expect_ref("localhost/app", "localhost/app:latest", "localhost/app:latest");
        expect_ref("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t");
        expect_ref("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest", "127.0.0.1:5000/app:latest");
        expect_ref("[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest");
        expect_ref("a.b_c__d-e---f", "docker.io/library/a.b_c__d-e---f:latest",
                   "a.b_c__d-e---f:latest");
        expect_ref("Registry.Example.com/x", "Registry.Example.com/x:latest",
                   "Registry.Example.com/x:latest");
}

static void
test_ref__digest_references(void **state)
{
        const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char *in = NULL, *full = NULL, *fam = NULL;
        struct ref r;

        (void)state;
        in = xasprintf("busybox@%s", d);
        assert_int_equal(ref_parse(in, &r, NULL), 0);
        assert_null(r.tag);
        assert_string_equal(r.digest, d);
        full = ref_string(&r);
        fam = ref_familiar(&r);
        assert_true(strstr(full, "docker.io/library/busybox@sha256:") == full);
        assert_true(strstr(fam, "busybox@sha256:") == fam);
        ref_release(&r);
        free(in);
        free(full);
        free(fam);
}

static void
expect_bad(const char *in, const char *why)
{
        struct ref r;
        struct err err = { 0 };

        if (ref_parse(in, &r, &err) == 0)
                fail_msg("'%s' parsed but should not", in);
        assert_int_equal(err.code, -EINVAL);
        if (why && !strstr(err.msg, why))
                fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, why);
}

static void
test_ref__rejects_what_docker_rejects(void **state)
{
        char long_tag[200];

        (void)state;
        expect_bad("Busybox", "must be lowercase");
        expect_bad("me/App", "must be lowercase");
        expect_bad("", NULL);
        expect_bad("a//b", NULL);
        expect_bad("-a", NULL);
        expect_bad("a-", NULL);
        expect_bad("a:", NULL);
        expect_bad(":tag", NULL);
        expect_bad("a:-tag", NULL);
        expect_bad("a@sha256:abc", "invalid digest");
        expect_bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                   "64-byte hexadecimal");
        expect_bad("host:port/x", NULL);
        memset(long_tag, 'a', sizeof(long_tag));
        memcpy(long_tag, "x:", 2);
        long_tag[150] = '\0';
        expect_bad(long_tag, NULL);
}

static void
test_ref__familiar_name_of_full_names(void **state)
{
        char *a = ref_familiar_name("docker.io/library/busybox:latest");
        char *b = ref_familiar_name("docker.io/library/a/b:1");
        char *c = ref_familiar_name("quay.io/x/y:2");
        char *d = ref_familiar_name("not a name");

        (void)state;
        assert_string_equal(a, "busybox:latest");
        assert_string_equal(b, "library/a/b:1");
        assert_string_equal(c, "quay.io/x/y:2");
        assert_string_equal(d, "not a name");
        free(a);
        free(b);
        free(c);
        free(d);
        assert_true(ref_is_digest_hex(
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        assert_false(ref_is_digest_hex("0123"));
        assert_false(ref_is_digest_hex(
                "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ref__normalises_like_docker),
                cmocka_unit_test(test_ref__digest_references),
                cmocka_unit_test(test_ref__rejects_what_docker_rejects),
                cmocka_unit_test(test_ref__familiar_name_of_full_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
