/* build_int: what the build_*.c files share (see build.h for the design). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "engine/build.h"
#include "engine/digest.h"
#include "engine/store.h"
#include "spec/cachekey.h"
#include "spec/context.h"
#include "spec/dfstage.h"
#include "spec/dockerfile.h"

#define BUILD_OUTPUT_TAIL 6 /* lines of a step's output the tty view keeps */
#define BUILD_ARGS_MAX    1000

struct build_layer {
        char diff_id[DIGEST_STR_SIZE];
        char chain[DIGEST_STR_SIZE];
        char blob[DIGEST_STR_SIZE]; /* the stored blob (= diff_id for layers we made) */
        char media[96];             /* its media type */
        int64_t size;               /* its size */
};

/* A root filesystem with its history: a stage being built, a finished stage, a base image. */
struct build_img {
        struct build_layer *layers;
        size_t n;
        json_object *history; /* array of docker history entries (owned) */
        char created[64];     /* RFC 3339 of the last step */
        char key[CACHEKEY_SIZE];
        char *arch, *os; /* of the base image; NULL = this machine, linux */
};

void build_img_release(struct build_img *im);
void build_img_copy(struct build_img *dst, const struct build_img *src);
/* build_img_lowers: the layers' unpacked dirs, top-most first (owned strv). */
char **build_img_lowers(struct store *s, const struct build_img *im);

struct build_progress_state {
        enum build_progress mode; /* TTY, PLAIN or QUIET after AUTO is resolved */
        FILE *out;
        int step;       /* #N of the step being shown */
        char *title;    /* its "[stage k/n] INSTR" text */
        struct sbuf output;  /* everything the step printed (shown on failure) */
        char *tail[BUILD_OUTPUT_TAIL];
        struct sbuf partial; /* an unfinished output line */
        int64_t start_ns;
        int cols; /* tty width: longer lines are cut so that redrawing stays in place */
};

struct build {
        const struct build_opts *o;
        struct store *s;
        struct dockerfile *df;
        struct dfstage_plan *plan;
        struct context *ctx;
        struct build_img *results; /* per stage */
        bool *done;
        struct build_progress_state prog;
        int exefd;       /* sealed copy of /proc/self/exe for RUN, -1 until needed */
        char *tmp;       /* <root>/layers/.build-<unique>: upper and work dirs of this build */
        unsigned seq;    /* names in tmp */
        int64_t epoch;   /* o->epoch */
        char *url_dir;   /* the downloads of the ADD <url> step being executed, else NULL */
};

/* ---- build_state.c: cache records, history, the final image ---- */

/* build_now: the timestamp of a step (the epoch when one is set). */
void build_now(const struct build *b, char out[64]);
/* build_cache_get: the result of a step whose key is recorded: 1 and *im replaced, 0 when
 * it is not there (a damaged record or a missing blob is a miss too: the step runs again). */
int build_cache_get(struct build *b, const char *key, struct build_img *im);
/* build_cache_put: record im (its layers are in the store) under key. */
int build_cache_put(struct build *b, const char *key, const struct build_img *im, struct err *err);
/* build_img_save, build_img_load: a state as a file (a stage built in a child process). */
int build_img_save(const struct build_img *im, const char *path, struct err *err);
int build_img_load(const char *path, struct build_img *ret, struct err *err);
/* build_cache_drop: remove every build cache record of s; *ret_n gets how many. */
int build_cache_drop(struct store *s, size_t *ret_n, struct err *err);
/* build_stage: build stage idx of the plan into b->results[idx]. */
int build_stage(struct build *b, size_t idx, struct err *err);
/* build_stages: every stage the target needs; independent ones in parallel
 * (build_parallel.c). */
int build_stages(struct build *b, struct err *err);
/* build_history_add: append a history entry to im. */
void build_history_add(struct build_img *im, const char *created, const char *created_by,
                       bool empty_layer);
/* build_commit_image: the final image of stage st with state im, named o->tags. */
int build_commit_image(struct build *b, const struct dfstage_stage *st,
                       const struct build_img *im, char ret_id[DIGEST_STR_SIZE], struct err *err);
