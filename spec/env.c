#include "env.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

void
env_init(struct env *e)
{
        memset(e, 0, sizeof(*e));
}

void
env_release(struct env *e)
{
        for (size_t i = 0; i < e->n; i++) {
                free(e->names[i]);
                free(e->values[i]);
        }
        free(e->names);
        free(e->values);
        env_init(e);
}

static ssize_t
env_index(const struct env *e, const char *name)
{
        for (size_t i = 0; i < e->n; i++)
                if (strcmp(e->names[i], name) == 0)
                        return (ssize_t)i;
        return -1;
}

const char *
env_get(const struct env *e, const char *name)
{
        ssize_t i = env_index(e, name);

        return i < 0 ? NULL : e->values[i];
}

bool
env_has(const struct env *e, const char *name)
{
        return env_index(e, name) >= 0;
}

void
env_set(struct env *e, const char *name, const char *value)
{
        ssize_t i = env_index(e, name);
        size_t cap = e->cap;

        if (i >= 0) {
                char *v = xstrdup(value);

                free(e->values[i]);
                e->values[i] = v;
                return;
        }
        /* names and values grow together: GROW on a copy of cap for the first */
        GROW(e->names, cap, e->n + 1);
        GROW(e->values, e->cap, e->n + 1);
        e->names[e->n] = xstrdup(name);
        e->values[e->n] = xstrdup(value);
        e->n++;
}

void
env_unset(struct env *e, const char *name)
{
        ssize_t i = env_index(e, name);

        if (i < 0)
                return;
        free(e->names[i]);
        free(e->values[i]);
        memmove(&e->names[i], &e->names[i + 1], (e->n - (size_t)i - 1) * sizeof(char *));
        memmove(&e->values[i], &e->values[i + 1], (e->n - (size_t)i - 1) * sizeof(char *));
        e->n--;
}

void
env_merge(struct env *dst, const struct env *src)
{
        for (size_t i = 0; i < src->n; i++)
                env_set(dst, src->names[i], src->values[i]);
}

void
env_copy(struct env *dst, const struct env *src)
{
        env_init(dst);
        env_merge(dst, src);
}

void
env_from_environ(struct env *e, char *const *environ_)
{
        for (size_t i = 0; environ_ && environ_[i]; i++) {
                const char *eq = strchr(environ_[i], '=');
                char *name;

                if (!eq || eq == environ_[i])
                        continue;
                name = xstrndup(environ_[i], (size_t)(eq - environ_[i]));
                env_set(e, name, eq + 1);
                free(name);
        }
}

const char *
env_lookup(void *ctx, const char *name)
{
        return env_get(ctx, name);
}
