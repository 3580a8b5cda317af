/* Tests for spec/schema: what `berth config` accepts and how it words a schema violation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/sbuf.h"
#include "spec/schema.h"
#include "spec/yaml.h"

/* check_with: validate the first document of yaml against s; err gets the message. */
static int
check_with(const struct schema *s, const char *yaml, struct err *err)
{
        struct node *docs = NULL;
        int r;

        memset(err, 0, sizeof(*err));
        assert_int_equal(yaml_load(yaml, strlen(yaml), "t.yaml", NULL, &docs, err), 0);
        assert_true(docs->n >= 1);
        r = schema_validate(s, docs->items[0], err);
        node_free(docs);
        return r;
}

static int
setup_compose(void **state)
{
        struct schema *s = NULL;
        struct err err = { 0 };

        assert_int_equal(schema_new(&s, &err), 0);
        *state = s;
        return 0;
}

static int
teardown(void **state)
{
        schema_free(*state);
        return 0;
}

/* compose: validate against the compose-spec schema and expect msg (NULL: valid). */
static void
compose(void **state, const char *yaml, const char *msg)
{
        struct err err;
        int r = check_with(*state, yaml, &err);

        if (!msg) {
                if (r != 0)
                        fail_msg("unexpected error: %s", err.msg);
                return;
        }
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err.msg, msg);
}

/* custom: validate yaml against a schema given as JSON text. */
static void
custom(const char *json, const char *yaml, const char *msg)
{
        struct schema *s = NULL;
        struct err err = { 0 };
        int r;

        if (schema_new_text(json, &s, &err) < 0)
                fail_msg("schema: %s", err.msg);
        r = check_with(s, yaml, &err);
        schema_free(s);
        if (!msg) {
                if (r != 0)
                        fail_msg("unexpected error: %s", err.msg);
                return;
        }
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err.msg, msg);
}

static void
test_schema__accepts_a_minimal_project(void **state)
{
        compose(state, "services:\n  web:\n    image: nginx\n", NULL);
        compose(state, "name: demo\nservices: {}\nvolumes: {data: {}}\n", NULL);
}

static void
test_schema__rejects_a_wrongly_typed_value_at_its_position(void **state)
{
        compose(state, "services:\n  web:\n    image: [nginx]\n",
                "t.yaml:3:12: services.web.image must be a string");
}

static void
test_schema__names_unknown_attributes_at_the_first_one(void **state)
{
        compose(state, "services:\n  web:\n    image: nginx\n    impossible: true\n",
                "t.yaml:4:5: services.web additional properties 'impossible' not allowed");
        compose(state, "services:\n  web:\n    bogus: 1\n    image: nginx\n    odd: 2\n",
                "t.yaml:3:5: services.web additional properties 'bogus', 'odd' not allowed");
        compose(state, "helicopters: {}\n",
                "t.yaml:1:1: additional properties 'helicopters' not allowed");
}

static void
test_schema__allows_extensions_everywhere_they_are_declared(void **state)
{
        compose(state,
                "x-common: &c {image: nginx}\n"
                "services:\n  web:\n    x-note: hi\n    image: nginx\n"
                "    depends_on:\n      db: {condition: service_started, x-why: data}\n"
                "  db: {image: postgres}\n"
                "networks: {front: {x-tag: 1}}\n",
                NULL);
}

static void
test_schema__lists_the_allowed_values_of_an_enum(void **state)
{
        compose(state,
                "services:\n  web:\n    image: a\n    depends_on:\n      db:\n"
                "        condition: service_ready\n  db:\n    image: b\n",
                "t.yaml:6:20: services.web.depends_on.db.condition value must be one of "
                "'service_started', 'service_healthy', 'service_completed_successfully'");
}

static void
test_schema__reports_the_branch_whose_type_matched(void **state)
{
        /* cpu_percent is oneOf [string, integer 0..100] */
        compose(state, "services:\n  web:\n    image: a\n    cpu_percent: 101\n",
                "t.yaml:4:18: services.web.cpu_percent must be less than or equal to 100");
        compose(state, "services:\n  web:\n    image: a\n    cpu_count: -2\n",
                "t.yaml:4:16: services.web.cpu_count must be greater than or equal to 0");
        /* a long volume entry without type: the object branch says what is missing */
        compose(state, "services:\n  web:\n    image: a\n    volumes:\n      - source: x\n",
                "t.yaml:5:9: services.web.volumes.0 missing property 'type'");
}

static void
test_schema__names_several_types_in_order(void **state)
{
        compose(state, "services:\n  web:\n    image: a\n    cpu_shares: [1]\n",
                "t.yaml:4:17: services.web.cpu_shares must be a number or string");
        compose(state, "services:\n  web:\n    image: a\n    privileged: {}\n",
                "t.yaml:4:17: services.web.privileged must be a boolean or string");
}

static void
test_schema__says_a_section_must_be_a_mapping(void **state)
{
        compose(state, "services:\n  - web\n", "t.yaml:2:3: services must be a mapping");
        compose(state, "services:\n  nil:\n", "t.yaml:2:7: services.nil must be a mapping");
}

