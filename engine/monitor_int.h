/* monitor_int: private helpers shared by monitor*.c. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/err.h"
#include "engine/container.h"
#include "engine/runtime.h"

/* A runtime config built from config.json; everything it points to is owned here or by the
 * container's json object. */
struct mon_cfg {
        struct rt_config rt;
        char **argv, **env, **lowers, **hosts, **cap_add, **cap_drop, **sysctls;
        char ***pool; /* split mount specs the mounts point into */
        size_t n_pool;
        struct rt_mount *mounts;
        size_t n_mounts;
        struct rt_ulimit *ulimits;
        size_t n_ulimits;
        char *upper, *work, *cache;
        json_object *net; /* network.json (engine/container.h), or NULL; for container:ID
                           * the other container's */
        char *peer_ns;    /* container:ID: /proc/PID/ns/net of the other container */
        char **dns;       /* the network's DNS responder (its gateway), then --dns */
        char **group_add, **dns_search, **dns_options;
        struct rt_device *devices;
        size_t n_devices;
};

int mon_cfg_build(struct mon_cfg *m, const struct ctr *c, const char *root, struct err *err);
void mon_cfg_release(struct mon_cfg *m);

/* json getters: NULL / 0 when absent or of another type; mon_strv returns an owned strv. */
const char *mon_str(json_object *o, const char *key);
int64_t mon_int(json_object *o, const char *key);
char **mon_strv(json_object *o, const char *key);

/* mon_ulimit_resource: RLIMIT_* for a docker ulimit name, -1 when unknown. */
int mon_ulimit_resource(const char *name);

/* ---- monitor.c ---- */
int64_t mon_now_ms(void);
/* mon_backoff: ms before restart number restarts+1 after a run of ran_ms. */
int64_t mon_backoff(int restarts, int64_t ran_ms);

/* ---- monitor_health.c: docker's healthcheck ---- */
#define MON_HEALTH_OUTPUT_MAX 4096 /* bytes of probe output kept, like docker */
#define MON_HEALTH_LOG_MAX    5    /* results kept in state's Health.Log */

struct mon_health {
        char **test;                 /* argv of the probe; NULL = no healthcheck */
        int64_t interval, timeout, start_period, start_interval; /* ms */
        int retries;
        int64_t started;             /* ms: container start */
        int64_t next;                /* ms: next probe (0 = none scheduled) */
        pid_t pid;                   /* running probe, 0 = none */
        int fd;                      /* its output, -1 = none */
        int64_t probe_start, deadline;
        char start_time[40];
        int timed_out;
        char out[MON_HEALTH_OUTPUT_MAX];
        size_t out_len;
};

/* mon_health_init: read docker's Healthcheck object (Test, Interval, Timeout, StartPeriod,
 * StartInterval in ns, Retries); hc NULL or Test ["NONE"] disables. */
void mon_health_init(struct mon_health *h, json_object *hc);
/* mon_health_reset: the container (re)started now: state's Health becomes "starting". */
void mon_health_reset(struct mon_health *h, json_object *state);
/* mon_health_deadline: the next time (ms) the monitor must call mon_health_tick; 0 = none. */
int64_t mon_health_deadline(const struct mon_health *h);
/* mon_health_tick: start a probe in the container (of PID 1 pid, run with rc's privileges,
 * user and environment) when due, kill one past timeout. */
void mon_health_tick(struct mon_health *h, const struct ctr *c, const struct rt_config *rc,
                     pid_t pid, int64_t now);
/* mon_health_read: read the probe's output (kept up to MON_HEALTH_OUTPUT_MAX). */
void mon_health_read(struct mon_health *h);
/* mon_health_reap: when the probe has ended, record its result in state.json. */
void mon_health_reap(struct mon_health *h, const struct ctr *c);
/* mon_health_stop: kill and reap a running probe, stop scheduling. */
void mon_health_stop(struct mon_health *h);
/* mon_health_free: release h->test. */
void mon_health_free(struct mon_health *h);
