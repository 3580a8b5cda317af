/* yaml: YAML text -> node trees (libyaml), with the limits a hostile file needs.
 *
 * Anchors and aliases are expanded (an alias becomes a copy), `<<` merge keys are applied
 * (shallow; local keys win, then the first merged map), duplicate keys are an error, and
 * plain scalars are typed by the YAML 1.2 core schema as go-yaml v3 does (so `no` stays a
 * string). The !reset and !override tags become node flags. Every node keeps file:line:col.
 */
#pragma once

#include <stddef.h>

#include "spec/node.h"

struct yaml_limits {
        size_t max_nodes; /* nodes after alias and merge expansion */
        int max_depth;    /* nesting of sequences and mappings */
};

#define YAML_MAX_NODES 500000
#define YAML_MAX_DEPTH 128

/* yaml_load: parse every document of buf into a NODE_SEQ of documents (*ret owned).
 * An empty stream gives an empty sequence; an empty document is a NODE_NULL.
 * file (borrowed, must outlive the tree) names the input in errors. limits may be NULL. */
int yaml_load(const char *buf, size_t len, const char *file, const struct yaml_limits *limits,
              struct node **ret, struct err *err);
