/* Tests for spec/context: walking a build context, digests, symlinks, the stat cache. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "spec/context.h"

struct fixture {
        char dir[64];
        char *ctx;
        char *cache;
};

static int
setup(void **state)
{
        struct fixture *f = xcalloc(1, sizeof(*f));

        snprintf(f->dir, sizeof(f->dir), "/tmp/berth-test-context-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        f->ctx = xasprintf("%s/ctx", f->dir);
        f->cache = xasprintf("%s/state/context.cache", f->dir);
        fs_mkdir_p(f->ctx, 0755, NULL);
        fs_mkdir_p(f->dir, 0755, NULL);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", f->dir);
        int r = system(cmd);

        free(f->ctx);
        free(f->cache);
        free(f);
        return r == 0 ? 0 : -1;
}

static void
put(const struct fixture *f, const char *name, const char *text)
{
        cleanup_free char *p = xasprintf("%s/%s", f->ctx, name);
        cleanup_free char *dir = path_dirname(p);

        assert_int_equal(fs_mkdir_p(dir, 0755, NULL), 0);
        assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644, NULL), 0);
}

static struct context *
walk(const struct fixture *f, const char *ignore, bool cache)
{
        struct dockerignore *m = NULL;
        struct context *c = NULL;
        struct err err = { 0 };
        struct context_opts o = { .cache = cache ? f->cache : NULL };

        if (ignore) {
                put(f, ".dockerignore", ignore);
                assert_int_equal(dockerignore_load(f->ctx, NULL, &m, NULL), 0);
                o.ignore = m;
        }
        if (cache) {
                cleanup_free char *d = path_dirname(f->cache);

                fs_mkdir_p(d, 0700, NULL);
        }
        if (context_walk(f->ctx, &o, &c, &err) < 0)
                fail_msg("%s", err.msg);
        dockerignore_free(m);
        return c;
}

static void
digest_of(const struct context *c, const char *src, uint8_t out[SHA256_DIGEST_SIZE])
{
        struct err err = { 0 };

        if (context_source_digest(c, src, out, &err) < 0)
                fail_msg("%s: %s", src, err.msg);
}

static void
test_context__lists_what_is_not_ignored(void **state)
{
        struct fixture *f = *state;
        struct context *c;

        put(f, "Dockerfile", "FROM x\n");
        put(f, "src/a.c", "int a;\n");
        put(f, "build/out.o", "bin");
        put(f, "build/keep/me.txt", "keep");
        put(f, "notes.md", "n");
        c = walk(f, "build\n!build/keep\n*.md\nDockerfile\n", false);
        assert_non_null(context_find(c, "src/a.c"));
        assert_non_null(context_find(c, "./src"));
        assert_null(context_find(c, "build/out.o"));
        assert_non_null(context_find(c, "build/keep/me.txt")); /* re-included by '!' */
        assert_non_null(context_find(c, "build"));
        assert_null(context_find(c, "notes.md"));
        assert_null(context_find(c, "Dockerfile")); /* COPY . follows the rules */
        assert_int_equal(context_find(c, "src")->type, CONTEXT_DIR);
        context_free(c);
}

static void
test_context__digests_ignore_mtime_but_not_content_or_mode(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *p = xasprintf("%s/f.txt", f->ctx);
        uint8_t d1[32], d2[32], d3[32], d4[32], t1[32];
        struct timespec old[2] = { { 1000000, 0 }, { 1000000, 0 } };
        struct context *c;

        put(f, "f.txt", "one");
        c = walk(f, NULL, false);
        digest_of(c, "f.txt", d1);
        memcpy(t1, c->digest, 32);
        context_free(c);
        assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
        c = walk(f, NULL, false);
        digest_of(c, "/f.txt", d2);
        assert_memory_equal(d1, d2, 32);
        assert_memory_equal(t1, c->digest, 32);
        context_free(c);
        assert_int_equal(chmod(p, 0755), 0);
        c = walk(f, NULL, false);
        digest_of(c, "f.txt", d3);
        assert_memory_not_equal(d1, d3, 32);
        context_free(c);
        put(f, "f.txt", "two");
        chmod(p, 0755);
        c = walk(f, NULL, false);
        digest_of(c, "f.txt", d4);
        assert_memory_not_equal(d3, d4, 32);
        context_free(c);
}