static void
test_schema__accepts_yaml_scalars_as_their_json_types(void **state)
{
        /* an int is a number; quoted numbers and ${} texts are strings where allowed */
        compose(state,
                "services:\n  web:\n    image: a\n    ports: [80, \"443:443\", {target: 8080}]\n"
                "    cpu_shares: 512\n    scale: ${N}\n    mem_limit: 1g\n"
                "    healthcheck: {retries: 3, interval: 10s, disable: false}\n",
                NULL);
}

static void
test_schema__treats_reset_values_as_absent(void **state)
{
        compose(state, "services:\n  app:\n    build: !reset null\n    image: a\n", NULL);
        compose(state, "services:\n  app:\n    image: a\n    volumes:\n      - !reset {}\n", NULL);
}

static void
test_schema__rejects_repeated_items_where_unique(void **state)
{
        compose(state,
                "services:\n  web:\n    image: a\n    cap_add: [NET_ADMIN, ALL, NET_ADMIN]\n",
                "t.yaml:4:14: services.web.cap_add items at 0 and 2 are equal");
        /* JSON equality: mappings in another order, 80 and 80.0 */
        compose(state,
                "services:\n  web:\n    image: a\n    ports:\n"
                "      - {target: 80, published: '8080'}\n"
                "      - {published: '8080', target: 80.0}\n",
                "t.yaml:5:7: services.web.ports items at 0 and 1 are equal");
}

static void
test_schema__validates_the_upstream_full_example(void **state)
{
        struct node *docs = NULL;
        struct err err = { 0 };
        char *text = NULL;
        size_t len = 0;
        FILE *f = fopen(CONFORMANCE_DIR "/compose/compose-go/full-example/full-example.yml", "r");

        if (!f)
                skip();
        text = xmalloc(1 << 20);
        len = fread(text, 1, (1 << 20) - 1, f);
        text[len] = '\0';
        fclose(f);
        assert_int_equal(yaml_load(text, len, "full-example.yml", NULL, &docs, &err), 0);
        if (schema_validate(*state, docs->items[0], &err) < 0)
                fail_msg("%s", err.msg);
        node_free(docs);
        free(text);
}

