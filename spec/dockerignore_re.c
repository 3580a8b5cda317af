/* dockerignore_re: a small regular-expression engine for the expressions moby/patternmatcher
 * generates (see the header for the syntax). The expression is parsed to a tree with Go
 * regexp's rules and error wording, compiled to a Thompson NFA program (CHAR, ANY, CLASS,
 * SPLIT, JMP, assertions, MATCH) and simulated breadth-first over the runes of the text. */
#include "dockerignore_re.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/utf8.h"

#define MAX_RUNE   0x10FFFFu
#define MAX_GROUPS 100

enum op {
        OP_CHAR,
        OP_ANY,
        OP_CLASS,
        OP_SPLIT,
        OP_JMP,
        OP_BOL,
        OP_EOL,
        OP_MATCH
};

struct inst {
        enum op op;
        uint32_t c;  /* OP_CHAR: the rune; OP_CLASS: the class index */
        size_t x, y; /* OP_SPLIT: both targets (x preferred); OP_JMP: x */
};

struct cls {
        uint32_t *lo, *hi;
        size_t n;
};

struct dockerignore_re {
        struct inst *prog;
        size_t n;
        struct cls *cls;
        size_t ncls;
};

enum kind {
        K_LIT,
        K_ANY,
        K_CLASS,
        K_BOL,
        K_EOL,
        K_CAT,
        K_STAR,
        K_PLUS,
        K_QUEST
};

struct ast {
        enum kind k;
        uint32_t c;
        struct ast **kids;
        size_t nkids;
};

struct rparser {
        const char *s;
        size_t n, pos;
        int depth;
        struct dockerignore_re *re;
        struct err *err;
};

static struct ast *
ast_free(struct ast *a)
{
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->nkids; i++)
                ast_free(a->kids[i]);
        free(a->kids);
        free(a);
        return NULL;
}

static struct ast *
ast_new(enum kind k, uint32_t c)
{
        struct ast *a = xcalloc(1, sizeof(*a));

        a->k = k;
        a->c = c;
        return a;
}

static void
ast_add(struct ast *parent, struct ast *kid)
{
        parent->kids = xreallocarray(parent->kids, parent->nkids + 1, sizeof(*parent->kids));
        parent->kids[parent->nkids++] = kid;
}

static int
rfail(struct rparser *p, const char *what)
{
        return err_setf(p->err, -EINVAL, "error parsing regexp: %s: `%s`", what, p->s);
}

/* --- character classes --- */

static void
cls_add(struct cls *c, uint32_t lo, uint32_t hi)
{
        c->lo = xreallocarray(c->lo, c->n + 1, sizeof(uint32_t));
        c->hi = xreallocarray(c->hi, c->n + 1, sizeof(uint32_t));
        c->lo[c->n] = lo;
        c->hi[c->n] = hi;
        c->n++;
}

static bool
cls_has(const struct cls *c, uint32_t r)
{
        for (size_t i = 0; i < c->n; i++)
                if (r >= c->lo[i] && r <= c->hi[i])
                        return true;
        return false;
}

static int
cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return x < y ? -1 : x > y;
}

/* the complement of c over all runes: sort the range starts, then walk the gaps */
static void
cls_negate(struct cls *c)
{
        struct cls out = { 0 };
        uint32_t(*pairs)[2] = xreallocarray(NULL, c->n + 1, sizeof(*pairs));
        uint64_t next = 0; /* first rune not yet covered */

        for (size_t i = 0; i < c->n; i++) {
                pairs[i][0] = c->lo[i];
                pairs[i][1] = c->hi[i];
        }
        qsort(pairs, c->n, sizeof(*pairs), cmp_u32);
        for (size_t i = 0; i < c->n; i++) {
                if (pairs[i][0] > next)
                        cls_add(&out, (uint32_t)next, pairs[i][0] - 1);
                if ((uint64_t)pairs[i][1] + 1 > next)
                        next = (uint64_t)pairs[i][1] + 1;
        }
        if (next <= MAX_RUNE)
                cls_add(&out, (uint32_t)next, MAX_RUNE);
        free(pairs);
        free(c->lo);
        free(c->hi);
        *c = out;
}

struct named {
        const char *name;
        const char *ranges; /* pairs of bytes lo,hi */
};

