/* dns: a small DNS responder for one network, in the spirit of docker's embedded DNS and
 * podman's aardvark-dns.
 *
 * It answers A queries for the names of the endpoints on its network (container names,
 * service names, aliases; several endpoints may share a name, as replicas of a service do,
 * and the answer rotates through them: round-robin), PTR queries for their addresses, and
 * an empty NOERROR for other types of a known name (so a resolver asking AAAA does not
 * wait). Everything else is forwarded over UDP to the upstream resolvers: the querying
 * endpoint's own (`dns:`), else the network's. The responder is a library loop over a bound
 * UDP socket (net_dns_serve); whether it runs as a small per-network process or inside a
 * monitor is the caller's choice. Listening on the bridge's gateway address in the host
 * netns means upstreams such as 127.0.0.53 stay reachable.
 *
 * The packet helpers below are pure and used by the tests. The container's own resolver
 * files (/etc/resolv.conf, /etc/hosts) are rendered here too.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sbuf.h"

#define DNS_NAME_MAX     255 /* presentation form, without the trailing dot */
#define DNS_UDP_MAX      512 /* our own answers fit a plain (non-EDNS) UDP response */
#define DNS_FWD_MAX      4096 /* forwarded responses (EDNS sizes) */
#define DNS_TABLE_MAX    65536 /* name/address entries */
#define DNS_UPSTREAM_MAX 8

enum {
        DNS_TYPE_A = 1,
        DNS_TYPE_PTR = 12,
        DNS_TYPE_AAAA = 28,
        DNS_TYPE_ANY = 255,
        DNS_CLASS_IN = 1,
        DNS_RCODE_NOERROR = 0,
        DNS_RCODE_FORMERR = 1,
        DNS_RCODE_SERVFAIL = 2,
        DNS_RCODE_NXDOMAIN = 3,
        DNS_RCODE_NOTIMP = 4,
        DNS_RCODE_REFUSED = 5,
};

/* ---- the name table ---------------------------------------------------------------- */

struct net_dns_table;

struct net_dns_table *net_dns_table_new(void);
struct net_dns_table *net_dns_table_free(struct net_dns_table *t);
/* net_dns_table_add: name (case-insensitive, a trailing dot ignored) resolves to ip; -E2BIG
 * past DNS_TABLE_MAX, -EINVAL for a name that is not a valid DNS name. */
int net_dns_table_add(struct net_dns_table *t, const char *name, uint32_t ip);
/* net_dns_table_set_upstreams: queries from client use these resolvers (its `dns:`). */
int net_dns_table_set_upstreams(struct net_dns_table *t, uint32_t client,
                                const struct sockaddr_in *up, size_t n);
/* net_dns_table_upstreams: client's own resolvers (borrowed), or 0 when it has none. */
size_t net_dns_table_upstreams(const struct net_dns_table *t, uint32_t client,
                               const struct sockaddr_in **ret);
/* net_dns_table_load: the table of a network's IPAM record (net/ipam.h): every lease's
 * names, and its dns servers as that client's upstreams. A container on several networks
 * resolves the names of all of them through its first network's responder (as with docker's
 * embedded DNS): for each lease whose owner also has a lease on another network of the
 * record's directory, that network's names are added to the lease address's scope. */
int net_dns_table_load(const char *ipam_record, struct net_dns_table **ret, struct err *err);
/* net_dns_table_scoped: the names only client sees (its other networks), or NULL. */
const struct net_dns_table *net_dns_table_scoped(const struct net_dns_table *t, uint32_t client);
/* net_dns_table_lookup: the addresses of name (in insertion order), or 0 if unknown. */
size_t net_dns_table_lookup(const struct net_dns_table *t, const char *name,
                            const uint32_t **ret);

/* ---- packets (pure) ------------------------------------------------------------------ */

struct net_dns_question {
        uint16_t id;
        uint16_t flags;
        char name[DNS_NAME_MAX + 1]; /* presentation form, lower case, no trailing dot */
        uint16_t type, cls;
        size_t end; /* offset just past the question in the packet */
};

