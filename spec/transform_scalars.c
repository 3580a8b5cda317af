/* transform_scalars: compose-go's scalar decoding (mapstructure + its `cast` hook and the
 * DecodeMapstructure methods of types.Duration, UnitBytes, NanoCPUs, FileMode,
 * DeviceCount) and go-yaml's printing of the decoded value.
 *
 * Interpolation leaves strings where the schema wants numbers or booleans ("3", "true");
 * compose casts them back with strconv (Atoi, ParseBool's YAML 1.1 cousins, ParseFloat),
 * which is what happens here. A YAML int is read the way go-yaml reads it (0x, 0o, 0b,
 * leading-zero octal, underscores), so `mode: 0440` is 288 and prints as "0440".
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "spec/transform_internal.h"
#include "spec/units.h"

/* parse_digits: s is [+-]?digits in base; strict, no blanks. */
static bool
parse_digits(const char *s, int base, long long *ret)
{
        static const char *const sets[] = {
                [2] = "01", [8] = "01234567", [10] = "0123456789", [16] = "0123456789abcdefABCDEF"
        };
        const char *d = (*s == '+' || *s == '-') ? s + 1 : s;
        char *end;

        if (!*d || strspn(d, sets[base]) != strlen(d))
                return false;
        errno = 0;
        *ret = strtoll(s, &end, base);
        return errno == 0 && *end == '\0';
}

bool
transform_go_int(const char *text, long long *ret)
{
        cleanup_free char *plain = xmalloc(strlen(text) + 2);
        const char *digits;
        size_t n = 0;
        bool neg, ok;
        long long v;
        int base = 10;

        for (const char *p = text; *p; p++)
                if (*p != '_')
                        plain[n++] = *p;
        plain[n] = '\0';
        neg = plain[0] == '-';
        digits = (plain[0] == '-' || plain[0] == '+') ? plain + 1 : plain;
        if (digits[0] == '0' && digits[1]) {
                char p = (char)(digits[1] | 0x20);

                base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
                digits += (p == 'x' || p == 'o' || p == 'b') ? 2 : 1;
        }
        ok = parse_digits(digits, base, &v) && digits[0] != '+' && digits[0] != '-';
        if (ok)
                *ret = neg ? -v : v;
        return ok;
}

static bool
is_true_text(const char *s)
{
        return s[0] == 't' || s[0] == 'T';
}

/* float_special: go-yaml's .inf/.nan spellings. */
static bool
float_special(const char *s, double *ret)
{
        const char *p = (*s == '+' || *s == '-') ? s + 1 : s;

        if (strcasecmp(p, ".inf") == 0) {
                *ret = *s == '-' ? -INFINITY : INFINITY;
                return true;
        }
        if (strcasecmp(s, ".nan") == 0) {
                *ret = NAN;
                return true;
        }
        return false;
}

/* parse_float_text: strconv.ParseFloat: no blanks, the whole text. */
static bool
parse_float_text(const char *s, double *ret)
{
        char *end;

        if (!*s || strchr(" \t\n\r\f\v", *s) || strpbrk(s, "_"))
                return false;
        if (float_special(s, ret))
                return true;
        errno = 0;
        *ret = strtod(s, &end);
        return *end == '\0' && errno != ERANGE;
}

static bool
float_of_node(const struct node *n, double *ret)
{
        long long v;

        if (n->kind == NODE_INT && transform_go_int(n->str, &v)) {
                *ret = (double)v;
                return true;
        }
        if (n->kind == NODE_INT || n->kind == NODE_FLOAT || n->kind == NODE_STR)
                return parse_float_text(n->str, ret);
        return false;
}

/* int_of_node: a YAML int, an integral float, or a decimal string (strconv.Atoi). */
static bool
int_of_node(const struct node *n, long long *ret)
{
        double d;

        switch (n->kind) {
        case NODE_INT:
                return transform_go_int(n->str, ret);
        case NODE_STR:
                return parse_digits(n->str, 10, ret);
        case NODE_FLOAT:
                if (!parse_float_text(n->str, &d) || d != floor(d) || fabs(d) > 9.2e18)
                        return false;
                *ret = (long long)d;
                return true;
        default:
                return false;
        }
}

