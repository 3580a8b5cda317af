/* build_step: one stage, step by step: the cache lookup, the execution, the history entry.
 *
 * The key of a filesystem step is cachekey_step() with the previous filesystem step's key
 * (the base image ID, the base stage's key or "scratch" for the first) as parent; COPY
 * --from adds the key of the stage (or the ID of the image) it reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sha256.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/image.h"
#include "engine/jsonx.h"

static const struct df_instr *
instr_at(const struct dockerfile *df, int line)
{
        for (size_t i = 0; i < df->n; i++)
                if (df->instrs[i].start_line == line)
                        return &df->instrs[i];
        return NULL;
}

static char *
step_title(const struct build *b, const struct dfstage_stage *sg, size_t k)
{
        const struct dfstage_step *st = &sg->steps[k];
        const struct df_instr *in = st->line ? instr_at(b->df, st->line) : NULL;
        cleanup_free char *stage = sg->name ? xstrdup(sg->name) : xasprintf("stage-%zu", sg->index);
        cleanup_free char *text = in ? xstrdup(in->original) : NULL;
        char *nl;

        if (!text) { /* an ONBUILD trigger: no line of its own */
                cleanup_strv char **sh = strv_split("/bin/sh -c", " ");
                cleanup_free char *by = build_created_by(st, sh, NULL, NULL);

                text = xasprintf("%s %s", dockerfile_cmd_name(st->cmd), by);
        }
        nl = strchr(text, '\n');
        if (nl)
                *nl = '\0';
        return xasprintf("[%s %zu/%zu] %s%s", stage, k + 1, sg->nsteps, st->onbuild ? "ONBUILD " : "",
                         text);
}

/* from_key: what COPY --from / a RUN --mount from= reads, as part of the key */
static int
from_key(struct build *b, const struct dfstage_step *st, char out[CACHEKEY_SIZE],
         struct err *err)
{
        struct build_img im = { 0 };
        int r;

        out[0] = '\0';
        if (!st->from)
                return 0;
        r = build_from_img(b, st->from, st->from_stage, &im, err);
        if (r == 0)
                snprintf(out, CACHEKEY_SIZE, "%s", im.key);
        build_img_release(&im);
        return r;
}

/* mount_value: the value of key in a --mount spec (owned), NULL when absent */
static char *
mount_value(const char *spec, const char *key)
{
        size_t n = strlen(key);

        for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (!strncmp(p, key, n) && p[n] == '=')
                        return xstrndup(p + n + 1, strcspn(p + n + 1, ","));
        return NULL;
}

/* mount_input: what one RUN --mount reads, into sb: the key of the stage or the ID of the
 * image of from=, or the context digest of a context bind's source */
static int
mount_input(struct build *b, const char *m, struct sbuf *sb, struct err *err)
{
        cleanup_free char *from = mount_value(m, "from"), *type = mount_value(m, "type");
        cleanup_free char *src = mount_value(m, "source");
        struct build_img im = { 0 };
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        int r = 0;

        if (!src)
                src = mount_value(m, "src");
        if (from && *from && strcmp(from, "context") != 0) {
                r = build_from_img(b, from, dfstage_find_stage(b->plan, from), &im, err);
                if (r == 0)
                        sbuf_addf(sb, "from %s=%s;", from, im.key);
                build_img_release(&im);
        } else if ((!type || !strcmp(type, "bind")) && b->ctx) {
                r = context_source_digest(b->ctx, src && *src ? src : ".", d, err);
                sha256_hex(d, hex);
                if (r == 0)
                        sbuf_addf(sb, "context %s=%s;", src ? src : ".", hex);
        }
        return r;
}

/* mount_froms: what the RUN's mounts read, folded into one digest ("" when nothing) */
static int
mount_froms(struct build *b, const struct dfstage_step *st, char out[CACHEKEY_SIZE],
            struct err *err)
{
        struct sbuf sb = SBUF_INIT;
        int r = 0;

        strv_foreach(m, st->mounts) {
                r = mount_input(b, m, &sb, err);
                if (r < 0)
                        break;
        }
        if (r == 0 && sb.len)
                digest_buf(sb.buf, sb.len, out);
        sbuf_release(&sb);
        return r;
}

static bool
has_url(const struct dfstage_step *st)
{
        strv_foreach(src, st->srcs)
                if (build_is_url(src))
                        return true;
        return false;
}

/* url_key: ADD <url>: download first, the content is part of the key */
static int
url_key(struct build *b, const struct dfstage_step *st, char key[CACHEKEY_SIZE], struct err *err)
{
        char got[DIGEST_STR_SIZE], k[CACHEKEY_SIZE];
        struct cachekey_input in = { .parent = k, .instruction = got };
        int r;

        free(b->url_dir);
        b->url_dir = NULL;
        r = build_fetch_urls(b, st, &b->url_dir, got, err);
        if (r < 0)
                return r;
        memcpy(k, key, CACHEKEY_SIZE);
        return cachekey_compute(&in, key, err);
}

