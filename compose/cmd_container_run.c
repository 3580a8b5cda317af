/* cmd_container_run: `berth container run|create [OPTIONS] IMAGE [COMMAND] [ARG...]`.
 *
 * The flags are docker run's; each one berth does not have yet is refused with a clear error
 * instead of being ignored. The result is a container record (engine/container.h) whose
 * config.json holds docker-shaped keys (Path, Args, Env, HostConfig, Healthcheck, …) that the
 * monitor turns into a runtime config (engine/monitor_config.c).
 * Sizes (--memory 512m) are docker's RAMInBytes (binary units), durations Go's (1m30s).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "engine/jsonx.h"
#include "engine/monitor.h"
#include "engine/ref.h"
#include "engine/volume.h"

#define ENV_FILE_MAX (1u << 20)

struct run_opts {
        int rm, detach, interactive, tty, init, privileged, readonly, no_health, nnp;
        int has_entrypoint, has_stop_timeout;
        const char *name, *workdir, *user, *entrypoint, *hostname, *restart;
        const char *stop_signal, *seccomp, *health_cmd;
        const char *pull, *platform; /* --pull always|missing|never, --platform (for a pull) */
        const char *log_driver;
        char **log_opts, **volumes_from;
        int64_t stop_timeout, memory, nano_cpus, pids, shm;
        int64_t h_interval, h_timeout, h_start, h_start_int, h_retries;
        char **env, **env_files, **labels, **volumes, **tmpfs, **hosts, **cap_add, **cap_drop;
        char **sysctls, **ulimits;
        struct cmd_container_mounts mnt; /* --mount, --device, --group-add, --dns* */
        struct cmd_container_net net; /* --network, --ip, --network-alias, -p */
};

static void
opts_release(struct run_opts *o)
{
        strv_free(o->env);
        strv_free(o->env_files);
        strv_free(o->log_opts);
        strv_free(o->volumes_from);
        strv_free(o->mnt.inherited);
        strv_free(o->labels);
        strv_free(o->volumes);
        strv_free(o->tmpfs);
        strv_free(o->hosts);
        strv_free(o->cap_add);
        strv_free(o->cap_drop);
        strv_free(o->sysctls);
        strv_free(o->ulimits);
        strv_free(o->mnt.mounts);
        strv_free(o->mnt.devices);
        strv_free(o->mnt.group_add);
        strv_free(o->mnt.dns);
        strv_free(o->mnt.dns_search);
        strv_free(o->mnt.dns_options);
        strv_free(o->net.networks);
        strv_free(o->net.aliases);
        strv_free(o->net.ports);
}

/* parse_bytes: docker's RAMInBytes: "512m", "1g", "100k", "1024", "2gb"; binary units. */
static int
parse_bytes(const char *flag, const char *s, int64_t *ret, struct err *err)
{
        char *end;
        double v;
        int64_t mul = 1;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || v < 0 || !isfinite(v))
                return err_setf(err, -EINVAL, "invalid %s '%s': not a size", flag, s);
        switch (*end | 0x20) {
        case 'k': mul = 1LL << 10; end++; break;
        case 'm': mul = 1LL << 20; end++; break;
        case 'g': mul = 1LL << 30; end++; break;
        case 't': mul = 1LL << 40; end++; break;
        case 'b': end++; break;
        default: break;
        }
        if ((*end | 0x20) == 'b' && mul != 1)
                end++;
        if (*end || v * (double)mul > 9e18)
                return err_setf(err, -EINVAL, "invalid %s '%s': not a size", flag, s);
        *ret = (int64_t)(v * (double)mul);
        return 0;
}

/* parse_duration: Go's time.ParseDuration subset: [0-9.]+(ns|us|ms|s|m|h), repeated. */
static int
parse_duration(const char *flag, const char *s, int64_t *ret_ns, struct err *err)
{
        static const struct {
                const char *u;
                double ns;
        } units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 },
                      { "h", 3600e9 } };
        const char *p = s;
        double total = 0;

        if (strcmp(s, "0") == 0) {
                *ret_ns = 0;
                return 0;
        }
        while (*p) {
                char *end;
                double v = strtod(p, &end);
                size_t best = 0;
                if (end == p || v < 0)
                        break;
                for (size_t i = 0; i < ARRAY_SIZE(units) && !best; i++)
                        if (strncmp(end, units[i].u, strlen(units[i].u)) == 0)
                                best = i + 1;
                if (!best)
                        break;
                total += v * units[best - 1].ns;
                p = end + strlen(units[best - 1].u);
        }
        if (*p || p == s || total > 9e18)
                return err_setf(err, -EINVAL, "invalid %s '%s': not a duration (like 30s, 1m30s)",
                                flag, s);
        *ret_ns = (int64_t)total;
        return 0;
}

