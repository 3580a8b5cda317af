/* cleanup: scope-bound ownership for locals (gcc/clang `cleanup` attribute).
 *
 * An owning local is declared with one of the cleanup_* attributes and leaves the scope's
 * ownership only through TAKE_PTR()/TAKE_FD(), which also clear the local.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DEFINE_CLEANUP_FUNC(type, func)      \
        static inline void func##_p(type *p) \
        {                                    \
                if (*p)                      \
                        func(*p);            \
        }

static inline void
cleanup_free_fn(void *p)
{
        free(*(void **)p);
}

static inline void
cleanup_close_fn(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

static inline void
cleanup_fclose_fn(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define cleanup_free   __attribute__((cleanup(cleanup_free_fn)))
#define cleanup_close  __attribute__((cleanup(cleanup_close_fn)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclose_fn)))

#define TAKE_PTR(p)                            \
        ({                                     \
                typeof(p) take_ptr_tmp_ = (p); \
                (p) = NULL;                    \
                take_ptr_tmp_;                 \
        })

#define TAKE_FD(fd)                      \
        ({                               \
                int take_fd_tmp_ = (fd); \
                (fd) = -1;               \
                take_fd_tmp_;            \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
