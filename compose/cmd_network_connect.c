/* `berth network connect [--alias A]... [--ip IP] NETWORK CONTAINER` and
 * `berth network disconnect [-f] NETWORK CONTAINER`, docker's flags, messages and exit codes.
 *
 * Both edit the container's network.json (engine/container.h): connect leases an address on
 * the network (the container's name and the aliases as DNS names) and appends an endpoint,
 * disconnect removes one and releases its lease. On a running container the change is made
 * live as well: connect attaches a veth into the container's netns (/proc/PID/ns/net of its
 * process) as the first free ethN (with the default route only when it is the container's
 * only network), disconnect deletes the veth. A stopped container only has its record
 * changed; the monitor attaches what the record lists at the next start. Published ports
 * follow the first endpoint: when the endpoint they were DNATed to goes, they are republished
 * to the new first address (or unpublished when none is left). The network's DNS responder
 * sees the change through the IPAM record at its next query.
 * Containers with --network none, host or container:ID cannot be connected (docker's rule).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/file.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "compose/network_int.h"
#include "engine/jsonx.h"
#include "net/net.h"

#define ETH_MAX 64 /* interfaces a hot-plug tries (eth0..eth63) */

struct conn_opts {
        const char *ip;
        char **aliases;
        bool force;
};

/* running_pid: the pid of c's process while it runs, else 0. */
static int64_t
running_pid(const struct ctr *c)
{
        json_object *st = NULL;
        int64_t pid = 0;

        if (ctr_state_read(c, &st, &(struct err){ 0 }) == 0 && jsonx_bool(st, "Running") &&
            cmd_container_alive(c, st))
                pid = jsonx_int(st, "Pid", 0);
        json_object_put(st);
        return pid;
}

/* check_mode: docker refuses to connect containers of the special network modes. */
static int
check_mode(const struct ctr *c, struct err *err)
{
        const char *mode = jsonx_str(jsonx_get(c->config, "HostConfig"), "NetworkMode");

        if (!mode)
                return 0;
        if (strcmp(mode, "host") == 0)
                return err_setf(err, -EINVAL, "container cannot be disconnected from host "
                                "network or connected to host network");
        if (strcmp(mode, "none") == 0)
                return err_setf(err, -EINVAL, "container cannot be connected to multiple "
                                "networks with one of the networks in private (none) mode");
        if (strncmp(mode, "container:", 10) == 0)
                return err_setf(err, -EINVAL, "conflicting options: container type network "
                                "can't be used with other networks");
        return 0;
}

/* hotplug: the veth of ep into the running container pid as the first free ethN. */
static int
hotplug(json_object *ep, int64_t pid, bool route, struct err *err)
{
        char ns[64], ifname[16];
        int r = -EEXIST;

        snprintf(ns, sizeof(ns), "/proc/%lld/ns/net", (long long)pid);
        for (unsigned i = 0; i < ETH_MAX && r == -EEXIST; i++) {
                snprintf(ifname, sizeof(ifname), "eth%u", i);
                err_clear(err);
                r = ctr_net_attach(ep, ns, ifname, route, err);
        }
        return r;
}

/* ports_follow: republish c's ports to the first endpoint of rec when they pointed at gone
 * (an address), or unpublish them when rec has no endpoint left. */
static int
ports_follow(const struct ctr *c, json_object *rec, const char *gone, struct err *err)
{
        struct net_nat nat = { jsonx_str(rec, "NatDir"), jsonx_str(rec, "Table") };
        json_object *eps = ctr_net_endpoints(rec);
        cleanup_free struct net_port_map *maps = NULL;
        const char *ip = json_object_array_length(eps)
                                 ? jsonx_str(json_object_array_get_idx(eps, 0), "IPAddress")
                                 : NULL;
        size_t n = 0;
        uint32_t a = 0;
        int r;

        if (!nat.state_dir || !nat.table || !jsonx_str(rec, "PortsIP") ||
            strcmp(jsonx_str(rec, "PortsIP"), gone) != 0)
                return 0;
        r = net_nat_ports_get(&nat, c->id, &maps, &n, err);
        if (r < 0 || n == 0)
                return r;
        if (!ip)
                return net_nat_ports_unset(&nat, c->id, err);
        r = net_ip4_parse(ip, &a, err);
        if (r == 0)
                r = net_nat_ports_set(&nat, c->id, a, maps, n, NULL, NULL, err);
        if (r == 0)
                jsonx_add_str(rec, "PortsIP", ip);
        return r;
}

