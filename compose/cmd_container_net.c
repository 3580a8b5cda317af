/* cmd_container_net: `container run --network NAME [--ip A] [--network-alias X] [-p ...]`.
 *
 * Joining happens once, when the container is created: the network is repaired
 * (network_ensure: bridge, NAT, DNS responder), an address is leased with the container id as
 * owner and its name and aliases as DNS names, the ports are published (nftables DNAT, owner =
 * the container id), and the endpoint record network.json (engine/container.h) is written.
 * The monitor reads that record at every start and attaches the veth from its net_hook; every
 * removal path (rm, rm -f after a dead monitor, the monitor's --rm) calls ctr_net_leave().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/container_int.h"
#include "compose/network_int.h"
#include "engine/jsonx.h"
#include "net/ipam.h"
#include "net/net.h"

#define NET_META_MAX (1u << 20)

/* bridge_of: the bridge of network name: net_ifname("berth-", its Id). */
static int
bridge_of(const struct network_paths *p, const char *name, char out[NET_IFNAMSIZ],
          struct err *err)
{
        cleanup_free char *path = xasprintf("%s/%s.json", p->meta_dir, name);
        cleanup_free char *buf = NULL;
        json_object *o = NULL;
        const char *id;
        size_t len;
        int r = fs_read_capped(path, NET_META_MAX, &buf, &len, err);

        if (r == 0)
                r = jsonx_parse(buf, len, NET_META_MAX, path, &o, err);
        if (r < 0)
                return r;
        id = jsonx_str(o, "Id");
        if (id)
                net_ifname("berth-", id, out);
        else
                r = err_setf(err, -EINVAL, "network record '%s' is damaged", path);
        json_object_put(o);
        return r;
}

static void
add_ip(json_object *o, const char *key, uint32_t ip)
{
        char s[NET_IP4_STRLEN];

        net_ip4_format(ip, s);
        jsonx_add_str(o, key, s);
}

/* publish: parse and publish the -p values of c to ip. */
static int
publish(const struct network_paths *p, const struct ctr *c, uint32_t ip, char *const *ports,
        struct err *err)
{
        struct net_nat nat = { p->nat_dir, p->table };
        cleanup_free struct net_port_map *maps = NULL;
        size_t n = strv_length(ports);
        int r = 0;

        if (n == 0)
                return 0;
        if (n > NET_PORTS_MAX)
                return err_setf(err, -E2BIG, "too many -p values (at most %d)", NET_PORTS_MAX);
        maps = xcalloc(n, sizeof(*maps));
        for (size_t i = 0; i < n && r == 0; i++)
                r = net_port_parse(ports[i], &maps[i], err);
        if (r == 0)
                r = fs_mkdir_p(p->nat_dir, 0700, err);
        if (r == 0)
                r = net_nat_ports_set(&nat, c->id, ip, maps, n, NULL, NULL, err);
        return r;
}

/* record: write network.json for the lease of c on network n. */
static int
record(const struct network_paths *p, const struct ctr *c, const struct ipam_network *n,
       uint32_t ip, const char *br, struct err *err)
{
        json_object *o = json_object_new_object();
        cleanup_free char *path = ctr_path(c, CTR_NET_FILE);
        cleanup_free char *key = xasprintf("%s/%s", c->id, n->name);
        char hostif[NET_IFNAMSIZ];
        char *txt;
        int r;

        net_ifname("bv", key, hostif);
        jsonx_add_str(o, "Network", n->name);
        add_ip(o, "IPAddress", ip);
        jsonx_add_int(o, "PrefixLen", n->subnet.len);
        add_ip(o, "Gateway", n->gateway);
        jsonx_add_str(o, "Bridge", br);
        jsonx_add_str(o, "HostIf", hostif);
        jsonx_add_str(o, "IpamDir", p->ipam_dir);
        jsonx_add_str(o, "NatDir", p->nat_dir);
        jsonx_add_str(o, "Table", p->table);
        txt = jsonx_string(o, "  ");
        r = fs_write_atomic(path, txt, strlen(txt), 0600, err);
        free(txt);
        json_object_put(o);
        return r;
}

static int
join(const struct cli_globals *g, const struct network_paths *p, const struct ctr *c,
     const struct cmd_container_net *cn, struct err *err)
{
        struct ipam_network *n = NULL;
        char **names = NULL;
        struct ipam_lease_request lr = { .owner = c->id };
        char br[NET_IFNAMSIZ];
        uint32_t ip = 0;
        int r = network_ensure(g, cn->network, err);

        if (r == 0 && cn->ip)
                r = net_ip4_parse(cn->ip, &lr.ip, err);
        if (r == 0)
                r = bridge_of(p, cn->network, br, err);
        strv_add(&names, c->name);
        strv_foreach(a, cn->aliases)
                strv_add(&names, a);
        lr.names = names;
        if (r == 0)
                r = ipam_lease(p->ipam_dir, cn->network, &lr, &ip, err);
        if (r == 0)
                r = ipam_network_load(p->ipam_dir, cn->network, &n, err);
        if (r == 0)
                r = record(p, c, n, ip, br, err);
        if (r == 0)
                r = publish(p, c, ip, cn->ports, err);
        ipam_network_free(n);
        strv_free(names);
        return r;
}

