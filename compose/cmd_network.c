/* `berth network …`: create, ls, rm, inspect, prune (docker's flags, output and exit codes)
 * over net/ (bridges, IPAM, NAT) and the per-network DNS responder (cmd_network_dns.c).
 *
 * A network's docker-facing record, ROOT/networks/NAME.json, is a JSON object of our own:
 *   {"Name": "...", "Id": "<64 hex>", "Created": "<RFC 3339>", "Driver": "bridge",
 *    "Internal": false, "Options": {"k": "v"}, "Labels": {"k": "v"}}
 * written last on create and removed last on rm: a network exists for the user when that
 * file does. Its addressing lives in the IPAM record (net/ipam.h), its bridge is
 * net_ifname("berth-", Id). Every setup step is idempotent, so a create that crashed half
 * way is finished by a retry or undone by rm; `network rm` removes the IPAM record first
 * (which refuses, under the IPAM lock, while a container holds an address), so no container
 * can join a network that is being torn down.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sha256.h"
#include "base/strv.h"
#include "compose/cli.h"
#include "compose/network_int.h"
#include "engine/container.h"
#include "engine/jsonx.h"
#include "engine/report.h"
#include "net/ipam.h"
#include "net/net.h"

#define META_MAX   (1u << 20) /* bytes of a network's record */
#define KV_MAX     256        /* --label / --opt entries */
#define KV_LEN_MAX 4096       /* bytes of one entry */
#define MTU_OPT    "com.docker.network.driver.mtu"
#define DEFAULT_OPT "com.docker.network.bridge.default_bridge"

struct net_meta {
        json_object *o; /* the record; the fields below borrow from it */
        const char *name, *id, *created, *driver;
        bool internal;
};

static void
meta_release(struct net_meta *m)
{
        json_object_put(m->o);
        *m = (struct net_meta){ 0 };
}

static bool
name_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > IPAM_NAME_MAX ||
            !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                    "QRSTUVWXYZ0123456789",
                    s[0]))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* meta_load: the record of name; -ENOENT ("network X not found", docker's words). */
static int
meta_load(const struct network_paths *p, const char *name, struct net_meta *m, struct err *err)
{
        cleanup_free char *path = NULL, *buf = NULL;
        size_t len;
        int r;

        *m = (struct net_meta){ 0 };
        if (!name_valid(name))
                return err_setf(err, -ENOENT, "network %s not found", name);
        path = xasprintf("%s/%s.json", p->meta_dir, name);
        if (!fs_exists(path))
                return err_setf(err, -ENOENT, "network %s not found", name);
        r = fs_read_capped(path, META_MAX, &buf, &len, err);
        if (r == 0)
                r = jsonx_parse(buf, len, META_MAX, path, &m->o, err);
        if (r < 0)
                return r;
        m->name = jsonx_str(m->o, "Name");
        m->id = jsonx_str(m->o, "Id");
        m->created = jsonx_str(m->o, "Created");
        m->driver = jsonx_str(m->o, "Driver");
        m->internal = jsonx_bool(m->o, "Internal");
        if (!m->name || !m->id || strlen(m->id) != 64 || !m->created || !m->driver) {
                meta_release(m);
                return err_setf(err, -EINVAL, "network record '%s' is damaged", path);
        }
        return 0;
}

/* meta_list: the names of every network, sorted. */
static int
meta_list(const struct network_paths *p, char ***ret, struct err *err)
{
        cleanup_strv char **v = NULL;
        struct dirent *de;
        DIR *d = opendir(p->meta_dir);

        *ret = NULL;
        if (!d && errno == ENOENT)
                return 0;
        if (!d)
                return err_setf(err, -errno, "read '%s': %s", p->meta_dir, strerror(errno));
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);

                if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0)
                        strv_push(&v, xstrndup(de->d_name, n - 5));
        }
        closedir(d);
        strv_sort(v);
        *ret = TAKE_PTR(v);
        return 0;
}

int
network_list(const struct cli_globals *g, char ***ret, struct err *err)
{
        struct network_paths p = { 0 };
        int r;

        network_paths_init(g, &p);
        r = meta_list(&p, ret, err);
        network_paths_release(&p);
        return r;
}

static int
add_kv(json_object *obj, const char *what, const char *kv, struct err *err)
{
        const char *eq = strchr(kv, '=');
        cleanup_free char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);

        if (strlen(kv) > KV_LEN_MAX || json_object_object_length(obj) >= KV_MAX)
                return err_setf(err, -E2BIG, "too many or too long %s values", what);
        if (!k[0])
                return err_setf(err, -EINVAL, "invalid %s '%s': the key is empty", what, kv);
        json_object_object_add(obj, k, json_object_new_string(eq ? eq + 1 : ""));
        return 0;
}

