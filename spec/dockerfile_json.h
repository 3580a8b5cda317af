/* dockerfile_json: the exec-form (JSON array) reader of the Dockerfile parser.
 *
 * It accepts exactly what docker's builder accepts (Go's encoding/json decoding into []any):
 * the whole text must be one valid JSON value (RFC 8259, white space around it allowed,
 * nesting at most DOCKERFILE_JSON_MAX_DEPTH), which must be an array of strings. Strings are
 * decoded as Go does: invalid UTF-8 and unpaired surrogates become U+FFFD, and "\u0000" is a
 * NUL byte inside the string (hence the lengths).
 */
#pragma once

#include <stddef.h>

#define DOCKERFILE_JSON_MAX_DEPTH 10000

enum dockerfile_json_result {
        DOCKERFILE_JSON_NOT_ARRAY = 0,   /* not JSON or not an array: use the shell form */
        DOCKERFILE_JSON_STRINGS = 1,     /* an array of strings: *ret, *ret_len, *ret_n set */
        DOCKERFILE_JSON_NOT_STRINGS = 2, /* valid JSON array with a non-string element */
};

/* dockerfile_json_strings: parse s[0..n). On DOCKERFILE_JSON_STRINGS, *ret is an owned strv
 * (NULL-terminated, NULL when the array is empty) and *ret_len an owned array of the byte
 * lengths (which differ from strlen when a string holds a NUL). */
enum dockerfile_json_result dockerfile_json_strings(const char *s, size_t n, char ***ret,
                                                    size_t **ret_len, size_t *ret_n);
