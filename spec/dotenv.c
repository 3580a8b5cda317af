/* dotenv: the .env file format compose reads (compose-go dotenv/parser.go is the reference,
 * docker/cli pkg/kvfile for `format: raw`).
 *
 * The parser walks the text statement by statement rather than line by line, because
 * quoted values may span lines; it counts newlines as it goes so that errors carry the line
 * of the statement. Quirks kept from compose-go, which users' files rely on:
 *  - a comment after an unquoted value needs a blank before the '#' ("a#b" keeps "#b");
 *  - inside double quotes the backslash pass runs twice: the scan turns \" into " and keeps
 *    every other pair, then the escape pass expands \n \r \t \a \b \f \v \\ \" \$ and
 *    \0NNN (exactly three octal digits, else kept literally);
 *  - `\$` becomes "$$" so that interpolation keeps a literal '$';
 *  - text after a closing quote on the same line starts a new statement (a '#' there is a
 *    comment).
 * Interpolation resolves names through the caller's lookup first, then through the keys
 * already parsed into the output env (compose's GetEnvFromFile order).
 */
#include "dotenv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"

struct dparser {
        const char *s;
        size_t n, i; /* input length and cursor */
        int line;    /* line of s[i], 1-based */
        const char *file;
        interp_lookup_fn lookup;
        void *ctx;
        struct env *out;
        struct err *err;
};

static const char *
file_name(const char *file)
{
        return file ? file : "<input>";
}

static int perr(const struct dparser *p, int line, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int
perr(const struct dparser *p, int line, int code, const char *fmt, ...)
{
        cleanup_free char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        return err_setf(p->err, code, "%s:%d: %s", file_name(p->file), line, msg);
}

/* is_blank: compose-go's isSpace, a blank that is not a line break (ASCII only: the
 * multi-byte U+0085 and U+00A0 are not treated as blanks). */
static bool
is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static bool
is_key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-' || c == '[' || c == ']' || (unsigned char)c >= 0x80;
}

/* combined_lookup: the caller's environment first, then what this parse has set. */
static const char *
combined_lookup(void *ctx, const char *name)
{
        const struct dparser *p = ctx;
        const char *v = p->lookup ? p->lookup(p->ctx, name) : NULL;

        return v ? v : env_get(p->out, name);
}

/* skip_to_statement: skip whitespace and comment lines, counting line breaks. */
static void
skip_to_statement(struct dparser *p)
{
        while (p->i < p->n) {
                char c = p->s[p->i];

                if (c == '#') {
                        const char *nl = memchr(p->s + p->i, '\n', p->n - p->i);

                        p->i = nl ? (size_t)(nl - p->s) : p->n;
                        continue;
                }
                if (!is_blank(c) && c != '\n')
                        return;
                if (c == '\n')
                        p->line++;
                p->i++;
        }
}

/* first_line: the rest of the current line from `from`, quoted, for messages. */
static char *
first_line(const struct dparser *p, size_t from)
{
        const char *nl = memchr(p->s + from, '\n', p->n - from);
        size_t len = nl ? (size_t)(nl - (p->s + from)) : p->n - from;
        struct sbuf sb = SBUF_INIT;

        interp_quote(&sb, p->s + from, len);
        return sbuf_detach(&sb);
}

static int
bad_key_char(const struct dparser *p, size_t start, size_t at)
{
        cleanup_free char *text = first_line(p, start);
        cleanup_sbuf struct sbuf ch = SBUF_INIT;

        interp_quote(&ch, p->s + at, 1);
        return perr(p, p->line, -EINVAL,
                    "parse error (invalid line): unexpected character %s in variable name %s",
                    ch.buf, text);
}

/* parse_key: read `[export ]KEY` up to '=', ':' or the line end (*ret_inherited: a bare
 * KEY). Leaves the cursor after the separator and the blanks that follow it. */
