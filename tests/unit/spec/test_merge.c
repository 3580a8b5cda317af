/* Unit tests for spec/merge: the multi-file merge users get from `-f a.yaml -f b.yaml`,
 * !reset/!override, and merging one service into another for extends. */
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
#include "base/fs.h"
#include "base/sbuf.h"
#include "spec/merge.h"
#include "spec/yaml.h"

static struct node *
load_text(const char *text)
{
        struct node *docs = NULL, *doc;
        struct err err = { 0 };

        assert_int_equal(yaml_load(text, strlen(text), "test.yaml", NULL, &docs, &err), 0);
        doc = docs->n ? node_seq_take(docs, 0) : node_new(NODE_NULL, NULL);
        node_free(docs);
        return doc;
}

static struct node *
load_file(const char *rel)
{
        cleanup_free char *path = xasprintf("%s/%s", CONFORMANCE_DIR, rel);
        cleanup_free char *buf = NULL;
        struct err err = { 0 };
        size_t len;

        assert_int_equal(fs_read_capped(path, 1 << 20, &buf, &len, &err), 0);
        return load_text(buf);
}

/* get: the node at a dotted path of map keys (NULL when absent). */
static const struct node *
get(const struct node *n, const char *path)
{
        for (const char *k = path; n && k;) {
                const char *dot = strchr(k, '.');
                cleanup_free char *key = dot ? xstrndup(k, (size_t)(dot - k)) : xstrdup(k);

                n = n->kind == NODE_MAP ? node_map_get(n, key) : NULL;
                k = dot ? dot + 1 : NULL;
        }
        return n;
}

/* texts: a sequence's scalar items joined with ",", or "<kind>" for anything else. */
static char *
texts(const struct node *seq)
{
        struct sbuf sb = SBUF_INIT;

        if (!seq || seq->kind != NODE_SEQ)
                return xasprintf("<%s>", seq ? node_kind_name(seq->kind) : "absent");
        for (size_t i = 0; i < seq->n; i++)
                sbuf_addf(&sb, "%s%s", i ? "," : "",
                          node_is_scalar(seq->items[i]) ? seq->items[i]->str : "{}");
        return sbuf_detach(&sb);
}

static void
assert_seq(const struct node *doc, const char *path, const char *want)
{
        cleanup_free char *got = texts(get(doc, path));

        assert_string_equal(got, want);
}

static void
assert_str(const struct node *doc, const char *path, const char *want)
{
        const struct node *n = get(doc, path);

        assert_non_null(n);
        assert_non_null(node_text(n));
        assert_string_equal(n->str, want);
}

static void
merge_all(struct node *base, const struct node *ov)
{
        struct err err = { 0 };

        assert_int_equal(merge_tree(base, ov, "", &err), 0);
        assert_int_equal(merge_enforce_unicity(base, &err), 0);
        merge_strip_tags(base);
}

static void
test_merge__multi_file_rules(void **state)
{
        cleanup_node struct node *base =
                load_file("compose/authored/valid/02-multi-file-merge/compose.yaml");
        cleanup_node struct node *ov =
                load_file("compose/authored/valid/02-multi-file-merge/compose.override.yaml");

        (void)state;
        merge_all(base, ov);
        assert_str(base, "services.web.image", "web:2");
        assert_seq(base, "services.web.command", "npm,run,dev");
        assert_seq(base, "services.web.ports", "8080:80,9229:9229");
        assert_seq(base, "services.web.environment", "A=1,B=20,C=3");
        /* ./other:/data replaces data:/data in place (same target) */
        assert_seq(base, "services.web.volumes", "./src:/app/src,./other:/data");
        assert_seq(base, "services.web.dns", "1.1.1.1,8.8.8.8");
        assert_str(base, "services.web.depends_on.db.condition", "service_started");
        assert_str(base, "services.web.depends_on.db.required", "true");
        assert_str(base, "services.web.depends_on.cache.condition", "service_started");
        assert_str(base, "services.db.image", "postgres:16");
        assert_str(base, "services.cache.image", "redis");
        assert_non_null(get(base, "volumes.data"));
}

