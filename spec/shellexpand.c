/* shellexpand: docker's builder variable expansion ("shell lexer" of the Dockerfile frontend,
 * moby/buildkit frontend/dockerfile/shell), re-implemented rune for rune so that words expand
 * exactly as docker expands them. The lexer works on the decoded runes of the word; the
 * pattern operators (# ## % %% / //) use shell globs (*, ?, \* \? \\) matched with the
 * leftmost-first preference docker gets from Go's regexp package.
 */
#include "shellexpand.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "base/utf8.h"

#define EOF_RUNE (-1)

struct lex {
        const struct shellexpand *sx;
        int32_t esc;
        const uint32_t *r;
        size_t n, pos;
        bool raw_escapes;
        int depth;
        char msg[512]; /* why it failed, set once */
};

struct words {
        struct sbuf buf;
        char **v;
        bool in_word;
};

static int lex_fail(struct lex *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
lex_fail(struct lex *lx, const char *fmt, ...)
{
        va_list ap;

        if (lx->msg[0] == '\0') {
                va_start(ap, fmt);
                vsnprintf(lx->msg, sizeof(lx->msg), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int32_t
peek(const struct lex *lx)
{
        return lx->pos < lx->n ? (int32_t)lx->r[lx->pos] : EOF_RUNE;
}

static int32_t
next(struct lex *lx)
{
        return lx->pos < lx->n ? (int32_t)lx->r[lx->pos++] : EOF_RUNE;
}

static void
add_rune(struct sbuf *sb, int32_t r)
{
        utf8_add(sb, r < 0 ? UTF8_BAD : (uint32_t)r);
}

static int
check_size(struct lex *lx, const struct sbuf *sb)
{
        if (sb->len > SHELLEXPAND_MAX_BYTES)
                return lex_fail(lx, "result longer than %u bytes", SHELLEXPAND_MAX_BYTES);
        return 0;
}

/* --- field splitting (wordsStruct) --- */

static void
words_flush(struct words *w)
{
        if (w->buf.len > 0) {
                strv_push(&w->v, sbuf_detach(&w->buf));
                w->in_word = false;
        }
}

static void
words_add_raw(struct words *w, int32_t r)
{
        if (w) {
                add_rune(&w->buf, r);
                w->in_word = true;
        }
}

static void
words_add_char(struct words *w, int32_t r)
{
        if (!w)
                return;
        if (r >= 0 && utf8_isspace((uint32_t)r)) {
                if (w->in_word)
                        words_flush(w);
                return;
        }
        words_add_raw(w, r);
}

static void
words_add_string(struct words *w, const char *s, size_t n, bool raw)
{
        if (!w)
                return;
        if (raw) {
                sbuf_add(&w->buf, s, n);
                w->in_word = true;
                return;
        }
        for (size_t i = 0; i < n;) {
                uint32_t r;

                i += utf8_decode(s + i, n - i, &r);
                words_add_char(w, (int32_t)r);
        }
}

/* --- environment --- */

static const char *
get_env(struct lex *lx, const char *name)
{
        if (!lx->sx->lookup)
                return NULL;
        return lx->sx->lookup(lx->sx->ctx, name);
}

/* --- shell glob patterns for # % / (convertShellPatternToRegex) --- */

enum pat_kind {
        PAT_LIT,
        PAT_ANY,
        PAT_STAR
};

struct pat {
        enum pat_kind *kind;
        uint32_t *lit;
        size_t n;
        bool greedy;
};

static void
pat_release(struct pat *p)
{
        free(p->kind);
        free(p->lit);
}

static void
pat_push(struct pat *p, enum pat_kind k, uint32_t lit)
{
        p->kind[p->n] = k;
        p->lit[p->n] = lit;
        p->n++;
}

/* \} and \/ only protect the delimiters of ${...}: the backslash is not part of the
 * pattern. Any other escape must be \*, \? or \\. */
static int
pat_compile(struct lex *lx, const uint32_t *src, size_t n, bool greedy, struct pat *p)
{
        size_t i = 0;

        p->kind = xreallocarray(NULL, n + 1, sizeof(*p->kind));
        p->lit = xreallocarray(NULL, n + 1, sizeof(*p->lit));
        p->n = 0;
        p->greedy = greedy;
        if (n > 0 && src[0] == 0xFEFF)
                i++;
        for (; i < n; i++) {
                uint32_t c = src[i];

                if (c == '*') {
                        pat_push(p, PAT_STAR, 0);
                } else if (c == '?') {
                        pat_push(p, PAT_ANY, 0);
                } else if (c == '\\') {
                        if (i + 1 < n && (src[i + 1] == '}' || src[i + 1] == '/'))
                                continue;
                        if (i + 1 >= n ||
                            (src[i + 1] != '*' && src[i + 1] != '?' && src[i + 1] != '\\'))
                                return lex_fail(lx, "invalid escape in pattern");
                        pat_push(p, PAT_LIT, src[++i]);
                } else {
                        pat_push(p, PAT_LIT, c);
                }
        }
        return 0;
}

struct matcher {
        const struct pat *p;
        const uint32_t *v;
        size_t n;
        int32_t *memo;    /* (p->n + 1) x (n + 1): -2 unknown, -1 no match, else end index */
        size_t *line_end; /* for each index, the index of the next '\n' (or n) */
};

static int32_t match_at(struct matcher *m, size_t ti, size_t si);

/* A star matches any run of runes except '\n' (Go's ".*" / ".*?"); the greedy one prefers the
 * longest run, the lazy one the shortest. All states the scan passes through share the
 * answer, so they are memoised together and each (token, index) is solved once. */
static int32_t
match_star(struct matcher *m, size_t ti, size_t si)
{
        int32_t *memo = m->memo + ti * (m->n + 1);
        size_t maxk = m->line_end[si], k;
        int32_t res = -1;

        if (m->p->greedy) {
                /* longest first: the answer at k is the answer at k+1 unless that failed */
                for (k = si; k <= maxk && memo[k] == -2; k++)
                        ;
                if (k <= maxk)
                        res = memo[k];
                while (k-- > si) {
                        if (res < 0)
                                res = match_at(m, ti + 1, k);
                        memo[k] = res;
                }
                return res;
        }
        for (k = si; k <= maxk; k++) {
                if (memo[k] != -2) {
                        res = memo[k];
                        break;
                }
                res = match_at(m, ti + 1, k);
                if (res >= 0)
                        break;
        }
        for (size_t j = si; j <= k && j <= maxk; j++)
                memo[j] = res;
        return res;
}

static int32_t
match_at(struct matcher *m, size_t ti, size_t si)
{
        size_t w = m->n + 1;
        int32_t res;

        if (ti == m->p->n)
                return (int32_t)si;
        if (m->memo[ti * w + si] != -2)
                return m->memo[ti * w + si];
        switch (m->p->kind[ti]) {
        case PAT_STAR:
                return match_star(m, ti, si);
        case PAT_ANY:
                res = (si < m->n && m->v[si] != '\n') ? match_at(m, ti + 1, si + 1) : -1;
                break;
        default:
                res = (si < m->n && m->v[si] == m->p->lit[ti]) ? match_at(m, ti + 1, si + 1) : -1;
                break;
        }
        m->memo[ti * w + si] = res;
        return res;
}

static int
matcher_init(struct lex *lx, struct matcher *m, const struct pat *p, const uint32_t *v, size_t n)
{
        size_t cells = (p->n + 1) * (n + 1);

        if (p->n > SHELLEXPAND_MAX_PATTERN)
                return lex_fail(lx, "pattern longer than %u characters", SHELLEXPAND_MAX_PATTERN);
        if (n > SHELLEXPAND_MAX_MATCH || cells > SHELLEXPAND_MAX_MATCH)
                return lex_fail(lx, "pattern too complex for a value of %zu characters", n);
        m->p = p;
        m->v = v;
        m->n = n;
        m->memo = xreallocarray(NULL, cells, sizeof(int32_t));
        for (size_t i = 0; i < cells; i++)
                m->memo[i] = -2;
        m->line_end = xreallocarray(NULL, n + 1, sizeof(size_t));
        m->line_end[n] = n;
        for (size_t i = n; i-- > 0;)
                m->line_end[i] = v[i] == '\n' ? i : m->line_end[i + 1];
        return 0;
}

static void
matcher_release(struct matcher *m)
{
        free(m->memo);
        free(m->line_end);
}

/* find: the leftmost match starting at or after from, as [*ret_start, *ret_end), or false. */
static bool
matcher_find(struct matcher *m, size_t from, size_t *ret_start, size_t *ret_end)
{
        for (size_t s = from; s <= m->n; s++) {
                int32_t e = match_at(m, 0, s);

                if (e >= 0) {
                        *ret_start = s;
                        *ret_end = (size_t)e;
                        return true;
                }
        }
        return false;
}

/* decode s into runes plus the byte offset of each (off[n] = strlen(s)) */
static uint32_t *
runes_with_offsets(const char *s, size_t **ret_off, size_t *ret_n)
{
        size_t len = strlen(s), n = 0;
        uint32_t *r = xreallocarray(NULL, len + 1, sizeof(uint32_t));
        size_t *off = xreallocarray(NULL, len + 1, sizeof(size_t));

        for (size_t i = 0; i < len; n++) {
                off[n] = i;
                i += utf8_decode(s + i, len - i, &r[n]);
        }
        off[n] = len;
        *ret_off = off;
        *ret_n = n;
        return r;
}

static void
reverse_runes(uint32_t *v, size_t n)
{
        for (size_t i = 0; i < n / 2; i++) {
                uint32_t t = v[i];

                v[i] = v[n - 1 - i];
                v[n - 1 - i] = t;
        }
}

/* reverse a pattern keeping each escape in front of the character it escapes (a\*c -> c\*a) */
static void
reverse_pattern(uint32_t *p, size_t n)
{
        cleanup_free uint32_t *rp = xreallocarray(NULL, n + 1, sizeof(uint32_t));

        for (size_t i = 0; i < n;) {
                if (p[i] == '\\' && i + 1 < n) {
                        rp[n - 2 - i] = p[i];
                        rp[n - 1 - i] = p[i + 1];
                        i += 2;
                } else {
                        rp[n - 1 - i] = p[i];
                        i++;
                }
        }
        memcpy(p, rp, n * sizeof(uint32_t));
}

/* ${V#p} ${V##p}: drop the shortest/longest prefix matching p. ${V%p} ${V%%p} work on the
 * reversed value and pattern, which turns the suffix into a prefix (as docker does; the
 * reversal re-encodes the value, so invalid bytes come back as U+FFFD). */
static int
trim_affix(struct lex *lx, const char *pattern, const char *value, bool greedy, bool suffix,
           struct sbuf *out)
{
        size_t np, nv;
        cleanup_free size_t *off = NULL;
        cleanup_free uint32_t *p = utf8_runes(pattern, strlen(pattern), false, &np);
        cleanup_free uint32_t *v = runes_with_offsets(value, &off, &nv);
        struct pat pat = { 0 };
        struct matcher m = { 0 };
        int32_t end;
        int r;

        if (suffix) {
                reverse_pattern(p, np);
                reverse_runes(v, nv);
        }
        r = pat_compile(lx, p, np, greedy, &pat);
        if (r == 0)
                r = matcher_init(lx, &m, &pat, v, nv);
        if (r < 0) {
                pat_release(&pat);
                return r;
        }
        end = match_at(&m, 0, 0);
        if (end < 0)
                end = 0;
        if (suffix) {
                for (size_t i = nv; i-- > (size_t)end;)
                        utf8_add(out, v[i]);
        } else {
                sbuf_adds(out, value + off[end]);
        }
        matcher_release(&m);
        pat_release(&pat);
        return 0;
}

/* Go's regexp Expand for a regexp with no groups but the whole match: "$$" is "$", "$0" and
 * "${0}" the match, any other well-formed "$name" nothing, a malformed one a literal "$". */
static void
expand_template(struct sbuf *out, const char *t, const char *src, size_t m0, size_t m1)
{
        while (*t) {
                const char *dollar = strchr(t, '$');
                size_t i = 0;
                bool brace;

                if (!dollar) {
                        sbuf_adds(out, t);
                        return;
                }
                sbuf_add(out, t, (size_t)(dollar - t));
                t = dollar + 1;
                if (*t == '$') {
                        sbuf_addch(out, '$');
                        t++;
                        continue;
                }
                brace = *t == '{';
                const char *name = t + brace;
                while (name[i]) {
                        uint32_t r;
                        size_t len = utf8_decode(name + i, strlen(name + i), &r);

                        if (!utf8_isletter(r) && !utf8_isdigit(r) && r != '_')
                                break;
                        i += len;
                }
                if (i == 0 || (brace && name[i] != '}')) {
                        sbuf_addch(out, '$');
                        continue;
                }
                if (i == 1 && name[0] == '0')
                        sbuf_add(out, src + m0, m1 - m0);
                t = name + i + brace;
        }
}

/* ${V/p/r} and ${V//p/r}: replace the first / every leftmost match of p (stars greedy). */
static int
replace(struct lex *lx, const char *pattern, const char *repl, const char *value, bool all,
        struct sbuf *out)
{
        size_t np, nv, last = 0, pos = 0, a0, a1;
        cleanup_free size_t *off = NULL;
        cleanup_free uint32_t *p = utf8_runes(pattern, strlen(pattern), false, &np);
        cleanup_free uint32_t *v = runes_with_offsets(value, &off, &nv);
        struct pat pat = { 0 };
        struct matcher m = { 0 };
        int r;

        r = pat_compile(lx, p, np, true, &pat);
        if (r == 0)
                r = matcher_init(lx, &m, &pat, v, nv);
        if (r < 0) {
                pat_release(&pat);
                return r;
        }
        while (pos <= nv && matcher_find(&m, pos, &a0, &a1)) {
                sbuf_add(out, value + off[last], off[a0] - off[last]);
                if (!all) {
                        sbuf_adds(out, repl);
                        last = a1;
                        break;
                }
                /* an empty match right after a match is not replaced (Go's ReplaceAll) */
                if (a1 > last || a0 == 0)
                        expand_template(out, repl, value, off[a0], off[a1]);
                last = a1;
                pos = a1 > pos ? a1 : pos + 1;
                r = check_size(lx, out);
                if (r < 0)
                        break;
        }
        if (r == 0)
                sbuf_adds(out, value + off[last]);
        matcher_release(&m);
        pat_release(&pat);
        return r;
}

/* --- the lexer (shellWord) --- */

static int stop_on(struct lex *lx, int32_t stop, bool raw_escapes, struct sbuf *res,
                   struct words *w);

/* $@ $* $# $? $- $$ $! $0: special parameters, never set in a Dockerfile */
static bool
is_special_param(int32_t c)
{
        return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
               c == '0';
}

static void
process_name(struct lex *lx, struct sbuf *name)
{
        while (peek(lx) != EOF_RUNE) {
                int32_t c = peek(lx);

                if (name->len == 0 && utf8_isdigit((uint32_t)c)) {
                        while (peek(lx) != EOF_RUNE && utf8_isdigit((uint32_t)peek(lx)))
                                add_rune(name, next(lx));
                        return;
                }
                if (name->len == 0 && is_special_param(c)) {
                        add_rune(name, next(lx));
                        return;
                }
                if (!utf8_isletter((uint32_t)c) &&
                    !utf8_isdigit((uint32_t)c) && c != '_')
                        return;
                add_rune(name, next(lx));
        }
}

static int
modifier_error(struct lex *lx, const char *chs)
{
        return lex_fail(lx, "unsupported modifier (%s) in substitution", chs);
}

/* ${V-w} ${V:-w} ${V+w} ${V:+w} ${V?w} ${V:?w} ${V#p} ${V##p} ${V%p} ${V%%p}, after the
 * operator (op) has been read; null_is_unset for the ':' forms. Like docker, an unknown
 * operator after ':' is only rejected once its word has been read. */
static int
dollar_modifier(struct lex *lx, const char *name, int32_t op, bool null_is_unset, const char *chs,
                struct sbuf *out)
{
        cleanup_sbuf struct sbuf word = SBUF_INIT;
        bool pattern_op = op == '#' || op == '%';
        const char *value;
        int r;

        if (null_is_unset && pattern_op)
                return modifier_error(lx, chs);
        r = stop_on(lx, '}', pattern_op, &word, NULL);
        if (r < 0) {
                if (peek(lx) == EOF_RUNE) {
                        lx->msg[0] = '\0';
                        return lex_fail(lx, "syntax error: missing '}'");
                }
                return r;
        }
        value = get_env(lx, name);
        if (lx->sx->skip_unset && !value) {
                sbuf_addf(out, "${%s%s%s}", name, chs, word.buf);
                return 0;
        }
        bool empty = !value || (null_is_unset && value[0] == '\0');
        switch (op) {
        case '-':
                sbuf_adds(out, empty ? word.buf : value);
                return 0;
        case '+':
                sbuf_adds(out, empty ? "" : word.buf);
                return 0;
        case '?':
                if (!value)
                        return lex_fail(lx, "%s: %s", name,
                                        word.len ? word.buf : "is not allowed to be unset");
                if (empty)
                        return lex_fail(lx, "%s: %s", name,
                                        word.len ? word.buf : "is not allowed to be empty");
                sbuf_adds(out, value);
                return 0;
        case '#':
        case '%': {
                bool greedy = word.len > 0 && word.buf[0] == (char)op;

                return trim_affix(lx, word.buf + greedy, value ? value : "", greedy, op == '%',
                                  out);
        }
        default:
                return modifier_error(lx, chs);
        }
}

/* ${V/p/r} ${V//p/r}, after the first '/' */
static int
dollar_replace(struct lex *lx, const char *name, struct sbuf *out)
{
        cleanup_sbuf struct sbuf pattern = SBUF_INIT;
        cleanup_sbuf struct sbuf repl = SBUF_INIT;
        bool all = peek(lx) == '/';
        const char *value;
        int r;

        if (all)
                next(lx);
        r = stop_on(lx, '/', true, &pattern, NULL);
        if (r < 0) {
                if (peek(lx) == EOF_RUNE) {
                        lx->msg[0] = '\0';
                        return lex_fail(lx, "syntax error: missing '/' in ${}");
                }
                return r;
        }
        r = stop_on(lx, '}', true, &repl, NULL);
        if (r < 0) {
                if (peek(lx) == EOF_RUNE) {
                        lx->msg[0] = '\0';
                        return lex_fail(lx, "syntax error: missing '}'");
                }
                return r;
        }
        value = get_env(lx, name);
        if (lx->sx->skip_unset && !value) {
                sbuf_addf(out, "${%s/%s/%s}", name, pattern.buf, repl.buf);
                return 0;
        }
        return replace(lx, pattern.buf, repl.buf, value ? value : "", all, out);
}

static int
dollar_braced(struct lex *lx, struct sbuf *out)
{
        cleanup_sbuf struct sbuf name = SBUF_INIT;
        cleanup_sbuf struct sbuf chs = SBUF_INIT;
        bool null_is_unset = false;
        const char *value;
        int32_t c;

        next(lx); /* '{' */
        c = peek(lx);
        if (c == EOF_RUNE)
                return lex_fail(lx, "syntax error: missing '}'");
        if (c == '{' || c == '}' || c == ':')
                return lex_fail(lx, "syntax error: bad substitution");
        process_name(lx, &name);
        c = next(lx);
        if (c == EOF_RUNE) /* docker says "unsupported modifier (\ufffd)"; same failure */
                return lex_fail(lx, "syntax error: missing '}'");
        add_rune(&chs, c);
        switch (c) {
        case '}':
                value = get_env(lx, name.buf);
                if (!value && lx->sx->skip_unset)
                        sbuf_addf(out, "${%s}", name.buf);
                else
                        sbuf_adds(out, value ? value : "");
                return 0;
        case ':':
                null_is_unset = true;
                c = next(lx);
                add_rune(&chs, c);
                return dollar_modifier(lx, name.buf, c, null_is_unset, chs.buf, out);
        case '+':
        case '-':
        case '?':
        case '#':
        case '%':
                return dollar_modifier(lx, name.buf, c, null_is_unset, chs.buf, out);
        case '/':
                return dollar_replace(lx, name.buf, out);
        default:
                return modifier_error(lx, chs.buf);
        }
}

static int
process_dollar(struct lex *lx, struct sbuf *out)
{
        cleanup_sbuf struct sbuf name = SBUF_INIT;
        const char *value;
        int r;

        next(lx); /* '$' */
        if (peek(lx) == '{') {
                if (++lx->depth > SHELLEXPAND_MAX_DEPTH)
                        return lex_fail(lx, "more than %d nested ${...}", SHELLEXPAND_MAX_DEPTH);
                r = dollar_braced(lx, out);
                lx->depth--;
                return r;
        }
        process_name(lx, &name);
        if (name.len == 0) {
                sbuf_addch(out, '$');
                return 0;
        }
        value = get_env(lx, name.buf);
        if (!value && lx->sx->skip_unset) {
                sbuf_addch(out, '$');
                sbuf_adds(out, name.buf);
                return 0;
        }
        sbuf_adds(out, value ? value : "");
        return 0;
}

/* '...': everything literal up to the next single quote; it cannot be escaped. */
static int
single_quote(struct lex *lx, struct sbuf *out)
{
        int32_t c = next(lx);

        if (lx->sx->raw_quotes)
                add_rune(out, c);
        for (;;) {
                c = next(lx);
                if (c == EOF_RUNE)
                        return lex_fail(lx, "unexpected end of statement while looking for "
                                            "matching single-quote");
                if (c == '\'') {
                        if (lx->sx->raw_quotes)
                                add_rune(out, c);
                        return 0;
                }
                add_rune(out, c);
        }
}

/* "...": $ expands; the escape character escapes only ", $ and itself. */
static int
double_quote(struct lex *lx, struct sbuf *out)
{
        int32_t c = next(lx);

        if (lx->sx->raw_quotes)
                add_rune(out, c);
        for (;;) {
                c = peek(lx);
                if (c == EOF_RUNE)
                        return lex_fail(lx, "unexpected end of statement while looking for "
                                            "matching double-quote");
                if (c == '"') {
                        next(lx);
                        if (lx->sx->raw_quotes)
                                add_rune(out, c);
                        return 0;
                }
                if (c == '$') {
                        int r = process_dollar(lx, out);

                        if (r < 0)
                                return r;
                        continue;
                }
                c = next(lx);
                if (c == lx->esc) {
                        int32_t p = peek(lx);

                        if (lx->raw_escapes)
                                add_rune(out, c);
                        if (p == EOF_RUNE)
                                continue;
                        if (p == '"' || p == '$' || p == lx->esc)
                                c = next(lx);
                }
                add_rune(out, c);
        }
}

/* "<<" and the blanks after it stay glued to the heredoc word that follows. */
static void
possible_heredoc(struct lex *lx, struct sbuf *out)
{
        next(lx);
        sbuf_addch(out, '<');
        if (peek(lx) != '<')
                return;
        next(lx);
        sbuf_addch(out, '<');
        while (peek(lx) == '\t' || peek(lx) == '\r' || peek(lx) == ' ')
                add_rune(out, next(lx));
}

static int
special(struct lex *lx, int32_t c, struct sbuf *res, struct words *w)
{
        cleanup_sbuf struct sbuf tmp = SBUF_INIT;
        int r = 0;

        if (c == '$')
                r = process_dollar(lx, &tmp);
        else if (c == '<')
                possible_heredoc(lx, &tmp);
        else if (c == '\'')
                r = single_quote(lx, &tmp);
        else
                r = double_quote(lx, &tmp);
        if (r < 0)
                return r;
        sbuf_add(res, tmp.buf, tmp.len);
        words_add_string(w, tmp.buf, tmp.len, c != '$');
        return check_size(lx, res);
}

/* processStopOn: read up to stop (not included in the result; EOF_RUNE = end of input). */
static int
stop_on(struct lex *lx, int32_t stop, bool raw_escapes, struct sbuf *res, struct words *w)
{
        bool saved = lx->raw_escapes;
        int r = 0;

        lx->raw_escapes = raw_escapes;
        while (peek(lx) != EOF_RUNE) {
                int32_t c = peek(lx);

                if (stop != EOF_RUNE && c == stop) {
                        next(lx);
                        goto out;
                }
                if (c == '$' || c == '<' || (!lx->sx->skip_quotes && (c == '\'' || c == '"'))) {
                        r = special(lx, c, res, w);
                        if (r < 0)
                                goto out;
                        continue;
                }
                c = next(lx);
                if (c == lx->esc) {
                        if (lx->raw_escapes) {
                                words_add_raw(w, c);
                                add_rune(res, c);
                        }
                        c = next(lx);
                        if (c == EOF_RUNE)
                                break;
                        words_add_raw(w, c);
                } else {
                        words_add_char(w, c);
                }
                add_rune(res, c);
        }
        if (stop != EOF_RUNE)
                r = lex_fail(lx, "unexpected end of statement while looking for matching %c",
                             (char)stop);
out:
        lx->raw_escapes = saved;
        return r;
}

static int
run(const struct shellexpand *sx, const char *word, struct sbuf *res, struct words *w,
    struct err *err)
{
        size_t len = strlen(word);
        cleanup_free uint32_t *runes = NULL;
        struct lex lx = { .sx = sx, .esc = sx->escape ? (int32_t)sx->escape : '\\' };
        int r;

        if (len > SHELLEXPAND_MAX_BYTES)
                return err_setf(err, -EINVAL,
                                "failed to process a word of %zu bytes: longer "
                                "than %u bytes",
                                len, SHELLEXPAND_MAX_BYTES);
        runes = utf8_runes(word, len, true, &lx.n);
        lx.r = runes;
        lx.raw_escapes = sx->raw_escapes;
        r = stop_on(&lx, EOF_RUNE, sx->raw_escapes, res, w);
        if (r < 0)
                return err_setf(err, r, "failed to process \"%s\": %s", word, lx.msg);
        return 0;
}

int
shellexpand_word(const struct shellexpand *sx, const char *word, char **ret, struct err *err)
{
        cleanup_sbuf struct sbuf res = SBUF_INIT;
        int r = run(sx, word, &res, NULL, err);

        if (r < 0)
                return r;
        *ret = sbuf_detach(&res);
        return 0;
}

int
shellexpand_words(const struct shellexpand *sx, const char *word, char ***ret, struct err *err)
{
        cleanup_sbuf struct sbuf res = SBUF_INIT;
        struct words w = { .buf = SBUF_INIT };
        int r = run(sx, word, &res, &w, err);

        if (r < 0) {
                sbuf_release(&w.buf);
                strv_free(w.v);
                return r;
        }
        words_flush(&w);
        sbuf_release(&w.buf);
        if (!w.v)
                w.v = xcalloc(1, sizeof(char *));
        *ret = w.v;
        return 0;
}