static int
parse_key(struct dparser *p, char **ret_key, bool *ret_inherited)
{
        size_t start, end, i;
        bool inherited = false;

        if (p->n - p->i > 6 && memcmp(p->s + p->i, "export", 6) == 0 && is_blank(p->s[p->i + 6])) {
                p->i += 6;
                while (p->i < p->n && is_blank(p->s[p->i]))
                        p->i++;
        }
        start = i = p->i;
        while (i < p->n && p->s[i] != '=' && p->s[i] != ':' && p->s[i] != '\n') {
                if (!is_blank(p->s[i]) && !is_key_char(p->s[i]))
                        return bad_key_char(p, start, i);
                i++;
        }
        inherited = i >= p->n || p->s[i] == '\n';
        end = i;
        while (end > start && is_blank(p->s[end - 1]))
                end--;
        if (end == start)
                return perr(p, p->line, -EINVAL,
                            "parse error (invalid line): missing variable name");
        if (end - start > DOTENV_MAX_KEY)
                return perr(p, p->line, -EINVAL, "variable name longer than %d bytes",
                            DOTENV_MAX_KEY);
        for (size_t k = start; k < end; k++)
                if (is_blank(p->s[k]))
                        return perr(p, p->line, -EINVAL, "key cannot contain a space");
        p->i = inherited ? i : i + 1;
        while (!inherited && p->i < p->n && is_blank(p->s[p->i]))
                p->i++;
        *ret_key = xstrndup(p->s + start, end - start);
        *ret_inherited = inherited;
        return 0;
}

static void
add_utf8(struct sbuf *sb, unsigned cp)
{
        if (cp < 0x80) {
                sbuf_addch(sb, (char)cp);
                return;
        }
        sbuf_addch(sb, (char)(0xc0 | (cp >> 6)));
        sbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
}

/* octal_escape: s[0..n) starts with "\0"; append its expansion, return the bytes used.
 * Only \0 followed by exactly three octal digits worth at most 0377 is a character;
 * anything else (\0, \01, \0129, \0400) is kept literally, as compose-go does. */
static size_t
octal_escape(const char *s, size_t n, struct sbuf *out)
{
        size_t d = 0;
        unsigned v = 0;
        bool octal = true;

        while (d < 3 && 2 + d < n && s[2 + d] >= '0' && s[2 + d] <= '9') {
                octal = octal && s[2 + d] <= '7';
                v = v * 8 + (unsigned)(s[2 + d] - '0');
                d++;
        }
        if (d == 3 && octal && v <= 0377)
                add_utf8(out, v);
        else
                sbuf_add(out, s, 2 + d);
        return 2 + d;
}

/* expand_escapes: the escape pass over a double-quoted value. */
static void
expand_escapes(const char *s, size_t n, struct sbuf *out)
{
        static const char from[] = "abfnrtv\"\\";
        static const char to[] = "\a\b\f\n\r\t\v\"\\";

        for (size_t i = 0; i < n;) {
                const char *hit = i + 1 < n && s[i] == '\\' ? strchr(from, s[i + 1]) : NULL;

                if (i + 1 < n && s[i] == '\\' && s[i + 1] == '0') {
                        i += octal_escape(s + i, n - i, out);
                } else if (i + 1 < n && s[i] == '\\' && s[i + 1] == '$') {
                        sbuf_adds(out, "$$");
                        i += 2;
                } else if (hit && *hit) {
                        sbuf_addch(out, to[hit - from]);
                        i += 2;
                } else {
                        sbuf_addch(out, s[i++]);
                }
        }
}

static int
interpolate(struct dparser *p, int line, const char *raw, char **ret)
{
        struct interp_opts o = { .lookup = combined_lookup, .ctx = p };
        struct err local = { 0 };
        int r = interp_string(raw, &o, ret, &local);

        if (r < 0)
                return perr(p, line, r, "%s", local.msg);
        return 0;
}