char *
transform_text(const struct node *n)
{
        long long v;
        double d;

        switch (n->kind) {
        case NODE_NULL:
                return xstrdup("");
        case NODE_BOOL:
                return xstrdup(is_true_text(n->str) ? "true" : "false");
        case NODE_INT:
                return transform_go_int(n->str, &v) ? xasprintf("%lld", v) : xstrdup(n->str);
        case NODE_FLOAT:
                return parse_float_text(n->str, &d) ? units_format_float(d, 64) : xstrdup(n->str);
        case NODE_STR:
                return xstrdup(n->str);
        default:
                return NULL;
        }
}

static void
set_scalar(struct node *n, enum node_kind kind, const char *text)
{
        node_set_str(n, text);
        n->kind = kind;
        n->flags &= ~(unsigned)NODE_F_QUOTED;
}

void
transform_normalize_any(struct node *n)
{
        cleanup_free char *text = NULL;
        double d;

        if (n->kind == NODE_SEQ || n->kind == NODE_MAP) {
                for (size_t i = 0; i < n->n; i++)
                        transform_normalize_any(n->kind == NODE_SEQ ? n->items[i]
                                                                    : n->entries[i].val);
                return;
        }
        if (n->kind == NODE_FLOAT && parse_float_text(n->str, &d) && (isinf(d) || isnan(d))) {
                set_scalar(n, NODE_FLOAT, isnan(d) ? ".nan" : d > 0 ? ".inf" : "-.inf");
                return;
        }
        if (n->kind == NODE_INT || n->kind == NODE_FLOAT || n->kind == NODE_BOOL) {
                text = transform_text(n);
                set_scalar(n, n->kind, text);
        }
}

/* to_bool: compose's toBoolean (YAML 1.1 spellings included). */
static bool
to_bool(const struct node *n, bool *ret)
{
        static const char *const yes[] = { "true", "y", "yes", "on" };
        static const char *const no[] = { "false", "n", "no", "off" };

        if (n->kind == NODE_BOOL) {
                *ret = is_true_text(n->str);
                return true;
        }
        if (n->kind != NODE_STR)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcasecmp(n->str, yes[i]) == 0 || strcasecmp(n->str, no[i]) == 0) {
                        *ret = strcasecmp(n->str, yes[i]) == 0;
                        return true;
                }
        }
        return false;
}

static int
conv_str(struct walk *w, struct node *n, bool *ret_zero)
{
        cleanup_free char *text = transform_text(n);

        if (!text)
                return transform_errf(w, n, "must be a string, not a %s", node_kind_name(n->kind));
        set_scalar(n, NODE_STR, text);
        *ret_zero = !*text;
        return 0;
}

static int
conv_bool(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        bool b = false;

        if (n->kind != NODE_NULL && !to_bool(n, &b))
                return transform_errf(w, n, "invalid boolean \"%s\"",
                                      node_is_scalar(n) ? n->str : "");
        set_scalar(n, NODE_BOOL, b ? "true" : "false");
        *ret_zero = t->kind == TK_OPTOUT ? b : !b;
        return 0;
}

static int
conv_int(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        char text[32];
        long long v = 0;

        if (n->kind != NODE_NULL && !int_of_node(n, &v))
                return transform_errf(w, n, "invalid integer \"%s\"",
                                      node_is_scalar(n) ? n->str : "");
        if (t->kind == TK_UINT && v < 0)
                return transform_errf(w, n, "invalid value %lld: must not be negative", v);
        snprintf(text, sizeof(text), "%lld", v);
        set_scalar(n, NODE_INT, text);
        *ret_zero = v == 0;
        return 0;
}

static int
conv_float(struct walk *w, struct node *n, bool *ret_zero)
{
        cleanup_free char *text = NULL;
        double d = 0;

        if (n->kind != NODE_NULL && !float_of_node(n, &d))
                return transform_errf(w, n, "invalid number \"%s\"",
                                      node_is_scalar(n) ? n->str : "");
        if (isfinite(d) && fabs(d) > FLT_MAX)
                return transform_errf(w, n, "invalid number \"%s\": out of range", n->str);
        text = units_format_float(d, 32);
        set_scalar(n, NODE_FLOAT, text);
        *ret_zero = d == 0;
        return 0;
}

