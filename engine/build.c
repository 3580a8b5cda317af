/* build: build_run, the driver of a build (see build.h).
 *
 * Stages are built in index order (a stage only depends on earlier ones), those the target
 * does not need are skipped. Within a stage, only the filesystem steps (RUN, COPY, ADD,
 * WORKDIR) are keyed and recorded: the config steps are replayed from the plan, and their
 * history entries take the time of the state they apply to, so a fully cached rebuild gives
 * the same image ID without recording them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sha256.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/layer.h"

void
build_opts_init(struct build_opts *o)
{
        *o = (struct build_opts){ .epoch = -1 };
}

static int
read_dockerfile(const struct build_opts *o, char **ret, size_t *ret_len, struct err *err)
{
        cleanup_free char *path = NULL;

        if (o->dockerfile_inline) {
                *ret_len = strlen(o->dockerfile_inline);
                *ret = xstrdup(o->dockerfile_inline);
                return 0;
        }
        if (o->dockerfile_path && !strcmp(o->dockerfile_path, "-"))
                return fs_read_fd_capped(0, "stdin", BUILD_CONTEXT_DOCKERFILE_MAX, ret, ret_len, err);
        path = o->dockerfile_path ? xstrdup(o->dockerfile_path)
                                  : path_join(o->context_dir, "Dockerfile");
        return fs_read_capped(path, BUILD_CONTEXT_DOCKERFILE_MAX, ret, ret_len, err);
}

static void
build_args_env(const struct build_opts *o, struct env *ret)
{
        env_init(ret);
        strv_foreach(kv, o->build_args) {
                const char *eq = strchr(kv, '=');
                cleanup_free char *k = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
                const char *v = eq ? eq + 1 : NULL;

                for (char **e = o->environ_; !eq && e && *e; e++)
                        if (!strncmp(*e, k, strlen(k)) && (*e)[strlen(k)] == '=')
                                v = *e + strlen(k) + 1;
                if (v) /* "K" without a value in the environment is ignored, as docker does */
                        env_set(ret, k, v);
        }
}

/* dockerfile_rel: the Dockerfile's path relative to the context (for .dockerignore) */
static char *
dockerfile_rel(const struct build_opts *o)
{
        cleanup_free char *ctx = realpath(o->context_dir, NULL);
        cleanup_free char *df = o->dockerfile_path && strcmp(o->dockerfile_path, "-")
                                        ? realpath(o->dockerfile_path, NULL)
                                        : NULL;
        size_t n = ctx ? strlen(ctx) : 0;

        if (ctx && df && !strncmp(df, ctx, n) && df[n] == '/')
                return xstrdup(df + n + 1);
        return xstrdup("Dockerfile");
}

static int
walk_context(struct build *b, struct err *err)
{
        cleanup_free char *rel = dockerfile_rel(b->o);
        cleanup_free char *abs = realpath(b->o->context_dir, NULL);
        cleanup_free char *dir = xasprintf("%s/build/context", b->o->root);
        cleanup_free char *cache = NULL;
        struct dockerignore *ign = NULL;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        int r;

        if (!abs)
                return err_setf(err, -errno, "build context '%s': %s", b->o->context_dir,
                                strerror(errno));
        sha256_buf(abs, strlen(abs), d);
        sha256_hex(d, hex);
        cache = xasprintf("%s/%s", dir, hex);
        r = fs_mkdir_p(dir, 0700, err);
        if (r == 0)
                r = dockerignore_load(abs, rel, &ign, err);
        if (r == 0)
                r = context_walk(abs, &(struct context_opts){ .ignore = ign, .cache = cache },
                                 &b->ctx, err);
        dockerignore_free(ign);
        return r;
}

static int
make_tmp(struct build *b, struct err *err)
{
        struct timespec ts;
        cleanup_free char *empty = NULL;

        clock_gettime(CLOCK_REALTIME, &ts);
        b->tmp = xasprintf("%s/.build-%d-%ld%09ld", b->s->layers, (int)getpid(), (long)ts.tv_sec,
                           ts.tv_nsec);
        empty = xasprintf("%s/empty", b->tmp);
        if (mkdir(b->tmp, 0700) < 0 || mkdir(empty, 0755) < 0)
                return err_setf(err, -errno, "create '%s': %s", b->tmp, strerror(errno));
        return 0;
}

