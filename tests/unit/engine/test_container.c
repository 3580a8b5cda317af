/* Tests for engine/container.c: container records under a state root: ids, names (unique,
 * docker's rule, random ones), lookup by name / id / prefix, state updates, removal. */
#include <errno.h>
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
#include "base/fs.h"
#include "base/strv.h"
#include "engine/container.h"

struct fx {
        char *root, *run;
};

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        char tmpl[] = "/tmp/berth-test-ctr.XXXXXX";

        assert_non_null(mkdtemp(tmpl));
        f->root = xstrdup(tmpl);
        f->run = xasprintf("%s/run", tmpl);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", f->root);

        assert_int_equal(system(cmd), 0);
        free(f->root);
        free(f->run);
        free(f);
        return 0;
}

static struct ctr *
make(struct fx *f, const char *name)
{
        json_object *cfg = json_object_new_object();
        struct ctr *c = NULL;
        struct err e = { 0 };

        json_object_object_add(cfg, "Image", json_object_new_string("busybox"));
        assert_int_equal(ctr_create(f->root, f->run, name, cfg, 0, &c, &e), 0);
        json_object_put(cfg);
        return c;
}

static void
test_container__create_writes_record_with_hex_id(void **state)
{
        struct fx *f = *state;
        struct ctr *c = make(f, "web");
        cleanup_free char *cfg = ctr_path(c, "config.json");
        cleanup_free char *upper = ctr_path(c, "upper");
        json_object *st = NULL;

        assert_int_equal(strlen(c->id), 64);
        assert_int_equal(strspn(c->id, "0123456789abcdef"), 64);
        assert_string_equal(c->name, "web");
        assert_true(fs_exists(cfg));
        assert_true(fs_is_dir(upper));
        assert_int_equal(ctr_state_read(c, &st, NULL), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(st, "Status")), "created");
        json_object_put(st);
        ctr_free(c);
}

static void
test_container__name_conflict_is_refused(void **state)
{
        struct fx *f = *state;
        struct ctr *c = make(f, "db"), *d = NULL;
        json_object *cfg = json_object_new_object();
        struct err e = { 0 };

        assert_int_equal(ctr_create(f->root, f->run, "db", cfg, 0, &d, &e), -EEXIST);
        assert_non_null(strstr(e.msg, "is already in use"));
        err_clear(&e);
        assert_int_equal(ctr_create(f->root, f->run, "bad name", cfg, 0, &d, &e), -EINVAL);
        json_object_put(cfg);
        ctr_free(c);
}

static void
test_container__lookup_by_name_id_and_prefix(void **state)
{
        struct fx *f = *state;
        struct ctr *a = make(f, "alpha"), *b = make(f, NULL), *got = NULL;
        char prefix[13];
        struct err e = { 0 };

        assert_true(ctr_name_valid(b->name));
        assert_int_equal(ctr_open(f->root, f->run, "alpha", &got, NULL), 0);
        assert_string_equal(got->id, a->id);
        got = ctr_free(got);
        assert_int_equal(ctr_open(f->root, f->run, "/alpha", &got, NULL), 0);
        got = ctr_free(got);
        assert_int_equal(ctr_open(f->root, f->run, b->id, &got, NULL), 0);
        assert_string_equal(got->name, b->name);
        got = ctr_free(got);
        memcpy(prefix, a->id, 12);
        prefix[12] = 0;
        assert_int_equal(ctr_open(f->root, f->run, prefix, &got, NULL), 0);
        assert_string_equal(got->id, a->id);
        got = ctr_free(got);
        assert_int_equal(ctr_open(f->root, f->run, "nope", &got, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "no such container: nope"));
        ctr_free(a);
        ctr_free(b);
}

static void
set_running(json_object *st, void *ctx)
{
        (void)ctx;
        json_object_object_add(st, "Status", json_object_new_string("running"));
}

static void
test_container__state_update_and_remove(void **state)
{
        struct fx *f = *state;
        struct ctr *c = make(f, "gone"), *got = NULL;
        json_object *st = NULL;
        cleanup_strv char **ids = NULL;

        assert_int_equal(ctr_state_update(c, set_running, NULL, NULL), 0);
        assert_int_equal(ctr_state_read(c, &st, NULL), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(st, "Status")), "running");
        json_object_put(st);
        assert_int_equal(ctr_remove(c, NULL), 0);
        assert_false(fs_exists(c->dir));
        assert_int_equal(ctr_open(f->root, f->run, "gone", &got, NULL), -ENOENT);
        assert_int_equal(ctr_list(f->root, &ids, NULL), 0);
        ctr_free(c);
}

static void
test_container__random_names_are_valid(void **state)
{
        (void)state;
        for (uint32_t i = 0; i < 300; i++) {
                cleanup_free char *n = ctr_random_name(i * 2654435761u);
                assert_true(ctr_name_valid(n));
                assert_non_null(strchr(n, '_'));
        }
        assert_false(ctr_name_valid(""));
        assert_false(ctr_name_valid("-x"));
        assert_true(ctr_name_valid("a.b-c_d"));
}

static void
test_container__time_is_rfc3339_nano(void **state)
{
        char t[40];

        (void)state;
        ctr_now_rfc3339(t);
        assert_int_equal(strlen(t), 30);
        assert_int_equal(t[10], 'T');
        assert_int_equal(t[19], '.');
        assert_int_equal(t[29], 'Z');
}

/* docker's order: an exact full id wins over a container named like it */
static void
test_container__full_id_wins_over_a_name(void **state)
{
        struct fx *f = *state;
        struct ctr *a = make(f, NULL), *b = make(f, a->id), *got = NULL;

        assert_string_equal(b->name, a->id);
        assert_int_equal(ctr_open(f->root, f->run, a->id, &got, NULL), 0);
        assert_string_equal(got->id, a->id);
        ctr_free(got);
        assert_int_equal(ctr_open(f->root, f->run, b->id, &got, NULL), 0);
        assert_string_equal(got->id, b->id);
        ctr_free(got);
        ctr_free(a);
        ctr_free(b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_container__create_writes_record_with_hex_id),
                T(test_container__name_conflict_is_refused),
                T(test_container__lookup_by_name_id_and_prefix),
                T(test_container__full_id_wins_over_a_name),
                T(test_container__state_update_and_remove),
                T(test_container__random_names_are_valid),
                T(test_container__time_is_rfc3339_nano),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
