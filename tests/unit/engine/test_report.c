/* Tests for engine/report.c: docker's sizes, durations, times, tables and --format templates. */
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

#include "base/sbuf.h"
#include "engine/jsonx.h"
#include "engine/report.h"

static void
expect_size(uint64_t n, int prec, const char *want)
{
        char buf[32];

        report_size(n, prec, buf, sizeof(buf));
        if (strcmp(buf, want) != 0)
                fail_msg("size %llu/%d: got '%s', want '%s'", (unsigned long long)n, prec, buf,
                         want);
}

static void
test_report__sizes_match_go_units(void **state)
{
        (void)state;
        expect_size(0, 3, "0B");
        expect_size(999, 3, "999B");
        expect_size(1000, 3, "1kB");
        expect_size(4261372, 3, "4.26MB");
        expect_size(4261372, 4, "4.261MB");
        expect_size(1500000000, 3, "1.5GB");
        expect_size(208000000, 3, "208MB");
}

static void
expect_ago(long secs, const char *want)
{
        char buf[64];

        report_ago(1000000000, 1000000000 + secs, buf, sizeof(buf));
        if (strcmp(buf, want) != 0)
                fail_msg("%ld s: got '%s', want '%s'", secs, buf, want);
}

static void
test_report__durations_match_go_units(void **state)
{
        (void)state;
        expect_ago(0, "Less than a second ago");
        expect_ago(1, "1 second ago");
        expect_ago(59, "59 seconds ago");
        expect_ago(60, "About a minute ago");
        expect_ago(45 * 60, "45 minutes ago");
        expect_ago(3600, "About an hour ago");
        expect_ago(5 * 3600, "5 hours ago");
        expect_ago(3 * 86400, "3 days ago");
        expect_ago(20 * 86400, "2 weeks ago");
        expect_ago(90 * 86400, "3 months ago");
        expect_ago(3L * 365 * 86400, "3 years ago");
}

static void
test_report__rfc3339_round_trip(void **state)
{
        struct timespec ts;
        char buf[64];

        (void)state;
        assert_int_equal(report_time_parse("2026-11-28T05:02:29.688961343Z", &ts), 0);
        assert_int_equal(ts.tv_sec, 1795842149);
        assert_int_equal(ts.tv_nsec, 688961343);
        report_time_rfc3339(&ts, buf, sizeof(buf));
        assert_string_equal(buf, "2026-11-28T05:02:29.688961343Z");
        assert_int_equal(report_time_parse("2026-11-28T06:02:29.5+01:00", &ts), 0);
        assert_int_equal(ts.tv_sec, 1795842149);
        report_time_rfc3339(&ts, buf, sizeof(buf));
        assert_string_equal(buf, "2026-11-28T05:02:29.5Z");
        assert_int_equal(report_time_parse("2026-11-28 05:02:29Z", &ts), -EINVAL);
        assert_int_equal(report_time_parse("2026-13-28T05:02:29Z", &ts), -EINVAL);
        assert_int_equal(report_time_parse("yesterday", &ts), -EINVAL);
}

static void
test_report__table_aligns_like_tabwriter(void **state)
{
        struct report_table t = { 0 };
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        (void)state;
        report_table_add(&t, "REPOSITORY\tTAG\tIMAGE ID\tSIZE");
        report_table_add(&t, "busybox\tlatest\t0123456789ab\t4.26MB");
        report_table_addf(&t, "%s\t%s\t%s\t%s", "example.com/team/app", "v1", "ba9876543210",
                          "1kB");
        report_table_flush(&t, f);
        fclose(f);
        assert_string_equal(out, "REPOSITORY             TAG       IMAGE ID       SIZE\n"
                                 "busybox                latest    0123456789ab   4.26MB\n"
                                 "example.com/team/app   v1        ba9876543210   1kB\n");
        free(out);
}

static char *
render(const char *tmpl, const char *json)
{
        struct report_tmpl t;
        json_object *o = NULL;
        struct sbuf sb = SBUF_INIT;
        struct err err = { 0 };

        assert_int_equal(jsonx_parse(json, strlen(json), 4096, "t", &o, NULL), 0);
        assert_int_equal(report_tmpl_parse(tmpl, &t, NULL), 0);
        if (report_tmpl_render(&t, o, &sb, &err) < 0)
                sbuf_addf(&sb, "ERROR: %s", err.msg);
        report_tmpl_release(&t);
        json_object_put(o);
        return sbuf_detach(&sb);
}

