/* units: durations, byte sizes and floats in the text forms of the compose model.
 *
 * Reading follows compose-go's dependencies byte for byte where users can see the
 * difference: go-str2duration (Go's duration grammar [-+]?([0-9]*(\.[0-9]*)?unit)+ with
 * days and weeks) and go-units RAMInBytes (the last digit, dot or space splits number and
 * suffix). Printing follows Go: time.Duration.String() and strconv.FormatFloat 'g' -1.
 */
#include "units.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/sbuf.h"

#define NS_PER_US  1000LL
#define NS_PER_MS  1000000LL
#define NS_PER_SEC 1000000000LL

struct duration_unit {
        const char *name;
        long long ns;
};

static const struct duration_unit duration_units[] = {
        { "ns", 1 },
        { "us", NS_PER_US },
        { "\xc2\xb5s", NS_PER_US }, /* U+00B5 micro sign */
        { "\xce\xbcs", NS_PER_US }, /* U+03BC greek mu */
        { "ms", NS_PER_MS },
        { "s", NS_PER_SEC },
        { "m", 60 * NS_PER_SEC },
        { "h", 3600 * NS_PER_SEC },
        { "d", 86400 * NS_PER_SEC },
        { "w", 7 * 86400 * NS_PER_SEC },
};

static bool
is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static long long
duration_unit_ns(const char *u, size_t len)
{
        for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
                if (strlen(duration_units[i].name) == len &&
                    memcmp(duration_units[i].name, u, len) == 0)
                        return duration_units[i].ns;
        return 0;
}

/* leading_int: consume [0-9]*; false on overflow. */
static bool
leading_int(const char **s, long long *ret)
{
        long long x = 0;

        for (; is_digit(**s); (*s)++) {
                if (x > (INT64_MAX - 9) / 10)
                        return false;
                x = x * 10 + (**s - '0');
        }
        *ret = x;
        return true;
}

/* leading_fraction: consume [0-9]*, keeping as many digits as fit (like Go). */
static void
leading_fraction(const char **s, long long *ret, double *scale)
{
        long long x = 0;
        bool overflow = false;

        *scale = 1;
        for (; is_digit(**s); (*s)++) {
                if (overflow || x > (INT64_MAX - 9) / 10) {
                        overflow = true;
                        continue;
                }
                x = x * 10 + (**s - '0');
                *scale *= 10;
        }
        *ret = x;
}

/* parse_component: one "<number><unit>" of a duration, added to *total. */
static int
parse_component(const char **s, const char *orig, long long *total, struct err *err)
{
        const char *start = *s, *u;
        long long v, f = 0, unit;
        double scale = 1;

        if (!is_digit(**s) && **s != '.')
                return err_setf(err, -EINVAL, "invalid duration \"%s\"", orig);
        if (!leading_int(s, &v))
                return err_setf(err, -ERANGE, "invalid duration \"%s\": too large", orig);
        bool pre = *s != start, post = false;
        if (**s == '.') {
                const char *fs = ++(*s);
                leading_fraction(s, &f, &scale);
                post = *s != fs;
        }
        if (!pre && !post)
                return err_setf(err, -EINVAL, "invalid duration \"%s\"", orig);
        for (u = *s; **s && **s != '.' && !is_digit(**s); (*s)++)
                ;
        if (*s == u)
                return err_setf(err, -EINVAL, "invalid duration \"%s\": missing unit", orig);
        unit = duration_unit_ns(u, (size_t)(*s - u));
        if (!unit)
                return err_setf(err, -EINVAL, "invalid duration \"%s\": unknown unit \"%.*s\"",
                                orig, (int)(*s - u), u);
        if (v > INT64_MAX / unit)
                return err_setf(err, -ERANGE, "invalid duration \"%s\": too large", orig);
        v *= unit;
        if (f > 0)
                v += (long long)((double)f * ((double)unit / scale));
        if (v < 0 || *total > INT64_MAX - v)
                return err_setf(err, -ERANGE, "invalid duration \"%s\": too large", orig);
        *total += v;
        return 0;
}