/* ---- create ---------------------------------------------------------------------------- */

#define create_opts network_create_opts

static void
create_opts_release(struct create_opts *o)
{
        strv_free(o->aux);
        json_object_put(o->labels);
        json_object_put(o->options);
}

static int
once(const char **slot, const char *flag, struct err *err)
{
        if (*slot)
                return err_setf(err, -EOPNOTSUPP,
                                "network create: only one %s is supported (IPv4, one subnet)",
                                flag);
        *slot = optarg;
        return 0;
}

static int
create_opt(struct create_opts *o, int c, struct err *err)
{
        switch (c) {
        case 'd':
                o->driver = optarg;
                return 0;
        case 'S':
                return once(&o->subnet, "--subnet", err);
        case 'G':
                return once(&o->gateway, "--gateway", err);
        case 'R':
                return once(&o->ip_range, "--ip-range", err);
        case 'A':
                if (strv_length(o->aux) >= IPAM_AUX_MAX)
                        return err_setf(err, -E2BIG, "network create: too many --aux-address");
                strv_add(&o->aux, optarg);
                return 0;
        case 'I':
                o->internal = true;
                return 0;
        case 'l':
                return add_kv(o->labels, "--label", optarg, err);
        case 'o':
                return add_kv(o->options, "--opt", optarg, err);
        case '6':
                return err_setf(err, -EOPNOTSUPP,
                                "network create: IPv6 is not supported by berth yet (IPv4 only)");
        case 'a':
        case 'i':
                return 0; /* --attachable, --ipam-driver default: nothing to do here */
        default:
                return err_setf(err, -EINVAL,
                                "network create: invalid flag; see 'berth network "
                                "create --help'");
        }
}

static int
create_parse(int argc, char **argv, struct create_opts *o, struct err *err)
{
        static const struct option opts[] = {
                { "driver", required_argument, NULL, 'd' },
                { "subnet", required_argument, NULL, 'S' },
                { "gateway", required_argument, NULL, 'G' },
                { "ip-range", required_argument, NULL, 'R' },
                { "aux-address", required_argument, NULL, 'A' },
                { "internal", no_argument, NULL, 'I' },
                { "label", required_argument, NULL, 'l' },
                { "opt", required_argument, NULL, 'o' },
                { "ipv6", no_argument, NULL, '6' },
                { "attachable", no_argument, NULL, 'a' },
                { 0 },
        };
        int c, r;

        o->labels = json_object_new_object();
        o->options = json_object_new_object();
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+d:o:", opts, NULL)) != -1)
                if ((r = create_opt(o, c, err)) < 0)
                        return r;
        if (argc - optind != 1)
                return err_setf(err, -EINVAL,
                                "\"berth network create\" requires exactly 1 "
                                "argument; see 'berth network create --help'");
        if (o->driver && strcmp(o->driver, "bridge") != 0)
                return err_setf(err, -EOPNOTSUPP,
                                "network create: driver '%s' is not supported (only 'bridge')",
                                o->driver);
        return 0;
}

static int
mtu_of(json_object *options, unsigned *ret, struct err *err)
{
        const char *s = jsonx_str(options, MTU_OPT);
        char *end;
        long v;

        *ret = 0;
        if (!s)
                return 0;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 68 || v > 65535)
                return err_setf(err, -EINVAL, "invalid %s '%s': want 68..65535", MTU_OPT, s);
        *ret = (unsigned)v;
        return 0;
}

static void
new_id(char out[65])
{
        uint8_t b[32];

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                sha256_buf(&ts, sizeof(ts), b);
        }
        sha256_hex(b, out);
}

/* is_default_bridge: the default network ("bridge"): no DNS responder, as docker0 has none. */
static bool
is_default_bridge(const struct net_meta *m)
{
        const char *v = jsonx_str(jsonx_get(m->o, "Options"), DEFAULT_OPT);

        return v && strcmp(v, "true") == 0;
}

