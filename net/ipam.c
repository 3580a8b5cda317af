/* ipam: subnet choice and address leases, docker's way: subnets are cut from ordered pools
 * (172.17-31.0.0/16, then 192.168.0.0/16 in /20s) skipping any that overlaps a host route
 * or address or another network; addresses are handed out serially after the last one
 * given (so a just-freed address is not reused at once and stale ARP/DNS entries age out),
 * skipping the network and broadcast addresses, the gateway and aux_addresses.
 * Records: one JSON file per network (net/ipam_json.c), replaced atomically under an
 * exclusive flock on <dir>/.lock.
 */
#include "net/ipam.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "net/ipam_json.h"

static const struct ipam_pool default_pools[] = {
        {{0xac110000u, 12}, 16}, /* 172.16.0.0/12 in /16s, from 172.17 (see below) */
        {{0xc0a80000u, 16}, 20}, /* 192.168.0.0/16 in /20s */
};

const struct ipam_pool *
ipam_default_pools(size_t *ret_n)
{
        *ret_n = ARRAY_SIZE(default_pools);
        return default_pools;
}

struct ipam_network *
ipam_network_free(struct ipam_network *n)
{
        if (!n)
                return NULL;
        free(n->name);
        strv_free(n->aux_names);
        free(n->aux_ips);
        for (size_t i = 0; i < n->n_leases; i++) {
                free(n->leases[i].owner);
                strv_free(n->leases[i].names);
                strv_free(n->leases[i].dns);
        }
        free(n->leases);
        free(n);
        return NULL;
}

static void
network_free_p(struct ipam_network **n)
{
        ipam_network_free(*n);
}
#define cleanup_ipam __attribute__((cleanup(network_free_p)))

static int
check_name(const char *name, struct err *err)
{
        size_t n = strlen(name);

        if (n == 0 || n > IPAM_NAME_MAX || name[0] == '.' ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
                return err_setf(err, -EINVAL, "invalid network name '%.*s'", IPAM_NAME_MAX,
                                name);
        return 0;
}

static char *
record_path(const char *dir, const char *name)
{
        return xasprintf("%s/%s.json", dir, name);
}

/* lock_dir: create dir and hold its lock until *ret_fd is closed. */
static int
lock_dir(const char *dir, int *ret_fd, struct err *err)
{
        cleanup_free char *p = xasprintf("%s/.lock", dir);
        int r = fs_mkdir_p(dir, 0700, err);
        int fd;

        if (r < 0)
                return r;
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", p, strerror(errno));
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        r = -errno;
                        close(fd);
                        return err_setf(err, r, "lock '%s': %s", p, strerror(-r));
                }
        }
        *ret_fd = fd;
        return 0;
}

int
ipam_network_read(const char *path, struct ipam_network **ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        size_t len;
        int r = fs_read_capped(path, IPAM_FILE_MAX, &buf, &len, err);

        if (r < 0)
                return r;
        return ipam_json_decode(buf, len, path, ret, err);
}

int
ipam_network_load(const char *dir, const char *name, struct ipam_network **ret, struct err *err)
{
        cleanup_free char *p = NULL;
        int r = check_name(name, err);

        if (r < 0)
                return r;
        p = record_path(dir, name);
        if (access(p, F_OK) < 0 && errno == ENOENT)
                return err_setf(err, -ENOENT, "network '%s' not found", name);
        return ipam_network_read(p, ret, err);
}

static int
save(const char *dir, const struct ipam_network *n, struct err *err)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;
        cleanup_free char *p = record_path(dir, n->name);

        ipam_json_encode(n, &sb);
        return fs_write_atomic(p, sb.buf, sb.len, 0644, err);
}

int
ipam_network_list(const char *dir, char ***ret, struct err *err)
{
        DIR *d = opendir(dir);
        char **names = NULL;
        struct dirent *de;

        if (!d && errno == ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (!d)
                return err_setf(err, -errno, "list networks in '%s': %s", dir, strerror(errno));
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);

                if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0)
                        continue;
                strv_push(&names, xstrndup(de->d_name, n - 5));
        }
        closedir(d);
        strv_sort(names);
        *ret = names;
        return 0;
}

