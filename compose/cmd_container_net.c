/* cmd_container_net: `container run --network …` (several networks, docker's advanced
 * name=NET,alias=A,ip=IP form, the default bridge, none/host/container:ID) and `-p`.
 *
 * Joining happens once, when the container is created: each network is repaired
 * (network_ensure: bridge, NAT, DNS responder; the default "bridge" is created on first use),
 * an address is leased on each with the container id as owner and its name and aliases as
 * DNS names (none on the default bridge, which has no DNS, as docker's), the ports are
 * published to the first network's address (nftables DNAT, owner = the container id), and
 * the record network.json (engine/container.h) lists the endpoints in order. The monitor
 * reads it at every start and attaches eth0, eth1, … from its net_hook; `network connect`
 * and `disconnect` edit it (cmd_network_connect.c); every removal path (rm, rm -f after a
 * dead monitor, the monitor's --rm) calls ctr_net_leave().
 * Addresses are kept from create to rm (not released on stop).
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

/* meta_of: the bridge (net_ifname("berth-", Id)) and the Id of network name. */
static int
meta_of(const struct network_paths *p, const char *name, char out[NET_IFNAMSIZ],
        char **ret_id, struct err *err)
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
        if (id) {
                net_ifname("berth-", id, out);
                *ret_id = xstrdup(id);
        } else {
                r = err_setf(err, -EINVAL, "network record '%s' is damaged", path);
        }
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

/* endpoint_json: the network.json endpoint of c's lease ip on n. */
static json_object *
endpoint_json(const struct network_paths *p, const struct ctr *c, const struct ipam_network *n,
              uint32_t ip, const char *br, const char *id, char *const *aliases)
{
        json_object *o = json_object_new_object();
        cleanup_free char *key = xasprintf("%s/%s", c->id, n->name);
        char hostif[NET_IFNAMSIZ], mac[18];

        net_ifname("bv", key, hostif);
        snprintf(mac, sizeof(mac), "02:42:%02x:%02x:%02x:%02x", ip >> 24, (ip >> 16) & 0xff,
                 (ip >> 8) & 0xff, ip & 0xff);
        jsonx_add_str(o, "Network", n->name);
        jsonx_add_str(o, "NetworkID", id);
        add_ip(o, "IPAddress", ip);
        jsonx_add_int(o, "PrefixLen", n->subnet.len);
        add_ip(o, "Gateway", n->gateway);
        jsonx_add_str(o, "MacAddress", mac);
        jsonx_add_str(o, "Bridge", br);
        jsonx_add_str(o, "HostIf", hostif);
        jsonx_add_str(o, "IpamDir", p->ipam_dir);
        json_object_object_add(o, "Aliases", jsonx_strv(aliases));
        json_object_object_add(o, "Dns", json_object_new_boolean(strcmp(n->name,
                                                                         NETWORK_DEFAULT) != 0));
        return o;
}

json_object *
cmd_container_net_record(const struct cli_globals *g)
{
        struct network_paths p = { 0 };
        json_object *o = json_object_new_object();

        network_paths_init(g, &p);
        jsonx_add_str(o, "IpamDir", p.ipam_dir);
        jsonx_add_str(o, "NatDir", p.nat_dir);
        jsonx_add_str(o, "Table", p.table);
        json_object_object_add(o, "Endpoints", json_object_new_array());
        network_paths_release(&p);
        return o;
}

static int
lease(const struct network_paths *p, const struct ctr *c, const char *network, const char *ip,
      char *const *aliases, uint32_t *ret, struct err *err)
{
        struct ipam_lease_request lr = { .owner = c->id };
        cleanup_strv char **names = NULL, **dns = NULL;
        json_object *d = jsonx_get_type(jsonx_get(c->config, "HostConfig"), "Dns",
                                        json_type_array);
        int r = ip ? net_ip4_parse(ip, &lr.ip, err) : 0;

        /* the responder forwards what it does not know to the container's --dns servers */
        dns = d ? jsonx_to_strv(d) : NULL;
        lr.dns = dns;

        if (strcmp(network, NETWORK_DEFAULT) != 0) { /* no names on the default bridge */
                strv_add(&names, c->name);
                strv_foreach(a, aliases)
                        strv_add(&names, a);
        }
        lr.names = names;
        if (r == 0)
                r = ipam_lease(p->ipam_dir, network, &lr, ret, err);
        return r;
}

