/* emit: YAML as go-yaml v3's Encoder writes it, JSON as encoding/json MarshalIndent does.
 *
 * `docker compose config` output is whatever those two Go printers make of compose-go's
 * structs, so matching it byte for byte means reproducing their decisions, not just
 * writing valid YAML:
 *
 *  - go-yaml's encoder asks for a plain scalar unless the string would read back as
 *    something else under its resolver (null/bool/int/float/timestamp, plus YAML 1.1
 *    booleans such as "yes" and base-60 numbers such as "1:20"), in which case it asks for
 *    double quotes; a string with a newline asks for a literal block.
 *  - libyaml's emitter (emitterc.go) then analyses the text and downgrades: plain -> single
 *    quotes when an indicator, a leading/trailing space, a tab or a line break forbids
 *    plain; single -> double when a special character forbids single quotes; literal ->
 *    double quotes when a trailing space, a space before a break or a special character
 *    forbids a block scalar.
 *  - indentation follows go-yaml's emitter state machine: every block collection is
 *    indented by 2 under its parent, and the first level inside a sequence item only skips
 *    the "- " indicator (so "- key: v" and "- - a"). The writer below keeps the emitter's
 *    column/whitespace/indention state so that its line-break decisions are the same.
 *  - go-yaml v3 never wraps long lines (best_width is unlimited). go.yaml.in/yaml/v4's
 *    Encoder (compose-go >= 2.10) keeps its v3 defaults except a line width of 80, and its
 *    representer quotes differently in three places; EMIT_YAML_V4 reproduces those.
 *
 * JSON follows encoding/json: HTML-safe escaping, U+2028/2029 escaped, invalid UTF-8
 * replaced by U+FFFD, floats in 'f' form unless < 1e-6 or >= 1e21.
 */
