/* dns: DNS messages (RFC 1035 section 4: 12-byte header, question, resource records; names
 * as length-prefixed labels, compression pointers 0xC0xx) and the name table of one network.
 *
 * Our answers are authoritative (AA), carry TTL 600 like docker's embedded DNS, point their
 * owner name at the question (0xC00C) and never exceed 512 bytes: a long replica list is cut,
 * not truncated with TC, so no resolver retries over TCP. An EDNS OPT record in a query is
 * accepted and not echoed (RFC 6891 allows a responder without EDNS). PTR names are
 * a.b.c.d.in-addr.arpa. Wire labels holding a '.' or unprintable bytes never match a table
 * name: such queries are forwarded unchanged.
 */
#include "net/dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "net/ipam.h"

#define TTL          600
#define HDR_LEN      12
#define FLAG_QR      0x8000
#define FLAG_AA      0x0400
#define FLAG_TC      0x0200
#define FLAG_RD      0x0100
#define FLAG_RA      0x0080
#define ODD_LABEL_CH '\x7f' /* stands for a '.' inside a wire label */

struct entry {
        char *name;
        uint32_t *ips;
        size_t n;
};

struct client_up {
        uint32_t client;
        struct sockaddr_in up[DNS_UPSTREAM_MAX];
        size_t n;
};

struct net_dns_table {
        struct entry *e;
        size_t n, cap;
        size_t *slots; /* open addressing: index + 1 into e, 0 empty */
        size_t nslots; /* a power of two, at least twice n */
        size_t total;  /* name/address pairs */
        struct client_up *clients;
        size_t n_clients;
        struct scope *scopes; /* names only some clients see (their other networks) */
        size_t n_scopes;
};

struct scope {
        uint32_t client;
        struct net_dns_table *t;
};

struct net_dns_table *
net_dns_table_new(void)
{
        return xcalloc(1, sizeof(struct net_dns_table));
}

struct net_dns_table *
net_dns_table_free(struct net_dns_table *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++) {
                free(t->e[i].name);
                free(t->e[i].ips);
        }
        free(t->e);
        free(t->slots);
        free(t->clients);
        for (size_t i = 0; i < t->n_scopes; i++)
                net_dns_table_free(t->scopes[i].t);
        free(t->scopes);
        free(t);
        return NULL;
}

static uint32_t
hash_name(const char *s)
{
        uint32_t h = 2166136261u; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

static size_t *
find_slot(const struct net_dns_table *t, const char *name)
{
        size_t mask = t->nslots - 1;

        for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
                if (!t->slots[i] || strcmp(t->e[t->slots[i] - 1].name, name) == 0)
                        return &t->slots[i];
        }
}

static void
rehash(struct net_dns_table *t)
{
        free(t->slots);
        t->nslots = t->nslots ? t->nslots * 2 : 16;
        t->slots = xcalloc(t->nslots, sizeof(*t->slots));
        for (size_t i = 0; i < t->n; i++)
                *find_slot(t, t->e[i].name) = i + 1;
}

/* normalize: lower case, no trailing dot; -EINVAL unless a plausible host name. */
static int
normalize(const char *name, char out[DNS_NAME_MAX + 1])
{
        size_t n = strlen(name), label = 0;

        if (n && name[n - 1] == '.')
                n--;
        if (n == 0 || n > 253)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)name[i];

                if (c == '.' ? label == 0 : !(isalnum(c) || c == '-' || c == '_'))
                        return -EINVAL;
                label = c == '.' ? 0 : label + 1;
                if (label > 63)
                        return -EINVAL;
                out[i] = (char)tolower(c);
        }
        out[n] = '\0';
        return 0;
}