static int
parse_unquoted(struct dparser *p, char **ret)
{
        size_t start = p->i;
        const char *nl = memchr(p->s + start, '\n', p->n - start);
        size_t end = nl ? (size_t)(nl - p->s) : p->n;
        cleanup_free char *raw = NULL;

        p->i = end; /* the line break is left to skip_to_statement, which counts it */
        for (size_t k = start; k + 1 < end; k++) {
                if (p->s[k] == ' ' && p->s[k + 1] == '#') {
                        end = k;
                        break;
                }
        }
        while (end > start && is_blank(p->s[end - 1]))
                end--;
        raw = xstrndup(p->s + start, end - start);
        return interpolate(p, p->line, raw, ret);
}

/* scan_quoted: collect a quoted value; \<quote> gives the quote, other pairs stay. */
static int
scan_quoted(struct dparser *p, struct sbuf *val)
{
        size_t open = p->i;
        char q = p->s[open];
        int line0 = p->line;
        bool esc = false;
        cleanup_free char *text = NULL;

        for (size_t i = open + 1; i < p->n; i++) {
                char c = p->s[i];

                if (c == '\n')
                        p->line++;
                if (esc) {
                        esc = false;
                        if (c != q)
                                sbuf_addch(val, '\\');
                        sbuf_addch(val, c);
                } else if (c == '\\') {
                        esc = true;
                } else if (c == q) {
                        p->i = i + 1;
                        return 0;
                } else {
                        sbuf_addch(val, c);
                }
        }
        p->line = line0;
        text = first_line(p, open);
        return perr(p, line0, -EINVAL, "unterminated quoted value %s", text);
}

static int
parse_quoted(struct dparser *p, char **ret)
{
        cleanup_sbuf struct sbuf val = SBUF_INIT;
        cleanup_sbuf struct sbuf esc = SBUF_INIT;
        char q = p->s[p->i];
        int line0 = p->line;
        int r = scan_quoted(p, &val);

        if (r < 0)
                return r;
        if (q == '\'') {
                *ret = sbuf_detach(&val);
                return 0;
        }
        expand_escapes(val.buf, val.len, &esc);
        return interpolate(p, line0, esc.buf, ret);
}

/* parse_statement: one KEY=VALUE (or bare KEY) at the cursor. */
static int
parse_statement(struct dparser *p)
{
        cleanup_free char *key = NULL;
        cleanup_free char *value = NULL;
        bool inherited = false;
        int r = parse_key(p, &key, &inherited);

        if (r < 0)
                return r;
        if (inherited) {
                const char *v = combined_lookup(p, key);

                if (v)
                        env_set(p->out, key, v);
                return 0;
        }
        if (p->i < p->n && (p->s[p->i] == '"' || p->s[p->i] == '\''))
                r = parse_quoted(p, &value);
        else
                r = parse_unquoted(p, &value);
        if (r < 0)
                return r;
        env_set(p->out, key, value);
        return 0;
}