#include "spec/emit.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/utf8.h"

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* rune_at: the rune at s[0..n) and its length (base/utf8.h: Go's utf8.DecodeRune). */
static uint32_t
rune_at(const char *s, size_t n, size_t *ret_len)
{
        uint32_t r;

        *ret_len = utf8_decode(s, n, &r);
        return r;
}

/* u8_width: the length of the sequence a lead byte starts (libyaml's width()). */
static size_t
u8_width(unsigned char c)
{
        if (c < 0x80)
                return 1;
        if ((c & 0xE0) == 0xC0)
                return 2;
        if ((c & 0xF0) == 0xE0)
                return 3;
        if ((c & 0xF8) == 0xF0)
                return 4;
        return 1;
}

/* ---- how go-yaml reads a plain scalar back (resolve.go) ------------------------------- */

static bool
is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* go_parse_int: strconv.ParseInt(s, 0, 64), falling back to ParseUint(s, 0, 64): an
 * optional sign, then 0x/0o/0b or a leading 0 (octal) or decimal; true when it fits. */
static bool
go_parse_int(const char *s, size_t n, bool *ret_neg, uint64_t *ret_mag)
{
        size_t i = 0;
        bool sign = false, neg = false;
        unsigned base = 10;
        uint64_t v = 0;

        if (i < n && (s[i] == '+' || s[i] == '-')) {
                sign = true;
                neg = s[i++] == '-';
        }
        if (i < n && s[i] == '0') {
                char p = i + 1 < n ? (char)(s[i + 1] | 0x20) : 0;

                base = 8;
                if (p == 'x' || p == 'o' || p == 'b') {
                        base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
                        i += 2;
                }
        }
        if (i >= n)
                return false;
        for (; i < n; i++) {
                char c = (char)(s[i] | 0x20);
                unsigned d = is_digit(s[i])           ? (unsigned)(s[i] - '0')
                             : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                                                      : 99;

                if (d >= base || v > (UINT64_MAX - d) / base)
                        return false;
                v = v * base + d;
        }
        if (sign && v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
                return false;
        *ret_neg = neg;
        *ret_mag = v;
        return true;
}

/* yaml_style_float: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool
yaml_style_float(const char *s, size_t n)
{
        size_t i = 0, d;

        if (i < n && (s[i] == '+' || s[i] == '-'))
                i++;
        if (i < n && s[i] == '.') {
                for (d = ++i; i < n && is_digit(s[i]); i++)
                        ;
                if (i == d)
                        return false;
        } else {
                for (d = i; i < n && is_digit(s[i]); i++)
                        ;
                if (i == d)
                        return false;
                if (i < n && s[i] == '.')
                        for (i++; i < n && is_digit(s[i]); i++)
                                ;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                for (d = i; i < n && is_digit(s[i]); i++)
                        ;
                if (i == d)
                        return false;
        }
        return i == n;
}

/* go_parse_float_ok: strconv.ParseFloat succeeds (no overflow to infinity) on a string
 * yaml_style_float accepted. */
static bool
go_parse_float_ok(const char *s, size_t n)
{
        cleanup_free char *tmp = xstrndup(s, n);
        double v;

        errno = 0;
        v = strtod(tmp, NULL);
        return !(errno == ERANGE && isinf(v));
}

static int
days_in(int month, int year)
{
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
                return 29;
        return days[month - 1];
}

/* getnum: Go time's one-or-two digit field. */
static bool
getnum(const char *s, size_t n, size_t *i, int *ret)
{
        if (*i >= n || !is_digit(s[*i]))
                return false;
        *ret = s[(*i)++] - '0';
        if (*i < n && is_digit(s[*i]))
                *ret = *ret * 10 + (s[(*i)++] - '0');
        return true;
}

/* go_clock: "15:4:5" with an optional fraction, as time.Parse reads it. */
static bool
go_clock(const char *s, size_t n, size_t *i)
{
        int h, m, sec;

        if (!getnum(s, n, i, &h) || h >= 24 || *i >= n || s[(*i)++] != ':')
                return false;
        if (!getnum(s, n, i, &m) || m >= 60 || *i >= n || s[(*i)++] != ':')
                return false;
        if (!getnum(s, n, i, &sec) || sec >= 60)
                return false;
        if (*i + 1 < n && (s[*i] == '.' || s[*i] == ',') && is_digit(s[*i + 1]))
                for (*i += 1; *i < n && is_digit(s[*i]); (*i)++)
                        ;
        return true;
}

/* go_zone: "Z07:00": Z, or a sign and hh:mm (hours up to 24, minutes up to 60). */
static bool
go_zone(const char *s, size_t n, size_t i)
{
        if (i < n && s[i] == 'Z')
                return i + 1 == n;
        if (n - i != 6 || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
                return false;
        if (!is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 4]) ||
            !is_digit(s[i + 5]))
                return false;
        return (s[i + 1] - '0') * 10 + (s[i + 2] - '0') <= 24 &&
               (s[i + 4] - '0') * 10 + (s[i + 5] - '0') <= 60;
}

/* go_timestamp: go-yaml's parseTimestamp: YYYY-M-D, optionally followed by "T"/"t" and a
 * clock and a zone, or by " " and a clock without zone. */
static bool
go_timestamp(const char *s, size_t n)
{
        size_t i = 0;
        int year, month, day;

        while (i < n && is_digit(s[i]))
                i++;
        if (i != 4 || i == n || s[i] != '-')
                return false;
        year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        i++;
        if (!getnum(s, n, &i, &month) || month < 1 || month > 12 || i >= n || s[i++] != '-')
                return false;
        if (!getnum(s, n, &i, &day) || day < 1 || day > days_in(month, year))
                return false;
        if (i == n)
                return true;
        if (s[i] != ' ' && s[i] != 'T' && s[i] != 't')
                return false;
        /* "2006-1-2 15:4:5" has no zone, the T and t layouts end with Z07:00 */
        if (s[i++] == ' ')
                return go_clock(s, n, &i) && i == n;
        return go_clock(s, n, &i) && go_zone(s, n, i);
}

static bool
str_in(const char *s, size_t n, const char *const *list, size_t count)
{
        for (size_t k = 0; k < count; k++)
                if (strlen(list[k]) == n && memcmp(list[k], s, n) == 0)
                        return true;
        return false;
}

/* resolves_non_str: go-yaml's resolve("", s) gives a tag other than !!str. */
static bool
resolves_non_str(const char *s, size_t n)
{
        static const char *const words[] = {
                "true",  "True",  "TRUE",  "false", "False", "FALSE", "~",    "null",
                "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf", ".INF",
                "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        };
        cleanup_free char *plain = NULL;
        size_t pn = 0;
        bool neg;
        uint64_t mag;

        if (n == 0)
                return true;
        if (!strchr("+-0123456789yYnNtTfFoO~.", s[0]))
                return false;
        if (str_in(s, n, words, ARRAY_SIZE(words)))
                return true;
        if (strchr("yYnNtTfFoO~", s[0]))
                return false;
        if (s[0] == '.')
                return yaml_style_float(s, n) && go_parse_float_ok(s, n);
        if (go_timestamp(s, n))
                return true;
        plain = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                if (s[i] != '_')
                        plain[pn++] = s[i];
        if (go_parse_int(plain, pn, &neg, &mag))
                return true;
        return yaml_style_float(plain, pn) && go_parse_float_ok(plain, pn);
}

/* is_base60_float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ (YAML 1.1 sexagesimal,
 * quoted on output for the sake of YAML 1.1 readers). */
static bool
is_base60_float(const char *s, size_t n)
{
        size_t i = 0;
        int groups = 0;

        if (i < n && (s[i] == '+' || s[i] == '-'))
                i++;
        if (i >= n || !is_digit(s[i]))
                return false;
        while (i < n && (is_digit(s[i]) || s[i] == '_'))
                i++;
        while (i < n && s[i] == ':') {
                i++;
                if (i + 1 < n && s[i] >= '0' && s[i] <= '5' && is_digit(s[i + 1]))
                        i += 2;
                else if (i < n && is_digit(s[i]))
                        i++;
                else
                        return false;
                groups++;
        }
        if (!groups)
                return false;
        if (i < n && s[i] == '.')
                for (i++; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
                        ;
        return i == n;
}

static bool
is_old_bool(const char *s, size_t n)
{
        static const char *const words[] = { "y", "Y", "yes", "Yes", "YES", "on",  "On",  "ON",
                                             "n", "N", "no",  "No",  "NO",  "off", "Off", "OFF" };

        return str_in(s, n, words, ARRAY_SIZE(words));
}

/* ---- number text as Go prints it ------------------------------------------------------ */

/* int_text: a NODE_INT's text in decimal; false when it is not an integer Go could hold. */
static bool
int_text(const char *s, struct sbuf *out)
{
        size_t n = strlen(s), pn = 0;
        cleanup_free char *plain = xmalloc(n + 1);
        bool neg;
        uint64_t mag;

        for (size_t i = 0; i < n; i++)
                if (s[i] != '_')
                        plain[pn++] = s[i];
        if (!go_parse_int(plain, pn, &neg, &mag))
                return false;
        sbuf_addf(out, "%s%llu", neg && mag ? "-" : "", (unsigned long long)mag);
        return true;
}

/* float_value: the double a NODE_FLOAT's text stands for. */
static bool
float_value(const char *s, double *ret)
{
        size_t n = strlen(s), pn = 0, off;
        cleanup_free char *plain = xmalloc(n + 1);
        char *end;

        for (size_t i = 0; i < n; i++)
                if (s[i] != '_')
                        plain[pn++] = s[i];
        plain[pn] = '\0';
        off = plain[0] == '+' || plain[0] == '-';
        if (strcasecmp(plain + off, ".inf") == 0 || strcasecmp(plain + off, ".nan") == 0) {
                *ret = (plain[off + 1] | 0x20) == 'n' ? NAN
                       : plain[0] == '-'              ? -INFINITY
                                                      : INFINITY;
                return true;
        }
        errno = 0;
        *ret = strtod(plain, &end);
        return end != plain && *end == '\0';
}

/* exp_value: the exponent printf wrote after 'e' ("+06", "-308"). */
static int
exp_value(const char *p)
{
        int sign = *p == '-' ? -1 : 1, v = 0;

        if (*p == '+' || *p == '-')
                p++;
        for (; is_digit(*p); p++)
                v = v * 10 + (*p - '0');
        return sign * v;
}

/* shortest_digits: the fewest significant digits that read back as v (v finite, > 0),
 * as strconv does for precision -1: digits in ret_digits, decimal exponent of the first. */
static void
shortest_digits(double v, char *ret_digits, int *ret_exp)
{
        char buf[64];
        size_t nd = 0;

        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
                if (strtod(buf, NULL) == v)
                        break;
        }
        for (const char *p = buf; *p && *p != 'e'; p++)
                if (is_digit(*p))
                        ret_digits[nd++] = *p;
        while (nd > 1 && ret_digits[nd - 1] == '0')
                nd--;
        ret_digits[nd] = '\0';
        *ret_exp = exp_value(strchr(buf, 'e') + 1);
}

/* fmt_e: strconv's %e on a digit string: d[.ddd]e±XX. */
static void
fmt_e(const char *digits, int exp, struct sbuf *out)
{
        int a = exp < 0 ? -exp : exp;

        sbuf_addch(out, digits[0]);
        if (digits[1]) {
                sbuf_addch(out, '.');
                sbuf_adds(out, digits + 1);
        }
        sbuf_addf(out, "e%c%s%d", exp < 0 ? '-' : '+', a < 10 ? "0" : "", a);
}

/* fmt_f: strconv's %f on a digit string with exactly the digits it has. */
static void
fmt_f(const char *digits, int exp, struct sbuf *out)
{
        int nd = (int)strlen(digits), dp = exp + 1;

        if (dp > 0) {
                for (int i = 0; i < dp; i++)
                        sbuf_addch(out, i < nd ? digits[i] : '0');
        } else {
                sbuf_addch(out, '0');
        }
        if (nd - dp > 0) {
                sbuf_addch(out, '.');
                for (int j = dp; j < nd; j++)
                        sbuf_addch(out, j < 0 ? '0' : digits[j]);
        }
}

/* float_text: strconv.FormatFloat(v, 'g', -1, 64) for YAML (exponent form when the
 * exponent is < -4 or >= 6, the precision Go uses for the shortest form), or what
 * encoding/json writes (exponent form below 1e-6 and from 1e21, "e-7" not "e-07"). */
static void
float_text(double v, bool json, struct sbuf *out)
{
        char digits[32];
        int exp;
        double a = fabs(v);
        bool use_e;

        if (signbit(v))
                sbuf_addch(out, '-');
        if (a == 0) {
                sbuf_addch(out, '0');
                return;
        }
        shortest_digits(a, digits, &exp);
        use_e = json ? (a < 1e-6 || a >= 1e21) : (exp < -4 || exp >= 6);
        if (!use_e) {
                fmt_f(digits, exp, out);
                return;
        }
        fmt_e(digits, exp, out);
        if (json && exp < 0 && exp > -10) {
                /* encoding/json trims "e-07" to "e-7" */
                sbuf_truncate(out, out->len - 2);
                sbuf_addch(out, (char)('0' - exp));
        }
}

/* ---- YAML writer (go-yaml's emitterc.go, block styles only) --------------------------- */

enum yctx {
        Y_ROOT,
        Y_SEQ_ITEM,    /* the emitter state under it is BLOCK_SEQUENCE_ITEM */
        Y_MAP_VALUE,   /* BLOCK_MAPPING_KEY */
        Y_SIMPLE_KEY,  /* BLOCK_MAPPING_SIMPLE_VALUE */
        Y_COMPLEX_KEY, /* BLOCK_MAPPING_VALUE ("? key") */
};

enum ystyle {
        Y_PLAIN,
        Y_SINGLE,
        Y_DOUBLE,
        Y_LITERAL
};

struct yw {
        struct sbuf *out;
        int column;
        bool whitespace; /* the last thing written was whitespace */
        bool indention;  /* only indentation written on this line so far */
        bool v4;         /* go.yaml.in/yaml/v4 rather than gopkg.in/yaml.v3 */
        int width;       /* wrap at spaces past this column (v4: 80) */
        struct err *err;
};

/* next_indent: yaml_emitter_increase_indent with best_indent 2: the first level inside a
 * sequence item only skips the "- ", everything else goes one step deeper. */
static int
next_indent(int indent, enum yctx ctx, bool flow)
{
        if (indent < 0)
                return flow ? 2 : 0;
        if (ctx == Y_SEQ_ITEM)
                return indent + 2;
        return 2 * ((indent + 2) / 2);
}

static void
y_put(struct yw *w, char c)
{
        sbuf_addch(w->out, c);
        w->column++;
}

static void
y_break(struct yw *w)
{
        sbuf_addch(w->out, '\n');
        w->column = 0;
        w->indention = true;
}

/* y_write: copy one character (one column) from s at *i. */
static void
y_write(struct yw *w, const char *s, size_t n, size_t *i)
{
        size_t k = u8_width((unsigned char)s[*i]);

        if (k > n - *i)
                k = n - *i;
        sbuf_add(w->out, s + *i, k);
        w->column++;
        *i += k;
}

static void
y_indent(struct yw *w, int indent)
{
        if (indent < 0)
                indent = 0;
        if (!w->indention || w->column > indent || (w->column == indent && !w->whitespace))
                y_break(w);
        while (w->column < indent)
                y_put(w, ' ');
        w->whitespace = true;
}

static void
y_indicator(struct yw *w, const char *ind, bool need_ws, bool is_ws, bool is_indention)
{
        if (need_ws && !w->whitespace)
                y_put(w, ' ');
        sbuf_adds(w->out, ind);
        w->column += (int)strlen(ind);
        w->whitespace = is_ws;
        w->indention = w->indention && is_indention;
}

/* Character classes of yamlprivateh.go; s is valid UTF-8 with i < n. */
static bool
c_at(const char *s, size_t n, size_t i, size_t k, unsigned char c)
{
        return i + k < n && (unsigned char)s[i + k] == c;
}

static bool
is_break_at(const char *s, size_t n, size_t i)
{
        return s[i] == '\r' || s[i] == '\n' || (c_at(s, n, i, 0, 0xC2) && c_at(s, n, i, 1, 0x85)) ||
               (c_at(s, n, i, 0, 0xE2) && c_at(s, n, i, 1, 0x80) &&
                (c_at(s, n, i, 2, 0xA8) || c_at(s, n, i, 2, 0xA9)));
}

static bool
is_blank_at(const char *s, size_t n, size_t i)
{
        return i < n && (s[i] == ' ' || s[i] == '\t');
}

static bool
is_printable_at(const char *s, size_t n, size_t i)
{
        unsigned char b = (unsigned char)s[i];
        unsigned char b1 = i + 1 < n ? (unsigned char)s[i + 1] : 0;
        unsigned char b2 = i + 2 < n ? (unsigned char)s[i + 2] : 0;

        return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) ||
               (b > 0xC2 && b < 0xED) || (b == 0xED && b1 < 0xA0) || b == 0xEE ||
               (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) &&
                !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

struct yanalysis {
        bool multiline;
        bool block_plain; /* plain allowed in block context */
        bool single;      /* single quotes allowed */
        bool block;       /* literal block allowed */
};

struct yflags {
        bool block_ind, flow_ind, line_breaks, special, tabs;
        bool lead_space, lead_break, trail_space, trail_break, break_space, space_break;
};

/* y_indicator_flags: the indicator part of yaml_emitter_analyze_scalar for s[i]. */
static void
y_indicator_flags(const char *s, size_t n, size_t i, bool preceded_ws, struct yflags *f)
{
        bool followed_ws = i + u8_width((unsigned char)s[i]) >= n ||
                           is_blank_at(s, n, i + u8_width((unsigned char)s[i]));
        char c = s[i];

        if (i == 0) {
                if (strchr("#,[]{}&*!|>'\"%@`", c) && c) {
                        f->flow_ind = f->block_ind = true;
                } else if (c == '?' || c == ':') {
                        f->flow_ind = true;
                        f->block_ind = f->block_ind || followed_ws;
                } else if (c == '-' && followed_ws) {
                        f->flow_ind = f->block_ind = true;
                }
                return;
        }
        if (c && strchr(",?[]{}", c)) {
                f->flow_ind = true;
        } else if (c == ':') {
                f->flow_ind = true;
                f->block_ind = f->block_ind || followed_ws;
        } else if (c == '#' && preceded_ws) {
                f->flow_ind = f->block_ind = true;
        }
}

/* y_space_flags: the whitespace part of yaml_emitter_analyze_scalar for s[i]. */
static void
y_space_flags(const char *s, size_t n, size_t i, bool *prev_space, bool *prev_break,
              struct yflags *f)
{
        bool last = i + u8_width((unsigned char)s[i]) >= n;

        if (s[i] == '\t')
                f->tabs = true;
        else if (!is_printable_at(s, n, i))
                f->special = true;
        if (s[i] == ' ') {
                f->lead_space = f->lead_space || i == 0;
                f->trail_space = f->trail_space || last;
                f->break_space = f->break_space || *prev_break;
                *prev_space = true;
                *prev_break = false;
        } else if (is_break_at(s, n, i)) {
                f->line_breaks = true;
                f->lead_break = f->lead_break || i == 0;
                f->trail_break = f->trail_break || last;
                f->space_break = f->space_break || *prev_space;
                *prev_space = false;
                *prev_break = true;
        } else {
                *prev_space = *prev_break = false;
        }
}

static struct yanalysis
y_analyze(const char *s, size_t n)
{
        struct yanalysis a = { .block_plain = true, .single = true, .block = true };
        struct yflags f = { 0 };
        bool preceded_ws = true, prev_space = false, prev_break = false;

        if (n == 0)
                return (struct yanalysis){ .block_plain = true, .single = true };
        if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
                f.block_ind = f.flow_ind = true;
        for (size_t i = 0; i < n; i += u8_width((unsigned char)s[i])) {
                y_indicator_flags(s, n, i, preceded_ws, &f);
                y_space_flags(s, n, i, &prev_space, &prev_break, &f);
                preceded_ws = s[i] == ' ' || s[i] == '\t' || s[i] == '\0' || is_break_at(s, n, i);
        }
        a.multiline = f.line_breaks;
        if (f.lead_space || f.lead_break || f.trail_space || f.trail_break)
                a.block_plain = false;
        if (f.trail_space)
                a.block = false;
        if (f.break_space)
                a.block_plain = a.single = false;
        if (f.space_break || f.tabs || f.special)
                a.block_plain = a.single = false;
        if (f.space_break || f.special)
                a.block = false;
        if (f.line_breaks || f.block_ind)
                a.block_plain = false;
        return a;
}

/* A scalar about to be written: its text (base64 when the string is not UTF-8, which
 * go-yaml then tags !!binary), the style go-yaml's encoder asks for, and the analysis. */
struct yscalar {
        const char *s;
        size_t n;
        bool binary;
        enum ystyle want;
        struct yanalysis a;
        char *owned;
};

static void
base64_lines(const char *s, size_t n, struct sbuf *out)
{
        static const char tab[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        cleanup_sbuf struct sbuf enc = SBUF_INIT;
        size_t lines;

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)(unsigned char)s[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t)(unsigned char)s[i + 1] << 8;
                if (i + 2 < n)
                        v |= (unsigned char)s[i + 2];
                sbuf_addch(&enc, tab[(v >> 18) & 63]);
                sbuf_addch(&enc, tab[(v >> 12) & 63]);
                sbuf_addch(&enc, i + 1 < n ? tab[(v >> 6) & 63] : '=');
                sbuf_addch(&enc, i + 2 < n ? tab[v & 63] : '=');
        }
        /* encodeBase64 in resolve.go: 70-column lines, each ended by \n when more than one */
        lines = enc.len / 70 + 1;
        for (size_t i = 0; i < enc.len; i += 70) {
                sbuf_add(out, enc.buf + i, enc.len - i < 70 ? enc.len - i : 70);
                if (lines > 1)
                        sbuf_addch(out, '\n');
        }
}

/* go_is_space: unicode.IsSpace. */
static bool
go_is_space(uint32_t r)
{
        return (r >= '\t' && r <= '\r') || r == ' ' || r == 0x85 || r == 0xA0 || r == 0x1680 ||
               (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F ||
               r == 0x205F || r == 0x3000;
}

/* literal_worth_it: v4's shouldUseLiteralStyle: at least two bytes, not only spaces. */
static bool
literal_worth_it(const char *s, size_t n)
{
        size_t len;

        if (n < 2)
                return false;
        for (size_t i = 0; i < n; i += len)
                if (!go_is_space(rune_at(s + i, n - i, &len)))
                        return true;
        return false;
}

/* yscalar_want: the style go-yaml's representer asks for. v3 double-quotes YAML 1.1
 * booleans and base-60 numbers; v4 single-quotes them (and "<<"), and double-quotes a
 * multi-line string that is all whitespace. */
static enum ystyle
yscalar_want(const struct yscalar *sc, bool v4)
{
        bool compat = is_base60_float(sc->s, sc->n) || is_old_bool(sc->s, sc->n) ||
                      (v4 && sc->n == 2 && memcmp(sc->s, "<<", 2) == 0);

        if (memchr(sc->s, '\n', sc->n))
                return !v4 || literal_worth_it(sc->s, sc->n) ? Y_LITERAL : Y_DOUBLE;
        if (sc->binary)
                return Y_PLAIN;
        if (v4 && compat)
                return Y_SINGLE;
        if (compat || resolves_non_str(sc->s, sc->n))
                return Y_DOUBLE;
        return Y_PLAIN;
}

static void
yscalar_init(struct yscalar *sc, const struct node *n, const char *key, bool v4)
{
        const char *s = key ? key : n->str ? n->str : "";
        bool is_str = key || n->kind == NODE_STR;

        *sc = (struct yscalar){ .s = s, .n = strlen(s), .want = Y_PLAIN };
        if (is_str && !utf8_valid(sc->s, sc->n)) {
                struct sbuf b = SBUF_INIT;

                base64_lines(sc->s, sc->n, &b);
                sc->owned = sbuf_detach(&b);
                sc->s = sc->owned;
                sc->n = strlen(sc->owned);
                sc->binary = true;
        }
        if (is_str)
                sc->want = yscalar_want(sc, v4);
        sc->a = y_analyze(sc->s, sc->n);
}

static void
yscalar_release(struct yscalar *sc)
{
        free(sc->owned);
        sc->owned = NULL;
}

/* y_select_style: yaml_emitter_select_scalar_style outside flow collections. */
static enum ystyle
y_select_style(const struct yscalar *sc, bool simple_key)
{
        enum ystyle st = sc->want;

        if (simple_key && sc->a.multiline)
                st = Y_DOUBLE;
        if (st == Y_PLAIN && (!sc->a.block_plain || (sc->n == 0 && simple_key)))
                st = Y_SINGLE;
        if (st == Y_SINGLE && !sc->a.single)
                st = Y_DOUBLE;
        if (st == Y_LITERAL && (!sc->a.block || simple_key))
                st = Y_DOUBLE;
        return st;
}

/* y_simple_key: yaml_emitter_check_simple_key for a scalar key. */
static bool
y_simple_key(const struct yscalar *sc)
{
        return !sc->a.multiline && sc->n + (sc->binary ? strlen("!!binary") : 0) <= 128;
}

/* y_fold: whether a space at s[i] becomes a line break: past the width, breaks allowed
 * (not a simple key), not after another space. v3's width is unlimited, so never. */
static bool
y_fold(const struct yw *w, bool allow_breaks, bool spaces)
{
        return allow_breaks && !spaces && w->column > w->width;
}

static void
y_write_plain(struct yw *w, const char *s, size_t n, int indent, bool allow_breaks)
{
        bool spaces = false;

        if (n > 0 && !w->whitespace)
                y_put(w, ' ');
        for (size_t i = 0; i < n;) {
                bool space = s[i] == ' ';

                /* a plain scalar has no breaks and no trailing space: s[i + 1] exists */
                if (space && y_fold(w, allow_breaks, spaces) && s[i + 1] != ' ') {
                        y_indent(w, indent);
                        i++;
                } else {
                        y_write(w, s, n, &i);
                }
                spaces = space;
        }
        if (n > 0)
                w->whitespace = false;
        w->indention = false;
}

/* y_write_break: a line break from the text: "\n" becomes a newline, the others (CR, NEL,
 * LS, PS) are copied and only reset the column, as write_break does. */
static void
y_write_break(struct yw *w, const char *s, size_t n, size_t *i)
{
        if (s[*i] == '\n') {
                y_break(w);
                (*i)++;
                return;
        }
        y_write(w, s, n, i);
        w->column = 0;
        w->indention = true;
}

static void
y_write_single(struct yw *w, const char *s, size_t n, int indent, bool allow_breaks)
{
        bool spaces = false, breaks = false;

        y_indicator(w, "'", true, false, false);
        for (size_t i = 0; i < n;) {
                if (s[i] == ' ') {
                        if (y_fold(w, allow_breaks, spaces) && i > 0 && i < n - 1 &&
                            s[i + 1] != ' ') {
                                y_indent(w, indent);
                                i++;
                        } else {
                                y_write(w, s, n, &i);
                        }
                        spaces = true;
                } else if (is_break_at(s, n, i)) {
                        if (!breaks && s[i] == '\n')
                                y_break(w);
                        y_write_break(w, s, n, &i);
                        breaks = true;
                } else {
                        if (breaks)
                                y_indent(w, indent);
                        if (s[i] == '\'')
                                y_put(w, '\'');
                        y_write(w, s, n, &i);
                        w->indention = false;
                        spaces = breaks = false;
                }
        }
        y_indicator(w, "'", false, false, false);
        w->whitespace = false;
        w->indention = false;
}

/* y_escape: the double-quoted escape of one rune (yaml_emitter_write_double_quoted_scalar). */
static void
y_escape(struct yw *w, uint32_t v)
{
        static const struct {
                uint32_t r;
                char c;
        } named[] = {
                { 0x00, '0' },  { 0x07, 'a' }, { 0x08, 'b' }, { 0x09, 't' },   { 0x0A, 'n' },
                { 0x0B, 'v' },  { 0x0C, 'f' }, { 0x0D, 'r' }, { 0x1B, 'e' },   { 0x22, '"' },
                { 0x5C, '\\' }, { 0x85, 'N' }, { 0xA0, '_' }, { 0x2028, 'L' }, { 0x2029, 'P' }
        };
        char buf[16];

        y_put(w, '\\');
        for (size_t k = 0; k < ARRAY_SIZE(named); k++) {
                if (named[k].r == v) {
                        y_put(w, named[k].c);
                        return;
                }
        }
        if (v <= 0xFF)
                snprintf(buf, sizeof(buf), "x%02X", (unsigned)v);
        else if (v <= 0xFFFF)
                snprintf(buf, sizeof(buf), "u%04X", (unsigned)v);
        else
                snprintf(buf, sizeof(buf), "U%08X", (unsigned)v);
        for (const char *p = buf; *p; p++)
                y_put(w, *p);
}

static void
y_write_double(struct yw *w, const char *s, size_t n, int indent, bool allow_breaks)
{
        /* is_bom() in yamlprivateh.go looks at the start of the value whatever the
         * index, so a leading BOM gets every character escaped; keep that. */
        bool bom = n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0, spaces = false;

        y_indicator(w, "\"", true, false, false);
        for (size_t i = 0; i < n;) {
                size_t len;

                if (bom || !is_printable_at(s, n, i) || is_break_at(s, n, i) || s[i] == '"' ||
                    s[i] == '\\') {
                        y_escape(w, rune_at(s + i, n - i, &len));
                        i += len;
                        spaces = false;
                } else if (s[i] == ' ' && y_fold(w, allow_breaks, spaces) && i > 0 && i < n - 1) {
                        /* a folded line keeps a following space by escaping it */
                        y_indent(w, indent);
                        if (s[i + 1] == ' ')
                                y_put(w, '\\');
                        i++;
                        spaces = true;
                } else {
                        spaces = s[i] == ' ';
                        y_write(w, s, n, &i);
                }
        }
        y_indicator(w, "\"", false, false, false);
        w->whitespace = false;
        w->indention = false;
}

/* y_block_hints: indentation and chomping indicators of a block scalar. */
static void
y_block_hints(struct yw *w, const char *s, size_t n)
{
        size_t i;

        /* v4 dropped the hint for a leading break (go-yaml issue 65) */
        if (s[0] == ' ' || (!w->v4 && is_break_at(s, n, 0)))
                y_indicator(w, "2", false, false, false);
        i = n - 1;
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
                i--;
        if (!is_break_at(s, n, i)) {
                y_indicator(w, "-", false, false, false);
                return;
        }
        if (i == 0) {
                y_indicator(w, "+", false, false, false);
                return;
        }
        i--;
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
                i--;
        if (is_break_at(s, n, i))
                y_indicator(w, "+", false, false, false);
}

static void
y_write_literal(struct yw *w, const char *s, size_t n, int indent)
{
        bool breaks = true;

        y_indicator(w, "|", true, false, false);
        y_block_hints(w, s, n);
        /* v3 lets the text's first break end the header line, losing a leading newline;
         * v4 always ends the header line itself (go-yaml issue 755) */
        if (w->v4)
                y_break(w);
        w->whitespace = true;
        for (size_t i = 0; i < n;) {
                if (is_break_at(s, n, i)) {
                        y_write_break(w, s, n, &i);
                        breaks = true;
                } else {
                        if (breaks)
                                y_indent(w, indent);
                        y_write(w, s, n, &i);
                        w->indention = false;
                        breaks = false;
                }
        }
}

/* y_scalar: yaml_emitter_emit_scalar for an already prepared scalar. */
static void
y_scalar(struct yw *w, const struct yscalar *sc, int parent_indent, enum yctx ctx)
{
        enum ystyle st = y_select_style(sc, ctx == Y_SIMPLE_KEY);
        int indent = next_indent(parent_indent, ctx, true);

        if (sc->binary) {
                if (!w->whitespace)
                        y_put(w, ' ');
                y_indicator(w, "!!binary", false, false, false);
        }
        switch (st) {
        case Y_PLAIN:
                y_write_plain(w, sc->s, sc->n, indent, ctx != Y_SIMPLE_KEY);
                break;
        case Y_SINGLE:
                y_write_single(w, sc->s, sc->n, indent, ctx != Y_SIMPLE_KEY);
                break;
        case Y_DOUBLE:
                y_write_double(w, sc->s, sc->n, indent, ctx != Y_SIMPLE_KEY);
                break;
        case Y_LITERAL:
                y_write_literal(w, sc->s, sc->n, indent);
                break;
        }
}

/* y_value_text: the text go-yaml prints for a non-string scalar. */
static void
y_value_text(const struct node *n, struct sbuf *out)
{
        const char *s = n->str ? n->str : "";
        double v;

        if (n->kind == NODE_NULL) {
                sbuf_adds(out, "null");
                return;
        }
        if (n->kind == NODE_BOOL) {
                sbuf_adds(out, strcasecmp(s, "true") == 0 ? "true" : "false");
                return;
        }
        /* an integer too big for 64 bits decodes as a float64 in Go */
        if (n->kind == NODE_INT && int_text(s, out))
                return;
        if (!float_value(s, &v))
                sbuf_adds(out, s);
        else if (isnan(v))
                sbuf_adds(out, ".nan");
        else if (isinf(v))
                sbuf_adds(out, v < 0 ? "-.inf" : ".inf");
        else
                float_text(v, false, out);
}

static int y_node(struct yw *w, const struct node *n, int parent_indent, enum yctx ctx, int depth);

static void
y_key(struct yw *w, const char *key, int indent)
{
        struct yscalar sc;

        yscalar_init(&sc, NULL, key, w->v4);
        if (y_simple_key(&sc)) {
                y_scalar(w, &sc, indent, Y_SIMPLE_KEY);
                y_indicator(w, ":", false, false, false);
        } else {
                y_indicator(w, "?", true, false, true);
                y_scalar(w, &sc, indent, Y_COMPLEX_KEY);
                y_indent(w, indent);
                y_indicator(w, ":", true, false, true);
        }
        yscalar_release(&sc);
}

static int
y_map(struct yw *w, const struct node *map, int parent_indent, enum yctx ctx, int depth)
{
        int indent = next_indent(parent_indent, ctx, false);

        if (map->n == 0) {
                y_indicator(w, "{", true, true, false);
                y_indicator(w, "}", false, false, false);
                return 0;
        }
        node_foreach_entry(e, map)
        {
                int r;

                y_indent(w, indent);
                y_key(w, e->key, indent);
                r = y_node(w, e->val, indent, Y_MAP_VALUE, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
y_seq(struct yw *w, const struct node *seq, int parent_indent, enum yctx ctx, int depth)
{
        int indent = next_indent(parent_indent, ctx, false);

        if (seq->n == 0) {
                y_indicator(w, "[", true, true, false);
                y_indicator(w, "]", false, false, false);
                return 0;
        }
        node_foreach_item(it, seq)
        {
                int r;

                y_indent(w, indent);
                y_indicator(w, "-", true, false, true);
                r = y_node(w, it, indent, Y_SEQ_ITEM, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
y_node(struct yw *w, const struct node *n, int parent_indent, enum yctx ctx, int depth)
{
        struct yscalar sc;
        cleanup_sbuf struct sbuf text = SBUF_INIT;

        if (depth > EMIT_MAX_DEPTH)
                return node_errf(w->err, n, -ELOOP,
                                 "cannot print the model: nesting deeper than %d", EMIT_MAX_DEPTH);
        if (!n) {
                static const struct node null_node = { .kind = NODE_NULL };

                n = &null_node;
        }
        switch (n->kind) {
        case NODE_MAP:
                return y_map(w, n, parent_indent, ctx, depth);
        case NODE_SEQ:
                return y_seq(w, n, parent_indent, ctx, depth);
        case NODE_STR:
                yscalar_init(&sc, n, NULL, w->v4);
                y_scalar(w, &sc, parent_indent, ctx);
                yscalar_release(&sc);
                return 0;
        case NODE_NULL:
        case NODE_INT:
        case NODE_FLOAT:
        case NODE_BOOL:
                y_value_text(n, &text);
                sc = (struct yscalar){ .s = text.buf, .n = text.len, .want = Y_PLAIN };
                sc.a = y_analyze(sc.s, sc.n);
                y_scalar(w, &sc, parent_indent, ctx);
                return 0;
        }
        return node_errf(w->err, n, -EINVAL, "cannot print the model: unknown node kind %d",
                         (int)n->kind);
}

int
emit_yaml_flavor(const struct node *root, enum emit_yaml_flavor flavor, struct sbuf *out,
                 struct err *err)
{
        struct yw w = {
                .out = out,
                .whitespace = true,
                .indention = true,
                .v4 = flavor == EMIT_YAML_V4,
                .width = flavor == EMIT_YAML_V4 ? 80 : INT_MAX,
                .err = err,
        };
        int r;

        r = y_node(&w, root, -1, Y_ROOT, 0);
        if (r < 0)
                return r;
        /* document end: back to indent 0, which breaks the last line */
        y_indent(&w, -1);
        return 0;
}

int
emit_yaml(const struct node *root, struct sbuf *out, struct err *err)
{
        return emit_yaml_flavor(root, EMIT_YAML_V3, out, err);
}

/* ---- JSON writer (encoding/json) ------------------------------------------------------ */

struct jw {
        struct sbuf *out;
        const char *indent;
        struct err *err;
};

static void
j_string(struct sbuf *out, const char *s)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = strlen(s), len;

        sbuf_addch(out, '"');
        for (size_t i = 0; i < n; i += len) {
                unsigned char c = (unsigned char)s[i];
                uint32_t r = rune_at(s + i, n - i, &len);

                if (c == '"' || c == '\\') {
                        sbuf_addch(out, '\\');
                        sbuf_addch(out, (char)c);
                } else if (c < 0x20 && strchr("\b\f\n\r\t", c) && c) {
                        sbuf_addch(out, '\\');
                        sbuf_addch(out, "bfnrt"[strchr("\b\f\n\r\t", c) - "\b\f\n\r\t"]);
                } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                        sbuf_addf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                } else if (r == 0xFFFD && len == 1) {
                        sbuf_adds(out, "\\ufffd");
                } else if (r == 0x2028 || r == 0x2029) {
                        sbuf_addf(out, "\\u202%c", r == 0x2028 ? '8' : '9');
                } else {
                        sbuf_add(out, s + i, len);
                }
        }
        sbuf_addch(out, '"');
}

static void
j_newline(struct jw *w, int level)
{
        sbuf_addch(w->out, '\n');
        for (int i = 0; i < level; i++)
                sbuf_adds(w->out, w->indent);
}

static int j_node(struct jw *w, const struct node *n, int level, int depth);

static int
j_collection(struct jw *w, const struct node *n, int level, int depth)
{
        bool map = n->kind == NODE_MAP;

        if (n->n == 0) {
                sbuf_adds(w->out, map ? "{}" : "[]");
                return 0;
        }
        sbuf_addch(w->out, map ? '{' : '[');
        for (size_t i = 0; i < n->n; i++) {
                int r;

                if (i)
                        sbuf_addch(w->out, ',');
                j_newline(w, level + 1);
                if (map) {
                        j_string(w->out, n->entries[i].key);
                        sbuf_adds(w->out, ": ");
                }
                r = j_node(w, map ? n->entries[i].val : n->items[i], level + 1, depth + 1);
                if (r < 0)
                        return r;
        }
        j_newline(w, level);
        sbuf_addch(w->out, map ? '}' : ']');
        return 0;
}

static int
j_number(struct jw *w, const struct node *n)
{
        const char *s = n->str ? n->str : "";
        double v;

        if (n->kind == NODE_INT && int_text(s, w->out))
                return 0;
        if (!float_value(s, &v))
                return node_errf(w->err, n, -EINVAL, "cannot print '%s' as a JSON number", s);
        if (isnan(v) || isinf(v))
                return node_errf(w->err, n, -EINVAL, "cannot print '%s' as JSON: unsupported value",
                                 s);
        float_text(v, true, w->out);
        return 0;
}

static int
j_node(struct jw *w, const struct node *n, int level, int depth)
{
        if (depth > EMIT_MAX_DEPTH)
                return node_errf(w->err, n, -ELOOP,
                                 "cannot print the model: nesting deeper than %d", EMIT_MAX_DEPTH);
        if (!n) {
                sbuf_adds(w->out, "null");
                return 0;
        }
        switch (n->kind) {
        case NODE_MAP:
        case NODE_SEQ:
                return j_collection(w, n, level, depth);
        case NODE_STR:
                j_string(w->out, n->str ? n->str : "");
                return 0;
        case NODE_NULL:
                sbuf_adds(w->out, "null");
                return 0;
        case NODE_BOOL:
                sbuf_adds(w->out, n->str && strcasecmp(n->str, "true") == 0 ? "true" : "false");
                return 0;
        case NODE_INT:
        case NODE_FLOAT:
                return j_number(w, n);
        }
        return node_errf(w->err, n, -EINVAL, "cannot print the model: unknown node kind %d",
                         (int)n->kind);
}

int
emit_json_indent(const struct node *root, const char *indent, struct sbuf *out, struct err *err)
{
        struct jw w = { .out = out, .indent = indent, .err = err };

        return j_node(&w, root, 0, 0);
}

int
emit_json(const struct node *root, struct sbuf *out, struct err *err)
{
        return emit_json_indent(root, "  ", out, err);
}