int
units_parse_duration(const char *s, long long *ret_ns, struct err *err)
{
        const char *orig = s;
        long long total = 0;
        bool neg = false;
        int r;

        if (*s == '-' || *s == '+') {
                neg = *s == '-';
                s++;
        }
        if (strcmp(s, "0") == 0) {
                *ret_ns = 0;
                return 0;
        }
        if (!*s)
                return err_setf(err, -EINVAL, "invalid duration \"%s\"", orig);
        while (*s) {
                r = parse_component(&s, orig, &total, err);
                if (r < 0)
                        return r;
        }
        *ret_ns = neg ? -total : total;
        return 0;
}

/* add_frac: Go's fmtFrac: ".<digits>" of v / 10^prec without trailing zeros; returns the
 * integer part. */
static unsigned long long
add_frac(struct sbuf *sb, unsigned long long v, int prec)
{
        char digits[24];
        int n = 0;
        bool print = false;

        for (int i = 0; i < prec; i++) {
                int digit = (int)(v % 10);

                print = print || digit != 0;
                if (print)
                        digits[n++] = (char)('0' + digit);
                v /= 10;
        }
        if (print) {
                sbuf_addch(sb, '.');
                while (n > 0)
                        sbuf_addch(sb, digits[--n]);
        }
        return v;
}

/* format_small: durations under a second: ns, µs or ms with a fraction. */
static void
format_small(struct sbuf *sb, unsigned long long u)
{
        struct sbuf frac = SBUF_INIT;
        const char *unit;
        int prec;

        if (u < NS_PER_US) {
                prec = 0;
                unit = "ns";
        } else if (u < NS_PER_MS) {
                prec = 3;
                unit = "\xc2\xb5s";
        } else {
                prec = 6;
                unit = "ms";
        }
        u = add_frac(&frac, u, prec);
        sbuf_addf(sb, "%llu%s%s", u, frac.buf, unit);
        sbuf_release(&frac);
}

char *
units_format_duration(long long ns)
{
        struct sbuf sb = SBUF_INIT;
        struct sbuf frac = SBUF_INIT;
        unsigned long long u = ns < 0 ? 0ULL - (unsigned long long)ns : (unsigned long long)ns;

        if (ns < 0)
                sbuf_addch(&sb, '-');
        if (u == 0) {
                sbuf_adds(&sb, "0s");
        } else if (u < (unsigned long long)NS_PER_SEC) {
                format_small(&sb, u);
        } else {
                unsigned long long secs = add_frac(&frac, u, 9);
                unsigned long long mins = secs / 60, hours = mins / 60;

                if (hours)
                        sbuf_addf(&sb, "%lluh", hours);
                if (mins)
                        sbuf_addf(&sb, "%llum", mins % 60);
                sbuf_addf(&sb, "%llu%ss", secs % 60, frac.buf);
        }
        sbuf_release(&frac);
        return sbuf_detach(&sb);
}

/* parse_go_float: strconv.ParseFloat for the decimal forms compose users write; no leading
 * blanks, no hex, no inf/nan words. */
static bool
parse_go_float(const char *s, size_t len, double *ret)
{
        char buf[64];
        char *end;

        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (strspn(buf, "+-0123456789.eE") != len || !strpbrk(buf, "0123456789"))
                return false;
        errno = 0;
        *ret = strtod(buf, &end);
        return *end == '\0' && errno == 0;
}