static const struct named posix[] = {
        { "alnum", "09AZaz" },
        { "alpha", "AZaz" },
        { "ascii", "\x01\x7f" },
        { "blank", "\t\t  " },
        { "cntrl", "\x01\x1f\x7f\x7f" },
        { "digit", "09" },
        { "graph", "!~" },
        { "lower", "az" },
        { "print", " ~" },
        { "punct", "!/:@[`{~" },
        { "space", "\t\r  " },
        { "upper", "AZ" },
        { "word", "09AZ__az" },
        { "xdigit", "09AFaf" },
};

static void
add_named(struct cls *c, const char *ranges, bool neg, bool nul)
{
        struct cls tmp = { 0 };

        if (nul)
                cls_add(&tmp, 0, 0); /* ascii and cntrl include NUL, which a C string can't */
        for (size_t i = 0; ranges[i]; i += 2)
                cls_add(&tmp, (unsigned char)ranges[i], (unsigned char)ranges[i + 1]);
        if (neg)
                cls_negate(&tmp);
        for (size_t i = 0; i < tmp.n; i++)
                cls_add(c, tmp.lo[i], tmp.hi[i]);
        free(tmp.lo);
        free(tmp.hi);
}

/* \d \s \w and their negations; returns false if c is not one */
static bool
perl_class(struct cls *cl, char c)
{
        static const struct named perl[] = { { "d", "09" },
                                             { "s", "\t\n\f\r  " },
                                             { "w", "09AZ__az" } };

        for (size_t i = 0; i < ARRAY_SIZE(perl); i++) {
                if ((c | 0x20) == perl[i].name[0]) {
                        add_named(cl, perl[i].ranges, c != (c | 0x20), false);
                        return true;
                }
        }
        return false;
}

static size_t
new_class(struct rparser *p, struct cls *c)
{
        struct dockerignore_re *re = p->re;

        re->cls = xreallocarray(re->cls, re->ncls + 1, sizeof(*re->cls));
        re->cls[re->ncls] = *c;
        return re->ncls++;
}

static uint32_t
rune_at(struct rparser *p, size_t *len)
{
        uint32_t r;

        *len = utf8_decode(p->s + p->pos, p->n - p->pos, &r);
        return r;
}

static bool
is_alnum(uint32_t c)
{
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int
hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                return (c | 0x20) - 'a' + 10;
        return -1;
}

/* \x41 and \x{10FFFF} */
static int
parse_hex(struct rparser *p, uint32_t *ret)
{
        uint32_t v = 0;
        int digits = 0;

        if (p->pos < p->n && p->s[p->pos] == '{') {
                p->pos++;
                while (p->pos < p->n && hex_digit(p->s[p->pos]) >= 0 && v <= MAX_RUNE) {
                        v = v * 16 + (uint32_t)hex_digit(p->s[p->pos++]);
                        digits++;
                }
                if (digits == 0 || v > MAX_RUNE || p->pos >= p->n || p->s[p->pos] != '}')
                        return rfail(p, "invalid escape sequence");
                p->pos++;
        } else {
                for (; digits < 2; digits++) {
                        if (p->pos >= p->n || hex_digit(p->s[p->pos]) < 0)
                                return rfail(p, "invalid escape sequence");
                        v = v * 16 + (uint32_t)hex_digit(p->s[p->pos++]);
                }
        }
        *ret = v;
        return 0;
}

/* Go's parseEscape, after the backslash: one rune */
static int
parse_escape(struct rparser *p, uint32_t *ret)
{
        static const char ctl[] = "a\af\fn\nr\rt\tv\v";
        size_t len;
        uint32_t c;

        if (p->pos >= p->n)
                return rfail(p, "trailing backslash at end of expression");
        c = rune_at(p, &len);
        p->pos += len;
        if (c < 0x80 && !is_alnum(c)) {
                *ret = c;
                return 0;
        }
        if (c >= '0' && c <= '7') {
                uint32_t v = c - '0';

                if (c != '0' && (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '7'))
                        return rfail(p, "invalid escape sequence");
                for (int i = 0;
                     i < 2 && p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '7'; i++)
                        v = v * 8 + (uint32_t)(p->s[p->pos++] - '0');
                *ret = v;
                return 0;
        }
        if (c == 'x')
                return parse_hex(p, ret);
        for (size_t i = 0; i < sizeof(ctl) - 1; i += 2) {
                if (c == (uint32_t)ctl[i]) {
                        *ret = (unsigned char)ctl[i + 1];
                        return 0;
                }
        }
        return rfail(p, "invalid escape sequence");
}

