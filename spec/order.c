/* order: the key order of compose-go's marshalled Project (its types/ package), as data.
 *
 * go-yaml and encoding/json print a struct's fields in declaration order and a Go map's
 * keys sorted; compose-go's `Extensions map[string]any` is an inline map, which go-yaml
 * prints after all the fields whatever its place in the struct (ServiceDependency declares
 * it before `required`), sorted. Each table below is one compose-go struct: its yaml keys
 * in declaration order, and for each key what the value is (a leaf, a Go map to sort, a
 * struct, a map or a sequence of structs). The walk knows which struct every map is.
 *
 * The two printers sort Go maps differently: go-yaml's keyList.Less compares runs of
 * digits as numbers and puts non-letters before letters (sorter.go), encoding/json sorts
 * by bytes. JSON also differs in shape (json:"-" extensions, fields without omitempty, the
 * map[string]any Project.MarshalJSON builds); order_project_json applies those.
 */
#include "spec/order.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "base/cleanup.h"

enum fkind {
        F_LEAF,   /* scalar or list of scalars: left alone */
        F_GOMAP,  /* Go map of scalars (labels, environment, driver_opts...): sorted */
        F_STRUCT, /* another struct */
        F_MAP_OF, /* Go map of structs: sorted, each value a struct */
        F_SEQ_OF, /* slice of structs */
};

enum jflag {
        J_NULL = 1 << 0,     /* JSON prints null when absent (no omitempty) */
        J_EMPTY = 1 << 1,    /* JSON prints the zero struct when absent (struct value) */
        J_OMITZERO = 1 << 2, /* JSON omits 0 where YAML prints it */
};

struct sdef;

struct field {
        const char *key;
        enum fkind kind;
        const struct sdef *type;
        unsigned json;
        const char *json_key; /* the Go field name when the JSON key differs */
};

struct sdef {
        const struct field *fields;
        size_t n;
};

/* clang-format off: the tables read best one struct per block */
#define LEAF(k)                          \
        {                                \
                k, F_LEAF, NULL, 0, NULL \
        }
#define GOMAP(k)                          \
        {                                 \
                k, F_GOMAP, NULL, 0, NULL \
        }
#define STRUCT(k, t)                     \
        {                                \
                k, F_STRUCT, &t, 0, NULL \
        }
#define MAP_OF(k, t)                     \
        {                                \
                k, F_MAP_OF, &t, 0, NULL \
        }
#define SEQ_OF(k, t)                     \
        {                                \
                k, F_SEQ_OF, &t, 0, NULL \
        }
#define JLEAF(k, j, jk)                \
        {                              \
                k, F_LEAF, NULL, j, jk \
        }
#define SDEF(f)                  \
        {                        \
                f, ARRAY_SIZE(f) \
        }

/* types/hooks.go ServiceHook */
static const struct field f_hook[] = {
        JLEAF("command", J_NULL, NULL),
        LEAF("image"),
        LEAF("user"),
        LEAF("privileged"),
        LEAF("working_dir"),
        GOMAP("environment"),
        LEAF("per_replica"),
};
static const struct sdef s_hook = SDEF(f_hook);

/* types/develop.go Trigger, DevelopConfig */
static const struct field f_trigger[] = {
        LEAF("path"),         LEAF("action"),
        LEAF("target"),       { "exec", F_STRUCT, &s_hook, J_EMPTY, NULL },
        LEAF("include"),      LEAF("ignore"),
        LEAF("initial_sync"),
};
static const struct sdef s_trigger = SDEF(f_trigger);
static const struct field f_develop[] = { SEQ_OF("watch", s_trigger) };
static const struct sdef s_develop = SDEF(f_develop);

/* types/types.go BlkioConfig and its devices (untagged fields: lower-cased in YAML) */
static const struct field f_weight_dev[] = {
        JLEAF("path", 0, "Path"),
        JLEAF("weight", 0, "Weight"),
};
static const struct sdef s_weight_dev = SDEF(f_weight_dev);
static const struct field f_throttle_dev[] = {
        JLEAF("path", 0, "Path"),
        JLEAF("rate", 0, "Rate"),
};
static const struct sdef s_throttle_dev = SDEF(f_throttle_dev);
static const struct field f_blkio[] = {
        LEAF("weight"),
        SEQ_OF("weight_device", s_weight_dev),
        SEQ_OF("device_read_bps", s_throttle_dev),
        SEQ_OF("device_read_iops", s_throttle_dev),
        SEQ_OF("device_write_bps", s_throttle_dev),
        SEQ_OF("device_write_iops", s_throttle_dev),
};
static const struct sdef s_blkio = SDEF(f_blkio);