/* ---- networks ------------------------------------------------------------------------ */

struct netvec {
        struct ipam_network **v;
        size_t n;
};

static void
netvec_release(struct netvec *nv)
{
        for (size_t i = 0; i < nv->n; i++)
                ipam_network_free(nv->v[i]);
        free(nv->v);
}

/* load_others: every recorded network but skip (for overlap checks). */
static int
load_others(const char *dir, const char *skip, struct netvec *nv, struct err *err)
{
        cleanup_strv char **names = NULL;
        int r = ipam_network_list(dir, &names, err);

        if (r < 0)
                return r;
        nv->v = xcalloc(strv_length(names) + 1, sizeof(*nv->v));
        strv_foreach(name, names) {
                if (strcmp(name, skip) == 0)
                        continue;
                r = ipam_network_load(dir, name, &nv->v[nv->n], err);
                if (r < 0)
                        return r;
                nv->n++;
        }
        return 0;
}

static bool
subnet_free(const struct net_prefix *cand, const struct ipam_request *req,
            const struct netvec *nv)
{
        for (size_t i = 0; i < req->n_avoid; i++) {
                if (net_prefix_overlaps(cand, &req->avoid[i]))
                        return false;
        }
        for (size_t i = 0; i < nv->n; i++) {
                if (net_prefix_overlaps(cand, &nv->v[i]->subnet))
                        return false;
        }
        return true;
}

static int
pick_from_pool(const struct ipam_pool *p, const struct ipam_request *req,
               const struct netvec *nv, struct net_prefix *ret)
{
        struct net_prefix base = net_prefix_network(p->base);
        uint64_t count, step;

        if (p->size < base.len || p->size > 30)
                return -EINVAL;
        count = 1ull << (p->size - base.len);
        step = 1ull << (32 - p->size);
        for (uint64_t i = 0; i < count; i++) {
                struct net_prefix c = {base.addr + (uint32_t)(i * step), p->size};

                /* docker leaves 172.16.0.0/16 alone: the first default /16 is 172.17 */
                if (p == &default_pools[0] && c.addr == 0xac100000u)
                        continue;
                if (subnet_free(&c, req, nv)) {
                        *ret = c;
                        return 0;
                }
        }
        return -ENOSPC;
}

static int
pick_subnet(const struct ipam_request *req, const struct netvec *nv, struct net_prefix *ret,
            struct err *err)
{
        size_t n = req->n_pools;
        const struct ipam_pool *pools = req->pools ? req->pools : ipam_default_pools(&n);

        for (size_t i = 0; i < n; i++) {
                if (pick_from_pool(&pools[i], req, nv, ret) == 0)
                        return 0;
        }
        return err_setf(err, -ENOSPC,
                        "no free subnet: every subnet of the address pools overlaps a host "
                        "route or another network");
}

static int
parse_aux(char *const *aux, struct ipam_network *n, struct err *err)
{
        size_t len = strv_length(aux);

        if (len > IPAM_AUX_MAX)
                return err_setf(err, -E2BIG, "more than %d aux_addresses", IPAM_AUX_MAX);
        n->aux_names = xcalloc(len + 1, sizeof(char *));
        n->aux_ips = xcalloc(len ? len : 1, sizeof(uint32_t));
        strv_foreach(a, aux) {
                const char *eq = strchr(a, '=');

                if (!eq || eq == a || net_ip4_parse(eq + 1, &n->aux_ips[n->n_aux], NULL) < 0)
                        return err_setf(err, -EINVAL, "invalid aux_address '%s': want name=ip",
                                        a);
                if (!net_prefix_contains(&n->subnet, n->aux_ips[n->n_aux]))
                        return err_setf(err, -EINVAL, "aux_address '%s' is outside subnet", a);
                n->aux_names[n->n_aux++] = xstrndup(a, (size_t)(eq - a));
        }
        return 0;
}