/* one class character (escape allowed) */
static int
class_char(struct rparser *p, uint32_t *ret)
{
        size_t len;

        if (p->pos >= p->n)
                return rfail(p, "missing closing ]");
        if (p->s[p->pos] == '\\') {
                p->pos++;
                return parse_escape(p, ret);
        }
        *ret = rune_at(p, &len);
        p->pos += len;
        return 0;
}

/* [:name:] at p->pos; returns 1 if it was one, 0 if not a named class */
static int
posix_class(struct rparser *p, struct cls *c)
{
        const char *end;
        bool neg;
        size_t nlen;

        if (p->n - p->pos <= 2 || p->s[p->pos] != '[' || p->s[p->pos + 1] != ':')
                return 0;
        end = memmem(p->s + p->pos + 2, p->n - p->pos - 2, ":]", 2);
        if (!end)
                return 0;
        neg = p->s[p->pos + 2] == '^';
        nlen = (size_t)(end - (p->s + p->pos + 2 + neg));
        for (size_t i = 0; i < ARRAY_SIZE(posix); i++) {
                if (strlen(posix[i].name) == nlen &&
                    memcmp(posix[i].name, p->s + p->pos + 2 + neg, nlen) == 0) {
                        bool nul = strcmp(posix[i].name, "ascii") == 0 ||
                                   strcmp(posix[i].name, "cntrl") == 0;

                        add_named(c, posix[i].ranges, neg, nul);
                        p->pos = (size_t)(end - p->s) + 2;
                        return 1;
                }
        }
        return rfail(p, "invalid character class range");
}

static int
class_item(struct rparser *p, struct cls *c)
{
        uint32_t lo, hi;
        int r = posix_class(p, c);

        if (r != 0)
                return r < 0 ? r : 0;
        if (p->n - p->pos >= 2 && p->s[p->pos] == '\\') {
                char e = p->s[p->pos + 1];

                if (e == 'p' || e == 'P')
                        return rfail(p, "unsupported Unicode class");
                if (perl_class(c, e)) {
                        p->pos += 2;
                        return 0;
                }
        }
        r = class_char(p, &lo);
        if (r < 0)
                return r;
        hi = lo;
        if (p->n - p->pos >= 2 && p->s[p->pos] == '-' && p->s[p->pos + 1] != ']') {
                p->pos++;
                r = class_char(p, &hi);
                if (r < 0)
                        return r;
                if (hi < lo)
                        return rfail(p, "invalid character class range");
        }
        cls_add(c, lo, hi);
        return 0;
}

/* [...] after the '[' ; ']' and '-' are literal as the first character */
static int
parse_class(struct rparser *p, struct ast **ret)
{
        struct cls c = { 0 };
        bool neg = false, first = true;

        if (p->pos < p->n && p->s[p->pos] == '^') {
                neg = true;
                p->pos++;
        }
        while (p->pos >= p->n || p->s[p->pos] != ']' || first) {
                int r;

                first = false;
                r = class_item(p, &c);
                if (r < 0) {
                        free(c.lo);
                        free(c.hi);
                        return r;
                }
        }
        p->pos++;
        if (neg)
                cls_negate(&c);
        *ret = ast_new(K_CLASS, (uint32_t)new_class(p, &c));
        return 0;
}

/* outside a class: assertions \A \z, Perl classes, or an escaped rune */
static int
parse_backslash(struct rparser *p, struct ast **ret)
{
        struct cls c = { 0 };
        uint32_t r;
        int rc;

        if (p->pos < p->n) {
                char e = p->s[p->pos];

                if (e == 'A' || e == 'z') {
                        p->pos++;
                        *ret = ast_new(e == 'A' ? K_BOL : K_EOL, 0);
                        return 0;
                }
                if (e == 'b' || e == 'B' || e == 'p' || e == 'P' || e == 'Q' || e == 'C')
                        return rfail(p, "unsupported escape sequence");
                if (perl_class(&c, e)) {
                        p->pos++;
                        *ret = ast_new(K_CLASS, (uint32_t)new_class(p, &c));
                        return 0;
                }
        }
        rc = parse_escape(p, &r);
        if (rc < 0)
                return rc;
        *ret = ast_new(K_LIT, r);
        return 0;
}

