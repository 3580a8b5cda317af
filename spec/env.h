/* env: an ordered set of environment variables (name -> value), as compose resolves them
 * from the shell, .env files and env_file entries. Later sets replace earlier values and keep
 * the first position. Names are unique; values are never NULL (unset means absent). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct env {
        char **names;
        char **values;
        size_t n, cap;
};

#define ENV_INIT  \
        {         \
                0 \
        }

void env_init(struct env *e);
void env_release(struct env *e);
/* env_get: the value, borrowed, or NULL when name is not set. */
const char *env_get(const struct env *e, const char *name);
bool env_has(const struct env *e, const char *name);
void env_set(struct env *e, const char *name, const char *value);
void env_unset(struct env *e, const char *name);
/* env_merge: set every variable of src into dst (src wins). */
void env_merge(struct env *dst, const struct env *src);
/* env_from_environ: copy a NULL-terminated "NAME=VALUE" array (such as environ). */
void env_from_environ(struct env *e, char *const *environ_);
void env_copy(struct env *dst, const struct env *src);

/* env_lookup: the lookup callback shape interpolation and dotenv use; ctx is a struct env. */
const char *env_lookup(void *ctx, const char *name);

static inline void
env_release_p(struct env *e)
{
        env_release(e);
}
#define cleanup_env __attribute__((cleanup(env_release_p)))