static int
conv_duration(struct walk *w, struct node *n, bool *ret_zero)
{
        cleanup_free char *text = transform_text(n);
        cleanup_free char *out = NULL;
        struct err e = { 0 };
        long long ns = 0;

        if (!text)
                return transform_errf(w, n, "must be a duration, not a %s",
                                      node_kind_name(n->kind));
        if (n->kind != NODE_NULL && units_parse_duration(text, &ns, &e) < 0)
                return transform_errf(w, n, "%s", e.msg);
        out = units_format_duration(ns);
        set_scalar(n, NODE_STR, out);
        *ret_zero = ns == 0;
        return 0;
}

static int
conv_bytes(struct walk *w, struct node *n, bool *ret_zero)
{
        struct err e = { 0 };
        char text[32];
        long long v = 0;

        if (n->kind == NODE_INT) {
                if (!transform_go_int(n->str, &v))
                        return transform_errf(w, n, "invalid size \"%s\"", n->str);
        } else if (n->kind == NODE_STR) {
                if (units_parse_bytes(n->str, &v, &e) < 0)
                        return transform_errf(w, n, "%s", e.msg);
        } else if (n->kind != NODE_NULL) {
                return transform_errf(w, n,
                                      "invalid size \"%s\": must be an integer or a string such "
                                      "as \"512m\"",
                                      node_is_scalar(n) ? n->str : "");
        }
        snprintf(text, sizeof(text), "%lld", v);
        set_scalar(n, NODE_STR, text);
        *ret_zero = v == 0;
        return 0;
}

/* conv_filemode: an int (0440 in YAML is already octal) or an octal string. */
static int
conv_filemode(struct walk *w, struct node *n, bool *ret_zero)
{
        char text[40];
        long long v = 0;
        bool ok = (n->kind == NODE_INT && transform_go_int(n->str, &v)) ||
                  (n->kind == NODE_STR && parse_digits(n->str, 8, &v));

        if (!ok)
                return transform_errf(w, n, "invalid file mode \"%s\"",
                                      node_is_scalar(n) ? n->str : "");
        if (v < 0)
                snprintf(text, sizeof(text), "0-%llo", (unsigned long long)-v);
        else
                snprintf(text, sizeof(text), "0%llo", (unsigned long long)v);
        set_scalar(n, NODE_STR, text);
        *ret_zero = false;
        return 0;
}

static int
conv_devcount(struct walk *w, struct node *n, bool *ret_zero)
{
        char text[32];
        long long v = 0;
        bool ok = n->kind == NODE_NULL || (n->kind == NODE_INT && transform_go_int(n->str, &v)) ||
                  (n->kind == NODE_STR && parse_digits(n->str, 10, &v));

        if (!ok && n->kind == NODE_STR && strcasecmp(n->str, "all") == 0) {
                v = -1;
                ok = true;
        }
        if (!ok)
                return transform_errf(w, n,
                                      "invalid value \"%s\", the only value allowed is 'all' or "
                                      "a number",
                                      node_is_scalar(n) ? n->str : "");
        snprintf(text, sizeof(text), "%lld", v);
        set_scalar(n, NODE_INT, text);
        *ret_zero = v == 0;
        return 0;
}

int
transform_conv_scalar(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero)
{
        *ret_zero = false;
        switch (t->kind) {
        case TK_STR:
                return conv_str(w, n, ret_zero);
        case TK_BOOL:
        case TK_OPTOUT:
                return conv_bool(w, t, n, ret_zero);
        case TK_INT:
        case TK_UINT:
                return conv_int(w, t, n, ret_zero);
        case TK_FLOAT32:
                return conv_float(w, n, ret_zero);
        case TK_DURATION:
                return conv_duration(w, n, ret_zero);
        case TK_BYTES:
                return conv_bytes(w, n, ret_zero);
        case TK_FILEMODE:
                return conv_filemode(w, n, ret_zero);
        case TK_DEVCOUNT:
                return conv_devcount(w, n, ret_zero);
        default:
                return transform_errf(w, n, "internal error: type %d is not a scalar",
                                      (int)t->kind);
        }
}
