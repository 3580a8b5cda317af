/* Unit tests for spec/interp: ${VAR} interpolation of a loaded compose tree (values only,
 * never keys), the errors and warnings users see, `config --variables`, and the caps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "spec/env.h"
#include "spec/interp.h"
#include "spec/yaml.h"

static struct node *
load_text(const char *text)
{
        struct node *docs = NULL, *doc;
        struct err err = { 0 };

        assert_int_equal(yaml_load(text, strlen(text), "compose.yaml", NULL, &docs, &err), 0);
        doc = node_seq_take(docs, 0);
        node_free(docs);
        return doc;
}

/* get: the node at a dotted path of map keys and [i] sequence indexes. */
static const struct node *
get(const struct node *n, const char *path)
{
        for (const char *k = path; n && k && *k;) {
                size_t len = strcspn(k, ".[");
                cleanup_free char *key = xstrndup(k, len);

                if (len)
                        n = n->kind == NODE_MAP ? node_map_get(n, key) : NULL;
                k += len;
                if (n && *k == '[') {
                        size_t i = 0;

                        while (*++k >= '0' && *k <= '9')
                                i = i * 10 + (size_t)(*k - '0');
                        n = n->kind == NODE_SEQ && i < n->n ? n->items[i] : NULL;
                        k += *k == ']';
                }
                if (*k == '.')
                        k++;
        }
        return n;
}

static void
collect(void *ctx, enum log_level level, const char *msg)
{
        if (level == LOG_WARN)
                strv_add(ctx, msg);
}

struct fixture {
        struct env env;
        char **warnings;
        struct logger log;
        struct interp_opts opts;
};

static int
setup(void **state)
{
        struct fixture *f = xcalloc(1, sizeof(*f));

        env_set(&f->env, "FOO", "first");
        env_set(&f->env, "EMPTY", "");
        f->log = (struct logger){ .fn = collect, .ctx = &f->warnings };
        f->opts = (struct interp_opts){ .lookup = env_lookup, .ctx = &f->env, .log = &f->log };
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fixture *f = *state;

        env_release(&f->env);
        strv_free(f->warnings);
        free(f);
        return 0;
}

static void
test_interp__tree_interpolates_values_not_keys(void **state)
{
        struct fixture *f = *state;
        cleanup_node struct node *doc = load_text("services:\n"
                                                  "  web:\n"
                                                  "    image: \"nginx:${TAG:-1.27}\"\n"
                                                  "    labels:\n"
                                                  "      \"$FOO\": \"$FOO\"\n"
                                                  "    command: [\"sh\", \"echo $${X} $FOO\"]\n"
                                                  "x-note: ${FOO}\n");
        struct err err = { 0 };

        assert_int_equal(interp_tree(doc, &f->opts, &err), 0);
        assert_string_equal(get(doc, "services.web.image")->str, "nginx:1.27");
        assert_string_equal(get(doc, "services.web.labels")->entries[0].key, "$FOO");
        assert_string_equal(get(doc, "services.web.labels")->entries[0].val->str, "first");
        assert_string_equal(get(doc, "services.web.command[1]")->str, "echo ${X} first");
        assert_string_equal(get(doc, "x-note")->str, "first");
}

static void
test_interp__tree_keeps_kinds_and_flags(void **state)
{
        struct fixture *f = *state;
        cleanup_node struct node *doc = load_text("a: 3000\nb: true\nc: \"${PORT:-3000}\"\nd:\n");
        struct err err = { 0 };

        assert_int_equal(interp_tree(doc, &f->opts, &err), 0);
        assert_int_equal(get(doc, "a")->kind, NODE_INT);
        assert_string_equal(get(doc, "a")->str, "3000");
        assert_int_equal(get(doc, "b")->kind, NODE_BOOL);
        assert_int_equal(get(doc, "d")->kind, NODE_NULL);
        /* casting back to int is the schema's job: the value stays a quoted string */
        assert_int_equal(get(doc, "c")->kind, NODE_STR);
        assert_true(get(doc, "c")->flags & NODE_F_QUOTED);
        assert_string_equal(get(doc, "c")->str, "3000");
}

static void
test_interp__tree_invalid_format_names_position_and_path(void **state)
{
        struct fixture *f = *state;
        cleanup_node struct node *doc = load_text("services:\n"
                                                  "  web:\n"
                                                  "    image: \"${\"\n");
        struct err err = { 0 };

        assert_int_equal(interp_tree(doc, &f->opts, &err), -EINVAL);
        assert_string_equal(err.msg, "compose.yaml:3:12: invalid interpolation format for "
                                     "services.web.image: \"${\": You may need to escape any $ "
                                     "with another $");
}

static void
test_interp__tree_required_variable_error(void **state)
{
        struct fixture *f = *state;
        cleanup_node struct node *doc = load_text("services:\n"
                                                  "  web:\n"
                                                  "    ports:\n"
                                                  "      - 80\n"
                                                  "      - ${TAG:?TAG must be set}\n");
        struct err err = { 0 };

        assert_int_equal(interp_tree(doc, &f->opts, &err), -EINVAL);
        assert_string_equal(err.msg, "compose.yaml:5:9: error while interpolating "
                                     "services.web.ports[1]: required variable TAG is missing a "
                                     "value: TAG must be set");
}

static void
test_interp__warns_for_each_unset_reference(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *out = NULL;
        struct err err = { 0 };

        assert_int_equal(interp_string("$TAG ${TAG} ${EMPTY} ${U:-x} ${U+y}", &f->opts, &out, &err),
                         0);
        assert_string_equal(out, "   x ");
        assert_int_equal(strv_length(f->warnings), 2);
        assert_string_equal(f->warnings[0],
                            "The \"TAG\" variable is not set. Defaulting to a blank string.");
}

