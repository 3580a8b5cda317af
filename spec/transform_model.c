/* transform_model: the compose model as compose-go's Go types describe it (package types).
 *
 * Fields are listed in Go declaration order (the order spec/order.c prints). TF_KEEP marks
 * pointer fields (printed when set, even to false or 0), TF_ALWAYS fields without
 * omitempty. x-* keys are extensions, kept as written. The hooks are transform.Canonical's
 * per-path transformers.
 */
#include "spec/transform_internal.h"

#define SCALAR(name, k) static const struct ttype name = { .kind = (k) }

SCALAR(t_str, TK_STR);
SCALAR(t_bool, TK_BOOL);
SCALAR(t_optout, TK_OPTOUT);
SCALAR(t_int, TK_INT);
SCALAR(t_uint, TK_UINT);
SCALAR(t_float32, TK_FLOAT32);
SCALAR(t_duration, TK_DURATION);
SCALAR(t_bytes, TK_BYTES);
SCALAR(t_filemode, TK_FILEMODE);
SCALAR(t_devcount, TK_DEVCOUNT);
SCALAR(t_strlist, TK_STRLIST);
SCALAR(t_command, TK_COMMAND);
SCALAR(t_hctest, TK_HCTEST);
SCALAR(t_mapping, TK_MAPPING);
SCALAR(t_mapping_eq, TK_MAPPING_EQ);
SCALAR(t_labels, TK_LABELS);
SCALAR(t_options, TK_OPTIONS);
SCALAR(t_multioptions, TK_MULTIOPTIONS);
SCALAR(t_hosts, TK_HOSTS);

static const struct ttype t_strs = { .kind = TK_SEQ, .elem = &t_str };
static const struct ttype t_dns = { .kind = TK_STRLIST, .flags = TT_DROP_EMPTY };
static const struct ttype t_ulimit = { .kind = TK_ULIMIT };
static const struct ttype t_ulimits = { .kind = TK_MAP, .flags = TT_PTR_ELEM, .elem = &t_ulimit };