/* ram_in_bytes: go-units RAMInBytes. */
static int
ram_in_bytes(const char *s, long long *ret, struct err *err)
{
        static const char mults[] = "kmgtp";
        const char *sep = NULL, *sfx, *m;
        char lower[4] = "";
        double size, mult = 1;
        size_t num_len, sfx_len;

        for (const char *p = s; *p; p++)
                if (strchr("0123456789. ", *p))
                        sep = p;
        if (!sep)
                return err_setf(err, -EINVAL, "invalid size \"%s\"", s);
        num_len = (size_t)(sep - s) + (*sep != ' ');
        sfx = sep + 1;
        if (!parse_go_float(s, num_len, &size) || size < 0)
                return err_setf(err, -EINVAL, "invalid size \"%s\"", s);
        sfx_len = strlen(sfx);
        if (sfx_len > 3)
                return err_setf(err, -EINVAL, "invalid size \"%s\": invalid suffix \"%s\"", s, sfx);
        for (size_t i = 0; i < sfx_len; i++)
                lower[i] = (char)((sfx[i] >= 'A' && sfx[i] <= 'Z') ? sfx[i] - 'A' + 'a' : sfx[i]);
        if (sfx_len && lower[0] != 'b') {
                m = lower[0] ? strchr(mults, lower[0]) : NULL;
                if (!m || (sfx_len == 2 && lower[1] != 'b') ||
                    (sfx_len == 3 && strcmp(lower + 1, "ib") != 0))
                        return err_setf(err, -EINVAL, "invalid size \"%s\": invalid suffix \"%s\"",
                                        s, sfx);
                mult = ldexp(1.0, 10 * (int)(m - mults + 1));
        } else if (sfx_len > 1) {
                return err_setf(err, -EINVAL, "invalid size \"%s\": invalid suffix \"%s\"", s, sfx);
        }
        size *= mult;
        if (size >= 9223372036854775808.0)
                return err_setf(err, -ERANGE, "invalid size \"%s\": too large", s);
        *ret = (long long)size;
        return 0;
}

int
units_parse_bytes(const char *s, long long *ret, struct err *err)
{
        const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
        char *end;
        long long v;

        if (*digits && strspn(digits, "0123456789") == strlen(digits)) {
                errno = 0;
                v = strtoll(s, &end, 10);
                if (errno == ERANGE)
                        return err_setf(err, -ERANGE, "invalid size \"%s\": too large", s);
                *ret = v;
                return 0;
        }
        return ram_in_bytes(s, ret, err);
}

/* shortest_digits: the fewest significant digits that read back as v at the given width;
 * writes "%.*e" text to buf. */
static void
shortest_digits(double v, int bits, char *buf, size_t size)
{
        int max = bits == 32 ? 9 : 17;

        for (int prec = 1; prec <= max; prec++) {
                snprintf(buf, size, "%.*e", prec - 1, v);
                if (bits == 32 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
                        return;
        }
}

char *
units_format_float(double v, int bits)
{
        char e[64], out[400];
        const char *mant_end;
        char *exp_end;
        int exp, nd;

        if (bits == 32 && isfinite(v) && fabs(v) > FLT_MAX)
                v = v > 0 ? INFINITY : -INFINITY; /* what a float32 conversion gives */
        else if (bits == 32)
                v = (float)v;
        if (isnan(v))
                return xstrdup("NaN");
        if (isinf(v))
                return xstrdup(v > 0 ? "+Inf" : "-Inf");
        if (v == 0)
                return xstrdup(signbit(v) ? "-0" : "0");
        shortest_digits(v, bits, e, sizeof(e));
        mant_end = strchr(e, 'e');
        exp = (int)strtol(mant_end + 1, &exp_end, 10);
        if (*exp_end)
                return xstrdup(e); /* cannot happen: printf wrote the exponent */
        nd = 0;
        for (const char *p = e; p < mant_end; p++)
                nd += is_digit(*p);
        /* Go's shortest 'g' uses the exponent form below 1e-4 and from 1e6 (eprec 6) */
        if (exp < -4 || exp >= 6)
                return xstrdup(e);
        snprintf(out, sizeof(out), "%.*f", nd - 1 - exp > 0 ? nd - 1 - exp : 0, v);
        return xstrdup(out);
}
