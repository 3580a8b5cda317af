/* strv: NULL-terminated vectors of owned strings (char **), as execve(2) takes them.
 *
 * A NULL strv is a valid empty vector. strv_free() frees all and returns NULL.
 */
#pragma once

#include <stddef.h>

size_t strv_length(char *const *v);
/* strv_push: append a string the vector now owns. */
void strv_push(char ***v, char *s);
/* strv_add: append a copy of s. */
void strv_add(char ***v, const char *s);
char **strv_free(char **v);
char **strv_copy(char *const *v);
int strv_contains(char *const *v, const char *s);
/* strv_sort: sort in byte order (strcmp). */
void strv_sort(char **v);
/* strv_uniq: drop adjacent duplicates (sort first for a set). */
void strv_uniq(char **v);
/* strv_split: split s at every occurrence of sep (a string). An empty s gives an empty vector. */
char **strv_split(const char *s, const char *sep);
/* strv_join: join with sep; returns an owned string. */
char *strv_join(char *const *v, const char *sep);

#define strv_foreach(s, v) for (char *const *s##_i_ = (v), *s; s##_i_ && (s = *s##_i_); s##_i_++)

static inline void
strv_free_p(char ***v)
{
        strv_free(*v);
}
#define cleanup_strv __attribute__((cleanup(strv_free_p)))
