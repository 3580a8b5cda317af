#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

char sbuf_empty_[1];

void
sbuf_init(struct sbuf *sb)
{
        sb->buf = sbuf_empty_;
        sb->len = 0;
        sb->cap = 0;
}

void
sbuf_release(struct sbuf *sb)
{
        if (sb->cap)
                free(sb->buf);
        sbuf_init(sb);
}

char *
sbuf_detach(struct sbuf *sb)
{
        char *s = sb->cap ? sb->buf : xstrdup("");

        sbuf_init(sb);
        return s;
}

void
sbuf_reset(struct sbuf *sb)
{
        sbuf_truncate(sb, 0);
}

void
sbuf_grow(struct sbuf *sb, size_t extra)
{
        size_t need = sb->len + extra + 1;
        size_t cap;

        if (need <= sb->cap)
                return;
        cap = sb->cap ? sb->cap : 64;
        while (cap < need)
                cap *= 2;
        if (sb->cap) {
                sb->buf = xrealloc(sb->buf, cap);
        } else {
                sb->buf = xmalloc(cap);
                sb->buf[0] = '\0';
        }
        sb->cap = cap;
}

void
sbuf_add(struct sbuf *sb, const void *data, size_t n)
{
        if (!n)
                return;
        sbuf_grow(sb, n);
        memcpy(sb->buf + sb->len, data, n);
        sb->len += n;
        sb->buf[sb->len] = '\0';
}

void
sbuf_adds(struct sbuf *sb, const char *s)
{
        sbuf_add(sb, s, strlen(s));
}

void
sbuf_addch(struct sbuf *sb, char c)
{
        sbuf_add(sb, &c, 1);
}

void
sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
        va_list cp;
        int n;

        va_copy(cp, ap);
        n = vsnprintf(NULL, 0, fmt, cp);
        va_end(cp);
        if (n <= 0)
                return;
        sbuf_grow(sb, (size_t)n);
        vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
        sb->len += (size_t)n;
}

void
sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        sbuf_vaddf(sb, fmt, ap);
        va_end(ap);
}

void
sbuf_truncate(struct sbuf *sb, size_t len)
{
        if (len >= sb->len)
                return;
        sb->len = len;
        sb->buf[len] = '\0';
}
