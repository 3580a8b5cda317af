/* monitor_config: a container's config.json (container.c) as the runtime's struct rt_config.
 *
 * HostConfig keys read: Init, ReadonlyRootfs, NetworkMode (none|host|container:ID),
 * ExtraHosts, CapAdd, CapDrop, Privileged, Seccomp (null|"unconfined"|file), NoNewPrivileges,
 * Memory, NanoCpus, PidsLimit, ShmSize, Sysctls ["k=v"], Binds ["src:dst[:opts]"] (src a host
 * path or a volume name), Mounts (docker's API mounts; a volume's Source is its name), Tmpfs
 * ["dst[:opts]"], Ulimits [{"Name","Soft","Hard"}], Devices, GroupAdd, Dns, DnsSearch,
 * DnsOptions. Volumes are resolved here, at every start (engine/volume.h). A container on
 * berth networks also has network.json (engine/container.h): its veths are attached by the
 * runtime's net_hook. The strings stay owned by the json object and the pool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/resource.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/monitor_int.h"
#include "engine/volume.h"
#include "net/net.h"

static json_object *
get(json_object *o, const char *key)
{
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

const char *
mon_str(json_object *o, const char *key)
{
        json_object *v = get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t
mon_int(json_object *o, const char *key)
{
        json_object *v = get(o, key);

        return v ? json_object_get_int64(v) : 0;
}

char **
mon_strv(json_object *o, const char *key)
{
        json_object *v = get(o, key);
        char **out = NULL;

        if (!v || !json_object_is_type(v, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(v, i));
                strv_add(&out, s ? s : "");
        }
        return out;
}

static int
ulimit_resource(const char *name)
{
        static const struct {
                const char *n;
                int r;
        } t[] = {
                { "core", RLIMIT_CORE },       { "cpu", RLIMIT_CPU },
                { "data", RLIMIT_DATA },       { "fsize", RLIMIT_FSIZE },
                { "locks", RLIMIT_LOCKS },     { "memlock", RLIMIT_MEMLOCK },
                { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
                { "nofile", RLIMIT_NOFILE },   { "nproc", RLIMIT_NPROC },
                { "rss", RLIMIT_RSS },         { "rtprio", RLIMIT_RTPRIO },
                { "rttime", RLIMIT_RTTIME },   { "sigpending", RLIMIT_SIGPENDING },
                { "stack", RLIMIT_STACK },     { "as", RLIMIT_AS },
        };

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if (strcmp(t[i].n, name) == 0)
                        return t[i].r;
        return -1;
}

int
mon_ulimit_resource(const char *name)
{
        return ulimit_resource(name);
}

/* keep: the pool owns s from now on (the mounts point into it). */
static const char *
keep(struct mon_cfg *m, char *s)
{
        char **v = NULL;

        strv_push(&v, s);
        m->pool = xreallocarray(m->pool, m->n_pool + 1, sizeof(*m->pool));
        m->pool[m->n_pool++] = v;
        return s;
}

/* keep_strv: the same for a split spec. */
static char **
keep_strv(struct mon_cfg *m, char **v)
{
        m->pool = xreallocarray(m->pool, m->n_pool + 1, sizeof(*m->pool));
        m->pool[m->n_pool++] = v;
        return v;
}

static struct rt_mount *
new_mount(struct mon_cfg *m, enum rt_mount_type type)
{
        struct rt_mount *mt;

        m->mounts = xreallocarray(m->mounts, m->n_mounts + 1, sizeof(*m->mounts));
        mt = &m->mounts[m->n_mounts++];
        memset(mt, 0, sizeof(*mt));
        mt->type = type;
        return mt;
}