int
cmd_container_net_join(const struct cli_globals *g, const struct ctr *c,
                       const struct cmd_container_net *cn, struct err *err)
{
        struct network_paths p = { 0 };
        int r;

        if (!cn->network) {
                if (cn->ports || cn->ip || cn->aliases)
                        return err_setf(err, -ENOTSUP, "%s needs --network NAME (a berth "
                                        "network) for now", cn->ports ? "-p" :
                                        cn->ip ? "--ip" : "--network-alias");
                return 0;
        }
        network_paths_init(g, &p);
        r = join(g, &p, c, cn, err);
        if (r < 0) {
                struct err e = { 0 };
                /* a lease or ports without the record would never be freed */
                ipam_release(p.ipam_dir, cn->network, c->id, &e);
                net_nat_ports_unset(&(struct net_nat){ p.nat_dir, p.table }, c->id, &e);
        }
        network_paths_release(&p);
        return r;
}

/* print_ports: docker port's lines; with want ("80" or "80/tcp") only the host addresses of
 * that container port. */
static int
print_ports(const struct net_port_map *maps, size_t n, const char *want, struct err *err)
{
        cleanup_free char *key = NULL;
        struct sbuf sb = SBUF_INIT;
        int found = 0;

        if (want)
                key = xasprintf(strchr(want, '/') ? "%s -> " : "%s/tcp -> ", want);
        for (size_t i = 0; i < n; i++)
                net_port_format(&maps[i], &sb);
        for (char *line = sb.buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
                *nl = '\0';
                if (!key) {
                        printf("%s\n", line);
                } else if (strncmp(line, key, strlen(key)) == 0) {
                        printf("%s\n", line + strlen(key));
                        found = 1;
                }
        }
        sbuf_release(&sb);
        if (key && !found)
                return err_setf(err, -ENOENT, "no public port '%s' published", want);
        return 0;
}

/* ports_of: c's published ports (owned array, *n entries; none when it has no network). */
static int
ports_of(const struct ctr *c, struct net_port_map **maps, size_t *n, struct err *err)
{
        json_object *o = NULL;
        int r = ctr_net_read(c, &o, err);

        *maps = NULL;
        *n = 0;
        if (r == 0 && o && jsonx_str(o, "NatDir") && jsonx_str(o, "Table"))
                r = net_nat_ports_get(&(struct net_nat){ jsonx_str(o, "NatDir"),
                                                         jsonx_str(o, "Table") },
                                      c->id, maps, n, err);
        json_object_put(o);
        return r;
}

char *
cmd_container_ports_text(const struct ctr *c)
{
        struct net_port_map *maps = NULL;
        struct sbuf lines = SBUF_INIT, out = SBUF_INIT;
        struct err e = { 0 };
        size_t n = 0;

        if (ports_of(c, &maps, &n, &e) == 0)
                for (size_t i = 0; i < n; i++)
                        net_port_format(&maps[i], &lines);
        /* "80/tcp -> 0.0.0.0:8080" lines become "0.0.0.0:8080->80/tcp, …" */
        for (char *line = lines.buf, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
                char *arrow = strstr(line, " -> ");
                *nl = '\0';
                if (!arrow)
                        continue;
                *arrow = '\0';
                sbuf_addf(&out, "%s%s->%s", out.len ? ", " : "", arrow + 4, line);
        }
        sbuf_release(&lines);
        free(maps);
        return sbuf_detach(&out);
}

int
cmd_container_port(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        struct ctr *c = NULL;
        json_object *o = NULL;
        struct net_port_map *maps = NULL;
        size_t n = 0;
        int r;

        if (argc < 2 || argc > 3)
                return err_setf(err, -EINVAL,
                                "usage: berth container port CONTAINER [PRIVATE_PORT[/PROTO]]");
        r = ctr_open(g->root, g->run_root, argv[1], &c, err);
        if (r == 0)
                r = ctr_net_read(c, &o, err);
        if (r == 0 && o && jsonx_str(o, "NatDir") && jsonx_str(o, "Table"))
                r = net_nat_ports_get(&(struct net_nat){ jsonx_str(o, "NatDir"),
                                                         jsonx_str(o, "Table") },
                                      c->id, &maps, &n, err);
        if (r == 0)
                r = print_ports(maps, n, argc == 3 ? argv[2] : NULL, err);
        free(maps);
        json_object_put(o);
        ctr_free(c);
        return r;
}

int
cmd_container_net_repair(const struct cli_globals *g, const struct ctr *c, struct err *err)
{
        json_object *o = NULL;
        int r = ctr_net_read(c, &o, err);

        if (r == 0 && o && jsonx_str(o, "Network"))
                r = network_ensure(g, jsonx_str(o, "Network"), err);
        json_object_put(o);
        return r;
}
