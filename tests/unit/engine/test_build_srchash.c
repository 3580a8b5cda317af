/* Tests for engine/build_srchash.c: the history hashes of COPY sources are docker's, checked
 * against the build-config corpus (copy-semantics: f1.txt "one\n", f2.txt "two\n",
 * dir/inner.txt "inner\n", files 0644 and the directory 0755). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/build_copy_int.h"

#define F1  "file:2ff90f5a63f6de54c1700d386804a60292742e2ca07b48a82173f4c74334696b"
#define DIR "dir:8659b9c3da3822e0b2f7cf1ecab5fe88ec9b290a3f2c447c59df3bdbfc9d043e"
#define MULTI "multi:543a8882a9d325cbaaea742518aa92efb324f66a37c21cf9d670fd5365e9e87e"

struct ctx {
        char *dir;
        int fd;
};

static void
put(const char *dir, const char *name, const char *data)
{
        char *p = xasprintf("%s/%s", dir, name);

        assert_int_equal(fs_write_atomic(p, data, strlen(data), 0644, NULL), 0);
        assert_int_equal(chmod(p, 0644), 0);
        free(p);
}

static int
setup(void **state)
{
        struct ctx *c = xcalloc(1, sizeof(*c));
        char *d;

        c->dir = xstrdup("/tmp/berth-test-srchash-XXXXXX");
        if (!mkdtemp(c->dir))
                return -1;
        d = xasprintf("%s/dir", c->dir);
        mkdir(d, 0755);
        chmod(d, 0755);
        put(c->dir, "f1.txt", "one\n");
        put(c->dir, "f2.txt", "two\n");
        put(d, "inner.txt", "inner\n");
        free(d);
        d = xasprintf("%s/link", c->dir);
        symlink("f1.txt", d);
        free(d);
        c->fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *state = c;
        return 0;
}

static int
teardown(void **state)
{
        struct ctx *c = *state;
        char *cmd = xasprintf("rm -rf '%s'", c->dir);

        close(c->fd);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(c->dir);
        free(c);
        return 0;
}

static char *
hash(struct ctx *c, const char *rel)
{
        struct copy_job j = { .rootfd = -1, .srcfd = c->fd, .hash_kind = COPY_HASH_CONTEXT };
        struct err e = { 0 };
        char *t = NULL;

        assert_int_equal(copy_src_hash(&j, rel, &t, &e), 0);
        return t;
}

static void
test_build_srchash__file_and_dir_as_docker(void **state)
{
        char *t = hash(*state, "f1.txt");

        assert_string_equal(t, F1);
        free(t);
        t = hash(*state, "dir");
        assert_string_equal(t, DIR);
        free(t);
        t = hash(*state, "link"); /* a symlink source: the file it names */
        assert_string_equal(t, F1);
        free(t);
}

/* COPY . /dst: everything in the context but the root itself (a symlink hashed as one) */
static void
test_build_srchash__the_root_hashes_its_entries(void **state)
{
        char *t = hash(*state, "");

        assert_string_equal(t, "dir:05a6e7b82ab9c43e0c1494aac12cd2562a45302bd563193b3264826cc82fb6ae");
        free(t);
}

static void
test_build_srchash__several_sources_are_multi(void **state)
{
        char **v = NULL;
        char *t;

        strv_push(&v, hash(*state, "f1.txt"));
        strv_push(&v, hash(*state, "f2.txt"));
        t = copy_hash_join("multi", v);
        assert_string_equal(t, MULTI);
        free(t);
        strv_free(v);
}

static void
test_build_srchash__missing_source_is_an_error(void **state)
{
        struct ctx *c = *state;
        struct copy_job j = { .rootfd = -1, .srcfd = c->fd, .hash_kind = COPY_HASH_CONTEXT };
        struct err e = { 0 };
        char *t = NULL;

        assert_int_equal(copy_src_hash(&j, "nope", &t, &e), -ENOENT);
        assert_null(t);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_build_srchash__file_and_dir_as_docker),
                T(test_build_srchash__the_root_hashes_its_entries),
                T(test_build_srchash__several_sources_are_multi),
                T(test_build_srchash__missing_source_is_an_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