static void
test_context__symlinks_stay_inside(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *up = xasprintf("%s/up", f->ctx);
        cleanup_free char *abs = xasprintf("%s/abs", f->ctx);
        cleanup_free char *rel = xasprintf("%s/rel", f->ctx);
        uint8_t a[32], b[32];
        struct context *c;
        struct err err = { 0 };

        put(f, "real/x.txt", "x");
        assert_int_equal(symlink("../../../..", up), 0);
        assert_int_equal(symlink("/etc", abs), 0);
        assert_int_equal(symlink("real", rel), 0);
        c = walk(f, NULL, false);
        assert_int_equal(context_find(c, "abs")->type, CONTEXT_SYMLINK);
        assert_string_equal(context_find(c, "abs")->link, "/etc");
        /* the host's /etc/passwd exists, but an absolute target means the context root */
        assert_int_equal(context_source_digest(c, "abs/passwd", a, &err), -ENOENT);
        assert_int_equal(context_source_digest(c, "up/etc/passwd", a, NULL), -ENOENT);
        assert_int_equal(context_source_digest(c, "../../etc/passwd", a, NULL), -ENOENT);
        digest_of(c, "rel/x.txt", a);
        digest_of(c, "up/real/x.txt", b); /* ".." stops at the root */
        context_free(c);
        put(f, "etc/passwd", "inside");
        c = walk(f, NULL, false);
        digest_of(c, "abs/passwd", a);
        context_free(c);
}

static void
test_context__globs_and_root_sources(void **state)
{
        struct fixture *f = *state;
        uint8_t a[32], b[32];
        struct context *c;

        put(f, "a1.txt", "1");
        put(f, "a2.txt", "2");
        put(f, "sub/a3.txt", "3");
        c = walk(f, NULL, false);
        digest_of(c, "a*.txt", a);
        digest_of(c, ".", b);
        assert_memory_not_equal(a, b, 32);
        assert_int_equal(context_source_digest(c, "z*", a, NULL), -ENOENT);
        context_free(c);
}

static void
test_context__cache_makes_rehash_free(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *p = xasprintf("%s/big.bin", f->ctx);
        struct timespec t[2] = { { 2000000, 0 }, { 2000000, 0 } };
        uint8_t d1[32];
        struct context *c;

        put(f, "big.bin", "0123456789");
        put(f, "other.txt", "o");
        struct timespec wait = { 0, 20000000 }; /* let the clock tick past the files' mtimes */
        nanosleep(&wait, NULL);
        c = walk(f, NULL, true);
        assert_int_equal(c->stats.files_hashed, 2);
        assert_true(c->stats.cache_written);
        memcpy(d1, c->digest, 32);
        context_free(c);
        c = walk(f, NULL, true);
        assert_int_equal(c->stats.files_hashed, 0);
        assert_int_equal(c->stats.files_cached, 2);
        assert_false(c->stats.cache_written);
        assert_memory_equal(d1, c->digest, 32);
        context_free(c);
        /* same size, old mtime restored: the inode and ctime still give it away */
        put(f, "big.bin", "9876543210");
        assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
        nanosleep(&wait, NULL);
        c = walk(f, NULL, true);
        assert_int_equal(c->stats.files_hashed, 1);
        assert_memory_not_equal(d1, c->digest, 32);
        context_free(c);
}

static void
test_context__future_mtime_not_cached(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *p = xasprintf("%s/f", f->ctx);
        struct timespec t[2] = { { time(NULL) + 3600, 0 }, { time(NULL) + 3600, 0 } };
        struct context *c;

        put(f, "f", "x");
        assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
        c = walk(f, NULL, true);
        context_free(c);
        c = walk(f, NULL, true);
        assert_int_equal(c->stats.files_hashed, 1); /* racy: hashed every time */
        context_free(c);
}

static void
test_context__corrupt_cache_is_ignored(void **state)
{
        struct fixture *f = *state;
        struct context *c;

        put(f, "f", "x");
        fs_mkdir_p(f->dir, 0700, NULL);
        cleanup_free char *d = path_dirname(f->cache);
        fs_mkdir_p(d, 0700, NULL);
        assert_int_equal(fs_write_atomic(f->cache, "berth-context-cache 1\nzz\n", 25, 0600, NULL),
                         0);
        c = walk(f, NULL, true);
        assert_int_equal(c->stats.files_hashed, 1);
        context_free(c);
}

static void
test_context__depth_is_capped(void **state)
{
        struct fixture *f = *state;
        struct sbuf sb = SBUF_INIT;
        struct context *c = NULL;
        struct err err = { 0 };

        sbuf_adds(&sb, f->ctx);
        for (int i = 0; i < CONTEXT_MAX_DEPTH + 2; i++)
                sbuf_adds(&sb, "/d");
        assert_int_equal(fs_mkdir_p(sb.buf, 0755, NULL), 0);
        assert_int_equal(context_walk(f->ctx, NULL, &c, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "nested more than"));
        sbuf_release(&sb);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_context__lists_what_is_not_ignored, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(
                        test_context__digests_ignore_mtime_but_not_content_or_mode, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(test_context__symlinks_stay_inside, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_context__globs_and_root_sources, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_context__cache_makes_rehash_free, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_context__future_mtime_not_cached, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_context__corrupt_cache_is_ignored, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_context__depth_is_capped, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