static int
parse_subnet(const struct ipam_request *req, const struct netvec *nv, struct ipam_network *n,
             struct err *err)
{
        char want[NET_PFX_STRLEN];

        if (!req->subnet)
                return pick_subnet(req, nv, &n->subnet, err);
        if (strchr(req->subnet, ':'))
                return err_setf(err, -EOPNOTSUPP, "subnet '%s': IPv6 is not supported yet",
                                req->subnet);
        if (net_prefix_parse(req->subnet, &n->subnet, err) < 0)
                return -EINVAL;
        if (!net_prefix_is_network(&n->subnet)) {
                struct net_prefix fixed = net_prefix_network(n->subnet);

                net_prefix_format(&fixed, want);
                return err_setf(err, -EINVAL, "invalid subnet '%s': it should be %s",
                                req->subnet, want);
        }
        if (n->subnet.len < 8 || n->subnet.len > 30)
                return err_setf(err, -EINVAL, "invalid subnet '%s': length must be 8 to 30",
                                req->subnet);
        for (size_t i = 0; i < nv->n; i++) {
                if (net_prefix_overlaps(&n->subnet, &nv->v[i]->subnet))
                        return err_setf(err, -EADDRINUSE,
                                        "subnet '%s' overlaps network '%s'", req->subnet,
                                        nv->v[i]->name);
        }
        n->user_subnet = true;
        return 0;
}

static int
parse_range_gw(const struct ipam_request *req, struct ipam_network *n, struct err *err)
{
        n->range = n->subnet;
        if (req->ip_range) {
                if (net_prefix_parse(req->ip_range, &n->range, err) < 0)
                        return -EINVAL;
                n->range = net_prefix_network(n->range);
                if (n->range.len < n->subnet.len ||
                    !net_prefix_contains(&n->subnet, n->range.addr))
                        return err_setf(err, -EINVAL, "ip_range '%s' is outside subnet",
                                        req->ip_range);
        }
        n->gateway = n->subnet.addr + 1;
        if (req->gateway && net_ip4_parse(req->gateway, &n->gateway, err) < 0)
                return -EINVAL;
        if (!net_prefix_contains(&n->subnet, n->gateway) || n->gateway == n->subnet.addr ||
            n->gateway == net_prefix_broadcast(&n->subnet))
                return err_setf(err, -EINVAL, "gateway '%s' is not a host address of the subnet",
                                req->gateway ? req->gateway : "");
        n->last = n->gateway;
        return 0;
}

static int
build_network(const char *name, const struct ipam_request *req, const struct netvec *nv,
              struct ipam_network **ret, struct err *err)
{
        cleanup_ipam struct ipam_network *n = xcalloc(1, sizeof(*n));
        int r;

        if (req->enable_ipv6)
                return err_setf(err, -EOPNOTSUPP,
                                "network '%s': enable_ipv6 is not supported yet (IPv4 only)",
                                name);
        n->name = xstrdup(name);
        r = parse_subnet(req, nv, n, err);
        if (r == 0)
                r = parse_range_gw(req, n, err);
        if (r == 0)
                r = parse_aux(req->aux, n, err);
        if (r < 0) {
                err_prefix(err, "network '%s'", name);
                return r;
        }
        *ret = TAKE_PTR(n);
        return 0;
}

static int
existing(const char *dir, const char *name, const struct ipam_request *req,
         struct ipam_network **ret, struct err *err)
{
        cleanup_ipam struct ipam_network *old = NULL;
        struct net_prefix want;
        int r = ipam_network_load(dir, name, &old, err);

        if (r < 0)
                return r;
        if (req->subnet && (net_prefix_parse(req->subnet, &want, NULL) < 0 ||
                            want.addr != old->subnet.addr || want.len != old->subnet.len))
                return err_setf(err, -EEXIST, "network '%s' already exists with another subnet",
                                name);
        if (ret)
                *ret = TAKE_PTR(old);
        return 0;
}

