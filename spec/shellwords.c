/* shellwords: go-shellwords (v1.0.13) word splitting, without its env and backtick expansion.
 *
 * The state machine mirrors go-shellwords so that `command: <string>` gives docker compose's
 * argv exactly, quirks included: backquotes and $( ) only stop spaces from splitting, a bare
 * parenthesis is an error, and the first unquoted ; & | < > ends the command line.
 */
#include "shellwords.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/sbuf.h"
#include "base/strv.h"

enum arg_state {
        ARG_NO,
        ARG_SINGLE,
        ARG_QUOTED
};

struct splitter {
        struct sbuf word;
        char **words;
        enum arg_state got;
        bool escaped, squote, dquote, backquote, dollar;
};

static bool
is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
quoted(const struct splitter *sp)
{
        return sp->squote || sp->dquote || sp->backquote || sp->dollar;
}

static void
push_word(struct splitter *sp)
{
        strv_push(&sp->words, sbuf_detach(&sp->word));
        sp->got = ARG_NO;
}

enum step {
        STEP_ADD,
        STEP_NEXT,
        STEP_STOP,
        STEP_ERROR
};

/* special: the characters go-shellwords treats specially outside an escape. */
static enum step
special(struct splitter *sp, char c, const char **why)
{
        switch (c) {
        case '`':
                if (!sp->squote && !sp->dquote && !sp->dollar)
                        sp->backquote = !sp->backquote;
                return STEP_ADD;
        case ')':
                if (sp->squote || sp->dquote || sp->backquote)
                        return STEP_ADD;
                if (!sp->dollar) {
                        *why = "unbalanced ')'";
                        return STEP_ERROR;
                }
                sp->dollar = false;
                return STEP_ADD;
        case '(':
                if (sp->squote || sp->dquote || sp->backquote)
                        return STEP_ADD;
                if (sp->dollar || sp->word.len == 0 || sp->word.buf[sp->word.len - 1] != '$') {
                        *why = "unexpected '('";
                        return STEP_ERROR;
                }
                sp->dollar = true;
                sbuf_addch(&sp->word, c);
                return STEP_NEXT;
        case '"':
                if (sp->squote || sp->dollar)
                        return STEP_ADD;
                if (sp->dquote)
                        sp->got = ARG_QUOTED;
                sp->dquote = !sp->dquote;
                return STEP_NEXT;
        case '\'':
                if (sp->dquote || sp->dollar)
                        return STEP_ADD;
                if (sp->squote)
                        sp->got = ARG_QUOTED;
                sp->squote = !sp->squote;
                return STEP_NEXT;
        case ';':
        case '&':
        case '|':
        case '<':
        case '>':
                if (quoted(sp))
                        return STEP_ADD;
                if (c == '>' && sp->word.len > 0 && sp->word.buf[0] >= '0' &&
                    sp->word.buf[0] <= '9')
                        sp->got = ARG_NO; /* "2>": a redirected fd, not a word */
                return STEP_STOP;
        default:
                return STEP_ADD;
        }
}

/* feed: one byte; returns false at the end of the command line or on error (*why set). */
static bool
feed(struct splitter *sp, char c, const char **why)
{
        if (sp->escaped) {
                sbuf_addch(&sp->word, c == 't' ? '\t' : c == 'n' ? '\n' : c);
                sp->escaped = false;
                sp->got = ARG_SINGLE;
                return true;
        }
        if (c == '\\') {
                if (sp->squote)
                        sbuf_addch(&sp->word, c);
                else
                        sp->escaped = true;
                return true;
        }
        if (is_blank(c)) {
                if (quoted(sp))
                        sbuf_addch(&sp->word, c);
                else if (sp->got != ARG_NO)
                        push_word(sp);
                return true;
        }
        switch (special(sp, c, why)) {
        case STEP_NEXT:
                return true;
        case STEP_STOP:
        case STEP_ERROR:
                return false;
        case STEP_ADD:
                break;
        }
        sp->got = ARG_SINGLE;
        sbuf_addch(&sp->word, c);
        return true;
}

static const char *
unterminated(const struct splitter *sp)
{
        if (sp->escaped)
                return "trailing backslash";
        if (sp->squote)
                return "unterminated single quote";
        if (sp->dquote)
                return "unterminated double quote";
        if (sp->backquote)
                return "unterminated backquote";
        if (sp->dollar)
                return "unterminated $(";
        return NULL;
}

int
shellwords_split(const char *s, char ***ret, struct err *err)
{
        struct splitter sp = { .word = SBUF_INIT };
        const char *why = NULL;
        int r = 0;

        for (; *s; s++)
                if (!feed(&sp, *s, &why))
                        break;
        if (!why && sp.got != ARG_NO)
                push_word(&sp);
        if (!why)
                why = unterminated(&sp);
        if (why) {
                r = err_setf(err, -EINVAL, "invalid command line string: %s", why);
                strv_free(sp.words);
        } else {
                *ret = sp.words ? sp.words : xcalloc(1, sizeof(char *));
        }
        sbuf_release(&sp.word);
        return r;
}