static const struct field f_device_mapping[] = {
        LEAF("source"),
        LEAF("target"),
        LEAF("permissions"),
};
static const struct sdef s_device_mapping = SDEF(f_device_mapping);
static const struct field f_credential_spec[] = {
        LEAF("config"),
        LEAF("file"),
        LEAF("registry"),
};
static const struct sdef s_credential_spec = SDEF(f_credential_spec);
static const struct field f_dependency[] = {
        LEAF("condition"),
        LEAF("restart"),
        LEAF("required"),
};
static const struct sdef s_dependency = SDEF(f_dependency);

/* types/types.go DeployConfig and what it holds; types/device.go DeviceRequest */
static const struct field f_update[] = {
        LEAF("parallelism"),       LEAF("delay"), LEAF("failure_action"), LEAF("monitor"),
        LEAF("max_failure_ratio"), LEAF("order"),
};
static const struct sdef s_update = SDEF(f_update);
static const struct field f_device_request[] = {
        LEAF("capabilities"), LEAF("driver"), LEAF("count"), LEAF("device_ids"), GOMAP("options"),
};
static const struct sdef s_device_request = SDEF(f_device_request);
static const struct field f_discrete[] = { LEAF("kind"), LEAF("value") };
static const struct sdef s_discrete = SDEF(f_discrete);
static const struct field f_generic[] = { STRUCT("discrete_resource_spec", s_discrete) };
static const struct sdef s_generic = SDEF(f_generic);
static const struct field f_resource[] = {
        LEAF("cpus"),
        LEAF("memory"),
        LEAF("pids"),
        SEQ_OF("devices", s_device_request),
        SEQ_OF("generic_resources", s_generic),
};
static const struct sdef s_resource = SDEF(f_resource);
static const struct field f_resources[] = {
        STRUCT("limits", s_resource),
        STRUCT("reservations", s_resource),
};
static const struct sdef s_resources = SDEF(f_resources);
static const struct field f_restart_policy[] = {
        LEAF("condition"),
        LEAF("delay"),
        LEAF("max_attempts"),
        LEAF("window"),
};
static const struct sdef s_restart_policy = SDEF(f_restart_policy);
static const struct field f_preference[] = { LEAF("spread") };
static const struct sdef s_preference = SDEF(f_preference);
static const struct field f_placement[] = {
        LEAF("constraints"),
        SEQ_OF("preferences", s_preference),
        LEAF("max_replicas_per_node"),
};
static const struct sdef s_placement = SDEF(f_placement);
static const struct field f_deploy[] = {
        LEAF("mode"),
        LEAF("replicas"),
        GOMAP("labels"),
        STRUCT("update_config", s_update),
        STRUCT("rollback_config", s_update),
        { "resources", F_STRUCT, &s_resources, J_EMPTY, NULL },
        STRUCT("restart_policy", s_restart_policy),
        { "placement", F_STRUCT, &s_placement, J_EMPTY, NULL },
        LEAF("endpoint_mode"),
};
static const struct sdef s_deploy = SDEF(f_deploy);

/* types/envfile.go, healthcheck.go, models.go and the small service structs */
static const struct field f_env_file[] = { LEAF("path"), LEAF("required"), LEAF("format") };
static const struct sdef s_env_file = SDEF(f_env_file);
static const struct field f_extends[] = { LEAF("file"), LEAF("service") };
static const struct sdef s_extends = SDEF(f_extends);
static const struct field f_healthcheck[] = {
        LEAF("test"),         LEAF("timeout"),        LEAF("interval"), LEAF("retries"),
        LEAF("start_period"), LEAF("start_interval"), LEAF("disable"),
};
static const struct sdef s_healthcheck = SDEF(f_healthcheck);
static const struct field f_logging[] = { LEAF("driver"), GOMAP("options") };
static const struct sdef s_logging = SDEF(f_logging);
static const struct field f_service_model[] = { LEAF("endpoint_var"), LEAF("model_var") };
static const struct sdef s_service_model = SDEF(f_service_model);
static const struct field f_service_network[] = {
        LEAF("aliases"),        GOMAP("driver_opts"), LEAF("gw_priority"),
        LEAF("interface_name"), LEAF("ipv4_address"), LEAF("ipv6_address"),
        LEAF("link_local_ips"), LEAF("mac_address"),  LEAF("priority"),
};
static const struct sdef s_service_network = SDEF(f_service_network);
static const struct field f_port[] = {
        LEAF("name"),      LEAF("mode"),     LEAF("host_ip"),      LEAF("target"),
        LEAF("published"), LEAF("protocol"), LEAF("app_protocol"),
};
static const struct sdef s_port = SDEF(f_port);
static const struct field f_provider[] = { LEAF("type"), GOMAP("options") };
static const struct sdef s_provider = SDEF(f_provider);
/* UlimitsConfig: YAML prints {soft, hard} (an anonymous struct in MarshalYAML, no
 * omitempty); JSON prints the struct itself, single/soft/hard with omitempty. */