static void
expect_render(const char *tmpl, const char *json, const char *want)
{
        char *got = render(tmpl, json);

        if (strcmp(got, want) != 0)
                fail_msg("'%s': got '%s', want '%s'", tmpl, got, want);
        free(got);
}

static void
test_report__templates_render_fields(void **state)
{
        const char *img = "{\"Id\":\"sha256:1\",\"RepoTags\":[\"a:1\",\"b:2\"],\"Size\":5,"
                          "\"Config\":{\"Cmd\":[\"sh\",\"-c\",\"x\"],\"Env\":null,"
                          "\"Labels\":{\"z\":\"1\",\"a\":\"2\"}}}";

        (void)state;
        expect_render("{{.Id}}", img, "sha256:1");
        expect_render("{{ .Size }} bytes", img, "5 bytes");
        expect_render("{{.Config.Cmd}}", img, "[sh -c x]");
        expect_render("{{json .Config.Cmd}}", img, "[\"sh\",\"-c\",\"x\"]");
        expect_render("{{.Config.Labels}}", img, "map[a:2 z:1]");
        expect_render("{{join .RepoTags \", \"}}", img, "a:1, b:2");
        expect_render("{{.Config.Missing}}", img, "<no value>");
        expect_render("{{upper .Id}}", img, "SHA256:1");
        expect_render("a\\tb", img, "a\tb");
        expect_render("{{json .}}", "{\"x\":1}", "{\"x\":1}");
        expect_render("{{printf \"%s\" .Id}}", img,
                      "ERROR: format: unsupported template action '{{printf \"%s\" .Id}}'");
}

static void
test_report__template_table_and_errors(void **state)
{
        struct report_tmpl t;
        struct err err = { 0 };

        (void)state;
        assert_int_equal(report_tmpl_parse("table {{.A}}\\t{{.B}}", &t, NULL), 0);
        assert_true(t.table);
        assert_string_equal(t.text, "{{.A}}\t{{.B}}");
        report_tmpl_release(&t);
        assert_int_equal(report_tmpl_parse("{{.A", &t, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "unterminated"));
}

/* capture: what fn printed on stdout */
static char *
capture_inspect(const char *fmt, json_object *all, int *ret)
{
        char path[] = "/tmp/berth-report-XXXXXX";
        int fd = mkstemp(path), saved = dup(1);
        char *buf = calloc(1, 4096);

        fflush(stdout);
        dup2(fd, 1);
        *ret = report_print_inspect(fmt, all, &(struct err){ 0 });
        fflush(stdout);
        dup2(saved, 1);
        close(saved);
        lseek(fd, 0, SEEK_SET);
        if (read(fd, buf, 4095) < 0)
                buf[0] = 0;
        close(fd);
        unlink(path);
        return buf;
}

static void
test_report__inspect_json_and_template(void **state)
{
        json_object *all = json_tokener_parse("[{\"Name\": \"a\"}, {\"Name\": \"b\"}]");
        char *out;
        int r;

        (void)state;
        out = capture_inspect(NULL, all, &r);
        assert_int_equal(r, 0);
        assert_string_equal(out, "[\n    {\n        \"Name\": \"a\"\n    },\n    {\n        \"Name\": \"b\"\n    }\n]\n");
        free(out);
        out = capture_inspect("{{.Name}}", all, &r);
        assert_int_equal(r, 0);
        assert_string_equal(out, "a\nb\n");
        free(out);
        out = capture_inspect("{{.Name", all, &r);
        assert_int_equal(r, -EINVAL);
        free(out);
        json_object_put(all);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_report__sizes_match_go_units),
                cmocka_unit_test(test_report__durations_match_go_units),
                cmocka_unit_test(test_report__rfc3339_round_trip),
                cmocka_unit_test(test_report__table_aligns_like_tabwriter),
                cmocka_unit_test(test_report__templates_render_fields),
                cmocka_unit_test(test_report__template_table_and_errors),
                cmocka_unit_test(test_report__inspect_json_and_template),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
