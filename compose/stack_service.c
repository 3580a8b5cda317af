/* stack_service: a compose service (canonical model, spec/) as a `container create` command
 * line plus the config.json keys that no docker run flag expresses.
 *
 * Going through the docker run flags keeps one parser and one set of checks for both ways of
 * making a container; compose's own additions (exec-form healthchecks, entrypoint lists) go
 * into the extra object. Each service key is either translated, or known to change nothing
 * here (build, depends_on, profiles, …), or refused/warned about: never silently ignored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "compose/stack.h"
#include "engine/jsonx.h"

/* keys that need no flag: handled by the orchestration itself or pure metadata */
static const char *const handled_elsewhere[] = {
        "build", "depends_on", "profiles", "pull_policy", "scale", "env_file", "label_file",
        "expose", "annotations", "image", "develop", "attach", "platform", NULL,
};

/* keys compose passes to docker that berth's engine has no equivalent for: a warning */
static const char *const warned[] = {
        "domainname", "mac_address", "cgroup_parent", "cgroup", "ipc", "pid", "uts",
        "userns_mode", "storage_opt", "blkio_config", "cpu_shares", "cpu_quota", "cpu_period",
        "cpu_rt_runtime", "cpu_rt_period", "cpuset", "cpu_count", "cpu_percent",
        "mem_reservation", "memswap_limit", "mem_swappiness", "oom_kill_disable",
        "oom_score_adj", "links", "external_links", "isolation", "runtime", "gpus",
        "device_cgroup_rules", "credential_spec", "post_start", "pre_stop",
        "use_api_socket", "models", "provider", NULL,
};

struct args {
        char **argv;
        json_object *extra;
        const struct stack *s;
        const struct stack_service *svc;
};

static void
add(struct args *a, const char *flag, const char *v)
{
        strv_add(&a->argv, flag);
        if (v)
                strv_add(&a->argv, v);
}