/* net_up: the bridge, its NAT and its DNS responder for a recorded network (idempotent). */
static int
net_up(const struct cli_globals *g, const struct network_paths *p, const struct net_meta *m,
       const struct ipam_network *n, struct err *err)
{
        char br[NET_IFNAMSIZ];
        struct net_bridge_config bc = { br, { n->gateway, n->subnet.len }, 0 };
        struct net_nat nat = { p->nat_dir, p->table };
        struct net_nat_network nn = { m->name, br, n->subnet, n->gateway, m->internal, false };
        int r = mtu_of(jsonx_get(m->o, "Options"), &bc.mtu, err);

        net_ifname("berth-", m->id, br);
        /* a bridge that is there was made, and its rules applied, by an earlier net_up (a
         * reboot or a crash takes the bridge too): no nft run when nothing changed */
        nn.lazy = r == 0 && net_link_exists(br, NULL) == 1;
        if (r == 0)
                r = net_bridge_ensure(&bc, err);
        if (r == 0)
                r = fs_mkdir_p(p->nat_dir, 0700, err);
        if (r == 0)
                r = net_nat_network_set(&nat, &nn, err);
        if (r == 0 && !is_default_bridge(m))
                r = network_dns_start(g, m->name, err);
        return r;
}

int
network_ensure(const struct cli_globals *g, const char *name, struct err *err)
{
        struct network_paths p = { 0 };
        struct net_meta m;
        struct ipam_network *n = NULL;
        int r;

        network_paths_init(g, &p);
        r = meta_load(&p, name, &m, err);
        if (r == 0)
                r = ipam_network_load(p.ipam_dir, name, &n, err);
        if (r == 0)
                r = net_up(g, &p, &m, n, err);
        ipam_network_free(n);
        meta_release(&m);
        network_paths_release(&p);
        return r;
}

/* net_down: undo net_up and forget the addressing; -EBUSY (kept as is) while in use. */
/* unset_and_remove: the network's NAT rules out and its bridge deleted, at the same time:
 * both wait in the kernel (nftables deletions for an RCU grace period, the link for its
 * unregistering), 10-40 ms each here. The rules go in a child; its error, if any, wins. */
static int
unset_and_remove(const struct net_nat *nat, bool has_nat, const char *name, const char *br,
                 struct err *err)
{
        char msg[ERR_MSG_MAX] = "";
        int p[2] = { -1, -1 }, status, r;
        ssize_t n;
        pid_t pid;

        if (!has_nat)
                return net_bridge_remove(br, err);
        pid = pipe2(p, O_CLOEXEC) < 0 ? -1 : fork();
        if (pid < 0) {
                /* one after the other, then */
                if (p[0] >= 0) {
                        close(p[0]);
                        close(p[1]);
                }
                r = net_nat_network_unset(nat, name, err);
                return r < 0 ? r : net_bridge_remove(br, err);
        }
        if (pid == 0) {
                struct err e = { 0 };

                close(p[0]);
                r = net_nat_network_unset(nat, name, &e);
                if (r < 0 && write(p[1], e.msg, strlen(e.msg)) < 0) {
                        /* the status still tells */
                }
                _exit(r < 0 ? 1 : 0);
        }
        close(p[1]);
        r = net_bridge_remove(br, err);
        n = read(p[0], msg, sizeof(msg) - 1);
        close(p[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                msg[n > 0 ? n : 0] = '\0';
                err_clear(err);
                return err_setf(err, -EIO, "%s", msg[0] ? msg : "remove the network's NAT rules");
        }
        return r;
}

static int
net_down(const struct cli_globals *g, const struct network_paths *p, const char *name,
         const char *id, struct err *err)
{
        char br[NET_IFNAMSIZ];
        struct net_nat nat = { p->nat_dir, p->table };
        cleanup_free char *meta = xasprintf("%s/%s.json", p->meta_dir, name);
        cleanup_free char *run = xasprintf("%s/%s", p->run_dir, name);
        struct err e = { 0 };
        int r = ipam_network_remove(p->ipam_dir, name, false, &e);

        if (r == -EBUSY)
                return err_setf(err, -EBUSY,
                                "error while removing network: network %s id %s has active "
                                "endpoints (%s)",
                                name, id, e.msg);
        if (r < 0)
                return err_setf(err, r, "%s", e.msg);
        net_ifname("berth-", id, br);
        if (r == 0)
                r = network_dns_stop(g, name, err);
        if (r == 0)
                r = unset_and_remove(&nat, fs_is_dir(p->nat_dir), name, br, err);
        if (r == 0 && unlink(meta) < 0 && errno != ENOENT)
                r = err_setf(err, -errno, "remove '%s': %s", meta, strerror(errno));
        rmdir(run);
        return r;
}

static json_object *
meta_new(const char *name, const char *id, const struct create_opts *o)
{
        json_object *m = json_object_new_object();
        struct timespec ts;
        char created[64];

        clock_gettime(CLOCK_REALTIME, &ts);
        report_time_rfc3339(&ts, created, sizeof(created));
        jsonx_add_str(m, "Name", name);
        jsonx_add_str(m, "Id", id);
        jsonx_add_str(m, "Created", created);
        jsonx_add_str(m, "Driver", "bridge");
        json_object_object_add(m, "Internal", json_object_new_boolean(o->internal));
        json_object_object_add(m, "Options", o->options ? json_object_get(o->options)
                                                        : json_object_new_object());
        json_object_object_add(m, "Labels", o->labels ? json_object_get(o->labels)
                                                      : json_object_new_object());
        return m;
}

static int
meta_write(const struct network_paths *p, json_object *o, struct err *err)
{
        cleanup_free char *path = xasprintf("%s/%s.json", p->meta_dir, jsonx_str(o, "Name"));
        cleanup_free char *text = jsonx_string(o, "    ");
        int r = fs_mkdir_p(p->meta_dir, 0700, err);

        return r < 0 ? r : fs_write_atomic(path, text, strlen(text), 0600, err);
}

/* create_record: IPAM record (avoiding every host route and address) and docker record. */
static int
create_record(const struct network_paths *p, const char *name, const struct create_opts *o,
              struct net_meta *m, struct ipam_network **ret, struct err *err)
{
        struct ipam_request req = {
                .subnet = o->subnet, .gateway = o->gateway, .ip_range = o->ip_range, .aux = o->aux
        };
        cleanup_free struct net_prefix *avoid = NULL;
        char id[SHA256_HEX_SIZE];
        unsigned mtu;
        int r = mtu_of(o->options, &mtu, err);

