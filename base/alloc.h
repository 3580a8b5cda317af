/* alloc: allocation that never returns NULL. Out of memory aborts the process: berth has no
 * sensible way to continue, and checking every allocation would bury the real error paths.
 * This is the only file that calls malloc/strdup directly. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: like reallocarray(3); aborts on overflow as on out of memory. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* GROW: make room for at least `need` elements in (*arr, *cap), doubling. */
#define GROW(arr, cap, need)                                                   \
        do {                                                                   \
                if ((need) > (cap)) {                                          \
                        size_t grow_n_ = (cap) ? (cap)*2 : 8;                  \
                        while (grow_n_ < (need))                               \
                                grow_n_ *= 2;                                  \
                        (arr) = xreallocarray((arr), grow_n_, sizeof(*(arr))); \
                        (cap) = grow_n_;                                       \
                }                                                              \
        } while (0)
