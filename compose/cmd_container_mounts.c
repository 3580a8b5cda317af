/* cmd_container_mounts: what `container run|create` writes into config.json for -v, --mount,
 * --device, --group-add and --dns/--dns-search/--dns-option (docker's keys):
 *
 *   HostConfig.Binds    ["SRC:DST[:MODE]"]: SRC a host path or a volume name (also the
 *                       64-hex name of an anonymous volume made for -v DST)
 *   HostConfig.Mounts   --mount as docker's API has it: {"Type","Source","Target","ReadOnly",
 *                       "BindOptions":{"Propagation"},"VolumeOptions":{"NoCopy"},
 *                       "TmpfsOptions":{"SizeBytes","Mode"}}; Source is a volume's name
 *   HostConfig.Devices  [{"PathOnHost","PathInContainer","CgroupPermissions"}]
 *   HostConfig.GroupAdd, Dns, DnsSearch, DnsOptions  [strings]
 *   Mounts              what `container inspect` shows (docker's shape)
 *
 * Volumes are created here (a name that does not exist yet is created, as docker does) and
 * get the image's content at their mount point when empty (copy-up, unless nocopy); the
 * monitor resolves names to directories at every start (engine/monitor_config.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "engine/jsonx.h"
#include "engine/volume.h"

#define MOUNT_LIST_MAX 256 /* -v and --mount entries (the runtime's RT_MOUNTS_MAX) */

/* One -v or --mount, parsed. */
struct mspec {
        const char *type;      /* "bind", "volume", "tmpfs" */
        char *source;          /* host path (absolute), volume name, or NULL (anonymous) */
        char *target;          /* absolute, clean */
        char *mode;            /* -v's MODE (for Binds and inspect), or NULL */
        char *propagation;     /* bind-propagation, or NULL */
        char **labels, **opts; /* volume-label, volume-opt */
        int readonly, nocopy, from_v;
        int64_t tmpfs_size, tmpfs_mode; /* 0 / -1: not given */
};

static void
mspec_release(struct mspec *m)
{
        free(m->source);
        free(m->target);
        free(m->mode);
        free(m->propagation);
        strv_free(m->labels);
        strv_free(m->opts);
}

/* ---- -v ---- */

static int
mode_valid(const char *mode, int *ret_ro, int *ret_nocopy)
{
        static const char *const words[] = { "rw",      "ro",       "z",        "Z",
                                             "nocopy",  "private",  "rprivate", "shared",
                                             "rshared", "slave",    "rslave",   "consistent",
                                             "cached",  "delegated" };
        cleanup_strv char **ws = strv_split(mode, ",");

        strv_foreach(w, ws) {
                size_t i = 0;
                while (i < ARRAY_SIZE(words) && strcmp(w, words[i]) != 0)
                        i++;
                if (i == ARRAY_SIZE(words))
                        return 0;
                if (ret_ro && (i == 0 || i == 1))
                        *ret_ro = i == 1;
                if (ret_nocopy && i == 4)
                        *ret_nocopy = 1;
        }
        return ws && ws[0];
}

static int
v_source(const char *cwd, const char *spec, const char *src, struct mspec *m, struct err *err)
{
        if (src[0] == '/' || src[0] == '.') {
                m->type = "bind";
                m->source = path_abs(cwd, src);
                if (!fs_exists(m->source))
                        return err_setf(err, -ENOENT, "invalid -v '%s': '%s' does not exist", spec,
                                        m->source);
                return 0;
        }
        if (!vol_name_valid(src))
                return err_setf(err, -EINVAL,
                                "invalid -v '%s': \"%s\" includes invalid "
                                "characters for a local volume name, only "
                                "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to "
                                "pass a host directory, use absolute path",
                                spec, src);
        m->type = "volume";
        m->source = xstrdup(src);
        return 0;
}

