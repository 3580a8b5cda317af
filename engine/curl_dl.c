/* curl_dl: libcurl looked up at run time (see curl_dl.h for why). */
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/curl_dl.h"

/* The table is process-wide state written once under pthread_once: every thread of a pull
 * and every later call sees the same functions. */
static struct curl_dl_api api;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;

#define SYM(field, name)                                                  \
        do {                                                              \
                *(void **)&api.field = dlsym(h, name);                    \
                if (!api.field) {                                         \
                        snprintf(load_error, sizeof(load_error),          \
                                 "libcurl.so.4 has no %s", name);         \
                        return;                                           \
                }                                                         \
        } while (0)

static void
load(void)
{
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

        if (!h) {
                snprintf(load_error, sizeof(load_error), "%s", dlerror());
                return;
        }
        SYM(global_init, "curl_global_init");
        SYM(global_cleanup, "curl_global_cleanup");
        SYM(easy_init, "curl_easy_init");
        SYM(easy_setopt, "curl_easy_setopt");
        SYM(easy_perform, "curl_easy_perform");
        SYM(easy_getinfo, "curl_easy_getinfo");
        SYM(easy_cleanup, "curl_easy_cleanup");
        SYM(easy_strerror, "curl_easy_strerror");
        SYM(easy_escape, "curl_easy_escape");
        SYM(slist_append, "curl_slist_append");
        SYM(slist_free_all, "curl_slist_free_all");
        SYM(free, "curl_free");
        SYM(multi_init, "curl_multi_init");
        SYM(multi_add_handle, "curl_multi_add_handle");
        SYM(multi_remove_handle, "curl_multi_remove_handle");
        SYM(multi_perform, "curl_multi_perform");
        SYM(multi_poll, "curl_multi_poll");
        SYM(multi_info_read, "curl_multi_info_read");
        SYM(multi_cleanup, "curl_multi_cleanup");
        SYM(multi_strerror, "curl_multi_strerror");
        /* curl_global_init is not thread-safe in older libcurls: once, here, under the once */
        if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                snprintf(load_error, sizeof(load_error), "curl_global_init failed");
                return;
        }
        loaded = 1;
}

int
curl_dl_load(struct err *err)
{
        pthread_once(&once, load);
        if (!loaded)
                return err_setf(err, -ENOENT, "libcurl cannot be loaded: %s", load_error);
        return 0;
}

const struct curl_dl_api *
curl_dl(void)
{
        pthread_once(&once, load);
        if (!loaded) {
                fprintf(stderr, "berth: libcurl cannot be loaded: %s\n", load_error);
                abort();
        }
        return &api;
}
