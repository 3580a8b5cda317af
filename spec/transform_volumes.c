/* transform_volumes: the short volume syntax, as compose-go's format.ParseVolume reads it.
 *
 *   [source:]target[:options]     options: ro, rw, nocopy, z, Z, [r]private, [r]shared,
 *                                          [r]slave (others are ignored, as upstream)
 *
 * A source starting with '.', '/', '~', "\\" or a Windows drive ("c:") is a bind mount
 * (created on the host when missing, for docker-compose v1 compatibility); anything else
 * names a volume. Colons inside ${...} and after a drive letter do not separate fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "spec/transform.h"
#include "spec/transform_internal.h"

struct volume_spec {
        char *source, *target, *selinux, *propagation;
        bool read_only, bind, volume, nocopy;
};

static void
volume_spec_release(struct volume_spec *v)
{
        free(v->source);
        free(v->target);
        free(v->selinux);
        free(v->propagation);
}

static bool
is_letter(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_file_path(const char *s)
{
        if (!*s)
                return false;
        if (strchr("./~", s[0]) || strncmp(s, "\\\\", 2) == 0)
                return true;
        return is_letter(s[0]) && s[1] == ':';
}

static void
set_option(struct volume_spec *v, const char *opt)
{
        static const char *const propagations[] = { "rprivate", "private", "rshared",
                                                    "shared",   "rslave",  "slave" };

        if (strcmp(opt, "ro") == 0 || strcmp(opt, "rw") == 0) {
                v->read_only = opt[1] == 'o';
        } else if (strcmp(opt, "nocopy") == 0) {
                v->volume = v->nocopy = true;
        } else if (strcmp(opt, "z") == 0 || strcmp(opt, "Z") == 0) {
                v->bind = true;
                free(v->selinux);
                v->selinux = xstrdup(opt);
        } else {
                for (size_t i = 0; i < ARRAY_SIZE(propagations); i++) {
                        if (strcmp(opt, propagations[i]) == 0) {
                                v->bind = true;
                                free(v->propagation);
                                v->propagation = xstrdup(opt);
                        }
                }
        }
}

/* populate: one colon-separated section, in order source, target, options. */
static const char *
populate(struct volume_spec *v, const char *section, bool last)
{
        cleanup_strv char **opts = NULL;

        if (!*section)
                return "empty section between colons";
        if (!v->source && last) {
                v->target = xstrdup(section);
                return NULL;
        }
        if (!v->source) {
                v->source = xstrdup(section);
                return NULL;
        }
        if (!v->target) {
                v->target = xstrdup(section);
                return NULL;
        }
        if (!last)
                return "too many colons";
        opts = strv_split(section, ",");
        strv_foreach(opt, opts)
                set_option(v, opt);
        return NULL;
}

static const char *
parse_sections(const char *spec, struct volume_spec *v)
{
        struct sbuf buf = SBUF_INIT;
        size_t len = strlen(spec);
        const char *why = NULL;
        int depth = 0;

        for (size_t i = 0; i <= len && !why; i++) {
                char c = spec[i];

                if (c == '$' && i + 1 < len && spec[i + 1] == '{') {
                        depth++;
                } else if (c == '}' && depth > 0) {
                        depth--;
                } else if (c == ':' && buf.len == 1 && is_letter(buf.buf[0])) {
                        /* a Windows drive letter */
                } else if ((c == ':' || c == '\0') && depth == 0) {
                        why = populate(v, buf.buf, c == '\0');
                        sbuf_reset(&buf);
                        continue;
                }
                if (c)
                        sbuf_addch(&buf, c);
        }
        sbuf_release(&buf);
        return why;
}

static struct node *
volume_node(const struct volume_spec *v, const struct node_pos *pos)
{
        struct node *m = node_new(NODE_MAP, pos), *sub;
        bool bind = is_file_path(v->source ? v->source : "");

        node_map_set(m, "type", node_new_str(bind ? "bind" : "volume", pos));
        if (v->source)
                node_map_set(m, "source", node_new_str(v->source, pos));
        if (v->target) {
                cleanup_free char *target = path_clean(v->target);

                node_map_set(m, "target", node_new_str(target, pos));
        }
        if (v->read_only)
                node_map_set(m, "read_only", node_new_bool(true, pos));
        if (v->bind || bind) {
                sub = node_new(NODE_MAP, pos);
                if (v->selinux)
                        node_map_set(sub, "selinux", node_new_str(v->selinux, pos));
                if (v->propagation)
                        node_map_set(sub, "propagation", node_new_str(v->propagation, pos));
                if (bind)
                        node_map_set(sub, "create_host_path", node_new_bool(true, pos));
                node_map_set(m, "bind", sub);
        }
        if (v->volume || !bind) {
                sub = node_new(NODE_MAP, pos);
                if (v->nocopy)
                        node_map_set(sub, "nocopy", node_new_bool(true, pos));
                node_map_set(m, "volume", sub);
        }
        return m;
}

/* volume_expand: the long form of one spec; on failure msg says why. */
static int
volume_expand(const char *spec, const struct node_pos *pos, struct node **ret_map, char *msg,
              size_t size)
{
        struct volume_spec v = { 0 };
        const char *why = NULL;

        if (!*spec) {
                snprintf(msg, size, "invalid empty volume spec");
                return -EINVAL;
        }
        if (strlen(spec) <= 2) {
                /* compose-go takes a one or two character spec as a bare target */
                *ret_map = node_new(NODE_MAP, pos);
                node_map_set(*ret_map, "type", node_new_str("volume", pos));
                node_map_set(*ret_map, "target", node_new_str(spec, pos));
                return 0;
        }
        why = parse_sections(spec, &v);
        if (why) {
                snprintf(msg, size, "invalid volume spec \"%s\": %s", spec, why);
                volume_spec_release(&v);
                return -EINVAL;
        }
        *ret_map = volume_node(&v, pos);
        volume_spec_release(&v);
        return 0;
}

int
transform_parse_volume(const char *spec, const struct node_pos *pos, struct node **ret_map,
                       struct err *err)
{
        char msg[ERR_MSG_MAX];
        int r;

        r = volume_expand(spec, pos, ret_map, msg, sizeof(msg));
        if (r < 0)
                return node_pos_errf(err, pos, r, "%s", msg);
        return 0;
}

int
transform_hook_volume(struct walk *w, struct node *n)
{
        struct node *map = NULL;
        char msg[ERR_MSG_MAX];

        if (n->kind == NODE_MAP)
                return 0;
        if (n->kind != NODE_STR)
                return transform_errf(w, n, "invalid type %s for a service volume",
                                      node_kind_name(n->kind));
        if (volume_expand(n->str, &n->pos, &map, msg, sizeof(msg)) < 0)
                return transform_errf(w, n, "%s", msg);
        node_replace(n, map);
        return 0;
}