int
net_dns_table_add(struct net_dns_table *t, const char *name, uint32_t ip)
{
        char key[DNS_NAME_MAX + 1];
        size_t *slot;
        struct entry *e;

        if (normalize(name, key) < 0)
                return -EINVAL;
        if (t->total >= DNS_TABLE_MAX)
                return -E2BIG;
        if (t->nslots < 2 * (t->n + 1))
                rehash(t);
        slot = find_slot(t, key);
        if (!*slot) {
                GROW(t->e, t->cap, t->n + 1);
                t->e[t->n] = (struct entry){.name = xstrdup(key)};
                *slot = ++t->n;
        }
        e = &t->e[*slot - 1];
        for (size_t i = 0; i < e->n; i++) {
                if (e->ips[i] == ip)
                        return 0;
        }
        e->ips = xreallocarray(e->ips, e->n + 1, sizeof(*e->ips));
        e->ips[e->n++] = ip;
        t->total++;
        return 0;
}

size_t
net_dns_table_lookup(const struct net_dns_table *t, const char *name, const uint32_t **ret)
{
        char key[DNS_NAME_MAX + 1];
        size_t *slot;

        if (!t || !t->nslots || normalize(name, key) < 0)
                return 0;
        slot = find_slot(t, key);
        if (!*slot)
                return 0;
        *ret = t->e[*slot - 1].ips;
        return t->e[*slot - 1].n;
}

/* reverse_lookup: the first name of ip, or NULL. */
static const char *
reverse_lookup(const struct net_dns_table *t, uint32_t ip)
{
        for (size_t i = 0; i < t->n; i++) {
                for (size_t j = 0; j < t->e[i].n; j++) {
                        if (t->e[i].ips[j] == ip)
                                return t->e[i].name;
                }
        }
        return NULL;
}

int
net_dns_table_set_upstreams(struct net_dns_table *t, uint32_t client,
                            const struct sockaddr_in *up, size_t n)
{
        struct client_up *c;

        if (n > DNS_UPSTREAM_MAX)
                return -E2BIG;
        t->clients = xreallocarray(t->clients, t->n_clients + 1, sizeof(*t->clients));
        c = &t->clients[t->n_clients++];
        c->client = client;
        c->n = n;
        memcpy(c->up, up, n * sizeof(*up));
        return 0;
}

size_t
net_dns_table_upstreams(const struct net_dns_table *t, uint32_t client,
                         const struct sockaddr_in **ret)
{
        for (size_t i = 0; t && i < t->n_clients; i++) {
                if (t->clients[i].client == client) {
                        *ret = t->clients[i].up;
                        return t->clients[i].n;
                }
        }
        return 0;
}

static void
lease_upstreams(struct net_dns_table *t, const struct ipam_lease *l)
{
        struct sockaddr_in up[DNS_UPSTREAM_MAX];
        size_t n = 0;

        strv_foreach(s, l->dns) {
                uint32_t a;

                if (n < DNS_UPSTREAM_MAX && net_ip4_parse(s, &a, NULL) == 0)
                        up[n++] = (struct sockaddr_in){.sin_family = AF_INET,
                                                       .sin_port = htons(53),
                                                       .sin_addr.s_addr = htonl(a)};
        }
        if (n)
                net_dns_table_set_upstreams(t, l->ip, up, n);
}

const struct net_dns_table *
net_dns_table_scoped(const struct net_dns_table *t, uint32_t client)
{
        for (size_t i = 0; t && i < t->n_scopes; i++)
                if (t->scopes[i].client == client)
                        return t->scopes[i].t;
        return NULL;
}

/* scope_of: client's own table in t (created empty). */
static struct net_dns_table *
scope_of(struct net_dns_table *t, uint32_t client)
{
        struct net_dns_table *s = (struct net_dns_table *)net_dns_table_scoped(t, client);

        if (s)
                return s;
        t->scopes = xreallocarray(t->scopes, t->n_scopes + 1, sizeof(*t->scopes));
        t->scopes[t->n_scopes++] = (struct scope){ client, net_dns_table_new() };
        return t->scopes[t->n_scopes - 1].t;
}

/* add_other: for each endpoint of own whose owner is also on other, other's names into that
 * endpoint's scope. */
