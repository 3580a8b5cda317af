/* stack: a compose project as the orchestration commands see it (private to compose/).
 *
 * stack_open() loads the project (spec/project.h) and finds what already exists of it under
 * the state root: the containers carrying com.docker.compose.project=<name>, as docker compose
 * finds them by label. Everything else (networks, volumes) is found by its name.
 *
 * Containers are named <project>-<service>-<n> and carry compose's labels; the config hash is
 * the sha256 of the service's canonical JSON without the keys that only scale it, so that `up`
 * can tell which services changed. Mutating commands hold <root>/compose/<project>.lock (an
 * flock) so that two berth commands on one project run one after the other.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "compose/cli.h"
#include "compose/dag.h"
#include "engine/container.h"
#include "spec/node.h"
#include "spec/project.h"

#define STACK_LABEL_PROJECT  "com.docker.compose.project"
#define STACK_LABEL_SERVICE  "com.docker.compose.service"
#define STACK_LABEL_NUMBER   "com.docker.compose.container-number"
#define STACK_LABEL_ONEOFF   "com.docker.compose.oneoff"
#define STACK_LABEL_HASH     "com.docker.compose.config-hash"
#define STACK_LABEL_WORKDIR  "com.docker.compose.project.working_dir"
#define STACK_LABEL_FILES    "com.docker.compose.project.config_files"
#define STACK_LABEL_DEPENDS  "com.docker.compose.depends_on"
#define STACK_LABEL_IMAGE    "com.docker.compose.image"
#define STACK_LABEL_VERSION  "com.docker.compose.version"
#define STACK_LABEL_NETWORK  "com.docker.compose.network"
#define STACK_LABEL_VOLUME   "com.docker.compose.volume"
#define STACK_REPLICAS_MAX   1000
#define STACK_CREATE_PARALLEL 8

enum stack_flags {
        STACK_MODEL = 1 << 0,     /* the compose file is required */
        STACK_LOCK = 1 << 1,      /* take the project lock */
        STACK_NAME_ONLY = 1 << 2, /* without a compose file, -p NAME is enough (down, ps) */
};

/* One container of the project that exists. */
struct stack_ctr {
        struct ctr *c;
        const char *service; /* label values, borrowed from c->config */
        const char *hash;
        const char *image_id;
        int number;
        bool oneoff;
        bool running; /* its monitor answers */
        json_object *state;
};

enum dep_condition { DEP_STARTED, DEP_HEALTHY, DEP_COMPLETED };

struct stack_dep {
        size_t svc;     /* index into stack.svcs */
        enum dep_condition cond;
        bool required;
        bool restart;
};

struct stack_service {
        const char *name;    /* borrowed from the model */
        struct node *node;   /* borrowed */
        char *hash;
        char *image;         /* the reference to run: image: or <project>-<service> */
        char *image_id;      /* its id in the store once known (NULL: not looked up) */
        int replicas;
        bool selected;       /* named on the command line (or all when none were) */
        struct stack_dep *deps;
        size_t n_deps;
};

struct stack {
        struct cli_globals *g;
        struct spec_project *p; /* NULL with STACK_NAME_ONLY and no compose file */
        char *name;
        struct stack_service *svcs;
        size_t n_svcs;
        struct stack_ctr *ctrs;
        size_t n_ctrs;
        int lock_fd;
};

/* stack_open: load the project (services: the command line's, to activate their profiles and
 * select them; NULL = all) and list its containers. */
int stack_open(struct cli_globals *g, char *const *services, unsigned flags, struct stack **ret,
               struct err *err);
struct stack *stack_free(struct stack *s);

/* stack_refresh: read the containers again (after a task changed them). */
int stack_refresh(struct stack *s, struct err *err);

/* stack_service_find: index of a service by name, or -1. */
ssize_t stack_service_find(const struct stack *s, const char *name);

/* stack_ctrs_of: the non-oneoff containers of service svc, by number (borrowed pointers in
 * an owned array, NULL-terminated). */
struct stack_ctr **stack_ctrs_of(const struct stack *s, const char *svc);

/* stack_tasks: one dag task per service with its depends_on edges (required: false edges are
 * soft). Owned; free with stack_tasks_free. */
void stack_tasks(const struct stack *s, struct dag_task **ret);
void stack_tasks_free(struct dag_task *t, size_t n);

enum stack_order {
        STACK_FORWARD, /* dependencies first (start) */
        STACK_REVERSE, /* dependents first (stop) */
        STACK_FLAT,    /* all at once (create: a container can be made before its deps run) */
};

/* stack_run_graph: run fn for every service as a dag in that order, progress events to
 * on_event. */
int stack_run_graph(const struct stack *s, enum stack_order order, dag_fn fn, void *ctx,
                    dag_event_fn on_event, void *event_ctx, struct err *err);

/* stack_ctr_name: "<project>-<service>-<n>", or the service's container_name. Owned. */
char *stack_ctr_name(const struct stack *s, const struct stack_service *svc, int number);