static size_t
bom_len(const char *buf, size_t len)
{
        return len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* check_input: the size cap, and no NUL byte (values become C strings). */
static int
check_input(const char *buf, size_t len, const char *file, struct err *err)
{
        const char *nul = memchr(buf, '\0', len);
        int line = 1;

        if (len > DOTENV_MAX_BYTES)
                return err_setf(err, -EFBIG, "%s: larger than %d bytes", file_name(file),
                                DOTENV_MAX_BYTES);
        if (!nul)
                return 0;
        for (const char *c = buf; c < nul; c++)
                line += *c == '\n';
        return err_setf(err, -EINVAL, "%s:%d: NUL byte in input", file_name(file), line);
}

int
dotenv_parse(const char *buf, size_t len, const char *file, interp_lookup_fn lookup, void *ctx,
             struct env *out, struct err *err)
{
        struct dparser p = {
                .s = buf,
                .n = len,
                .line = 1,
                .file = file,
                .lookup = lookup,
                .ctx = ctx,
                .out = out,
                .err = err,
        };
        int r = check_input(buf, len, file, err);

        if (r < 0)
                return r;
        p.i = bom_len(buf, len);
        for (;;) {
                skip_to_statement(&p);
                if (p.i >= p.n)
                        return 0;
                r = parse_statement(&p);
                if (r < 0)
                        return r;
        }
}

/* ---- format: raw ---- */

/* utf8_valid: well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF),
 * as Go's utf8.Valid. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t k = c < 0x80                 ? 1
                           : c >= 0xc2 && c <= 0xdf ? 2
                           : c >= 0xe0 && c <= 0xef ? 3
                           : c >= 0xf0 && c <= 0xf4 ? 4
                                                    : 0;
                unsigned char lo = 0x80, hi = 0xbf;

                if (k == 0 || i + k > n)
                        return false;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
                else if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
                for (size_t j = 1; j < k; j++) {
                        if (s[i + j] < (j == 1 ? lo : 0x80) || s[i + j] > (j == 1 ? hi : 0xbf))
                                return false;
                }
                i += k;
        }
        return true;
}

/* trim_quotes: drop one pair of matching surrounding quotes (docker's kvfile). */
static char *
trim_quotes(const char *v, size_t n)
{
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
                return xstrndup(v + 1, n - 2);
        return xstrndup(v, n);
}

static bool
is_space(char c)
{
        return is_blank(c) || c == '\n';
}

static int
raw_line(struct dparser *p, const char *s, size_t n)
{
        const char *eq;
        cleanup_free char *key = NULL;
        cleanup_free char *value = NULL;

        if (!utf8_valid((const unsigned char *)s, n))
                return perr(p, p->line, -EINVAL, "invalid UTF-8");
        while (n && is_space(*s))
                s++, n--;
        if (n == 0 || *s == '#')
                return 0;
        eq = memchr(s, '=', n);
        key = xstrndup(s, eq ? (size_t)(eq - s) : n);
        if (!*key)
                return perr(p, p->line, -EINVAL, "no variable name on line");
        if (strpbrk(key, " \t"))
                return perr(p, p->line, -EINVAL, "variable '%s' contains whitespaces", key);
        if (eq) {
                value = trim_quotes(eq + 1, n - (size_t)(eq + 1 - s));
        } else {
                const char *v = combined_lookup(p, key);

                if (!v)
                        return 0;
                value = trim_quotes(v, strlen(v));
        }
        env_set(p->out, key, value);
        return 0;
}

int
dotenv_parse_raw(const char *buf, size_t len, const char *file, interp_lookup_fn lookup, void *ctx,
                 struct env *out, struct err *err)
{
        struct dparser p = {
                .s = buf,
                .n = len,
                .file = file,
                .lookup = lookup,
                .ctx = ctx,
                .out = out,
                .err = err,
        };
        size_t i = bom_len(buf, len);
        int r = check_input(buf, len, file, err);

        while (r == 0 && i < len) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t n = (nl ? (size_t)(nl - buf) : len) - i;
                size_t next = i + n + 1;

                p.line++;
                if (n > DOTENV_MAX_LINE)
                        return perr(&p, p.line, -EINVAL, "line longer than %d bytes",
                                    DOTENV_MAX_LINE);
                if (n && buf[i + n - 1] == '\r')
                        n--;
                r = raw_line(&p, buf + i, n);
                i = next;
        }
        return r;
}

int
dotenv_read(const char *path, bool raw, interp_lookup_fn lookup, void *ctx, struct env *out,
            struct err *err)
{
        cleanup_free char *buf = NULL;
        size_t len = 0;
        int r = fs_read_capped(path, DOTENV_MAX_BYTES, &buf, &len, err);

        if (r < 0)
                return r;
        if (raw)
                return dotenv_parse_raw(buf, len, path, lookup, ctx, out, err);
        return dotenv_parse(buf, len, path, lookup, ctx, out, err);
}