static int parse_seq(struct rparser *p, struct ast **ret);

static int
parse_atom(struct rparser *p, struct ast **ret)
{
        size_t len;
        uint32_t c = rune_at(p, &len);
        int r;

        p->pos += len;
        switch (c) {
        case '(':
                if (p->pos < p->n && p->s[p->pos] == '?')
                        return rfail(p, "unsupported group flags");
                if (++p->depth > MAX_GROUPS)
                        return rfail(p, "expression nests too deeply");
                r = parse_seq(p, ret);
                p->depth--;
                if (r < 0)
                        return r;
                if (p->pos >= p->n || p->s[p->pos] != ')') {
                        *ret = ast_free(*ret);
                        return rfail(p, "missing closing )");
                }
                p->pos++;
                return 0;
        case '[':
                return parse_class(p, ret);
        case '.':
                *ret = ast_new(K_ANY, 0);
                return 0;
        case '^':
                *ret = ast_new(K_BOL, 0);
                return 0;
        case '$':
                *ret = ast_new(K_EOL, 0);
                return 0;
        case '*':
        case '+':
        case '?':
                return rfail(p, "missing argument to repetition operator");
        case '|':
                return rfail(p, "unsupported alternation");
        case '\\':
                return parse_backslash(p, ret);
        default:
                *ret = ast_new(K_LIT, c);
                return 0;
        }
}

static bool
is_repeat(const struct rparser *p)
{
        return p->pos < p->n && (p->s[p->pos] == '*' || p->s[p->pos] == '+' || p->s[p->pos] == '?');
}

/* a sequence of atoms with * + ? (and their lazy forms), up to ')' or the end */
static int
parse_seq(struct rparser *p, struct ast **ret)
{
        struct ast *seq = ast_new(K_CAT, 0);

        while (p->pos < p->n && p->s[p->pos] != ')') {
                struct ast *atom = NULL;
                int r = parse_atom(p, &atom);

                if (r == 0 && is_repeat(p)) {
                        char q = p->s[p->pos++];
                        struct ast *rep = ast_new(q == '*'   ? K_STAR
                                                  : q == '+' ? K_PLUS
                                                             : K_QUEST,
                                                  0);

                        ast_add(rep, atom);
                        atom = rep;
                        if (p->pos < p->n && p->s[p->pos] == '?')
                                p->pos++; /* lazy: the same language */
                        if (is_repeat(p))
                                r = rfail(p, "invalid nested repetition operator");
                }
                if (r < 0) {
                        ast_free(atom);
                        ast_free(seq);
                        return r;
                }
                ast_add(seq, atom);
        }
        if (p->depth == 0 && p->pos < p->n) {
                ast_free(seq);
                return rfail(p, "unexpected )");
        }
        *ret = seq;
        return 0;
}

/* --- compilation (Thompson) --- */

static size_t
emit(struct dockerignore_re *re, enum op op, uint32_t c, size_t x, size_t y)
{
        re->prog = xreallocarray(re->prog, re->n + 1, sizeof(*re->prog));
        re->prog[re->n] = (struct inst){ .op = op, .c = c, .x = x, .y = y };
        return re->n++;
}

static void
compile(struct dockerignore_re *re, const struct ast *a)
{
        size_t l1, l2;

        switch (a->k) {
        case K_LIT:
                emit(re, OP_CHAR, a->c, 0, 0);
                break;
        case K_ANY:
                emit(re, OP_ANY, 0, 0, 0);
                break;
        case K_CLASS:
                emit(re, OP_CLASS, a->c, 0, 0);
                break;
        case K_BOL:
                emit(re, OP_BOL, 0, 0, 0);
                break;
        case K_EOL:
                emit(re, OP_EOL, 0, 0, 0);
                break;
        case K_CAT:
                for (size_t i = 0; i < a->nkids; i++)
                        compile(re, a->kids[i]);
                break;
        case K_STAR:
                l1 = emit(re, OP_SPLIT, 0, 0, 0);
                compile(re, a->kids[0]);
                emit(re, OP_JMP, 0, l1, 0);
                re->prog[l1].x = l1 + 1;
                re->prog[l1].y = re->n;
                break;
        case K_PLUS:
                l1 = re->n;
                compile(re, a->kids[0]);
                l2 = emit(re, OP_SPLIT, 0, l1, 0);
                re->prog[l2].y = re->n;
                break;
        case K_QUEST:
                l1 = emit(re, OP_SPLIT, 0, 0, 0);
                compile(re, a->kids[0]);
                re->prog[l1].x = l1 + 1;
                re->prog[l1].y = re->n;
                break;
        }
}

