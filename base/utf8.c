/* utf8: UTF-8 (RFC 3629) decoding and the Unicode predicates berth borrows from Go
 * (unicode.IsSpace, IsLetter, IsDigit, strconv.IsPrint/Quote). Docker, compose and go-yaml are
 * Go code; matching their byte-level behaviour keeps our dumps, expansions and key orders equal
 * to theirs. */
#include "base/utf8.h"

#include "base/alloc.h"

struct range {
        uint32_t lo, hi;
};

static bool
in_ranges(uint32_t r, const struct range *t, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (r >= t[i].lo && r <= t[i].hi)
                        return true;
        return false;
}

size_t
utf8_decode(const char *s, size_t n, uint32_t *ret)
{
        const unsigned char *p = (const unsigned char *)s;
        uint32_t r, min;
        size_t len;

        if (p[0] < 0x80) {
                *ret = p[0];
                return 1;
        }
        if (p[0] >= 0xC2 && p[0] <= 0xDF) {
                len = 2, r = p[0] & 0x1F, min = 0x80;
        } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
                len = 3, r = p[0] & 0x0F, min = 0x800;
        } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
                len = 4, r = p[0] & 0x07, min = 0x10000;
        } else {
                *ret = UTF8_BAD;
                return 1;
        }
        if (n < len)
                goto bad;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        goto bad;
                r = r << 6 | (p[i] & 0x3F);
        }
        if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
                goto bad;
        *ret = r;
        return len;
bad:
        *ret = UTF8_BAD;
        return 1;
}

bool
utf8_valid(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n) {
                uint32_t r;
                size_t len = utf8_decode(s + i, n - i, &r);

                /* a real U+FFFD is three bytes long; one byte means a bad sequence */
                if (r == UTF8_BAD && len == 1)
                        return false;
                i += len;
        }
        return true;
}

void
utf8_add(struct sbuf *sb, uint32_t r)
{
        char b[4];

        if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
                r = UTF8_BAD;
        if (r < 0x80) {
                sbuf_addch(sb, (char)r);
        } else if (r < 0x800) {
                b[0] = (char)(0xC0 | r >> 6);
                b[1] = (char)(0x80 | (r & 0x3F));
                sbuf_add(sb, b, 2);
        } else if (r < 0x10000) {
                b[0] = (char)(0xE0 | r >> 12);
                b[1] = (char)(0x80 | ((r >> 6) & 0x3F));
                b[2] = (char)(0x80 | (r & 0x3F));
                sbuf_add(sb, b, 3);
        } else {
                b[0] = (char)(0xF0 | r >> 18);
                b[1] = (char)(0x80 | ((r >> 12) & 0x3F));
                b[2] = (char)(0x80 | ((r >> 6) & 0x3F));
                b[3] = (char)(0x80 | (r & 0x3F));
                sbuf_add(sb, b, 4);
        }
}

uint32_t *
utf8_runes(const char *s, size_t n, bool skip_bom, size_t *ret_n)
{
        uint32_t *out = xreallocarray(NULL, n + 1, sizeof(uint32_t));
        size_t k = 0;

        for (size_t i = 0; i < n;) {
                uint32_t r;

                i += utf8_decode(s + i, n - i, &r);
                if (k == 0 && skip_bom && r == 0xFEFF) {
                        skip_bom = false;
                        continue;
                }
                skip_bom = false;
                out[k++] = r;
        }
        *ret_n = k;
        return out;
}

bool
utf8_isspace(uint32_t r)
{
        static const struct range sp[] = {
                { 0x09, 0x0D },     { 0x20, 0x20 },     { 0x85, 0x85 },     { 0xA0, 0xA0 },
                { 0x1680, 0x1680 }, { 0x2000, 0x200A }, { 0x2028, 0x2029 }, { 0x202F, 0x202F },
                { 0x205F, 0x205F }, { 0x3000, 0x3000 },
        };

        return in_ranges(r, sp, sizeof(sp) / sizeof(sp[0]));
}

