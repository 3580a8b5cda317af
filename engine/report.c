/* report: docker CLI presentation helpers.
 *
 * Sizes and durations follow github.com/docker/go-units (HumanSizeWithPrecision uses decimal
 * units B kB MB GB TB PB and Go's %.*g; HumanDuration's buckets). Tables follow Go's
 * text/tabwriter as docker configures it: a column is max(cell)+3 wide, at least 10, the last
 * cell of a line is not padded, widths count UTF-8 code points. Templates are a subset of
 * text/template: literal text plus actions {{.Path}}, {{json .Path}}, {{join .Path "sep"}},
 * {{upper ...}}/{{lower ...}} and the {{- -}} trim markers.
 */
#include "engine/report.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/jsonx.h"

void
report_size(uint64_t bytes, int precision, char *buf, size_t n)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
        double v = (double)bytes;
        size_t i = 0;

        while (v >= 1000.0 && i < ARRAY_SIZE(units) - 1) {
                v /= 1000.0;
                i++;
        }
        snprintf(buf, n, "%.*g%s", precision, v, units[i]);
}

static void
duration(int64_t secs, char *buf, size_t n)
{
        int64_t minutes = secs / 60;
        int64_t hours = (secs + 1800) / 3600;

        if (secs < 1)
                snprintf(buf, n, "Less than a second");
        else if (secs == 1)
                snprintf(buf, n, "1 second");
        else if (secs < 60)
                snprintf(buf, n, "%" PRId64 " seconds", secs);
        else if (minutes == 1)
                snprintf(buf, n, "About a minute");
        else if (minutes < 60)
                snprintf(buf, n, "%" PRId64 " minutes", minutes);
        else if (hours == 1)
                snprintf(buf, n, "About an hour");
        else if (hours < 48)
                snprintf(buf, n, "%" PRId64 " hours", hours);
        else if (hours < 24 * 7 * 2)
                snprintf(buf, n, "%" PRId64 " days", hours / 24);
        else if (hours < 24 * 30 * 2)
                snprintf(buf, n, "%" PRId64 " weeks", hours / 24 / 7);
        else if (hours < 24 * 365 * 2)
                snprintf(buf, n, "%" PRId64 " months", hours / 24 / 30);
        else
                snprintf(buf, n, "%" PRId64 " years", secs / 3600 / 24 / 365);
}

void
report_ago(time_t then, time_t now, char *buf, size_t n)
{
        char d[64];

        duration((int64_t)now - (int64_t)then, d, sizeof(d));
        snprintf(buf, n, "%s ago", d);
}

static int
digits(const char **s, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*s)[i]))
                        return -EINVAL;
                v = v * 10 + ((*s)[i] - '0');
        }
        *s += n;
        *ret = v;
        return 0;
}

static int
expect(const char **s, char c)
{
        if (**s != c)
                return -EINVAL;
        (*s)++;
        return 0;
}

/* parse_fraction: ".123456789" -> nanoseconds (extra digits are dropped). */
static long
parse_fraction(const char **s)
{
        long ns = 0, scale = 100000000;

        if (**s != '.')
                return 0;
        for ((*s)++; isdigit((unsigned char)**s); (*s)++, scale /= 10)
                ns += scale ? (**s - '0') * scale : 0;
        return ns;
}

static int
parse_zone(const char *s, long *ret_off)
{
        int hh, mm;

        if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
                *ret_off = 0;
                return 0;
        }
        if (s[0] != '+' && s[0] != '-')
                return -EINVAL;
        const char *p = s + 1;
        if (digits(&p, 2, &hh) < 0 || expect(&p, ':') < 0 || digits(&p, 2, &mm) < 0 || *p)
                return -EINVAL;
        *ret_off = (s[0] == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
        return 0;
}

