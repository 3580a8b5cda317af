/* Tests for engine/volume.c: the volume name rule, create (idempotent, labels, driver
 * options), inspect, list, remove (missing, force, in use by a container record), anonymous
 * volume removal and how a volume is mounted. */
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
#include "engine/jsonx.h"
#include "engine/volume.h"

static int
setup(void **state)
{
        char tmpl[] = "/tmp/berth-test-vol.XXXXXX";

        assert_non_null(mkdtemp(tmpl));
        *state = xstrdup(tmpl);
        return 0;
}

static int
teardown(void **state)
{
        char *root = *state;
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", root);

        assert_int_equal(system(cmd), 0);
        free(root);
        return 0;
}

static void
test_volume__name_rule(void **state)
{
        (void)state;
        assert_true(vol_name_valid("ab"));
        assert_true(vol_name_valid("my_vol.1-x"));
        assert_true(vol_name_valid("0a"));
        assert_false(vol_name_valid("a"));
        assert_false(vol_name_valid(""));
        assert_false(vol_name_valid(NULL));
        assert_false(vol_name_valid("_ab"));
        assert_false(vol_name_valid(".ab"));
        assert_false(vol_name_valid("a/b"));
        assert_false(vol_name_valid("a:b"));
        assert_false(vol_name_valid("../x"));
}

static void
test_volume__create_inspect_list_remove(void **state)
{
        const char *root = *state;
        cleanup_strv char **labels = strv_split("a=1|flag", "|");
        json_object *o = NULL;
        cleanup_strv char **names = NULL;
        cleanup_free char *data = vol_path(root, "data");
        struct err e = { 0 };
        int created = -1;

        assert_int_equal(vol_create(root, "data", labels, NULL, &created, &e), 0);
        assert_int_equal(created, 1);
        assert_true(fs_is_dir(data));
        assert_int_equal(vol_create(root, "data", NULL, NULL, &created, &e), 0);
        assert_int_equal(created, 0);
        assert_int_equal(vol_create(root, "other", NULL, NULL, &created, &e), 0);
        assert_int_equal(vol_inspect(root, "data", &o, &e), 0);
        assert_string_equal(jsonx_str(o, "Name"), "data");
        assert_string_equal(jsonx_str(o, "Driver"), "local");
        assert_string_equal(jsonx_str(o, "Scope"), "local");
        assert_string_equal(jsonx_str(o, "Mountpoint"), data);
        assert_string_equal(jsonx_str(jsonx_get(o, "Labels"), "a"), "1");
        assert_string_equal(jsonx_str(jsonx_get(o, "Labels"), "flag"), "");
        assert_non_null(jsonx_str(o, "CreatedAt"));
        json_object_put(o);
        assert_int_equal(vol_list(root, &names, &e), 2);
        assert_string_equal(names[0], "data");
        assert_string_equal(names[1], "other");
        assert_int_equal(vol_remove(root, "data", 0, &e), 0);
        assert_false(fs_exists(data));
        assert_int_equal(vol_inspect(root, "data", &o, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "no such volume"));
}

static void
test_volume__bad_input(void **state)
{
        const char *root = *state;
        cleanup_strv char **bad_opt = strv_split("foo=bar", "|");
        cleanup_strv char **nfs = strv_split("type=nfs|device=:/x", "|");
        cleanup_strv char **bind_missing = strv_split("o=bind|device=/no/such/dir", "|");
        int created;
        struct err e = { 0 };

        assert_int_equal(vol_create(root, "a", NULL, NULL, &created, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "invalid characters"));
        err_clear(&e);
        assert_int_equal(vol_create(root, "vv", NULL, bad_opt, &created, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "invalid option key"));
        err_clear(&e);
        assert_int_equal(vol_create(root, "vv", NULL, nfs, &created, &e), -ENOTSUP);
        err_clear(&e);
        assert_int_equal(vol_create(root, "vv", NULL, bind_missing, &created, &e), -ENOENT);
        err_clear(&e);
        assert_int_equal(vol_remove(root, "nothere", 0, &e), -ENOENT);
        assert_int_equal(vol_remove(root, "nothere", 1, &e), 0);
}