        if (r == 0)
                r = net_host_prefixes(&avoid, &req.n_avoid, err);
        req.avoid = avoid;
        if (r == 0)
                r = fs_mkdir_p(p->ipam_dir, 0700, err);
        /* an addressing record without a docker record is what a crashed create leaves */
        if (r == 0)
                r = ipam_network_remove(p->ipam_dir, name, false, err);
        if (r == 0)
                r = ipam_network_create(p->ipam_dir, name, &req, ret, err);
        if (r < 0)
                return r;
        new_id(id);
        *m = (struct net_meta){ .o = meta_new(name, id, o), .internal = o->internal };
        m->name = jsonx_str(m->o, "Name");
        m->id = jsonx_str(m->o, "Id");
        return meta_write(p, m->o, err);
}

/* create_named: network_create without the checks of the name. */
static int
create_named(const struct cli_globals *g, const struct network_paths *p, const char *name,
             const struct network_create_opts *o, char **ret_id, struct err *err)
{
        struct net_meta m = { 0 };
        struct ipam_network *n = NULL;
        cleanup_free char *path = xasprintf("%s/%s.json", p->meta_dir, name);
        int r = 0;

        if (fs_exists(path))
                r = err_setf(err, -EEXIST, "network with name %s already exists", name);
        if (r == 0)
                r = create_record(p, name, o, &m, &n, err);
        if (r == 0)
                r = net_up(g, p, &m, n, err);
        if (r < 0 && m.id) {
                struct err ignore = { 0 };

                net_down(g, p, name, m.id, &ignore);
        } else if (r < 0 && r != -EEXIST) {
                struct err ignore = { 0 };

                ipam_network_remove(p->ipam_dir, name, false, &ignore);
        }
        if (r == 0 && ret_id)
                *ret_id = xstrdup(m.id);
        ipam_network_free(n);
        meta_release(&m);
        return r;
}

int
network_create(const struct cli_globals *g, const char *name, const struct network_create_opts *o,
               char **ret_id, struct err *err)
{
        struct network_paths p = { 0 };
        int r;

        if (!name_valid(name))
                return err_setf(err, -EINVAL,
                                "invalid network name '%s': want [a-zA-Z0-9]"
                                "[a-zA-Z0-9_.-]*, at most %d characters",
                                name, IPAM_NAME_MAX);
        if (!strcmp(name, NETWORK_DEFAULT) || !strcmp(name, "host") || !strcmp(name, "none") ||
            !strcmp(name, "default"))
                return err_setf(err, -EPERM, "%s is a pre-defined network and cannot be created",
                                name);
        network_paths_init(g, &p);
        r = create_named(g, &p, name, o, ret_id, err);
        network_paths_release(&p);
        return r;
}

/* default_create: the default network under the lock meta_dir/.default.lock (two first
 * containers at once create it once). */
static int
default_create(const struct cli_globals *g, const struct network_paths *p, struct err *err)
{
        cleanup_free char *lock = xasprintf("%s/.default.lock", p->meta_dir);
        cleanup_free char *path = xasprintf("%s/%s.json", p->meta_dir, NETWORK_DEFAULT);
        struct network_create_opts o = { .options = json_object_new_object() };
        cleanup_close int fd = -1;
        int r = fs_mkdir_p(p->meta_dir, 0700, err);

        if (r == 0 && (fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
                r = err_setf(err, -errno, "open '%s': %s", lock, strerror(errno));
        if (r == 0 && flock(fd, LOCK_EX) < 0)
                r = err_setf(err, -errno, "lock '%s': %s", lock, strerror(errno));
        jsonx_add_str(o.options, DEFAULT_OPT, "true");
        jsonx_add_str(o.options, "com.docker.network.bridge.enable_icc", "true");
        jsonx_add_str(o.options, "com.docker.network.bridge.enable_ip_masquerade", "true");
        jsonx_add_str(o.options, MTU_OPT, "1500");
        if (r == 0 && fs_exists(path))
                r = network_ensure(g, NETWORK_DEFAULT, err);
        else if (r == 0)
                r = create_named(g, p, NETWORK_DEFAULT, &o, NULL, err);
        json_object_put(o.options);
        return r;
}

int
network_default_ensure(const struct cli_globals *g, struct err *err)
{
        struct network_paths p = { 0 };
        cleanup_free char *path = NULL;
        int r;

        network_paths_init(g, &p);
        path = xasprintf("%s/%s.json", p.meta_dir, NETWORK_DEFAULT);
        r = fs_exists(path) ? network_ensure(g, NETWORK_DEFAULT, err)
                            : default_create(g, &p, err);
        network_paths_release(&p);
        return r;
}

static int
cmd_create(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct create_opts o = { 0 };
        cleanup_free char *id = NULL;
        int r = create_parse(argc, argv, &o, err);

        if (r == 0)
                r = network_create(g, argv[optind], &o, &id, err);
        if (r == 0)
                puts(id);
        create_opts_release(&o);
        return r;
}

int
network_labels(const struct cli_globals *g, const char *name, json_object **ret,
               struct err *err)
{
        struct network_paths p = { 0 };
        struct net_meta m = { 0 };
        int r;

        network_paths_init(g, &p);
        r = meta_load(&p, name, &m, err);
        if (r == 0) {
                json_object *l = jsonx_get(m.o, "Labels");
                *ret = l ? json_object_get(l) : json_object_new_object();
        }
        meta_release(&m);
        network_paths_release(&p);
        return r;
}

/* ---- ls -------------------------------------------------------------------------------- */

static char *
labels_text(json_object *labels)
{
        cleanup_strv char **v = NULL;

        if (labels && json_object_is_type(labels, json_type_object)) {
                json_object_object_foreach(labels, k, val)
                        strv_push(&v, xasprintf("%s=%s", k, json_object_get_string(val)));
        }
        return strv_join(v, ",");
}

static json_object *
ls_row(const struct net_meta *m, bool no_trunc)
{
        json_object *o = json_object_new_object();
        cleanup_free char *id = no_trunc ? xstrdup(m->id) : xstrndup(m->id, 12);
        cleanup_free char *labels = labels_text(jsonx_get(m->o, "Labels"));
        struct timespec ts = { 0 };
        char created[96] = "";

        if (report_time_parse(m->created, &ts) == 0)
                report_time_local(ts.tv_sec, created, sizeof(created));
        jsonx_add_str(o, "CreatedAt", created);
        jsonx_add_str(o, "Driver", m->driver);
        jsonx_add_str(o, "ID", id);
        jsonx_add_str(o, "IPv4", "true");
        jsonx_add_str(o, "IPv6", "false");
        jsonx_add_str(o, "Internal", m->internal ? "true" : "false");
        jsonx_add_str(o, "Labels", labels);
        jsonx_add_str(o, "Name", m->name);
        jsonx_add_str(o, "Scope", "local");
        return o;
}

static json_object *
ls_header(void)
{
        json_object *h = json_object_new_object();

        jsonx_add_str(h, "CreatedAt", "CREATED");
        jsonx_add_str(h, "Driver", "DRIVER");
        jsonx_add_str(h, "ID", "NETWORK ID");
        jsonx_add_str(h, "IPv4", "IPV4");
        jsonx_add_str(h, "IPv6", "IPV6");
        jsonx_add_str(h, "Internal", "INTERNAL");
        jsonx_add_str(h, "Labels", "LABELS");
        jsonx_add_str(h, "Name", "NAME");
        jsonx_add_str(h, "Scope", "SCOPE");
        return h;
}

static int
ls_print(const struct network_paths *p, const char *fmt, bool no_trunc, struct err *err)
{
        cleanup_strv char **names = NULL;
        json_object **rows = NULL;
        size_t n = 0;
        int r = meta_list(p, &names, err);

        rows = xcalloc(strv_length(names) + 1, sizeof(*rows));
        for (size_t i = 0; r == 0 && names && names[i]; i++) {
                struct net_meta m;
                int k = meta_load(p, names[i], &m, err);

                if (k == -ENOENT) {
                        err_clear(err); /* removed while we listed */
                        continue;
                }
                r = k;
                if (r == 0)
                        rows[n++] = ls_row(&m, no_trunc);
                meta_release(&m);
        }
        if (r == 0) {
                json_object *header = ls_header();

                r = report_print_rows(fmt, header, rows, n, err);
                json_object_put(header);
        }
        for (size_t i = 0; i < n; i++)
                json_object_put(rows[i]);
        free(rows);
        return r;
}

static int
cmd_ls(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "format", required_argument, NULL, 'F' },
                { "no-trunc", no_argument, NULL, 'T' },
                { "filter", required_argument, NULL, 'f' },
                { 0 },
        };
        const char *fmt = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
        struct network_paths p = { 0 };
        bool quiet = false, no_trunc = false;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+qf:", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'T')
                        no_trunc = true;
                else if (c == 'F')
                        fmt = strcmp(optarg, "table") ? optarg : fmt;
                else if (c == 'f')
                        return err_setf(err, -EOPNOTSUPP,
                                        "network ls: --filter is not "
                                        "supported yet");
                else
                        return err_setf(err, -EINVAL,
                                        "network ls: invalid flag; see 'berth "
                                        "network ls --help'");
        }
        if (optind != argc)
                return err_setf(err, -EINVAL, "\"berth network ls\" accepts no arguments");
        network_paths_init(g, &p);
        r = ls_print(&p, quiet ? "{{.ID}}" : fmt, no_trunc, err);
        network_paths_release(&p);
        return r;
}

