/* container_net: the record of a container's endpoints on berth networks (network.json, see
 * engine/container.h) and their teardown. The record names every place that holds a piece of
 * an endpoint (IPAM dir, NAT state dir and nftables table, host veths), so that whoever
 * removes the container (the monitor for --rm, `rm -f` after the monitor died) can undo it
 * without knowing the network layout of the CLI.
 *
 * Records written before a container could be on several networks are one endpoint object
 * ({"Network": …, "IPAddress": …, "IpamDir": …}); ctr_net_read() turns them into the list
 * form, so nothing else reads the old shape.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/container.h"
#include "engine/jsonx.h"
#include "net/ipam.h"
#include "net/net.h"

#define CTR_NET_FILE_MAX (1u << 20)

/* upgrade: the list form of an old single-endpoint record (o is consumed). */
static json_object *
upgrade(json_object *o)
{
        json_object *rec = json_object_new_object(), *eps = json_object_new_array();
        static const char *const keys[] = { "IpamDir", "NatDir", "Table" };

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (jsonx_str(o, keys[i]))
                        jsonx_add_str(rec, keys[i], jsonx_str(o, keys[i]));
        if (jsonx_str(o, "IPAddress"))
                jsonx_add_str(rec, "PortsIP", jsonx_str(o, "IPAddress"));
        json_object_array_add(eps, o);
        json_object_object_add(rec, "Endpoints", eps);
        return rec;
}

int
ctr_net_read(const struct ctr *c, json_object **ret, struct err *err)
{
        cleanup_free char *path = ctr_path(c, CTR_NET_FILE);
        cleanup_free char *buf = NULL;
        size_t len = 0;
        int r;

        *ret = NULL;
        r = fs_read_capped(path, CTR_NET_FILE_MAX, &buf, &len, err);
        if (r == -ENOENT) {
                err_clear(err);
                return 0;
        }
        if (r == 0)
                r = jsonx_parse(buf, len, CTR_NET_FILE_MAX, path, ret, err);
        if (r < 0)
                return r;
        if (!json_object_is_type(*ret, json_type_object)) {
                json_object_put(*ret);
                *ret = NULL;
                return err_setf(err, -EINVAL, "'%s' is damaged", path);
        }
        if (!jsonx_get(*ret, "Endpoints"))
                *ret = upgrade(*ret);
        return 0;
}

json_object *
ctr_net_endpoints(json_object *rec)
{
        json_object *eps = jsonx_get_type(rec, "Endpoints", json_type_array);

        if (!eps) {
                eps = json_object_new_array();
                json_object_object_add(rec, "Endpoints", eps);
        }
        return eps;
}

json_object *
ctr_net_endpoint(json_object *rec, const char *network, size_t *ret_idx)
{
        json_object *eps = ctr_net_endpoints(rec);

        for (size_t i = 0; i < json_object_array_length(eps); i++) {
                json_object *e = json_object_array_get_idx(eps, i);
                const char *n = jsonx_str(e, "Network");

                if (n && strcmp(n, network) == 0) {
                        if (ret_idx)
                                *ret_idx = i;
                        return e;
                }
        }
        return NULL;
}

int
ctr_net_write(const struct ctr *c, json_object *rec, struct err *err)
{
        cleanup_free char *path = ctr_path(c, CTR_NET_FILE);
        cleanup_free char *txt = jsonx_string(rec, "  ");

        return fs_write_atomic(path, txt, strlen(txt), 0600, err);
}

int
ctr_net_endpoint_leave(const struct ctr *c, json_object *rec, json_object *ep, struct err *err)
{
        const char *hostif = jsonx_str(ep, "HostIf"), *net = jsonx_str(ep, "Network");
        const char *ipam = jsonx_str(ep, "IpamDir");
        int r = 0;

        if (!ipam)
                ipam = jsonx_str(rec, "IpamDir");
        if (hostif)
                r = net_endpoint_detach(hostif, err);
        if (r == 0 && ipam && net)
                r = ipam_release(ipam, net, c->id, err);
        return r;
}

int
ctr_net_leave(const struct ctr *c, unsigned flags, struct err *err)
{
        json_object *o = NULL, *eps;
        const char *natdir, *table;
        cleanup_free char *path = NULL;
        int r = ctr_net_read(c, &o, err);

        if (r < 0 || !o)
                return r;
        eps = ctr_net_endpoints(o);
        natdir = jsonx_str(o, "NatDir");
        table = jsonx_str(o, "Table");
        if (natdir && table && (flags & CTR_NET_DEFER_NAT))
                r = net_nat_ports_forget(&(struct net_nat){ natdir, table }, c->id, err);
        else if (natdir && table)
                r = net_nat_ports_unset(&(struct net_nat){ natdir, table }, c->id, err);
        for (size_t i = 0; r == 0 && i < json_object_array_length(eps); i++)
                r = ctr_net_endpoint_leave(c, o, json_object_array_get_idx(eps, i), err);
        json_object_put(o);
        if (r < 0)
                return r;
        path = ctr_path(c, CTR_NET_FILE);
        if (unlink(path) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "remove %s: %s", path, strerror(errno));
        return 0;
}

int
ctr_net_attach(json_object *ep, const char *netns_path, const char *ifname, bool route,
               struct err *err)
{
        struct net_endpoint_config ec = { .netns_path = netns_path, .netns_fd = -1 };
        uint32_t ip = 0, gw = 0;
        int64_t len = jsonx_int(ep, "PrefixLen", 0);
        const char *ips = jsonx_str(ep, "IPAddress"), *gws = jsonx_str(ep, "Gateway");
        int r;

        ec.bridge = jsonx_str(ep, "Bridge");
        ec.host_ifname = jsonx_str(ep, "HostIf");
        if (!ips || !gws || len < 1 || len > 32 || !ec.bridge || !ec.host_ifname)
                return err_setf(err, -EINVAL, "container network record is incomplete");
        r = net_ip4_parse(ips, &ip, err);
        if (r == 0)
                r = net_ip4_parse(gws, &gw, err);
        if (r < 0)
                return r;
        ec.ifname = ifname;
        ec.addr = (struct net_prefix){ ip, (uint8_t)len };
        ec.gateway = route ? gw : 0;
        return net_endpoint_attach(&ec, err);
}