int
build_from_img(struct build *b, const char *from, int from_stage, struct build_img *ret,
               struct err *err)
{
        if (from_stage >= 0) {
                if ((size_t)from_stage >= b->plan->n || !b->done[from_stage])
                        return err_setf(err, -EINVAL, "stage '%s' is not built yet", from);
                build_img_copy(ret, &b->results[from_stage]);
                return 0;
        }
        return build_base(b, from, ret, err);
}

static int
build_prepare(struct build *b, struct err *err)
{
        cleanup_free char *text = NULL, *name = NULL;
        struct env args;
        size_t len;
        int r = read_dockerfile(b->o, &text, &len, err);

        if (r < 0)
                return err_prefix(err, "read the Dockerfile");
        name = b->o->dockerfile_path && strcmp(b->o->dockerfile_path, "-")
                       ? path_basename(b->o->dockerfile_path)
                       : NULL;
        r = dockerfile_parse(name, text, len, NULL, &b->df, err);
        if (r < 0)
                return r;
        build_args_env(b->o, &args);
        r = dfstage_plan(b->df, &(struct dfstage_opts){ .build_args = &args, .target = b->o->target,
                                                       .image_config = build_image_config,
                                                       .ctx = b },
                         &b->plan, err);
        env_release(&args);
        if (r < 0)
                return r;
        b->results = xcalloc(b->plan->n, sizeof(*b->results));
        b->done = xcalloc(b->plan->n, sizeof(*b->done));
        r = walk_context(b, err);
        return r < 0 ? r : make_tmp(b, err);
}

static void
build_release(struct build *b)
{
        if (b->tmp)
                build_rm(b->tmp, NULL);
        free(b->tmp);
        free(b->url_dir);
        for (size_t i = 0; b->plan && i < b->plan->n; i++)
                build_img_release(&b->results[i]);
        free(b->results);
        free(b->done);
        dfstage_plan_free(b->plan);
        dockerfile_free(b->df);
        context_free(b->ctx);
        if (b->exefd >= 0)
                close(b->exefd);
        build_progress_release(&b->prog);
        if (b->s && b->s->pins)
                store_unpin(b->s);
        store_free(b->s);
}

static int
check_opts(const struct build_opts *o, struct err *err)
{
        if (!o->root || !o->run_root || !o->context_dir)
                return err_setf(err, -EINVAL, "build: root, run root and context are required");
        if (o->network && strcmp(o->network, "default") && strcmp(o->network, "host") &&
            strcmp(o->network, "none"))
                return err_setf(err, -EINVAL, "network mode '%s' is not supported for builds "
                                "(default, host or none)", o->network);
        if (!fs_is_dir(o->context_dir))
                return err_setf(err, -ENOENT, "unable to prepare context: path '%s' not found",
                                o->context_dir);
        return 0;
}

static int
build_all(struct build *b, char ret_id[DIGEST_STR_SIZE], struct err *err)
{
        int r = build_stages(b, err);

        if (r == 0)
                r = build_commit_image(b, &b->plan->stages[b->plan->target],
                                       &b->results[b->plan->target], ret_id, err);
        return r;
}

int
build_run(const struct build_opts *o, char **ret_image_id, struct err *err)
{
        struct build b = { .o = o, .exefd = -1, .epoch = o->epoch };
        char id[DIGEST_STR_SIZE];
        int r = check_opts(o, err);

        build_progress_init(&b.prog, o->progress, o->progress_out);
        if (r == 0)
                r = store_open(o->root, &b.s, err);
        if (r == 0)
                r = store_pin(b.s, err);
        if (r == 0)
                r = build_prepare(&b, err);
        if (r == 0)
                r = build_all(&b, id, err);
        if (r == 0) {
                strv_foreach(t, o->tags)
                        build_progress_note(&b.prog, "naming to %s", t);
                build_progress_note(&b.prog, "writing image %s", id);
                if (ret_image_id)
                        *ret_image_id = xstrdup(id);
        }
        build_release(&b);
        return r;
}

int
build_prune(const char *root, struct build_prune_report *ret, struct err *err)
{
        cleanup_free char *cm = xasprintf("%s/build", root);
        struct store *s = NULL;
        struct store_gc_report gc = { 0 };
        int r = store_open(root, &s, err);

        *ret = (struct build_prune_report){ 0 };
        if (r < 0)
                return r;
        r = build_cache_drop(s, &ret->entries, err);
        if (r == 0)
                r = build_rm(cm, err);
        if (r == 0)
                r = store_gc(s, &gc, err);
        ret->bytes = gc.bytes + gc.layer_bytes;
        store_gc_report_release(&gc);
        store_free(s);
        return r;
}