static void
add_other(struct net_dns_table *t, const struct ipam_network *own,
          const struct ipam_network *other)
{
        for (size_t i = 0; i < own->n_leases; i++) {
                struct net_dns_table *s = NULL;

                if (!ipam_lease_find(other, own->leases[i].owner))
                        continue;
                s = scope_of(t, own->leases[i].ip);
                for (size_t j = 0; j < other->n_leases; j++)
                        strv_foreach(name, other->leases[j].names)
                                net_dns_table_add(s, name, other->leases[j].ip);
        }
}

/* load_others: the scopes from the other networks of the record's directory. */
static void
load_others(struct net_dns_table *t, const char *ipam_record, const struct ipam_network *own)
{
        cleanup_free char *dir = xstrdup(ipam_record);
        cleanup_strv char **names = NULL;
        char *slash = strrchr(dir, '/');

        if (!slash || own->n_leases == 0)
                return;
        *slash = '\0';
        if (ipam_network_list(dir, &names, NULL) < 0)
                return;
        strv_foreach(name, names) {
                struct ipam_network *o = NULL;

                if (strcmp(name, own->name) == 0 || ipam_network_load(dir, name, &o, NULL) < 0)
                        continue;
                add_other(t, own, o);
                ipam_network_free(o);
        }
}

int
net_dns_table_load(const char *ipam_record, struct net_dns_table **ret, struct err *err)
{
        struct ipam_network *n = NULL;
        struct net_dns_table *t;
        int r = ipam_network_read(ipam_record, &n, err);

        if (r < 0)
                return r;
        t = net_dns_table_new();
        for (size_t i = 0; i < n->n_leases; i++) {
                /* names that are not host names (odd container names) are simply skipped */
                strv_foreach(name, n->leases[i].names)
                        net_dns_table_add(t, name, n->leases[i].ip);
                lease_upstreams(t, &n->leases[i]);
        }
        load_others(t, ipam_record, n);
        ipam_network_free(n);
        *ret = t;
        return 0;
}

/* ---- wire format ------------------------------------------------------------------------ */

static uint16_t
get16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
        put16(p, (uint16_t)(v >> 16));
        put16(p + 2, (uint16_t)v);
}

/* read_qname: the question's name at pkt[*off] into out (no compression allowed). */
static int
read_qname(const uint8_t *pkt, size_t len, size_t *off, char out[DNS_NAME_MAX + 1])
{
        size_t o = *off, w = 0;

        for (;;) {
                uint8_t l;

                if (o >= len)
                        return -EBADMSG;
                l = pkt[o++];
                if (l == 0)
                        break;
                if (l > 63 || o + l > len || w + l + 1 > DNS_NAME_MAX)
                        return -EBADMSG;
                if (w)
                        out[w++] = '.';
                for (uint8_t i = 0; i < l; i++) {
                        unsigned char c = pkt[o + i];

                        out[w++] = (c == '.' || c < 0x21 || c > 0x7e) ? ODD_LABEL_CH
                                                                        : (char)tolower(c);
                }
                o += l;
        }
        out[w] = '\0';
        *off = o;
        return 0;
}

int
net_dns_parse_query(const uint8_t *pkt, size_t len, struct net_dns_question *q)
{
        size_t off = HDR_LEN;

        if (len < HDR_LEN || len > DNS_FWD_MAX)
                return -EBADMSG;
        q->id = get16(pkt);
        q->flags = get16(pkt + 2);
        if ((q->flags & FLAG_QR) || get16(pkt + 4) != 1 || get16(pkt + 6) || get16(pkt + 8))
                return -EBADMSG;
        if (read_qname(pkt, len, &off, q->name) < 0 || off + 4 > len)
                return -EBADMSG;
        q->type = get16(pkt + off);
        q->cls = get16(pkt + off + 2);
        q->end = off + 4;
        return 0;
}

