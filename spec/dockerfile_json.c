/* dockerfile_json: a JSON (RFC 8259) reader for the exec form of RUN/CMD/ENTRYPOINT/SHELL/
 * HEALTHCHECK and COPY/ADD/VOLUME. Validation is iterative (an explicit container stack), so
 * deep nesting costs no C stack; decoding of strings follows Go's encoding/json. */
#include "dockerfile_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "base/utf8.h"

struct cursor {
        const char *s;
        size_t n, pos;
};

static void
skip_ws(struct cursor *c)
{
        while (c->pos < c->n && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
                                 c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
                c->pos++;
}

static int
hexval(char ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* four hex digits of \uXXXX at s[i..], -1 if absent */
static int32_t
get_u4(const struct cursor *c, size_t i)
{
        int32_t v = 0;

        if (i + 6 > c->n || c->s[i] != '\\' || c->s[i + 1] != 'u')
                return -1;
        for (size_t k = i + 2; k < i + 6; k++) {
                int h = hexval(c->s[k]);

                if (h < 0)
                        return -1;
                v = v * 16 + h;
        }
        return v;
}

/* \uXXXX (with a following low surrogate when XXXX is a high one) at c->pos */
static void
decode_u(struct cursor *c, struct sbuf *out)
{
        int32_t r = get_u4(c, c->pos);

        c->pos += 6;
        if (r >= 0xD800 && r < 0xE000) {
                int32_t r2 = get_u4(c, c->pos);

                if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
                        c->pos += 6;
                        r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                } else {
                        r = (int32_t)UTF8_BAD;
                }
        }
        if (out)
                utf8_add(out, (uint32_t)r);
}

/* a string at c->pos (the opening quote); decoded into out when out is not NULL */
static bool
read_string(struct cursor *c, struct sbuf *out)
{
        static const char simple[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";

        c->pos++;
        while (c->pos < c->n) {
                unsigned char ch = (unsigned char)c->s[c->pos];

                if (ch == '"') {
                        c->pos++;
                        return true;
                }
                if (ch < 0x20)
                        return false;
                if (ch == '\\') {
                        const char *e;

                        if (c->pos + 1 >= c->n)
                                return false;
                        if (c->s[c->pos + 1] == 'u') {
                                if (get_u4(c, c->pos) < 0)
                                        return false;
                                decode_u(c, out);
                                continue;
                        }
                        e = memchr(simple, c->s[c->pos + 1], sizeof(simple) - 1);
                        if (!e)
                                return false;
                        if (out)
                                sbuf_addch(out, value[e - simple]);
                        c->pos += 2;
                        continue;
                }
                if (ch < 0x80) {
                        if (out)
                                sbuf_addch(out, (char)ch);
                        c->pos++;
                } else {
                        uint32_t r;

                        c->pos += utf8_decode(c->s + c->pos, c->n - c->pos, &r);
                        if (out)
                                utf8_add(out, r);
                }
        }
        return false;
}

static bool
read_digits(struct cursor *c)
{
        size_t start = c->pos;

        while (c->pos < c->n && c->s[c->pos] >= '0' && c->s[c->pos] <= '9')
                c->pos++;
        return c->pos > start;
}

static bool
read_number(struct cursor *c)
{
        if (c->s[c->pos] == '-')
                c->pos++;
        if (c->pos < c->n && c->s[c->pos] == '0')
                c->pos++;
        else if (!read_digits(c))
                return false;
        if (c->pos < c->n && c->s[c->pos] == '.') {
                c->pos++;
                if (!read_digits(c))
                        return false;
        }
        if (c->pos < c->n && (c->s[c->pos] == 'e' || c->s[c->pos] == 'E')) {
                c->pos++;
                if (c->pos < c->n && (c->s[c->pos] == '+' || c->s[c->pos] == '-'))
                        c->pos++;
                if (!read_digits(c))
                        return false;
        }
        return true;
}

static bool
read_literal(struct cursor *c, const char *lit)
{
        size_t len = strlen(lit);

        if (c->n - c->pos < len || memcmp(c->s + c->pos, lit, len) != 0)
                return false;
        c->pos += len;
        return true;
}

/* an object key and its colon (after '{' or ',') */
static bool
read_key(struct cursor *c)
{
        skip_ws(c);
        if (c->pos >= c->n || c->s[c->pos] != '"' || !read_string(c, NULL))
                return false;
        skip_ws(c);
        if (c->pos >= c->n || c->s[c->pos] != ':')
                return false;
        c->pos++;
        return true;
}

/* After a value inside nested containers: consume closers until a ',' asks for the next
 * value (returns 1), the nesting is back to base (returns 0), or a syntax error (-1). */
static int
after_value(struct cursor *c, char *stack, size_t *depth, size_t base)
{
        while (*depth > base) {
                char top = stack[*depth - 1];

                skip_ws(c);
                if (c->pos >= c->n)
                        return -1;
                if (c->s[c->pos] == ',') {
                        c->pos++;
                        return (top == '{' && !read_key(c)) ? -1 : 1;
                }
                if (c->s[c->pos] != (top == '[' ? ']' : '}'))
                        return -1;
                c->pos++;
                (*depth)--;
        }
        return 0;
}

/* skip one value of any kind; depth counts the containers already open around it */
static bool
skip_value(struct cursor *c, size_t depth0)
{
        cleanup_free char *stack = xmalloc(DOCKERFILE_JSON_MAX_DEPTH + 1);
        size_t depth = 0;

        for (;;) {
                skip_ws(c);
                if (c->pos >= c->n)
                        return false;
                char ch = c->s[c->pos];
                bool ok = true;

                if (ch == '[' || ch == '{') {
                        if (depth0 + depth + 1 > DOCKERFILE_JSON_MAX_DEPTH)
                                return false;
                        stack[depth++] = ch;
                        c->pos++;
                        skip_ws(c);
                        if (c->pos < c->n && c->s[c->pos] == (ch == '[' ? ']' : '}')) {
                                c->pos++;
                                depth--;
                        } else if (ch == '[' || read_key(c)) {
                                continue;
                        } else {
                                return false;
                        }
                } else if (ch == '"') {
                        ok = read_string(c, NULL);
                } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
                        ok = read_number(c);
                } else {
                        ok = read_literal(c, "true") || read_literal(c, "false") ||
                             read_literal(c, "null");
                }
                if (!ok)
                        return false;
                int r = after_value(c, stack, &depth, 0);
                if (r < 0)
                        return false;
                if (r == 0)
                        return true;
        }
}

struct arr {
        char **v;
        size_t *len;
        size_t n;
        bool not_strings;
};

static bool
read_element(struct cursor *c, struct arr *a)
{
        skip_ws(c);
        if (c->pos < c->n && c->s[c->pos] == '"') {
                cleanup_sbuf struct sbuf sb = SBUF_INIT;

                if (!read_string(c, &sb))
                        return false;
                a->len = xreallocarray(a->len, a->n + 1, sizeof(size_t));
                a->len[a->n++] = sb.len;
                strv_push(&a->v, sbuf_detach(&sb));
                return true;
        }
        a->not_strings = true;
        return skip_value(c, 1);
}

static bool
read_array(struct cursor *c, struct arr *a)
{
        skip_ws(c);
        if (c->pos >= c->n || c->s[c->pos] != '[')
                return false;
        c->pos++;
        skip_ws(c);
        if (c->pos < c->n && c->s[c->pos] == ']') {
                c->pos++;
        } else {
                for (;;) {
                        if (!read_element(c, a))
                                return false;
                        skip_ws(c);
                        if (c->pos < c->n && c->s[c->pos] == ',') {
                                c->pos++;
                                continue;
                        }
                        if (c->pos < c->n && c->s[c->pos] == ']') {
                                c->pos++;
                                break;
                        }
                        return false;
                }
        }
        skip_ws(c);
        return c->pos == c->n;
}

enum dockerfile_json_result
dockerfile_json_strings(const char *s, size_t n, char ***ret, size_t **ret_len, size_t *ret_n)
{
        struct cursor c = { .s = s, .n = n };
        struct arr a = { 0 };
        bool ok = read_array(&c, &a);

        if (!ok || a.not_strings) {
                strv_free(a.v);
                free(a.len);
                return ok ? DOCKERFILE_JSON_NOT_STRINGS : DOCKERFILE_JSON_NOT_ARRAY;
        }
        *ret = a.v;
        *ret_len = a.len;
        *ret_n = a.n;
        return DOCKERFILE_JSON_STRINGS;
}