static void
test_merge__reset_and_override_tags(void **state)
{
        cleanup_node struct node *base =
                load_file("compose/authored/valid/03-reset-override/compose.yaml");
        cleanup_node struct node *ov =
                load_file("compose/authored/valid/03-reset-override/override.yaml");

        (void)state;
        merge_all(base, ov);
        assert_str(base, "services.app.image", "myapp");
        assert_null(get(base, "services.app.build"));
        assert_seq(base, "services.app.ports", "9000:80");
        assert_seq(base, "services.app.environment", "KEEP=yes");
        assert_seq(base, "services.app.networks", "back");
        /* !override on a service attribute never touches the top-level networks */
        assert_non_null(get(base, "networks.front"));
        assert_non_null(get(base, "networks.back"));
        assert_int_equal(get(base, "services.app.ports")->flags & NODE_F_OVERRIDE, 0);
}

static void
test_merge__override_tag_replaces_mapping(void **state)
{
        cleanup_node struct node *base = load_text(
                "services: {web: {deploy: {replicas: 3, labels: [a=1]}, labels: {x: '1'}}}\n");
        cleanup_node struct node *ov =
                load_text("services:\n  web:\n    deploy: !override {replicas: 2}\n"
                          "    labels: !reset {}\n");

        (void)state;
        merge_all(base, ov);
        assert_str(base, "services.web.deploy.replicas", "2");
        assert_null(get(base, "services.web.deploy.labels"));
        assert_null(get(base, "services.web.labels"));
}

static void
test_merge__reset_entry_of_list_form_base(void **state)
{
        cleanup_node struct node *base =
                load_text("services: {web: {environment: [FOO=1, KEEP=2, FOO_BAR=3]}}\n");
        cleanup_node struct node *ov =
                load_text("services:\n  web:\n    environment:\n      FOO: !reset null\n");

        (void)state;
        merge_all(base, ov);
        assert_seq(base, "services.web.environment", "KEEP=2,FOO_BAR=3");
}

static void
test_merge__reset_left_in_first_file_is_dropped(void **state)
{
        /* the first file's tags have nothing to reset: its !reset values vanish, and a later
         * file's value is not merged with them */
        cleanup_node struct node *base =
                load_text("services:\n  web:\n    ports: !reset ['1:1']\n    dns: !reset []\n");
        cleanup_node struct node *ov = load_text("services: {web: {ports: ['80']}}\n");

        (void)state;
        merge_all(base, ov);
        assert_seq(base, "services.web.ports", "80");
        assert_null(get(base, "services.web.dns"));
        assert_int_equal(get(base, "services.web.ports")->flags & NODE_F_RESET, 0);
}

static void
test_merge__null_base_becomes_copy(void **state)
{
        cleanup_node struct node *acc = node_new(NODE_NULL, NULL);
        cleanup_node struct node *f1 =
                load_text("services:\n  web:\n    image: a\n    dns: !reset [x]\n");
        cleanup_node struct node *f2 = load_text("services: {web: {dns: [y]}}\n");
        struct err err = { 0 };

        (void)state;
        assert_int_equal(merge_tree(acc, f1, "", &err), 0);
        assert_int_equal(merge_tree(acc, f2, "", &err), 0);
        merge_strip_tags(acc);
        assert_str(acc, "services.web.image", "a");
        assert_seq(acc, "services.web.dns", "y");
        /* the override stays untouched */
        assert_non_null(get(f1, "services.web.dns"));
}

static void
test_merge__extends_uses_service_rules(void **state)
{
        cleanup_node struct node *doc = load_text(
                "services:\n  web:\n    image: base:1\n    command: [run, base]\n"
                "    environment: {FROM_BASE: '1', SHARED: base}\n    ports: ['8000:8000']\n");
        cleanup_node struct node *local = load_text("command: serve\nenvironment: {SHARED: web}\n"
                                                    "ports: [{target: 8000, published: 8000}]\n");
        struct node *svc = node_map_get(node_map_get(doc, "services"), "web");
        struct err err = { 0 };

        (void)state;
        assert_int_equal(merge_tree(svc, local, "services.web", &err), 0);
        assert_int_equal(merge_enforce_unicity(doc, &err), 0);
        assert_str(svc, "command", "serve");
        assert_str(svc, "image", "base:1");
        assert_seq(svc, "environment", "FROM_BASE=1,SHARED=web");
        /* short and long syntax of the same port are one entry, the later one */
        assert_seq(svc, "ports", "{}");
        assert_str(get(svc, "ports")->items[0], "target", "8000");
}