/* connect: add c's endpoint on network to its record, live when it runs. */
static int
connect_one(const struct cli_globals *g, const struct ctr *c, const char *network,
            const struct conn_opts *o, struct err *err)
{
        json_object *rec = NULL, *ep = NULL, *eps;
        int64_t pid;
        int r = check_mode(c, err);

        if (r == 0 && strcmp(network, NETWORK_DEFAULT) == 0 && (o->ip || o->aliases))
                r = err_setf(err, -EINVAL, o->ip ? "user specified IP address is supported on "
                                                   "user defined networks only"
                                                 : "network-scoped alias is supported only for "
                                                   "containers in user defined networks");
        if (r == 0)
                r = ctr_net_read(c, &rec, err);
        if (r < 0)
                return r;
        if (!rec)
                rec = cmd_container_net_record(g);
        if (ctr_net_endpoint(rec, network, NULL)) {
                r = err_setf(err, -EEXIST, "endpoint with name %s already exists in network %s",
                             c->name, network);
                json_object_put(rec);
                return r;
        }
        eps = ctr_net_endpoints(rec);
        r = cmd_container_net_endpoint(g, c, network, o->ip, o->aliases, &ep, err);
        pid = r == 0 ? running_pid(c) : 0;
        if (r == 0 && pid > 0)
                r = hotplug(ep, pid, json_object_array_length(eps) == 0, err);
        if (r == 0) {
                json_object_array_add(eps, json_object_get(ep));
                if (!jsonx_str(rec, "PortsIP"))
                        jsonx_add_str(rec, "PortsIP", jsonx_str(ep, "IPAddress"));
                r = ctr_net_write(c, rec, err);
        }
        if (r < 0 && ep)
                ctr_net_endpoint_leave(c, rec, ep, &(struct err){ 0 });
        json_object_put(ep);
        json_object_put(rec);
        return r;
}

/* reroute: after the first endpoint of running c went, the default route via the new first. */
static int
reroute(const struct ctr *c, json_object *rec, struct err *err)
{
        json_object *eps = ctr_net_endpoints(rec);
        const char *gw = json_object_array_length(eps)
                                 ? jsonx_str(json_object_array_get_idx(eps, 0), "Gateway")
                                 : NULL;
        int64_t pid = running_pid(c);
        char ns[64];
        uint32_t a = 0;
        int r;

        if (!gw || pid <= 0)
                return 0;
        r = net_ip4_parse(gw, &a, err);
        snprintf(ns, sizeof(ns), "/proc/%lld/ns/net", (long long)pid);
        return r < 0 ? r : net_netns_default_route(ns, a, err);
}

/* disconnect_one: remove c's endpoint on network (its veth when it runs, its lease). */
static int
disconnect_one(const struct ctr *c, const char *network, struct err *err)
{
        json_object *rec = NULL, *ep;
        cleanup_free char *ip = NULL;
        size_t idx = 0;
        int r = ctr_net_read(c, &rec, err);

        if (r < 0)
                return r;
        ep = rec ? ctr_net_endpoint(rec, network, &idx) : NULL;
        if (!ep) {
                json_object_put(rec);
                return err_setf(err, -ENOENT, "container %s is not connected to network %s",
                                c->name, network);
        }
        ip = xstrdup(jsonx_str(ep, "IPAddress") ? jsonx_str(ep, "IPAddress") : "");
        r = ctr_net_endpoint_leave(c, rec, ep, err);
        if (r == 0) {
                json_object_array_del_idx(ctr_net_endpoints(rec), idx, 1);
                r = ports_follow(c, rec, ip, err);
        }
        if (r == 0 && idx == 0)
                r = reroute(c, rec, err);
        if (r == 0)
                r = ctr_net_write(c, rec, err);
        json_object_put(rec);
        return r;
}

