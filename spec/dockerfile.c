/* dockerfile: the Dockerfile parser, following docker's builder parser (moby/buildkit
 * frontend/dockerfile/parser) line for line: physical lines are read with their endings,
 * parser directives are recognised in the leading comment block, comment and blank lines
 * are skipped, continuation lines are joined (escape token removed, no space inserted,
 * comment lines and blank lines inside dropped), then each logical line is split into
 * keyword, --flags and arguments, and heredoc bodies are read after the line that names them.
 *
 * Deliberate differences from docker: a NUL byte in the file is an error; --flag words and
 * the HEALTHCHECK type are split on ASCII white space and their non-ASCII bytes are kept as
 * they are (docker re-encodes each byte as a Latin-1 rune); keywords are lower-cased in ASCII.
 */
#include "dockerfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "dockerfile_json.h"
#include "base/utf8.h"
#include "shellexpand.h"

struct parser {
        const char *name;
        struct dockerfile_limits lim;
        const char *text;
        size_t len, pos;
        int line; /* number of the last physical line read */
        char esc;
        bool dir_done; /* the directive block is over */
        unsigned dir_seen;
        struct dockerfile *df;
        struct err *err;
};

static const char *const cmd_names[] = {
        [DF_UNKNOWN] = "",        [DF_ADD] = "ADD",
        [DF_ARG] = "ARG",         [DF_CMD] = "CMD",
        [DF_COPY] = "COPY",       [DF_ENTRYPOINT] = "ENTRYPOINT",
        [DF_ENV] = "ENV",         [DF_EXPOSE] = "EXPOSE",
        [DF_FROM] = "FROM",       [DF_HEALTHCHECK] = "HEALTHCHECK",
        [DF_LABEL] = "LABEL",     [DF_MAINTAINER] = "MAINTAINER",
        [DF_ONBUILD] = "ONBUILD", [DF_RUN] = "RUN",
        [DF_SHELL] = "SHELL",     [DF_STOPSIGNAL] = "STOPSIGNAL",
        [DF_USER] = "USER",       [DF_VOLUME] = "VOLUME",
        [DF_WORKDIR] = "WORKDIR",
};

const char *
dockerfile_cmd_name(enum df_cmd cmd)
{
        if ((size_t)cmd >= ARRAY_SIZE(cmd_names))
                return "";
        return cmd_names[cmd];
}

enum df_cmd
dockerfile_cmd_lookup(const char *keyword)
{
        for (size_t i = 1; i < ARRAY_SIZE(cmd_names); i++)
                if (strcasecmp(keyword, cmd_names[i]) == 0)
                        return (enum df_cmd)i;
        return DF_UNKNOWN;
}