int
report_time_parse(const char *s, struct timespec *ret)
{
        struct tm tm = { 0 };
        int v[6];
        long off;
        const char *p = s;

        if (digits(&p, 4, &v[0]) < 0 || expect(&p, '-') < 0 || digits(&p, 2, &v[1]) < 0 ||
            expect(&p, '-') < 0 || digits(&p, 2, &v[2]) < 0 || (*p != 'T' && *p != 't'))
                return -EINVAL;
        p++;
        if (digits(&p, 2, &v[3]) < 0 || expect(&p, ':') < 0 || digits(&p, 2, &v[4]) < 0 ||
            expect(&p, ':') < 0 || digits(&p, 2, &v[5]) < 0)
                return -EINVAL;
        ret->tv_nsec = parse_fraction(&p);
        if (parse_zone(p, &off) < 0 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
            v[3] > 23 || v[4] > 59 || v[5] > 60)
                return -EINVAL;
        tm.tm_year = v[0] - 1900;
        tm.tm_mon = v[1] - 1;
        tm.tm_mday = v[2];
        tm.tm_hour = v[3];
        tm.tm_min = v[4];
        tm.tm_sec = v[5];
        ret->tv_sec = timegm(&tm) - off;
        return 0;
}

void
report_time_rfc3339(const struct timespec *ts, char *buf, size_t n)
{
        struct tm tm;
        char frac[32] = "";
        time_t t = ts->tv_sec;

        gmtime_r(&t, &tm);
        if (ts->tv_nsec > 0 && ts->tv_nsec < 1000000000) {
                snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
                for (size_t i = strlen(frac) - 1; i > 0 && frac[i] == '0'; i--)
                        frac[i] = '\0';
        }
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void
report_time_local(time_t t, char *buf, size_t n)
{
        struct tm tm;

        localtime_r(&t, &tm);
        if (strftime(buf, n, "%Y-%m-%d %H:%M:%S %z %Z", &tm) == 0 && n)
                buf[0] = '\0';
}

void
report_table_add(struct report_table *t, const char *line)
{
        strv_add(&t->lines, line);
}

void
report_table_addf(struct report_table *t, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        strv_push(&t->lines, xvasprintf(fmt, ap));
        va_end(ap);
}

static size_t
utf8_width(const char *s, size_t n)
{
        size_t w = 0;

        for (size_t i = 0; i < n; i++)
                w += ((unsigned char)s[i] & 0xc0) != 0x80;
        return w;
}

/* column_widths: the width of every '\t'-terminated column over all lines. */
static size_t *
column_widths(char **lines, size_t *ret_ncol)
{
        size_t *w = NULL, ncol = 0, cap = 0;

        strv_foreach(line, lines) {
                size_t col = 0;

                for (const char *p = line, *tab; (tab = strchr(p, '\t')); p = tab + 1, col++) {
                        size_t cw = utf8_width(p, (size_t)(tab - p)) + 3;

                        GROW(w, cap, col + 1);
                        if (col >= ncol) {
                                w[col] = 10;
                                ncol = col + 1;
                        }
                        if (cw > w[col])
                                w[col] = cw;
                }
        }
        *ret_ncol = ncol;
        return w;
}

void
report_table_flush(struct report_table *t, FILE *f)
{
        size_t ncol;
        cleanup_free size_t *w = column_widths(t->lines, &ncol);

        strv_foreach(line, t->lines) {
                size_t col = 0;
                const char *p = line, *tab;

                for (; (tab = strchr(p, '\t')); p = tab + 1, col++) {
                        size_t cw = utf8_width(p, (size_t)(tab - p));

                        fwrite(p, 1, (size_t)(tab - p), f);
                        for (size_t i = cw; i < w[col]; i++)
                                fputc(' ', f);
                }
                fputs(p, f);
                fputc('\n', f);
        }
        t->lines = strv_free(t->lines);
}

void
report_table_release(struct report_table *t)
{
        t->lines = strv_free(t->lines);
}

int
report_tmpl_parse(const char *s, struct report_tmpl *ret, struct err *err)
{
        struct sbuf sb = SBUF_INIT;
        size_t n;

        if (strlen(s) > REPORT_TEMPLATE_MAX)
                return err_setf(err, -EINVAL, "format: longer than %d bytes", REPORT_TEMPLATE_MAX);
        ret->table = strncmp(s, "table", 5) == 0;
        if (ret->table)
                s += 5;
        while (*s == ' ')
                s++;
        n = strlen(s);
        while (n && s[n - 1] == ' ')
                n--;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 't' || s[i + 1] == 'n')) {
                        sbuf_addch(&sb, s[++i] == 't' ? '\t' : '\n');
                        continue;
                }
                sbuf_addch(&sb, s[i]);
        }
        ret->text = sbuf_detach(&sb);
        for (const char *p = ret->text; (p = strstr(p, "{{")); p += 2)
                if (!strstr(p, "}}")) {
                        report_tmpl_release(ret);
                        return err_setf(err, -EINVAL, "format: unterminated action '{{'");
                }
        return 0;
}