static int
parse_int(const char *flag, const char *s, int64_t min, int64_t max, int64_t *ret,
          struct err *err)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return err_setf(err, -EINVAL, "invalid %s '%s'", flag, s);
        *ret = v;
        return 0;
}

enum {
        O_RM = 256, O_NAME, O_ENVFILE, O_ENTRYPOINT, O_LABEL, O_TMPFS, O_READONLY, O_NETWORK,
        O_ADDHOST, O_CAPADD, O_CAPDROP, O_PRIV, O_SECOPT, O_CPUS, O_PIDS, O_ULIMIT, O_SHM,
        O_SYSCTL, O_INIT, O_RESTART, O_STOPSIG, O_STOPTIME, O_HCMD, O_HINT, O_HTIME, O_HRET,
        O_HSTART, O_HSTARTINT, O_NOHEALTH, O_HOSTNAME, O_LATER, O_IP, O_ALIAS, O_PULL, O_PLATFORM,
        O_LOGDRIVER, O_LOGOPT, O_VOLFROM,
        O_MOUNT, O_DEVICE, O_GROUPADD, O_DNS, O_DNSSEARCH, O_DNSOPT,
};

static const struct option run_options[] = {
        { "rm", no_argument, NULL, O_RM },
        { "detach", no_argument, NULL, 'd' },
        { "interactive", no_argument, NULL, 'i' },
        { "tty", no_argument, NULL, 't' },
        { "name", required_argument, NULL, O_NAME },
        { "env", required_argument, NULL, 'e' },
        { "env-file", required_argument, NULL, O_ENVFILE },
        { "workdir", required_argument, NULL, 'w' },
        { "user", required_argument, NULL, 'u' },
        { "entrypoint", required_argument, NULL, O_ENTRYPOINT },
        { "hostname", required_argument, NULL, O_HOSTNAME },
        { "label", required_argument, NULL, 'l' },
        { "volume", required_argument, NULL, 'v' },
        { "tmpfs", required_argument, NULL, O_TMPFS },
        { "read-only", no_argument, NULL, O_READONLY },
        { "network", required_argument, NULL, O_NETWORK },
        { "net", required_argument, NULL, O_NETWORK },
        { "add-host", required_argument, NULL, O_ADDHOST },
        { "cap-add", required_argument, NULL, O_CAPADD },
        { "cap-drop", required_argument, NULL, O_CAPDROP },
        { "privileged", no_argument, NULL, O_PRIV },
        { "security-opt", required_argument, NULL, O_SECOPT },
        { "memory", required_argument, NULL, 'm' },
        { "cpus", required_argument, NULL, O_CPUS },
        { "pids-limit", required_argument, NULL, O_PIDS },
        { "ulimit", required_argument, NULL, O_ULIMIT },
        { "shm-size", required_argument, NULL, O_SHM },
        { "sysctl", required_argument, NULL, O_SYSCTL },
        { "init", no_argument, NULL, O_INIT },
        { "restart", required_argument, NULL, O_RESTART },
        { "stop-signal", required_argument, NULL, O_STOPSIG },
        { "stop-timeout", required_argument, NULL, O_STOPTIME },
        { "health-cmd", required_argument, NULL, O_HCMD },
        { "health-interval", required_argument, NULL, O_HINT },
        { "health-timeout", required_argument, NULL, O_HTIME },
        { "health-retries", required_argument, NULL, O_HRET },
        { "health-start-period", required_argument, NULL, O_HSTART },
        { "health-start-interval", required_argument, NULL, O_HSTARTINT },
        { "no-healthcheck", no_argument, NULL, O_NOHEALTH },
        { "mount", required_argument, NULL, O_MOUNT },
        { "device", required_argument, NULL, O_DEVICE },
        { "group-add", required_argument, NULL, O_GROUPADD },
        { "dns", required_argument, NULL, O_DNS },
        { "dns-search", required_argument, NULL, O_DNSSEARCH },
        { "dns-option", required_argument, NULL, O_DNSOPT },
        { "dns-opt", required_argument, NULL, O_DNSOPT },
        /* docker run flags berth refuses plainly for now */
        { "publish", required_argument, NULL, 'p' },
        { "network-alias", required_argument, NULL, O_ALIAS },
        { "volumes-from", required_argument, NULL, O_VOLFROM },
        { "attach", required_argument, NULL, O_LATER },
        { "platform", required_argument, NULL, O_PLATFORM },
        { "pull", required_argument, NULL, O_PULL },
        { "log-driver", required_argument, NULL, O_LOGDRIVER },
        { "log-opt", required_argument, NULL, O_LOGOPT },
        { "ip", required_argument, NULL, O_IP },
        { 0 },
};

