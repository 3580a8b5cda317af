/* dockerfile_dump: the AST dump format of docker's parser tests (buildkit parser
 * Node.Dump()): "(keyword [flags] args)" with the keyword lower-cased, flags as Go's %q of a
 * string slice, every arg as Go's strconv.Quote, and an ONBUILD trigger as a nested,
 * unquoted dump. */
#include <string.h>

#include "dockerfile.h"
#include "base/utf8.h"

void
dockerfile_dump_instr(const struct df_instr *in, struct sbuf *out)
{
        size_t start = out->len, lead, trail;

        for (const char *k = in->keyword; *k; k++)
                sbuf_addch(out, (*k >= 'A' && *k <= 'Z') ? (char)(*k | 0x20) : *k);
        if (in->flags && in->flags[0]) {
                sbuf_adds(out, " [");
                for (size_t i = 0; in->flags[i]; i++) {
                        if (i > 0)
                                sbuf_addch(out, ' ');
                        utf8_quote(out, in->flags[i], strlen(in->flags[i]));
                }
                sbuf_addch(out, ']');
        }
        for (size_t i = 0; i < in->nargs; i++) {
                sbuf_addch(out, ' ');
                utf8_quote(out, in->args[i], in->arglen[i]);
        }
        if (in->sub) {
                sbuf_adds(out, " (");
                dockerfile_dump_instr(in->sub, out);
                sbuf_addch(out, ')');
        }
        /* Go's TrimSpace of the node dump */
        lead = utf8_lspace(out->buf + start, out->len - start);
        trail = utf8_rspace(out->buf + start + lead, out->len - start - lead);
        if (lead > 0)
                memmove(out->buf + start, out->buf + start + lead, out->len - start - lead);
        sbuf_truncate(out, out->len - lead - trail);
}

void
dockerfile_dump(const struct dockerfile *df, struct sbuf *out)
{
        for (size_t i = 0; i < df->n; i++) {
                sbuf_addch(out, '(');
                dockerfile_dump_instr(&df->instrs[i], out);
                sbuf_adds(out, ")\n");
        }
}
