/* monitor_config: a container's config.json (container.c) as the runtime's struct rt_config.
 *
 * HostConfig keys read: Init, ReadonlyRootfs, NetworkMode (none|host), ExtraHosts, CapAdd,
 * CapDrop, Privileged, Seccomp (null|"unconfined"|file), NoNewPrivileges, Memory, NanoCpus,
 * PidsLimit, ShmSize, Sysctls ["k=v"], Binds ["src:dst[:opts]"], Tmpfs ["dst[:opts]"],
 * Ulimits [{"Name","Soft","Hard"}]. A container on a berth network also has network.json
 * (engine/container.h): its veth is attached by the runtime's net_hook. The strings stay owned by the json object and the pool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/resource.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/monitor_int.h"
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

static void
add_mount(struct mon_cfg *m, enum rt_mount_type type, const char *spec)
{
        char **parts = strv_split(spec, ":");
        size_t n = strv_length(parts);
        struct rt_mount *mt;

        m->mounts = xreallocarray(m->mounts, m->n_mounts + 1, sizeof(*m->mounts));
        mt = &m->mounts[m->n_mounts++];
        memset(mt, 0, sizeof(*mt));
        mt->type = type;
        if (type == RT_MOUNT_BIND) {
                mt->source = n > 0 ? parts[0] : "";
                mt->target = n > 1 ? parts[1] : "";
                mt->options = n > 2 ? parts[2] : NULL;
        } else {
                mt->target = n > 0 ? parts[0] : "";
                mt->options = n > 1 ? parts[1] : NULL;
        }
        m->pool = xreallocarray(m->pool, m->n_pool + 1, sizeof(*m->pool));
        m->pool[m->n_pool++] = parts;
}

static void
add_mounts(struct mon_cfg *m, json_object *hc)
{
        char **binds = mon_strv(hc, "Binds");
        char **tmpfs = mon_strv(hc, "Tmpfs");

        strv_foreach(b, binds)
                add_mount(m, RT_MOUNT_BIND, b);
        strv_foreach(t, tmpfs)
                add_mount(m, RT_MOUNT_TMPFS, t);
        strv_free(binds);
        strv_free(tmpfs);
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

/* net_hook: the container's eth0 on the network's bridge (runs before the command does). */
static int
net_hook(void *ctx, pid_t pid, struct err *err)
{
        struct mon_cfg *m = ctx;
        char ns[64];
        struct net_endpoint_config ec = { 0 };
        uint32_t ip = 0, gw = 0;
        int64_t len = jsonx_int(m->net, "PrefixLen", 0);
        const char *ips = jsonx_str(m->net, "IPAddress"), *gws = jsonx_str(m->net, "Gateway");
        int r;

        if (!ips || !gws || len < 1 || len > 32)
                return err_setf(err, -EINVAL, "container network record is incomplete");
        r = net_ip4_parse(ips, &ip, err);
        if (r == 0)
                r = net_ip4_parse(gws, &gw, err);
        if (r < 0)
                return r;
        snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)pid);
        ec.bridge = jsonx_str(m->net, "Bridge");
        ec.host_ifname = jsonx_str(m->net, "HostIf");
        ec.netns_path = ns;
        ec.netns_fd = -1;
        ec.ifname = "eth0";
        ec.addr = (struct net_prefix){ ip, (uint8_t)len };
        ec.gateway = gw;
        if (!ec.bridge || !ec.host_ifname)
                return err_setf(err, -EINVAL, "container network record is incomplete");
        return net_endpoint_attach(&ec, err);
}

/* set_net: a berth network from network.json: a new netns, its veth made by net_hook, the
 * container's address in /etc/hosts and the network's DNS responder in resolv.conf. */
static int
set_net(struct mon_cfg *m, const struct ctr *c, struct err *err)
{
        const char *gw;
        int r = ctr_net_read(c, &m->net, err);

        if (r < 0 || !m->net)
                return r;
        gw = jsonx_str(m->net, "Gateway");
        m->rt.net = RT_NET_NONE;
        m->rt.net_hook = net_hook;
        m->rt.net_hook_ctx = m;
        m->rt.ip = jsonx_str(m->net, "IPAddress");
        if (m->rt.ip && c->name && *c->name) {
                /* /etc/hosts also carries the container's own name */
                cleanup_free char *h = xasprintf("%s:%s", c->name, m->rt.ip);
                strv_add(&m->hosts, h);
                m->rt.extra_hosts = m->hosts;
        }
        if (gw) {
                strv_add(&m->dns, gw);
                m->rt.dns = m->dns;
        }
        return 0;
}

int
mon_cfg_build(struct mon_cfg *m, const struct ctr *c, const char *root, struct err *err)
{
        json_object *hc = get(c->config, "HostConfig");
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
        add_mounts(m, hc);
        m->rt.mounts = m->mounts;
        m->rt.n_mounts = m->n_mounts;
        r = add_ulimits(m, hc, err);
        m->rt.ulimits = m->ulimits;
        m->rt.n_ulimits = m->n_ulimits;
        if (r == 0)
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
        json_object_put(m->net);
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
