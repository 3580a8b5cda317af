#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spec/node.h"

static struct node *
sample(void)
{
        struct node *m = node_new(NODE_MAP, NULL);
        struct node *seq = node_new(NODE_SEQ, NULL);

        node_seq_push(seq, node_new_str("a", NULL));
        node_seq_push(seq, node_new_int(7, NULL));
        node_map_set(m, "list", seq);
        node_map_set(m, "name", node_new_str("web", NULL));
        node_map_set(m, "on", node_new_bool(true, NULL));
        return m;
}

static void
test_node__map_keeps_order_and_replaces(void **state)
{
        struct node *m = sample();

        (void)state;
        assert_string_equal(m->entries[0].key, "list");
        assert_string_equal(m->entries[2].key, "on");
        node_map_set(m, "name", node_new_str("api", NULL));
        assert_int_equal(m->n, 3);
        assert_string_equal(node_map_str(m, "name"), "api");
        assert_int_equal(node_map_index(m, "name"), 1);
        node_map_del(m, "list");
        assert_int_equal(m->n, 2);
        assert_null(node_map_get(m, "list"));
        node_map_sort(m);
        assert_string_equal(m->entries[0].key, "name");
        node_free(m);
}

static void
test_node__clone_is_deep_and_equal(void **state)
{
        struct node *m = sample();
        struct node *c = node_clone(m);

        (void)state;
        assert_true(node_equal(m, c));
        node_set_str(node_map_get(c, "list")->items[0], "changed");
        assert_false(node_equal(m, c));
        assert_string_equal(node_map_get(m, "list")->items[0]->str, "a");
        node_free(m);
        node_free(c);
}

static void
test_node__equal_ignores_map_order_not_seq_order(void **state)
{
        struct node *a = node_new(NODE_MAP, NULL), *b = node_new(NODE_MAP, NULL);
        struct node *s1 = node_new(NODE_SEQ, NULL), *s2 = node_new(NODE_SEQ, NULL);

        (void)state;
        node_map_set(a, "x", node_new_str("1", NULL));
        node_map_set(a, "y", node_new_str("2", NULL));
        node_map_set(b, "y", node_new_str("2", NULL));
        node_map_set(b, "x", node_new_str("1", NULL));
        assert_true(node_equal(a, b));
        node_seq_push(s1, node_new_str("1", NULL));
        node_seq_push(s1, node_new_str("2", NULL));
        node_seq_push(s2, node_new_str("2", NULL));
        node_seq_push(s2, node_new_str("1", NULL));
        assert_false(node_equal(s1, s2));
        node_free(a);
        node_free(b);
        node_free(s1);
        node_free(s2);
}

static void
test_node__typed_reads_accept_interpolated_strings(void **state)
{
        struct node *t = node_new_str("true", NULL), *n = node_new_str("42", NULL);
        struct node *bad = node_new_str("4x", NULL);
        struct err err = { 0 };
        long long v = 0;
        bool b = false;

        (void)state;
        assert_int_equal(node_get_bool(t, &b, &err), 0);
        assert_true(b);
        assert_int_equal(node_get_int(n, &v, &err), 0);
        assert_int_equal(v, 42);
        assert_int_equal(node_get_int(bad, &v, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "'4x' is not an integer"));
        node_free(t);
        node_free(n);
        node_free(bad);
}

static void
test_node__errors_carry_position(void **state)
{
        struct node_pos pos = { "compose.yaml", 3, 7 };
        struct node *n = node_new_str("x", &pos);
        struct err err = { 0 };

        (void)state;
        assert_int_equal(node_errf(&err, n, -EINVAL, "bad %s", "thing"), -EINVAL);
        assert_string_equal(err.msg, "compose.yaml:3:7: bad thing");
        node_free(n);
}

static void
test_node__seq_insert_and_take(void **state)
{
        struct node *s = node_new(NODE_SEQ, NULL);
        struct node *it;

        (void)state;
        node_seq_push(s, node_new_str("b", NULL));
        node_seq_insert(s, 0, node_new_str("a", NULL));
        node_seq_insert(s, 99, node_new_str("c", NULL));
        assert_string_equal(s->items[0]->str, "a");
        assert_string_equal(s->items[2]->str, "c");
        it = node_seq_take(s, 1);
        assert_string_equal(it->str, "b");
        assert_int_equal(s->n, 2);
        assert_null(node_seq_take(s, 5));
        node_free(it);
        node_free(s);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_node__map_keeps_order_and_replaces),
                cmocka_unit_test(test_node__clone_is_deep_and_equal),
                cmocka_unit_test(test_node__equal_ignores_map_order_not_seq_order),
                cmocka_unit_test(test_node__typed_reads_accept_interpolated_strings),
                cmocka_unit_test(test_node__errors_carry_position),
                cmocka_unit_test(test_node__seq_insert_and_take),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