/* ---- inspect --------------------------------------------------------------------------- */

static json_object *
ip_json(uint32_t ip)
{
        char s[NET_IP4_STRLEN];

        net_ip4_format(ip, s);
        return json_object_new_string(s);
}

static json_object *
ipam_json(const struct ipam_network *n)
{
        json_object *ipam = json_object_new_object(), *cfg = json_object_new_object();
        json_object *list = json_object_new_array();
        char s[NET_PFX_STRLEN];

        jsonx_add_str(ipam, "Driver", "default");
        json_object_object_add(ipam, "Options", json_object_new_object());
        net_prefix_format(&n->subnet, s);
        jsonx_add_str(cfg, "Subnet", s);
        if (n->range.addr != n->subnet.addr || n->range.len != n->subnet.len) {
                net_prefix_format(&n->range, s);
                jsonx_add_str(cfg, "IPRange", s);
        }
        json_object_object_add(cfg, "Gateway", ip_json(n->gateway));
        if (n->n_aux) {
                json_object *aux = json_object_new_object();

                for (size_t i = 0; i < n->n_aux; i++)
                        json_object_object_add(aux, n->aux_names[i], ip_json(n->aux_ips[i]));
                json_object_object_add(cfg, "AuxiliaryAddresses", aux);
        }
        json_object_array_add(list, cfg);
        json_object_object_add(ipam, "Config", list);
        return ipam;
}

