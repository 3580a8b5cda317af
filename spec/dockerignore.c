/* dockerignore: .dockerignore reading (moby/patternmatcher/ignorefile ReadAll), pattern
 * validation (Go's filepath.Match syntax, which docker checks first) and matching
 * (patternmatcher's Pattern.compile: each pattern becomes an exact, prefix or suffix test or
 * a regular expression, run by spec/dockerignore_re). */
#include "dockerignore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "base/utf8.h"
#include "dockerignore_re.h"

enum match_type {
        MT_UNKNOWN,
        MT_EXACT,
        MT_PREFIX,
        MT_SUFFIX,
        MT_REGEXP,
        MT_BAD
};

struct pattern {
        char *text; /* cleaned, without the '!' */
        bool exclusion;
        enum match_type type;
        struct dockerignore_re *re;
};

struct dockerignore {
        struct pattern *p;
        size_t n;
        bool exceptions;
};

static size_t
trim_space(const char **s, size_t n)
{
        size_t lead = utf8_lspace(*s, n);

        *s += lead;
        n -= lead;
        return n - utf8_rspace(*s, n);
}

/* one line of the file: trimmed, '!' kept in front, cleaned, one leading '/' dropped */
static char *
read_pattern(const char *line, size_t n)
{
        bool invert;
        cleanup_free char *raw = NULL;
        cleanup_free char *clean = NULL;
        const char *p;

        n = trim_space(&line, n);
        if (n == 0)
                return NULL;
        invert = line[0] == '!';
        if (invert) {
                line++;
                n = trim_space(&line, n - 1);
        }
        if (n == 0)
                return xstrdup(invert ? "!" : "");
        raw = xstrndup(line, n);
        clean = path_clean(raw);
        p = clean;
        if (strlen(p) > 1 && p[0] == '/')
                p++;
        return xasprintf("%s%s", invert ? "!" : "", p);
}

int
dockerignore_read(const char *text, size_t len, char ***ret, struct err *err)
{
        char **v = xcalloc(1, sizeof(char *));
        size_t count = 0;

        if (len > DOCKERIGNORE_MAX_BYTES) {
                strv_free(v);
                return err_setf(err, -EFBIG, ".dockerignore: larger than %u bytes",
                                DOCKERIGNORE_MAX_BYTES);
        }
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
                text += 3;
                len -= 3;
        }
        while (len > 0) {
                const char *nl = memchr(text, '\n', len);
                size_t n = nl ? (size_t)(nl - text) : len;
                char *pat = NULL;

                if (n > 0 && text[0] != '#')
                        pat = read_pattern(text, n);
                if (pat && ++count > DOCKERIGNORE_MAX_PATTERNS) {
                        free(pat);
                        strv_free(v);
                        return err_setf(err, -EFBIG, ".dockerignore: more than %u patterns",
                                        DOCKERIGNORE_MAX_PATTERNS);
                }
                if (pat)
                        strv_push(&v, pat);
                text += nl ? n + 1 : n;
                len -= nl ? n + 1 : n;
        }
        *ret = v;
        return 0;
}

/* Go's filepath.Match getEsc: one class character, not '-' or ']' unescaped, and the class
 * must go on after it */
static bool
glob_class_char(const char *p, size_t n, size_t *i)
{
        uint32_t r;
        size_t len;

        if (*i >= n || p[*i] == '-' || p[*i] == ']')
                return false;
        if (p[*i] == '\\' && ++*i >= n)
                return false;
        len = utf8_decode(p + *i, n - *i, &r);
        if (r == UTF8_BAD && len == 1)
                return false;
        *i += len;
        return *i < n;
}

/* whether filepath.Match would report ErrBadPattern for p (it checks the whole pattern) */
static bool
glob_valid(const char *p)
{
        size_t n = strlen(p), i = 0;

        while (i < n) {
                if (p[i] == '\\') {
                        if (i + 1 >= n)
                                return false;
                        i += 2;
                } else if (p[i] == '[') {
                        size_t nrange = 0;

                        i++;
                        if (i < n && p[i] == '^')
                                i++;
                        while (!(i < n && p[i] == ']' && nrange > 0)) {
                                if (!glob_class_char(p, n, &i))
                                        return false;
                                if (p[i] == '-') {
                                        i++;
                                        if (!glob_class_char(p, n, &i))
                                                return false;
                                }
                                nrange++;
                        }
                        i++;
                } else {
                        i++;
                }
        }
        return true;
}