static void
test_volume__sources(void **state)
{
        const char *root = *state;
        cleanup_strv char **tmpfs = strv_split("type=tmpfs|o=size=1m,mode=700", "|");
        cleanup_free char *opt = xasprintf("device=%s", root);
        cleanup_strv char **bind = strv_split("o=bind", "|");
        struct vol_source s = { 0 };
        int created;

        strv_add(&bind, opt);
        struct err e = { 0 };

        assert_int_equal(vol_create(root, "tmp", NULL, tmpfs, &created, &e), 0);
        assert_int_equal(vol_source(root, "tmp", &s, &e), 0);
        assert_true(s.tmpfs);
        assert_string_equal(s.options, "size=1m,mode=700");
        vol_source_release(&s);
        assert_int_equal(vol_create(root, "bnd", NULL, bind, &created, &e), 0);
        assert_int_equal(vol_source(root, "bnd", &s, &e), 0);
        assert_false(s.tmpfs);
        assert_string_equal(s.path, root);
        vol_source_release(&s);
        assert_int_equal(vol_create(root, "plain", NULL, NULL, &created, &e), 0);
        assert_int_equal(vol_source(root, "plain", &s, &e), 0);
        assert_non_null(strstr(s.path, "/volumes/plain/_data"));
        vol_source_release(&s);
}

static struct ctr *
container_using(const char *root, const char *bind)
{
        json_object *cfg = json_object_new_object();
        json_object *hc = json_object_new_object();
        json_object *binds = json_object_new_array();
        cleanup_free char *run = xasprintf("%s/run", root);
        struct ctr *c = NULL;
        struct err e = { 0 };

        json_object_array_add(binds, json_object_new_string(bind));
        json_object_object_add(hc, "Binds", binds);
        json_object_object_add(cfg, "HostConfig", hc);
        assert_int_equal(ctr_create(root, run, NULL, cfg, 0, &c, &e), 0);
        json_object_put(cfg);
        return c;
}

static void
test_volume__in_use_and_anonymous(void **state)
{
        const char *root = *state;
        cleanup_strv char **anon = strv_split(VOL_ANON_LABEL "=", "|");
        cleanup_strv char **users = NULL;
        struct ctr *c;
        int created;
        struct err e = { 0 };

        assert_int_equal(vol_create(root, "used", NULL, NULL, &created, &e), 0);
        assert_int_equal(vol_create(root, "anonvol", anon, NULL, &created, &e), 0);
        c = container_using(root, "used:/data:ro");
        assert_int_equal(vol_users(root, "used", &users, &e), 0);
        assert_int_equal(strv_length(users), 1);
        assert_string_equal(users[0], c->id);
        assert_int_equal(vol_remove(root, "used", 1, &e), -EBUSY);
        assert_non_null(strstr(e.msg, "volume is in use - ["));
        assert_non_null(strstr(e.msg, c->id));
        err_clear(&e);
        assert_int_equal(ctr_remove(c, &e), 0);
        ctr_free(c);
        c = container_using(root, "anonvol:/x");
        json_object *cfg = json_object_get(c->config);
        assert_int_equal(ctr_remove(c, &e), 0);
        ctr_free(c);
        /* only the anonymous one goes */
        json_object_array_add(
                json_object_object_get(json_object_object_get(cfg, "HostConfig"), "Binds"),
                json_object_new_string("used:/y"));
        assert_int_equal(vol_remove_anonymous(root, cfg, &e), 0);
        json_object_put(cfg);
        assert_int_equal(vol_inspect(root, "anonvol", &(json_object *){ NULL }, &e), -ENOENT);
        err_clear(&e);
        json_object *o = NULL;
        assert_int_equal(vol_inspect(root, "used", &o, &e), 0);
        json_object_put(o);
        assert_int_equal(vol_remove(root, "used", 0, &e), 0);
}

static void
test_volume__prune_partial(void **state)
{
        const char *root = *state;
        cleanup_free char *old = xasprintf("%s/volumes/halfmade/_data", root);
        cleanup_free char *young = xasprintf("%s/volumes/young", root);
        cleanup_free char *cmd = xasprintf("touch -d '2 minutes ago' '%s/volumes/halfmade'", root);
        cleanup_free char *cmd2 = xasprintf("touch -d '2 minutes ago' '%s/volumes/whole'", root);
        cleanup_free char *whole = vol_path(root, "whole");
        int created;
        struct err e = { 0 };

        assert_int_equal(fs_mkdir_p(old, 0755, &e), 0);
        assert_int_equal(fs_mkdir_p(young, 0755, &e), 0);
        assert_int_equal(vol_create(root, "whole", NULL, NULL, &created, &e), 0);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(system(cmd2), 0);
        assert_int_equal(vol_prune_partial(root, 60, &e), 1);
        assert_false(fs_exists(old));
        assert_true(fs_exists(young));
        assert_true(fs_exists(whole));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_volume__name_rule),
                cmocka_unit_test_setup_teardown(test_volume__create_inspect_list_remove, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_volume__bad_input, setup, teardown),
                cmocka_unit_test_setup_teardown(test_volume__sources, setup, teardown),
                cmocka_unit_test_setup_teardown(test_volume__in_use_and_anonymous, setup, teardown),
                cmocka_unit_test_setup_teardown(test_volume__prune_partial, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
