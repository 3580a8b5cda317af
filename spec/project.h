/* project: loading a compose project exactly as docker compose v2 does.
 *
 * spec_project_load() runs the whole pipeline in compose's order:
 *   environment (shell, then .env or --env-file) -> file discovery (-f, COMPOSE_FILE, or a walk
 *   up from the working directory, plus the override file) -> project name -> per file: YAML,
 *   interpolation, schema validation, include, extends -> merge of all files -> profiles ->
 *   canonical transform and defaults -> normalization (default network, resource names, paths,
 *   implicit dependencies, env_file/label_file) -> consistency validation.
 * The result is the canonical model as `berth config` prints it, plus what later commands
 * need (the project's directory, environment, and every file read).
 */
#pragma once

#include <stdbool.h>

#include "base/log.h"
#include "spec/env.h"
#include "spec/node.h"

/* Caps on what a user's files may make us read. */
#define SPEC_MAX_FILE_BYTES    (8u << 20) /* one compose file */
#define SPEC_MAX_FILES         256        /* files in a project, includes and extends counted */
#define SPEC_MAX_SERVICES      10000
#define SPEC_MAX_EXTENDS_DEPTH 64
#define SPEC_MAX_INCLUDE_DEPTH 32

struct spec_load_opts {
        char *const *files;       /* -f, in order; NULL: COMPOSE_FILE or discovery; "-" is stdin */
        const char *project_dir;  /* --project-directory */
        const char *project_name; /* -p */
        char *const *env_files;   /* --env-file, in order (replace the default .env) */
        char *const *profiles;    /* --profile */
        char *const *services;    /* services named on the command line (activate profiles) */
        char *const *environ_;    /* the process environment (NULL: none) */
        const char *cwd;          /* NULL: getcwd() */
        bool no_interpolate;      /* config --no-interpolate */
        bool no_normalize;        /* config --no-normalize: skip defaults such as names */
        bool no_path_resolution;  /* config --no-path-resolution */
        bool no_consistency;      /* config --no-consistency */
        bool no_env_resolution;   /* config --no-env-resolution */
        bool all_resources;       /* keep declared but unused networks/volumes/... */
        const struct logger *log; /* warnings (NULL: dropped) */
};

struct spec_project {
        char *name;          /* normalized project name */
        char *workdir;       /* absolute project directory */
        char **files;        /* every file read (absolute; node positions borrow these) */
        char **config_files; /* the compose files named or discovered, in order */
        struct env env;     /* interpolation environment: shell over .env, + COMPOSE_PROJECT_NAME */
        char **profiles;    /* active profiles */
        struct node *model; /* canonical model: name, services, networks, volumes, ... */
        struct node *disabled; /* services disabled by profiles (map), for `config --profiles` */
};

int spec_project_load(const struct spec_load_opts *opts, struct spec_project **ret,
                      struct err *err);
struct spec_project *spec_project_free(struct spec_project *p);

/* spec_project_name_valid: whether s is a valid explicit project name (-p,
 * COMPOSE_PROJECT_NAME): [a-z0-9][a-z0-9_-]*. */
bool spec_project_name_valid(const char *s);
/* spec_project_name_normalize: derive a name from a `name:` value or a directory name:
 * lower-case, keep [a-z0-9_-], drop leading '_' and '-'. Owned result, may be "". */
char *spec_project_name_normalize(const char *s);

/* spec_project_services: the service names of the model, sorted. Owned strv. */
char **spec_project_services(const struct spec_project *p);