/* add_volume: volume name at target; user options (ro, nocopy, …) after the volume's own. */
static int
add_volume(struct mon_cfg *m, const char *root, const char *name, const char *target,
           const char *opts, struct err *err)
{
        struct vol_source vs = { 0 };
        struct rt_mount *mt;
        int r = vol_source(root, name ? name : "", &vs, err);

        if (r < 0)
                return err_prefix(err, "mount volume '%s' at '%s'", name ? name : "", target);
        mt = new_mount(m, vs.tmpfs ? RT_MOUNT_TMPFS : RT_MOUNT_BIND);
        mt->target = target;
        mt->source = vs.path ? keep(m, TAKE_PTR(vs.path)) : NULL;
        if (vs.options && opts && *opts)
                mt->options = keep(m, xasprintf("%s,%s", vs.options, opts));
        else if (vs.options || (opts && *opts))
                mt->options = keep(m, xstrdup(vs.options ? vs.options : opts));
        vol_source_release(&vs);
        return 0;
}

static int
add_bind(struct mon_cfg *m, const char *root, const char *spec, struct err *err)
{
        char **parts = keep_strv(m, strv_split(spec, ":"));
        size_t n = strv_length(parts);
        struct rt_mount *mt;

        if (n >= 2 && parts[0][0] != '/')
                return add_volume(m, root, parts[0], parts[1], n > 2 ? parts[2] : NULL, err);
        mt = new_mount(m, RT_MOUNT_BIND);
        mt->source = n > 0 ? parts[0] : "";
        mt->target = n > 1 ? parts[1] : "";
        mt->options = n > 2 ? parts[2] : NULL;
        return 0;
}

static void
add_tmpfs(struct mon_cfg *m, const char *spec)
{
        char **parts = keep_strv(m, strv_split(spec, ":"));
        size_t n = strv_length(parts);
        struct rt_mount *mt = new_mount(m, RT_MOUNT_TMPFS);

        mt->target = n > 0 ? parts[0] : "";
        mt->options = n > 1 ? parts[1] : NULL;
}

static const char *
tmpfs_options(struct mon_cfg *m, const char *ro, json_object *t)
{
        int64_t size = jsonx_int(t, "SizeBytes", 0);
        unsigned long long mode = (unsigned long long)jsonx_int(t, "Mode", 01777);

        if (size > 0)
                return keep(m, xasprintf("%s,size=%lld,mode=%llo", ro, (long long)size, mode));
        return keep(m, xasprintf("%s,mode=%llo", ro, mode));
}

/* add_api_mount: one of HostConfig.Mounts (written by cmd_container_mounts.c). */
static int
add_api_mount(struct mon_cfg *m, const char *root, json_object *o, struct err *err)
{
        const char *type = jsonx_str(o, "Type"), *src = jsonx_str(o, "Source");
        const char *target = jsonx_str(o, "Target");
        const char *ro = jsonx_bool(o, "ReadOnly") ? "ro" : "rw";
        const char *prop = jsonx_str(jsonx_get(o, "BindOptions"), "Propagation");
        struct rt_mount *mt;

        if (!type || !target)
                return err_setf(err, -EINVAL, "container config: a mount without Type or Target");
        if (!strcmp(type, "volume"))
                return add_volume(m, root, src, target, ro, err);
        if (strcmp(type, "bind") && strcmp(type, "tmpfs"))
                return err_setf(err, -EINVAL, "container config: mount type '%s'", type);
        mt = new_mount(m, !strcmp(type, "bind") ? RT_MOUNT_BIND : RT_MOUNT_TMPFS);
        mt->target = target;
        if (mt->type == RT_MOUNT_TMPFS) {
                mt->options = tmpfs_options(m, ro, jsonx_get(o, "TmpfsOptions"));
                return 0;
        }
        mt->source = src;
        mt->options = keep(m, xasprintf("%s%s%s", ro, prop ? "," : "", prop ? prop : ""));
        return 0;
}

static int
add_mounts(struct mon_cfg *m, const char *root, json_object *hc, struct err *err)
{
        cleanup_strv char **binds = mon_strv(hc, "Binds");
        cleanup_strv char **tmpfs = mon_strv(hc, "Tmpfs");
        json_object *api = jsonx_get_type(hc, "Mounts", json_type_array);
        int r = 0;

        strv_foreach(b, binds)
                if (r == 0)
                        r = add_bind(m, root, b, err);
        for (size_t i = 0; r == 0 && api && i < json_object_array_length(api); i++)
                r = add_api_mount(m, root, json_object_array_get_idx(api, i), err);
        strv_foreach(t, tmpfs)
                add_tmpfs(m, t);
        return r;
}