#define STRUCT(name, ...)                                                                \
        static const struct tfield name##_fields[] = { __VA_ARGS__, { NULL, NULL, 0 } }; \
        static const struct ttype name = { .kind = TK_STRUCT, .fields = name##_fields }
#define STRUCT_HOOK(name, hook, ...)                                                     \
        static const struct tfield name##_fields[] = { __VA_ARGS__, { NULL, NULL, 0 } }; \
        static const struct ttype name = { .kind = TK_STRUCT, .fields = name##_fields, .pre = hook }

/* ServiceHook (pre_start, post_start, pre_stop, develop.watch.exec) */
STRUCT(t_hook, { "command", &t_command, TF_KEEP }, { "image", &t_str, 0 }, { "user", &t_str, 0 },
       { "privileged", &t_bool, 0 }, { "working_dir", &t_str, 0 },
       { "environment", &t_mapping_eq, 0 }, { "per_replica", &t_bool, 0 });
static const struct ttype t_hooks = { .kind = TK_SEQ, .elem = &t_hook };

/* FileReferenceConfig (service secrets and configs, build secrets) */
STRUCT_HOOK(t_file_ref, transform_hook_file_ref, { "source", &t_str, 0 }, { "target", &t_str, 0 },
            { "uid", &t_str, 0 }, { "gid", &t_str, 0 }, { "mode", &t_filemode, TF_KEEP });
static const struct ttype t_file_refs = { .kind = TK_SEQ, .elem = &t_file_ref };

/* BuildConfig */
static const struct ttype t_ssh = { .kind = TK_SEQ, .elem = &t_str, .pre = transform_hook_ssh };
static const struct ttype t_contexts = { .kind = TK_MAPPING, .pre = transform_hook_key_value };
STRUCT_HOOK(t_build, transform_hook_build, { "context", &t_str, 0 }, { "dockerfile", &t_str, 0 },
            { "dockerfile_inline", &t_str, 0 }, { "entitlements", &t_strs, 0 },
            { "args", &t_mapping_eq, 0 }, { "provenance", &t_str, 0 }, { "sbom", &t_str, 0 },
            { "ssh", &t_ssh, 0 }, { "labels", &t_labels, 0 }, { "cache_from", &t_strlist, 0 },
            { "cache_to", &t_strlist, 0 }, { "no_cache", &t_bool, 0 },
            { "no_cache_filter", &t_strlist, 0 }, { "additional_contexts", &t_contexts, 0 },
            { "pull", &t_bool, 0 }, { "extra_hosts", &t_hosts, 0 }, { "isolation", &t_str, 0 },
            { "network", &t_str, 0 }, { "target", &t_str, 0 }, { "secrets", &t_file_refs, 0 },
            { "shm_size", &t_bytes, 0 }, { "tags", &t_strlist, 0 }, { "ulimits", &t_ulimits, 0 },
            { "platforms", &t_strlist, 0 }, { "privileged", &t_bool, 0 });

/* DevelopConfig */
STRUCT(t_trigger, { "path", &t_str, TF_ALWAYS }, { "action", &t_str, TF_ALWAYS },
       { "target", &t_str, 0 }, { "exec", &t_hook, 0 }, { "include", &t_strlist, 0 },
       { "ignore", &t_strlist, 0 }, { "initial_sync", &t_bool, 0 });
static const struct ttype t_triggers = { .kind = TK_SEQ, .elem = &t_trigger };
STRUCT(t_develop, { "watch", &t_triggers, 0 });

/* BlkioConfig */
STRUCT(t_weight_device, { "path", &t_str, TF_ALWAYS }, { "weight", &t_uint, TF_ALWAYS });
STRUCT(t_throttle, { "path", &t_str, TF_ALWAYS }, { "rate", &t_bytes, TF_ALWAYS });
static const struct ttype t_weight_devices = { .kind = TK_SEQ, .elem = &t_weight_device };
static const struct ttype t_throttles = { .kind = TK_SEQ, .elem = &t_throttle };
STRUCT(t_blkio, { "weight", &t_uint, 0 }, { "weight_device", &t_weight_devices, 0 },
       { "device_read_bps", &t_throttles, 0 }, { "device_read_iops", &t_throttles, 0 },
       { "device_write_bps", &t_throttles, 0 }, { "device_write_iops", &t_throttles, 0 });

STRUCT(t_credential_spec, { "config", &t_str, 0 }, { "file", &t_str, 0 },
       { "registry", &t_str, 0 });

/* depends_on: ServiceDependency (compose-go inlines its extensions before required) */
STRUCT(t_dependency, { "condition", &t_str, 0 }, { "restart", &t_bool, 0 },
       { "required", &t_bool, TF_ALWAYS });
static const struct ttype t_depends_on = { .kind = TK_MAP,
                                           .elem = &t_dependency,
                                           .pre = transform_hook_depends_on };

/* DeviceRequest (gpus, deploy.resources.reservations.devices) */
STRUCT(t_device_request, { "capabilities", &t_strs, 0 }, { "driver", &t_str, 0 },
       { "count", &t_devcount, 0 }, { "device_ids", &t_strs, 0 }, { "options", &t_mapping, 0 });
static const struct ttype t_device_requests = { .kind = TK_SEQ, .elem = &t_device_request };
static const struct ttype t_gpus = { .kind = TK_SEQ,
                                     .elem = &t_device_request,
                                     .pre = transform_hook_gpus };

/* DeployConfig */
STRUCT(t_update, { "parallelism", &t_uint, TF_KEEP }, { "delay", &t_duration, 0 },
       { "failure_action", &t_str, 0 }, { "monitor", &t_duration, 0 },
       { "max_failure_ratio", &t_float32, 0 }, { "order", &t_str, 0 });
STRUCT(t_discrete, { "kind", &t_str, TF_ALWAYS }, { "value", &t_int, TF_ALWAYS });
STRUCT(t_generic, { "discrete_resource_spec", &t_discrete, TF_KEEP });
static const struct ttype t_generics = { .kind = TK_SEQ, .elem = &t_generic };
STRUCT(t_resource, { "cpus", &t_float32, 0 }, { "memory", &t_bytes, 0 }, { "pids", &t_int, 0 },
       { "devices", &t_device_requests, 0 }, { "generic_resources", &t_generics, 0 });
STRUCT(t_resources, { "limits", &t_resource, TF_KEEP }, { "reservations", &t_resource, TF_KEEP });
STRUCT(t_restart_policy, { "condition", &t_str, 0 }, { "delay", &t_duration, TF_KEEP },
       { "max_attempts", &t_uint, TF_KEEP }, { "window", &t_duration, TF_KEEP });
STRUCT(t_preference, { "spread", &t_str, 0 });
static const struct ttype t_preferences = { .kind = TK_SEQ, .elem = &t_preference };
STRUCT(t_placement, { "constraints", &t_strs, 0 }, { "preferences", &t_preferences, 0 },
       { "max_replicas_per_node", &t_uint, 0 });
STRUCT(t_deploy, { "mode", &t_str, 0 }, { "replicas", &t_int, TF_KEEP }, { "labels", &t_labels, 0 },
       { "update_config", &t_update, TF_KEEP }, { "rollback_config", &t_update, TF_KEEP },
       { "resources", &t_resources, 0 }, { "restart_policy", &t_restart_policy, TF_KEEP },
       { "placement", &t_placement, 0 }, { "endpoint_mode", &t_str, 0 });

/* DeviceMapping */
STRUCT_HOOK(t_device, transform_hook_device, { "source", &t_str, 0 }, { "target", &t_str, 0 },
            { "permissions", &t_str, 0 });
static const struct ttype t_devices = { .kind = TK_SEQ, .elem = &t_device };

/* EnvFile */
STRUCT(t_env_file, { "path", &t_str, 0 }, { "required", &t_optout, 0 }, { "format", &t_str, 0 });
static const struct ttype t_env_files = { .kind = TK_SEQ,
                                          .elem = &t_env_file,
                                          .pre = transform_hook_env_file };

STRUCT_HOOK(t_extends, transform_hook_extends, { "file", &t_str, 0 }, { "service", &t_str, 0 });

STRUCT(t_healthcheck, { "test", &t_hctest, 0 }, { "timeout", &t_duration, TF_KEEP },
       { "interval", &t_duration, TF_KEEP }, { "retries", &t_uint, TF_KEEP },
       { "start_period", &t_duration, TF_KEEP }, { "start_interval", &t_duration, TF_KEEP },
       { "disable", &t_bool, 0 });

STRUCT(t_logging, { "driver", &t_str, 0 }, { "options", &t_options, 0 });

/* service networks and models: a list of names or a map of (nullable) configs */
STRUCT(t_service_network, { "aliases", &t_strs, 0 }, { "driver_opts", &t_options, 0 },
       { "gw_priority", &t_int, 0 }, { "interface_name", &t_str, 0 }, { "ipv4_address", &t_str, 0 },
       { "ipv6_address", &t_str, 0 }, { "link_local_ips", &t_strs, 0 },
       { "mac_address", &t_str, 0 }, { "priority", &t_int, 0 });
static const struct ttype t_service_networks = { .kind = TK_MAP,
                                                 .flags = TT_PTR_ELEM,
                                                 .elem = &t_service_network,
                                                 .pre = transform_hook_list_to_map };
STRUCT(t_service_model, { "endpoint_var", &t_str, 0 }, { "model_var", &t_str, 0 });
static const struct ttype t_service_models = { .kind = TK_MAP,
                                               .flags = TT_PTR_ELEM,
                                               .elem = &t_service_model,
                                               .pre = transform_hook_list_to_map };

/* ServicePortConfig */
STRUCT(t_port, { "name", &t_str, 0 }, { "mode", &t_str, 0 }, { "host_ip", &t_str, 0 },
       { "target", &t_uint, 0 }, { "published", &t_str, 0 }, { "protocol", &t_str, 0 },
       { "app_protocol", &t_str, 0 });
static const struct ttype t_ports = { .kind = TK_SEQ,
                                      .elem = &t_port,
                                      .pre = transform_hook_ports };

STRUCT(t_provider, { "type", &t_str, 0 }, { "options", &t_multioptions, 0 });

/* ServiceVolumeConfig */
STRUCT(t_volume_bind, { "selinux", &t_str, 0 }, { "propagation", &t_str, 0 },
       { "create_host_path", &t_optout, 0 }, { "recursive", &t_str, 0 });
STRUCT(t_volume_volume, { "labels", &t_mapping, 0 }, { "nocopy", &t_bool, 0 },
       { "subpath", &t_str, 0 });
STRUCT(t_volume_tmpfs, { "size", &t_bytes, 0 }, { "mode", &t_uint, 0 });
STRUCT(t_volume_image, { "subpath", &t_str, 0 });
STRUCT_HOOK(t_volume, transform_hook_volume, { "type", &t_str, 0 }, { "source", &t_str, 0 },
            { "target", &t_str, 0 }, { "read_only", &t_bool, 0 }, { "consistency", &t_str, 0 },
            { "bind", &t_volume_bind, TF_KEEP }, { "volume", &t_volume_volume, TF_KEEP },
            { "tmpfs", &t_volume_tmpfs, TF_KEEP }, { "image", &t_volume_image, TF_KEEP });
static const struct ttype t_volumes = { .kind = TK_SEQ, .elem = &t_volume };

/* ServiceConfig */
STRUCT(t_service, { "profiles", &t_strs, 0 }, { "annotations", &t_mapping, 0 },
       { "attach", &t_bool, TF_KEEP }, { "build", &t_build, TF_KEEP },
       { "develop", &t_develop, TF_KEEP }, { "blkio_config", &t_blkio, TF_KEEP },
       { "cap_add", &t_strs, 0 }, { "cap_drop", &t_strs, 0 }, { "cgroup_parent", &t_str, 0 },
       { "cgroup", &t_str, 0 }, { "cpu_count", &t_int, 0 }, { "cpu_percent", &t_float32, 0 },
       { "cpu_period", &t_int, 0 }, { "cpu_quota", &t_int, 0 }, { "cpu_rt_period", &t_int, 0 },
       { "cpu_rt_runtime", &t_int, 0 }, { "cpus", &t_float32, 0 }, { "cpuset", &t_str, 0 },
       { "cpu_shares", &t_int, 0 }, { "command", &t_command, TF_KEEP },
       { "configs", &t_file_refs, 0 }, { "container_name", &t_str, 0 },
       { "credential_spec", &t_credential_spec, TF_KEEP }, { "depends_on", &t_depends_on, 0 },
       { "deploy", &t_deploy, TF_KEEP }, { "device_cgroup_rules", &t_strs, 0 },
       { "devices", &t_devices, 0 }, { "dns", &t_dns, 0 }, { "dns_opt", &t_strs, 0 },
       { "dns_search", &t_strlist, 0 }, { "dockerfile", &t_str, 0 }, { "domainname", &t_str, 0 },
       { "entrypoint", &t_command, TF_KEEP }, { "provider", &t_provider, TF_KEEP },
       { "environment", &t_mapping_eq, 0 }, { "env_file", &t_env_files, 0 },
       { "expose", &t_strlist, 0 }, { "extends", &t_extends, TF_KEEP },
       { "external_links", &t_strs, 0 }, { "extra_hosts", &t_hosts, 0 },
       { "group_add", &t_strs, 0 }, { "gpus", &t_gpus, 0 }, { "hostname", &t_str, 0 },
       { "healthcheck", &t_healthcheck, TF_KEEP }, { "image", &t_str, 0 },
       { "init", &t_bool, TF_KEEP }, { "ipc", &t_str, 0 }, { "isolation", &t_str, 0 },
       { "labels", &t_labels, 0 }, { "label_file", &t_strlist, 0 }, { "links", &t_strs, 0 },
       { "logging", &t_logging, TF_KEEP }, { "log_driver", &t_str, 0 },
       { "log_opt", &t_options, 0 }, { "mem_limit", &t_bytes, 0 },
       { "mem_reservation", &t_bytes, 0 }, { "memswap_limit", &t_bytes, 0 },
       { "mem_swappiness", &t_bytes, 0 }, { "mac_address", &t_str, 0 },
       { "models", &t_service_models, 0 }, { "net", &t_str, 0 }, { "network_mode", &t_str, 0 },
       { "networks", &t_service_networks, 0 }, { "oom_kill_disable", &t_bool, 0 },
       { "oom_score_adj", &t_int, 0 }, { "pid", &t_str, 0 }, { "pids_limit", &t_int, 0 },
       { "platform", &t_str, 0 }, { "ports", &t_ports, 0 }, { "privileged", &t_bool, 0 },
       { "pull_policy", &t_str, 0 }, { "read_only", &t_bool, 0 }, { "restart", &t_str, 0 },
       { "runtime", &t_str, 0 }, { "scale", &t_int, TF_KEEP }, { "secrets", &t_file_refs, 0 },
       { "security_opt", &t_strs, 0 }, { "shm_size", &t_bytes, 0 }, { "stdin_open", &t_bool, 0 },
       { "stop_grace_period", &t_duration, TF_KEEP }, { "stop_signal", &t_str, 0 },
       { "storage_opt", &t_options, 0 }, { "sysctls", &t_mapping, 0 }, { "tmpfs", &t_strlist, 0 },
       { "tty", &t_bool, 0 }, { "ulimits", &t_ulimits, 0 }, { "use_api_socket", &t_bool, 0 },
       { "user", &t_str, 0 }, { "userns_mode", &t_str, 0 }, { "uts", &t_str, 0 },
       { "volume_driver", &t_str, 0 }, { "volumes", &t_volumes, 0 }, { "volumes_from", &t_strs, 0 },
       { "working_dir", &t_str, 0 }, { "pre_start", &t_hooks, 0 }, { "post_start", &t_hooks, 0 },
       { "pre_stop", &t_hooks, 0 });
static const struct ttype t_services = { .kind = TK_MAP, .elem = &t_service };

/* top-level resources */
STRUCT(t_ipam_pool, { "subnet", &t_str, 0 }, { "gateway", &t_str, 0 }, { "ip_range", &t_str, 0 },
       { "aux_addresses", &t_mapping, 0 });
static const struct ttype t_ipam_pools = { .kind = TK_SEQ,
                                           .flags = TT_PTR_ELEM,
                                           .elem = &t_ipam_pool };
STRUCT(t_ipam, { "driver", &t_str, 0 }, { "config", &t_ipam_pools, 0 },
       { "options", &t_options, 0 });
STRUCT_HOOK(t_network, transform_hook_external, { "name", &t_str, 0 }, { "driver", &t_str, 0 },
            { "driver_opts", &t_options, 0 }, { "ipam", &t_ipam, 0 }, { "external", &t_bool, 0 },
            { "internal", &t_bool, 0 }, { "attachable", &t_bool, 0 }, { "labels", &t_labels, 0 },
            { "enable_ipv4", &t_bool, TF_KEEP }, { "enable_ipv6", &t_bool, TF_KEEP });
static const struct ttype t_networks = { .kind = TK_MAP, .elem = &t_network };
STRUCT_HOOK(t_top_volume, transform_hook_external, { "name", &t_str, 0 }, { "driver", &t_str, 0 },
            { "driver_opts", &t_options, 0 }, { "external", &t_bool, 0 },
            { "labels", &t_labels, 0 });
static const struct ttype t_top_volumes = { .kind = TK_MAP, .elem = &t_top_volume };
STRUCT_HOOK(t_file_object, transform_hook_external, { "name", &t_str, 0 }, { "file", &t_str, 0 },
            { "environment", &t_str, 0 }, { "content", &t_str, 0 }, { "external", &t_bool, 0 },
            { "labels", &t_labels, 0 }, { "driver", &t_str, 0 }, { "driver_opts", &t_options, 0 },
            { "template_driver", &t_str, 0 });
static const struct ttype t_file_objects = { .kind = TK_MAP, .elem = &t_file_object };
STRUCT(t_model, { "name", &t_str, 0 }, { "model", &t_str, 0 }, { "context_size", &t_int, 0 },
       { "runtime_flags", &t_strs, 0 });
static const struct ttype t_models = { .kind = TK_MAP, .elem = &t_model };
STRUCT_HOOK(t_include, transform_hook_include, { "path", &t_strlist, 0 },
            { "project_directory", &t_str, 0 }, { "env_file", &t_strlist, 0 });
static const struct ttype t_includes = { .kind = TK_SEQ, .elem = &t_include };

/* Project (include is not printed by compose; the loader consumes it first) */
static const struct tfield project_fields[] = {
        { "name", &t_str, 0 },
        { "services", &t_services, TF_ALWAYS },
        { "networks", &t_networks, 0 },
        { "volumes", &t_top_volumes, 0 },
        { "secrets", &t_file_objects, 0 },
        { "configs", &t_file_objects, 0 },
        { "models", &t_models, 0 },
        { "include", &t_includes, 0 },
        { NULL, NULL, 0 },
};
const struct ttype transform_project_type = { .kind = TK_STRUCT, .fields = project_fields };
