/* A temporary image store for the engine unit tests: a fresh root under /tmp, opened, and
 * removed again (contents included) by the teardown. */
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "engine/layer.h"
#include "engine/store.h"

struct fx {
        char *root;
        struct store *s;
};

/* store_fx_setup: cmocka group/test setup; tag names the temp dir (berth-test-<tag>-XXXXXX). */
static inline int
store_fx_setup(void **state, const char *tag)
{
        struct fx *f = xcalloc(1, sizeof(*f));

        f->root = xasprintf("/tmp/berth-test-%s-XXXXXX", tag);
        if (!mkdtemp(f->root) || store_open(f->root, &f->s, NULL) < 0)
                return -1;
        *state = f;
        return 0;
}

static inline int
store_fx_teardown(void **state)
{
        struct fx *f = *state;
        int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        store_free(f->s);
        layer_remove_tree(fd, f->root + strlen("/tmp/"), NULL);
        close(fd);
        free(f->root);
        free(f);
        return 0;
}
