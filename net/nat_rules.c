/* nat_rules: berth's whole nftables table, generated from the NAT state, as `nft -f` input.
 *
 * The batch is "table ip T; delete table ip T; table ip T { ... }": nft applies a file as
 * one transaction, so the table is replaced atomically and nothing outside it is read or
 * changed. The layout:
 *
 *   set bridges, set gateways      the berth bridges and their addresses
 *   map ports_ip                   host ip . proto . port  : container ip . port
 *   map ports_any                  proto . port            : container ip . port
 *   chain ports                    DNAT through the maps (one lookup, whatever the count);
 *                                  queries from a bridge to its own gateway's port 53 are
 *                                  left alone so a published 53/udp cannot hide berth's DNS
 *   chain prerouting / output      nat hooks at dstnat priority, both jump to ports
 *                                  (output: so 127.0.0.1:PORT works from the host)
 *   chain postrouting              masquerade a subnet leaving through another interface
 *                                  (not for internal networks); masquerade 127.0.0.0/8
 *                                  sources DNATed into a bridge (needs route_localnet on
 *                                  that bridge) and hairpin traffic DNATed back into the
 *                                  bridge it came from
 *   chain forward                  internal networks neither route out nor in; berth
 *                                  networks do not route into one another. Policy accept:
 *                                  other tools' traffic is never dropped here.
 */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

struct elem {
        uint32_t host_ip;
        enum net_proto proto;
        uint16_t host_port;
        uint32_t ip;
        uint16_t port;
};

struct elems {
        struct elem *v;
        size_t n, cap;
};

static bool
elem_dup(const struct elems *es, const struct elem *e)
{
        for (size_t i = 0; i < es->n; i++) {
                if (es->v[i].host_ip == e->host_ip && es->v[i].proto == e->proto &&
                    es->v[i].host_port == e->host_port)
                        return true;
        }
        return false;
}

/* collect: every published port, one element per host port; a host port published twice
 * (state edited by hand) keeps its first owner so the table still loads. */
static void
collect(const struct net_nat_state *st, bool any, struct elems *es)
{
        for (size_t i = 0; i < st->n_ports; i++) {
                const struct net_nat_ports *p = &st->ports[i];

                for (size_t j = 0; j < p->n; j++) {
                        const struct net_port_map *m = &p->maps[j];

                        if ((m->host_ip == 0) != any || m->host_port == 0)
                                continue;
                        for (unsigned k = 0; k <= (unsigned)(m->port_end - m->port); k++) {
                                struct elem e = {m->host_ip, m->proto,
                                                 (uint16_t)(m->host_port + k), p->container_ip,
                                                 (uint16_t)(m->port + k)};

                                if (elem_dup(es, &e))
                                        continue;
                                GROW(es->v, es->cap, es->n + 1);
                                es->v[es->n++] = e;
                        }
                }
        }
}

static void
emit_map(struct sbuf *out, const char *name, const struct elems *es, bool any)
{
        char a[NET_IP4_STRLEN], c[NET_IP4_STRLEN];

        sbuf_addf(out, "  map %s {\n    type %sinet_proto . inet_service : ipv4_addr . inet_service\n",
                  name, any ? "" : "ipv4_addr . ");
        sbuf_adds(out, "    elements = {");
        for (size_t i = 0; i < es->n; i++) {
                const struct elem *e = &es->v[i];

                net_ip4_format(e->host_ip, a);
                net_ip4_format(e->ip, c);
                sbuf_addf(out, "%s\n      %s%s%s . %u : %s . %u", i ? "," : "", any ? "" : a,
                          any ? "" : " . ", net_proto_name(e->proto), e->host_port, c, e->port);
        }
        sbuf_adds(out, " }\n  }\n");
}