static bool
should_escape(uint32_t c)
{
        return c < 0x80 && strchr(".+()|{}$", (int)c) && c != 0;
}

/* patternmatcher's Pattern.compile: the regexp text and the kind of test */
static enum match_type
pattern_regexp(const char *text, struct sbuf *re)
{
        size_t n, i = 0;
        cleanup_free uint32_t *r = utf8_runes(text, strlen(text), true, &n);
        enum match_type t = MT_EXACT;

        sbuf_addch(re, '^');
        for (size_t it = 0; i < n; it++) {
                uint32_t c = r[i++];

                if (c == '*' && i < n && r[i] == '*') {
                        i++;
                        if (i < n && r[i] == '/')
                                i++;
                        if (i >= n && t == MT_EXACT) {
                                t = MT_PREFIX;
                        } else {
                                sbuf_adds(re, i >= n ? ".*" : "(.*/)?");
                                t = MT_REGEXP;
                        }
                        if (it == 0)
                                t = MT_SUFFIX;
                } else if (c == '*' || c == '?') {
                        sbuf_adds(re, c == '*' ? "[^/]*" : "[^/]");
                        t = MT_REGEXP;
                } else if (should_escape(c)) {
                        sbuf_addch(re, '\\');
                        sbuf_addch(re, (char)c);
                } else if (c == '\\') {
                        sbuf_addch(re, '\\');
                        if (i < n) {
                                utf8_add(re, r[i++]);
                                t = MT_REGEXP;
                        }
                } else {
                        if (c == '[' || c == ']')
                                t = MT_REGEXP;
                        utf8_add(re, c);
                }
        }
        sbuf_addch(re, '$');
        return t;
}

static int
pattern_compile(struct pattern *p, struct err *err)
{
        cleanup_sbuf struct sbuf re = SBUF_INIT;

        p->type = pattern_regexp(p->text, &re);
        if (p->type != MT_REGEXP)
                return 0;
        if (dockerignore_re_compile(re.buf, &p->re, NULL) < 0) {
                p->type = MT_BAD;
                return err_setf(err, -EINVAL, "syntax error in pattern '%s'", p->text);
        }
        return 0;
}

struct dockerignore *
dockerignore_free(struct dockerignore *m)
{
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n; i++) {
                free(m->p[i].text);
                dockerignore_re_free(m->p[i].re);
        }
        free(m->p);
        free(m);
        return NULL;
}

int
dockerignore_new(char *const *patterns, struct dockerignore **ret, struct err *err)
{
        struct dockerignore *m = xcalloc(1, sizeof(*m));

        strv_foreach(raw, patterns) {
                const char *t = raw;
                size_t n = trim_space(&t, strlen(raw));
                cleanup_free char *tmp = xstrndup(t, n);
                char *clean;
                struct pattern *p;

                if (n == 0)
                        continue;
                clean = path_clean(tmp);
                m->p = xreallocarray(m->p, m->n + 1, sizeof(*m->p));
                p = &m->p[m->n++];
                memset(p, 0, sizeof(*p));
                p->text = clean;
                if (clean[0] == '!') {
                        if (clean[1] == '\0') {
                                dockerignore_free(m);
                                return err_setf(err, -EINVAL, "illegal exclusion pattern: \"!\"");
                        }
                        p->exclusion = true;
                        m->exceptions = true;
                        memmove(clean, clean + 1, strlen(clean));
                }
                if (!glob_valid(p->text)) {
                        int r = err_setf(err, -EINVAL, "syntax error in pattern '%s'", p->text);

                        dockerignore_free(m);
                        return r;
                }
        }
        *ret = m;
        return 0;
}

bool
dockerignore_has_exceptions(const struct dockerignore *m)
{
        return m && m->exceptions;
}