int
cmd_container_net_endpoint(const struct cli_globals *g, const struct ctr *c,
                           const char *network, const char *ip, char *const *aliases,
                           json_object **ret, struct err *err)
{
        struct network_paths p = { 0 };
        struct ipam_network *n = NULL;
        cleanup_free char *id = NULL;
        char br[NET_IFNAMSIZ];
        uint32_t addr = 0;
        int r = strcmp(network, NETWORK_DEFAULT) == 0 ? network_default_ensure(g, err)
                                                      : network_ensure(g, network, err);

        network_paths_init(g, &p);
        if (r == 0)
                r = meta_of(&p, network, br, &id, err);
        if (r == 0)
                r = lease(&p, c, network, ip, aliases, &addr, err);
        if (r == 0)
                r = ipam_network_load(p.ipam_dir, network, &n, err);
        if (r == 0)
                *ret = endpoint_json(&p, c, n, addr, br, id, aliases);
        else if (r != -EEXIST && addr)
                ipam_release(p.ipam_dir, network, c->id, &(struct err){ 0 });
        ipam_network_free(n);
        network_paths_release(&p);
        return r;
}

/* ---- --network values ------------------------------------------------------------------- */

struct ep_req {
        char *network, *ip;
        char **aliases;
};

static void
reqs_free(struct ep_req *q, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(q[i].network);
                free(q[i].ip);
                strv_free(q[i].aliases);
        }
        free(q);
}

/* parse_field: one key=value of docker's `--network name=NET,alias=A,ip=IP`. */
static int
parse_field(const char *spec, const char *f, struct ep_req *q, struct err *err)
{
        const char *eq = strchr(f, '=');
        size_t kl = eq ? (size_t)(eq - f) : 0;

        if (!eq || !eq[1])
                return err_setf(err, -EINVAL, "invalid --network '%s': '%s' is not key=value",
                                spec, f);
        if (kl == 4 && strncmp(f, "name", 4) == 0 && !q->network)
                q->network = xstrdup(eq + 1);
        else if (kl == 5 && strncmp(f, "alias", 5) == 0)
                strv_add(&q->aliases, eq + 1);
        else if (kl == 2 && strncmp(f, "ip", 2) == 0 && !q->ip)
                q->ip = xstrdup(eq + 1);
        else
                return err_setf(err, -ENOTSUP, "--network '%s': '%.*s' is not supported (name, "
                                "alias and ip are)", spec, (int)kl, f);
        return 0;
}

/* parse_spec: NAME, or docker's advanced form name=NAME[,alias=A]...[,ip=IP]. */
static int
parse_spec(const char *spec, struct ep_req *q, struct err *err)
{
        cleanup_strv char **fields = NULL;
        int r = 0;

        if (!strchr(spec, '=')) {
                q->network = xstrdup(spec);
        } else {
                fields = strv_split(spec, ",");
                for (size_t i = 0; fields && fields[i] && r == 0; i++)
                        r = parse_field(spec, fields[i], q, err);
                if (r == 0 && !q->network)
                        r = err_setf(err, -EINVAL, "invalid --network '%s': no name=", spec);
        }
        if (r == 0 && strcmp(q->network, "default") == 0) {
                free(q->network);
                q->network = xstrdup(NETWORK_DEFAULT);
        }
        return r;
}

static bool
is_mode(const char *s)
{
        return !strcmp(s, "none") || !strcmp(s, "host") || !strncmp(s, "container:", 10);
}

/* check_default: docker's rules for the default bridge. */
static int
check_default(const struct ep_req *q, struct err *err)
{
        if (strcmp(q->network, NETWORK_DEFAULT) != 0)
                return 0;
        if (q->aliases)
                return err_setf(err, -EINVAL, "network-scoped aliases are only supported for "
                                "user-defined networks");
        if (q->ip)
                return err_setf(err, -EINVAL, "user specified IP address is supported on user "
                                "defined networks only");
        return 0;
}

/* plan: the endpoints cn asks for (none for none/host/container:ID, the default bridge when
 * cn names no network), --ip and --network-alias folded into the first. */
