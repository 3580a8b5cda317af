/* nat_rules: berth's whole nftables table, generated from the NAT state, as `nft -f` input.
 *
 * The table is a fixed skeleton plus one statement per item of the state (a network's set
 * elements and rules, a published port's map element):
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
 *
 * net_nat_ruleset replaces the table in one batch ("add table; delete table; table {…}" then
 * every statement): nft applies a file as one transaction, atomically. Because each item is
 * its own statement, a change that only adds items (a network created, a port published)
 * can instead be applied as just the new statements (nat.c): deleting anything from
 * nftables makes the transaction wait for an RCU grace period (10-20 ms here), adding does
 * not.
 */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strv.h"

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

/* the skeleton: sets, maps and chains that every statement refers to */
static const char SKELETON[] =
        "  set bridges {\n    type ifname\n  }\n"
        "  set gateways {\n    type ipv4_addr\n  }\n"
        "  map ports_ip {\n"
        "    type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service\n  }\n"
        "  map ports_any {\n    type inet_proto . inet_service : ipv4_addr . inet_service\n  }\n"
        "  chain ports {\n"
        "    iifname @bridges ip daddr @gateways meta l4proto . th dport { udp . 53, tcp . 53 } "
        "return\n"
        "    dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n"
        "    fib daddr type local dnat ip to meta l4proto . th dport map @ports_any\n  }\n"
        "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
        "    jump ports\n  }\n"
        "  chain output {\n    type nat hook output priority -100; policy accept;\n"
        "    jump ports\n  }\n"
        "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
        "  }\n"
        "  chain forward {\n    type filter hook forward priority filter; policy accept;\n  }\n";

static void
network_statements(char ***v, const char *t, const struct net_nat_network *n)
{
        char s[NET_PFX_STRLEN], g[NET_IP4_STRLEN];
        const char *b = n->bridge;

        net_prefix_format(&n->subnet, s);
        net_ip4_format(n->gateway, g);
        strv_push(v, xasprintf("add element ip %s bridges { \"%s\" }", t, b));
        strv_push(v, xasprintf("add element ip %s gateways { %s }", t, g));
        if (!n->internal)
                strv_push(v, xasprintf("add rule ip %s postrouting ip saddr %s oifname != \"%s\" "
                                       "masquerade", t, s, b));
        strv_push(v, xasprintf("add rule ip %s postrouting oifname \"%s\" ip saddr 127.0.0.0/8 "
                               "masquerade", t, b));
        strv_push(v, xasprintf("add rule ip %s postrouting oifname \"%s\" ip saddr %s ct status "
                               "dnat masquerade", t, b, s));
        if (n->internal) {
                strv_push(v, xasprintf("add rule ip %s forward iifname \"%s\" oifname != \"%s\" "
                                       "drop", t, b, b));
                strv_push(v, xasprintf("add rule ip %s forward oifname \"%s\" iifname != \"%s\" "
                                       "drop", t, b, b));
        } else {
                strv_push(v, xasprintf("add rule ip %s forward iifname \"%s\" oifname @bridges "
                                       "oifname != \"%s\" drop", t, b, b));
        }
}

static void
port_statements(char ***v, const char *t, const struct elems *es, bool any)
{
        char a[NET_IP4_STRLEN], c[NET_IP4_STRLEN];

        for (size_t i = 0; i < es->n; i++) {
                const struct elem *e = &es->v[i];

                net_ip4_format(e->host_ip, a);
                net_ip4_format(e->ip, c);
                strv_push(v, xasprintf("add element ip %s %s { %s%s%s . %u : %s . %u }", t,
                                       any ? "ports_any" : "ports_ip", any ? "" : a,
                                       any ? "" : " . ", net_proto_name(e->proto), e->host_port,
                                       c, e->port));
        }
}

char **
net_nat_statements(const char *table, const struct net_nat_state *st)
{
        struct elems ip = {0}, any = {0};
        char **v = NULL;

        for (size_t i = 0; i < st->n_nets; i++)
                network_statements(&v, table, &st->nets[i]);
        collect(st, false, &ip);
        collect(st, true, &any);
        port_statements(&v, table, &ip, false);
        port_statements(&v, table, &any, true);
        free(ip.v);
        free(any.v);
        return v;
}

void
net_nat_ruleset(const char *table, const struct net_nat_state *st, struct sbuf *out)
{
        char **v;

        /* "add" then "delete" makes the delete safe when the table does not exist yet */
        sbuf_addf(out, "add table ip %s\ndelete table ip %s\n", table, table);
        if (!st->n_nets && !st->n_ports)
                return;
        sbuf_addf(out, "table ip %s {\n%s}\n", table, SKELETON);
        v = net_nat_statements(table, st);
        strv_foreach(line, v)
                sbuf_addf(out, "%s\n", line);
        strv_free(v);
}
