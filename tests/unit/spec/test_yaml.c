#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/sbuf.h"
#include "spec/yaml.h"

static struct node *
load1(const char *text)
{
        struct node *docs = NULL;
        struct err err = { 0 };
        struct node *doc;

        if (yaml_load(text, strlen(text), "t.yaml", NULL, &docs, &err) < 0)
                fail_msg("unexpected error: %s", err.msg);
        assert_int_equal(docs->n, 1);
        doc = node_seq_take(docs, 0);
        node_free(docs);
        return doc;
}

static int
load_err(const char *text, struct err *err)
{
        struct node *docs = NULL;
        int r = yaml_load(text, strlen(text), "t.yaml", NULL, &docs, err);

        node_free(docs);
        return r;
}

static void
test_yaml__plain_scalars_typed_like_go_yaml_v3(void **state)
{
        struct node *d = load1("a: 3000\nb: \"3000\"\nc: true\nd: no\ne: ~\nf: 1.5\n"
                               "g: 0x10\nh: 0440\ni:\nj: 'true'\nk: .inf\nl: 1e3\nm: 12:30\n");

        (void)state;
        assert_int_equal(node_map_get(d, "a")->kind, NODE_INT);
        assert_int_equal(node_map_get(d, "b")->kind, NODE_STR);
        assert_int_equal(node_map_get(d, "c")->kind, NODE_BOOL);
        assert_int_equal(node_map_get(d, "d")->kind, NODE_STR);
        assert_int_equal(node_map_get(d, "e")->kind, NODE_NULL);
        assert_int_equal(node_map_get(d, "f")->kind, NODE_FLOAT);
        assert_int_equal(node_map_get(d, "g")->kind, NODE_INT);
        assert_int_equal(node_map_get(d, "h")->kind, NODE_INT);
        assert_int_equal(node_map_get(d, "i")->kind, NODE_NULL);
        assert_int_equal(node_map_get(d, "j")->kind, NODE_STR);
        assert_int_equal(node_map_get(d, "k")->kind, NODE_FLOAT);
        assert_int_equal(node_map_get(d, "l")->kind, NODE_FLOAT);
        assert_int_equal(node_map_get(d, "m")->kind, NODE_STR);
        assert_string_equal(node_map_get(d, "h")->str, "0440");
        node_free(d);
}

static void
test_yaml__positions_are_kept(void **state)
{
        struct node *d = load1("services:\n  web:\n    image: nginx\n");
        struct node *img = node_map_get(node_map_get(node_map_get(d, "services"), "web"), "image");

        (void)state;
        assert_string_equal(img->pos.file, "t.yaml");
        assert_int_equal(img->pos.line, 3);
        assert_int_equal(img->pos.col, 12);
        node_free(d);
}

static void
test_yaml__merge_keys_are_shallow_and_local_wins(void **state)
{
        struct node *d = load1("x: &a {l: {t: 1}, r: 1}\n"
                               "y: &b {l: {u: 2}, s: 2}\n"
                               "z:\n  <<: [*a, *b]\n  r: 9\n");
        struct node *z = node_map_get(d, "z");

        (void)state;
        assert_string_equal(node_map_str(z, "r"), "9");
        assert_string_equal(node_map_str(z, "s"), "2");
        assert_non_null(node_map_get(node_map_get(z, "l"), "t"));
        assert_null(node_map_get(node_map_get(z, "l"), "u"));
        node_free(d);
}

static void
test_yaml__duplicate_key_is_an_error(void **state)
{
        struct err err = { 0 };

        (void)state;
        assert_int_equal(load_err("a: 1\nb: 2\na: 3\n", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "mapping key \"a\" already defined at line 1"));
        assert_non_null(strstr(err.msg, "t.yaml:3:1"));
}

static void
test_yaml__tab_indentation_is_explained(void **state)
{
        struct err err = { 0 };

        (void)state;
        assert_true(load_err("services:\n  web:\n\timage: x\n", &err) < 0);
        assert_non_null(strstr(err.msg, "found a tab character that violates indentation"));
}

static void
test_yaml__invalid_utf8_is_refused(void **state)
{
        struct err err = { 0 };

        (void)state;
        assert_true(load_err("a: \xff\xfe\n", &err) < 0);
        assert_non_null(strstr(err.msg, "t.yaml"));
}