static int
parse_v(const char *cwd, const char *spec, struct mspec *m, struct err *err)
{
        cleanup_strv char **p = strv_split(spec, ":");
        size_t n = strv_length(p);
        const char *src = NULL, *dst = p && p[0] ? p[0] : "", *mode = NULL;

        m->from_v = 1;
        if (n == 0 || n > 3)
                return err_setf(err, -EINVAL, "invalid volume specification: '%s'", spec);
        if (n == 2 && mode_valid(p[1], NULL, NULL) && p[0][0] == '/') {
                mode = p[1]; /* DST:MODE, an anonymous volume */
        } else if (n >= 2) {
                src = p[0];
                dst = p[1];
                mode = n == 3 ? p[2] : NULL;
        }
        if (dst[0] != '/')
                return err_setf(err, -EINVAL,
                                "invalid volume specification: '%s': mount path "
                                "must be absolute",
                                spec);
        if (mode && !mode_valid(mode, &m->readonly, &m->nocopy))
                return err_setf(err, -EINVAL, "invalid mode: %s", mode);
        m->target = path_clean(dst);
        m->mode = mode ? xstrdup(mode) : NULL;
        if (!src || !*src) {
                m->type = "volume"; /* anonymous */
                return 0;
        }
        return v_source(cwd, spec, src, m, err);
}

/* ---- --mount ---- */

static int
parse_bool(const char *v, int *ret)
{
        if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
                *ret = 1;
        else if (!strcmp(v, "false") || !strcmp(v, "0"))
                *ret = 0;
        else
                return -EINVAL;
        return 0;
}

static int
parse_size(const char *s, int64_t *ret)
{
        char *end;
        double v = strtod(s, &end);
        double mul = 1;

        if (end == s || !(v >= 0))
                return -EINVAL;
        switch (*end | 0x20) {
        case 'k':
                mul = 1024.0;
                end++;
                break;
        case 'm':
                mul = 1048576.0;
                end++;
                break;
        case 'g':
                mul = 1073741824.0;
                end++;
                break;
        case 'b':
                end++;
                break;
        default:
                break;
        }
        if ((*end | 0x20) == 'b' && mul > 1)
                end++;
        if (*end || v * mul > 9e18)
                return -EINVAL;
        *ret = (int64_t)(v * mul);
        return 0;
}

static void
set_str(char **field, const char *v)
{
        free(*field);
        *field = v && *v ? xstrdup(v) : NULL;
}

static int
mount_type(struct mspec *m, const char *v, struct err *err)
{
        static const char *const types[] = { "bind", "volume", "tmpfs" };

        for (size_t i = 0; i < ARRAY_SIZE(types); i++)
                if (v && !strcmp(v, types[i])) {
                        m->type = types[i];
                        return 0;
                }
        return err_setf(err, -EINVAL, "invalid mount type '%s' (bind, volume and tmpfs are)",
                        v ? v : "");
}

/* mount_value: the keys that take a value; 1 when k is not one of them. */
static int
mount_value(struct mspec *m, const char *k, const char *v, struct err *err)
{
        char *end;

        if (!strcmp(k, "type"))
                return mount_type(m, v, err);
        if (!strcmp(k, "volume-driver") && (!v || strcmp(v, "local")))
                return err_setf(err, -ENOTSUP, "volume driver '%s' is not available (local is)",
                                v ? v : "");
        if (!v)
                return 1;
        if (!strcmp(k, "bind-propagation"))
                set_str(&m->propagation, v);
        else if (!strcmp(k, "volume-label"))
                strv_add(&m->labels, v);
        else if (!strcmp(k, "volume-opt"))
                strv_add(&m->opts, v);
        else if (!strcmp(k, "tmpfs-size"))
                return parse_size(v, &m->tmpfs_size);
        else if (!strcmp(k, "tmpfs-mode")) {
                m->tmpfs_mode = strtol(v, &end, 8);
                return *end || end == v || m->tmpfs_mode < 0 || m->tmpfs_mode > 07777 ? -EINVAL : 0;
        } else if (strcmp(k, "volume-driver") && strcmp(k, "consistency"))
                return 1;
        return 0;
}

static int
mount_kv(struct mspec *m, const char *k, const char *v, struct err *err)
{
        int r;

        if (!strcmp(k, "source") || !strcmp(k, "src"))
                set_str(&m->source, v);
        else if (!strcmp(k, "target") || !strcmp(k, "dst") || !strcmp(k, "destination"))
                set_str(&m->target, v);
        else if (!strcmp(k, "readonly") || !strcmp(k, "ro"))
                return parse_bool(v, &m->readonly);
        else if (!strcmp(k, "volume-nocopy"))
                return parse_bool(v, &m->nocopy);
        else if ((r = mount_value(m, k, v, err)) != 1)
                return r;
        else
                return err_setf(err, -EINVAL, "unexpected key '%s'", k);
        return 0;
}

