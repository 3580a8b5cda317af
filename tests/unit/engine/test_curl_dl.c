/* curl_dl: libcurl is found and loaded once, and the table works (an escape round trip). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine/curl_dl.h"

static void
test_curl_dl__loads_once_and_works(void **state)
{
        struct err err = { 0 };
        const struct curl_dl_api *a, *b;
        CURL *h;
        char *s;

        (void)state;
        assert_int_equal(curl_dl_load(&err), 0);
        assert_int_equal(curl_dl_load(&err), 0);
        a = curl_dl();
        b = curl_dl();
        assert_ptr_equal(a, b);
        assert_non_null(a->multi_poll);
        h = curl_easy_init();
        assert_non_null(h);
        s = curl_easy_escape(h, "a b/c", 0);
        assert_string_equal(s, "a%20b%2Fc");
        curl_free(s);
        assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
        assert_non_null(strstr(curl_easy_strerror(CURLE_COULDNT_CONNECT), "connect"));
        curl_easy_cleanup(h);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_curl_dl__loads_once_and_works),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