static int
plan(const struct cmd_container_net *cn, struct ep_req **ret, size_t *ret_n, struct err *err)
{
        size_t n = strv_length(cn->networks);
        struct ep_req *q = xcalloc(n ? n : 1, sizeof(*q));
        int r = 0;

        if (n == 0)
                q[0].network = xstrdup(NETWORK_DEFAULT);
        for (size_t i = 0; i < n && r == 0; i++)
                r = parse_spec(cn->networks[i], &q[i], err);
        for (size_t i = 0; i < n && r == 0; i++)
                for (size_t j = 0; j < i && r == 0; j++)
                        if (strcmp(q[i].network, q[j].network) == 0)
                                r = err_setf(err, -EINVAL, "network %s given twice",
                                             q[i].network);
        if (r == 0 && cn->ip && q[0].ip)
                r = err_setf(err, -EINVAL, "--ip and ip= of the first --network conflict");
        if (r == 0 && cn->ip)
                q[0].ip = xstrdup(cn->ip);
        strv_foreach(a, cn->aliases)
                strv_add(&q[0].aliases, a);
        for (size_t i = 0; i < (n ? n : 1) && r == 0; i++)
                r = check_default(&q[i], err);
        if (r < 0) {
                reqs_free(q, n ? n : 1);
                return r;
        }
        *ret = q;
        *ret_n = n ? n : 1;
        return 0;
}

/* check_mode: none, host or container:ID given: alone, and without what they exclude. */
static int
check_mode(const struct cmd_container_net *cn, const char *mode, struct err *err)
{
        bool peer = strncmp(mode, "container:", 10) == 0;

        if (strv_length(cn->networks) > 1)
                return err_setf(err, -EINVAL, "conflicting options: cannot attach both "
                                "user-defined and non-user-defined network-modes");
        if (peer && cn->ports)
                return err_setf(err, -EINVAL, "conflicting options: port publishing and the "
                                "container type network mode");
        if (cn->ports)
                return err_setf(err, -EINVAL, "-p has no effect with --network %s: publishing "
                                "needs a bridge network", mode);
        if (cn->ip || cn->aliases)
                return err_setf(err, -EINVAL, "%s needs a user-defined network (not %s)",
                                cn->ip ? "--ip" : "--network-alias", mode);
        return 0;
}

int
cmd_container_net_mode(const struct cli_globals *g, const struct cmd_container_net *cn,
                       char **ret, struct err *err)
{
        struct ep_req *q = NULL;
        struct ctr *peer = NULL;
        size_t n = 0;
        int r;

        for (size_t i = 0; cn->networks && cn->networks[i]; i++) {
                if (!is_mode(cn->networks[i]))
                        continue;
                r = check_mode(cn, cn->networks[i], err);
                if (r < 0 || strncmp(cn->networks[i], "container:", 10) != 0) {
                        *ret = r < 0 ? NULL : xstrdup(cn->networks[i]);
                        return r;
                }
                r = ctr_open(g->root, g->run_root, cn->networks[i] + 10, &peer, err);
                if (r == 0)
                        *ret = xasprintf("container:%s", peer->id);
                ctr_free(peer);
                return r;
        }
        r = plan(cn, &q, &n, err);
        if (r == 0)
                *ret = xstrdup(q[0].network);
        reqs_free(q, n);
        return r;
}

/* join: every endpoint of q into rec, then the ports to the first address. */
static int
join(const struct cli_globals *g, const struct ctr *c, const struct ep_req *q, size_t n,
     char *const *ports, json_object *rec, struct err *err)
{
        struct network_paths p = { 0 };
        json_object *eps = ctr_net_endpoints(rec);
        const char *ip0;
        uint32_t ip = 0;
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++) {
                json_object *ep = NULL;
                r = cmd_container_net_endpoint(g, c, q[i].network, q[i].ip, q[i].aliases, &ep,
                                               err);
                if (r == 0)
                        json_object_array_add(eps, ep);
        }
        if (r < 0)
                return r;
        ip0 = jsonx_str(json_object_array_get_idx(eps, 0), "IPAddress");
        jsonx_add_str(rec, "PortsIP", ip0);
        r = ctr_net_write(c, rec, err);
        network_paths_init(g, &p);
        if (r == 0)
                r = net_ip4_parse(ip0, &ip, err);
        if (r == 0)
                r = publish(&p, c, ip, ports, err);
        network_paths_release(&p);
        return r;
}

