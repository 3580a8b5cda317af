#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((noreturn)) oom(void)
{
        static const char msg[] = "berth: out of memory\n";

        fwrite(msg, 1, sizeof(msg) - 1, stderr);
        abort();
}

void *
xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p)
                oom();
        return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
        void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

        if (!p)
                oom();
        return p;
}

void *
xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);

        if (!q)
                oom();
        return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
        if (size && nmemb > (size_t)-1 / size)
                oom();
        return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
        char *p = strdup(s);

        if (!p)
                oom();
        return p;
}

char *
xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);

        if (!p)
                oom();
        return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
        char *p = NULL;

        if (vasprintf(&p, fmt, ap) < 0)
                oom();
        return p;
}

char *
xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p;

        va_start(ap, fmt);
        p = xvasprintf(fmt, ap);
        va_end(ap);
        return p;
}