static int
mount_check(const char *spec, struct mspec *m, struct err *err)
{
        struct stat sb;
        int is_bind = !strcmp(m->type, "bind"), is_tmpfs = !strcmp(m->type, "tmpfs");

        if (!m->target || m->target[0] != '/')
                return err_setf(err, -EINVAL,
                                "invalid --mount '%s': target must be an absolute "
                                "path",
                                spec);
        if ((m->labels || m->opts || m->nocopy) && strcmp(m->type, "volume"))
                return err_setf(err, -EINVAL, "cannot mix 'volume-*' options with mount type '%s'",
                                m->type);
        if (m->propagation && !is_bind)
                return err_setf(err, -EINVAL, "cannot mix 'bind-*' options with mount type '%s'",
                                m->type);
        if ((m->tmpfs_size || m->tmpfs_mode >= 0) && !is_tmpfs)
                return err_setf(err, -EINVAL, "cannot mix 'tmpfs-*' options with mount type '%s'",
                                m->type);
        if (m->propagation && !mode_valid(m->propagation, NULL, NULL))
                return err_setf(err, -EINVAL, "invalid bind-propagation '%s'", m->propagation);
        if (is_tmpfs && m->source)
                return err_setf(err, -EINVAL,
                                "invalid mount config for type \"tmpfs\": field "
                                "Source must be empty");
        if (is_bind && (!m->source || m->source[0] != '/'))
                return err_setf(err, -EINVAL,
                                "invalid mount config for type \"bind\": field "
                                "Source must be an absolute path");
        if (is_bind && stat(m->source, &sb) < 0)
                return err_setf(err, -ENOENT,
                                "invalid mount config for type \"bind\": bind "
                                "source path does not exist: %s",
                                m->source);
        if (!strcmp(m->type, "volume") && m->source && !vol_name_valid(m->source))
                return err_setf(err, -EINVAL,
                                "invalid --mount '%s': \"%s\" is not a valid "
                                "volume name",
                                spec, m->source);
        return 0;
}

static int
parse_mount(const char *spec, struct mspec *m, struct err *err)
{
        cleanup_strv char **fields = strv_split(spec, ",");
        char *clean;
        int r = 0;

        m->type = "volume";
        m->tmpfs_mode = -1;
        strv_foreach(f, fields) {
                char *eq = strchr(f, '=');
                cleanup_free char *k = eq ? xstrndup(f, (size_t)(eq - f)) : xstrdup(f);

                r = mount_kv(m, k, eq ? eq + 1 : NULL, err);
                if (r < 0)
                        return err_is_set(err) ? r
                                               : err_setf(err, r,
                                                          "invalid value for '%s' in "
                                                          "--mount '%s'",
                                                          k, spec);
        }
        r = mount_check(spec, m, err);
        if (r < 0)
                return r;
        clean = path_clean(m->target);
        free(m->target);
        m->target = clean;
        return 0;
}

/* ---- volumes ---- */

static int
make_volume(struct cli_globals *g, struct mspec *m, char *const *lowerdirs, struct err *err)
{
        char name[65];
        int created = 0, r = 0;

        if (!m->source) {
                r = vol_random_name(name, err);
                if (r < 0)
                        return r;
                m->source = xstrdup(name);
                strv_add(&m->labels, VOL_ANON_LABEL "=");
        }
        r = vol_create(g->root, m->source, m->labels, m->opts, &created, err);
        if (r == 0 && !m->nocopy)
                r = vol_copy_up(g->root, m->source, lowerdirs, m->target, err);
        if (r < 0 && created && strv_contains(m->labels, VOL_ANON_LABEL "="))
                vol_remove(g->root, m->source, 1, NULL);
        return r < 0 ? err_prefix(err, "volume '%s'", m->source) : 0;
}

/* ---- config.json ---- */