int
cmd_container_net_join(const struct cli_globals *g, const struct ctr *c,
                       const struct cmd_container_net *cn, struct err *err)
{
        struct ep_req *q = NULL;
        json_object *rec;
        size_t n = 0;
        int r;

        strv_foreach(s, cn->networks)
                if (is_mode(s))
                        return 0;
        r = plan(cn, &q, &n, err);
        if (r < 0)
                return r;
        rec = cmd_container_net_record(g);
        r = join(g, c, q, n, cn->ports, rec, err);
        if (r < 0) {
                /* leases or ports without the record would never be freed */
                json_object *eps = ctr_net_endpoints(rec);
                struct err e = { 0 };
                net_nat_ports_unset(&(struct net_nat){ jsonx_str(rec, "NatDir"),
                                                       jsonx_str(rec, "Table") }, c->id, &e);
                for (size_t i = 0; i < json_object_array_length(eps); i++)
                        ctr_net_endpoint_leave(c, rec, json_object_array_get_idx(eps, i), &e);
                ctr_net_leave(c, 0, &e);
        }
        json_object_put(rec);
        reqs_free(q, n);
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
        json_object *o = NULL, *eps;
        int r = ctr_net_read(c, &o, err);

        eps = o ? ctr_net_endpoints(o) : NULL;
        for (size_t i = 0; r == 0 && eps && i < json_object_array_length(eps); i++) {
                const char *net = jsonx_str(json_object_array_get_idx(eps, i), "Network");
                if (net && strcmp(net, NETWORK_DEFAULT) == 0)
                        r = network_default_ensure(g, err);
                else if (net)
                        r = network_ensure(g, net, err);
        }
        json_object_put(o);
        return r;
}

/* ports_json: docker's NetworkSettings.Ports: {"80/tcp": [{"HostIp", "HostPort"}], …}. */
static json_object *
ports_json(const struct ctr *c)
{
        json_object *o = json_object_new_object();
        struct net_port_map *maps = NULL;
        size_t n = 0;

        if (ports_of(c, &maps, &n, &(struct err){ 0 }) < 0)
                n = 0;
        for (size_t i = 0; i < n; i++) {
                const struct net_port_map *m = &maps[i];
                for (unsigned k = 0; k <= (unsigned)(m->port_end - m->port); k++) {
                        char key[32], hp[8], hip[NET_IP4_STRLEN];
                        json_object *arr, *b = json_object_new_object();
                        snprintf(key, sizeof(key), "%u/%s", m->port + k,
                                 net_proto_name(m->proto));
                        snprintf(hp, sizeof(hp), "%u", m->host_port + k);
                        net_ip4_format(m->host_ip, hip);
                        jsonx_add_str(b, "HostIp", hip);
                        jsonx_add_str(b, "HostPort", hp);
                        if (!json_object_object_get_ex(o, key, &arr)) {
                                arr = json_object_new_array();
                                json_object_object_add(o, key, arr);
                        }
                        json_object_array_add(arr, b);
                }
        }
        free(maps);
        return o;
}

static void
str_or_empty(json_object *o, const char *key, json_object *ep, const char *from)
{
        const char *v = ep ? jsonx_str(ep, from) : NULL;

        jsonx_add_str(o, key, v ? v : "");
}

