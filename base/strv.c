#include "strv.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "sbuf.h"

size_t
strv_length(char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

void
strv_push(char ***v, char *s)
{
        size_t n = strv_length(*v);

        *v = xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = s;
        (*v)[n + 1] = NULL;
}

void
strv_add(char ***v, const char *s)
{
        strv_push(v, xstrdup(s));
}

char **
strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

char **
strv_copy(char *const *v)
{
        char **out = NULL;

        strv_foreach(s, v)
                strv_add(&out, s);
        return out;
}

int
strv_contains(char *const *v, const char *s)
{
        strv_foreach(x, v)
                if (strcmp(x, s) == 0)
                        return 1;
        return 0;
}

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strv_sort(char **v)
{
        size_t n = strv_length(v);

        if (n > 1)
                qsort(v, n, sizeof(char *), cmp_str);
}

void
strv_uniq(char **v)
{
        size_t w = 0;

        for (size_t r = 0; v && v[r]; r++) {
                if (w > 0 && strcmp(v[w - 1], v[r]) == 0) {
                        free(v[r]);
                        continue;
                }
                v[w++] = v[r];
        }
        if (v)
                v[w] = NULL;
}

char **
strv_split(const char *s, const char *sep)
{
        char **out = NULL;
        size_t seplen = strlen(sep);
        const char *p;

        if (!*s)
                return xcalloc(1, sizeof(char *));
        while ((p = strstr(s, sep)) && seplen) {
                strv_push(&out, xstrndup(s, (size_t)(p - s)));
                s = p + seplen;
        }
        strv_add(&out, s);
        return out;
}

char *
strv_join(char *const *v, const char *sep)
{
        struct sbuf sb = SBUF_INIT;

        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        sbuf_adds(&sb, sep);
                sbuf_adds(&sb, v[i]);
        }
        return sbuf_detach(&sb);
}