static double
elapsed(struct timespec a)
{
        struct timespec b;

        clock_gettime(CLOCK_MONOTONIC, &b);
        return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void
test_yaml__billion_laughs_is_refused(void **state)
{
        struct sbuf sb = SBUF_INIT;
        struct err err = { 0 };
        struct timespec t0;

        (void)state;
        sbuf_adds(&sb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 12; i++) {
                sbuf_addf(&sb, "a%d: &a%d [", i, i);
                for (int j = 0; j < 10; j++)
                        sbuf_addf(&sb, "%s*a%d", j ? ", " : "", i - 1);
                sbuf_adds(&sb, "]\n");
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(load_err(sb.buf, &err), -E2BIG);
        assert_non_null(strstr(err.msg, "bomb"));
        /* a correctness bound, not a benchmark: expansion must stop early, not finish */
        assert_true(elapsed(t0) < 5.0);
        sbuf_release(&sb);
}

static void
test_yaml__merge_key_bomb_is_refused(void **state)
{
        struct sbuf sb = SBUF_INIT;
        struct err err = { 0 };

        (void)state;
        sbuf_adds(&sb, "m0: &m0 {");
        for (int j = 0; j < 50; j++)
                sbuf_addf(&sb, "%sk%d: [v, v, v, v, v, v, v, v]", j ? ", " : "", j);
        sbuf_adds(&sb, "}\n");
        for (int i = 1; i < 40; i++)
                sbuf_addf(&sb, "m%d: &m%d {<<: *m%d, x%d: *m%d}\n", i, i, i - 1, i, i - 1);
        assert_int_equal(load_err(sb.buf, &err), -E2BIG);
        sbuf_release(&sb);
}

static void
test_yaml__nesting_is_capped(void **state)
{
        struct sbuf sb = SBUF_INIT;
        struct err err = { 0 };

        (void)state;
        for (int i = 0; i < 1000; i++)
                sbuf_addch(&sb, '[');
        for (int i = 0; i < 1000; i++)
                sbuf_addch(&sb, ']');
        assert_true(load_err(sb.buf, &err) < 0);
        sbuf_release(&sb);
}

static void
test_yaml__reset_and_override_tags_become_flags(void **state)
{
        struct node *d = load1("a: !reset null\nb: !override [1]\nc: !reset {}\n");

        (void)state;
        assert_true(node_map_get(d, "a")->flags & NODE_F_RESET);
        assert_int_equal(node_map_get(d, "a")->kind, NODE_NULL);
        assert_true(node_map_get(d, "b")->flags & NODE_F_OVERRIDE);
        assert_true(node_map_get(d, "c")->flags & NODE_F_RESET);
        node_free(d);
}

static void
test_yaml__documents_and_empty_streams(void **state)
{
        struct node *docs = NULL;
        struct err err = { 0 };
        const char *two = "a: 1\n---\nb: 2\n";
        const char *comments = "# only a comment\n";

        (void)state;
        assert_int_equal(yaml_load(two, strlen(two), "t", NULL, &docs, &err), 0);
        assert_int_equal(docs->n, 2);
        node_free(docs);
        assert_int_equal(yaml_load(comments, strlen(comments), "t", NULL, &docs, &err), 0);
        assert_int_equal(docs->n, 0);
        node_free(docs);
}

static void
test_yaml__unknown_anchor_is_an_error(void **state)
{
        struct err err = { 0 };

        (void)state;
        assert_true(load_err("a: *nope\n", &err) < 0);
        assert_non_null(strstr(err.msg, "nope"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_yaml__plain_scalars_typed_like_go_yaml_v3),
                cmocka_unit_test(test_yaml__positions_are_kept),
                cmocka_unit_test(test_yaml__merge_keys_are_shallow_and_local_wins),
                cmocka_unit_test(test_yaml__duplicate_key_is_an_error),
                cmocka_unit_test(test_yaml__tab_indentation_is_explained),
                cmocka_unit_test(test_yaml__invalid_utf8_is_refused),
                cmocka_unit_test(test_yaml__billion_laughs_is_refused),
                cmocka_unit_test(test_yaml__merge_key_bomb_is_refused),
                cmocka_unit_test(test_yaml__nesting_is_capped),
                cmocka_unit_test(test_yaml__reset_and_override_tags_become_flags),
                cmocka_unit_test(test_yaml__documents_and_empty_streams),
                cmocka_unit_test(test_yaml__unknown_anchor_is_an_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