int
ipam_network_create(const char *dir, const char *name, const struct ipam_request *req,
                    struct ipam_network **ret, struct err *err)
{
        cleanup_close int lock = -1;
        cleanup_ipam struct ipam_network *n = NULL;
        cleanup_free char *p = NULL;
        struct netvec nv = {0};
        int r = check_name(name, err);

        if (r == 0)
                r = lock_dir(dir, &lock, err);
        if (r < 0)
                return r;
        p = record_path(dir, name);
        if (fs_exists(p))
                return existing(dir, name, req, ret, err);
        r = load_others(dir, name, &nv, err);
        if (r == 0)
                r = build_network(name, req, &nv, &n, err);
        netvec_release(&nv);
        if (r == 0)
                r = save(dir, n, err);
        if (r == 0 && ret)
                *ret = TAKE_PTR(n);
        return r;
}

int
ipam_network_remove(const char *dir, const char *name, bool force, struct err *err)
{
        cleanup_close int lock = -1;
        cleanup_ipam struct ipam_network *n = NULL;
        cleanup_free char *p = NULL;
        int r = check_name(name, err);

        if (r == 0)
                r = lock_dir(dir, &lock, err);
        if (r < 0)
                return r;
        r = ipam_network_load(dir, name, &n, err);
        if (r == -ENOENT) {
                err_clear(err);
                return 0;
        }
        if (r < 0 && !force)
                return r;
        if (r == 0 && n->n_leases && !force)
                return err_setf(err, -EBUSY, "network '%s' has %zu active endpoints", name,
                                n->n_leases);
        p = record_path(dir, name);
        if (unlink(p) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "remove '%s': %s", p, strerror(errno));
        return 0;
}

/* ---- leases --------------------------------------------------------------------------- */

const struct ipam_lease *
ipam_lease_find(const struct ipam_network *n, const char *owner)
{
        for (size_t i = 0; i < n->n_leases; i++) {
                if (strcmp(n->leases[i].owner, owner) == 0)
                        return &n->leases[i];
        }
        return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return x < y ? -1 : x > y;
}

/* taken_set: every address that is not free, sorted (for bsearch). */
static uint32_t *
taken_set(const struct ipam_network *n, size_t *ret_n)
{
        size_t k = 0;
        uint32_t *t = xcalloc(n->n_leases + n->n_aux + 1, sizeof(*t));

        t[k++] = n->gateway;
        for (size_t i = 0; i < n->n_aux; i++)
                t[k++] = n->aux_ips[i];
        for (size_t i = 0; i < n->n_leases; i++)
                t[k++] = n->leases[i].ip;
        qsort(t, k, sizeof(*t), cmp_u32);
        *ret_n = k;
        return t;
}

static bool
addr_free(const struct ipam_network *n, const uint32_t *taken, size_t nt, uint32_t ip)
{
        if (ip == n->subnet.addr || ip == net_prefix_broadcast(&n->subnet))
                return false;
        return !bsearch(&ip, taken, nt, sizeof(*taken), cmp_u32);
}

static int
next_free(const struct ipam_network *n, uint32_t *ret, struct err *err)
{
        size_t nt;
        cleanup_free uint32_t *taken = taken_set(n, &nt);
        uint32_t first = n->range.addr, last = net_prefix_broadcast(&n->range);
        uint64_t size = (uint64_t)last - first + 1;
        uint32_t start = net_prefix_contains(&n->range, n->last) ? n->last : last;

        for (uint64_t i = 1; i <= size; i++) {
                uint32_t ip = first + (uint32_t)(((uint64_t)start - first + i) % size);

                if (addr_free(n, taken, nt, ip)) {
                        *ret = ip;
                        return 0;
                }
        }
        return err_setf(err, -ENOSPC, "network '%s': no free address left", n->name);
}