static void
test_schema__validates_200_services_in_milliseconds(void **state)
{
        struct sbuf sb = SBUF_INIT;
        struct node *docs = NULL;
        struct err err = { 0 };
        struct timespec a, b;
        double ms;

        sbuf_adds(&sb, "services:\n");
        for (int i = 0; i < 200; i++)
                sbuf_addf(&sb,
                          "  s%d:\n    image: nginx\n    ports: ['%d:80']\n"
                          "    environment: {A: b, N: %d}\n    depends_on: {db: {condition: "
                          "service_healthy}}\n    volumes: [./d:/d, {type: volume, source: v, "
                          "target: /v}]\n    healthcheck: {test: [CMD, 'true'], interval: 5s}\n"
                          "    deploy: {resources: {limits: {cpus: '0.5', memory: 50M}}}\n",
                          i, 8000 + i, i);
        assert_int_equal(yaml_load(sb.buf, sb.len, "big.yaml", NULL, &docs, &err), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(schema_validate(*state, docs->items[0], &err), 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        /* about 0.5 ms optimised; the bound leaves room for sanitizers and slow machines */
        assert_true(ms < 100);
        node_free(docs);
        sbuf_release(&sb);
}

static void
test_schema__checks_numbers_strings_and_counts(void **state)
{
        (void)state;
        custom("{\"type\": \"integer\"}", "2.0\n", NULL);
        custom("{\"type\": \"integer\"}", "2.5\n",
               "t.yaml:1:1: top-level object must be a integer");
        custom("{\"properties\": {\"n\": {\"exclusiveMaximum\": 10}}}", "n: 10\n",
               "t.yaml:1:4: n exclusiveMaximum: got 10, want 10");
        custom("{\"properties\": {\"s\": {\"minLength\": 3}}}", "s: \"\xc3\xa9t\xc3\xa9\"\n", NULL);
        custom("{\"properties\": {\"s\": {\"minLength\": 4}}}", "s: \"\xc3\xa9t\xc3\xa9\"\n",
               "t.yaml:1:4: s minLength: got 3, want 4");
        custom("{\"properties\": {\"l\": {\"minItems\": 2}}}", "l: [a]\n",
               "t.yaml:1:4: l minItems: got 1, want 2");
        custom("{\"properties\": {\"p\": {\"pattern\": \"^\\\\d+[a-z]$\"}}}", "p: 12b\n", NULL);
        custom("{\"properties\": {\"p\": {\"pattern\": \"^\\\\d+[a-z]$\"}}}", "p: 12B\n",
               "t.yaml:1:4: p '12B' does not match pattern '^\\\\d+[a-z]$'");
}

static void
test_schema__applies_the_combinators(void **state)
{
        (void)state;
        custom("{\"properties\": {\"v\": {\"const\": \"x\"}}}", "v: y\n",
               "t.yaml:1:4: v value must be 'x'");
        custom("{\"properties\": {\"v\": {\"not\": {\"type\": \"string\"}}}}", "v: y\n",
               "t.yaml:1:4: v not failed");
        custom("{\"properties\": {\"v\": {\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 3}]}}}",
               "v: 2\n", "t.yaml:1:4: v must be greater than or equal to 3");
        custom("{\"properties\": {\"v\": {\"oneOf\": [{\"type\": \"string\"}, {\"const\": \"a\"}]}}}",
               "v: a\n", "t.yaml:1:4: v oneOf failed, subschemas 0, 1 matched");
        custom("{\"allOf\": [{\"required\": [\"a\"]}, {\"required\": [\"b\", \"c\"]}]}", "a: 1\n",
               "t.yaml:1:1: missing properties 'b', 'c'");
        custom("{\"if\": {\"required\": [\"a\"]}, \"then\": {\"required\": [\"b\"]}}", "c: 1\n",
               NULL);
        custom("{\"if\": {\"required\": [\"a\"]}, \"then\": {\"required\": [\"b\"]}}", "a: 1\n",
               "t.yaml:1:1: missing property 'b'");
        custom("{\"dependencies\": {\"a\": [\"b\"]}}", "a: 1\n",
               "t.yaml:1:1: properties 'b' required, if 'a' exists");
        custom("{\"properties\": {\"f\": false}}", "f: 1\n", "t.yaml:1:4: f false schema");
        custom("{\"items\": [{\"type\": \"string\"}], \"additionalItems\": false}", "[a, b]\n",
               "t.yaml:1:1: last 1 additionalItem(s) not allowed");
}

static void
test_schema__follows_refs_and_stops_runaway_recursion(void **state)
{
        struct schema *s = NULL;
        struct err err = { 0 };

        (void)state;
        custom("{\"definitions\": {\"t\": {\"type\": \"object\", \"additionalProperties\": "
               "{\"$ref\": \"#/definitions/t\"}}}, \"$ref\": \"#/definitions/t\"}",
               "a: {b: {c: 1}}\n", "t.yaml:1:12: a.b.c must be a mapping");
        assert_int_equal(schema_new_text("{\"$ref\": \"#\"}", &s, &err), 0);
        assert_int_equal(check_with(s, "a: 1\n", &err), -E2BIG);
        assert_non_null(strstr(err.msg, "nested too deep"));
        schema_free(s);
}

static void
test_schema__checks_the_duration_format(void **state)
{
        const char *json = "{\"properties\": {\"d\": {\"format\": \"duration\"}, "
                           "\"o\": {\"format\": \"no-such-format\"}}}";

        (void)state;
        custom(json, "d: 1h30m\no: anything\n", NULL);
        custom(json, "d: -1.5s\n", NULL);
        custom(json, "d: 1h30\n",
               "t.yaml:1:4: d '1h30' is not valid duration: time: invalid duration \"1h30\"");
        custom(json, "d: 10\n", NULL); /* formats only constrain strings */
        custom(json, "d: 10x\n",
               "t.yaml:1:4: d '10x' is not valid duration: time: invalid duration \"10x\"");
}

static void
test_schema__rejects_a_broken_schema(void **state)
{
        struct schema *s = NULL;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(schema_new_text("{\"type\": ", &s, &err), -EINVAL);
        assert_null(s);
        err = (struct err){ 0 };
        assert_int_equal(schema_new_text("{\"$ref\": \"#/definitions/none\"}", &s, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "#/definitions/none"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_schema__accepts_a_minimal_project),
                cmocka_unit_test(test_schema__rejects_a_wrongly_typed_value_at_its_position),
                cmocka_unit_test(test_schema__names_unknown_attributes_at_the_first_one),
                cmocka_unit_test(test_schema__allows_extensions_everywhere_they_are_declared),
                cmocka_unit_test(test_schema__lists_the_allowed_values_of_an_enum),
                cmocka_unit_test(test_schema__reports_the_branch_whose_type_matched),
                cmocka_unit_test(test_schema__names_several_types_in_order),
                cmocka_unit_test(test_schema__says_a_section_must_be_a_mapping),
                cmocka_unit_test(test_schema__accepts_yaml_scalars_as_their_json_types),
                cmocka_unit_test(test_schema__treats_reset_values_as_absent),
                cmocka_unit_test(test_schema__rejects_repeated_items_where_unique),
                cmocka_unit_test(test_schema__validates_the_upstream_full_example),
                cmocka_unit_test(test_schema__validates_200_services_in_milliseconds),
                cmocka_unit_test(test_schema__checks_numbers_strings_and_counts),
                cmocka_unit_test(test_schema__applies_the_combinators),
                cmocka_unit_test(test_schema__follows_refs_and_stops_runaway_recursion),
                cmocka_unit_test(test_schema__checks_the_duration_format),
                cmocka_unit_test(test_schema__rejects_a_broken_schema),
        };

        return cmocka_run_group_tests(tests, setup_compose, teardown);
}