/* net_dns_parse_query: a query with exactly one question; -EBADMSG otherwise (responses,
 * truncated packets, compression in the question, labels past the limits). */
int net_dns_parse_query(const uint8_t *pkt, size_t len, struct net_dns_question *q);
/* net_dns_encode_query: a recursive query for name/type into out; returns its length or
 * -EINVAL / -ENOBUFS. */
int net_dns_encode_query(uint16_t id, const char *name, uint16_t type, uint8_t *out,
                         size_t cap);
/* net_dns_answer: the response to q (whose packet is pkt[0..len)) from the table: returns
 * the response length, 0 when the name is not the table's (forward it), <0 on error.
 * rotate picks where the round-robin starts. */
int net_dns_answer(const struct net_dns_table *t, const struct net_dns_question *q,
                   const uint8_t *pkt, unsigned rotate, uint8_t *out, size_t cap);
/* net_dns_error_reply: a header-and-question response with rcode (SERVFAIL, FORMERR...). */
int net_dns_error_reply(const uint8_t *pkt, size_t len, int rcode, uint8_t *out, size_t cap);
/* net_dns_parse_response: rcode and up to max A addresses of a response to id. */
int net_dns_parse_response(const uint8_t *pkt, size_t len, uint16_t id, int *ret_rcode,
                           uint32_t *addrs, size_t max, size_t *ret_n);

/* ---- the responder loop ---------------------------------------------------------------- */

struct net_dns_server_config {
        int fd;                  /* a bound UDP socket (net_dns_listen); not closed */
        const char *table_path;  /* IPAM record reloaded when it changes; or NULL and */
        const struct net_dns_table *table; /* a fixed table (borrowed) */
        const struct sockaddr_in *upstreams; /* the network's resolvers */
        size_t n_upstreams;
        int stop_fd;             /* readable (or -1 never): return 0 */
        unsigned timeout_ms;     /* per upstream attempt; 0: 2000 */
};

/* net_dns_listen: a UDP socket bound to addr:port (SO_REUSEADDR). */
int net_dns_listen(uint32_t addr, uint16_t port, int *ret_fd, struct err *err);
/* net_dns_serve: answer until stop_fd is readable. A table that fails to reload keeps the
 * previous one. Unanswerable queries get SERVFAIL once every upstream timed out. */
int net_dns_serve(const struct net_dns_server_config *cfg, struct err *err);
/* net_dns_resolv_upstreams: the IPv4 nameservers of a resolv.conf file (at most max). */
int net_dns_resolv_upstreams(const char *path, struct sockaddr_in *ret, size_t max,
                             size_t *ret_n, struct err *err);

/* ---- the container's resolver files (resolv.c) ------------------------------------------ */

/* What resolv.conf(5) says; owned strvs (NULL when empty). */
struct net_resolv {
        char **nameservers;
        char **search; /* "search" and "domain" lines */
        char **options;
};

/* net_resolv_read: parse a resolv.conf (the host's, to inherit its search list, or to find
 * upstreams). Unknown lines are ignored; -E2BIG past 64 KiB or 64 entries of a kind. */
int net_resolv_read(const char *path, struct net_resolv *ret, struct err *err);
void net_resolv_release(struct net_resolv *r);
/* net_resolv_render: the container's /etc/resolv.conf. The caller decides the content as
 * docker does: nameservers = the network's responder (its gateway) when the container is on
 * a berth network, else `dns:` or the host's; search = `dns_search` or the host's;
 * options = `dns_opt`. */
void net_resolv_render(const struct net_resolv *r, struct sbuf *out);

struct net_hosts {
        const char *own_ip;        /* the container's address on its first network, or NULL */
        char *const *own_names;    /* hostname, then aliases */
        char *const *extra_hosts;  /* `extra_hosts`: "name:ip" or "name=ip" */
        const char *host_gateway;  /* what "host-gateway" means (the bridge's gateway), or NULL */
};

/* net_hosts_render: the container's /etc/hosts: loopback entries, extra_hosts, own entry.
 * -EINVAL names a malformed extra_hosts entry. */
int net_hosts_render(const struct net_hosts *h, struct sbuf *out, struct err *err);
