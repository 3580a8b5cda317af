/* report: the pieces docker's CLI uses to present engine objects, so berth's output matches:
 * human sizes and durations (go-units), RFC 3339 times, the tab-aligned table writer
 * (text/tabwriter with minwidth 10, padding 3), and a small subset of Go templates for
 * --format ("{{.Field}}", "{{.A.B}}", "{{json .X}}", "table ..." headers).
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "base/err.h"
#include "base/sbuf.h"

#define REPORT_TEMPLATE_MAX 4096

/* report_size: go-units HumanSizeWithPrecision (decimal: "4.26MB", "0B", "1.5kB"). */
void report_size(uint64_t bytes, int precision, char *buf, size_t n);
/* report_ago: go-units HumanDuration(now - then) + " ago" ("2 days ago"). */
void report_ago(time_t then, time_t now, char *buf, size_t n);

/* report_time_parse: an RFC 3339 time ("2026-11-28T05:02:29.688961343Z", "+01:00" offsets).
 * -EINVAL when s is not one. */
int report_time_parse(const char *s, struct timespec *ret);
/* report_time_rfc3339: Go's RFC3339Nano in UTC (fraction without trailing zeros). */
void report_time_rfc3339(const struct timespec *ts, char *buf, size_t n);
/* report_time_local: Go's time.String() in the local zone ("2026-11-28 06:02:29 +0100 CET"). */
void report_time_local(time_t t, char *buf, size_t n);

/* A table: rows of '\t'-separated cells aligned like Go's tabwriter(10, 1, 3, ' ', 0). */
struct report_table {
        char **lines;
};
void report_table_add(struct report_table *t, const char *line);
void report_table_addf(struct report_table *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* report_table_flush: print the aligned rows to f and empty the table. */
void report_table_flush(struct report_table *t, FILE *f);
void report_table_release(struct report_table *t);

/* A parsed --format template. */
struct report_tmpl {
        char *text; /* the template after the "table" prefix and \t \n unescaping */
        int table;  /* started with "table": print a header and align columns */
};

/* report_tmpl_parse: prepare s (docker's preFormat: "table" prefix, trim, `\t` -> tab).
 * -EINVAL on an unterminated action or one outside the supported subset. */
int report_tmpl_parse(const char *s, struct report_tmpl *ret, struct err *err);
void report_tmpl_release(struct report_tmpl *t);
/* report_tmpl_render: expand t over obj (fields are JSON members) into out. */
int report_tmpl_render(const struct report_tmpl *t, json_object *obj, struct sbuf *out,
                       struct err *err);
/* report_go_value: a value as Go's fmt %v prints it ([a b], map[k:v], <nil>). */
void report_go_value(struct sbuf *sb, json_object *v);

/* report_print_rows: print rows (JSON objects with docker's field names) to stdout as fmt
 * says: "json" (one object a line), a template, or "table <template>" with a header row
 * rendered from header (borrowed; may be NULL when fmt is not a table). */
int report_print_rows(const char *fmt, json_object *header, json_object **rows, size_t n,
                      struct err *err);

/* report_print_inspect: an `inspect` result (a JSON array) as docker prints it: indented JSON
 * (fmt NULL or "json"), or fmt, a template, rendered once per element. */
int report_print_inspect(const char *fmt, json_object *all, struct err *err);