static int
parse_secopt(struct run_opts *o, const char *v, struct err *err)
{
        if (strcmp(v, "no-new-privileges") == 0 || strcmp(v, "no-new-privileges:true") == 0 ||
            strcmp(v, "no-new-privileges=true") == 0) {
                o->nnp = 1;
                return 0;
        }
        if (strcmp(v, "no-new-privileges:false") == 0 || strcmp(v, "no-new-privileges=false") == 0) {
                o->nnp = 0;
                return 0;
        }
        if (strncmp(v, "seccomp=", 8) == 0 || strncmp(v, "seccomp:", 8) == 0) {
                o->seccomp = v + 8;
                return 0;
        }
        return err_setf(err, -ENOTSUP, "--security-opt '%s' is not available yet", v);
}

static int
parse_restart(const char *v, struct err *err)
{
        const char *colon = strchr(v, ':');
        int64_t n;

        if (strcmp(v, "no") == 0 || strcmp(v, "always") == 0 || strcmp(v, "unless-stopped") == 0 ||
            strcmp(v, "on-failure") == 0)
                return 0;
        if (colon && strncmp(v, "on-failure:", 11) == 0)
                return parse_int("--restart", colon + 1, 0, 1000000, &n, err);
        return err_setf(err, -EINVAL,
                        "invalid --restart '%s': want no, always, unless-stopped or on-failure[:N]",
                        v);
}

static int
parse_more(struct run_opts *o, int c, const char *a, struct err *err)
{
        switch (c) {
        case 'm': return parse_bytes("--memory", a, &o->memory, err);
        case O_SHM: return parse_bytes("--shm-size", a, &o->shm, err);
        case O_PIDS: return parse_int("--pids-limit", a, -1, INT64_MAX, &o->pids, err);
        case O_CPUS: {
                char *end;
                double v = strtod(a, &end);
                if (end == a || *end || !(v >= 0) || v > 1e6)
                        return err_setf(err, -EINVAL, "invalid --cpus '%s'", a);
                o->nano_cpus = (int64_t)(v * 1e9);
                return 0;
        }
        case O_STOPTIME:
                o->has_stop_timeout = 1;
                return parse_int("--stop-timeout", a, -1, 86400, &o->stop_timeout, err);
        case O_HINT: return parse_duration("--health-interval", a, &o->h_interval, err);
        case O_HTIME: return parse_duration("--health-timeout", a, &o->h_timeout, err);
        case O_HSTART: return parse_duration("--health-start-period", a, &o->h_start, err);
        case O_HSTARTINT: return parse_duration("--health-start-interval", a, &o->h_start_int, err);
        case O_HRET: return parse_int("--health-retries", a, 0, 1000000, &o->h_retries, err);
        case O_SECOPT: return parse_secopt(o, a, err);
        case O_RESTART: o->restart = a; return parse_restart(a, err);
        case O_NETWORK:
                if (strv_length(o->net.networks) >= CMD_CONTAINER_NETS_MAX)
                        return err_setf(err, -E2BIG, "too many --network values (at most %d)",
                                        CMD_CONTAINER_NETS_MAX);
                strv_add(&o->net.networks, a);
                return 0;
        case O_IP: o->net.ip = a; return 0;
        case O_ALIAS: strv_add(&o->net.aliases, a); return 0;
        case 'p': strv_add(&o->net.ports, a); return 0;
        case 't': o->tty = 1; return 0;
        default: return err_setf(err, -EINVAL, "unknown flag; see 'berth container run --help'");
        }
}

