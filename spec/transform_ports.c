/* transform_ports: the short port syntax, as compose-go reads it (types.ParsePortConfig over
 * docker/go-connections v0.4.0 nat.ParsePortSpec).
 *
 *   [[ip:]host_port[-end]:]container_port[-end][/tcp|udp|sctp]
 *
 * An IPv6 host address must be bracketed ("[::1]:80:80"). Ranges expand to one entry per
 * container port; a host range with a single container port is kept as a published range.
 * Entries come out sorted by their "port/proto" text, as compose sorts them (so 1000/tcp
 * comes before 999/tcp).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "spec/transform.h"
#include "spec/transform_internal.h"

struct port_spec {
        char *ip, *host, *container, *proto;
        unsigned start, end, hstart, hend;
};

static void
port_spec_release(struct port_spec *ps)
{
        free(ps->ip);
        free(ps->host);
        free(ps->container);
        free(ps->proto);
}

/* parse_port_number: strconv.ParseUint(s, 10, 16). */
static bool
parse_port_number(const char *s, size_t len, unsigned *ret)
{
        unsigned v = 0;

        if (len == 0 || len > 5)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (v > 65535)
                return false;
        *ret = v;
        return true;
}

/* parse_range: "80" or "8000-8010" (anything after a second '-' is ignored, as upstream). */
static bool
parse_range(const char *s, unsigned *start, unsigned *end)
{
        const char *dash = strchr(s, '-');
        const char *dash2;

        if (!dash)
                return parse_port_number(s, strlen(s), start) && (*end = *start, true);
        dash2 = strchr(dash + 1, '-');
        if (!parse_port_number(s, (size_t)(dash - s), start) ||
            !parse_port_number(dash + 1, dash2 ? (size_t)(dash2 - dash - 1) : strlen(dash + 1),
                               end))
                return false;
        return *end >= *start;
}

/* split_parts: ip, host port and container port of a spec (go-connections splitParts). */
static void
split_parts(const char *spec, struct port_spec *ps)
{
        cleanup_strv char **parts = strv_split(spec, ":");
        size_t n = strv_length(parts);

        if (n == 0) {
                strv_add(&parts, "");
                n = 1;
        }
        ps->container = xstrdup(parts[n - 1]);
        ps->host = xstrdup(n >= 2 ? parts[n - 2] : "");
        if (n >= 3) {
                struct sbuf ip = SBUF_INIT;

                for (size_t i = 0; i < n - 2; i++)
                        sbuf_addf(&ip, "%s%s", i ? ":" : "", parts[i]);
                ps->ip = sbuf_detach(&ip);
        } else {
                ps->ip = xstrdup("");
        }
}

