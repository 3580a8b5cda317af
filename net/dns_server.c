/* dns_server: the responder's event loop: one UDP socket for clients, one unbound UDP socket
 * (a random source port, kept for the life of the loop) towards the upstream resolvers,
 * poll(2). Forwarded queries get a fresh random transaction id whose low bits index the
 * pending slot; a response is accepted only from the upstream the query went to and with
 * that id (RFC 5452's basic defences), then sent back with the client's own id. An upstream
 * that stays silent for timeout_ms is replaced by the next one; after the last, SERVFAIL.
 * The name table is re-read when its file or its directory changes (checked at every query:
 * two stat(2)s, so a container that was just started, or connected to another network of a
 * client, resolves at once). Names a client sees through its other networks are answered
 * from its scope (net_dns_table_scoped) when the network's own table has no answer.
 */
#include "net/dns.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "net/net.h"

#define PENDING_BITS 10
#define PENDING_MAX  (1u << PENDING_BITS)

struct pending {
        bool used;
        uint16_t id, client_id;
        struct sockaddr_in client;
        struct sockaddr_in up[DNS_UPSTREAM_MAX];
        size_t n_up, attempt;
        uint64_t deadline;
        uint8_t *query;
        size_t qlen;
};

struct server {
        const struct net_dns_server_config *cfg;
        int upfd;
        struct net_dns_table *owned; /* the reloaded table */
        const struct net_dns_table *table;
        struct stat seen;
        struct timespec seen_dir; /* the directory's mtime: another network changed */
        unsigned rotate;
        unsigned timeout_ms;
        struct pending *pend; /* PENDING_MAX slots */
        size_t n_pending;
        uint8_t buf[DNS_FWD_MAX];
        uint8_t out[DNS_FWD_MAX];
};

static uint64_t
now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
net_dns_listen(uint32_t addr, uint16_t port, int *ret_fd, struct err *err)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(addr)};
        char a[NET_IP4_STRLEN];
        int one = 1;
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return err_setf(err, -errno, "dns socket: %s", strerror(errno));
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* the bridge's address may not be up yet when the responder starts */
        setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;

                close(fd);
                net_ip4_format(addr, a);
                return err_setf(err, -e, "dns: listen on %s:%u: %s", a, port, strerror(e));
        }
        *ret_fd = fd;
        return 0;
}

/* dir_mtime: the mtime of the directory of path (the other networks' records). */
static struct timespec
dir_mtime(const char *path)
{
        cleanup_free char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        struct stat st = { 0 };

        if (slash)
                *slash = '\0';
        if (!slash || stat(dir, &st) < 0)
                return (struct timespec){ 0 };
        return st.st_mtim;
}

static void
maybe_reload(struct server *s)
{
        struct net_dns_table *t = NULL;
        struct timespec dt;
        struct stat st;

        if (!s->cfg->table_path || stat(s->cfg->table_path, &st) < 0)
                return;
        dt = dir_mtime(s->cfg->table_path);
        if (s->owned && st.st_ino == s->seen.st_ino && st.st_size == s->seen.st_size &&
            st.st_mtim.tv_sec == s->seen.st_mtim.tv_sec &&
            st.st_mtim.tv_nsec == s->seen.st_mtim.tv_nsec &&
            dt.tv_sec == s->seen_dir.tv_sec && dt.tv_nsec == s->seen_dir.tv_nsec)
                return;
        if (net_dns_table_load(s->cfg->table_path, &t, NULL) < 0)
                return; /* keep answering from the previous table */
        net_dns_table_free(s->owned);
        s->owned = t;
        s->table = t;
        s->seen = st;
        s->seen_dir = dt;
}

