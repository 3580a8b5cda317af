/* dfstage: Dockerfile semantics without running anything: build stages, ARG scoping, the
 * image config each instruction produces, and the list of steps the builder executes.
 *
 * Input is a parsed Dockerfile (spec/dockerfile.h) and the build options (--build-arg,
 * --target, platforms, a source of base image configs). dfstage_plan():
 *   - checks every instruction (argument counts, flags each instruction accepts, values such
 *     as durations, ports and signals) and fails with "Dockerfile:LINE: what";
 *   - resolves global ARGs (before the first FROM) with --build-arg and the automatic
 *     platform args (BUILDPLATFORM, TARGETARCH, ...), expands FROM and --platform with them;
 *   - builds the stage graph: AS names (lower-cased), FROM <earlier stage>, COPY --from and
 *     RUN --mount from= (stage name, stage index or image), --target with the stages the
 *     target does not need marked unreachable;
 *   - walks each stage: ARG scoping (a stage sees a global ARG only when it declares it;
 *     --build-arg beats the default; ENV always beats ARG of the same name), expansion of
 *     the instructions and flags that expand (spec/shellexpand), ONBUILD triggers of the
 *     base image run first, and computes the image config as docker does (CMD/ENTRYPOINT
 *     shell form with the SHELL prefix, ENTRYPOINT resetting an inherited CMD, WORKDIR
 *     chaining, EXPOSE ranges, HEALTHCHECK, ...);
 *   - records for each step what the builder and the cache key need: the expanded
 *     instruction in a canonical form and the build args the step depends on.
 *
 * Predefined proxy args (HTTP_PROXY, https_proxy, NO_PROXY, ...) are usable without an ARG
 * and are given to RUN, but they are not part of the cache key or the history, as in docker.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/err.h"
#include "spec/dockerfile.h"
#include "spec/env.h"

/* HEALTHCHECK; durations in nanoseconds, 0 = default */
struct dfstage_health {
        char **test; /* ["NONE"], ["CMD", argv...] or ["CMD-SHELL", text] */
        int64_t interval, timeout, start_period, start_interval;
        int retries;
};

/* The image config fields instructions set (docker's container config names). Pointer
 * fields are NULL when unset (JSON null). For cmd, entrypoint and shell an empty but set
 * list is a non-NULL strv holding only the terminator (JSON []). */
struct dfstage_config {
        char **env; /* "NAME=value", in order */
        char **cmd;
        char **entrypoint;
        char *workdir;     /* NULL = "" */
        char *user;        /* NULL = "" */
        char **exposed;    /* sorted set of "port/proto" */
        char **volumes;    /* sorted set */
        struct env labels; /* ordered; empty = null */
        struct dfstage_health *health;
        char *stopsignal;
        char **shell;
        char **onbuild; /* trigger instructions as written */
        char *author;   /* MAINTAINER */
};

void dfstage_config_init(struct dfstage_config *c);
void dfstage_config_release(struct dfstage_config *c);
void dfstage_config_copy(struct dfstage_config *dst, const struct dfstage_config *src);
/* dfstage_config_to_json: the config as docker's image config "config" object (keys Cmd,
 * Entrypoint, Env, WorkingDir, User, ExposedPorts, Volumes, Labels, Healthcheck, StopSignal,
 * Shell, OnBuild; unset ones null). Owned by the caller (json_object_put). */
json_object *dfstage_config_to_json(const struct dfstage_config *c);
/* dfstage_config_from_json: read those keys back (e.g. a base image's config). Unknown keys
 * are ignored; a key of the wrong JSON type is -EINVAL. */
int dfstage_config_from_json(json_object *o, struct dfstage_config *ret, struct err *err);

/* An inline source of COPY/ADD (a heredoc): written as a file named `name`. */
struct dfstage_inline {
        char *name;
        char *data; /* expanded unless the delimiter was quoted; tabs chomped for <<- */
};