/* build_base: the state of an image named ref (resolved in the store, unpacked). */
int build_base(struct build *b, const char *ref, struct build_img *ret, struct err *err);
/* build_image_config: the dfstage callback (configs of base images from the store). */
int build_image_config(void *ctx, const char *ref, const char *platform,
                       struct dfstage_config *ret, struct err *err);

/* ---- build_layer.c: staging dirs and committing them as layers ---- */

/* build_rm: remove path (a file or a whole tree, not following symlinks); absent is fine. */
int build_rm(const char *path, struct err *err);
/* build_stage_dirs: a fresh upper and work dir pair in b->tmp (owned paths). */
int build_stage_dirs(struct build *b, char **ret_upper, char **ret_work, struct err *err);
/* build_commit_upper: write upper as a layer blob and move it into the layer store as the
 * next layer of im (appended). An empty upper adds nothing and returns 0; 1 when a layer
 * was added. */
int build_commit_upper(struct build *b, const char *upper, struct build_img *im,
                       struct err *err);
/* build_created_by: the classic builder's history text of a step; src is the COPY/ADD
 * sources' hash text (build_exec_copy), NULL to name the sources as written; dest the
 * destination as written (NULL: the resolved one). */
char *build_created_by(const struct dfstage_step *st, char *const *shell, const char *src,
                       const char *dest);

/* ---- build_mount.c: RUN --mount ---- */

struct build_mounts {
        char **targets; /* mount points in the container (pruned from the layer after) */
        int *locks;     /* flock fds held for sharing=locked cache mounts */
        size_t nlocks;
        char **scratch; /* host dirs and files to remove after the step */
};

/* build_mounts_add: translate the step's --mount values into the runner spec o ("mounts",
 * "overlays"). -EINVAL for a bad value, -ENOENT for a required secret that was not given. */
int build_mounts_add(struct build *b, const struct dfstage_step *st, json_object *o,
                     struct build_mounts *m, struct err *err);
void build_mounts_release(struct build_mounts *m);
/* build_stage_img: the state of the stage or image a --from names (built or opened). */
int build_from_img(struct build *b, const char *from, int from_stage, struct build_img *ret,
                   struct err *err);

/* ---- build_exec.c: RUN ---- */

int build_exec_run(struct build *b, const struct dfstage_step *st, struct build_img *im,
                   struct err *err);

/* ---- build_copy.c: COPY and ADD ---- */

/* build_exec_copy: run a COPY/ADD/WORKDIR step; *ret_src gets docker's history text of its
 * sources ("file:<hex>", "dir:<hex>", "multi:<hex>"; owned, NULL when there is none). */
int build_exec_copy(struct build *b, const struct dfstage_step *st, struct build_img *im,
                    char **ret_src, struct err *err);

/* ---- build_fetch.c: ADD <url> ---- */

bool build_is_url(const char *s);
/* build_url_name: the file name of a download: the URL path's last component (owned), or
 * NULL when there is none. */
char *build_url_name(const char *url);
/* build_fetch_urls: download the sources of an ADD step (all URLs) into a new dir in b->tmp
 * (*ret_dir, owned), checking --checksum; ret_key gets a digest of what was downloaded. */
int build_fetch_urls(struct build *b, const struct dfstage_step *st, char **ret_dir,
                     char ret_key[DIGEST_STR_SIZE], struct err *err);

/* ---- build_progress.c ---- */

void build_progress_init(struct build_progress_state *p, enum build_progress mode, FILE *out);
void build_progress_release(struct build_progress_state *p);
/* build_progress_step: a new step starts ("[stage k/n] INSTR ..."). */
void build_progress_step(struct build_progress_state *p, const char *title);
/* build_progress_output: bytes the step printed. */
void build_progress_output(struct build_progress_state *p, const char *data, size_t n);
/* build_progress_done: the step ended: cached, or ok after its duration, or failed. */
void build_progress_done(struct build_progress_state *p, bool cached, bool failed);
/* build_progress_note: a line outside of steps ("naming to ..."). */
void build_progress_note(struct build_progress_state *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
