/* dfstage_int: what dfstage.c (stages, ARG scoping, the stage graph) and dfstage_instr.c
 * (one handler per instruction) share. Private to spec/dfstage*.c. */
#pragma once

#include "spec/dfstage.h"

struct dfstage_planner {
        const struct dockerfile *df;
        const struct dfstage_opts *o;
        struct dfstage_plan *plan;
        struct env globals; /* automatic platform args, then the resolved global ARGs */
        char **consumed;    /* build-arg names some ARG declared */
        struct err *err;
};

/* the state while one stage is walked */
struct dfstage_run {
        struct dfstage_planner *pl;
        struct dfstage_stage *st;
        struct dfstage_config cfg;
        struct env args;   /* declared ARGs that have a value, in order */
        bool cmd_set;      /* CMD seen in this stage (ENTRYPOINT then keeps it) */
        char **used;       /* ARGs the current instruction's expansion read */
        int line;          /* line of the current instruction (for messages) */
        const char *where; /* "" or " (ONBUILD trigger)" */
};

enum dfstage_flag_type {
        DFSTAGE_FLAG_BOOL,
        DFSTAGE_FLAG_STRING,
        DFSTAGE_FLAG_STRINGS
};

struct dfstage_flag {
        const char *name;
        enum dfstage_flag_type type;
        bool used;
        const char *value; /* borrowed from the instruction; "true"/"false" for bools */
        char **values;     /* DFSTAGE_FLAG_STRINGS: owned strv of borrowed strings */
};

/* the --build-arg value of name (NULL if not given); marks it consumed */
const char *dfstage_build_arg(struct dfstage_planner *pl, const char *name);
/* HTTP_PROXY and friends: usable without an ARG, not part of the cache key */
bool dfstage_is_proxy_arg(const char *name);

#define DFSTAGE_FLAG(n, t)                            \
        {                                             \
                .name = (n), .type = DFSTAGE_FLAG_##t \
        }

/* "Dockerfile:LINE: what" (-EINVAL) */
int dfstage_fail(struct dfstage_run *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* docker's BFlags.Parse: every flag must be one of spec (n entries). */
int dfstage_parse_flags(struct dfstage_run *s, const struct df_instr *in, struct dfstage_flag *spec,
                        size_t n);
void dfstage_flags_release(struct dfstage_flag *spec, size_t n);
const struct dfstage_flag *dfstage_flag_get(const struct dfstage_flag *spec, size_t n,
                                            const char *name);

/* expansion with the stage's environment (ENV first, then ARGs); records ARGs read */
int dfstage_expand(struct dfstage_run *s, const char *word, char **ret);
int dfstage_expand_words(struct dfstage_run *s, const char *word, char ***ret);
/* heredoc bodies: quotes are not special, escape is always '\' */
int dfstage_expand_raw(struct dfstage_run *s, const char *word, char **ret);

/* the value of NAME in a "NAME=value" list, or NULL */
const char *dfstage_env_get(char *const *env, const char *name);
/* set NAME=value in place or append */
void dfstage_env_set(char ***env, const char *name, const char *value);

/* dfstage_check: the checks docker does when it parses an instruction (argument counts,
 * flags, values), before any expansion. */
int dfstage_check(struct dfstage_run *s, const struct df_instr *in);
/* dfstage_dispatch: apply one instruction of a stage: a step is appended to s->st. */
int dfstage_dispatch(struct dfstage_run *s, const struct df_instr *in, bool onbuild);
/* dfstage_stage_ref: the stage a COPY --from / RUN --mount from= value names (*ret, -1 when
 * it is an image); -EINVAL when it names the current or a later stage. */
int dfstage_stage_ref(struct dfstage_run *s, const char *ref, int *ret);

void dfstage_step_release(struct dfstage_step *st);