static int
parse_opt(struct run_opts *o, int c, const char *a, struct err *err)
{
        switch (c) {
        case O_RM: o->rm = 1; return 0;
        case 'd': o->detach = 1; return 0;
        case 'i': o->interactive = 1; return 0;
        case O_NAME: o->name = a; return 0;
        case 'e': strv_add(&o->env, a); return 0;
        case O_ENVFILE: strv_add(&o->env_files, a); return 0;
        case 'w': o->workdir = a; return 0;
        case 'u': o->user = a; return 0;
        case O_ENTRYPOINT: o->entrypoint = a; o->has_entrypoint = 1; return 0;
        case O_HOSTNAME: o->hostname = a; return 0;
        case 'l': strv_add(&o->labels, a); return 0;
        case 'v': strv_add(&o->volumes, a); return 0;
        case O_TMPFS: strv_add(&o->tmpfs, a); return 0;
        case O_MOUNT: strv_add(&o->mnt.mounts, a); return 0;
        case O_DEVICE: strv_add(&o->mnt.devices, a); return 0;
        case O_GROUPADD: strv_add(&o->mnt.group_add, a); return 0;
        case O_DNS: strv_add(&o->mnt.dns, a); return 0;
        case O_DNSSEARCH: strv_add(&o->mnt.dns_search, a); return 0;
        case O_DNSOPT: strv_add(&o->mnt.dns_options, a); return 0;
        case O_READONLY: o->readonly = 1; return 0;
        case O_ADDHOST: strv_add(&o->hosts, a); return 0;
        case O_CAPADD: strv_add(&o->cap_add, a); return 0;
        case O_CAPDROP: strv_add(&o->cap_drop, a); return 0;
        case O_PRIV: o->privileged = 1; return 0;
        case O_ULIMIT: strv_add(&o->ulimits, a); return 0;
        case O_SYSCTL: strv_add(&o->sysctls, a); return 0;
        case O_INIT: o->init = 1; return 0;
        case O_STOPSIG: o->stop_signal = a; return 0;
        case O_HCMD: o->health_cmd = a; return 0;
        case O_NOHEALTH: o->no_health = 1; return 0;
        case O_PLATFORM: o->platform = a; return 0;
        case O_LOGDRIVER: o->log_driver = a; return 0;
        case O_LOGOPT: strv_add(&o->log_opts, a); return 0;
        case O_VOLFROM: strv_add(&o->volumes_from, a); return 0;
        case O_PULL:
                if (strcmp(a, "always") && strcmp(a, "missing") && strcmp(a, "never"))
                        return err_setf(err, -EINVAL, "invalid pull option: '%s': must be one of "
                                        "\"always\", \"missing\" or \"never\"", a);
                o->pull = a;
                return 0;
        default: return parse_more(o, c, a, err);
        }
}

static int
parse_args(struct run_opts *o, int argc, char **argv, struct err *err)
{
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+dite:w:u:l:v:m:h:p:", run_options, NULL)) != -1) {
                if (c == '?')
                        return err_setf(err, -EINVAL, "unknown flag '%s'; see 'berth container run'",
                                        argv[optind - 1]);
                if (c == O_LATER)
                        return err_setf(err, -ENOTSUP, "%s is not available yet", argv[optind - 1]);
                if (c == 'h') {
                        o->hostname = optarg;
                        continue;
                }
                r = parse_opt(o, c, optarg, err);
                if (r < 0)
                        return r;
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL, "'container %s' requires at least 1 argument: IMAGE",
                                argv[0]);
        if (o->rm && o->restart && strcmp(o->restart, "no") != 0)
                return err_setf(err, -EINVAL, "conflicting options: --restart and --rm");
        if (o->no_health && o->health_cmd)
                return err_setf(err, -EINVAL, "--no-healthcheck conflicts with --health-* options");
        return optind;
}

/* ---- building config.json ---- */

static json_object *
jstrv(char *const *v)
{
        json_object *a = json_object_new_array();

        strv_foreach(s, v)
                json_object_array_add(a, json_object_new_string(s));
        return a;
}

static void
env_set(char ***env, const char *kv)
{
        size_t klen = strcspn(kv, "=");

        for (char **e = *env; e && *e; e++)
                if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
                        free(*e);
                        *e = xstrdup(kv);
                        return;
                }
        strv_add(env, kv);
}

static void
env_add_user(struct cli_globals *g, char ***env, const char *s)
{
        if (strchr(s, '=')) {
                env_set(env, s);
                return;
        }
        for (char **e = g->environ_; e && *e; e++)
                if (strncmp(*e, s, strlen(s)) == 0 && (*e)[strlen(s)] == '=') {
                        env_set(env, *e);
                        return;
                }
}

static int
read_env_file(struct cli_globals *g, char ***env, const char *path, struct err *err)
{
        cleanup_free char *buf = NULL;
        cleanup_strv char **lines = NULL;
        size_t len;
        int r = fs_read_capped(path, ENV_FILE_MAX, &buf, &len, err);

        if (r < 0)
                return r;
        lines = strv_split(buf, "\n");
        strv_foreach(l, lines) {
                size_t n = strlen(l);
                if (n && l[n - 1] == '\r')
                        l[n - 1] = 0;
                if (l[0] && l[0] != '#')
                        env_add_user(g, env, l);
        }
        return 0;
}

