/* loader: private to spec/, shared by project.c, load.c, normalize.c and validate.c. */
#pragma once

#include "spec/project.h"
#include "spec/schema.h"

struct cached_file {
        char *path;
        struct node *doc; /* raw, interpolated, extends resolved */
};

struct loader {
        const struct spec_load_opts *opts;
        struct spec_project *p;    /* owns files (names borrowed by node positions) */
        struct schema *schema;     /* loaded once, reused for every file */
        struct env *env;           /* interpolation environment of the (sub)project */
        const char *workdir;       /* directory relative paths resolve against */
        char **include_stack;      /* absolute paths of the includes being loaded */
        struct cached_file *cache; /* files loaded for extends */
        size_t n_cache, cap_cache;
};

/* loader_intern_file: remember an absolute path for the life of the project; returns the
 * stable copy that node positions may borrow. Fails past SPEC_MAX_FILES. */
int loader_intern_file(struct loader *ld, const char *path, const char **ret, struct err *err);

/* load_file: read, parse, interpolate and validate one compose file, then resolve its
 * extends and includes. *ret is its raw document (a mapping), owned. */
int load_file(struct loader *ld, const char *path, struct node **ret, struct err *err);

/* load_top_name: the interpolated top-level `name:` of a file, if any (owned, or NULL). */
int load_top_name(struct loader *ld, const char *path, char **ret, struct err *err);

/* normalize_project: defaults and resolution after the canonical transform (default network,
 * resource names, implicit dependencies, relative paths, env_file/label_file). */
int normalize_project(struct loader *ld, struct node *model, struct err *err);
/* normalize_paths: make the model's relative paths absolute against dir. */
int normalize_paths(struct node *model, const char *dir, const struct env *env, struct err *err);
/* validate_raw: checks that need the raw syntax (run on the merged raw model). */
int validate_raw(struct node *model, struct err *err);
/* validate_project: consistency of the canonical model (references, cycles, exclusions). */
int validate_project(struct loader *ld, struct node *model, struct err *err);
/* validate_cycles: dependency cycles through depends_on. */
int validate_cycles(const struct node *services, struct err *err);
/* profiles_apply: move services of inactive profiles from services to disabled. */
int profiles_apply(struct loader *ld, struct node *model, struct err *err);
