#include "spec/render.h"

#include <string.h>

#include "spec/emit.h"
#include "spec/order.h"

/* escape_dollars: docker compose's escapeDollarSign, applied to the marshalled text. */
static void
escape_dollars(struct sbuf *out, size_t from)
{
        struct sbuf esc = SBUF_INIT;

        if (!memchr(out->buf + from, '$', out->len - from))
                return;
        for (size_t i = from; i < out->len; i++) {
                if (out->buf[i] == '$')
                        sbuf_addch(&esc, '$');
                sbuf_addch(&esc, out->buf[i]);
        }
        sbuf_truncate(out, from);
        sbuf_add(out, esc.buf, esc.len);
        sbuf_release(&esc);
}

int
render_model(struct node *model, bool json, bool no_interpolate, struct sbuf *out, struct err *err)
{
        size_t from = out->len;
        int r;

        if (json) {
                order_project_json(model, no_interpolate);
                r = emit_json(model, out, err);
                sbuf_addch(out, '\n');
        } else {
                order_project(model, no_interpolate);
                r = emit_yaml(model, out, err);
        }
        if (r == 0 && !no_interpolate)
                escape_dollars(out, from);
        return r;
}