static const struct field f_ulimit[] = {
        JLEAF("single", J_OMITZERO, NULL),
        JLEAF("soft", J_OMITZERO, NULL),
        JLEAF("hard", J_OMITZERO, NULL),
};
static const struct sdef s_ulimit = SDEF(f_ulimit);
/* FileReferenceConfig: service secrets and configs, build secrets */
static const struct field f_file_ref[] = {
        LEAF("source"), LEAF("target"), LEAF("uid"), LEAF("gid"), LEAF("mode"),
};
static const struct sdef s_file_ref = SDEF(f_file_ref);

/* types/types.go ServiceVolumeConfig and its per-type options */
static const struct field f_vol_bind[] = {
        LEAF("selinux"),
        LEAF("propagation"),
        LEAF("create_host_path"),
        LEAF("recursive"),
};
static const struct sdef s_vol_bind = SDEF(f_vol_bind);
static const struct field f_vol_volume[] = { GOMAP("labels"), LEAF("nocopy"), LEAF("subpath") };
static const struct sdef s_vol_volume = SDEF(f_vol_volume);
static const struct field f_vol_tmpfs[] = { LEAF("size"), LEAF("mode") };
static const struct sdef s_vol_tmpfs = SDEF(f_vol_tmpfs);
static const struct field f_vol_image[] = { LEAF("subpath") };
static const struct sdef s_vol_image = SDEF(f_vol_image);
static const struct field f_service_volume[] = {
        LEAF("type"),
        LEAF("source"),
        LEAF("target"),
        LEAF("read_only"),
        LEAF("consistency"),
        STRUCT("bind", s_vol_bind),
        STRUCT("volume", s_vol_volume),
        STRUCT("tmpfs", s_vol_tmpfs),
        STRUCT("image", s_vol_image),
};
static const struct sdef s_service_volume = SDEF(f_service_volume);

/* types/build.go BuildConfig */
static const struct field f_build[] = {
        LEAF("context"),
        LEAF("dockerfile"),
        LEAF("dockerfile_inline"),
        LEAF("entitlements"),
        GOMAP("args"),
        LEAF("provenance"),
        LEAF("sbom"),
        LEAF("ssh"),
        GOMAP("labels"),
        LEAF("cache_from"),
        LEAF("cache_to"),
        LEAF("no_cache"),
        LEAF("no_cache_filter"),
        GOMAP("additional_contexts"),
        LEAF("pull"),
        LEAF("extra_hosts"),
        LEAF("isolation"),
        LEAF("network"),
        LEAF("target"),
        SEQ_OF("secrets", s_file_ref),
        LEAF("shm_size"),
        LEAF("tags"),
        MAP_OF("ulimits", s_ulimit),
        LEAF("platforms"),
        LEAF("privileged"),
};
static const struct sdef s_build = SDEF(f_build);

