/* ipam_json: a network's IPAM record as JSON (json-c):
 *
 *   {"name": "front", "subnet": "172.18.0.0/16", "ip_range": "172.18.0.0/16",
 *    "gateway": "172.18.0.1", "user_subnet": false,
 *    "aux_addresses": {"router": "172.18.0.254"}, "last": "172.18.0.3",
 *    "leases": [{"ip": "172.18.0.2", "owner": "<container id>",
 *                "names": ["web", "proj-web-1"], "dns": ["127.0.0.53"]}]}
 *
 * Addresses are text so that a person can read and repair the file. Decoding checks every
 * address and count, since the file may have been edited or truncated by a crash of
 * something other than berth.
 */
#include "net/ipam_json.h"

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"

#define JSON_DEPTH 16

static void
json_put_p(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define cleanup_json __attribute__((cleanup(json_put_p)))

static json_object *
json_ip(uint32_t ip)
{
        char s[NET_IP4_STRLEN];

        net_ip4_format(ip, s);
        return json_object_new_string(s);
}

static json_object *
json_pfx(const struct net_prefix *p)
{
        char s[NET_PFX_STRLEN];

        net_prefix_format(p, s);
        return json_object_new_string(s);
}

static json_object *
json_strv(char *const *v)
{
        json_object *a = json_object_new_array();

        strv_foreach(s, v)
                json_object_array_add(a, json_object_new_string(s));
        return a;
}

static json_object *
json_lease(const struct ipam_lease *l)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "ip", json_ip(l->ip));
        json_object_object_add(o, "owner", json_object_new_string(l->owner));
        json_object_object_add(o, "names", json_strv(l->names));
        if (l->dns)
                json_object_object_add(o, "dns", json_strv(l->dns));
        return o;
}

void
ipam_json_encode(const struct ipam_network *n, struct sbuf *out)
{
        cleanup_json json_object *o = json_object_new_object();
        json_object *aux = json_object_new_object();
        json_object *leases = json_object_new_array();

        json_object_object_add(o, "name", json_object_new_string(n->name));
        json_object_object_add(o, "subnet", json_pfx(&n->subnet));
        json_object_object_add(o, "ip_range", json_pfx(&n->range));
        json_object_object_add(o, "gateway", json_ip(n->gateway));
        json_object_object_add(o, "user_subnet", json_object_new_boolean(n->user_subnet));
        for (size_t i = 0; i < n->n_aux; i++)
                json_object_object_add(aux, n->aux_names[i], json_ip(n->aux_ips[i]));
        json_object_object_add(o, "aux_addresses", aux);
        json_object_object_add(o, "last", json_ip(n->last));
        for (size_t i = 0; i < n->n_leases; i++)
                json_object_array_add(leases, json_lease(&n->leases[i]));
        json_object_object_add(o, "leases", leases);
        sbuf_adds(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_SPACED |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
        sbuf_addch(out, '\n');
}

/* ---- decoding ------------------------------------------------------------------------- */

static const char *
get_str(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int
get_ip(json_object *o, const char *key, uint32_t *ret)
{
        const char *s = get_str(o, key);

        return s ? net_ip4_parse(s, ret, NULL) : -EINVAL;
}

static int
get_pfx(json_object *o, const char *key, struct net_prefix *ret)
{
        const char *s = get_str(o, key);

        return s ? net_prefix_parse(s, ret, NULL) : -EINVAL;
}

static int
get_strv(json_object *o, const char *key, size_t max, char ***ret)
{
        json_object *a;
        size_t n;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &a))
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return -EINVAL;
        n = json_object_array_length(a);
        if (n > max)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(a, i);

                if (!json_object_is_type(s, json_type_string))
                        return -EINVAL;
                strv_add(ret, json_object_get_string(s));
        }
        return 0;
}

static int
decode_lease(json_object *o, struct ipam_lease *l)
{
        const char *owner = get_str(o, "owner");

        if (!owner || get_ip(o, "ip", &l->ip) < 0)
                return -EINVAL;
        l->owner = xstrdup(owner);
        if (get_strv(o, "names", IPAM_NAMES_MAX, &l->names) < 0 ||
            get_strv(o, "dns", IPAM_NAMES_MAX, &l->dns) < 0)
                return -EINVAL;
        return 0;
}

static int
decode_leases(json_object *o, struct ipam_network *n)
{
        json_object *a;
        size_t len;

        if (!json_object_object_get_ex(o, "leases", &a))
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return -EINVAL;
        len = json_object_array_length(a);
        if (len > IPAM_LEASES_MAX)
                return -E2BIG;
        n->leases = xcalloc(len ? len : 1, sizeof(*n->leases));
        for (size_t i = 0; i < len; i++) {
                n->n_leases = i + 1;
                if (decode_lease(json_object_array_get_idx(a, i), &n->leases[i]) < 0)
                        return -EINVAL;
                if (!net_prefix_contains(&n->subnet, n->leases[i].ip))
                        return -EINVAL;
        }
        return 0;
}

static int
decode_aux(json_object *o, struct ipam_network *n)
{
        json_object *m;
        size_t i = 0, len;

        if (!json_object_object_get_ex(o, "aux_addresses", &m))
                return 0;
        if (!json_object_is_type(m, json_type_object))
                return -EINVAL;
        len = (size_t)json_object_object_length(m);
        if (len > IPAM_AUX_MAX)
                return -E2BIG;
        n->aux_names = xcalloc(len + 1, sizeof(char *));
        n->aux_ips = xcalloc(len ? len : 1, sizeof(uint32_t));
        json_object_object_foreach(m, key, val) {
                if (!json_object_is_type(val, json_type_string) ||
                    net_ip4_parse(json_object_get_string(val), &n->aux_ips[i], NULL) < 0)
                        return -EINVAL;
                n->aux_names[i++] = xstrdup(key);
                n->n_aux = i;
        }
        return 0;
}

static int
decode_network(json_object *o, struct ipam_network *n)
{
        const char *name = get_str(o, "name");
        json_object *us;

        if (!name || strlen(name) > IPAM_NAME_MAX)
                return -EINVAL;
        n->name = xstrdup(name);
        if (get_pfx(o, "subnet", &n->subnet) < 0 || get_pfx(o, "ip_range", &n->range) < 0 ||
            get_ip(o, "gateway", &n->gateway) < 0 || get_ip(o, "last", &n->last) < 0)
                return -EINVAL;
        if (!net_prefix_is_network(&n->subnet) || n->range.len < n->subnet.len ||
            !net_prefix_contains(&n->subnet, n->range.addr))
                return -EINVAL;
        n->user_subnet = json_object_object_get_ex(o, "user_subnet", &us) &&
                         json_object_get_boolean(us);
        if (decode_aux(o, n) < 0)
                return -EINVAL;
        return decode_leases(o, n);
}

int
ipam_json_decode(const char *buf, size_t len, const char *what, struct ipam_network **ret,
                 struct err *err)
{
        struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
        cleanup_json json_object *o = NULL;
        struct ipam_network *n;

        if (!tok)
                abort();
        o = json_tokener_parse_ex(tok, buf, (int)len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            !json_object_is_type(o, json_type_object)) {
                json_tokener_free(tok);
                return err_setf(err, -EINVAL, "read network record '%s': not a JSON object",
                                what);
        }
        json_tokener_free(tok);
        n = xcalloc(1, sizeof(*n));
        if (decode_network(o, n) < 0) {
                ipam_network_free(n);
                return err_setf(err, -EINVAL, "read network record '%s': malformed", what);
        }
        *ret = n;
        return 0;
}
