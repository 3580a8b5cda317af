/* merge: combine compose documents the way `docker compose -f a.yaml -f b.yaml` does.
 *
 * The rules are compose's (the compose-spec "Merge and override" chapter, as compose-go
 * implements them): scalars are replaced by the later file, mappings are merged by key,
 * sequences are appended, with per-attribute exceptions (command/entrypoint/healthcheck.test
 * are replaced; environment, labels and other list-or-map attributes are merged as
 * KEY=VALUE lists; depends_on, networks and models as mappings; build as a mapping even in
 * its string form; logging options only when the driver is the same; ulimits entries are
 * replaced). Afterwards merge_enforce_unicity() removes the entries compose keeps unique
 * (ports, volumes by target, secrets and configs by target, ...).
 *
 * Trees are raw documents (after interpolation, before the canonical short->long
 * transform), so every rule accepts both the short and the long syntax of an attribute.
 * A list-or-map attribute that was merged comes out as a list (maps turned into sorted
 * KEY=VALUE strings first, as compose-go does); one that was not merged keeps its form.
 */
#pragma once

#include "spec/node.h"

/* merge_tree: merge override into base, in place.
 *
 * base is a whole compose document, or a NODE_NULL (then it becomes a copy of override).
 * override is borrowed: whatever base needs is copied. path is the dotted path of base in a
 * document, so the per-attribute rules apply at the right depth: "" for a whole document,
 * "services.web" when merging one service into another for extends (everything after the
 * first dot is the resource name, so names may contain dots).
 *
 * Tags on override nodes: a value tagged !reset removes the attribute (or map entry) from
 * base and is not copied; a value tagged !override replaces the base value instead of
 * being merged with it. A base value still tagged !reset counts as absent.
 *
 * Fails with -EINVAL when the two values cannot be merged (a sequence over a mapping, a
 * mapping over a sequence, a non-scalar in a KEY=VALUE attribute); the message carries the
 * override's file:line:col and the attribute's path. base is then partly merged and should
 * be dropped. */
int merge_tree(struct node *base, const struct node *override, const char *path, struct err *err);

/* merge_enforce_unicity: after all merges, deduplicate the sequences compose keeps unique:
 * ports (host_ip, published, target, protocol), volumes and devices (target), secrets and
 * configs (target, defaulting from source), env_file (path), extra_hosts and expose (the
 * entry), and the KEY=VALUE lists (by KEY: environment, labels, annotations, build args,
 * sysctls, ...) and plain string sets (cap_add, dns, profiles, tmpfs, ...). When two entries
 * share a key the later one wins and takes the earlier one's position. Entries whose key
 * cannot be computed (wrong type, unparsable) are kept for validation to report. */
int merge_enforce_unicity(struct node *doc, struct err *err);

/* merge_strip_tags: drop the map entries and sequence items still tagged !reset (there is
 * nothing left for them to reset) and clear the !override flags, so later stages see plain
 * values. Use after the last merge. */
void merge_strip_tags(struct node *doc);