static void
emit_sets(struct sbuf *out, const struct net_nat_state *st)
{
        char g[NET_IP4_STRLEN];

        if (!st->n_nets)
                return;
        sbuf_adds(out, "  set bridges {\n    type ifname\n    elements = {");
        for (size_t i = 0; i < st->n_nets; i++)
                sbuf_addf(out, "%s \"%s\"", i ? "," : "", st->nets[i].bridge);
        sbuf_adds(out, " }\n  }\n  set gateways {\n    type ipv4_addr\n    elements = {");
        for (size_t i = 0; i < st->n_nets; i++) {
                net_ip4_format(st->nets[i].gateway, g);
                sbuf_addf(out, "%s %s", i ? "," : "", g);
        }
        sbuf_adds(out, " }\n  }\n");
}

static void
emit_dnat(struct sbuf *out, const struct net_nat_state *st, const struct elems *ip,
          const struct elems *any)
{
        if (ip->n)
                emit_map(out, "ports_ip", ip, false);
        if (any->n)
                emit_map(out, "ports_any", any, true);
        sbuf_adds(out, "  chain ports {\n");
        if (st->n_nets)
                sbuf_adds(out, "    iifname @bridges ip daddr @gateways "
                               "meta l4proto . th dport { udp . 53, tcp . 53 } return\n");
        if (ip->n)
                sbuf_adds(out, "    dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n");
        if (any->n)
                sbuf_adds(out, "    fib daddr type local dnat ip to meta l4proto . th dport "
                               "map @ports_any\n");
        sbuf_adds(out, "  }\n"
                       "  chain prerouting {\n"
                       "    type nat hook prerouting priority dstnat; policy accept;\n"
                       "    jump ports\n  }\n"
                       "  chain output {\n"
                       "    type nat hook output priority -100; policy accept;\n"
                       "    jump ports\n  }\n");
}

static void
emit_postrouting(struct sbuf *out, const struct net_nat_state *st)
{
        char s[NET_PFX_STRLEN];

        sbuf_adds(out, "  chain postrouting {\n"
                       "    type nat hook postrouting priority srcnat; policy accept;\n");
        for (size_t i = 0; i < st->n_nets; i++) {
                const struct net_nat_network *n = &st->nets[i];

                net_prefix_format(&n->subnet, s);
                if (!n->internal)
                        sbuf_addf(out, "    ip saddr %s oifname != \"%s\" masquerade\n", s,
                                  n->bridge);
                sbuf_addf(out, "    oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n", n->bridge);
                sbuf_addf(out, "    oifname \"%s\" ip saddr %s ct status dnat masquerade\n",
                          n->bridge, s);
        }
        sbuf_adds(out, "  }\n");
}

static void
emit_forward(struct sbuf *out, const struct net_nat_state *st)
{
        sbuf_adds(out, "  chain forward {\n"
                       "    type filter hook forward priority filter; policy accept;\n");
        for (size_t i = 0; i < st->n_nets; i++) {
                const char *b = st->nets[i].bridge;

                if (st->nets[i].internal)
                        sbuf_addf(out,
                                  "    iifname \"%s\" oifname != \"%s\" drop\n"
                                  "    oifname \"%s\" iifname != \"%s\" drop\n",
                                  b, b, b, b);
                else if (st->n_nets > 1)
                        sbuf_addf(out, "    iifname \"%s\" oifname @bridges oifname != \"%s\" drop\n",
                                  b, b);
        }
        sbuf_adds(out, "  }\n");
}

void
net_nat_ruleset(const char *table, const struct net_nat_state *st, struct sbuf *out)
{
        struct elems ip = {0}, any = {0};

        /* "add" then "delete" makes the delete safe when the table does not exist yet */
        sbuf_addf(out, "add table ip %s\ndelete table ip %s\n", table, table);
        if (!st->n_nets && !st->n_ports)
                return;
        collect(st, false, &ip);
        collect(st, true, &any);
        sbuf_addf(out, "table ip %s {\n", table);
        emit_sets(out, st);
        emit_dnat(out, st, &ip, &any);
        emit_postrouting(out, st);
        emit_forward(out, st);
        sbuf_adds(out, "}\n");
        free(ip.v);
        free(any.v);
}