/* endpoint_fill: Name, EndpointID and MacAddress of owner's endpoint on n, from the
 * container's record (the lease's first DNS name when the container is gone). */
static void
endpoint_fill(const struct cli_globals *g, const struct ipam_network *n,
              const struct ipam_lease *l, json_object *e)
{
        struct ctr *c = NULL;
        json_object *rec = NULL, *ep = NULL;
        const char *name = l->names && l->names[0] ? l->names[0] : "";

        if (ctr_open(g->root, g->run_root, l->owner, &c, &(struct err){ 0 }) == 0) {
                name = c->name;
                ctr_net_read(c, &rec, &(struct err){ 0 });
                ep = rec ? ctr_net_endpoint(rec, n->name, NULL) : NULL;
        }
        jsonx_add_str(e, "Name", name);
        jsonx_add_str(e, "EndpointID", ep && jsonx_str(ep, "HostIf") ? jsonx_str(ep, "HostIf")
                                                                     : "");
        jsonx_add_str(e, "MacAddress", ep && jsonx_str(ep, "MacAddress")
                                               ? jsonx_str(ep, "MacAddress")
                                               : "");
        json_object_put(rec);
        ctr_free(c);
}

static json_object *
containers_json(const struct cli_globals *g, const struct ipam_network *n)
{
        json_object *c = json_object_new_object();

        for (size_t i = 0; i < n->n_leases; i++) {
                const struct ipam_lease *l = &n->leases[i];
                json_object *e = json_object_new_object();
                struct net_prefix a = { l->ip, n->subnet.len };
                char s[NET_PFX_STRLEN];

                net_prefix_format(&a, s);
                endpoint_fill(g, n, l, e);
                jsonx_add_str(e, "IPv4Address", s);
                jsonx_add_str(e, "IPv6Address", "");
                json_object_object_add(c, l->owner, e);
        }
        return c;
}