struct dfstage_step {
        enum df_cmd cmd;
        int line;        /* first line of the instruction; 0 for an ONBUILD trigger */
        bool onbuild;    /* a trigger inherited from the base image */
        char *canon;     /* the instruction after expansion, canonical (JSON array text) */
        char **key_args; /* "NAME=value" of the build args the result depends on, sorted */
        bool fs_change;  /* RUN, COPY, ADD, WORKDIR change the filesystem: the cache key chain
                          * runs through these; the others only change the image config */
        char *workdir;   /* WORKDIR in effect before the step ("/" when unset) */
        char *user;      /* USER in effect ("" when unset) */

        /* RUN */
        char **argv;      /* with the SHELL prefix for the shell form */
        char **env;       /* process environment: image env, then the visible build args */
        char **proxy_env; /* predefined proxy args from --build-arg (not in the key) */
        char **mounts;    /* --mount values, expanded */
        char *network;    /* --network, NULL = default */
        char *security;   /* --security, NULL = sandbox */
        struct df_heredoc *heredocs; /* RUN <<EOF bodies (copies) */
        size_t nheredocs;

        /* COPY / ADD */
        char **srcs; /* source paths or URLs, expanded */
        struct dfstage_inline *inl;
        size_t ninl;
        char *dest;                     /* absolute, cleaned, trailing '/' kept when given */
        char *from;                     /* COPY --from as written, NULL = build context */
        int from_stage;                 /* stage index for --from, -1 for the context or an image */
        char *chown, *chmod, *checksum; /* NULL when not given */
        char **excludes;
        bool link, parents;
        int keep_git_dir, unpack; /* -1 not given, else 0/1 */
};

struct dfstage_stage {
        char *name; /* AS name, lower-cased; NULL when none */
        size_t index;
        char *base;     /* FROM after expansion */
        int base_stage; /* stage FROM refers to, -1 for an image ("scratch" included) */
        char *platform; /* --platform after expansion, NULL when none */
        int line;
        struct dfstage_step *steps;
        size_t nsteps;
        struct dfstage_config config; /* the image config at the end of the stage */
        size_t *deps; /* stages this one needs (FROM, COPY --from, RUN --mount from=) */
        size_t ndeps;
        bool reachable; /* needed to build the target */
};

struct dfstage_plan {
        struct dfstage_stage *stages;
        size_t n;
        size_t target;        /* index of the stage that is the result */
        struct env meta_args; /* global ARGs with their resolved values */
        char **warnings;      /* e.g. build args nothing used */
};

/* dfstage_image_config: the config of base image ref for platform (NULL = default). Fill
 * *ret (caller-initialised) and return 0; return -ENOENT to mean "use an empty config";
 * other errors abort the plan. */
typedef int (*dfstage_image_config_fn)(void *ctx, const char *ref, const char *platform,
                                       struct dfstage_config *ret, struct err *err);

struct dfstage_opts {
        const struct env *build_args; /* --build-arg NAME=value; NULL = none */
        const char *target;           /* --target; NULL = the last stage */
        const char *build_platform;   /* os/arch[/variant]; NULL = linux/amd64 (or this host) */
        const char *target_platform;  /* NULL = build_platform */
        dfstage_image_config_fn image_config; /* NULL: every image has an empty config */
        void *ctx;
};

/* dfstage_plan: see the top of this file. *ret owned (dfstage_plan_free). */
int dfstage_plan(const struct dockerfile *df, const struct dfstage_opts *opts,
                 struct dfstage_plan **ret, struct err *err);
struct dfstage_plan *dfstage_plan_free(struct dfstage_plan *plan);

/* dfstage_find_stage: index of the stage named name (any case) or given as an index; -1. */
int dfstage_find_stage(const struct dfstage_plan *plan, const char *name);

/* dfstage_parse_duration: Go's time.ParseDuration ("1m30s", "1.5h", "300ms"); ns. */
int dfstage_parse_duration(const char *s, int64_t *ret, struct err *err);