static json_object *
inspect_entry(struct cli_globals *g, const struct mspec *m)
{
        json_object *o = json_object_new_object();
        int vol = !strcmp(m->type, "volume");
        cleanup_free char *src = vol ? vol_path(g->root, m->source) : NULL;
        const char *mode = m->mode ? m->mode : vol && m->from_v ? "z" : "";
        const char *prop = m->propagation             ? m->propagation
                           : !strcmp(m->type, "bind") ? "rprivate"
                                                      : "";

        jsonx_add_str(o, "Type", m->type);
        if (vol)
                jsonx_add_str(o, "Name", m->source);
        jsonx_add_str(o, "Source", vol ? src : m->source ? m->source : "");
        jsonx_add_str(o, "Destination", m->target);
        if (vol)
                jsonx_add_str(o, "Driver", "local");
        jsonx_add_str(o, "Mode", mode);
        json_object_object_add(o, "RW", json_object_new_boolean(!m->readonly));
        jsonx_add_str(o, "Propagation", prop);
        return o;
}

static json_object *
api_mount(const struct mspec *m)
{
        json_object *o = json_object_new_object(), *sub;

        jsonx_add_str(o, "Type", m->type);
        jsonx_add_str(o, "Source", m->source ? m->source : "");
        jsonx_add_str(o, "Target", m->target);
        json_object_object_add(o, "ReadOnly", json_object_new_boolean(m->readonly));
        sub = json_object_new_object();
        if (!strcmp(m->type, "bind")) {
                jsonx_add_str(sub, "Propagation", m->propagation ? m->propagation : "rprivate");
                json_object_object_add(o, "BindOptions", sub);
        } else if (!strcmp(m->type, "volume")) {
                json_object_object_add(sub, "NoCopy", json_object_new_boolean(m->nocopy));
                json_object_object_add(o, "VolumeOptions", sub);
        } else {
                jsonx_add_int(sub, "SizeBytes", m->tmpfs_size);
                jsonx_add_int(sub, "Mode", m->tmpfs_mode >= 0 ? m->tmpfs_mode : 01777);
                json_object_object_add(o, "TmpfsOptions", sub);
        }
        return o;
}

static void
record(struct cli_globals *g, const struct mspec *m, json_object *binds, json_object *mounts,
       json_object *view)
{
        if (m->from_v) {
                char *b = xasprintf("%s:%s%s%s", m->source, m->target, m->mode ? ":" : "",
                                    m->mode ? m->mode : "");
                json_object_array_add(binds, json_object_new_string(b));
                free(b);
        } else {
                json_object_array_add(mounts, api_mount(m));
        }
        json_object_array_add(view, inspect_entry(g, m));
}

/* target_check: ms[n] against docker's rules for a destination and the ones before it. */
static int
target_check(struct mspec *ms, size_t n, struct err *err)
{
        if (strcmp(ms[n].target, "/") == 0)
                return err_setf(err, -EINVAL, "invalid mount config: destination can't be '/'");
        for (size_t i = 0; i < n; i++)
                if (!strcmp(ms[i].target, ms[n].target))
                        return err_setf(err, -EINVAL, "Duplicate mount point: %s", ms[n].target);
        return 0;
}

/* parse_all: every -v then every --mount into ms (n entries). */
static int
parse_all(const struct cmd_container_mounts *mo, struct mspec *ms, size_t *n, struct err *err)
{
        cleanup_free char *cwd = NULL;
        int r = path_getcwd(&cwd, err);

        strv_foreach(v, mo->volumes) {
                if (r < 0)
                        break;
                r = parse_v(cwd, v, &ms[*n], err);
                if (r == 0)
                        r = target_check(ms, *n, err);
                (*n)++;
        }
        strv_foreach(s, mo->mounts) {
                if (r < 0)
                        break;
                r = parse_mount(s, &ms[*n], err);
                if (r == 0)
                        r = target_check(ms, *n, err);
                (*n)++;
        }
        strv_foreach(s, mo->inherited) {
                struct err dup = { 0 };

                if (r < 0)
                        break;
                r = parse_mount(s, &ms[*n], err);
                (*n)++;
                if (r == 0 && target_check(ms, *n - 1, &dup) < 0) {
                        /* ours takes that destination */
                        (*n)--;
                        mspec_release(&ms[*n]);
                        memset(&ms[*n], 0, sizeof(ms[*n]));
                }
        }
        return r;
}

