#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "spec/emit.h"
#include "spec/order.h"
#include "spec/yaml.h"

#define COMPOSE_DIR CONFORMANCE_DIR "/compose"

static struct node *
load1(const char *text, size_t len)
{
        struct node *docs = NULL;
        struct err err = { 0 };
        struct node *doc;

        if (yaml_load(text, len, "t.yaml", NULL, &docs, &err) < 0)
                fail_msg("unexpected error: %s", err.msg);
        assert_int_equal(docs->n, 1);
        doc = node_seq_take(docs, 0);
        node_free(docs);
        return doc;
}

/* read_corpus: a corpus file, or skip the test when the corpus is not there. */
static char *
read_corpus(const char *rel, size_t *ret_len)
{
        char *path = xasprintf("%s/%s", COMPOSE_DIR, rel);
        struct err err = { 0 };
        char *buf = NULL;
        int r = fs_read_capped(path, 1 << 20, &buf, ret_len, &err);

        free(path);
        if (r < 0)
                skip();
        return buf;
}

/* shuffle: reverse every mapping, so that only order_project can restore the order. */
static void
shuffle(struct node *n)
{
        if (!n)
                return;
        if (n->kind == NODE_MAP) {
                for (size_t i = 0; i < n->n / 2; i++) {
                        struct node_entry t = n->entries[i];

                        n->entries[i] = n->entries[n->n - 1 - i];
                        n->entries[n->n - 1 - i] = t;
                }
                node_foreach_entry(e, n) shuffle(e->val);
        } else if (n->kind == NODE_SEQ) {
                node_foreach_item(it, n) shuffle(it);
        }
}

static void
assert_text(const char *got, const char *want)
{
        if (strcmp(got, want) == 0)
                return;
        for (size_t i = 0;; i++) {
                if (got[i] != want[i]) {
                        size_t from = i > 60 ? i - 60 : 0;

                        fail_msg("differs at byte %zu:\n--- got:\n%.120s\n--- want:\n%.120s", i,
                                 got + from, want + from);
                }
        }
}

static char *
yaml_of(const struct node *n)
{
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        if (emit_yaml(n, &out, &err) < 0)
                fail_msg("emit_yaml: %s", err.msg);
        return sbuf_detach(&out);
}

static char *
json_of(const struct node *n)
{
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        if (emit_json(n, &out, &err) < 0)
                fail_msg("emit_json: %s", err.msg);
        return sbuf_detach(&out);
}

/* value_yaml: how `k: <s>` prints for the string s, minus the "k:" prefix. */
static char *
value_yaml(const char *s)
{
        cleanup_node struct node *m = node_new(NODE_MAP, NULL);
        char *text;

        node_map_set(m, "k", node_new_str(s, NULL));
        text = yaml_of(m);
        assert_memory_equal(text, "k:", 2);
        memmove(text, text + 2, strlen(text + 2) + 1);
        return text;
}

static void
assert_value_yaml(const char *s, const char *want)
{
        cleanup_free char *got = value_yaml(s);

        if (strcmp(got, want) != 0)
                fail_msg("value \"%s\": got [%s], want [%s]", s, got, want);
}

static void
test_emit__full_example_yaml_is_byte_identical(void **state)
{
        size_t len;
        cleanup_free char *want =
                read_corpus("compose-go/full-example/expected-normalized.yaml", &len);
        cleanup_node struct node *doc = load1(want, len);
        cleanup_free char *got = NULL;

        (void)state;
        shuffle(doc);
        order_project(doc, false);
        got = yaml_of(doc);
        assert_text(got, want);
        /* nothing in it is quoted differently by v4, and its long lines have no spaces */
        {
                struct sbuf v4 = SBUF_INIT;
                struct err err = { 0 };

                assert_int_equal(emit_yaml_flavor(doc, EMIT_YAML_V4, &v4, &err), 0);
                assert_text(v4.buf, want);
                sbuf_release(&v4);
        }
}