static json_object *
copy_of(json_object *o)
{
        return o ? json_object_get(o) : json_object_new_object();
}

static json_object *
inspect_json(const struct cli_globals *g, const struct net_meta *m, const struct ipam_network *n)
{
        json_object *o = json_object_new_object(), *from = json_object_new_object();

        jsonx_add_str(o, "Name", m->name);
        jsonx_add_str(o, "Id", m->id);
        jsonx_add_str(o, "Created", m->created);
        jsonx_add_str(o, "Scope", "local");
        jsonx_add_str(o, "Driver", m->driver);
        json_object_object_add(o, "EnableIPv6", json_object_new_boolean(false));
        json_object_object_add(o, "IPAM", ipam_json(n));
        json_object_object_add(o, "Internal", json_object_new_boolean(m->internal));
        json_object_object_add(o, "Attachable", json_object_new_boolean(false));
        json_object_object_add(o, "Ingress", json_object_new_boolean(false));
        jsonx_add_str(from, "Network", "");
        json_object_object_add(o, "ConfigFrom", from);
        json_object_object_add(o, "ConfigOnly", json_object_new_boolean(false));
        json_object_object_add(o, "Containers", containers_json(g, n));
        json_object_object_add(o, "Options", copy_of(jsonx_get(m->o, "Options")));
        json_object_object_add(o, "Labels", copy_of(jsonx_get(m->o, "Labels")));
        return o;
}

/* inspect_one: name's docker view; -ENOENT as docker says it. */
static int
inspect_one(const struct cli_globals *g, const struct network_paths *p, const char *name,
            json_object **ret, struct err *err)
{
        struct net_meta m;
        struct ipam_network *n = NULL;
        struct err e = { 0 };
        int r = meta_load(p, name, &m, &e);

        if (r == -ENOENT)
                return err_setf(err, -ENOENT, "no such network: %s", name);
        if (r < 0)
                return err_setf(err, r, "%s", e.msg);
        if (r == 0)
                r = ipam_network_load(p->ipam_dir, name, &n, err);
        if (r == 0)
                *ret = inspect_json(g, &m, n);
        ipam_network_free(n);
        meta_release(&m);
        return r;
}

static int
cmd_inspect(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "verbose", no_argument, NULL, 'v' },
                { 0 },
        };
        struct network_paths p = { 0 };
        json_object *all;
        const char *fmt = NULL;
        int c, r = 0, first = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+f:v", opts, NULL)) != -1) {
                if (c == 'f')
                        fmt = optarg;
                else if (c != 'v')
                        return err_setf(err, -EINVAL, "network inspect: invalid flag");
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL,
                                "\"berth network inspect\" requires at least 1 "
                                "argument");
        network_paths_init(g, &p);
        all = json_object_new_array();
        for (int i = optind; i < argc; i++) {
                json_object *o = NULL;

                /* a missing name does not stop the others (err keeps the first error) */
                r = inspect_one(g, &p, argv[i], &o, err);
                if (r < 0 && !first)
                        first = r;
                if (r == 0)
                        json_object_array_add(all, o);
        }
        r = report_print_inspect(fmt, all, err);
        json_object_put(all);
        network_paths_release(&p);
        return first ? first : r;
}

/* ---- rm, prune ----------------------------------------------------------------- */

/* rm_one: remove name; -ENOENT / -EBUSY as docker says them. The default network goes only
 * with predefined (the hidden `network rm --predefined bridge` of the test clean-ups). */
static int
rm_one(const struct cli_globals *g, const struct network_paths *p, const char *name,
       bool predefined, struct err *err)
{
        struct net_meta m;
        struct err e = { 0 };
        int r;

        if (!predefined && (!strcmp(name, NETWORK_DEFAULT) || !strcmp(name, "host") ||
                            !strcmp(name, "none")))
                return err_setf(err, -EPERM, "%s is a pre-defined network and cannot be removed",
                                name);
        r = meta_load(p, name, &m, &e);
        if (r < 0)
                return err_setf(err, r, "%s", e.msg);
        r = net_down(g, p, name, m.id, &e);
        meta_release(&m);
        return r < 0 ? err_setf(err, r, "%s", e.msg) : 0;
}