/* types/types.go ServiceConfig */
static const struct field f_service[] = {
        LEAF("name"),
        LEAF("profiles"),
        GOMAP("annotations"),
        LEAF("attach"),
        STRUCT("build", s_build),
        STRUCT("develop", s_develop),
        STRUCT("blkio_config", s_blkio),
        LEAF("cap_add"),
        LEAF("cap_drop"),
        LEAF("cgroup_parent"),
        LEAF("cgroup"),
        LEAF("cpu_count"),
        LEAF("cpu_percent"),
        LEAF("cpu_period"),
        LEAF("cpu_quota"),
        LEAF("cpu_rt_period"),
        LEAF("cpu_rt_runtime"),
        LEAF("cpus"),
        LEAF("cpuset"),
        LEAF("cpu_shares"),
        JLEAF("command", J_NULL, NULL),
        SEQ_OF("configs", s_file_ref),
        LEAF("container_name"),
        STRUCT("credential_spec", s_credential_spec),
        MAP_OF("depends_on", s_dependency),
        STRUCT("deploy", s_deploy),
        LEAF("device_cgroup_rules"),
        SEQ_OF("devices", s_device_mapping),
        LEAF("dns"),
        LEAF("dns_opt"),
        LEAF("dns_search"),
        LEAF("dockerfile"),
        LEAF("domainname"),
        JLEAF("entrypoint", J_NULL, NULL),
        STRUCT("provider", s_provider),
        GOMAP("environment"),
        SEQ_OF("env_file", s_env_file),
        LEAF("expose"),
        STRUCT("extends", s_extends),
        LEAF("external_links"),
        LEAF("extra_hosts"),
        LEAF("group_add"),
        SEQ_OF("gpus", s_device_request),
        LEAF("hostname"),
        STRUCT("healthcheck", s_healthcheck),
        LEAF("image"),
        LEAF("init"),
        LEAF("ipc"),
        LEAF("isolation"),
        GOMAP("labels"),
        LEAF("label_file"),
        LEAF("links"),
        STRUCT("logging", s_logging),
        LEAF("log_driver"),
        GOMAP("log_opt"),
        LEAF("mem_limit"),
        LEAF("mem_reservation"),
        LEAF("memswap_limit"),
        LEAF("mem_swappiness"),
        LEAF("mac_address"),
        MAP_OF("models", s_service_model),
        LEAF("net"),
        LEAF("network_mode"),
        MAP_OF("networks", s_service_network),
        LEAF("oom_kill_disable"),
        LEAF("oom_score_adj"),
        LEAF("pid"),
        LEAF("pids_limit"),
        LEAF("platform"),
        SEQ_OF("ports", s_port),
        LEAF("privileged"),
        LEAF("pull_policy"),
        LEAF("read_only"),
        LEAF("restart"),
        LEAF("runtime"),
        LEAF("scale"),
        SEQ_OF("secrets", s_file_ref),
        LEAF("security_opt"),
        LEAF("shm_size"),
        LEAF("stdin_open"),
        LEAF("stop_grace_period"),
        LEAF("stop_signal"),
        GOMAP("storage_opt"),
        GOMAP("sysctls"),
        LEAF("tmpfs"),
        LEAF("tty"),
        MAP_OF("ulimits", s_ulimit),
        LEAF("use_api_socket"),
        LEAF("user"),
        LEAF("userns_mode"),
        LEAF("uts"),
        LEAF("volume_driver"),
        SEQ_OF("volumes", s_service_volume),
        LEAF("volumes_from"),
        LEAF("working_dir"),
        SEQ_OF("pre_start", s_hook),
        SEQ_OF("post_start", s_hook),
        SEQ_OF("pre_stop", s_hook),
};
static const struct sdef s_service = SDEF(f_service);

/* types/types.go NetworkConfig, IPAMConfig, IPAMPool, VolumeConfig, FileObjectConfig */
static const struct field f_ipam_pool[] = {
        LEAF("subnet"),
        LEAF("gateway"),
        LEAF("ip_range"),
        GOMAP("aux_addresses"),
};
static const struct sdef s_ipam_pool = SDEF(f_ipam_pool);
static const struct field f_ipam[] = {
        LEAF("driver"),
        SEQ_OF("config", s_ipam_pool),
        GOMAP("options"),
};
static const struct sdef s_ipam = SDEF(f_ipam);
static const struct field f_network[] = {
        LEAF("name"),         LEAF("driver"),
        GOMAP("driver_opts"), { "ipam", F_STRUCT, &s_ipam, J_EMPTY, NULL },
        LEAF("external"),     LEAF("internal"),
        LEAF("attachable"),   GOMAP("labels"),
        LEAF("enable_ipv4"),  LEAF("enable_ipv6"),
};
static const struct sdef s_network = SDEF(f_network);
static const struct field f_volume[] = {
        LEAF("name"), LEAF("driver"), GOMAP("driver_opts"), LEAF("external"), GOMAP("labels"),
};
static const struct sdef s_volume = SDEF(f_volume);
static const struct field f_file_object[] = {
        LEAF("name"),    LEAF("file"),         LEAF("environment"),
        LEAF("content"), LEAF("external"),     GOMAP("labels"),
        LEAF("driver"),  GOMAP("driver_opts"), LEAF("template_driver"),
};
static const struct sdef s_file_object = SDEF(f_file_object);
static const struct field f_model[] = {
        LEAF("name"),
        LEAF("model"),
        LEAF("context_size"),
        LEAF("runtime_flags"),
};
static const struct sdef s_model = SDEF(f_model);