static char **
image_strv(json_object *icfg, const char *key)
{
        json_object *v = NULL;
        char **out = NULL;

        if (!icfg || !json_object_object_get_ex(icfg, key, &v) ||
            !json_object_is_type(v, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(v); i++)
                strv_add(&out, json_object_get_string(json_object_array_get_idx(v, i)));
        return out;
}

static const char *
image_str(json_object *icfg, const char *key)
{
        json_object *v = NULL;

        if (!icfg || !json_object_object_get_ex(icfg, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int
build_command(struct run_opts *o, json_object *icfg, char **args, json_object *cfg,
              struct err *err)
{
        cleanup_strv char **ep = NULL;
        cleanup_strv char **cmd = NULL;
        cleanup_strv char **all = NULL;

        if (o->has_entrypoint) {
                if (o->entrypoint[0])
                        strv_add(&ep, o->entrypoint);
        } else {
                ep = image_strv(icfg, "Entrypoint");
        }
        if (args && args[0])
                cmd = strv_copy(args);
        else if (!o->has_entrypoint)
                cmd = image_strv(icfg, "Cmd");
        all = strv_copy(ep);
        strv_foreach(a, cmd)
                strv_add(&all, a);
        if (!all || !all[0])
                return err_setf(err, -EINVAL, "no command specified");
        json_object_object_add(cfg, "Path", json_object_new_string(all[0]));
        json_object_object_add(cfg, "Args", jstrv(all + 1));
        json_object_object_add(cfg, "Entrypoint", ep ? jstrv(ep) : NULL);
        json_object_object_add(cfg, "Cmd", cmd ? jstrv(cmd) : NULL);
        return 0;
}

static int
build_env(struct cli_globals *g, struct run_opts *o, json_object *icfg, json_object *cfg,
          struct err *err)
{
        cleanup_strv char **env = image_strv(icfg, "Env");
        int r;

        strv_foreach(f, o->env_files) {
                r = read_env_file(g, &env, f, err);
                if (r < 0)
                        return r;
        }
        strv_foreach(e, o->env)
                env_add_user(g, &env, e);
        json_object_object_add(cfg, "Env", jstrv(env));
        return 0;
}

static void
build_labels(struct run_opts *o, json_object *icfg, json_object *cfg)
{
        json_object *labels = json_object_new_object();
        json_object *il = NULL;

        if (icfg && json_object_object_get_ex(icfg, "Labels", &il) &&
            json_object_is_type(il, json_type_object)) {
                json_object_object_foreach(il, k, v)
                        json_object_object_add(labels, k, json_object_get(v));
        }
        strv_foreach(l, o->labels) {
                const char *eq = strchr(l, '=');
                cleanup_free char *k = eq ? xstrndup(l, (size_t)(eq - l)) : xstrdup(l);
                json_object_object_add(labels, k, json_object_new_string(eq ? eq + 1 : ""));
        }
        json_object_object_add(cfg, "Labels", labels);
}

/* inherit_one: one mount of another container's (its inspect view) as a --mount spec;
 * mode "ro"/"rw" (or NULL: as it was) */
static void
inherit_one(struct run_opts *o, json_object *m, const char *mode)
{
        const char *type = jsonx_str(m, "Type"), *dst = jsonx_str(m, "Destination");
        const char *src = type && !strcmp(type, "volume") ? jsonx_str(m, "Name")
                                                           : jsonx_str(m, "Source");
        const char *prop = jsonx_str(m, "Propagation");
        bool ro = mode ? !strcmp(mode, "ro") : !json_object_get_boolean(jsonx_get(m, "RW"));
        cleanup_sbuf struct sbuf sb = SBUF_INIT;

        if (!type || (strcmp(type, "volume") && strcmp(type, "bind")) || !src || !dst)
                return; /* tmpfs mounts are not shared, as with docker */
        sbuf_addf(&sb, "type=%s,src=%s,dst=%s", type, src, dst);
        if (ro)
                sbuf_adds(&sb, ",readonly");
        if (!strcmp(type, "bind") && prop && *prop && strcmp(prop, "rprivate"))
                sbuf_addf(&sb, ",bind-propagation=%s", prop);
        strv_add(&o->mnt.inherited, sb.buf);
}

/* volumes_from: docker's --volumes-from CONTAINER[:ro|:rw]: its volumes and bind mounts at
 * the same destinations (a -v or --mount of ours to one of them wins) */
static int
volumes_from(struct cli_globals *g, struct run_opts *o, struct err *err)
{
        strv_foreach(spec, o->volumes_from) {
                cleanup_free char *ref = xstrdup(spec);
                char *colon = strrchr(ref, ':');
                const char *mode = NULL;
                json_object *ms;
                struct ctr *c = NULL;
                int r;

                if (colon && (!strcmp(colon + 1, "ro") || !strcmp(colon + 1, "rw"))) {
                        *colon = '\0';
                        mode = colon + 1;
                } else if (colon) {
                        return err_setf(err, -EINVAL, "invalid --volumes-from '%s': the mode "
                                        "must be ro or rw", spec);
                }
                r = ctr_open(g->root, g->run_root, ref, &c, err);
                if (r < 0)
                        return err_prefix(err, "--volumes-from");
                ms = jsonx_get_type(c->config, "Mounts", json_type_array);
                for (size_t i = 0; ms && i < json_object_array_length(ms); i++)
                        inherit_one(o, json_object_array_get_idx(ms, i), mode);
                ctr_free(c);
        }
        return 0;
}

static int
add_binds(struct cli_globals *g, struct run_opts *o, json_object *cfg, json_object *hc,
          struct err *err)
{
        int r = volumes_from(g, o, err);

        o->mnt.volumes = o->volumes;
        return r < 0 ? r : cmd_container_mounts(g, &o->mnt, cfg, hc, err);
}

static int
add_ulimits(struct run_opts *o, json_object *hc, struct err *err)
{
        json_object *ul = json_object_new_array();

        json_object_object_add(hc, "Ulimits", ul);
        strv_foreach(u, o->ulimits) {
                const char *eq = strchr(u, '=');
                cleanup_free char *name = eq ? xstrndup(u, (size_t)(eq - u)) : NULL;
                cleanup_strv char **v = eq ? strv_split(eq + 1, ":") : NULL;
                int64_t soft, hard;
                json_object *e;
                if (!name || !v || !v[0] || strv_length(v) > 2 ||
                    parse_int("--ulimit", v[0], -1, INT64_MAX, &soft, err) < 0 ||
                    parse_int("--ulimit", v[1] ? v[1] : v[0], -1, INT64_MAX, &hard, err) < 0)
                        return err_setf(err, -EINVAL, "invalid --ulimit '%s': want NAME=SOFT[:HARD]",
                                        u);
                e = json_object_new_object();
                json_object_object_add(e, "Name", json_object_new_string(name));
                json_object_object_add(e, "Soft", json_object_new_int64(soft));
                json_object_object_add(e, "Hard", json_object_new_int64(hard));
                json_object_array_add(ul, e);
        }
        return 0;
}

/* retry_count: N of an on-failure:N that parse_restart already checked. */
static int
retry_count(const char *s)
{
        long v = strtol(s, NULL, 10);

        return v > 0 && v <= 1000000 ? (int)v : 0;
}

static json_object *
restart_policy(const char *v)
{
        json_object *rp = json_object_new_object();
        const char *colon = v ? strchr(v, ':') : NULL;
        cleanup_free char *name = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v ? v : "no");

        json_object_object_add(rp, "Name", json_object_new_string(name));
        json_object_object_add(rp, "MaximumRetryCount",
                               json_object_new_int(colon ? retry_count(colon + 1) : 0));
        return rp;
}

static int
build_host(struct cli_globals *g, struct run_opts *o, json_object *cfg, struct err *err)
{
        json_object *hc = json_object_new_object();
        cleanup_free char *cwd = NULL, *mode = NULL;
        int r;

        json_object_object_add(cfg, "HostConfig", hc);
        r = cmd_container_net_mode(g, &o->net, &mode, err);
        if (r < 0)
                return r;
        json_object_object_add(hc, "AutoRemove", json_object_new_boolean(o->rm));
        json_object_object_add(hc, "Init", json_object_new_boolean(o->init));
        json_object_object_add(hc, "ReadonlyRootfs", json_object_new_boolean(o->readonly));
        json_object_object_add(hc, "Privileged", json_object_new_boolean(o->privileged));
        json_object_object_add(hc, "NoNewPrivileges", json_object_new_boolean(o->nnp));
        json_object_object_add(hc, "NetworkMode", json_object_new_string(mode));
        json_object_object_add(hc, "Memory", json_object_new_int64(o->memory));
        json_object_object_add(hc, "NanoCpus", json_object_new_int64(o->nano_cpus));
        json_object_object_add(hc, "PidsLimit", json_object_new_int64(o->pids));
        json_object_object_add(hc, "ShmSize", json_object_new_int64(o->shm));
        json_object_object_add(hc, "ExtraHosts", jstrv(o->hosts));
        json_object_object_add(hc, "CapAdd", jstrv(o->cap_add));
        json_object_object_add(hc, "CapDrop", jstrv(o->cap_drop));
        json_object_object_add(hc, "Sysctls", jstrv(o->sysctls));
        json_object_object_add(hc, "Tmpfs", jstrv(o->tmpfs));
        json_object_object_add(hc, "RestartPolicy", restart_policy(o->restart));
        if (o->seccomp && strcmp(o->seccomp, "unconfined") != 0) {
                r = path_getcwd(&cwd, err);
                if (r < 0)
                        return r;
                char *abs = path_abs(cwd, o->seccomp);
                json_object_object_add(hc, "Seccomp", json_object_new_string(abs));
                free(abs);
        } else if (o->seccomp) {
                json_object_object_add(hc, "Seccomp", json_object_new_string("unconfined"));
        }
        r = add_binds(g, o, cfg, hc, err);
        if (r >= 0)
                r = add_ulimits(o, hc, err);
        if (r >= 0)
                r = cmd_container_log_config(o->log_driver, o->log_opts, cfg, hc, err);
        return r;
}

static void
build_health(struct run_opts *o, json_object *icfg, json_object *cfg)
{
        json_object *ih = NULL, *h;

        if (o->no_health) {
                h = json_object_new_object();
                json_object_object_add(h, "Test", jstrv((char *const *)(const char *[]){ "NONE", NULL }));
                json_object_object_add(cfg, "Healthcheck", h);
                return;
        }
        if (icfg && json_object_object_get_ex(icfg, "Healthcheck", &ih) &&
            json_object_is_type(ih, json_type_object))
                h = json_object_get(ih);
        else
                h = json_object_new_object();
        if (o->health_cmd)
                json_object_object_add(h, "Test",
                                       jstrv((char *const *)(const char *[]){ "CMD-SHELL", o->health_cmd, NULL }));
        if (o->h_interval)
                json_object_object_add(h, "Interval", json_object_new_int64(o->h_interval));
        if (o->h_timeout)
                json_object_object_add(h, "Timeout", json_object_new_int64(o->h_timeout));
        if (o->h_start)
                json_object_object_add(h, "StartPeriod", json_object_new_int64(o->h_start));
        if (o->h_start_int)
                json_object_object_add(h, "StartInterval", json_object_new_int64(o->h_start_int));
        if (o->h_retries)
                json_object_object_add(h, "Retries", json_object_new_int64(o->h_retries));
        if (json_object_object_length(h) == 0) {
                json_object_put(h);
                return;
        }
        json_object_object_add(cfg, "Healthcheck", h);
}

static void
build_plain(struct run_opts *o, const char *ref, struct ctr_image *img, json_object *cfg)
{
        const char *wd = o->workdir ? o->workdir : image_str(img->config, "WorkingDir");
        const char *user = o->user ? o->user : image_str(img->config, "User");
        const char *sig = o->stop_signal ? o->stop_signal : image_str(img->config, "StopSignal");

        json_object_object_add(cfg, "Image", json_object_new_string(ref));
        json_object_object_add(cfg, "ImageID", json_object_new_string(img->id));
        json_object_object_add(cfg, "LowerDirs", jstrv(img->lowerdirs));
        json_object_object_add(cfg, "WorkingDir", json_object_new_string(wd && *wd ? wd : "/"));
        json_object_object_add(cfg, "User", json_object_new_string(user ? user : ""));
        if (o->hostname)
                json_object_object_add(cfg, "Hostname", json_object_new_string(o->hostname));
        json_object_object_add(cfg, "StopSignal", json_object_new_string(sig ? sig : "SIGTERM"));
        json_object_object_add(cfg, "StopTimeout",
                               json_object_new_int64(o->has_stop_timeout ? o->stop_timeout : 10));
        json_object_object_add(cfg, "Interactive", json_object_new_boolean(o->interactive));
        json_object_object_add(cfg, "Tty", json_object_new_boolean(o->tty));
}

static int
build_config(struct cli_globals *g, struct run_opts *o, const char *ref, struct ctr_image *img,
             char **args, json_object *cfg, struct err *err)
{
        int r;

        if (o->stop_signal && monitor_parse_signal(o->stop_signal) < 0)
                return err_setf(err, -EINVAL, "invalid --stop-signal '%s'", o->stop_signal);
        build_plain(o, ref, img, cfg);
        r = build_command(o, img->config, args, cfg, err);
        if (r >= 0)
                r = build_env(g, o, img->config, cfg, err);
        if (r < 0)
                return r;
        build_labels(o, img->config, cfg);
        build_health(o, img->config, cfg);
        return build_host(g, o, cfg, err);
}

/* merge_extra: the keys of extra replace those of cfg; objects (HostConfig, Labels) are
 * merged one level deep so that a caller can add to them. */
static void
merge_extra(json_object *cfg, json_object *extra)
{
        if (!extra)
                return;
        json_object_object_foreach(extra, k, v) {
                json_object *have = NULL;
                if (json_object_is_type(v, json_type_object) &&
                    json_object_object_get_ex(cfg, k, &have) &&
                    json_object_is_type(have, json_type_object)) {
                        json_object_object_foreach(v, k2, v2)
                                json_object_object_add(have, k2, json_object_get(v2));
                        continue;
                }
                json_object_object_add(cfg, k, json_object_get(v));
        }
}

/* pullable: a reference a registry can serve (not an image ID or a prefix of one) */
static bool
pullable(const char *image)
{
        struct ref r;

        if (strncmp(image, "sha256:", 7) == 0 || ref_parse(image, &r, NULL) < 0)
                return false;
        ref_release(&r);
        return true;
}

/* ensure_image: the image, pulled first with --pull always, or when missing (docker run's
 * default "missing": "Unable to find image ... locally", then the pull on stderr) */
static int
ensure_image(struct cli_globals *g, const struct run_opts *o, const char *image,
             struct ctr_image *img, struct err *err)
{
        const char *policy = o->pull ? o->pull : "missing";
        int r = 0;

        if (!strcmp(policy, "always") && pullable(image))
                r = cmd_image_pull_for_run(g, image, o->platform, err);
        if (r == 0)
                r = ctr_image_resolve(g->root, image, img, err);
        if (r != -ENOENT || strcmp(policy, "missing") != 0 || !pullable(image))
                return r;
        fprintf(stderr, "Unable to find image '%s' locally\n", image);
        err_clear(err);
        r = cmd_image_pull_for_run(g, image, o->platform, err);
        return r < 0 ? r : ctr_image_resolve(g->root, image, img, err);
}

/* create: parse, resolve the image and write the record. Returns the optind of IMAGE. */
static int
create(struct cli_globals *g, struct run_opts *o, int argc, char **argv, json_object *extra,
       struct ctr **ret, struct err *err)
{
        struct ctr_image img = { 0 };
        json_object *cfg = json_object_new_object();
        int first = parse_args(o, argc, argv, err), r;

        r = first;
        if (r >= 0)
                r = ensure_image(g, o, argv[first], &img, err);
        if (r >= 0)
                r = build_config(g, o, argv[first], &img, argv + first + 1, cfg, err);
        if (r >= 0)
                merge_extra(cfg, extra);
        if (r >= 0)
                r = ctr_create(g->root, g->run_root, o->name, cfg,
                               o->rm ? CTR_CREATE_VOLATILE : 0, ret, err);
        if (r >= 0) {
                /* hold by the container id now that there is one */
                r = ctr_image_hold(g->root, img.id, (*ret)->id, !o->rm, err);
                if (r >= 0)
                        r = cmd_container_net_join(g, *ret, &o->net, err);
                if (r < 0) {
                        ctr_image_unhold(g->root, (*ret)->id);
                        ctr_remove(*ret, &(struct err){ 0 });
                        *ret = ctr_free(*ret);
                }
        }
        if (r < 0) /* the anonymous volumes made for it */
                vol_remove_anonymous(g->root, cfg, &(struct err){ 0 });
        ctr_image_release(&img);
        json_object_put(cfg);
        return r < 0 ? r : first;
}

/* fail: docker run's exit code 125 for an error before the container ran (main prints it). */
static int
fail(int r, struct err *err)
{
        return err_exit_code(err, 125, r);
}

int
cmd_container_create(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct run_opts o = { 0 };
        struct ctr *c = NULL;
        int r = create(g, &o, argc, argv, NULL, &c, err);

        opts_release(&o);
        if (r < 0)
                return fail(r, err);
        printf("%s\n", c->id);
        ctr_free(c);
        return 0;
}

int
cmd_container_run(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct run_opts o = { 0 };
        struct ctr *c = NULL;
        int r = create(g, &o, argc, argv, NULL, &c, err);

        if (r < 0) {
                opts_release(&o);
                return fail(r, err);
        }
        r = cmd_container_spawn(g, c, !o.detach, o.interactive && !o.detach, err);
        if (o.detach && r == 0)
                printf("%s\n", c->id);
        if (err_is_set(err)) /* 125, or the 126/127 of a command that cannot run */
                r = err_exit_code(err, r > 0 ? r : 125, err->code);
        ctr_free(c);
        opts_release(&o);
        return r;
}

int
cmd_container_create_ex(struct cli_globals *g, int argc, char **argv, json_object *extra,
                        struct ctr **ret, struct err *err)
{
        /* compose pulled what its pull_policy asks for before it creates containers */
        struct run_opts o = { .pull = "never" };
        int r = create(g, &o, argc, argv, extra, ret, err);

        opts_release(&o);
        return r < 0 ? r : 0;
}