static void
reply(struct server *s, const struct sockaddr_in *to, const uint8_t *p, size_t n)
{
        /* a full socket buffer drops the answer; the client retries, as with any UDP loss */
        sendto(s->cfg->fd, p, n, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
}

static void
reply_error(struct server *s, const struct sockaddr_in *to, const uint8_t *q, size_t n,
            int rcode)
{
        int len = net_dns_error_reply(q, n, rcode, s->out, sizeof(s->out));

        if (len > 0)
                reply(s, to, s->out, (size_t)len);
}

static int
send_upstream(struct server *s, struct pending *p)
{
        ssize_t w = sendto(s->upfd, p->query, p->qlen, MSG_DONTWAIT,
                           (const struct sockaddr *)&p->up[p->attempt], sizeof(p->up[0]));

        p->deadline = now_ms() + s->timeout_ms;
        return w < 0 ? -errno : 0;
}

static void
pending_free(struct server *s, struct pending *p)
{
        free(p->query);
        p->query = NULL;
        p->used = false;
        s->n_pending--;
}

static struct pending *
pending_new(struct server *s)
{
        uint16_t rnd = 0;

        if (s->n_pending >= PENDING_MAX)
                return NULL;
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
                rnd = (uint16_t)now_ms();
        for (size_t i = 0; i < PENDING_MAX; i++) {
                size_t slot = (rnd + i) & (PENDING_MAX - 1);
                struct pending *p = &s->pend[slot];

                if (!p->used) {
                        memset(p, 0, sizeof(*p));
                        p->used = true;
                        p->id = (uint16_t)((rnd & ~(PENDING_MAX - 1)) | slot);
                        s->n_pending++;
                        return p;
                }
        }
        return NULL;
}

static void
forward(struct server *s, const struct sockaddr_in *from, const uint8_t *q, size_t n)
{
        const struct sockaddr_in *up = s->cfg->upstreams;
        size_t n_up = net_dns_table_upstreams(s->table, ntohl(from->sin_addr.s_addr), &up);
        struct pending *p;

        if (n_up == 0)
                n_up = s->cfg->n_upstreams, up = s->cfg->upstreams;
        p = n_up ? pending_new(s) : NULL;
        if (!p) {
                reply_error(s, from, q, n, DNS_RCODE_SERVFAIL);
                return;
        }
        p->client = *from;
        p->client_id = (uint16_t)(q[0] << 8 | q[1]);
        p->n_up = n_up < DNS_UPSTREAM_MAX ? n_up : DNS_UPSTREAM_MAX;
        memcpy(p->up, up, p->n_up * sizeof(*up));
        p->query = xmalloc(n);
        memcpy(p->query, q, n);
        p->qlen = n;
        p->query[0] = (uint8_t)(p->id >> 8);
        p->query[1] = (uint8_t)p->id;
        send_upstream(s, p);
}

static void
on_query(struct server *s)
{
        struct net_dns_question q;
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s->cfg->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);
        int len;

        if (n < 0 || fl != sizeof(from) || from.sin_family != AF_INET)
                return;
        if (net_dns_parse_query(s->buf, (size_t)n, &q) < 0) {
                if (n >= 12 && !(s->buf[2] & 0x80))
                        reply_error(s, &from, s->buf, (size_t)n, DNS_RCODE_FORMERR);
                return;
        }
        if ((q.flags >> 11) & 0xf) {
                reply_error(s, &from, s->buf, (size_t)n, DNS_RCODE_NOTIMP);
                return;
        }
        maybe_reload(s);
        len = net_dns_answer(s->table, &q, s->buf, s->rotate++, s->out, sizeof(s->out));
        if (len == 0) /* the names of the client's other networks */
                len = net_dns_answer(net_dns_table_scoped(s->table, ntohl(from.sin_addr.s_addr)),
                                     &q, s->buf, s->rotate, s->out, sizeof(s->out));
        if (len > 0)
                reply(s, &from, s->out, (size_t)len);
        else if (len == 0)
                forward(s, &from, s->buf, (size_t)n);
        else
                reply_error(s, &from, s->buf, (size_t)n, DNS_RCODE_SERVFAIL);
}