static void
test_emit__full_example_json_is_byte_identical(void **state)
{
        size_t len, jlen;
        cleanup_free char *yaml =
                read_corpus("compose-go/full-example/expected-normalized.yaml", &len);
        cleanup_free char *want =
                read_corpus("compose-go/full-example/expected-normalized.json", &jlen);
        cleanup_node struct node *doc = load1(yaml, len);
        cleanup_free char *got = NULL;

        (void)state;
        shuffle(doc);
        order_project_json(doc, false);
        got = json_of(doc);
        /* MarshalIndent ends with the closing brace, no newline (the corpus copy neither) */
        assert_true(jlen > 0 && want[jlen - 1] == '}');
        assert_text(got, want);
}

static void
test_emit__json_reads_back_to_the_same_text(void **state)
{
        size_t len;
        cleanup_free char *want =
                read_corpus("compose-go/full-example/expected-normalized.json", &len);
        cleanup_node struct node *doc = load1(want, len);
        cleanup_free char *got = json_of(doc);

        (void)state;
        assert_text(got, want);
}

static char *
replace_all(const char *s, const char *from, const char *to)
{
        struct sbuf out = SBUF_INIT;
        const char *p;

        while ((p = strstr(s, from))) {
                sbuf_add(&out, s, (size_t)(p - s));
                sbuf_adds(&out, to);
                s = p + strlen(from);
        }
        sbuf_adds(&out, s);
        return sbuf_detach(&out);
}

static void
check_e2e(const char *rel, bool alphabetical)
{
        size_t len;
        cleanup_free char *raw = read_corpus(rel, &len);
        cleanup_free char *tmp = replace_all(raw, "<project>", "testconfig");
        cleanup_free char *want = replace_all(tmp, "<dir>", "/home/user/testconfig");
        cleanup_node struct node *doc = load1(want, strlen(want));
        cleanup_free char *got = NULL;

        shuffle(doc);
        order_project(doc, alphabetical);
        got = yaml_of(doc);
        assert_text(got, want);
}

static void
test_emit__e2e_config_is_byte_identical(void **state)
{
        (void)state;
        check_e2e("docker-compose-e2e/TestConfig/expected-config.yaml", false);
}

static void
test_emit__e2e_no_interpolate_is_alphabetical(void **state)
{
        (void)state;
        check_e2e("docker-compose-e2e/TestConfigInterpolate/expected-config-no-interpolate.yaml",
                  true);
}

