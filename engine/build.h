/* build: the Dockerfile builder (`berth image build`, compose `build`).
 *
 * build_run() parses the Dockerfile (spec/dockerfile), plans the stages (spec/dfstage: ARG
 * scoping, expansion, the config each instruction yields), walks the context (spec/context,
 * .dockerignore respected) and executes the steps of every stage the target needs, in
 * order:
 *   - RUN runs in a container (engine/runtime) whose root is an overlay of the current
 *     layers with a fresh upper dir; the upper dir is then written as the layer tar (blob)
 *     and renamed into the layer store as that layer's unpacked tree: no copy of the tree.
 *   - COPY/ADD run in a forked child in its own mount namespace: the destination is an
 *     overlay of the current layers with a fresh upper dir (so parent directories, symlinks
 *     and /etc/passwd of the image are seen as in the image), the source the context, another
 *     stage's rootfs or an image's; the upper dir becomes the layer as for RUN.
 *   - every other instruction only changes the config and adds an empty_layer history entry.
 * Every step has a cache key (spec/cachekey, chained through all the steps of a stage); its
 * result (layers, history, creation time) is a small manifest named by
 * <root>/store/roots/build-<key>, which garbage collection keeps: a step whose key is there
 * is not executed again. build_prune() drops those entries (and the RUN cache mounts).
 *
 * With SOURCE_DATE_EPOCH set (build_opts.epoch >= 0) every timestamp (layer tar mtimes,
 * history, "created") is that epoch, so the same Dockerfile and context give the same image
 * ID and manifest.
 *
 * RUN steps need a process protected against CVE-2019-5736: the builder starts them as
 * `<sealed copy of /proc/self/exe> builder __run` (build_runner_main is that command), so
 * the binary that links this module must dispatch that command to build_runner_main.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "engine/digest.h"

enum build_progress {
        BUILD_PROGRESS_AUTO,  /* tty when progress_out is a terminal, else plain */
        BUILD_PROGRESS_TTY,   /* one line per step, rewritten in place, output tail */
        BUILD_PROGRESS_PLAIN, /* "#N [stage k/n] INSTR" lines followed by the step's output */
        BUILD_PROGRESS_QUIET, /* nothing, except a failing step's command and output */
};

#define BUILD_SECRET_MAX (500u << 10) /* one --secret file (buildkit's limit) */
#define BUILD_CONTEXT_DOCKERFILE_MAX (4u << 20)

struct build_opts {
        const char *root;              /* state root (required) */
        const char *run_root;          /* runtime state root (required) */
        const char *context_dir;       /* required, a directory */
        const char *dockerfile_path;   /* NULL: <context>/Dockerfile; "-": read from stdin */
        const char *dockerfile_inline; /* the Dockerfile's text (beats dockerfile_path) */
        char **tags;                   /* names for the result (user form); may be NULL */
        char **build_args;             /* "K=V" ("K" alone: the value of K in env) */
        const char *target;            /* stage name or NULL for the last one */
        char **labels;                 /* "K=V" added to the result's config */
        bool no_cache;                 /* execute every step (results still recorded) */
        bool pull;                     /* refused: no registry client in this build */
        const char *network;           /* RUN default: NULL/"default" (= host), "none", "host" */
        char **secrets;                /* "id=ID,src=PATH" or "id=ID,env=VAR" */
        char **extra_hosts;            /* "name:ip" for RUN */
        int64_t shm_size;              /* /dev/shm bytes for RUN, 0 = 64 MiB */
        int64_t epoch;                 /* SOURCE_DATE_EPOCH, < 0 when unset */
        enum build_progress progress;
        FILE *progress_out; /* NULL = stderr */
        char **environ_;    /* for "K" build args and secret env=; NULL = none */
};

/* build_opts_init: zero o and set the fields whose default is not 0 (epoch = -1). */
void build_opts_init(struct build_opts *o);

/* build_run: build, then name the result with o->tags. It keeps no global state: several
 * builds may run at once, in threads or processes, on the same root (steps two builds share
 * are executed twice at worst; the store and the cache records are safe to race on). It
 * forks (COPY/ADD children, parallel stages, the RUN runner). The store is pinned for the
 * whole build, so garbage collection waits for it. *ret_image_id (optional, owned) gets
 * the image ID. Errors: -EINVAL for a bad Dockerfile or option ("Dockerfile:LINE: what"),
 * -ENOENT for a missing context, Dockerfile, base image or COPY source, -ENOTSUP for what
 * this builder refuses (--pull, ADD of a URL, ...), and a failing RUN is -ECHILD with
 * "process \"CMD\" did not complete successfully: exit code: N" (its output was shown). */
int build_run(const struct build_opts *o, char **ret_image_id, struct err *err);

struct build_prune_report {
        size_t entries;  /* cache entries dropped */
        uint64_t bytes;  /* blob and layer bytes reclaimed by the garbage collection */
};

/* build_prune: drop every build cache entry and RUN cache mount under root, then collect
 * the garbage they kept. */
int build_prune(const char *root, struct build_prune_report *ret, struct err *err);

/* build_runner_main: the `builder __run` command: read one RUN step (JSON) from stdin, run
 * it in a container, and return its exit code (125 when the container could not start,
 * with the reason on stderr). The process must be protected (rt_exe_protect). */
int build_runner_main(void);
