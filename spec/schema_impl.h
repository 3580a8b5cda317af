/* schema_impl: the compiled form of a JSON schema, shared by the schema_*.c files only.
 *
 * schema.c compiles the JSON text into a graph of struct sch (one per subschema; a $ref
 * points at the compiled target, so the graph may have cycles), schema_check.c walks a
 * document against it, schema_report.c turns the recorded violation into a message.
 *
 * Ownership: struct schema owns the parsed JSON (every `const char *` and json_object
 * below borrows from it), every struct sch (in `all`) and every compiled pattern (in `rx`).
 */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "spec/node.h"

/* JSON types as a bit set; ST_INTEGER is also accepted where ST_NUMBER is wanted. */
enum sch_type {
        ST_NULL = 1 << 0,
        ST_BOOLEAN = 1 << 1,
        ST_OBJECT = 1 << 2,
        ST_ARRAY = 1 << 3,
        ST_NUMBER = 1 << 4,
        ST_STRING = 1 << 5,
        ST_INTEGER = 1 << 6,
};

/* How a pattern is matched: the trivial patterns compose-spec uses for names skip regexec
 * (and keep Go's meaning of `.`, which never matches a newline). */
enum rx_kind {
        RX_REGEX,    /* POSIX ERE translated from the ECMA-262 source */
        RX_PREFIX,   /* ^literal */
        RX_NONEMPTY, /* .+ : some character other than a newline */
        RX_ONE_LINE, /* ^.+$ : non-empty, no newline */
};

struct sch_rx {
        const char *src; /* the pattern as written in the schema */
        enum rx_kind kind;
        char *lit;  /* RX_PREFIX: the literal */
        regex_t re; /* RX_REGEX only */
};

struct sch;

struct sch_list {
        struct sch **v;
        size_t n;
};

struct sch_prop {
        const char *name;
        struct sch *sch;
};

struct sch_pattern {
        const struct sch_rx *rx;
        struct sch *sch;
};

/* One entry of draft-07 `dependencies`: either required names or a schema. */
struct sch_dep {
        const char *name;
        const char **req;
        size_t nreq;
        struct sch *sch;
};

struct sch_num {
        bool set;
        double v;
};

struct sch {
        int boolean;    /* -1: an object schema; 0/1: the `false`/`true` schema */
        unsigned types; /* enum sch_type bits; 0 = any */
        struct sch *ref;
        bool has_const;
        json_object *const_val; /* NULL is JSON null */
        json_object *enum_vals; /* array or NULL */
        const char *format;

        struct sch_prop *props; /* sorted by name */
        size_t nprops;
        struct sch_pattern *patterns;
        size_t npatterns;
        struct sch *addl; /* additionalProperties schema, or NULL */
        bool addl_false;
        const char **required;
        size_t nrequired;
        struct sch_dep *deps;
        size_t ndeps;
        long long min_props, max_props; /* -1 = unset */

        struct sch *items;      /* one schema for every item */
        struct sch_list tuple;  /* items given as an array */
        struct sch *addl_items; /* additionalItems schema */
        bool addl_items_false;
        bool unique;
        long long min_items, max_items; /* -1 = unset */

        long long min_len, max_len; /* -1 = unset */
        const struct sch_rx *pattern;

        struct sch_num minimum, maximum, ex_minimum, ex_maximum;

        struct sch_list all_of, any_of, one_of;
        struct sch *not_, *if_, *then_, *else_;
};

struct schema {
        json_object *root;
        struct sch *top;
        struct sch **all; /* every compiled subschema, owned */
        size_t nall, capall;
        struct sch_rx **rx; /* every distinct pattern, owned */
        size_t nrx, caprx;
};

/* What a recorded violation was; the report recomputes the details from (sch, at). */
enum verr_kind {
        VK_NONE,
        VK_FALSE,
        VK_TYPE,
        VK_CONST,
        VK_ENUM,
        VK_FORMAT,
        VK_REQUIRED,
        VK_DEPENDENCY,
        VK_ADDL_PROPS,
        VK_MIN_PROPS,
        VK_MAX_PROPS,
        VK_MIN_ITEMS,
        VK_MAX_ITEMS,
        VK_UNIQUE,
        VK_ADDL_ITEMS,
        VK_MIN_LEN,
        VK_MAX_LEN,
        VK_PATTERN,
        VK_MINIMUM,
        VK_MAXIMUM,
        VK_EX_MINIMUM,
        VK_EX_MAXIMUM,
        VK_NOT,
        VK_ONE_OF_MANY,
};

/* verr: the most specific violation seen so far. spec is compose-go's specificity: the
 * depth of the offending value, plus one for additional properties. */
struct verr {
        int spec; /* -1: none */
        enum verr_kind kind;
        const struct sch *sch;
        const struct node *at;
};

#define VERR_INIT                                                    \
        {                                                            \
                .spec = -1, .kind = VK_NONE, .sch = NULL, .at = NULL \
        }

/* schema_check.c */
/* schema_check_doc: validate doc; fills *best with the violation to report. Returns 0 when
 * valid, -EINVAL when not, -E2BIG when the document nests too deep to follow. */
int schema_check_doc(const struct sch *top, const struct node *doc, struct verr *best);
const struct sch *schema_prop_find(const struct sch *s, const char *name);
bool schema_rx_match(const struct sch_rx *rx, const char *s);
bool schema_is_additional(const struct sch *s, const char *key);
bool schema_node_matches(const struct sch *s, const struct node *n);
bool schema_node_is_reset(const struct node *n);
/* schema_live_get: map[key] unless absent or !reset. */
const struct node *schema_live_get(const struct node *map, const char *key);
/* schema_find_dup: the first pair of equal items (JSON equality) of seq; false when none. */
bool schema_find_dup(const struct node *seq, size_t *ret_i, size_t *ret_j);
bool schema_json_equal(const struct node *n, json_object *j);
bool schema_format_ok(const char *format, const struct node *n);
size_t schema_live_count(const struct node *n);
size_t schema_utf8_length(const char *s);

/* schema_report.c */
/* schema_report: fill err with the message for v, found in doc. */
int schema_report(const struct node *doc, const struct verr *v, struct err *err);