/* stack_hash: the config hash of a service node (hex sha256 of its canonical JSON without
 * deploy.replicas and scale). Owned. */
char *stack_hash(const struct node *svc);

/* ---- stack_service.c: a service as a `container create` command line -------------------- */

/* What `berth run` changes of a service (a one-off container, number 0). Borrowed. */
struct stack_run_over {
        const char *name;        /* <project>-<service>-run-<12 hex> or --name */
        char **command;          /* replaces the service's command when not NULL */
        const char *entrypoint;  /* replaces it when has_entrypoint */
        bool has_entrypoint;
        bool service_ports;      /* keep the service's ports (else none) */
        char **flags;            /* more docker run flags (-e, -u, -w, -l, -v, -p, --rm, -i, -t) */
};

/* stack_service_args: the create command line (argv[0] "create", then flags, IMAGE, the
 * command) and the config.json keys no flag expresses, for replica number of svc (run: 0
 * with ov). Keys berth cannot honour are refused (-ENOTSUP) or, where compose only warns,
 * logged. */
int stack_service_args(const struct stack *s, const struct stack_service *svc, int number,
                       const struct stack_run_over *ov, char ***ret_argv, json_object **ret_extra,
                       struct err *err);

/* stack_duration_ns: a compose duration ("1m30s", "10s", "500ms") in ns; -EINVAL. */
int stack_duration_ns(const char *s, int64_t *ret, struct err *err);

/* ---- stack_up.c: converging services (dag tasks) ------------------------------------------ */

struct stack_up_opts {
        bool force_recreate, no_recreate, no_start;
        bool create_only; /* the first pass of up: make containers, wait for nothing */
};

struct stack_up_ctx {
        struct stack *s;
        const struct stack_up_opts *o;
        bool *recreated; /* per service, set by the parent from the events (may be NULL):
                          * a dependent with restart: true is restarted after it */
};

/* stack_up_event: the parent's bookkeeping of an `up` event of task i (call it from the
 * dag's on_event before showing the event). */
void stack_up_event(struct stack_up_ctx *u, size_t i, const char *text);

/* stack_up_task: the dag_fn of `up`/`create`/`start` for service i (ctx: stack_up_ctx). */
int stack_up_task(size_t i, void *ctx, int events, struct err *err);

/* stack_image_id: the store's id of image ref (owned); -ENOENT "No such image". */
int stack_image_id(const struct stack *s, const char *ref, char **ret, struct err *err);

/* stack_remove_ctr: stop and remove one container, with progress events. */
int stack_remove_ctr(struct stack *s, struct stack_ctr *sc, bool volumes, int events,
                     struct err *err);

/* ---- stack_logs.c: several containers' logs with compose's prefixes ------------------------ */

struct stack_log_src {
        char id[CTR_ID_LEN + 1];
        char *name, *path;
        int files;     /* log files kept (monitor_log_limits); 0: the driver keeps none */
        uint64_t size; /* bytes per file */
        int fd, color;
        unsigned long ino;
        bool started;
        struct sbuf pend;
};

struct stack_logs {
        struct stack_log_src *v;
        size_t n, width;
        bool timestamps, no_prefix, color;
        long long tail;   /* -1: all */
        long long since;  /* unix ns, 0: all */
        long long until;  /* unix ns, 0: all */
};

/* stack_logs_add: follow c too (its history is printed at the next pump); 1 when new. */
int stack_logs_add(struct stack_logs *l, const struct ctr *c);
/* stack_logs_pump: print every complete line that arrived since the last pump. */
void stack_logs_pump(struct stack_logs *l);
void stack_logs_release(struct stack_logs *l);

/* ---- stack_resources.c: networks and volumes ------------------------------------------------ */

struct progress;
/* stack_resources_up: create the project's networks and volumes that do not exist (external
 * ones must); progress events "Network X", "Volume \"X\"". */
int stack_resources_up(struct stack *s, struct progress *pg, struct err *err);
int stack_volumes_up(struct stack *s, struct progress *pg, struct err *err);
/* stack_images_ensure: the images of the selected services, as `up` wants them: built
 * (build: and missing, --build, or pull_policy: build; never with no_build), pulled (missing,
 * or pull_policy: always), or refused (pull_policy: never). Fills svc->image_id. */
int stack_images_ensure(struct stack *s, bool build, bool no_build, struct progress *pg,
                        struct err *err);
/* stack_up_selected: the selected services up as `up -d` makes them (images must exist). */
int stack_up_selected(struct stack *s, struct progress *pg, struct err *err);
/* stack_networks_down / stack_volumes_down: remove what is labelled as the project's;
 * *ret_removed: how many networks went (each brought the NAT table in line). */
int stack_networks_down(struct stack *s, struct progress *pg, int *ret_removed,
                        struct err *err);
int stack_volumes_down(struct stack *s, struct progress *pg, struct err *err);

/* ---- commands (cmd_up.c, cmd_down.c, cmd_ps.c) ---------------------------------------------- */
int cmd_compose_stop(struct cli_globals *g, int argc, char **argv, struct err *err);