static void
test_merge__service_path_may_contain_dots(void **state)
{
        cleanup_node struct node *svc = load_text("command: [a, b]\nentrypoint: x\n");
        cleanup_node struct node *local = load_text("command: [c]\n");
        cleanup_node struct node *plain = load_text("command: [a, b]\n");
        struct err err = { 0 };

        (void)state;
        assert_int_equal(merge_tree(svc, local, "services.my.web", &err), 0);
        assert_seq(svc, "command", "c");
        /* outside a service, a sequence is appended: the path is what selects the rule */
        assert_int_equal(merge_tree(plain, local, "", &err), 0);
        assert_seq(plain, "command", "a,b,c");
}

static void
test_merge__volume_unique_by_target(void **state)
{
        cleanup_node struct node *base =
                load_text("services: {w: {volumes: ['C:\\data:/app', 'data:/data:ro', /anon]}}\n");
        cleanup_node struct node *ov =
                load_text("services: {w: {volumes: [{type: volume, source: x, target: /data}, "
                          "'D:\\other:/app:rw']}}\n");

        (void)state;
        merge_all(base, ov);
        assert_seq(base, "services.w.volumes", "D:\\other:/app:rw,{},/anon");
        assert_str(get(base, "services.w.volumes")->items[1], "source", "x");
}

static void
test_merge__ports_unique_by_address(void **state)
{
        cleanup_node struct node *base = load_text(
                "services: {w: {ports: ['8080:80', '127.0.0.1:8080:80', '53:53/udp', 9000]}}\n");
        cleanup_node struct node *ov = load_text(
                "services: {w: {ports: ['8080:80/tcp', '53:53', '[::1]:9000:9000', '9000']}}\n");

        (void)state;
        merge_all(base, ov);
        assert_seq(base, "services.w.ports",
                   "8080:80/tcp,127.0.0.1:8080:80,53:53/udp,9000,53:53,[::1]:9000:9000");
}

static void
test_merge__type_mismatch_is_an_error(void **state)
{
        cleanup_node struct node *base = load_text("services: {web: {ports: ['80']}}\n");
        cleanup_node struct node *ov = load_text("services:\n  web:\n    ports: {a: 1}\n");
        struct err err = { 0 };

        (void)state;
        assert_int_equal(merge_tree(base, ov, "", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "test.yaml:3:12: "));
        assert_non_null(strstr(err.msg, "'services.web.ports'"));
}

static void
test_merge__build_string_and_mapping(void **state)
{
        cleanup_node struct node *base = load_text("services: {web: {build: ./app}}\n");
        cleanup_node struct node *ov = load_text(
                "services: {web: {build: {dockerfile: Dockerfile.dev, args: {A: '1'}}}}\n");

        (void)state;
        merge_all(base, ov);
        assert_str(base, "services.web.build.context", "./app");
        assert_str(base, "services.web.build.dockerfile", "Dockerfile.dev");
}

static void
test_merge__ipam_config_merged_by_subnet(void **state)
{
        cleanup_node struct node *base = load_text(
                "networks: {n: {ipam: {config: [{subnet: 10.1.0.0/16, gateway: 10.1.0.1}, "
                "{subnet: 10.3.0.0/16}]}}}\n");
        cleanup_node struct node *ov = load_text(
                "networks: {n: {ipam: {config: [{subnet: 10.1.0.0/16, gateway: 10.1.0.254}, "
                "{subnet: 10.9.0.0/16}]}}}\n");
        const struct node *cfg;

        (void)state;
        merge_all(base, ov);
        cfg = get(base, "networks.n.ipam.config");
        assert_int_equal(cfg->n, 3);
        assert_str(cfg->items[0], "gateway", "10.1.0.254");
        assert_str(cfg->items[1], "subnet", "10.3.0.0/16");
        assert_str(cfg->items[2], "subnet", "10.9.0.0/16");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_merge__multi_file_rules),
                cmocka_unit_test(test_merge__reset_and_override_tags),
                cmocka_unit_test(test_merge__override_tag_replaces_mapping),
                cmocka_unit_test(test_merge__reset_entry_of_list_form_base),
                cmocka_unit_test(test_merge__reset_left_in_first_file_is_dropped),
                cmocka_unit_test(test_merge__null_base_becomes_copy),
                cmocka_unit_test(test_merge__extends_uses_service_rules),
                cmocka_unit_test(test_merge__service_path_may_contain_dots),
                cmocka_unit_test(test_merge__volume_unique_by_target),
                cmocka_unit_test(test_merge__ports_unique_by_address),
                cmocka_unit_test(test_merge__type_mismatch_is_an_error),
                cmocka_unit_test(test_merge__build_string_and_mapping),
                cmocka_unit_test(test_merge__ipam_config_merged_by_subnet),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