int
net_dns_encode_query(uint16_t id, const char *name, uint16_t type, uint8_t *out, size_t cap)
{
        size_t n = strlen(name), o = HDR_LEN;
        const char *p = name;

        if (n && name[n - 1] == '.')
                n--;
        if (n == 0 || n > 253 || cap < HDR_LEN + n + 6)
                return n == 0 || n > 253 ? -EINVAL : -ENOBUFS;
        memset(out, 0, HDR_LEN);
        put16(out, id);
        put16(out + 2, FLAG_RD);
        put16(out + 4, 1);
        while (p < name + n) {
                size_t l = strcspn(p, ".");

                if (l == 0 || l > 63 || p + l > name + n)
                        return -EINVAL;
                out[o++] = (uint8_t)l;
                memcpy(out + o, p, l);
                o += l;
                p += l + 1;
        }
        out[o++] = 0;
        put16(out + o, type);
        put16(out + o + 2, DNS_CLASS_IN);
        return (int)(o + 4);
}

/* begin_reply: header and question of a response to q; returns the offset after them. */
static size_t
begin_reply(const struct net_dns_question *q, const uint8_t *pkt, int rcode, uint8_t *out)
{
        uint16_t flags = FLAG_QR | FLAG_RA | (q->flags & (FLAG_RD | 0x7800)) | (uint16_t)rcode;

        memset(out, 0, HDR_LEN);
        put16(out, q->id);
        put16(out + 2, flags);
        put16(out + 4, 1);
        memcpy(out + HDR_LEN, pkt + HDR_LEN, q->end - HDR_LEN);
        return q->end;
}

static size_t
put_a(uint8_t *out, size_t o, uint32_t ip)
{
        put16(out + o, 0xc00c); /* the question's name */
        put16(out + o + 2, DNS_TYPE_A);
        put16(out + o + 4, DNS_CLASS_IN);
        put32(out + o + 6, TTL);
        put16(out + o + 10, 4);
        put32(out + o + 12, ip);
        return o + 16;
}

static int
answer_a(const struct net_dns_question *q, const uint8_t *pkt, const uint32_t *ips, size_t n,
         unsigned rotate, uint8_t *out, size_t cap)
{
        size_t o = begin_reply(q, pkt, DNS_RCODE_NOERROR, out), k = 0;
        bool a = q->type == DNS_TYPE_A || q->type == DNS_TYPE_ANY;

        put16(out + 2, get16(out + 2) | FLAG_AA);
        for (size_t i = 0; a && i < n && o + 16 <= cap && o + 16 <= DNS_UDP_MAX; i++, k++)
                o = put_a(out, o, ips[(i + rotate) % n]);
        put16(out + 6, (uint16_t)k);
        return (int)o;
}

/* ptr_addr: the address of "d.c.b.a.in-addr.arpa", or -EINVAL. */
static int
ptr_addr(const char *name, uint32_t *ret)
{
        static const char suffix[] = ".in-addr.arpa";
        size_t n = strlen(name), sl = sizeof(suffix) - 1;
        char buf[NET_IP4_STRLEN];
        uint32_t rev;

        if (n <= sl || n - sl >= sizeof(buf) || strcmp(name + n - sl, suffix) != 0)
                return -EINVAL;
        memcpy(buf, name, n - sl);
        buf[n - sl] = '\0';
        if (net_ip4_parse(buf, &rev, NULL) < 0)
                return -EINVAL;
        *ret = __builtin_bswap32(rev);
        return 0;
}

static int
answer_ptr(const struct net_dns_question *q, const uint8_t *pkt, const char *target,
           uint8_t *out, size_t cap)
{
        size_t o = begin_reply(q, pkt, DNS_RCODE_NOERROR, out);
        size_t tl = strlen(target) + 2; /* wire form: one length byte per label, root 0 */
        uint8_t tmp[DNS_UDP_MAX];
        int w;

        if (o + 12 + tl > cap || o + 12 + tl > DNS_UDP_MAX)
                return -ENOBUFS;
        put16(out + 2, get16(out + 2) | FLAG_AA);
        put16(out + 6, 1);
        put16(out + o, 0xc00c);
        put16(out + o + 2, DNS_TYPE_PTR);
        put16(out + o + 4, DNS_CLASS_IN);
        put32(out + o + 6, TTL);
        put16(out + o + 10, (uint16_t)tl);
        /* encode the target name as a query would, then keep only its name part */
        w = net_dns_encode_query(0, target, 0, tmp, sizeof(tmp));
        if (w < 0)
                return w;
        memcpy(out + o + 12, tmp + HDR_LEN, tl);
        return (int)(o + 12 + tl);
}

