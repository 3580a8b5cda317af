/* build_chmod: COPY/ADD --chmod values: an octal mode (0 to 07777) or a symbolic one as
 * BuildKit accepts (its mode package, BSD setmode(3) semantics): comma-separated clauses of
 * [ugoa]* then one or more of (+|-|=)[rwxXst]* or (+|-|=)[ugo] (copy another class's bits),
 * e.g. "u+x", "go-w", "a=rX", "u=rwx,go=u-w". A clause without [ugoa] means "a" (BuildKit
 * applies it with umask 0). X adds execute only to directories and to files some class can
 * already execute, and (a quirk of BuildKit's mode package, kept) only after '+': "a=rX" is
 * "a=r"; 's' is ignored for "o" alone, as is 't'. Anything else is refused, as
 * BuildKit refuses it (including a leading digit that is not octal, or an empty clause).
 * The mode is applied to each copied file and directory on its own mode.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <sys/stat.h>

#include "engine/build_copy_int.h"

#define STD_BITS (S_ISUID | S_ISGID | 0777)

struct chmod_state {
        mode_t m;        /* the mode being built */
        mode_t old;      /* the mode before (X looks at it) */
        bool dir;
};

/* the bits of an operation for who (all when who is 0) */
static mode_t
bits_for(mode_t who, mode_t perm)
{
        return who ? who & perm : perm;
}

static void
apply_op(struct chmod_state *c, char op, mode_t who, mode_t perm)
{
        if (op == '=') {
                c->m &= ~(who ? who : STD_BITS);
                op = '+';
        }
        if (op == '+')
                c->m |= bits_for(who, perm);
        else if (op == '-')
                c->m &= ~bits_for(who, perm);
        else if (op == 'X' && ((c->old & 0111) || c->dir))
                c->m |= bits_for(who, perm);
}

/* apply_copy: "g=u" and the like: op with the bits of class src for the classes in who */
static void
apply_copy(struct chmod_state *c, char src, mode_t who, char op)
{
        mode_t v = src == 'u' ? (c->m >> 6) & 7 : src == 'g' ? (c->m >> 3) & 7 : c->m & 7;
        int shifts[3] = { 6, 3, 0 };
        mode_t sel[3] = { S_IRUSR, S_IRGRP, S_IROTH };

        for (int i = 0; i < 3; i++) {
                if (who && !(who & sel[i]))
                        continue;
                if (op == '-' || op == '=')
                        c->m &= ~((op == '=' ? 7 : v) << shifts[i]);
                if (op == '+' || op == '=')
                        c->m |= v << shifts[i];
        }
}

static int
parse_octal(const char *s, mode_t *ret)
{
        mode_t v = 0;

        for (; *s; s++) {
                if (*s < '0' || *s > '7')
                        return -EINVAL;
                v = v * 8 + (mode_t)(*s - '0');
                if (v > 07777)
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

static const char *
parse_who(const char *s, mode_t *who)
{
        for (*who = 0;; s++) {
                if (*s == 'a')
                        *who |= STD_BITS;
                else if (*s == 'u')
                        *who |= S_ISUID | S_IRWXU;
                else if (*s == 'g')
                        *who |= S_ISGID | S_IRWXG;
                else if (*s == 'o')
                        *who |= S_IRWXO;
                else
                        return s;
        }
}

/* perm_char: one permission letter of an operation into *perm / *permx; false when b ends
 * the permission list */
static bool
perm_char(char b, char op, mode_t *who, mode_t *perm, mode_t *permx)
{
        bool ids = *who == 0 || (*who & ~(mode_t)S_IRWXO);

        switch (b) {
        case 'r': *perm |= 0444; return true;
        case 'w': *perm |= 0222; return true;
        case 'x': *perm |= 0111; return true;
        case 'X': *permx |= op == '+' ? 0111 : 0; return true;
        case 's': *perm |= ids ? S_ISUID | S_ISGID : 0; return true;
        case 't':
                if (ids) {
                        *who |= S_ISVTX; /* as BSD: "+rt" then sets only the sticky bit */
                        *perm |= S_ISVTX;
                }
                return true;
        default: return false;
        }
}

/* one_op: an operator and its permissions; *s moves past them */
static int
one_op(struct chmod_state *c, const char **s, mode_t who)
{
        char op = **s;
        mode_t perm = 0, permx = 0;
        bool eq_done = false;

        if (op != '+' && op != '-' && op != '=')
                return -EINVAL;
        who &= ~(mode_t)S_ISVTX;
        for ((*s)++;; (*s)++) {
                char b = **s;

                if (perm_char(b, op, &who, &perm, &permx))
                        continue;
                if (b != 'u' && b != 'g' && b != 'o')
                        break;
                if (perm)
                        apply_op(c, op, who, perm);
                perm = 0;
                eq_done |= op == '=';
                if (permx)
                        apply_op(c, 'X', who, permx);
                permx = 0;
                apply_copy(c, b, who, op);
        }
        if (perm || (op == '=' && !eq_done))
                apply_op(c, op, who, perm);
        if (permx)
                apply_op(c, 'X', who, permx);
        return 0;
}

int
copy_chmod_apply(const char *s, mode_t old, mode_t *ret)
{
        struct chmod_state c = { .m = old & 07777, .old = old & 07777, .dir = S_ISDIR(old) };
        mode_t who, v;

        if (!s || !*s)
                return -EINVAL;
        if (*s >= '0' && *s <= '9') {
                if (parse_octal(s, &v) < 0)
                        return -EINVAL;
                *ret = (old & ~(mode_t)07777) | v;
                return 0;
        }
        for (;;) {
                s = parse_who(s, &who);
                do {
                        if (one_op(&c, &s, who) < 0)
                                return -EINVAL;
                } while (*s && *s != ',');
                if (!*s)
                        break;
                if (!*++s)
                        return -EINVAL; /* a trailing ',' */
        }
        *ret = (old & ~(mode_t)07777) | c.m;
        return 0;
}