bool
utf8_isletter(uint32_t r)
{
        static const struct range letters[] = {
                { 'A', 'Z' },       { 'a', 'z' },       { 0xAA, 0xAA },     { 0xB5, 0xB5 },
                { 0xBA, 0xBA },     { 0xC0, 0xD6 },     { 0xD8, 0xF6 },     { 0xF8, 0x2C1 },
                { 0x370, 0x374 },   { 0x376, 0x37D },   { 0x386, 0x386 },   { 0x388, 0x3F5 },
                { 0x3F7, 0x481 },   { 0x48A, 0x52F },   { 0x531, 0x556 },   { 0x561, 0x587 },
                { 0x5D0, 0x5EA },   { 0x620, 0x64A },   { 0x904, 0x939 },   { 0xE01, 0xE30 },
                { 0x10A0, 0x10FF }, { 0x1100, 0x11FF }, { 0x1E00, 0x1FBC }, { 0x3041, 0x3096 },
                { 0x30A1, 0x30FA }, { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF }, { 0xAC00, 0xD7A3 },
                { 0xF900, 0xFAFF }, { 0xFF21, 0xFF3A }, { 0xFF41, 0xFF5A }, { 0x20000, 0x2FFFF },
        };

        return in_ranges(r, letters, sizeof(letters) / sizeof(letters[0]));
}

bool
utf8_isdigit(uint32_t r)
{
        static const struct range digits[] = {
                { '0', '9' },     { 0x660, 0x669 },   { 0x6F0, 0x6F9 },
                { 0x966, 0x96F }, { 0xFF10, 0xFF19 },
        };

        return in_ranges(r, digits, sizeof(digits) / sizeof(digits[0]));
}

bool
utf8_isprint(uint32_t r)
{
        /* controls, non-ASCII spaces, format characters, surrogates, private use and
         * non-characters: what strconv.IsPrint rejects among assigned code points */
        static const struct range nonprint[] = {
                { 0x00, 0x1F },          { 0x7F, 0xA0 },     { 0xAD, 0xAD },
                { 0x600, 0x605 },        { 0x61C, 0x61C },   { 0x6DD, 0x6DD },
                { 0x70F, 0x70F },        { 0x1680, 0x1680 }, { 0x180E, 0x180E },
                { 0x2000, 0x200F },      { 0x2028, 0x202F }, { 0x205F, 0x206F },
                { 0x3000, 0x3000 },      { 0xD800, 0xF8FF }, { 0xFEFF, 0xFEFF },
                { 0xFFF9, 0xFFFB },      { 0xFFFE, 0xFFFF }, { 0xE0001, 0xE007F },
                { 0xF0000, 0xFFFFFFFF },
        };

        return !in_ranges(r, nonprint, sizeof(nonprint) / sizeof(nonprint[0]));
}

size_t
utf8_lspace(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n) {
                uint32_t r;
                size_t len = utf8_decode(s + i, n - i, &r);

                if (!utf8_isspace(r))
                        break;
                i += len;
        }
        return i;
}

/* The last rune of s[0..n): step back over continuation bytes (at most 3) and decode. */
static size_t
last_rune(const char *s, size_t n, uint32_t *r)
{
        size_t start = n - 1;

        while (start > 0 && n - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
                start--;
        if (utf8_decode(s + start, n - start, r) != n - start) {
                *r = UTF8_BAD;
                return 1;
        }
        return n - start;
}

size_t
utf8_rspace(const char *s, size_t n)
{
        size_t end = n;

        while (end > 0) {
                uint32_t r;
                size_t len = last_rune(s, end, &r);

                if (!utf8_isspace(r))
                        break;
                end -= len;
        }
        return n - end;
}

static void
quote_escape(struct sbuf *sb, uint32_t r)
{
        static const char hex[] = "0123456789abcdef";
        static const char *const named[] = {
                ['\a'] = "\\a", ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
                ['\r'] = "\\r", ['\t'] = "\\t", ['\v'] = "\\v"
        };

        if (r < sizeof(named) / sizeof(named[0]) && named[r]) {
                sbuf_adds(sb, named[r]);
        } else if (r < 0x20 || r == 0x7F) {
                sbuf_addf(sb, "\\x%c%c", hex[r >> 4], hex[r & 15]);
        } else if (r < 0x10000) {
                sbuf_addf(sb, "\\u%04x", (unsigned)r);
        } else {
                sbuf_addf(sb, "\\U%08x", (unsigned)r);
        }
}

void
utf8_quote(struct sbuf *sb, const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";

        sbuf_addch(sb, '"');
        for (size_t i = 0; i < n;) {
                uint32_t r;
                size_t len = utf8_decode(s + i, n - i, &r);

                if (r == UTF8_BAD && len == 1) {
                        unsigned char b = (unsigned char)s[i];

                        sbuf_addf(sb, "\\x%c%c", hex[b >> 4], hex[b & 15]);
                } else if (r == '"' || r == '\\') {
                        sbuf_addch(sb, '\\');
                        sbuf_addch(sb, (char)r);
                } else if (utf8_isprint(r)) {
                        sbuf_add(sb, s + i, len);
                } else {
                        quote_escape(sb, r);
                }
                i += len;
        }
        sbuf_addch(sb, '"');
}