static int
pattern_match(struct pattern *p, const char *path, bool *ret, struct err *err)
{
        size_t plen = strlen(path), tlen = strlen(p->text);
        int r;

        if (p->type == MT_UNKNOWN) {
                r = pattern_compile(p, err);
                if (r < 0)
                        return r;
        }
        switch (p->type) {
        case MT_EXACT:
                *ret = strcmp(path, p->text) == 0;
                return 0;
        case MT_PREFIX:
                *ret = plen >= tlen - 2 && memcmp(path, p->text, tlen - 2) == 0;
                return 0;
        case MT_SUFFIX: {
                const char *suffix = p->text + 2;
                size_t slen = tlen - 2;

                *ret = (plen >= slen && memcmp(path + plen - slen, suffix, slen) == 0) ||
                       (suffix[0] == '/' && strcmp(path, suffix + 1) == 0);
                return 0;
        }
        case MT_REGEXP:
                *ret = dockerignore_re_search(p->re, path);
                return 0;
        default:
                return err_setf(err, -EINVAL, "syntax error in pattern '%s'", p->text);
        }
}

/* whether p matches path or one of its parent directories (parent errors are ignored, as
 * in docker, because the path itself was already tried) */
static int
match_or_parent(struct pattern *p, const char *path, const char *parent, bool *ret, struct err *err)
{
        int r = pattern_match(p, path, ret, err);

        if (r < 0 || *ret || strcmp(parent, ".") == 0)
                return r;
        cleanup_free char *prefix = xstrdup(parent);
        for (char *s = prefix;; s++) {
                char c = *s;

                if (c != '/' && c != '\0')
                        continue;
                *s = '\0';
                if (pattern_match(p, prefix, ret, NULL) == 0 && *ret)
                        return 0;
                *s = c;
                if (c == '\0')
                        break;
        }
        *ret = false;
        return 0;
}

int
dockerignore_excluded(struct dockerignore *m, const char *path, bool *ret, struct err *err)
{
        cleanup_free char *file = path_clean(path);
        cleanup_free char *parent = NULL;
        bool matched = false;
        char *slash;

        *ret = false;
        if (!m || strcmp(file, ".") == 0)
                return 0;
        slash = strrchr(file, '/');
        if (!slash)
                parent = xstrdup(".");
        else if (slash == file)
                parent = xstrdup("/");
        else
                parent = xstrndup(file, (size_t)(slash - file));
        for (size_t i = 0; i < m->n; i++) {
                struct pattern *p = &m->p[i];
                bool match;
                int r;

                /* an exception only matters once excluded, a pattern only when not */
                if (p->exclusion != matched)
                        continue;
                r = match_or_parent(p, file, parent, &match, err);
                if (r < 0)
                        return r;
                if (match)
                        matched = !p->exclusion;
        }
        *ret = matched;
        return 0;
}

static int
load_file(const char *path, struct dockerignore **ret, struct err *err)
{
        cleanup_free char *text = NULL;
        cleanup_strv char **patterns = NULL;
        size_t len;
        int r;

        r = fs_read_capped(path, DOCKERIGNORE_MAX_BYTES, &text, &len, err);
        if (r < 0)
                return r;
        r = dockerignore_read(text, len, &patterns, err);
        if (r == 0)
                r = dockerignore_new(patterns, ret, err);
        if (r < 0)
                return err_prefix(err, "%s", path);
        return 0;
}

int
dockerignore_load(const char *ctx_dir, const char *dockerfile, struct dockerignore **ret,
                  struct err *err)
{
        cleanup_free char *specific = NULL;
        cleanup_free char *root = xasprintf("%s/.dockerignore", ctx_dir);

        specific = xasprintf("%s/%s.dockerignore", ctx_dir, dockerfile ? dockerfile : "Dockerfile");
        if (fs_exists(specific))
                return load_file(specific, ret, err);
        if (fs_exists(root))
                return load_file(root, ret, err);
        *ret = xcalloc(1, sizeof(**ret));
        return 0;
}

bool
dockerignore_always_sent(const char *path, const char *dockerfile)
{
        cleanup_free char *p = path_clean(path);
        cleanup_free char *df = path_clean(dockerfile ? dockerfile : "Dockerfile");
        cleanup_free char *specific = xasprintf("%s.dockerignore", df);

        return strcmp(p, ".dockerignore") == 0 || strcmp(p, df) == 0 || strcmp(p, specific) == 0;
}