/* endpoint_settings: docker's NetworkSettings.Networks[NAME] of one endpoint. */
static json_object *
endpoint_settings(const struct ctr *c, json_object *ep)
{
        json_object *o = json_object_new_object();
        json_object *aliases = jsonx_get_type(ep, "Aliases", json_type_array);
        json_object *names = json_object_new_array();
        const char *net = jsonx_str(ep, "Network");
        bool dflt = net && strcmp(net, NETWORK_DEFAULT) == 0;

        json_object_object_add(o, "IPAMConfig", NULL);
        json_object_object_add(o, "Links", NULL);
        json_object_object_add(o, "Aliases", aliases && !dflt ? json_object_get(aliases) : NULL);
        str_or_empty(o, "MacAddress", ep, "MacAddress");
        json_object_object_add(o, "DriverOpts", NULL);
        str_or_empty(o, "NetworkID", ep, "NetworkID");
        str_or_empty(o, "EndpointID", ep, "HostIf");
        str_or_empty(o, "Gateway", ep, "Gateway");
        str_or_empty(o, "IPAddress", ep, "IPAddress");
        jsonx_add_int(o, "IPPrefixLen", jsonx_int(ep, "PrefixLen", 0));
        jsonx_add_str(o, "IPv6Gateway", "");
        jsonx_add_str(o, "GlobalIPv6Address", "");
        jsonx_add_int(o, "GlobalIPv6PrefixLen", 0);
        if (!dflt) {
                json_object_array_add(names, json_object_new_string(c->name));
                for (size_t i = 0; aliases && i < json_object_array_length(aliases); i++)
                        json_object_array_add(names, json_object_get(
                                json_object_array_get_idx(aliases, i)));
        }
        json_object_object_add(o, "DNSNames", dflt ? (json_object_put(names), NULL) : names);
        return o;
}

/* legacy: the top-level IPAddress/Gateway/… docker fills from the default bridge. */
static void
legacy(json_object *o, json_object *ep)
{
        static const char *const keys[][2] = { { "Gateway", "Gateway" },
                                               { "IPAddress", "IPAddress" },
                                               { "MacAddress", "MacAddress" },
                                               { "EndpointID", "HostIf" } };

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                const char *v = ep ? jsonx_str(ep, keys[i][1]) : NULL;
                jsonx_add_str(o, keys[i][0], v ? v : "");
        }
        jsonx_add_int(o, "IPPrefixLen", ep ? jsonx_int(ep, "PrefixLen", 0) : 0);
        jsonx_add_str(o, "GlobalIPv6Address", "");
        jsonx_add_int(o, "GlobalIPv6PrefixLen", 0);
        jsonx_add_str(o, "IPv6Gateway", "");
}

json_object *
cmd_container_net_settings(const struct ctr *c)
{
        json_object *o = json_object_new_object(), *nets = json_object_new_object();
        json_object *rec = NULL, *eps, *dflt = NULL;
        const char *mode = jsonx_str(jsonx_get(c->config, "HostConfig"), "NetworkMode");

        ctr_net_read(c, &rec, &(struct err){ 0 });
        eps = rec ? ctr_net_endpoints(rec) : NULL;
        jsonx_add_str(o, "Bridge", "");
        jsonx_add_str(o, "SandboxID", c->id);
        jsonx_add_str(o, "SandboxKey", "");
        json_object_object_add(o, "Ports", ports_json(c));
        for (size_t i = 0; eps && i < json_object_array_length(eps); i++) {
                json_object *ep = json_object_array_get_idx(eps, i);
                const char *net = jsonx_str(ep, "Network");
                if (!net)
                        continue;
                json_object_object_add(nets, net, endpoint_settings(c, ep));
                if (strcmp(net, NETWORK_DEFAULT) == 0)
                        dflt = ep;
        }
        if (mode && (!strcmp(mode, "none") || !strcmp(mode, "host")))
                json_object_object_add(nets, mode, endpoint_settings(c, NULL));
        legacy(o, dflt);
        json_object_object_add(o, "Networks", nets);
        json_object_put(rec);
        return o;
}

char *
cmd_container_networks_text(const struct ctr *c)
{
        json_object *rec = NULL, *eps;
        const char *mode = jsonx_str(jsonx_get(c->config, "HostConfig"), "NetworkMode");
        struct sbuf sb = SBUF_INIT;

        ctr_net_read(c, &rec, &(struct err){ 0 });
        eps = rec ? ctr_net_endpoints(rec) : NULL;
        for (size_t i = 0; eps && i < json_object_array_length(eps); i++) {
                const char *net = jsonx_str(json_object_array_get_idx(eps, i), "Network");
                if (net)
                        sbuf_addf(&sb, "%s%s", sb.len ? "," : "", net);
        }
        if (!eps && mode && strncmp(mode, "container:", 10) != 0)
                sbuf_adds(&sb, mode);
        json_object_put(rec);
        return sbuf_detach(&sb);
}
