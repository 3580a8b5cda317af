/* sbuf: a growable, always NUL-terminated string buffer (in the spirit of git's strbuf).
 *
 * SBUF_INIT or sbuf_init() gives an empty buffer whose buf is "" (never NULL). sbuf_release()
 * frees the contents and leaves an empty buffer; sbuf_detach() hands the string to the caller.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
        char *buf;
        size_t len;
        size_t cap;
};

extern char sbuf_empty_[];
#define SBUF_INIT                                      \
        {                                              \
                .buf = sbuf_empty_, .len = 0, .cap = 0 \
        }

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
/* sbuf_detach: return the owned string (allocated even when empty) and reset sb. */
char *sbuf_detach(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t n);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sbuf_truncate(struct sbuf *sb, size_t len);

static inline void
sbuf_release_p(struct sbuf *sb)
{
        sbuf_release(sb);
}
#define cleanup_sbuf __attribute__((cleanup(sbuf_release_p)))