static int
conn_parse(int argc, char **argv, bool disconnect, struct conn_opts *o, struct err *err)
{
        static const struct option opts[] = {
                { "alias", required_argument, NULL, 'a' },
                { "ip", required_argument, NULL, 'i' },
                { "force", no_argument, NULL, 'f' },
                { "ip6", required_argument, NULL, '6' },
                { "link", required_argument, NULL, 'L' },
                { "link-local-ip", required_argument, NULL, 'L' },
                { "driver-opt", required_argument, NULL, 'L' },
                { 0 },
        };
        const char *what = disconnect ? "disconnect" : "connect";
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, disconnect ? "+f" : "+", opts, NULL)) != -1) {
                if (!disconnect && c == 'a' && strv_length(o->aliases) < 64)
                        strv_add(&o->aliases, optarg);
                else if (!disconnect && c == 'i')
                        o->ip = optarg;
                else if (disconnect && c == 'f')
                        o->force = true;
                else if (!disconnect && (c == '6' || c == 'L'))
                        return err_setf(err, -EOPNOTSUPP, "network connect: %s is not supported "
                                        "(IPv4 --ip and --alias are)", argv[optind - 1]);
                else
                        return err_setf(err, -EINVAL, "network %s: invalid flag; see 'berth "
                                        "network %s --help'", what, what);
        }
        if (argc - optind != 2)
                return err_setf(err, -EINVAL, "\"berth network %s\" requires exactly 2 "
                                "arguments", what);
        return 0;
}

/* known: the network exists (docker's "network X not found" otherwise). */
static int
known(const struct cli_globals *g, const char *name, struct err *err)
{
        cleanup_strv char **all = NULL;
        int r = network_list(g, &all, err);

        if (r == 0 && !strv_contains(all, name) && strcmp(name, NETWORK_DEFAULT) != 0)
                r = err_setf(err, -ENOENT, "network %s not found", name);
        return r;
}

/* lock_record: an exclusive flock on <ctr dir>/network.lock, so two connects to one
 * container do not lose each other's endpoint; *fd is closed by the caller. */
static int
lock_record(const struct ctr *c, int *fd, struct err *err)
{
        cleanup_free char *path = ctr_path(c, "network.lock");

        *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (*fd < 0)
                return err_setf(err, -errno, "open '%s': %s", path, strerror(errno));
        if (flock(*fd, LOCK_EX) < 0)
                return err_setf(err, -errno, "lock '%s': %s", path, strerror(errno));
        return 0;
}

int
cmd_network_connect(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        bool disconnect = strcmp(argv[0], "disconnect") == 0;
        struct conn_opts o = { 0 };
        struct ctr *c = NULL;
        cleanup_close int lock = -1;
        const char *net;
        int r = conn_parse(argc, argv, disconnect, &o, err);

        net = r == 0 ? argv[optind] : NULL;
        if (net && strcmp(net, "default") == 0)
                net = NETWORK_DEFAULT;
        if (r == 0)
                r = ctr_open(g->root, g->run_root, argv[optind + 1], &c, err);
        if (r == 0)
                r = lock_record(c, &lock, err);
        if (r == 0 && !disconnect)
                r = known(g, net, err);
        if (r == 0 && !disconnect)
                r = connect_one(g, c, net, &o, err);
        else if (r == 0)
                r = disconnect_one(c, net, err);
        ctr_free(c);
        strv_free(o.aliases);
        return r;
}