/* add_devices: HostConfig.Devices [{"PathOnHost","PathInContainer","CgroupPermissions"}],
 * GroupAdd and the DNS lists. */
static void
add_devices(struct mon_cfg *m, json_object *hc)
{
        json_object *d = jsonx_get_type(hc, "Devices", json_type_array);
        size_t n = d ? json_object_array_length(d) : 0;

        m->devices = n ? xcalloc(n, sizeof(*m->devices)) : NULL;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(d, i);

                m->devices[m->n_devices++] = (struct rt_device){
                        .host_path = jsonx_str(e, "PathOnHost"),
                        .path = jsonx_str(e, "PathInContainer"),
                        .access = jsonx_str(e, "CgroupPermissions"),
                };
        }
        m->rt.devices = m->devices;
        m->rt.n_devices = m->n_devices;
        m->group_add = mon_strv(hc, "GroupAdd");
        m->dns = mon_strv(hc, "Dns");
        m->dns_search = mon_strv(hc, "DnsSearch");
        m->dns_options = mon_strv(hc, "DnsOptions");
        m->rt.group_add = m->group_add;
        m->rt.dns = m->dns;
        m->rt.dns_search = m->dns_search;
        m->rt.dns_options = m->dns_options;
}

static int
add_ulimits(struct mon_cfg *m, json_object *hc, struct err *err)
{
        json_object *ul = get(hc, "Ulimits");
        size_t n = ul && json_object_is_type(ul, json_type_array) ? json_object_array_length(ul) : 0;

        m->ulimits = n ? xcalloc(n, sizeof(*m->ulimits)) : NULL;
        for (size_t i = 0; i < n; i++) {
                json_object *u = json_object_array_get_idx(ul, i);
                const char *name = mon_str(u, "Name");
                int res = name ? ulimit_resource(name) : -1;
                int64_t soft = mon_int(u, "Soft"), hard = mon_int(u, "Hard");

                if (res < 0)
                        return err_setf(err, -EINVAL, "unknown ulimit '%s'", name ? name : "");
                m->ulimits[i].resource = res;
                m->ulimits[i].soft = soft < 0 ? RT_ULIMIT_UNLIMITED : (uint64_t)soft;
                m->ulimits[i].hard = hard < 0 ? RT_ULIMIT_UNLIMITED : (uint64_t)hard;
                m->n_ulimits++;
        }
        return 0;
}

static void
set_process(struct mon_cfg *m, json_object *cfg)
{
        const char *path = mon_str(cfg, "Path");
        char **args = mon_strv(cfg, "Args");

        strv_add(&m->argv, path ? path : "");
        strv_foreach(a, args)
                strv_add(&m->argv, a);
        strv_free(args);
        /* docker's daemon environment: TERM=xterm with a tty, before the container's own */
        if (mon_int(cfg, "Tty"))
                strv_add(&m->env, "TERM=xterm");
        {
                char **env = mon_strv(cfg, "Env");

                strv_foreach(e, env)
                        strv_add(&m->env, e);
                strv_free(env);
        }
        m->lowers = mon_strv(cfg, "LowerDirs");
        m->rt.argv = m->argv;
        m->rt.env = m->env;
        m->rt.lowerdirs = m->lowers;
        m->rt.cwd = mon_str(cfg, "WorkingDir");
        m->rt.user = mon_str(cfg, "User");
        m->rt.hostname = mon_str(cfg, "Hostname");
        m->rt.tty = mon_int(cfg, "Tty") != 0;
}