static void
test_interp__unused_argument_is_not_evaluated(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *out = NULL;
        struct err err = { 0 };

        /* neither the warning for UNSET nor the required error of the unused branch fires */
        assert_int_equal(interp_string("${FOO:-$UNSET}${FOO-${NOPE:?boom}}", &f->opts, &out, &err),
                         0);
        assert_string_equal(out, "firstfirst");
        assert_null(f->warnings);
}

static void
test_interp__string_errors_use_compose_wording(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *out = NULL;
        struct err err = { 0 };

        assert_int_equal(interp_string("a ${FOO", &f->opts, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "Invalid template: \"a ${FOO\"");
        assert_null(out);
        err_clear(&err);
        assert_int_equal(interp_string("${EMPTY:?}", &f->opts, &out, &err), -EINVAL);
        assert_string_equal(err.msg, "required variable EMPTY is missing a value");
        err_clear(&err);
        /* an argument never spans lines */
        assert_int_equal(interp_string("${U:-a\nb}", &f->opts, &out, &err), -EINVAL);
}

static void
test_interp__null_lookup_means_unset(void **state)
{
        struct interp_opts o = { 0 };
        cleanup_free char *out = NULL;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(interp_string("[$A][${B-b}][$$]", &o, &out, &err), 0);
        assert_string_equal(out, "[][b][$]");
}

static const char *
big_lookup(void *ctx, const char *name)
{
        (void)name;
        return ctx;
}

static void
test_interp__output_is_capped(void **state)
{
        cleanup_free char *big = xmalloc(INTERP_MAX_OUTPUT + 1);
        struct interp_opts o = { .lookup = big_lookup, .ctx = big };
        cleanup_free char *out = NULL;
        struct err err = { 0 };

        (void)state;
        memset(big, 'x', INTERP_MAX_OUTPUT);
        big[INTERP_MAX_OUTPUT] = '\0';
        assert_int_equal(interp_string("$BIG", &o, &out, &err), 0);
        assert_int_equal(strlen(out), INTERP_MAX_OUTPUT);
        assert_int_equal(interp_string("$BIG.", &o, &out, &err), -E2BIG);
        assert_non_null(strstr(err.msg, "larger than"));
        big[INTERP_MAX_OUTPUT / 2] = '\0';
        err_clear(&err);
        assert_int_equal(interp_string("$A$A$A", &o, &out, &err), -E2BIG);
}

/* nested: ${U:-${U:-...x...}} with depth levels of nesting. */
static char *
nested(int depth)
{
        struct sbuf sb = SBUF_INIT;

        for (int i = 0; i < depth; i++)
                sbuf_adds(&sb, "${U:-");
        sbuf_addch(&sb, 'x');
        for (int i = 0; i < depth; i++)
                sbuf_addch(&sb, '}');
        return sbuf_detach(&sb);
}

static void
test_interp__nesting_is_capped(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *ok = nested(INTERP_MAX_DEPTH);
        cleanup_free char *deep = nested(INTERP_MAX_DEPTH + 1);
        cleanup_free char *out = NULL;
        struct err err = { 0 };

        assert_int_equal(interp_string(ok, &f->opts, &out, &err), 0);
        assert_string_equal(out, "x");
        free(TAKE_PTR(out));
        assert_int_equal(interp_string(deep, &f->opts, &out, &err), -E2BIG);
        assert_non_null(strstr(err.msg, "nested deeper than 32"));
}

static void
test_interp__variables_sorted_combined_and_nested(void **state)
{
        cleanup_node struct node *doc = load_text("services:\n"
                                                  "  web:\n"
                                                  "    image: ${IMAGE:-nginx}:${TAG}\n"
                                                  "    labels:\n"
                                                  "      $KEYVAR: \"$${NOT_A_VAR}\"\n"
                                                  "    command: [\"${TAG:?need a tag}\",\n"
                                                  "              \"${SUB:-$ROOT}\", "
                                                  "\"${ON:+yes}\"]\n"
                                                  "    x-bad: \"${\"\n");
        struct interp_var *v = NULL;
        size_t n = 0;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(interp_variables(doc, &v, &n, &err), 0);
        assert_int_equal(n, 5);
        assert_string_equal(v[0].name, "IMAGE");
        assert_string_equal(v[0].default_value, "nginx");
        assert_string_equal(v[1].name, "ON");
        assert_string_equal(v[1].presence_value, "yes");
        assert_string_equal(v[2].name, "ROOT");
        assert_string_equal(v[3].name, "SUB");
        assert_string_equal(v[3].default_value, "$ROOT");
        assert_string_equal(v[4].name, "TAG");
        assert_true(v[4].required);
        assert_string_equal(v[4].default_value, "");
        interp_vars_free(v, n);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_interp__tree_interpolates_values_not_keys,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_interp__tree_keeps_kinds_and_flags, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(
                        test_interp__tree_invalid_format_names_position_and_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_interp__tree_required_variable_error, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_interp__warns_for_each_unset_reference, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_interp__unused_argument_is_not_evaluated,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_interp__string_errors_use_compose_wording,
                                                setup, teardown),
                cmocka_unit_test(test_interp__null_lookup_means_unset),
                cmocka_unit_test(test_interp__output_is_capped),
                cmocka_unit_test_setup_teardown(test_interp__nesting_is_capped, setup, teardown),
                cmocka_unit_test(test_interp__variables_sorted_combined_and_nested),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
