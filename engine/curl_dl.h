/* curl_dl: libcurl, loaded when a command first needs it.
 *
 * libcurl with its TLS, Kerberos, LDAP, SSH, IDN and HTTP/2 libraries is about 30 shared
 * objects whose loading and constructors cost ~6 ms at every start of a process that links
 * it, which is every berth command, though only pull, push, login and ADD of a URL speak
 * HTTP. So berth does not link libcurl: this header maps the curl_* calls berth makes onto a
 * table of functions looked up with dlopen("libcurl.so.4")/dlsym on first use. Include it
 * instead of <curl/curl.h>.
 *
 * curl_dl_load() is the checked entry (it also runs curl_global_init once); a curl_* call
 * made before it loads the library itself and, should that fail, aborts with the reason:
 * entry points call curl_dl_load() first so that a user sees a clear error instead.
 */
#pragma once

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "base/err.h"

struct curl_dl_api {
        CURLcode (*global_init)(long flags);
        void (*global_cleanup)(void);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
        CURLcode (*easy_perform)(CURL *h);
        CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
        void (*easy_cleanup)(CURL *h);
        const char *(*easy_strerror)(CURLcode c);
        char *(*easy_escape)(CURL *h, const char *s, int n);
        struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
        void (*slist_free_all)(struct curl_slist *l);
        void (*free)(void *p);
        CURLM *(*multi_init)(void);
        CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
        CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
        CURLMcode (*multi_perform)(CURLM *m, int *running);
        CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra[], unsigned n, int ms,
                                int *ret);
        CURLMsg *(*multi_info_read)(CURLM *m, int *left);
        CURLMcode (*multi_cleanup)(CURLM *m);
        const char *(*multi_strerror)(CURLMcode c);
};

/* curl_dl_load: load libcurl and run its global init (once per process, thread-safe).
 * -ENOENT "libcurl cannot be loaded: …" when the library is missing or incomplete. */
int curl_dl_load(struct err *err);

/* curl_dl: the loaded table (loading it now if needed; aborts when it cannot be loaded). */
const struct curl_dl_api *curl_dl(void);

/* curl.h may define some of these names as macros of its own (type checks) */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#undef curl_share_setopt

#define curl_global_init(f)           (curl_dl()->global_init(f))
#define curl_global_cleanup()         (curl_dl()->global_cleanup())
#define curl_easy_init()              (curl_dl()->easy_init())
#define curl_easy_setopt(...)         (curl_dl()->easy_setopt(__VA_ARGS__))
#define curl_easy_perform(h)          (curl_dl()->easy_perform(h))
#define curl_easy_getinfo(...)        (curl_dl()->easy_getinfo(__VA_ARGS__))
#define curl_easy_cleanup(h)          (curl_dl()->easy_cleanup(h))
#define curl_easy_strerror(c)         (curl_dl()->easy_strerror(c))
#define curl_easy_escape(h, s, n)     (curl_dl()->easy_escape(h, s, n))
#define curl_slist_append(l, s)       (curl_dl()->slist_append(l, s))
#define curl_slist_free_all(l)        (curl_dl()->slist_free_all(l))
#define curl_free(p)                  (curl_dl()->free(p))
#define curl_multi_init()             (curl_dl()->multi_init())
#define curl_multi_add_handle(m, h)   (curl_dl()->multi_add_handle(m, h))
#define curl_multi_remove_handle(m, h) (curl_dl()->multi_remove_handle(m, h))
#define curl_multi_perform(m, r)      (curl_dl()->multi_perform(m, r))
#define curl_multi_poll(m, e, n, t, r) (curl_dl()->multi_poll(m, e, n, t, r))
#define curl_multi_info_read(m, l)    (curl_dl()->multi_info_read(m, l))
#define curl_multi_cleanup(m)         (curl_dl()->multi_cleanup(m))
#define curl_multi_strerror(c)        (curl_dl()->multi_strerror(c))
