/* transform_internal: private to spec/transform*.c.
 *
 * The compose model is described once, as the Go types compose-go decodes it into
 * (transform_model.c). A walker (transform.c) applies a type to a node: first the type's
 * short-syntax hook (transform.Canonical), then the decoding (casts, units), then the
 * marshalling rule that matters for the content (omitempty).
 */
#pragma once

#include <stdbool.h>

#include "base/sbuf.h"
#include "spec/node.h"

enum tkind {
        TK_ANY,          /* kept as written; scalars as go-yaml prints them */
        TK_STR,          /* string; numbers and booleans become their text */
        TK_BOOL,         /* bool; "true"/"yes"/"on"/... strings are cast */
        TK_OPTOUT,       /* bool whose zero (omitted) value is true */
        TK_INT,          /* int64 */
        TK_UINT,         /* uint64 (negative is an error) */
        TK_FLOAT32,      /* float32 (cpus, ratios) */
        TK_DURATION,     /* types.Duration: printed as Go's Duration.String() */
        TK_BYTES,        /* types.UnitBytes: printed as a decimal string */
        TK_FILEMODE,     /* types.FileMode: int or octal string, printed "0%o" */
        TK_DEVCOUNT,     /* types.DeviceCount: int or "all" (-1) */
        TK_STRLIST,      /* StringList / StringOrNumberList: a string is a 1-item list */
        TK_COMMAND,      /* ShellCommand: a string is split by shellwords; [] is kept */
        TK_HCTEST,       /* HealthCheckTest: a string s is [CMD-SHELL, s] */
        TK_MAPPING,      /* Mapping: map or KEY=VALUE list -> map of strings, null -> "" */
        TK_MAPPING_EQ,   /* MappingWithEquals: as Mapping but a bare KEY / null stays null */
        TK_LABELS,       /* Labels: as Mapping */
        TK_OPTIONS,      /* Options and map[string]string: a map only, values as strings */
        TK_MULTIOPTIONS, /* MultiOptions: map of string lists */
        TK_HOSTS,        /* HostsList: map or host=ip/host:ip list -> sorted "host=ip" list */
        TK_ULIMIT,       /* UlimitsConfig: an int or {soft, hard} */
        TK_SEQ,          /* []elem */
        TK_MAP,          /* map[string]elem */
        TK_STRUCT,       /* known fields; x-* and unknown keys are kept as written */
};

struct walk;
struct ttype;

/* A short-syntax hook rewrites a node in place before it is decoded. */
typedef int (*thook)(struct walk *w, struct node *n);

/* Field flags: how omitempty applies. */
enum {
        TF_KEEP = 1 << 0,   /* pointer field: printed when set, even to a zero value */
        TF_ALWAYS = 1 << 1, /* no omitempty: printed even when zero */
};

/* Type flags. */
enum {
        TT_PTR_ELEM = 1 << 0,   /* SEQ/MAP of pointers: a null element stays null */
        TT_DROP_EMPTY = 1 << 1, /* drop null and "" items (compose's OmitEmpty for dns) */
};

struct tfield {
        const char *key;
        const struct ttype *type;
        unsigned flags;
};

struct ttype {
        enum tkind kind;
        unsigned flags;
        const struct ttype *elem;    /* TK_SEQ, TK_MAP */
        const struct tfield *fields; /* TK_STRUCT: ends with a NULL key */
        thook pre;                   /* short -> long syntax, before decoding */
};

/* The walk: where we are, for error messages ("services.web.ports"). */
struct walk {
        struct sbuf path;
        struct err *err;
        bool lenient; /* keep a value as written when it does not parse (see transform.h) */
};

/* transform_push, transform_push_index: enter ".key" / "[i]"; transform_pop: back to the returned
 * mark. */
size_t transform_push(struct walk *w, const char *key);
size_t transform_push_index(struct walk *w, size_t i);
void transform_pop(struct walk *w, size_t mark);

/* The model (transform_model.c). */
extern const struct ttype transform_project_type;

/* transform_errf: "file:line:col: <path>: <msg>" for node n. */
int transform_errf(struct walk *w, const struct node *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* transform_item_errf: as transform_errf, for item i of the sequence at the current path. */
int transform_item_errf(struct walk *w, size_t i, const struct node *n, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* transform_text: the text compose-go's fmt.Sprint gives a scalar (ints in decimal, floats
 * as Go prints float64, booleans true/false, null ""); owned. NULL for SEQ/MAP. */
char *transform_text(const struct node *n);

/* transform_go_int: the value of a NODE_INT text as go-yaml reads it (0x, 0o, 0b, leading-0 octal,
 * underscores). */
bool transform_go_int(const char *text, long long *ret);

/* transform_conv_scalar: decode a scalar kind (TK_STR ... TK_DEVCOUNT) in place
 * (transform_scalars.c). *ret_zero: the Go value is the zero value (omitempty drops it). */
int transform_conv_scalar(struct walk *w, const struct ttype *t, struct node *n, bool *ret_zero);
/* transform_normalize_any: scalars of an untyped value (extensions) as go-yaml prints them. */
void transform_normalize_any(struct node *n);
/* transform_conv_collection: decode list-or-map kinds (TK_STRLIST ... TK_ULIMIT) in place
 * (transform_maps.c). */
int transform_conv_collection(struct walk *w, const struct ttype *t, struct node *n,
                              bool *ret_zero);

/* Hooks (transform_short.c, transform_ports.c, transform_volumes.c). */
int transform_hook_build(struct walk *w, struct node *n);
int transform_hook_file_ref(struct walk *w, struct node *n);
int transform_hook_key_value(struct walk *w, struct node *n);
int transform_hook_depends_on(struct walk *w, struct node *n);
int transform_hook_env_file(struct walk *w, struct node *n);
int transform_hook_extends(struct walk *w, struct node *n);
int transform_hook_gpus(struct walk *w, struct node *n);
int transform_hook_list_to_map(struct walk *w, struct node *n);
int transform_hook_device(struct walk *w, struct node *n);
int transform_hook_ssh(struct walk *w, struct node *n);
int transform_hook_external(struct walk *w, struct node *n);
int transform_hook_include(struct walk *w, struct node *n);
int transform_hook_ports(struct walk *w, struct node *n);
int transform_hook_volume(struct walk *w, struct node *n);