static int
check_static(const struct ipam_network *n, uint32_t ip, struct err *err)
{
        char s[NET_IP4_STRLEN];
        size_t nt;
        cleanup_free uint32_t *taken = taken_set(n, &nt);

        net_ip4_format(ip, s);
        if (!n->user_subnet)
                return err_setf(err, -EINVAL,
                                "network '%s': a static address (%s) needs a subnet configured "
                                "by the user",
                                n->name, s);
        if (!net_prefix_contains(&n->subnet, ip))
                return err_setf(err, -EINVAL, "network '%s': address %s is outside subnet",
                                n->name, s);
        if (!addr_free(n, taken, nt, ip))
                return err_setf(err, -EADDRINUSE, "network '%s': address %s already in use",
                                n->name, s);
        return 0;
}

static int
check_lease_request(const struct ipam_lease_request *req, struct err *err)
{
        if (!req->owner || !*req->owner || strlen(req->owner) > 256)
                return err_setf(err, -EINVAL, "lease: invalid owner");
        if (strv_length(req->names) > IPAM_NAMES_MAX || strv_length(req->dns) > IPAM_NAMES_MAX)
                return err_setf(err, -E2BIG, "lease: more than %d names", IPAM_NAMES_MAX);
        return 0;
}

/* lease_locked: the body of ipam_lease, under the directory lock. */
static int
lease_locked(const char *dir, struct ipam_network *n, const struct ipam_lease_request *req,
             uint32_t *ret_ip, struct err *err)
{
        struct ipam_lease *l = (struct ipam_lease *)ipam_lease_find(n, req->owner);
        uint32_t ip = req->ip;
        int r;

        if (l && ip && ip != l->ip)
                return err_setf(err, -EEXIST, "network '%s': '%s' already has another address",
                                n->name, req->owner);
        if (!l) {
                if (n->n_leases >= IPAM_LEASES_MAX)
                        return err_setf(err, -ENOSPC, "network '%s': too many endpoints",
                                        n->name);
                r = ip ? check_static(n, ip, err) : next_free(n, &ip, err);
                if (r < 0)
                        return r;
                n->leases = xreallocarray(n->leases, n->n_leases + 1, sizeof(*n->leases));
                l = &n->leases[n->n_leases++];
                *l = (struct ipam_lease){.ip = ip, .owner = xstrdup(req->owner)};
                if (!req->ip)
                        n->last = ip;
        }
        strv_free(l->names);
        strv_free(l->dns);
        l->names = strv_copy(req->names);
        l->dns = strv_copy(req->dns);
        r = save(dir, n, err);
        if (r == 0 && ret_ip)
                *ret_ip = l->ip;
        return r;
}

int
ipam_lease(const char *dir, const char *network, const struct ipam_lease_request *req,
           uint32_t *ret_ip, struct err *err)
{
        cleanup_close int lock = -1;
        cleanup_ipam struct ipam_network *n = NULL;
        int r = check_lease_request(req, err);

        if (r == 0)
                r = lock_dir(dir, &lock, err);
        if (r == 0)
                r = ipam_network_load(dir, network, &n, err);
        if (r == 0)
                r = lease_locked(dir, n, req, ret_ip, err);
        return r;
}

int
ipam_release(const char *dir, const char *network, const char *owner, struct err *err)
{
        cleanup_close int lock = -1;
        cleanup_ipam struct ipam_network *n = NULL;
        size_t i;
        int r = lock_dir(dir, &lock, err);

        if (r == 0)
                r = ipam_network_load(dir, network, &n, err);
        if (r == -ENOENT) {
                err_clear(err);
                return 0;
        }
        if (r < 0)
                return r;
        for (i = 0; i < n->n_leases && strcmp(n->leases[i].owner, owner) != 0; i++)
                ;
        if (i == n->n_leases)
                return 0;
        free(n->leases[i].owner);
        strv_free(n->leases[i].names);
        strv_free(n->leases[i].dns);
        memmove(&n->leases[i], &n->leases[i + 1], (n->n_leases - i - 1) * sizeof(*n->leases));
        n->n_leases--;
        return save(dir, n, err);
}