int
net_dns_answer(const struct net_dns_table *t, const struct net_dns_question *q,
               const uint8_t *pkt, unsigned rotate, uint8_t *out, size_t cap)
{
        const uint32_t *ips;
        const char *target;
        uint32_t ip;
        size_t n;

        if (q->cls != DNS_CLASS_IN || cap < q->end || q->end > DNS_UDP_MAX)
                return 0;
        if (q->type == DNS_TYPE_PTR && ptr_addr(q->name, &ip) == 0) {
                target = t ? reverse_lookup(t, ip) : NULL;
                return target ? answer_ptr(q, pkt, target, out, cap) : 0;
        }
        n = net_dns_table_lookup(t, q->name, &ips);
        if (n == 0)
                return 0;
        return answer_a(q, pkt, ips, n, rotate, out, cap);
}

int
net_dns_error_reply(const uint8_t *pkt, size_t len, int rcode, uint8_t *out, size_t cap)
{
        struct net_dns_question q = {0};
        size_t off = HDR_LEN;

        if (len < HDR_LEN || cap < HDR_LEN)
                return -EBADMSG;
        q.id = get16(pkt);
        q.flags = get16(pkt + 2);
        q.end = HDR_LEN;
        /* echo the question when it parses, else answer with the header alone */
        if (get16(pkt + 4) == 1 && read_qname(pkt, len, &off, q.name) == 0 && off + 4 <= len &&
            off + 4 <= cap)
                q.end = off + 4;
        begin_reply(&q, pkt, rcode, out);
        if (q.end == HDR_LEN)
                put16(out + 4, 0);
        return (int)q.end;
}

/* skip_name: past a (possibly compressed) name in a response. */
static int
skip_name(const uint8_t *pkt, size_t len, size_t *off)
{
        size_t o = *off;

        for (int guard = 0; guard < 128; guard++) {
                if (o >= len)
                        return -EBADMSG;
                if ((pkt[o] & 0xc0) == 0xc0) {
                        if (o + 2 > len)
                                return -EBADMSG;
                        *off = o + 2;
                        return 0;
                }
                if (pkt[o] == 0) {
                        *off = o + 1;
                        return 0;
                }
                o += 1u + pkt[o];
        }
        return -EBADMSG;
}

int
net_dns_parse_response(const uint8_t *pkt, size_t len, uint16_t id, int *ret_rcode,
                       uint32_t *addrs, size_t max, size_t *ret_n)
{
        size_t off = HDR_LEN, n = 0;
        uint16_t qd, an;

        if (len < HDR_LEN || get16(pkt) != id || !(get16(pkt + 2) & FLAG_QR))
                return -EBADMSG;
        qd = get16(pkt + 4);
        an = get16(pkt + 6);
        for (uint16_t i = 0; i < qd; i++) {
                if (skip_name(pkt, len, &off) < 0 || off + 4 > len)
                        return -EBADMSG;
                off += 4;
        }
        for (uint16_t i = 0; i < an; i++) {
                uint16_t type, rdlen;

                if (skip_name(pkt, len, &off) < 0 || off + 10 > len)
                        return -EBADMSG;
                type = get16(pkt + off);
                rdlen = get16(pkt + off + 8);
                off += 10;
                if (off + rdlen > len)
                        return -EBADMSG;
                if (type == DNS_TYPE_A && rdlen == 4 && n < max)
                        addrs[n++] = (uint32_t)pkt[off] << 24 | (uint32_t)pkt[off + 1] << 16 |
                                     (uint32_t)pkt[off + 2] << 8 | pkt[off + 3];
                off += rdlen;
        }
        *ret_rcode = get16(pkt + 2) & 0xf;
        *ret_n = n;
        return 0;
}