static int
step_key(struct build *b, const struct dfstage_step *st, const struct build_img *im,
         char key[CACHEKEY_SIZE], struct err *err)
{
        char from[CACHEKEY_SIZE] = "";
        int r = st->cmd == DF_RUN ? mount_froms(b, st, from, err) : from_key(b, st, from, err);
        const struct context *ctx = st->cmd == DF_RUN || st->from ? NULL : b->ctx;

        if (r < 0)
                return r;
        if (st->cmd == DF_RUN && from[0]) {
                char k[CACHEKEY_SIZE];
                struct cachekey_input in = { .parent = im->key, .instruction = from };

                r = cachekey_step(st, im->key, NULL, NULL, k, err);
                in.instruction = k;
                in.parent = from;
                return r < 0 ? r : cachekey_compute(&in, key, err);
        }
        r = cachekey_step(st, im->key, ctx, from[0] ? from : NULL, key, err);
        if (r == 0 && st->cmd == DF_ADD && has_url(st))
                r = url_key(b, st, key, err);
        return r;
}

/* raw_dest: a COPY/ADD destination as written (docker's history shows it unresolved);
 * NULL when it holds variables or the step has no line (an ONBUILD trigger) */
static const char *
raw_dest(const struct build *b, const struct dfstage_step *st)
{
        const struct df_instr *in = st->line ? instr_at(b->df, st->line) : NULL;
        const char *d = in && in->nargs && !in->heredocs ? in->args[in->nargs - 1] : NULL;

        return d && !strchr(d, '$') && (in->cmd == DF_COPY || in->cmd == DF_ADD) ? d : NULL;
}

static int
execute(struct build *b, const struct dfstage_step *st, struct build_img *im, char **src,
        struct err *err)
{
        switch (st->cmd) {
        case DF_RUN:
                return build_exec_run(b, st, im, err);
        case DF_COPY:
        case DF_ADD:
        case DF_WORKDIR:
                return build_exec_copy(b, st, im, src, err);
        default:
                return 0;
        }
}

/* fs_step: a filesystem step: from the cache, or executed and recorded */
static int
fs_step(struct build *b, const struct dfstage_step *st, char *const *shell, struct build_img *im,
        bool *cached, struct err *err)
{
        char key[CACHEKEY_SIZE], now[64];
        cleanup_free char *by = NULL, *src = NULL;
        int r = step_key(b, st, im, key, err);

        if (r < 0)
                return r;
        if (!b->o->no_cache) {
                if (build_cache_get(b, key, im)) {
                        *cached = true;
                        return 0;
                }
        }
        r = execute(b, st, im, &src, err);
        if (r < 0)
                return r;
        build_now(b, now);
        by = build_created_by(st, shell, src, raw_dest(b, st));
        build_history_add(im, now, by, r == 0);
        memcpy(im->key, key, CACHEKEY_SIZE);
        return build_cache_put(b, key, im, err);
}

static void
track_shell(const struct dfstage_step *st, char ***shell)
{
        json_object *a;

        if (st->cmd != DF_SHELL || !(a = json_tokener_parse(st->canon)))
                return;
        strv_free(*shell);
        *shell = NULL;
        for (size_t i = 1; i < json_object_array_length(a); i++)
                strv_add(shell, json_object_get_string(json_object_array_get_idx(a, i)));
        json_object_put(a);
}

static int
one_step(struct build *b, const struct dfstage_stage *sg, size_t k, char ***shell,
         struct build_img *im, struct err *err)
{
        const struct dfstage_step *st = &sg->steps[k];
        cleanup_free char *title = step_title(b, sg, k);
        bool cached = false;
        int r = 0;

        track_shell(st, shell);
        if (!st->fs_change) {
                cleanup_free char *by = build_created_by(st, *shell, NULL, NULL);
                char now[64];

                if (!im->created[0])
                        build_now(b, now);
                build_history_add(im, im->created[0] ? im->created : now, by, true);
                return 0;
        }
        build_progress_step(&b->prog, title);
        r = fs_step(b, st, *shell, im, &cached, err);
        build_progress_done(&b->prog, cached, r < 0);
        if (r < 0 && b->prog.mode != BUILD_PROGRESS_PLAIN && b->prog.output.len)
                fprintf(b->prog.out, "%.*s%s", (int)b->prog.output.len, b->prog.output.buf,
                        b->prog.output.buf[b->prog.output.len - 1] == '\n' ? "" : "\n");
        if (r < 0 && st->line)
                err_prefix(err, "%s:%d", b->df->name, st->line);
        return r;
}

int
build_stage(struct build *b, size_t idx, struct err *err)
{
        const struct dfstage_stage *sg = &b->plan->stages[idx];
        cleanup_strv char **shell = strv_split("/bin/sh -c", " ");
        struct build_img im = { 0 };
        int r;

        if (sg->platform) {
                cleanup_free char *host = xasprintf("linux/%s", image_platform_arch());

                if (strncmp(sg->platform, host, strlen(host)) != 0)
                        return err_setf(err, -ENOTSUP, "%s:%d: FROM --platform=%s: this builder "
                                        "only builds for %s", b->df->name, sg->line, sg->platform,
                                        host);
        }
        if (sg->base_stage >= 0)
                r = build_from_img(b, sg->base, sg->base_stage, &im, err);
        else
                r = build_base(b, sg->base, &im, err);
        for (size_t k = 0; r == 0 && k < sg->nsteps; k++)
                r = one_step(b, sg, k, &shell, &im, err);
        if (r < 0) {
                build_img_release(&im);
                return r;
        }
        b->results[idx] = im;
        b->done[idx] = true;
        return 0;
}