void
report_tmpl_release(struct report_tmpl *t)
{
        free(t->text);
        t->text = NULL;
}

static void
go_map(struct sbuf *sb, json_object *v)
{
        cleanup_strv char **keys = NULL;
        int first = 1;

        json_object_object_foreach(v, key, val_unused)
        {
                (void)val_unused;
                strv_add(&keys, key);
        }
        strv_sort(keys);
        sbuf_adds(sb, "map[");
        strv_foreach(k, keys) {
                if (!first)
                        sbuf_addch(sb, ' ');
                first = 0;
                sbuf_addf(sb, "%s:", k);
                report_go_value(sb, jsonx_get(v, k));
        }
        sbuf_addch(sb, ']');
}

void
report_go_value(struct sbuf *sb, json_object *v)
{
        size_t n;

        switch (json_object_get_type(v)) {
        case json_type_null:
                sbuf_adds(sb, "[]");
                return;
        case json_type_string:
                sbuf_adds(sb, json_object_get_string(v));
                return;
        case json_type_array:
                n = json_object_array_length(v);
                sbuf_addch(sb, '[');
                for (size_t i = 0; i < n; i++) {
                        if (i)
                                sbuf_addch(sb, ' ');
                        report_go_value(sb, json_object_array_get_idx(v, i));
                }
                sbuf_addch(sb, ']');
                return;
        case json_type_object:
                go_map(sb, v);
                return;
        default:
                jsonx_write(sb, v, NULL);
                return;
        }
}

/* lookup: resolve ".A.B" against obj; ret_missing when a member does not exist. */
static json_object *
lookup(json_object *obj, const char *path, size_t n, int *ret_missing)
{
        size_t i = 1;

        *ret_missing = 0;
        while (i < n) {
                size_t len = strcspn(path + i, ".");
                char key[256];

                if (len > n - i)
                        len = n - i;
                if (len == 0 || len >= sizeof(key) || !json_object_is_type(obj, json_type_object)) {
                        *ret_missing = 1;
                        return NULL;
                }
                memcpy(key, path + i, len);
                key[len] = '\0';
                if (!json_object_object_get_ex(obj, key, &obj)) {
                        *ret_missing = 1;
                        return NULL;
                }
                i += len + 1;
        }
        return obj;
}

struct action {
        char fn[16];     /* "", "json", "join", "upper", "lower" */
        const char *arg; /* the ".Path" */
        size_t arg_len;
        char sep[64]; /* join's separator */
};

static int
parse_action(const char *a, size_t n, struct action *act)
{
        size_t i = 0, fl;

        memset(act, 0, sizeof(*act));
        fl = strcspn(a, " .\"");
        if (fl > n)
                fl = n;
        if (fl >= sizeof(act->fn))
                return -EINVAL;
        memcpy(act->fn, a, fl);
        i = fl;
        while (i < n && a[i] == ' ')
                i++;
        if (i >= n || a[i] != '.')
                return -EINVAL;
        act->arg = a + i;
        act->arg_len = strcspn(a + i, " ");
        if (act->arg_len > n - i)
                act->arg_len = n - i;
        i += act->arg_len;
        while (i < n && a[i] == ' ')
                i++;
        if (strcmp(act->fn, "join") == 0) {
                const char *q = a + i;
                size_t sl;

                if (i >= n || *q != '"' || n - i < 2 || a[n - 1] != '"' || n - i - 2 >= 64)
                        return -EINVAL;
                sl = n - i - 2;
                memcpy(act->sep, q + 1, sl);
                return 0;
        }
        return i == n ? 0 : -EINVAL;
}

static void
render_join(struct sbuf *out, json_object *v, const char *sep)
{
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

        for (size_t i = 0; i < n; i++) {
                if (i)
                        sbuf_adds(out, sep);
                report_go_value(out, json_object_array_get_idx(v, i));
        }
}