/* types/project.go Project */
static const struct field f_project[] = {
        LEAF("name"),
        MAP_OF("services", s_service),
        MAP_OF("networks", s_network),
        MAP_OF("volumes", s_volume),
        MAP_OF("secrets", s_file_object),
        MAP_OF("configs", s_file_object),
        MAP_OF("models", s_model),
};
static const struct sdef s_project = SDEF(f_project);
/* clang-format on */

/* ---- go-yaml's key order (sorter.go keyList.Less on strings) -------------------------- */

static size_t
to_runes(const char *s, uint32_t **ret)
{
        size_t n = strlen(s), k = 0, len;
        uint32_t *v = xmalloc((n + 1) * sizeof(*v));

        /* Go's []rune(s): invalid UTF-8 is one U+FFFD per byte */
        for (size_t i = 0; i < n; i += len)
                len = utf8_decode(s + i, n - i, &v[k++]);
        *ret = v;
        return k;
}

struct range {
        uint32_t lo, hi;
};

static bool
in_ranges(uint32_t r, const struct range *t, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (r >= t[i].lo && r <= t[i].hi)
                        return true;
        return false;
}

/* unicode.IsDigit: ASCII and the common decimal digit blocks. */
static bool
rune_is_digit(uint32_t r)
{
        static const struct range digits[] = {
                { '0', '9' },     { 0x660, 0x669 }, { 0x6F0, 0x6F9 },
                { 0x966, 0x96F }, { 0xE50, 0xE59 }, { 0xFF10, 0xFF19 },
        };

        return in_ranges(r, digits, ARRAY_SIZE(digits));
}

/* unicode.IsLetter: exact for ASCII and Latin-1, the main letter blocks beyond (an
 * approximation of category L; keys outside these blocks are rare in compose files). */
static bool
rune_is_letter(uint32_t r)
{
        static const struct range letters[] = {
                { 'A', 'Z' },         { 'a', 'z' },       { 0xAA, 0xAA },     { 0xB5, 0xB5 },
                { 0xBA, 0xBA },       { 0xC0, 0xD6 },     { 0xD8, 0xF6 },     { 0xF8, 0x2C1 },
                { 0x2C6, 0x2D1 },     { 0x2E0, 0x2E4 },   { 0x370, 0x374 },   { 0x376, 0x37D },
                { 0x386, 0x386 },     { 0x388, 0x3FF },   { 0x400, 0x481 },   { 0x48A, 0x52F },
                { 0x531, 0x556 },     { 0x561, 0x587 },   { 0x5D0, 0x5EA },   { 0x620, 0x64A },
                { 0x904, 0x939 },     { 0xE01, 0xE30 },   { 0x10A0, 0x10FF }, { 0x1E00, 0x1FBC },
                { 0x3041, 0x3096 },   { 0x30A1, 0x30FA }, { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF },
                { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF }, { 0xFF21, 0xFF3A }, { 0xFF41, 0xFF5A },
                { 0x20000, 0x2FFFF },
        };

        return in_ranges(r, letters, ARRAY_SIZE(letters));
}

/* digit_run: the value of the digit run at a[i..] and where it ends, with Go's int64
 * wrap-around (computed unsigned, as Go's overflow is defined and C's is not). */
static uint64_t
digit_run(const uint32_t *a, size_t n, size_t i, uint64_t start, size_t *ret_end)
{
        uint64_t v = start;

        for (; i < n && rune_is_digit(a[i]); i++)
                v = v * 10 + (uint64_t)(int64_t)((int64_t)a[i] - '0');
        *ret_end = i;
        return v;
}