static void
set_host(struct mon_cfg *m, json_object *hc)
{
        const char *net = mon_str(hc, "NetworkMode");

        m->rt.net = net && strcmp(net, "host") == 0 ? RT_NET_HOST : RT_NET_NONE;
        m->rt.init = mon_int(hc, "Init") != 0;
        m->rt.readonly_rootfs = mon_int(hc, "ReadonlyRootfs") != 0;
        m->rt.privileged = mon_int(hc, "Privileged") != 0;
        m->rt.no_new_privileges = mon_int(hc, "NoNewPrivileges") != 0;
        m->rt.seccomp = mon_str(hc, "Seccomp");
        m->rt.memory = mon_int(hc, "Memory");
        m->rt.nano_cpus = mon_int(hc, "NanoCpus");
        m->rt.pids_limit = mon_int(hc, "PidsLimit");
        m->rt.shm_size = (uint64_t)mon_int(hc, "ShmSize");
        m->hosts = mon_strv(hc, "ExtraHosts");
        m->cap_add = mon_strv(hc, "CapAdd");
        m->cap_drop = mon_strv(hc, "CapDrop");
        m->sysctls = mon_strv(hc, "Sysctls");
        m->rt.extra_hosts = m->hosts;
        m->rt.cap_add = m->cap_add;
        m->rt.cap_drop = m->cap_drop;
        m->rt.sysctls = m->sysctls;
}

/* net_hook: the container's eth0, eth1, … on their networks' bridges, in the record's order,
 * the default route via the first (runs before the command does). */
static int
net_hook(void *ctx, pid_t pid, struct err *err)
{
        struct mon_cfg *m = ctx;
        json_object *eps = ctr_net_endpoints(m->net);
        char ns[64];
        int r = 0;

        snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)pid);
        for (size_t i = 0; r == 0 && i < json_object_array_length(eps); i++) {
                char ifname[16];

                snprintf(ifname, sizeof(ifname), "eth%u", (unsigned)i);
                r = ctr_net_attach(json_object_array_get_idx(eps, i), ns, ifname, i == 0, err);
        }
        return r;
}

/* use_endpoints: /etc/hosts and resolv.conf for a container with the endpoints eps: name ->
 * the first address, and the responder of the first network that has one (not the default
 * bridge) before the --dns servers, as docker uses its embedded DNS as soon as a container is
 * on a user-defined network. */
static void
use_endpoints(struct mon_cfg *m, const char *name, json_object *eps)
{
        json_object *first = json_object_array_get_idx(eps, 0);
        const char *ip = jsonx_str(first, "IPAddress");

        m->rt.ip = ip;
        if (ip && name && *name) {
                cleanup_free char *h = xasprintf("%s:%s", name, ip);
                strv_add(&m->hosts, h);
                m->rt.extra_hosts = m->hosts;
        }
        for (size_t i = 0; i < json_object_array_length(eps); i++) {
                json_object *ep = json_object_array_get_idx(eps, i);
                const char *gw = jsonx_str(ep, "Gateway");
                char **dns = NULL;

                if (!gw || !jsonx_bool(ep, "Dns"))
                        continue;
                strv_add(&dns, gw);
                strv_foreach(d, m->dns)
                        strv_add(&dns, d);
                strv_free(m->dns);
                m->dns = dns;
                m->rt.dns = m->dns;
                return;
        }
}

/* set_net: berth networks from network.json: a new netns, its veths made by net_hook, the
 * container's first address in /etc/hosts and a network's DNS responder in resolv.conf. */
static int
set_net(struct mon_cfg *m, const struct ctr *c, struct err *err)
{
        json_object *eps;
        int r = ctr_net_read(c, &m->net, err);

        if (r < 0 || !m->net)
                return r;
        eps = ctr_net_endpoints(m->net);
        m->rt.net = RT_NET_NONE;
        m->rt.net_hook = net_hook;
        m->rt.net_hook_ctx = m;
        if (json_object_array_length(eps) > 0)
                use_endpoints(m, c->name, eps);
        return 0;
}

/* peer_join: the netns of running peer, and its first endpoint for /etc/hosts and
 * resolv.conf (its name, as docker shares the joined container's hosts file). */