static void
on_upstream(struct server *s)
{
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s->upfd, s->buf, sizeof(s->buf), MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);
        struct pending *p;
        uint16_t id;

        if (n < 12 || fl != sizeof(from))
                return;
        id = (uint16_t)(s->buf[0] << 8 | s->buf[1]);
        p = &s->pend[id & (PENDING_MAX - 1)];
        if (!p->used || p->id != id ||
            p->up[p->attempt].sin_addr.s_addr != from.sin_addr.s_addr ||
            p->up[p->attempt].sin_port != from.sin_port)
                return; /* late, spoofed or from another upstream */
        s->buf[0] = (uint8_t)(p->client_id >> 8);
        s->buf[1] = (uint8_t)p->client_id;
        reply(s, &p->client, s->buf, (size_t)n);
        pending_free(s, p);
}

/* expire: move timed-out queries to their next upstream; returns the next deadline. */
static uint64_t
expire(struct server *s)
{
        uint64_t now = now_ms(), next = UINT64_MAX;

        for (size_t i = 0; s->n_pending && i < PENDING_MAX; i++) {
                struct pending *p = &s->pend[i];

                if (!p->used)
                        continue;
                if (p->deadline <= now) {
                        if (++p->attempt >= p->n_up) {
                                p->query[0] = (uint8_t)(p->client_id >> 8);
                                p->query[1] = (uint8_t)p->client_id;
                                reply_error(s, &p->client, p->query, p->qlen,
                                            DNS_RCODE_SERVFAIL);
                                pending_free(s, p);
                                continue;
                        }
                        send_upstream(s, p);
                }
                if (p->deadline < next)
                        next = p->deadline;
        }
        return next;
}

static int
serve_loop(struct server *s)
{
        for (;;) {
                struct pollfd fds[3] = {{s->cfg->fd, POLLIN, 0}, {s->upfd, POLLIN, 0},
                                        {s->cfg->stop_fd, POLLIN, 0}};
                uint64_t next = expire(s), now = now_ms();
                int timeout = next == UINT64_MAX ? -1 : next <= now ? 0 : (int)(next - now);
                int r = poll(fds, s->cfg->stop_fd >= 0 ? 3 : 2, timeout);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (s->cfg->stop_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)))
                        return 0;
                /* drain a burst before polling again */
                for (int i = 0; i < 64 && (fds[0].revents & POLLIN); i++)
                        on_query(s);
                for (int i = 0; i < 64 && (fds[1].revents & POLLIN); i++)
                        on_upstream(s);
        }
}

int
net_dns_serve(const struct net_dns_server_config *cfg, struct err *err)
{
        struct server *s = xcalloc(1, sizeof(*s));
        int r;

        s->cfg = cfg;
        s->table = cfg->table;
        s->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 2000;
        s->pend = xcalloc(PENDING_MAX, sizeof(*s->pend));
        s->upfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->upfd < 0) {
                r = err_setf(err, -errno, "dns: upstream socket: %s", strerror(errno));
        } else {
                maybe_reload(s);
                r = serve_loop(s);
                if (r < 0)
                        err_setf(err, r, "dns: poll: %s", strerror(-r));
                close(s->upfd);
        }
        for (size_t i = 0; i < PENDING_MAX; i++)
                free(s->pend[i].query);
        free(s->pend);
        net_dns_table_free(s->owned);
        free(s);
        return r;
}

int
net_dns_resolv_upstreams(const char *path, struct sockaddr_in *ret, size_t max, size_t *ret_n,
                         struct err *err)
{
        cleanup_fclose FILE *f = fopen(path, "re");
        char line[512];
        size_t n = 0;

        if (!f)
                return err_setf(err, -errno, "open '%s': %s", path, strerror(errno));
        while (n < max && fgets(line, sizeof(line), f)) {
                char word[16], addr[64];
                uint32_t a;

                if (sscanf(line, " %15s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0)
                        continue;
                if (net_ip4_parse(addr, &a, NULL) < 0)
                        continue; /* IPv6 resolvers: not yet */
                ret[n++] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(53),
                                                .sin_addr.s_addr = htonl(a)};
        }
        *ret_n = n;
        return 0;
}
