/* Test fixtures for the loader tests: a temporary project directory with files in it. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "base/strv.h"
#include "spec/project.h"

struct fixture {
        char dir[64];
        char **env;      /* "K=V" handed to the loader as its process environment */
        char **warnings; /* what the loader reported through its logger */
        struct logger lg;
};

static inline void
fx_log(void *ctx, enum log_level level, const char *msg)
{
        struct fixture *fx = ctx;

        (void)level;
        strv_add(&fx->warnings, msg);
}

static inline void
fx_init(struct fixture *fx)
{
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/berth-spec-XXXXXX");
        if (!mkdtemp(fx->dir))
                abort();
        fx->env = NULL;
        fx->warnings = NULL;
        fx->lg = (struct logger){ .fn = fx_log, .ctx = fx };
        strv_add(&fx->env, "HOME=/home/u");
}

/* fx_write: write text to dir/rel, creating parent directories. */
static inline void
fx_write(struct fixture *fx, const char *rel, const char *text)
{
        char *path = path_join(fx->dir, rel);
        char *parent = path_dirname(path);
        struct err err = { 0 };

        if (fs_mkdir_p(parent, 0755, &err) < 0 ||
            fs_write_atomic(path, text, strlen(text), 0644, &err) < 0)
                abort();
        free(parent);
        free(path);
}

static inline void
fx_release(struct fixture *fx)
{
        char *cmd = xasprintf("rm -rf '%s'", fx->dir);

        if (system(cmd) != 0)
                abort();
        free(cmd);
        strv_free(fx->env);
        strv_free(fx->warnings);
}

/* fx_load: load with cwd = dir/sub (or dir), the given -f files (relative to dir). */
static inline int
fx_load_opts(struct fixture *fx, struct spec_load_opts *o, const char *sub,
             struct spec_project **ret, struct err *err)
{
        char *cwd = sub ? path_join(fx->dir, sub) : xstrdup(fx->dir);
        int r;

        o->cwd = cwd;
        o->environ_ = fx->env;
        o->log = &fx->lg;
        r = spec_project_load(o, ret, err);
        free(cwd);
        return r;
}

static inline int
fx_load(struct fixture *fx, const char *sub, struct spec_project **ret, struct err *err)
{
        struct spec_load_opts o = { 0 };

        return fx_load_opts(fx, &o, sub, ret, err);
}

static inline const char *
svc_str(const struct spec_project *p, const char *svc, const char *key)
{
        return node_map_str(node_map_get(node_map_get(p->model, "services"), svc), key);
}