static int
peer_join(struct mon_cfg *m, const struct ctr *peer, struct err *err)
{
        json_object *st = NULL, *eps;
        int64_t pid = 0;
        int r = ctr_state_read(peer, &st, err);

        if (r == 0)
                pid = jsonx_bool(st, "Running") ? jsonx_int(st, "Pid", 0) : 0;
        json_object_put(st);
        if (r == 0 && pid <= 0)
                r = err_setf(err, -EINVAL, "cannot join network of a non running container: %s",
                             peer->name ? peer->name : peer->id);
        if (r == 0)
                r = ctr_net_read(peer, &m->net, err);
        if (r < 0)
                return r;
        m->rt.net = RT_NET_NETNS;
        m->peer_ns = xasprintf("/proc/%lld/ns/net", (long long)pid);
        m->rt.netns_path = m->peer_ns;
        eps = m->net ? ctr_net_endpoints(m->net) : NULL;
        if (eps && json_object_array_length(eps) > 0)
                use_endpoints(m, peer->name, eps);
        return 0;
}

/* set_peer: --network container:ID: join the netns of that (running) container, and resolve
 * as it does (its first network's responder, its name in /etc/hosts). */
static int
set_peer(struct mon_cfg *m, const struct ctr *c, const char *id, struct err *err)
{
        cleanup_free char *parent = path_dirname(c->dir), *rparent = path_dirname(c->run_dir);
        cleanup_free char *root = path_dirname(parent), *run_root = path_dirname(rparent);
        struct ctr *peer = NULL;
        int r;

        if (strlen(id) != CTR_ID_LEN || strspn(id, "0123456789abcdef") != CTR_ID_LEN)
                return err_setf(err, -EINVAL, "invalid network mode 'container:%s'", id);
        r = ctr_open(root, run_root, id, &peer, err);
        if (r == 0)
                r = peer_join(m, peer, err);
        ctr_free(peer);
        return r;
}

int
mon_cfg_build(struct mon_cfg *m, const struct ctr *c, const char *root, struct err *err)
{
        json_object *hc = get(c->config, "HostConfig");
        const char *net = mon_str(hc, "NetworkMode");
        int r;

        memset(m, 0, sizeof(*m));
        rt_config_init(&m->rt);
        m->upper = ctr_path(c, "upper");
        m->work = ctr_path(c, "work");
        m->cache = xasprintf("%s/cache", root);
        m->rt.id = c->id;
        m->rt.upperdir = m->upper;
        m->rt.workdir = m->work;
        m->rt.cache_dir = m->cache;
        set_process(m, c->config);
        set_host(m, hc);
        add_devices(m, hc);
        r = add_mounts(m, root, hc, err);
        m->rt.mounts = m->mounts;
        m->rt.n_mounts = m->n_mounts;
        if (r == 0)
                r = add_ulimits(m, hc, err);
        m->rt.ulimits = m->ulimits;
        m->rt.n_ulimits = m->n_ulimits;
        if (r == 0 && net && strncmp(net, "container:", 10) == 0)
                r = set_peer(m, c, net + 10, err);
        else if (r == 0)
                r = set_net(m, c, err);
        return r;
}

void
mon_cfg_release(struct mon_cfg *m)
{
        strv_free(m->argv);
        strv_free(m->env);
        strv_free(m->lowers);
        strv_free(m->hosts);
        strv_free(m->cap_add);
        strv_free(m->cap_drop);
        strv_free(m->sysctls);
        strv_free(m->dns);
        strv_free(m->group_add);
        strv_free(m->dns_search);
        strv_free(m->dns_options);
        free(m->devices);
        json_object_put(m->net);
        free(m->peer_ns);
        for (size_t i = 0; i < m->n_pool; i++)
                strv_free(m->pool[i]);
        free(m->pool);
        free(m->mounts);
        free(m->ulimits);
        free(m->upper);
        free(m->work);
        free(m->cache);
        memset(m, 0, sizeof(*m));
}