int
network_remove(const struct cli_globals *g, const char *name, struct err *err)
{
        struct network_paths p = { 0 };
        int r;

        network_paths_init(g, &p);
        r = rm_one(g, &p, name, false, err);
        network_paths_release(&p);
        return r;
}

static int
cmd_rm(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "predefined", no_argument, NULL, 'P' }, /* hidden: see rm_one */
                { 0 },
        };
        struct network_paths p = { 0 };
        bool force = false, predefined = false;
        int c, first = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
                if (c == 'P')
                        predefined = true;
                else if (c == 'f')
                        force = true;
                else
                        return err_setf(err, -EINVAL, "network rm: invalid flag");
        }
        if (optind >= argc)
                return err_setf(err, -EINVAL,
                                "\"berth network rm\" requires at least 1 "
                                "argument");
        network_paths_init(g, &p);
        /* docker goes on after a failure and exits 1; err keeps the first error */
        for (int i = optind; i < argc; i++) {
                int r = rm_one(g, &p, argv[i], predefined, err);

                if (r == 0)
                        puts(argv[i]);
                else if (r == -ENOENT && force)
                        err_clear(err);
                else if (!first)
                        first = r;
        }
        network_paths_release(&p);
        return first;
}

static bool
confirm(void)
{
        char line[64];

        printf("WARNING! This will remove all custom networks not used by at least one "
               "container.\nAre you sure you want to continue? [y/N] ");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return false;
        return line[0] == 'y' || line[0] == 'Y';
}

static int
prune_all(const struct cli_globals *g, const struct network_paths *p, struct err *err)
{
        cleanup_strv char **names = NULL, **deleted = NULL;
        int r = meta_list(p, &names, err);

        for (size_t i = 0; r == 0 && names && names[i]; i++) {
                struct ipam_network *n = NULL;
                struct err e = { 0 };
                int k = ipam_network_load(p->ipam_dir, names[i], &n, &e);
                bool used = (k == 0 && n->n_leases > 0) || !strcmp(names[i], NETWORK_DEFAULT);

                ipam_network_free(n);
                if (used)
                        continue;
                k = rm_one(g, p, names[i], false, &e);
                if (k == 0)
                        strv_add(&deleted, names[i]);
                else if (k != -EBUSY && k != -ENOENT) /* joined or went meanwhile: fine */
                        r = err_setf(err, k, "%s", e.msg);
        }
        if (deleted) {
                printf("Deleted Networks:\n");
                strv_foreach(d, deleted)
                        printf("%s\n", d);
        }
        return r;
}

static int
cmd_prune(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "filter", required_argument, NULL, 'F' },
                { 0 },
        };
        struct network_paths p = { 0 };
        bool force = false;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
                if (c == 'f')
                        force = true;
                else if (c == 'F')
                        return err_setf(err, -EOPNOTSUPP,
                                        "network prune: --filter is not "
                                        "supported yet");
                else
                        return err_setf(err, -EINVAL, "network prune: invalid flag");
        }
        if (optind != argc)
                return err_setf(err, -EINVAL, "\"berth network prune\" accepts no arguments");
        if (!force && !confirm())
                return 0;
        network_paths_init(g, &p);
        r = prune_all(g, &p, err);
        network_paths_release(&p);
        return r;
}

/* ---- dispatch -------------------------------------------------------------------------- */

static const struct {
        const char *name, *alias;
        int (*run)(struct cli_globals *g, int argc, char **argv, struct err *err);
        const char *summary;
} subcommands[] = {
        { "connect", NULL, cmd_network_connect, "Connect a container to a network" },
        { "create", NULL, cmd_create, "Create a network" },
        { "disconnect", NULL, cmd_network_connect, "Disconnect a container from a network" },
        { "inspect", NULL, cmd_inspect, "Display detailed information on one or more networks" },
        { "ls", "list", cmd_ls, "List networks" },
        { "prune", NULL, cmd_prune, "Remove all unused networks" },
        { "rm", "remove", cmd_rm, "Remove one or more networks" },
};

static void
network_usage(FILE *f)
{
        fprintf(f, "Usage: berth network COMMAND\n\nManage networks\n\nCommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                fprintf(f, "  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
}

int
cmd_network(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                network_usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? err_setf(err, -EINVAL, "network: no command given") : 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                if (!strcmp(argv[1], subcommands[i].name) ||
                    (subcommands[i].alias && !strcmp(argv[1], subcommands[i].alias)))
                        return subcommands[i].run(g, argc - 1, argv + 1, err);
        return err_setf(err, -EINVAL, "unknown command 'network %s'; see 'berth network --help'",
                        argv[1]);
}