/* split_proto: "80/udp" -> "80", "udp"; a missing protocol is tcp. */
static void
split_proto(struct port_spec *ps)
{
        char *slash = strchr(ps->container, '/');
        char *slash2;

        if (!slash || !slash[1]) {
                ps->proto = xstrdup("tcp");
        } else {
                slash2 = strchr(slash + 1, '/');
                ps->proto = slash2 ? xstrndup(slash + 1, (size_t)(slash2 - slash - 1))
                                   : xstrdup(slash + 1);
        }
        if (slash)
                *slash = '\0';
        for (char *p = ps->proto; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
}

/* host_ip: Go's net.SplitHostPort(ip + ":") then net.ParseIP. */
static const char *
check_host_ip(struct port_spec *ps)
{
        char *ip = ps->ip;
        unsigned char buf[16];
        size_t len = strlen(ip);

        if (ip[0] == '[') {
                if (len < 2 || ip[len - 1] != ']')
                        return "missing ']' in address";
                memmove(ip, ip + 1, len - 2);
                ip[len - 2] = '\0';
                if (strpbrk(ip, "[]"))
                        return "unexpected bracket in address";
        } else if (strchr(ip, ':')) {
                return "too many colons in address (IPv6 addresses must be in brackets)";
        } else if (strpbrk(ip, "[]")) {
                return "unexpected bracket in address";
        }
        if (*ip && inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
                return "not an IP address";
        return NULL;
}

static int
parse_spec(const char *spec, struct port_spec *ps, const char **why, const char **what)
{
        split_parts(spec, ps);
        split_proto(ps);
        *what = ps->container;
        if (!*ps->container) {
                *why = "no port specified";
                return -EINVAL;
        }
        *what = ps->ip;
        if ((*why = check_host_ip(ps)))
                return -EINVAL;
        *what = ps->container;
        *why = "invalid container port";
        if (!parse_range(ps->container, &ps->start, &ps->end))
                return -EINVAL;
        *what = ps->host;
        *why = "invalid host port";
        if (*ps->host && !parse_range(ps->host, &ps->hstart, &ps->hend))
                return -EINVAL;
        *what = ps->host;
        *why = "container and host port ranges differ in size";
        if (*ps->host && ps->end - ps->start != ps->hend - ps->hstart && ps->end != ps->start)
                return -EINVAL;
        *what = ps->proto;
        *why = "invalid protocol";
        if (strcmp(ps->proto, "tcp") && strcmp(ps->proto, "udp") && strcmp(ps->proto, "sctp"))
                return -EINVAL;
        return 0;
}

static struct node *
port_entry(const struct port_spec *ps, unsigned i, const struct node_pos *pos)
{
        struct node *m = node_new(NODE_MAP, pos);
        char published[16];

        node_map_set(m, "mode", node_new_str("ingress", pos));
        if (*ps->ip)
                node_map_set(m, "host_ip", node_new_str(ps->ip, pos));
        node_map_set(m, "target", node_new_int(ps->start + i, pos));
        if (*ps->host) {
                if (ps->start == ps->end && ps->hstart != ps->hend)
                        snprintf(published, sizeof(published), "%u-%u", ps->hstart, ps->hend);
                else
                        snprintf(published, sizeof(published), "%u", ps->hstart + i);
                node_map_set(m, "published", node_new_str(published, pos));
        }
        node_map_set(m, "protocol", node_new_str(ps->proto, pos));
        return m;
}

/* port_key: the "port/proto" text compose sorts the entries by. */
static int
cmp_port_key(const void *a, const void *b)
{
        const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;
        char kx[32], ky[32];

        snprintf(kx, sizeof(kx), "%s/%s", node_map_str(x, "target"), node_map_str(x, "protocol"));
        snprintf(ky, sizeof(ky), "%s/%s", node_map_str(y, "target"), node_map_str(y, "protocol"));
        return strcmp(kx, ky);
}

/* port_expand: the long entries of one spec; on failure msg says why. */
static int
port_expand(const char *spec, const struct node_pos *pos, struct node **ret_seq, char *msg,
            size_t size)
{
        struct port_spec ps = { 0 };
        const char *why = NULL, *what = NULL;
        struct node *seq;
        int r;

        r = parse_spec(spec, &ps, &why, &what);
        if (r < 0) {
                snprintf(msg, size, "invalid port spec \"%s\": %s \"%s\"", spec, why,
                         what ? what : "");
                port_spec_release(&ps);
                return r;
        }
        seq = node_new(NODE_SEQ, pos);
        for (unsigned i = 0; i <= ps.end - ps.start; i++)
                node_seq_push(seq, port_entry(&ps, i, pos));
        if (seq->n > 1)
                qsort(seq->items, seq->n, sizeof(seq->items[0]), cmp_port_key);
        port_spec_release(&ps);
        *ret_seq = seq;
        return 0;
}

int
transform_parse_port(const char *spec, const struct node_pos *pos, struct node **ret_seq,
                     struct err *err)
{
        char msg[ERR_MSG_MAX];
        int r;

        r = port_expand(spec, pos, ret_seq, msg, sizeof(msg));
        if (r < 0)
                return node_pos_errf(err, pos, r, "%s", msg);
        return 0;
}

/* Ranges multiply entries; no service needs more than every port of every protocol. */
#define PORTS_MAX (3 * 65536)

/* transform_hook_ports: every short entry (a number or a string) becomes its long entries. */
int
transform_hook_ports(struct walk *w, struct node *n)
{
        cleanup_node struct node *out = NULL;
        int r;

        if (n->kind == NODE_NULL)
                return 0;
        if (n->kind != NODE_SEQ)
                return transform_errf(w, n, "must be a list, not a %s", node_kind_name(n->kind));
        out = node_new(NODE_SEQ, &n->pos);
        for (size_t i = 0; i < n->n; i++) {
                struct node *it = n->items[i], *expanded = NULL;
                cleanup_free char *spec = NULL;
                char msg[ERR_MSG_MAX];

                if (it->kind == NODE_MAP) {
                        node_seq_push(out, it);
                        n->items[i] = NULL;
                        continue;
                }
                if (it->kind != NODE_STR && it->kind != NODE_INT)
                        return transform_item_errf(w, i, it, "invalid type %s for port",
                                                   node_kind_name(it->kind));
                spec = transform_text(it);
                r = port_expand(spec, &it->pos, &expanded, msg, sizeof(msg));
                if (r < 0)
                        return transform_item_errf(w, i, it, "%s", msg);
                for (size_t j = 0; j < expanded->n; j++) {
                        node_seq_push(out, expanded->items[j]);
                        expanded->items[j] = NULL;
                }
                node_free(expanded);
                if (out->n > PORTS_MAX)
                        return transform_item_errf(w, i, it, "too many ports (more than %d)",
                                                   PORTS_MAX);
        }
        node_replace(n, TAKE_PTR(out));
        return 0;
}