/* mixed_less: keyList.Less once a and b differ at i and are not both letters. */
static bool
mixed_less(const uint32_t *a, size_t an_, const uint32_t *b, size_t bn_, size_t i, bool digits)
{
        bool al = rune_is_letter(a[i]), bl = rune_is_letter(b[i]);
        uint64_t start = 0, av, bv;
        size_t ae, be;

        if (al || bl)
                return digits ? al : bl;
        if (a[i] == '0' || b[i] == '0') {
                for (size_t j = i; j-- > 0 && rune_is_digit(a[j]);) {
                        if (a[j] != '0') {
                                start = 1;
                                break;
                        }
                }
        }
        av = digit_run(a, an_, i, start, &ae);
        bv = digit_run(b, bn_, i, start, &be);
        if (av != bv)
                return (int64_t)av < (int64_t)bv;
        if (ae != be)
                return ae < be;
        return a[i] < b[i];
}

static bool
yaml_key_less(const uint32_t *a, size_t an_, const uint32_t *b, size_t bn_)
{
        bool digits = false;

        for (size_t i = 0; i < an_ && i < bn_; i++) {
                if (a[i] == b[i]) {
                        digits = rune_is_digit(a[i]);
                        continue;
                }
                if (rune_is_letter(a[i]) && rune_is_letter(b[i]))
                        return a[i] < b[i];
                return mixed_less(a, an_, b, bn_, i, digits);
        }
        return an_ < bn_;
}

int
order_yaml_key_cmp(const char *a, const char *b)
{
        cleanup_free uint32_t *ra = NULL;
        cleanup_free uint32_t *rb = NULL;
        size_t an_, bn_;

        if (strcmp(a, b) == 0)
                return 0;
        an_ = to_runes(a, &ra);
        bn_ = to_runes(b, &rb);
        if (yaml_key_less(ra, an_, rb, bn_))
                return -1;
        if (yaml_key_less(rb, bn_, ra, an_))
                return 1;
        return strcmp(a, b);
}

/* ---- the walk ------------------------------------------------------------------------- */

struct octx {
        bool json;
        int (*cmp)(const char *a, const char *b);
};

static int
cmp_bytes(const char *a, const char *b)
{
        return strcmp(a, b);
}

static bool
is_extension(const char *key)
{
        return strncmp(key, "x-", 2) == 0;
}

/* sort_entries: sort e[0..n) by key with the printer's comparison (a stable merge sort, so
 * that no comparison quirk depends on qsort's algorithm). */
static void
sort_entries(struct node_entry *e, size_t n, const struct octx *c)
{
        cleanup_free struct node_entry *tmp = NULL;
        size_t mid = n / 2, i = 0, j = mid, k = 0;

        if (n < 2)
                return;
        sort_entries(e, mid, c);
        sort_entries(e + mid, n - mid, c);
        tmp = xmalloc(n * sizeof(*tmp));
        while (i < mid && j < n)
                tmp[k++] = c->cmp(e[j].key, e[i].key) < 0 ? e[j++] : e[i++];
        while (i < mid)
                tmp[k++] = e[i++];
        while (j < n)
                tmp[k++] = e[j++];
        memcpy(e, tmp, n * sizeof(*tmp));
}

/* order_any: a Go map[string]any (extensions, the --no-interpolate model): every map
 * sorted, all the way down. */
static void
order_any(struct node *n, const struct octx *c)
{
        if (!n)
                return;
        if (n->kind == NODE_MAP) {
                sort_entries(n->entries, n->n, c);
                node_foreach_entry(e, n) order_any(e->val, c);
        } else if (n->kind == NODE_SEQ) {
                node_foreach_item(it, n) order_any(it, c);
        }
}

static void order_struct(struct node *map, const struct sdef *t, const struct octx *c);

static void
order_value(struct node *v, const struct field *f, const struct octx *c)
{
        if (!v)
                return;
        switch (f->kind) {
        case F_LEAF:
                return;
        case F_GOMAP:
                if (v->kind == NODE_MAP)
                        sort_entries(v->entries, v->n, c);
                return;
        case F_STRUCT:
                order_struct(v, f->type, c);
                return;
        case F_MAP_OF:
                if (v->kind != NODE_MAP)
                        return;
                sort_entries(v->entries, v->n, c);
                node_foreach_entry(e, v) order_struct(e->val, f->type, c);
                return;
        case F_SEQ_OF:
                if (v->kind != NODE_SEQ)
                        return;
                node_foreach_item(it, v) order_struct(it, f->type, c);
                return;
        }
}