static int perr(struct parser *p, int line, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int
perr(struct parser *p, int line, int code, const char *fmt, ...)
{
        char msg[ERR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return err_setf(p->err, code, "%s:%d: %s", p->name, line, msg);
}

/* --- instructions --- */

void
dockerfile_heredoc_release(struct df_heredoc *h)
{
        free(h->name);
        free(h->content);
        memset(h, 0, sizeof(*h));
}

void
dockerfile_instr_release(struct df_instr *in)
{
        free(in->keyword);
        free(in->original);
        strv_free(in->flags);
        strv_free(in->args);
        free(in->arglen);
        if (in->sub) {
                dockerfile_instr_release(in->sub);
                free(in->sub);
        }
        for (size_t i = 0; i < in->nheredocs; i++)
                dockerfile_heredoc_release(&in->heredocs[i]);
        free(in->heredocs);
        memset(in, 0, sizeof(*in));
}

struct dockerfile *
dockerfile_free(struct dockerfile *df)
{
        if (!df)
                return NULL;
        for (size_t i = 0; i < df->n; i++)
                dockerfile_instr_release(&df->instrs[i]);
        free(df->instrs);
        free(df->name);
        free(df->syntax);
        free(df->check);
        strv_free(df->warnings);
        free(df);
        return NULL;
}

/* args may hold NUL bytes (JSON "\u0000"): copy n bytes, not up to the first NUL */
static void
arg_push(struct df_instr *in, const char *s, size_t n)
{
        char *copy = xmalloc(n + 1);

        memcpy(copy, s, n);
        copy[n] = '\0';
        in->arglen = xreallocarray(in->arglen, in->nargs + 1, sizeof(size_t));
        in->arglen[in->nargs++] = n;
        strv_push(&in->args, copy);
}

/* docker's reWhitespace: [\t\v\f\r ] */
static bool
is_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* ASCII part of unicode.IsSpace, for the byte-wise loops */
static bool
is_ascii_space(char c)
{
        return is_ws(c) || c == '\n';
}

/* split on runs of [\t\v\f\r ] (docker's parseStringsWhitespaceDelimited) */
static void
split_ws(struct df_instr *in, const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0)
                return;
        for (;;) {
                size_t j = i;

                while (j < n && !is_ws(s[j]))
                        j++;
                arg_push(in, s + i, j - i);
                if (j == n)
                        return;
                while (j < n && is_ws(s[j]))
                        j++;
                i = j;
        }
}

enum {
        W_SPACES,
        W_WORD,
        W_QUOTE
};

struct wordsplit {
        struct sbuf sb;
        char **v;
        int phase;
        uint32_t quote;
        bool blank_ok;
};

static void
ws_end_word(struct wordsplit *w)
{
        if (w->blank_ok || w->sb.len > 0)
                strv_push(&w->v, xstrndup(w->sb.buf, w->sb.len));
        sbuf_reset(&w->sb);
        w->blank_ok = false;
}

/* docker's parseWords: words split on white space, but quoted runs and escape+char stay in
 * the word; quotes and escapes are kept (they are removed later, by expansion). Runes are
 * re-encoded, so invalid UTF-8 becomes U+FFFD as in docker. */
static char **
parse_words(const char *s, size_t n, char esc)
{
        struct wordsplit w = { .sb = SBUF_INIT, .phase = W_SPACES };

        for (size_t pos = 0; pos < n;) {
                uint32_t ch;
                size_t cw = utf8_decode(s + pos, n - pos, &ch);

                pos += cw;
                if (w.phase == W_SPACES) {
                        if (utf8_isspace(ch))
                                continue;
                        w.phase = W_WORD;
                }
                if (w.phase == W_WORD && utf8_isspace(ch)) {
                        w.phase = W_SPACES;
                        ws_end_word(&w);
                        continue;
                }
                if (w.phase == W_WORD && (ch == '\'' || ch == '"')) {
                        w.quote = ch;
                        w.blank_ok = true;
                        w.phase = W_QUOTE;
                } else if (w.phase == W_QUOTE && ch == w.quote) {
                        w.phase = W_WORD;
                } else if (ch == (uint32_t)(unsigned char)esc &&
                           (w.phase == W_WORD || w.quote != '\'')) {
                        if (pos == n) {
                                w.phase = W_WORD;
                                break; /* an escape at the very end is dropped */
                        }
                        utf8_add(&w.sb, ch);
                        pos += utf8_decode(s + pos, n - pos, &ch);
                }
                utf8_add(&w.sb, ch);
        }
        if (w.phase != W_SPACES)
                ws_end_word(&w);
        sbuf_release(&w.sb);
        return w.v;
}

/* docker's extractBuilderFlags: leading words starting with "--" are flags (quotes removed,
 * escape+char kept as char); a bare "--" ends them. Returns where the arguments start. */
static size_t
extract_flags(const char *s, size_t n, char esc, char ***flags)
{
        struct wordsplit w = { .sb = SBUF_INIT, .phase = W_SPACES };
        size_t pos, rest = n;

        for (pos = 0; pos < n; pos++) {
                char ch = s[pos];

                if (w.phase == W_SPACES) {
                        if (is_ascii_space(ch))
                                continue;
                        if (ch != '-' || pos + 1 == n || s[pos + 1] != '-') {
                                rest = pos;
                                goto out;
                        }
                        w.phase = W_WORD;
                }
                if (w.phase == W_WORD) {
                        if (is_ascii_space(ch)) {
                                w.phase = W_SPACES;
                                if (w.sb.len == 2 && memcmp(w.sb.buf, "--", 2) == 0) {
                                        rest = pos;
                                        goto out;
                                }
                                ws_end_word(&w);
                                continue;
                        }
                        if (ch == '\'' || ch == '"') {
                                w.quote = (unsigned char)ch;
                                w.blank_ok = true;
                                w.phase = W_QUOTE;
                                continue;
                        }
                } else if (ch == (char)w.quote) {
                        w.phase = W_WORD;
                        continue;
                }
                if (ch == esc) {
                        if (pos + 1 == n) {
                                w.phase = W_WORD;
                                continue; /* a trailing escape is dropped */
                        }
                        ch = s[++pos];
                }
                sbuf_addch(&w.sb, ch);
        }
        if (w.phase != W_SPACES && !(w.sb.len == 2 && memcmp(w.sb.buf, "--", 2) == 0))
                ws_end_word(&w);
out:
        sbuf_release(&w.sb);
        *flags = w.v;
        return rest;
}

/* --- argument shapes (docker's line parsers) --- */

static int
parse_maybe_json(struct parser *p, int line, struct df_instr *in, const char *s, size_t n,
                 bool to_list)
{
        char **v = NULL;
        size_t *lens = NULL, count = 0, skip = utf8_lspace(s, n);
        enum dockerfile_json_result r = DOCKERFILE_JSON_NOT_ARRAY;

        if (n - skip > 0 && s[skip] == '[')
                r = dockerfile_json_strings(s + skip, n - skip, &v, &lens, &count);
        if (r == DOCKERFILE_JSON_NOT_STRINGS)
                return perr(p, line, -EINVAL,
                            "when using JSON array syntax, arrays must be "
                            "comprised of strings only");
        if (r == DOCKERFILE_JSON_STRINGS) {
                for (size_t i = 0; i < count; i++)
                        arg_push(in, v[i], lens[i]);
                strv_free(v);
                free(lens);
                in->json = true;
                return 0;
        }
        if (to_list)
                split_ws(in, s, n);
        else if (n > 0)
                arg_push(in, s, n);
        return 0;
}

/* ENV and LABEL: "k=v k2=v2" (triples key, value, "=") or legacy "KEY the rest" */
static int
parse_name_val(struct parser *p, int line, struct df_instr *in, const char *s, size_t n)
{
        cleanup_strv char **words = parse_words(s, n, p->esc);

        if (!words)
                return 0;
        if (!strchr(words[0], '=')) {
                size_t i = 0, j;

                while (i < n && !is_ws(s[i]))
                        i++;
                if (i == n)
                        return perr(p, line, -EINVAL, "%s must have two arguments",
                                    dockerfile_cmd_name(in->cmd));
                for (j = i; j < n && is_ws(s[j]); j++)
                        ;
                arg_push(in, s, i);
                arg_push(in, s + j, n - j);
                arg_push(in, "", 0);
                return 0;
        }
        strv_foreach(word, words) {
                char *eq = strchr(word, '=');

                if (!eq)
                        return perr(p, line, -EINVAL,
                                    "syntax error: can't find = in \"%s\", "
                                    "must be of the form name=value",
                                    word);
                arg_push(in, word, (size_t)(eq - word));
                arg_push(in, eq + 1, strlen(eq + 1));
                arg_push(in, "=", 1);
        }
        return 0;
}

static int node_from_line(struct parser *p, int line, const char *s, size_t n, int depth,
                          struct df_instr *in);

/* HEALTHCHECK: the type word, then the rest parsed like CMD */
static int
parse_healthcheck(struct parser *p, int line, struct df_instr *in, const char *s, size_t n)
{
        size_t sep = 0, next;

        while (sep < n && !is_ascii_space(s[sep]))
                sep++;
        if (sep == 0)
                return 0;
        for (next = sep; next < n && is_ascii_space(s[next]); next++)
                ;
        arg_push(in, s, sep);
        return parse_maybe_json(p, line, in, s + next, n - next, false);
}

static int
dispatch(struct parser *p, int line, struct df_instr *in, const char *s, size_t n, int depth)
{
        cleanup_strv char **words = NULL;

        switch (in->cmd) {
        case DF_ADD:
        case DF_COPY:
        case DF_VOLUME:
                return parse_maybe_json(p, line, in, s, n, true);
        case DF_CMD:
        case DF_ENTRYPOINT:
        case DF_RUN:
        case DF_SHELL:
                return parse_maybe_json(p, line, in, s, n, false);
        case DF_ENV:
        case DF_LABEL:
                return parse_name_val(p, line, in, s, n);
        case DF_ARG:
                words = parse_words(s, n, p->esc);
                strv_foreach(w, words)
                        arg_push(in, w, strlen(w));
                return 0;
        case DF_EXPOSE:
        case DF_FROM:
                split_ws(in, s, n);
                return 0;
        case DF_HEALTHCHECK:
                return parse_healthcheck(p, line, in, s, n);
        case DF_ONBUILD:
                if (n == 0)
                        return 0;
                in->sub = xcalloc(1, sizeof(*in->sub));
                return node_from_line(p, line, s, n, depth + 1, in->sub);
        case DF_UNKNOWN:
                arg_push(in, "", 0);
                return 0;
        default: /* MAINTAINER STOPSIGNAL USER WORKDIR */
                if (n > 0)
                        arg_push(in, s, n);
                return 0;
        }
}

/* docker's newNodeFromLine: keyword, --flags, then the instruction's argument shape */
static int
node_from_line(struct parser *p, int line, const char *s, size_t n, int depth, struct df_instr *in)
{
        size_t lead = utf8_lspace(s, n), kw_end, rest;
        const char *t = s + lead;
        size_t tn = n - lead;

        if (depth > DOCKERFILE_MAX_NESTING)
                return perr(p, line, -EINVAL, "ONBUILD nested more than %d deep",
                            DOCKERFILE_MAX_NESTING);
        tn -= utf8_rspace(t, tn);
        in->original = xstrndup(s, n);
        for (kw_end = 0; kw_end < tn && !is_ws(t[kw_end]); kw_end++)
                ;
        in->keyword = xstrndup(t, kw_end);
        in->cmd = dockerfile_cmd_lookup(in->keyword);
        for (rest = kw_end; rest < tn && is_ws(t[rest]); rest++)
                ;
        if (rest < tn) {
                rest += extract_flags(t + rest, tn - rest, p->esc, &in->flags);
                rest += utf8_lspace(t + rest, tn - rest);
        }
        return dispatch(p, line, in, t + rest, tn - rest, depth);
}

/* --- heredocs --- */

static size_t
count_quotes(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += (*s == '\'' || *s == '"');
        return n;
}

/* regexp \s of Go's RE2: [\t\n\f\r ] */
static bool
is_re_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* the delimiter after "<<" or "<<-": one shell word; quoting any part turns expansion off */
static int
heredoc_name(const char *rest, struct df_heredoc *h, struct err *err)
{
        struct shellexpand sx = { .escape = '\\', .skip_unset = true };
        cleanup_strv char **words = NULL;
        cleanup_strv char **raw = NULL;
        int r;

        r = shellexpand_words(&sx, rest, &words, err);
        if (r < 0)
                return r;
        if (strv_length(words) != 1)
                return 0;
        sx.raw_quotes = true;
        r = shellexpand_words(&sx, rest, &raw, err);
        if (r < 0)
                return r;
        if (strv_length(raw) != 1)
                return err_setf(err, -EINVAL, "inconsistent lexing of heredoc: %s", rest);
        h->name = xstrdup(words[0]);
        h->expand = count_quotes(words[0]) == count_quotes(raw[0]);
        return 1;
}

int
dockerfile_heredoc_word(const char *word, struct df_heredoc *ret, struct err *err)
{
        struct df_heredoc h = { 0 };
        size_t i = 0;
        int r;

        while (word[i] >= '0' && word[i] <= '9') {
                h.fd = h.fd > (~0UL - 9) / 10 ? ~0UL : h.fd * 10 + (unsigned long)(word[i] - '0');
                i++;
        }
        if (strncmp(word + i, "<<", 2) != 0)
                return 0;
        i += 2;
        if (word[i] == '-') {
                h.chomp = true;
                i++;
        }
        while (is_re_space(word[i]))
                i++;
        if (word[i] == '\0' || strchr(word + i, '<'))
                return 0;
        r = heredoc_name(word + i, &h, err);
        if (r <= 0)
                return r;
        *ret = h;
        return 1;
}

/* a word that is [digits]<<- and nothing more */
static bool
ends_with_chomp_marker(const char *w)
{
        while (*w >= '0' && *w <= '9')
                w++;
        return strcmp(w, "<<-") == 0;
}

int
dockerfile_heredoc_markers(const char *line, struct df_heredoc **ret, size_t *ret_n,
                           struct err *err)
{
        struct shellexpand sx = {
                .escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true
        };
        cleanup_strv char **words = NULL;
        struct df_heredoc *v = NULL;
        size_t n = 0;

        /* like docker, a line that does not lex (unbalanced quote) has no heredocs */
        if (shellexpand_words(&sx, line, &words, NULL) < 0)
                words = NULL;
        for (size_t i = 0; words && words[i]; i++) {
                cleanup_free char *joined = NULL;
                const char *w = words[i];
                struct df_heredoc h;
                int r;

                /* "<<- EOF": docker's lexer splits it in two and finds no heredoc; sh (and
                 * the marker for a single word) read it as <<-EOF, and so do we */
                if (words[i + 1] && ends_with_chomp_marker(w)) {
                        joined = xasprintf("%s %s", w, words[i + 1]);
                        w = joined;
                        i++;
                }
                r = dockerfile_heredoc_word(w, &h, err);

                if (r < 0) {
                        for (size_t k = 0; k < n; k++)
                                dockerfile_heredoc_release(&v[k]);
                        free(v);
                        return r;
                }
                if (r == 0)
                        continue;
                v = xreallocarray(v, n + 1, sizeof(*v));
                v[n++] = h;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

char *
dockerfile_heredoc_body(const struct df_heredoc *h)
{
        struct sbuf sb = SBUF_INIT;
        bool bol = true;

        if (!h->chomp)
                return xstrdup(h->content ? h->content : "");
        for (const char *c = h->content ? h->content : ""; *c; c++) {
                if (bol && *c == '\t')
                        continue;
                bol = *c == '\n';
                sbuf_addch(&sb, *c);
        }
        return sbuf_detach(&sb);
}

/* --- lines --- */

/* next physical line with its ending; 1 = got one, 0 = end of input, < 0 = error */
static int
next_line(struct parser *p, const char **ret, size_t *ret_n)
{
        const char *s = p->text + p->pos, *nl;
        size_t n, body;

        if (p->pos >= p->len)
                return 0;
        nl = memchr(s, '\n', p->len - p->pos);
        n = nl ? (size_t)(nl - s) + 1 : p->len - p->pos;
        body = nl ? n - 1 : n;
        p->line++;
        if (body > p->lim.max_line)
                return perr(p, p->line, -EFBIG, "line longer than %zu bytes", p->lim.max_line);
        if (memchr(s, '\0', n))
                return perr(p, p->line, -EINVAL, "NUL byte in line");
        p->pos += n;
        *ret = s;
        *ret_n = n;
        return 1;
}

/* drop every trailing \r and \n */
static size_t
trim_newline(const char *s, size_t n)
{
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                n--;
        return n;
}

/* The escape token as last non-blank character continues the line, unless an escape token
 * precedes it (docker's `([^E])E[ \t]*$|^E[ \t]*$`). Returns true at the end of a line. */
static bool
trim_continuation(char esc, const char *s, size_t *n)
{
        size_t e = *n;

        while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                e--;
        if (e == 0 || s[e - 1] != esc)
                return true;
        if (e >= 2 && s[e - 2] == esc)
                return true;
        *n = e - 1;
        return false;
}

static bool
is_comment(const char *s, size_t n)
{
        size_t i = utf8_lspace(s, n);

        return i < n && s[i] == '#';
}

enum {
        DIR_SYNTAX = 1,
        DIR_ESCAPE = 2,
        DIR_CHECK = 4
};

static int
directive_value(struct parser *p, const char *key, const char *v, size_t vn)
{
        static const char *const keys[] = { "syntax", "escape", "check" };
        unsigned bit;

        for (bit = 0; bit < 3 && strcmp(key, keys[bit]) != 0; bit++)
                ;
        if (bit == 3) {
                p->dir_done = true;
                return 0;
        }
        if (p->dir_seen & (1u << bit))
                return perr(p, p->line, -EINVAL, "only one %s parser directive can be used", key);
        p->dir_seen |= 1u << bit;
        if (bit == 1) {
                if (vn != 1 || (v[0] != '`' && v[0] != '\\'))
                        return perr(p, p->line, -EINVAL,
                                    "invalid escape token '%.*s' does not "
                                    "match ` or \\",
                                    (int)vn, v);
                p->esc = v[0];
        } else {
                char **slot = bit == 0 ? &p->df->syntax : &p->df->check;

                *slot = xstrndup(v, vn);
        }
        return 0;
}

/* docker's directive regexp: ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ on a line whose
 * leading white space is gone. Directives are only read until the first other line. */
static int
directive_line(struct parser *p, const char *s, size_t n)
{
        char key[64];
        size_t i = 1, k = 0, j, end;

        if (p->dir_done)
                return 0;
        if (n == 0 || s[0] != '#')
                goto done;
        i += utf8_lspace(s + 1, n - 1);
        if (i >= n || !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
                goto done;
        while (i < n &&
               (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') || (s[i] >= '0' && s[i] <= '9'))) {
                if (k + 1 < sizeof(key))
                        key[k++] = (char)(s[i] | 0x20);
                i++;
        }
        key[k] = '\0';
        while (i < n && is_re_space(s[i]))
                i++;
        if (i >= n || s[i] != '=' || i + 1 >= n)
                goto done;
        i++;
        for (j = i; j < n - 1 && is_re_space(s[j]); j++)
                ;
        for (end = n; end > j + 1 && is_re_space(s[end - 1]); end--)
                ;
        return directive_value(p, key, s + j, end - j);
done:
        p->dir_done = true;
        return 0;
}

/* --- the main loop --- */

/* read the body of each heredoc named on the instruction line, in order */
static int
read_heredocs(struct parser *p, int start, const char *line, struct df_instr *in)
{
        struct df_heredoc *docs = NULL;
        size_t ndocs = 0;
        int r = dockerfile_heredoc_markers(line, &docs, &ndocs, p->err);

        if (r < 0)
                return err_prefix(p->err, "%s:%d", p->name, start);
        in->heredocs = docs;
        in->nheredocs = ndocs;
        for (size_t i = 0; i < ndocs; i++) {
                struct df_heredoc *h = &docs[i];
                cleanup_sbuf struct sbuf body = SBUF_INIT;
                const char *raw;
                size_t rn, name_len = strlen(h->name);
                bool done = false;

                while (!done && (r = next_line(p, &raw, &rn)) > 0) {
                        size_t n = trim_newline(raw, rn), skip = 0;

                        while (h->chomp && skip < n && raw[skip] == '\t')
                                skip++;
                        done = n - skip == name_len && memcmp(raw + skip, h->name, name_len) == 0;
                        if (!done)
                                sbuf_add(&body, raw, rn);
                        if (body.len > p->lim.max_heredoc)
                                return perr(p, start, -EFBIG,
                                            "heredoc '%s' longer than %zu "
                                            "bytes",
                                            h->name, p->lim.max_heredoc);
                }
                if (r < 0)
                        return r;
                if (!done)
                        return perr(p, start, -EINVAL, "unterminated heredoc '%s'", h->name);
                h->content = sbuf_detach(&body);
        }
        return 0;
}

static bool
may_have_heredocs(const struct df_instr *in)
{
        if (in->cmd == DF_ONBUILD && in->sub)
                in = in->sub;
        return (in->cmd == DF_RUN || in->cmd == DF_COPY || in->cmd == DF_ADD) && !in->json;
}

/* join continuation lines onto line; comment and blank lines inside are dropped */
static int
read_continuation(struct parser *p, struct sbuf *line, bool eol, bool *has_empty)
{
        const char *raw;
        size_t rn;
        int r = 0;

        while (!eol && (r = next_line(p, &raw, &rn)) > 0) {
                size_t n = trim_newline(raw, rn);

                if (is_comment(raw, n))
                        continue;
                if (utf8_lspace(raw, n) == n) {
                        *has_empty = true;
                        continue;
                }
                eol = trim_continuation(p->esc, raw, &n);
                sbuf_add(line, raw, n);
        }
        return eol ? 0 : r;
}

static int
add_instruction(struct parser *p, int start, const struct sbuf *line, struct df_instr **ret)
{
        struct dockerfile *df = p->df;
        struct df_instr *in;
        int r;

        if (df->n >= p->lim.max_instructions)
                return perr(p, start, -EFBIG, "more than %zu instructions",
                            p->lim.max_instructions);
        df->instrs = xreallocarray(df->instrs, df->n + 1, sizeof(*df->instrs));
        in = &df->instrs[df->n++];
        memset(in, 0, sizeof(*in));
        in->start_line = start;
        r = node_from_line(p, start, line->buf, line->len, 0, in);
        if (r < 0)
                return r;
        if (may_have_heredocs(in) && strstr(line->buf, "<<")) {
                r = read_heredocs(p, start, line->buf, in);
                if (r < 0)
                        return r;
        }
        in->end_line = p->line;
        *ret = in;
        return 0;
}

static int
parse_lines(struct parser *p)
{
        cleanup_sbuf struct sbuf line = SBUF_INIT;
        const char *raw;
        size_t rn;
        int r;

        while ((r = next_line(p, &raw, &rn)) > 0) {
                size_t n = trim_newline(raw, rn), lead = utf8_lspace(raw, n);
                const char *t = raw + lead;
                bool eol, has_empty = false;
                struct df_instr *in;
                int start = p->line;

                n -= lead;
                r = directive_line(p, t, n);
                if (r < 0)
                        return r;
                if (n > 0 && t[0] == '#')
                        n = 0;
                eol = trim_continuation(p->esc, t, &n);
                if (eol && n == 0)
                        continue;
                sbuf_reset(&line);
                sbuf_add(&line, t, n);
                r = read_continuation(p, &line, eol, &has_empty);
                if (r < 0)
                        return r;
                if (has_empty)
                        strv_push(&p->df->warnings,
                                  xasprintf("Empty continuation line found in: %s", line.buf));
                r = add_instruction(p, start, &line, &in);
                if (r < 0)
                        return r;
        }
        return r;
}

int
dockerfile_parse(const char *name, const char *text, size_t len,
                 const struct dockerfile_limits *lim, struct dockerfile **ret, struct err *err)
{
        struct parser p = {
                .name = name ? name : "Dockerfile",
                .lim = { DOCKERFILE_MAX_BYTES, DOCKERFILE_MAX_LINE, DOCKERFILE_MAX_HEREDOC,
                         DOCKERFILE_MAX_INSTRUCTIONS },
                .text = text,
                .len = len,
                .esc = '\\',
                .err = err,
        };
        struct dockerfile *df;
        int r;

        if (lim)
                p.lim = *lim;
        if (len > p.lim.max_bytes)
                return err_setf(err, -EFBIG, "%s: larger than %zu bytes", p.name, p.lim.max_bytes);
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                p.pos = 3;
        df = xcalloc(1, sizeof(*df));
        df->name = xstrdup(p.name);
        p.df = df;
        r = parse_lines(&p);
        if (r == 0 && df->n == 0)
                r = perr(&p, p.line, -EINVAL, "file with no instructions");
        if (r < 0) {
                dockerfile_free(df);
                return r;
        }
        df->escape = p.esc;
        df->start_line = df->instrs[0].start_line;
        df->end_line = df->instrs[df->n - 1].end_line;
        *ret = df;
        return 0;
}