static void
addf(struct args *a, const char *flag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
addf(struct args *a, const char *flag, const char *fmt, ...)
{
        va_list ap;
        char *v;

        va_start(ap, fmt);
        v = xvasprintf(fmt, ap);
        va_end(ap);
        add(a, flag, v);
        free(v);
}

int
stack_duration_ns(const char *s, int64_t *ret, struct err *err)
{
        /* longest first, so that "ms" is not read as "m" */
        static const struct { const char *u; double ns; } units[] = {
                { "ms", 1e6 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ns", 1 },
                { "h", 3600e9 }, { "m", 60e9 }, { "s", 1e9 },
        };
        const char *p = s;
        double total = 0;

        if (!s || !*s)
                return err_setf(err, -EINVAL, "invalid duration ''");
        if (strcmp(s, "0") == 0)
                p = "";
        while (*p) {
                char *end;
                double v = strtod(p, &end);
                size_t k, n = sizeof(units) / sizeof(units[0]);
                if (end == p || !(v >= 0) || *p == '+' || *p == '-')
                        return err_setf(err, -EINVAL, "invalid duration '%s'", s);
                for (k = 0; k < n; k++)
                        if (strncmp(end, units[k].u, strlen(units[k].u)) == 0)
                                break;
                if (k == n)
                        return err_setf(err, -EINVAL, "invalid duration '%s': a unit is missing", s);
                total += v * units[k].ns;
                p = end + strlen(units[k].u);
        }
        if (total > 9.2e18)
                return err_setf(err, -ERANGE, "duration '%s' is too long", s);
        *ret = (int64_t)total;
        return 0;
}

static void
warn(const struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
warn(const struct args *a, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        log_warn(&a->s->g->log, "service %s: %s", a->svc->name, msg);
        free(msg);
}

/* ---- simple keys ------------------------------------------------------------------------ */

static void
add_scalars(struct args *a, const struct node *n)
{
        static const struct { const char *key, *flag; } map[] = {
                { "container_name", "--name" }, { "hostname", "--hostname" },
                { "working_dir", "-w" },        { "user", "-u" },
                { "stop_signal", "--stop-signal" }, { "mem_limit", "--memory" },
                { "cpus", "--cpus" },           { "pids_limit", "--pids-limit" },
                { "shm_size", "--shm-size" },   { "restart", "--restart" },
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                const char *v = node_map_str(n, map[i].key);
                if (v)
                        add(a, map[i].flag, v);
        }
}

static int
add_bools(struct args *a, const struct node *n, struct err *err)
{
        static const struct { const char *key, *flag; } map[] = {
                { "init", "--init" }, { "read_only", "--read-only" },
                { "privileged", "--privileged" }, { "tty", "-t" }, { "stdin_open", "-i" },
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                struct node *v = node_map_get(n, map[i].key);
                bool b = false;
                if (v && node_get_bool(v, &b, err) < 0)
                        return err->code;
                if (b)
                        add(a, map[i].flag, NULL);
        }
        return 0;
}

static void
add_lists(struct args *a, const struct node *n)
{
        static const struct { const char *key, *flag; } map[] = {
                { "cap_add", "--cap-add" }, { "cap_drop", "--cap-drop" },
                { "security_opt", "--security-opt" }, { "tmpfs", "--tmpfs" },
                { "dns", "--dns" }, { "dns_search", "--dns-search" },
                { "dns_opt", "--dns-option" }, { "group_add", "--group-add" },
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                struct node *v = node_map_get(n, map[i].key);
                if (v && v->kind == NODE_SEQ) {
                        node_foreach_item(it, v)
                                if (node_text(it))
                                        add(a, map[i].flag, node_text(it));
                } else if (v && node_text(v)) {
                        add(a, map[i].flag, node_text(v));
                }
        }
}

static void
add_maps(struct args *a, const struct node *n)
{
        struct node *m;

        if ((m = node_map_get(n, "environment")) && m->kind == NODE_MAP)
                node_foreach_entry(e, m)
                        if (node_text(e->val) || e->val->kind != NODE_NULL)
                                addf(a, "-e", "%s=%s", e->key,
                                     node_text(e->val) ? node_text(e->val) : "");
        if ((m = node_map_get(n, "labels")) && m->kind == NODE_MAP)
                node_foreach_entry(e, m)
                        addf(a, "--label", "%s=%s", e->key,
                             node_text(e->val) ? node_text(e->val) : "");
        if ((m = node_map_get(n, "sysctls")) && m->kind == NODE_MAP)
                node_foreach_entry(e, m)
                        addf(a, "--sysctl", "%s=%s", e->key,
                             node_text(e->val) ? node_text(e->val) : "");
        if ((m = node_map_get(n, "ulimits")) && m->kind == NODE_MAP)
                node_foreach_entry(e, m) {
                        if (e->val->kind == NODE_MAP)
                                addf(a, "--ulimit", "%s=%s:%s", e->key,
                                     node_map_str(e->val, "soft"), node_map_str(e->val, "hard"));
                        else if (node_text(e->val))
                                addf(a, "--ulimit", "%s=%s", e->key, node_text(e->val));
                }
        if ((m = node_map_get(n, "extra_hosts")) && m->kind == NODE_SEQ)
                node_foreach_item(it, m) {
                        const char *t = node_text(it);
                        const char *eq = t ? strchr(t, '=') : NULL;
                        if (eq)
                                addf(a, "--add-host", "%.*s:%s", (int)(eq - t), t, eq + 1);
                        else if (t)
                                add(a, "--add-host", t);
                }
}

/* ---- stop, deploy, logging ------------------------------------------------------------- */

static int
add_stop(struct args *a, const struct node *n, struct err *err)
{
        const char *grace = node_map_str(n, "stop_grace_period");
        int64_t ns;

        if (!grace)
                return 0;
        if (stack_duration_ns(grace, &ns, err) < 0)
                return err_prefix(err, "service %s: stop_grace_period", a->svc->name);
        addf(a, "--stop-timeout", "%lld", (long long)((ns + 999999999) / 1000000000));
        return 0;
}

static void
add_deploy(struct args *a, const struct node *n)
{
        struct node *d = node_map_get(n, "deploy");
        struct node *lim = d ? node_map_get(node_map_get(d, "resources"), "limits") : NULL;
        struct node *rp = d ? node_map_get(d, "restart_policy") : NULL;
        const char *v;

        if (lim && (v = node_map_str(lim, "memory")) && !node_map_get(n, "mem_limit"))
                add(a, "--memory", v);
        if (lim && (v = node_map_str(lim, "cpus")) && !node_map_get(n, "cpus"))
                add(a, "--cpus", v);
        if (lim && (v = node_map_str(lim, "pids")) && !node_map_get(n, "pids_limit"))
                add(a, "--pids-limit", v);
        if (rp && !node_map_get(n, "restart")) {
                const char *cond = node_map_str(rp, "condition");
                const char *max = node_map_str(rp, "max_attempts");
                if (!cond || strcmp(cond, "any") == 0)
                        add(a, "--restart", "always");
                else if (strcmp(cond, "on-failure") == 0)
                        addf(a, "--restart", "on-failure%s%s", max ? ":" : "", max ? max : "");
                else
                        add(a, "--restart", "no");
        }
}

/* add_logging: logging.driver json-file, local or none and its options max-size and max-file
 * become --log-driver/--log-opt (compose/container_log.c); another driver or option gets a
 * warning, and the log is json-file with what was understood */
static void
add_logging(struct args *a, const struct node *n)
{
        const struct node *lg = node_map_get(n, "logging"), *opts = node_map_get(lg, "options");
        const char *driver = node_map_str(lg, "driver");

        if (driver && strcmp(driver, "json-file") && strcmp(driver, "local") && strcmp(driver, "none")) {
                warn(a, "logging driver '%s' is not supported; logs go to json-file", driver);
                driver = NULL;
        }
        if (driver)
                add(a, "--log-driver", driver);
        if (!opts || opts->kind != NODE_MAP)
                return;
        node_foreach_entry(e, opts) {
                const char *v = node_text(e->val);

                if (driver && !strcmp(driver, "none"))
                        warn(a, "logging option '%s' has no effect with the driver none", e->key);
                else if ((!strcmp(e->key, "max-size") || !strcmp(e->key, "max-file")) && v)
                        addf(a, "--log-opt", "%s=%s", e->key, v);
                else
                        warn(a, "logging option '%s' is not supported", e->key);
        }
}

static int
add_devices(struct args *a, const struct node *n)
{
        struct node *d = node_map_get(n, "devices");

        if (!d || d->kind != NODE_SEQ)
                return 0;
        node_foreach_item(it, d) {
                const char *src = node_map_str(it, "source");
                const char *dst = node_map_str(it, "target");
                const char *perm = node_map_str(it, "permissions");
                if (it->kind != NODE_MAP && node_text(it)) {
                        add(a, "--device", node_text(it));
                        continue;
                }
                addf(a, "--device", "%s:%s%s%s", src ? src : "", dst ? dst : src ? src : "",
                     perm ? ":" : "", perm ? perm : "");
        }
        return 0;
}

/* ---- command, healthcheck -------------------------------------------------------------- */

static void
add_entrypoint(struct args *a, const struct node *n)
{
        struct node *ep = node_map_get(n, "entrypoint");

        if (!ep || ep->kind == NODE_NULL)
                return;
        /* the whole command line goes as arguments after an empty entrypoint; the record keeps
         * compose's Entrypoint */
        add(a, "--entrypoint", "");
        json_object_object_add(a->extra, "Entrypoint", json_object_new_array());
        if (ep->kind == NODE_SEQ)
                node_foreach_item(it, ep)
                        json_object_array_add(json_object_object_get(a->extra, "Entrypoint"),
                                              json_object_new_string(node_text(it) ? node_text(it) : ""));
}

static void
add_command(struct args *a, const struct node *n)
{
        struct node *ep = node_map_get(n, "entrypoint");
        struct node *cmd = node_map_get(n, "command");

        if (ep && ep->kind == NODE_SEQ)
                node_foreach_item(it, ep)
                        strv_add(&a->argv, node_text(it) ? node_text(it) : "");
        if (cmd && cmd->kind == NODE_SEQ)
                node_foreach_item(it, cmd)
                        strv_add(&a->argv, node_text(it) ? node_text(it) : "");
}

static int
health_ns(json_object *h, const char *key, const struct node *hc, const char *k, struct err *err)
{
        const char *v = node_map_str(hc, k);
        int64_t ns;

        if (!v)
                return 0;
        if (stack_duration_ns(v, &ns, err) < 0)
                return err_prefix(err, "healthcheck %s", k);
        json_object_object_add(h, key, json_object_new_int64(ns));
        return 0;
}

static int
add_health(struct args *a, const struct node *n, struct err *err)
{
        struct node *hc = node_map_get(n, "healthcheck");
        struct node *test = hc ? node_map_get(hc, "test") : NULL;
        json_object *h, *t;
        bool disable = false;
        const char *retries;
        int r = 0;

        if (!hc || hc->kind != NODE_MAP)
                return 0;
        if (node_map_get(hc, "disable") && node_get_bool(node_map_get(hc, "disable"), &disable, err) < 0)
                return err->code;
        if (disable) {
                add(a, "--no-healthcheck", NULL);
                return 0;
        }
        h = json_object_new_object();
        json_object_object_add(a->extra, "Healthcheck", h);
        if (test && test->kind == NODE_SEQ) {
                t = json_object_new_array();
                node_foreach_item(it, test)
                        json_object_array_add(t, json_object_new_string(node_text(it) ? node_text(it) : ""));
                json_object_object_add(h, "Test", t);
        } else if (test && node_text(test)) {
                t = json_object_new_array();
                json_object_array_add(t, json_object_new_string("CMD-SHELL"));
                json_object_array_add(t, json_object_new_string(node_text(test)));
                json_object_object_add(h, "Test", t);
        }
        r = health_ns(h, "Interval", hc, "interval", err);
        if (r == 0)
                r = health_ns(h, "Timeout", hc, "timeout", err);
        if (r == 0)
                r = health_ns(h, "StartPeriod", hc, "start_period", err);
        if (r == 0)
                r = health_ns(h, "StartInterval", hc, "start_interval", err);
        if (r == 0 && (retries = node_map_str(hc, "retries")))
                json_object_object_add(h, "Retries", json_object_new_int64(strtoll(retries, NULL, 10)));
        return r;
}

/* ---- ports, networks --------------------------------------------------------------------- */

static void
add_ports(struct args *a, const struct node *n)
{
        struct node *ports = node_map_get(n, "ports");

        if (!ports || ports->kind != NODE_SEQ)
                return;
        node_foreach_item(it, ports) {
                const char *ip = node_map_str(it, "host_ip");
                const char *pub = node_map_str(it, "published");
                const char *target = node_map_str(it, "target");
                const char *proto = node_map_str(it, "protocol");
                if (!target)
                        continue;
                addf(a, "-p", "%s%s%s%s%s/%s", ip ? ip : "", ip ? ":" : "", pub ? pub : "",
                     pub || ip ? ":" : "", target, proto ? proto : "tcp");
        }
}

static const char *
network_name(const struct stack *s, const char *key)
{
        struct node *nets = node_map_get(s->p->model, "networks");
        struct node *net = nets ? node_map_get(nets, key) : NULL;
        const char *name = net ? node_map_str(net, "name") : NULL;

        return name ? name : key;
}

/* network_mode: none, host, bridge, container:X, service:NAME (the first container of
 * that service, which compose makes a dependency, so it runs by now). */
static int
add_network_mode(struct args *a, const struct node *n, const char *mode, struct err *err)
{
        if (strcmp(mode, "none") == 0 || strcmp(mode, "host") == 0 || strcmp(mode, "bridge") == 0 ||
            strcmp(mode, "default") == 0) {
                add(a, "--network", strcmp(mode, "default") == 0 ? "bridge" : mode);
                return 0;
        }
        if (strncmp(mode, "container:", 10) == 0 && mode[10]) {
                add(a, "--network", mode);
                return 0;
        }
        if (strncmp(mode, "service:", 8) == 0 && mode[8]) {
                ssize_t i = stack_service_find(a->s, mode + 8);
                cleanup_free char *name = NULL;
                if (i < 0)
                        return node_errf(err, node_map_get(n, "network_mode"), -ENOENT,
                                         "service %s: network_mode '%s': no such service",
                                         a->svc->name, mode);
                name = stack_ctr_name(a->s, &a->s->svcs[i], 1);
                addf(a, "--network", "container:%s", name);
                return 0;
        }
        return node_errf(err, node_map_get(n, "network_mode"), -ENOTSUP,
                         "service %s: network_mode '%s' is not supported", a->svc->name, mode);
}

static long long
priority_of(const struct node_entry *e)
{
        const char *p = e->val && e->val->kind == NODE_MAP ? node_map_str(e->val, "priority") : NULL;

        return p ? strtoll(p, NULL, 10) : 0;
}

/* by_priority: compose attaches the highest priority first, then by name; the first
 * network gives the default route and the published ports. */
static int
by_priority(const void *x, const void *y)
{
        const struct node_entry *a = *(const struct node_entry *const *)x;
        const struct node_entry *b = *(const struct node_entry *const *)y;
        long long pa = priority_of(a), pb = priority_of(b);

        return pa != pb ? (pa < pb) - (pa > pb) : strcmp(a->key, b->key);
}

/* one_network: --network name=NET,alias=SVC[,alias=A…][,ip=IP] (docker's advanced form). */
static int
one_network(struct args *a, const struct node_entry *e, struct err *err)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;
        struct node *aliases = e->val && e->val->kind == NODE_MAP ? node_map_get(e->val, "aliases") : NULL;
        const char *ip = e->val && e->val->kind == NODE_MAP ? node_map_str(e->val, "ipv4_address") : NULL;

        sbuf_addf(&sb, "name=%s,alias=%s", network_name(a->s, e->key), a->svc->name);
        if (aliases && aliases->kind == NODE_SEQ)
                node_foreach_item(it, aliases)
                        if (node_text(it))
                                sbuf_addf(&sb, ",alias=%s", node_text(it));
        if (ip)
                sbuf_addf(&sb, ",ip=%s", ip);
        /* the flag's value is comma-separated: a comma inside a name cannot be said in it */
        if (aliases && aliases->kind == NODE_SEQ)
                node_foreach_item(it, aliases)
                        if (node_text(it) && strchr(node_text(it), ','))
                                return node_errf(err, it, -EINVAL, "service %s: invalid network "
                                                 "alias '%s'", a->svc->name, node_text(it));
        add(a, "--network", sb.buf);
        return 0;
}

static int
add_network(struct args *a, const struct node *n, struct err *err)
{
        const char *mode = node_map_str(n, "network_mode");
        struct node *nets = node_map_get(n, "networks");
        cleanup_free const struct node_entry **order = NULL;
        int r = 0;

        if (mode)
                return add_network_mode(a, n, mode, err);
        if (!nets || nets->kind != NODE_MAP || nets->n == 0) {
                add(a, "--network", "none");
                return 0;
        }
        order = xcalloc(nets->n, sizeof(*order));
        for (size_t i = 0; i < nets->n; i++)
                order[i] = &nets->entries[i];
        qsort(order, nets->n, sizeof(*order), by_priority);
        for (size_t i = 0; i < nets->n && r == 0; i++)
                r = one_network(a, order[i], err);
        return r;
}

/* ---- volumes, secrets, configs ------------------------------------------------------------ */

static const char *
volume_name(const struct stack *s, const char *key)
{
        struct node *vols = node_map_get(s->p->model, "volumes");
        struct node *v = vols ? node_map_get(vols, key) : NULL;
        const char *name = v ? node_map_str(v, "name") : NULL;

        return name ? name : key;
}

static int
add_bind(struct args *a, const struct node *v, const char *src, const char *dst, bool ro,
         struct err *err)
{
        struct node *bind = node_map_get(v, "bind");
        struct node *create = bind ? node_map_get(bind, "create_host_path") : NULL;
        bool mk = true;
        int r;

        if (create && node_get_bool(create, &mk, err) < 0)
                return err->code;
        if (bind && (node_map_get(bind, "propagation") || node_map_get(bind, "selinux") ||
                     node_map_get(bind, "recursive")))
                return node_errf(err, bind, -ENOTSUP, "service %s: bind propagation, selinux "
                                 "and recursive options are not supported yet", a->svc->name);
        if (!fs_exists(src)) {
                /* compose creates a missing bind source for the short syntax */
                if (!mk)
                        return node_errf(err, v, -ENOENT, "service %s: bind source '%s' does "
                                         "not exist", a->svc->name, src);
                r = fs_mkdir_p(src, 0755, err);
                if (r < 0)
                        return r;
        }
        addf(a, "-v", "%s:%s%s", src, dst, ro ? ":ro" : "");
        return 0;
}

static int
add_volume(struct args *a, const struct node *v, struct err *err)
{
        const char *type = node_map_str(v, "type");
        const char *src = node_map_str(v, "source");
        const char *dst = node_map_str(v, "target");
        struct node *ron = node_map_get(v, "read_only");
        struct node *vol = node_map_get(v, "volume");
        bool ro = false, nocopy = false;

        if (!dst)
                return node_errf(err, v, -EINVAL, "service %s: a volume needs a target",
                                 a->svc->name);
        if (ron && node_get_bool(ron, &ro, err) < 0)
                return err->code;
        if (vol && node_map_get(vol, "nocopy"))
                node_get_bool(node_map_get(vol, "nocopy"), &nocopy, err);
        if (vol && node_map_get(vol, "subpath"))
                return node_errf(err, vol, -ENOTSUP, "service %s: volume subpath is not "
                                 "supported yet", a->svc->name);
        if (!type || strcmp(type, "volume") == 0) {
                if (!src)
                        add(a, "-v", dst);
                else
                        addf(a, "-v", "%s:%s%s%s", volume_name(a->s, src), dst,
                             ro || nocopy ? ":" : "",
                             ro && nocopy ? "ro,nocopy" : ro ? "ro" : nocopy ? "nocopy" : "");
                return 0;
        }
        if (strcmp(type, "bind") == 0 && src)
                return add_bind(a, v, src, dst, ro, err);
        if (strcmp(type, "tmpfs") == 0) {
                const char *size = node_map_str(node_map_get(v, "tmpfs"), "size");
                addf(a, "--tmpfs", "%s%s%s", dst, size ? ":size=" : "", size ? size : "");
                return 0;
        }
        return node_errf(err, v, -ENOTSUP, "service %s: volume type '%s' is not supported",
                         a->svc->name, type);
}

static int
add_volumes(struct args *a, const struct node *n, struct err *err)
{
        struct node *vols = node_map_get(n, "volumes");

        if (!vols || vols->kind != NODE_SEQ)
                return 0;
        node_foreach_item(it, vols) {
                int r = add_volume(a, it, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* file_of: the host file behind a secret or config: its `file:`, or its `content:` /
 * `environment:` written under <root>/compose/<project>/<kind>/<name>. */
static int
file_of(struct args *a, const char *kind, const char *name, char **ret, struct err *err)
{
        struct node *top = node_map_get(node_map_get(a->s->p->model, kind), name);
        const char *file = top ? node_map_str(top, "file") : NULL;
        const char *envname = top ? node_map_str(top, "environment") : NULL;
        const char *content = top ? node_map_str(top, "content") : NULL;
        cleanup_free char *dir = NULL;
        int r;

        if (!top)
                return err_setf(err, -ENOENT, "service %s: %s '%s' is not declared",
                                a->svc->name, kind, name);
        if (file) {
                *ret = xstrdup(file);
                return 0;
        }
        if (envname)
                content = env_get(&a->s->p->env, envname);
        if (!content)
                return err_setf(err, -ENOTSUP, "service %s: %s '%s': only file, environment "
                                "and content sources are supported", a->svc->name, kind, name);
        dir = xasprintf("%s/compose/%s/%s", a->s->g->root, a->s->name, kind);
        r = fs_mkdir_p(dir, 0700, err);
        *ret = xasprintf("%s/%s", dir, name);
        if (r == 0)
                r = fs_write_atomic(*ret, content, strlen(content), 0444, err);
        return r;
}

static int
add_files(struct args *a, const struct node *n, const char *kind, const char *base,
          struct err *err)
{
        struct node *list = node_map_get(n, kind);

        if (!list || list->kind != NODE_SEQ)
                return 0;
        node_foreach_item(it, list) {
                const char *src = it->kind == NODE_MAP ? node_map_str(it, "source") : node_text(it);
                const char *target = it->kind == NODE_MAP ? node_map_str(it, "target") : NULL;
                cleanup_free char *file = NULL;
                cleanup_free char *dst = NULL;
                int r;
                if (!src)
                        continue;
                r = file_of(a, kind, src, &file, err);
                if (r < 0)
                        return r;
                if (!target)
                        dst = xasprintf("%s/%s", base, src);
                else
                        dst = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", base, target);
                addf(a, "-v", "%s:%s:ro", file, dst);
        }
        return 0;
}

/* ---- labels and the whole ------------------------------------------------------------------ */

static void
add_compose_labels(struct args *a, int number)
{
        const struct stack *s = a->s;
        cleanup_free char *files = strv_join(s->p->config_files, ",");
        cleanup_free char *deps = NULL;
        char **dv = NULL;

        for (size_t i = 0; i < a->svc->n_deps; i++) {
                static const char *const cond[] = { "service_started", "service_healthy",
                                                    "service_completed_successfully" };
                const struct stack_dep *d = &a->svc->deps[i];
                char *one = xasprintf("%s:%s:%s", s->svcs[d->svc].name, cond[d->cond],
                                      d->restart ? "true" : "false");
                strv_push(&dv, one);
        }
        deps = strv_join(dv, ",");
        strv_free(dv);
        addf(a, "--label", STACK_LABEL_PROJECT "=%s", s->name);
        addf(a, "--label", STACK_LABEL_SERVICE "=%s", a->svc->name);
        addf(a, "--label", STACK_LABEL_NUMBER "=%d", number);
        addf(a, "--label", STACK_LABEL_ONEOFF "=%s", number ? "False" : "True");
        addf(a, "--label", STACK_LABEL_HASH "=%s", a->svc->hash);
        addf(a, "--label", STACK_LABEL_WORKDIR "=%s", s->p->workdir);
        addf(a, "--label", STACK_LABEL_FILES "=%s", files ? files : "");
        addf(a, "--label", STACK_LABEL_DEPENDS "=%s", deps ? deps : "");
        addf(a, "--label", STACK_LABEL_VERSION "=%s", cli_version());
}

static bool
known_key(const char *k)
{
        static const char *const translated[] = {
                "container_name", "hostname", "working_dir", "user", "stop_signal", "mem_limit",
                "cpus", "pids_limit", "shm_size", "restart", "init", "read_only", "privileged",
                "cap_add", "cap_drop", "security_opt", "tmpfs", "dns", "dns_search", "dns_opt",
                "group_add", "environment", "labels", "sysctls", "ulimits", "extra_hosts",
                "stop_grace_period", "deploy", "logging", "devices", "entrypoint", "command",
                "tty", "stdin_open",
                "healthcheck", "ports", "networks", "network_mode", "volumes", "volumes_from",
                "secrets", "configs", NULL,
        };
        return strv_contains((char *const *)translated, k) ||
               strv_contains((char *const *)handled_elsewhere, k) || strncmp(k, "x-", 2) == 0;
}

static void
warn_unknown(struct args *a, const struct node *n)
{
        node_foreach_entry(e, n) {
                if (known_key(e->key))
                        continue;
                if (strv_contains((char *const *)warned, e->key))
                        warn(a, "'%s' is not supported by berth's engine and is ignored", e->key);
                else
                        warn(a, "'%s' is not known to berth and is ignored", e->key);
        }
}

/* add_volumes_from: volumes_from entries SERVICE[:ro|:rw] (that service's first container,
 * which the graph creates first: stack.c flatten) or container:NAME[:ro|:rw] */
static int
add_volumes_from(struct args *a, const struct node *n, struct err *err)
{
        const struct node *vf = node_map_get(n, "volumes_from");

        if (!vf || vf->kind != NODE_SEQ)
                return 0;
        node_foreach_item(it, vf) {
                const char *t = node_text(it);
                cleanup_free char *svc = NULL, *name = NULL;
                const char *mode;
                ssize_t i;

                if (!t)
                        continue;
                if (strncmp(t, "container:", 10) == 0) {
                        add(a, "--volumes-from", t + 10);
                        continue;
                }
                svc = xstrndup(t, strcspn(t, ":"));
                mode = t[strlen(svc)] == ':' ? t + strlen(svc) : "";
                i = stack_service_find(a->s, svc);
                if (i < 0)
                        return node_errf(err, it, -ENOENT, "service %s: volumes_from '%s': no "
                                         "such service", a->svc->name, t);
                name = stack_ctr_name(a->s, &a->s->svcs[i], 1);
                addf(a, "--volumes-from", "%s%s", name, mode);
        }
        return 0;
}

static int
translate(struct args *a, const struct node *n, struct err *err)
{
        int r;

        add_scalars(a, n);
        add_lists(a, n);
        add_maps(a, n);
        add_deploy(a, n);
        add_logging(a, n);
        add_ports(a, n);
        add_entrypoint(a, n);
        r = add_bools(a, n, err);
        if (r == 0)
                r = add_stop(a, n, err);
        if (r == 0)
                r = add_devices(a, n);
        if (r == 0)
                r = add_health(a, n, err);
        if (r == 0)
                r = add_network(a, n, err);
        if (r == 0)
                r = add_volumes(a, n, err);
        if (r == 0)
                r = add_volumes_from(a, n, err);
        if (r == 0)
                r = add_files(a, n, "secrets", "/run/secrets", err);
        if (r == 0)
                r = add_files(a, n, "configs", "", err);
        return r;
}

static void
add_run_command(struct args *a, const struct node *n, const struct stack_run_over *ov)
{
        struct node *ep = node_map_get(n, "entrypoint");

        if (ov->has_entrypoint) {
                if (ov->entrypoint[0])
                        strv_add(&a->argv, ov->entrypoint);
        } else if (ep && ep->kind == NODE_SEQ) {
                node_foreach_item(it, ep)
                        strv_add(&a->argv, node_text(it) ? node_text(it) : "");
        }
        if (ov->command) {
                strv_foreach(c, ov->command)
                        strv_add(&a->argv, c);
        } else if ((ep = node_map_get(n, "command")) && ep->kind == NODE_SEQ) {
                node_foreach_item(it, ep)
                        strv_add(&a->argv, node_text(it) ? node_text(it) : "");
        }
}

/* drop_ports: a one-off container publishes nothing unless --service-ports. */
static void
drop_ports(char **argv)
{
        size_t w = 0;

        for (size_t i = 0; argv[i]; i++) {
                if (strcmp(argv[i], "-p") == 0 && argv[i + 1]) {
                        free(argv[i]);
                        free(argv[++i]);
                        continue;
                }
                argv[w++] = argv[i];
        }
        argv[w] = NULL;
}

int
stack_service_args(const struct stack *s, const struct stack_service *svc, int number,
                   const struct stack_run_over *ov, char ***ret_argv, json_object **ret_extra,
                   struct err *err)
{
        struct args a = { .s = s, .svc = svc, .extra = json_object_new_object() };
        bool custom = ov && (ov->command || ov->has_entrypoint);
        int r;

        strv_add(&a.argv, "create");
        if (ov && ov->name) {
                add(&a, "--name", ov->name);
        } else if (!node_map_get(svc->node, "container_name")) {
                cleanup_free char *name = stack_ctr_name(s, svc, number);
                add(&a, "--name", name);
        }
        warn_unknown(&a, svc->node);
        add_compose_labels(&a, number);
        r = translate(&a, svc->node, err);
        if (r < 0) {
                strv_free(a.argv);
                json_object_put(a.extra);
                return r;
        }
        if (ov && ov->name)
                for (size_t i = 0; a.argv[i]; i++)
                        if (strcmp(a.argv[i], "--name") == 0 && a.argv[i + 1] &&
                            strcmp(a.argv[i + 1], ov->name) != 0) {
                                free(a.argv[i + 1]);
                                a.argv[i + 1] = xstrdup(ov->name); /* over container_name */
                        }
        if (ov && !ov->service_ports)
                drop_ports(a.argv);
        if (ov && ov->has_entrypoint) {
                json_object_object_del(a.extra, "Entrypoint");
                if (!node_map_get(svc->node, "entrypoint"))
                        add(&a, "--entrypoint", ""); /* the arguments are the whole command */
        }
        strv_foreach(f, ov ? ov->flags : NULL)
                strv_add(&a.argv, f);
        strv_add(&a.argv, svc->image);
        if (custom)
                add_run_command(&a, svc->node, ov);
        else
                add_command(&a, svc->node);
        *ret_argv = a.argv;
        *ret_extra = a.extra;
        return 0;
}