static bool
is_int_zero(const struct node *v)
{
        const char *s = v ? v->str : NULL;

        return v && v->kind == NODE_INT && s && strspn(s, "+-0_") == strlen(s) && *s;
}

/* json_shape: what encoding/json does differently from go-yaml with the same struct:
 * extensions are json:"-", some fields have no omitempty, a few keys are Go names. */
static void
json_shape(struct node *map, const struct sdef *t)
{
        for (size_t i = map->n; i-- > 0;)
                if (is_extension(map->entries[i].key))
                        node_map_del(map, map->entries[i].key);
        for (size_t k = 0; k < t->n; k++) {
                const struct field *f = &t->fields[k];
                struct node *v = node_map_get(map, f->key);

                if (!v && (f->json & J_NULL))
                        node_map_set(map, f->key, node_new(NODE_NULL, NULL));
                else if (!v && (f->json & J_EMPTY))
                        node_map_set(map, f->key, node_new(NODE_MAP, NULL));
                else if (v && (f->json & J_OMITZERO) && is_int_zero(v))
                        node_map_del(map, f->key);
        }
}

static void
json_rename(struct node *map, const struct sdef *t)
{
        for (size_t k = 0; k < t->n; k++) {
                const struct field *f = &t->fields[k];
                struct node_entry *e = f->json_key ? node_map_entry(map, f->key) : NULL;

                if (e && !node_map_get(map, f->json_key)) {
                        free(e->key);
                        e->key = xstrdup(f->json_key);
                }
        }
}

/* order_struct: the struct's fields in declaration order, then keys the table does not
 * know (in their order), then the x-* extensions sorted. */
static void
order_struct(struct node *map, const struct sdef *t, const struct octx *c)
{
        cleanup_free struct node_entry *out = NULL;
        cleanup_free bool *used = NULL;
        size_t k = 0, ext;

        if (!map || map->kind != NODE_MAP)
                return;
        if (c->json)
                json_shape(map, t);
        if (map->n == 0)
                return;
        out = xmalloc((map->n + 1) * sizeof(*out));
        used = xcalloc(map->n + 1, sizeof(*used));
        for (size_t f = 0; f < t->n; f++) {
                ssize_t i = node_map_index(map, t->fields[f].key);

                if (i < 0 || used[i])
                        continue;
                used[i] = true;
                out[k++] = map->entries[i];
                order_value(map->entries[i].val, &t->fields[f], c);
        }
        for (size_t i = 0; i < map->n; i++) {
                if (used[i] || is_extension(map->entries[i].key))
                        continue;
                used[i] = true;
                out[k++] = map->entries[i];
        }
        ext = k;
        for (size_t i = 0; i < map->n; i++)
                if (!used[i])
                        out[k++] = map->entries[i];
        sort_entries(out + ext, k - ext, c);
        for (size_t i = ext; i < k; i++)
                order_any(out[i].val, c);
        memcpy(map->entries, out, map->n * sizeof(*out));
        if (c->json)
                json_rename(map, t);
}

void
order_project(struct node *project, bool alphabetical)
{
        struct octx c = { .json = false, .cmp = order_yaml_key_cmp };

        if (alphabetical)
                order_any(project, &c);
        else
                order_struct(project, &s_project, &c);
}

/* json_root: Project.MarshalJSON's map[string]interface{}: name and services always,
 * networks/volumes/secrets/configs when not empty, extensions; models is not in it. */
static void
json_root(struct node *project, const struct octx *c)
{
        node_map_del(project, "models");
        if (!node_map_get(project, "name"))
                node_map_set(project, "name", node_new_str("", NULL));
        if (!node_map_get(project, "services"))
                node_map_set(project, "services", node_new(NODE_MAP, NULL));
        node_foreach_entry(e, project)
        {
                const struct field *f = NULL;

                for (size_t k = 0; k < s_project.n && !f; k++)
                        if (strcmp(s_project.fields[k].key, e->key) == 0)
                                f = &s_project.fields[k];
                if (f)
                        order_value(e->val, f, c);
                else if (is_extension(e->key))
                        order_any(e->val, c);
        }
        sort_entries(project->entries, project->n, c);
}

void
order_project_json(struct node *project, bool alphabetical)
{
        struct octx c = { .json = true, .cmp = cmp_bytes };

        if (!project || project->kind != NODE_MAP)
                return;
        if (alphabetical)
                order_any(project, &c);
        else
                json_root(project, &c);
}