static int
add_mounts(struct cli_globals *g, const struct cmd_container_mounts *mo, json_object *cfg,
           json_object *hc, struct err *err)
{
        size_t total = strv_length(mo->volumes) + strv_length(mo->mounts) +
                       strv_length(mo->inherited), n = 0;
        json_object *binds = json_object_new_array(), *mounts = json_object_new_array();
        json_object *view = json_object_new_array();
        cleanup_strv char **lowers = jsonx_to_strv(jsonx_get(cfg, "LowerDirs"));
        struct mspec *ms;
        int r = 0;

        json_object_object_add(hc, "Binds", binds);
        json_object_object_add(hc, "Mounts", mounts);
        json_object_object_add(cfg, "Mounts", view);
        if (total > MOUNT_LIST_MAX)
                return err_setf(err, -E2BIG, "more than %d mounts", MOUNT_LIST_MAX);
        ms = xcalloc(total + 1, sizeof(*ms));
        r = parse_all(mo, ms, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++) {
                if (!strcmp(ms[i].type, "volume"))
                        r = make_volume(g, &ms[i], lowers, err);
                if (r == 0)
                        record(g, &ms[i], binds, mounts, view);
        }
        for (size_t i = 0; i < n; i++)
                mspec_release(&ms[i]);
        free(ms);
        return r;
}

/* ---- devices, groups, DNS ---- */

static int
perms_valid(const char *s)
{
        return *s && strlen(s) <= 3 && strspn(s, "rwm") == strlen(s);
}

static int
parse_device(const char *spec, json_object *devs, struct err *err)
{
        cleanup_strv char **p = strv_split(spec, ":");
        size_t n = strv_length(p);
        const char *host = n ? p[0] : "", *ctr = NULL, *perms = "rwm";
        json_object *o;
        struct stat sb;

        if (n == 0 || n > 3)
                return err_setf(err, -EINVAL, "invalid device specification: %s", spec);
        if (n == 2 && perms_valid(p[1])) {
                perms = p[1]; /* HOST:PERMS */
        } else if (n >= 2) {
                ctr = p[1];
                perms = n == 3 ? p[2] : perms;
        }
        if (!perms_valid(perms))
                return err_setf(err, -EINVAL, "invalid device mode: %s", perms);
        if (host[0] != '/' || (ctr && ctr[0] != '/'))
                return err_setf(err, -EINVAL,
                                "invalid device specification: %s: paths must be "
                                "absolute",
                                spec);
        if (stat(host, &sb) < 0 || !(S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)))
                return err_setf(err, -ENOENT,
                                "error gathering device information while adding "
                                "custom device \"%s\": not a device node",
                                host);
        o = json_object_new_object();
        jsonx_add_str(o, "PathOnHost", host);
        jsonx_add_str(o, "PathInContainer", ctr ? ctr : host);
        jsonx_add_str(o, "CgroupPermissions", perms);
        json_object_array_add(devs, o);
        return 0;
}

static int
add_dns(const struct cmd_container_mounts *mo, json_object *hc, struct err *err)
{
        strv_foreach(d, mo->dns) {
                unsigned char buf[16];
                if (inet_pton(AF_INET, d, buf) != 1 && inet_pton(AF_INET6, d, buf) != 1)
                        return err_setf(err, -EINVAL, "invalid --dns '%s': not an ip address", d);
        }
        json_object_object_add(hc, "Dns", jsonx_strv(mo->dns));
        json_object_object_add(hc, "DnsSearch", jsonx_strv(mo->dns_search));
        json_object_object_add(hc, "DnsOptions", jsonx_strv(mo->dns_options));
        return 0;
}

int
cmd_container_mounts(struct cli_globals *g, const struct cmd_container_mounts *mo, json_object *cfg,
                     json_object *hc, struct err *err)
{
        json_object *devs = json_object_new_array();
        int r;

        json_object_object_add(hc, "Devices", devs);
        json_object_object_add(hc, "GroupAdd", jsonx_strv(mo->group_add));
        if (strv_length(mo->devices) > MOUNT_LIST_MAX)
                return err_setf(err, -E2BIG, "more than %d devices", MOUNT_LIST_MAX);
        strv_foreach(d, mo->devices) {
                r = parse_device(d, devs, err);
                if (r < 0)
                        return r;
        }
        r = add_dns(mo, hc, err);
        if (r == 0)
                r = add_mounts(g, mo, cfg, hc, err);
        return r;
}