int
dockerignore_re_compile(const char *expr, struct dockerignore_re **ret, struct err *err)
{
        struct dockerignore_re *re = xcalloc(1, sizeof(*re));
        struct rparser p = { .s = expr, .n = strlen(expr), .re = re, .err = err };
        struct ast *a = NULL;
        int r;

        if (p.n > DOCKERIGNORE_RE_MAX) {
                dockerignore_re_free(re);
                return err_setf(err, -EINVAL, "pattern longer than %d bytes", DOCKERIGNORE_RE_MAX);
        }
        r = parse_seq(&p, &a);
        if (r < 0) {
                dockerignore_re_free(re);
                return r;
        }
        compile(re, a);
        emit(re, OP_MATCH, 0, 0, 0);
        ast_free(a);
        *ret = re;
        return 0;
}

struct dockerignore_re *
dockerignore_re_free(struct dockerignore_re *re)
{
        if (!re)
                return NULL;
        for (size_t i = 0; i < re->ncls; i++) {
                free(re->cls[i].lo);
                free(re->cls[i].hi);
        }
        free(re->cls);
        free(re->prog);
        free(re);
        return NULL;
}

/* --- simulation --- */

struct tlist {
        size_t *pc;
        size_t n;
};

/* add pc and everything reachable from it without reading a rune; true on OP_MATCH */
static bool
add_thread(const struct dockerignore_re *re, struct tlist *l, unsigned *mark, unsigned gen,
           size_t *stack, size_t pc, size_t pos, size_t end)
{
        size_t sp = 0;
        bool matched = false;

        stack[sp++] = pc;
        while (sp > 0) {
                const struct inst *in;

                pc = stack[--sp];
                if (mark[pc] == gen)
                        continue;
                mark[pc] = gen;
                in = &re->prog[pc];
                switch (in->op) {
                case OP_JMP:
                        stack[sp++] = in->x;
                        break;
                case OP_SPLIT:
                        stack[sp++] = in->y;
                        stack[sp++] = in->x;
                        break;
                case OP_BOL:
                        if (pos == 0)
                                stack[sp++] = pc + 1;
                        break;
                case OP_EOL:
                        if (pos == end)
                                stack[sp++] = pc + 1;
                        break;
                case OP_MATCH:
                        matched = true;
                        break;
                default:
                        l->pc[l->n++] = pc;
                        break;
                }
        }
        return matched;
}

static bool
step_ok(const struct dockerignore_re *re, const struct inst *in, uint32_t r)
{
        switch (in->op) {
        case OP_CHAR:
                return in->c == r;
        case OP_ANY:
                return r != '\n';
        case OP_CLASS:
                return cls_has(&re->cls[in->c], r);
        default:
                return false;
        }
}

bool
dockerignore_re_search(const struct dockerignore_re *re, const char *s)
{
        size_t end = strlen(s), n = re->n;
        cleanup_free size_t *a = xreallocarray(NULL, n, sizeof(size_t));
        cleanup_free size_t *b = xreallocarray(NULL, n, sizeof(size_t));
        cleanup_free size_t *stack = xreallocarray(NULL, 2 * n + 2, sizeof(size_t));
        cleanup_free unsigned *mark = xcalloc(n, sizeof(unsigned));
        struct tlist cur = { a, 0 }, nxt = { b, 0 };
        unsigned gen = 1;

        for (size_t pos = 0;;) {
                uint32_t r;
                size_t len;

                if (add_thread(re, &cur, mark, gen, stack, 0, pos, end))
                        return true;
                if (pos >= end)
                        return false;
                len = utf8_decode(s + pos, end - pos, &r);
                gen++;
                nxt.n = 0;
                for (size_t i = 0; i < cur.n; i++) {
                        const struct inst *in = &re->prog[cur.pc[i]];

                        if (step_ok(re, in, r) &&
                            add_thread(re, &nxt, mark, gen, stack, cur.pc[i] + 1, pos + len, end))
                                return true;
                }
                pos += len;
                struct tlist t = cur;
                cur = nxt;
                nxt = t;
        }
}