static int
render_action(const char *a, size_t n, json_object *obj, struct sbuf *out, struct err *err)
{
        struct action act;
        json_object *v;
        int missing;
        size_t start = out->len;

        if (parse_action(a, n, &act) < 0 ||
            (act.fn[0] && strcmp(act.fn, "json") && strcmp(act.fn, "join") &&
             strcmp(act.fn, "upper") && strcmp(act.fn, "lower")))
                return err_setf(err, -EINVAL, "format: unsupported template action '{{%.*s}}'",
                                (int)n, a);
        v = lookup(obj, act.arg, act.arg_len, &missing);
        if (strcmp(act.fn, "json") == 0)
                jsonx_write(out, v, NULL);
        else if (strcmp(act.fn, "join") == 0)
                render_join(out, v, act.sep);
        else if (missing)
                sbuf_adds(out, "<no value>");
        else
                report_go_value(out, v);
        for (size_t i = start; act.fn[0] == 'u' && i < out->len; i++)
                out->buf[i] = (char)toupper((unsigned char)out->buf[i]);
        for (size_t i = start; act.fn[0] == 'l' && i < out->len; i++)
                out->buf[i] = (char)tolower((unsigned char)out->buf[i]);
        return 0;
}

static void
trim_right(struct sbuf *out)
{
        while (out->len && isspace((unsigned char)out->buf[out->len - 1]))
                sbuf_truncate(out, out->len - 1);
}

int
report_tmpl_render(const struct report_tmpl *t, json_object *obj, struct sbuf *out, struct err *err)
{
        const char *p = t->text;

        while (*p) {
                const char *open = strstr(p, "{{"), *close, *a;
                size_t n;
                int r;

                if (!open) {
                        sbuf_adds(out, p);
                        break;
                }
                sbuf_add(out, p, (size_t)(open - p));
                close = strstr(open, "}}");
                a = open + 2;
                if (*a == '-' && a[1] == ' ') {
                        trim_right(out);
                        a++;
                }
                while (*a == ' ')
                        a++;
                n = (size_t)(close - a);
                while (n && a[n - 1] == ' ')
                        n--;
                if (n >= 2 && a[n - 1] == '-' && a[n - 2] == ' ')
                        n -= 2;
                while (n && a[n - 1] == ' ')
                        n--;
                r = render_action(a, n, obj, out, err);
                if (r < 0)
                        return r;
                p = close + 2;
                if (close[-1] == '-' && close[-2] == ' ')
                        while (isspace((unsigned char)*p))
                                p++;
        }
        return 0;
}

int
report_print_rows(const char *fmt, json_object *header, json_object **rows, size_t n,
                  struct err *err)
{
        struct report_tmpl t;
        struct report_table tab = { 0 };
        int r;

        if (strcmp(fmt, "json") == 0) {
                for (size_t i = 0; i < n; i++) {
                        cleanup_free char *line = jsonx_string(rows[i], NULL);

                        puts(line);
                }
                return 0;
        }
        r = report_tmpl_parse(fmt, &t, err);
        for (size_t i = 0; r == 0 && i <= n; i++) {
                cleanup_sbuf struct sbuf sb = SBUF_INIT;

                if (i == 0 && !t.table)
                        continue;
                r = report_tmpl_render(&t, i == 0 ? header : rows[i - 1], &sb, err);
                if (r == 0 && t.table)
                        report_table_add(&tab, sb.buf);
                else if (r == 0)
                        puts(sb.buf);
        }
        if (r == 0)
                report_table_flush(&tab, stdout);
        report_table_release(&tab);
        report_tmpl_release(&t);
        return r;
}

int
report_print_inspect(const char *fmt, json_object *all, struct err *err)
{
        struct report_tmpl t = { 0 };
        int r;

        if (!fmt || strcmp(fmt, "json") == 0) {
                cleanup_free char *s = jsonx_string(all, "    ");

                puts(s);
                return 0;
        }
        r = report_tmpl_parse(fmt, &t, err);
        for (size_t i = 0; r == 0 && i < json_object_array_length(all); i++) {
                cleanup_sbuf struct sbuf sb = SBUF_INIT;

                r = report_tmpl_render(&t, json_object_array_get_idx(all, i), &sb, err);
                if (r == 0)
                        puts(sb.buf);
        }
        report_tmpl_release(&t);
        return r;
}
