/* container_net: the record of a container's endpoint on a berth network (network.json, see
 * engine/container.h) and its teardown. The record names every place that holds a piece of
 * the endpoint (IPAM dir, NAT state dir and nftables table, host veth), so that whoever
 * removes the container (the monitor for --rm, `rm -f` after the monitor died) can undo it
 * without knowing the network layout of the CLI.
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

#define CTR_NET_FILE_MAX (64u << 10)

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
        if (r < 0)
                return r;
        return jsonx_parse(buf, len, CTR_NET_FILE_MAX, path, ret, err);
}

int
ctr_net_leave(const struct ctr *c, struct err *err)
{
        json_object *o = NULL;
        const char *hostif, *ipam, *natdir, *table, *net;
        cleanup_free char *path = NULL;
        int r = ctr_net_read(c, &o, err);

        if (r < 0 || !o)
                return r;
        hostif = jsonx_str(o, "HostIf");
        ipam = jsonx_str(o, "IpamDir");
        natdir = jsonx_str(o, "NatDir");
        table = jsonx_str(o, "Table");
        net = jsonx_str(o, "Network");
        if (hostif)
                r = net_endpoint_detach(hostif, err);
        if (r == 0 && natdir && table)
                r = net_nat_ports_unset(&(struct net_nat){ natdir, table }, c->id, err);
        if (r == 0 && ipam && net)
                r = ipam_release(ipam, net, c->id, err);
        json_object_put(o);
        if (r < 0)
                return r;
        path = ctr_path(c, CTR_NET_FILE);
        if (unlink(path) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "remove %s: %s", path, strerror(errno));
        return 0;
}