static void
test_emit__strings_that_read_back_as_other_types_are_double_quoted(void **state)
{
        static const char *const cases[][2] = {
                { "3000", " \"3000\"\n" },
                { "0440", " \"0440\"\n" },
                { "true", " \"true\"\n" },
                { "False", " \"False\"\n" },
                { "", " \"\"\n" },
                { "null", " \"null\"\n" },
                { "~", " \"~\"\n" },
                { "1.5", " \"1.5\"\n" },
                { "0x10", " \"0x10\"\n" },
                { "0o17", " \"0o17\"\n" },
                { "0b101", " \"0b101\"\n" },
                { "1_000", " \"1_000\"\n" },
                { "-3", " \"-3\"\n" },
                { "+3", " \"+3\"\n" },
                { "1e5", " \"1e5\"\n" },
                { ".5", " \".5\"\n" },
                { ".inf", " \".inf\"\n" },
                { "-.Inf", " \"-.Inf\"\n" },
                { ".nan", " \".nan\"\n" },
                { "08", " \"08\"\n" },
                { "yes", " \"yes\"\n" },
                { "no", " \"no\"\n" },
                { "on", " \"on\"\n" },
                { "Off", " \"Off\"\n" },
                { "y", " \"y\"\n" },
                { "N", " \"N\"\n" },
                { "1:20", " \"1:20\"\n" },
                { "3000:22", " \"3000:22\"\n" },
                { "2001-12-14", " \"2001-12-14\"\n" },
                { "2001-12-14T21:59:43.10Z", " \"2001-12-14T21:59:43.10Z\"\n" },
                { "2001-12-14 21:59:43", " \"2001-12-14 21:59:43\"\n" },
                { "18446744073709551615", " \"18446744073709551615\"\n" },
                { "99999999999999999999", " \"99999999999999999999\"\n" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_value_yaml(cases[i][0], cases[i][1]);
}

static void
test_emit__strings_that_stay_plain(void **state)
{
        static const char *const cases[] = {
                "redis",
                "yess",
                "nope",
                "truely",
                "0x",
                "0xZZ",
                "1.2.3",
                "8080:80",
                "127.0.0.1:5000:5000",
                "02:42:ac:11:65:43",
                "a b",
                "a:b",
                "a#b",
                "a-b",
                "-p",
                "--",
                "<<",
                "2001-13-14",
                "2001-02-30",
                "1e",
                ".",
                "+",
                "x-",
                "?x",
                ":x",
                "a?b",
                "a,b",
                "x]",
                "x{y}",
                "1e500",
                "0xFFFFFFFFFFFFFFFFFF",
                "héllo",
                "日本語",
                "com.example.foo",
                "/run/secrets/secret1",
                "echo $HOME",
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                cleanup_free char *want = xasprintf(" %s\n", cases[i]);

                assert_value_yaml(cases[i], want);
        }
}

static void
test_emit__strings_not_allowed_plain_are_single_quoted(void **state)
{
        static const char *const cases[][2] = {
                { "-", " '-'\n" },       { "- a", " '- a'\n" },
                { "a: b", " 'a: b'\n" }, { "a:", " 'a:'\n" },
                { "a #b", " 'a #b'\n" }, { "#x", " '#x'\n" },
                { "@x", " '@x'\n" },     { "`x", " '`x'\n" },
                { "*", " '*'\n" },       { "&a", " '&a'\n" },
                { "!x", " '!x'\n" },     { "|x", " '|x'\n" },
                { ">x", " '>x'\n" },     { "%x", " '%x'\n" },
                { "'x'", " '''x'''\n" }, { "\"x\"", " '\"x\"'\n" },
                { "  x", " '  x'\n" },   { "x ", " 'x '\n" },
                { "? x", " '? x'\n" },   { ": x", " ': x'\n" },
                { "---", " '---'\n" },   { "...x", " '...x'\n" },
                { "{a}", " '{a}'\n" },   { "[a]", " '[a]'\n" },
                { ",x", " ',x'\n" },     { "it's: ok", " 'it''s: ok'\n" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_value_yaml(cases[i][0], cases[i][1]);
}

static void
test_emit__special_characters_force_double_quotes(void **state)
{
        static const char *const cases[][2] = {
                { "a\tb", " \"a\\tb\"\n" },
                { "\x01", " \"\\x01\"\n" },
                { "a\rb", " \"a\\rb\"\n" },
                { "smile \xF0\x9F\x98\x80", " \"smile \\U0001F600\"\n" },
                { "nbsp\xC2\xA0x", " nbsp\xC2\xA0x\n" },
                { "\xEF\xBB\xBFx", " \"\\uFEFF\\x78\"\n" },
                { "del\x7F", " \"del\\x7F\"\n" },
                { "q\"\t\\", " \"q\\\"\\t\\\\\"\n" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_value_yaml(cases[i][0], cases[i][1]);
}

static void
test_emit__multiline_strings_are_literal_blocks(void **state)
{
        static const char *const cases[][2] = {
                { "x\n", " |\n  x\n" },
                { "a\nb", " |-\n  a\n  b\n" },
                { "a\n\nb\n", " |\n  a\n\n  b\n" },
                { "x\n\n", " |+\n  x\n\n" },
                /* go-yaml lets a leading break end the header line, so it is lost */
                { "\n", " |2+\n" },
                { "\nx", " |2-\n  x\n" },
                { "  x\ny", " |2-\n    x\n  y\n" },
                { "a \nb", " \"a \\nb\"\n" },
                { "a\nb ", " \"a\\nb \"\n" },
                { "a\n b", " |-\n  a\n   b\n" },
                { "tab\tin\nblock", " |-\n  tab\tin\n  block\n" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_value_yaml(cases[i][0], cases[i][1]);
}

static void
test_emit__long_strings_are_not_wrapped(void **state)
{
        struct sbuf s = SBUF_INIT;
        cleanup_free char *want = NULL;

        (void)state;
        for (int i = 0; i < 40; i++)
                sbuf_adds(&s, "word ");
        sbuf_adds(&s, "end");
        want = xasprintf(" %s\n", s.buf);
        assert_value_yaml(s.buf, want);
        sbuf_release(&s);
}

/* value_yaml_v4: value_yaml with the go.yaml.in/yaml/v4 Encoder's output. */
static char *
value_yaml_v4(const char *s)
{
        cleanup_node struct node *m = node_new(NODE_MAP, NULL);
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        node_map_set(m, "k", node_new_str(s, NULL));
        if (emit_yaml_flavor(m, EMIT_YAML_V4, &out, &err) < 0)
                fail_msg("emit_yaml_flavor: %s", err.msg);
        assert_memory_equal(out.buf, "k:", 2);
        memmove(out.buf, out.buf + 2, out.len - 1);
        return sbuf_detach(&out);
}

static void
test_emit__v4_quotes_and_blocks_differ_from_v3(void **state)
{
        static const char *const cases[][2] = {
                { "yes", " 'yes'\n" },     { "1:20", " '1:20'\n" }, { "<<", " '<<'\n" },
                { "3000", " \"3000\"\n" }, { "", " \"\"\n" },       { "\nx", " |-\n\n  x\n" },
                { "x\n", " |\n  x\n" },    { "\n", " \"\\n\"\n" },  { " \n ", " \" \\n \"\n" },
                { "redis", " redis\n" },
        };

        (void)state;
        assert_value_yaml("<<", " <<\n");
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                cleanup_free char *got = value_yaml_v4(cases[i][0]);

                if (strcmp(got, cases[i][1]) != 0)
                        fail_msg("v4 \"%s\": got [%s], want [%s]", cases[i][0], got, cases[i][1]);
        }
}

static void
test_emit__v4_wraps_at_column_80(void **state)
{
        struct sbuf words = SBUF_INIT, line1 = SBUF_INIT;
        cleanup_free char *plain = NULL;
        cleanup_free char *quoted = NULL;
        cleanup_free char *tabbed = NULL;
        cleanup_free char *want_plain = NULL;
        cleanup_free char *want_quoted = NULL;

        (void)state;
        for (int i = 0; i < 20; i++)
                sbuf_adds(&words, "word ");
        sbuf_adds(&words, "end");
        /* "k: " then 16 words: the space after the 16th is the first one past column 80 */
        for (int i = 0; i < 16; i++)
                sbuf_adds(&line1, i ? " word" : "word");
        plain = value_yaml_v4(words.buf);
        want_plain = xasprintf(" %s\n  word word word word end\n", line1.buf);
        assert_text(plain, want_plain);
        tabbed = xasprintf("\t%s", words.buf);
        quoted = value_yaml_v4(tabbed);
        want_quoted = xasprintf(" \"\\t%s\n  word word word word end\"\n", line1.buf);
        assert_text(quoted, want_quoted);
        sbuf_release(&words);
        sbuf_release(&line1);
}

static void
test_emit__keys_are_quoted_like_values(void **state)
{
        cleanup_node struct node *m = node_new(NODE_MAP, NULL);
        cleanup_free char *got = NULL;
        char longkey[140];

        (void)state;
        memset(longkey, 'k', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        node_map_set(m, "3000", node_new_int(1, NULL));
        node_map_set(m, "yes", node_new_str("x", NULL));
        node_map_set(m, "a: b", node_new(NODE_NULL, NULL));
        node_map_set(m, "", node_new_str("empty", NULL));
        node_map_set(m, longkey, node_new_str("v", NULL));
        got = yaml_of(m);
        {
                cleanup_free char *want = xasprintf("\"3000\": 1\n\"yes\": x\n'a: b': null\n"
                                                    "\"\": empty\n? %s\n: v\n",
                                                    longkey);

                assert_text(got, want);
        }
}

static void
test_emit__numbers_print_as_go_prints_them(void **state)
{
        static const struct {
                enum node_kind kind;
                const char *text, *yaml, *json;
        } cases[] = {
                { NODE_INT, "0x10", "16", "16" },
                { NODE_INT, "0o17", "15", "15" },
                { NODE_INT, "-0b11", "-3", "-3" },
                { NODE_INT, "1_000", "1000", "1000" },
                { NODE_INT, "+7", "7", "7" },
                { NODE_INT, "18446744073709551615", "18446744073709551615",
                  "18446744073709551615" },
                { NODE_INT, "99999999999999999999", "1e+20", "100000000000000000000" },
                { NODE_FLOAT, "0.001", "0.001", "0.001" },
                { NODE_FLOAT, "1.0", "1", "1" },
                { NODE_FLOAT, "1e6", "1e+06", "1000000" },
                { NODE_FLOAT, "123456.5", "123456.5", "123456.5" },
                { NODE_FLOAT, "1234567.0", "1.234567e+06", "1234567" },
                { NODE_FLOAT, "0.0001", "0.0001", "0.0001" },
                { NODE_FLOAT, "0.00001", "1e-05", "0.00001" },
                { NODE_FLOAT, "1e-7", "1e-07", "1e-7" },
                { NODE_FLOAT, "1e21", "1e+21", "1e+21" },
                { NODE_FLOAT, "-2.5e-10", "-2.5e-10", "-2.5e-10" },
                { NODE_FLOAT, "0.1", "0.1", "0.1" },
                { NODE_FLOAT, "-0.0", "-0", "-0" },
                { NODE_FLOAT, ".inf", ".inf", NULL },
                { NODE_FLOAT, "-.Inf", "-.inf", NULL },
                { NODE_FLOAT, ".NaN", ".nan", NULL },
                { NODE_BOOL, "True", "true", "true" },
                { NODE_NULL, "~", "null", "null" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                cleanup_node struct node *n = node_new_scalar(cases[i].kind, cases[i].text, NULL);
                cleanup_free char *y = yaml_of(n);
                cleanup_free char *want = xasprintf("%s\n", cases[i].yaml);
                struct sbuf j = SBUF_INIT;
                struct err err = { 0 };
                int r = emit_json(n, &j, &err);

                if (strcmp(y, want) != 0)
                        fail_msg("%s: yaml [%s], want [%s]", cases[i].text, y, cases[i].yaml);
                if (!cases[i].json) {
                        assert_int_equal(r, -EINVAL);
                } else if (r < 0 || strcmp(j.buf, cases[i].json) != 0) {
                        fail_msg("%s: json [%s], want [%s]", cases[i].text, j.buf, cases[i].json);
                }
                sbuf_release(&j);
        }
}

static void
test_emit__collections_indent_like_go_yaml(void **state)
{
        static const char text[] = "a:\n  - - x\n    - z\n  - {}\n  - []\n  - k: v\n    l:\n"
                                   "      - 1\n  - |\n    lit\nb: {}\nc: []\n";
        cleanup_node struct node *doc = load1(text, strlen(text));
        cleanup_free char *got = yaml_of(doc);

        (void)state;
        assert_text(got, text);
}

static void
test_emit__root_scalars_and_empty_collections(void **state)
{
        cleanup_node struct node *m = node_new(NODE_MAP, NULL);
        cleanup_node struct node *s = node_new(NODE_SEQ, NULL);
        cleanup_node struct node *str = node_new_str("x\n", NULL);
        cleanup_free char *a = yaml_of(m);
        cleanup_free char *b = yaml_of(s);
        cleanup_free char *c = yaml_of(str);
        cleanup_free char *d = json_of(m);
        cleanup_free char *e = json_of(s);

        (void)state;
        assert_string_equal(a, "{}\n");
        assert_string_equal(b, "[]\n");
        assert_string_equal(c, "|\n  x\n");
        assert_string_equal(d, "{}");
        assert_string_equal(e, "[]");
}

static void
test_emit__json_escapes_like_encoding_json(void **state)
{
        cleanup_node struct node *m = node_new(NODE_MAP, NULL);
        cleanup_free char *got = NULL;

        (void)state;
        node_map_set(m, "<k>", node_new_str("a<b>&c \"q\" \\ \n\r\t\b\f\x01\x7f", NULL));
        node_map_set(m, "u",
                     node_new_str("\xE2\x80\xA8\xE2\x80\xA9 \xC3\xA9 \xF0\x9F\x98\x80", NULL));
        node_map_set(m, "bad",
                     node_new_str("a\xFF"
                                  "b",
                                  NULL));
        node_map_set(m, "l", node_new(NODE_SEQ, NULL));
        node_seq_push(node_map_get(m, "l"), node_new_int(1, NULL));
        node_seq_push(node_map_get(m, "l"), node_new(NODE_NULL, NULL));
        got = json_of(m);
        assert_text(got, "{\n  \"\\u003ck\\u003e\": \"a\\u003cb\\u003e\\u0026c \\\"q\\\" \\\\ "
                         "\\n\\r\\t\\b\\f\\u0001\x7f\",\n"
                         "  \"u\": \"\\u2028\\u2029 \xC3\xA9 \xF0\x9F\x98\x80\",\n"
                         "  \"bad\": \"a\\ufffdb\",\n"
                         "  \"l\": [\n    1,\n    null\n  ]\n}");
}

static void
test_emit__json_indent_is_configurable(void **state)
{
        cleanup_node struct node *m = node_new(NODE_MAP, NULL);
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        (void)state;
        node_map_set(m, "PORT", node_new(NODE_MAP, NULL));
        node_map_set(node_map_get(m, "PORT"), "Name", node_new_str("PORT", NULL));
        assert_int_equal(emit_json_indent(m, "    ", &out, &err), 0);
        assert_string_equal(out.buf, "{\n    \"PORT\": {\n        \"Name\": \"PORT\"\n    }\n}");
        sbuf_release(&out);
}

static void
test_emit__invalid_utf8_is_binary_in_yaml(void **state)
{
        cleanup_free char *got = value_yaml("a\xFF");

        (void)state;
        assert_string_equal(got, " !!binary Yf8=\n");
}

static void
test_emit__too_deep_is_an_error(void **state)
{
        cleanup_node struct node *root = node_new(NODE_SEQ, NULL);
        struct node *cur = root;
        struct sbuf out = SBUF_INIT;
        struct err err = { 0 };

        (void)state;
        for (int i = 0; i < EMIT_MAX_DEPTH + 5; i++) {
                struct node *child = node_new(NODE_SEQ, NULL);

                node_seq_push(cur, child);
                cur = child;
        }
        assert_int_equal(emit_yaml(root, &out, &err), -ELOOP);
        assert_non_null(strstr(err.msg, "nesting"));
        sbuf_reset(&out);
        err = (struct err){ 0 };
        assert_int_equal(emit_json(root, &out, &err), -ELOOP);
        sbuf_release(&out);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_emit__full_example_yaml_is_byte_identical),
                cmocka_unit_test(test_emit__full_example_json_is_byte_identical),
                cmocka_unit_test(test_emit__json_reads_back_to_the_same_text),
                cmocka_unit_test(test_emit__e2e_config_is_byte_identical),
                cmocka_unit_test(test_emit__e2e_no_interpolate_is_alphabetical),
                cmocka_unit_test(
                        test_emit__strings_that_read_back_as_other_types_are_double_quoted),
                cmocka_unit_test(test_emit__strings_that_stay_plain),
                cmocka_unit_test(test_emit__strings_not_allowed_plain_are_single_quoted),
                cmocka_unit_test(test_emit__special_characters_force_double_quotes),
                cmocka_unit_test(test_emit__multiline_strings_are_literal_blocks),
                cmocka_unit_test(test_emit__long_strings_are_not_wrapped),
                cmocka_unit_test(test_emit__v4_quotes_and_blocks_differ_from_v3),
                cmocka_unit_test(test_emit__v4_wraps_at_column_80),
                cmocka_unit_test(test_emit__keys_are_quoted_like_values),
                cmocka_unit_test(test_emit__numbers_print_as_go_prints_them),
                cmocka_unit_test(test_emit__collections_indent_like_go_yaml),
                cmocka_unit_test(test_emit__root_scalars_and_empty_collections),
                cmocka_unit_test(test_emit__json_escapes_like_encoding_json),
                cmocka_unit_test(test_emit__json_indent_is_configurable),
                cmocka_unit_test(test_emit__invalid_utf8_is_binary_in_yaml),
                cmocka_unit_test(test_emit__too_deep_is_an_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
