/* Unit tests for compose/stack_service.c (a service as a `container create` command line) and
 * the pure parts of compose/stack.c (stack_hash, stack_ctr_name, the service table).
 *
 * Each test writes a compose file named stack.yaml (not compose.yaml: discovery walks up from
 * /tmp) into a fresh temporary directory and opens it with stack_open, whose state root is a
 * directory of its own in there (no containers: the listing is empty).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "base/strv.h"
#include "compose/stack.h"
#include "engine/jsonx.h"
#include "net/net.h"

struct fx {
        char dir[64];
        char *root, *run_root, *file;
        char **warnings;
        struct cli_globals g;
        struct stack *s;
};

static void
fx_log(void *ctx, enum log_level level, const char *msg)
{
        struct fx *fx = ctx;

        (void)level;
        strv_add(&fx->warnings, msg);
}

/* fx_open_env: write yaml as <dir>/stack.yaml (and dotenv as <dir>/.env when not NULL) and
 * open the stack; returns stack_open's result. */
static int
fx_open_env(struct fx *fx, const char *yaml, const char *dotenv, struct err *err)
{
        struct err e = { 0 };
        char *env_path;

        memset(fx, 0, sizeof(*fx));
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/berth-stack-XXXXXX");
        if (!mkdtemp(fx->dir))
                abort();
        fx->root = xasprintf("%s/root", fx->dir);
        fx->run_root = xasprintf("%s/run", fx->dir);
        fx->file = xasprintf("%s/stack.yaml", fx->dir);
        env_path = xasprintf("%s/.env", fx->dir);
        if (fs_write_atomic(fx->file, yaml, strlen(yaml), 0644, &e) < 0 ||
            (dotenv && fs_write_atomic(env_path, dotenv, strlen(dotenv), 0644, &e) < 0))
                abort();
        free(env_path);
        strv_add(&fx->g.files, fx->file);
        fx->g.root = fx->root;
        fx->g.run_root = fx->run_root;
        fx->g.log = (struct logger){ .fn = fx_log, .ctx = fx };
        fx->g.environ_ = NULL;
        return stack_open(&fx->g, NULL, 0, &fx->s, err);
}

static int
fx_open(struct fx *fx, const char *yaml, struct err *err)
{
        return fx_open_env(fx, yaml, NULL, err);
}

static void
fx_release(struct fx *fx)
{
        char *cmd = xasprintf("rm -rf '%s'", fx->dir);

        stack_free(fx->s);
        if (system(cmd) != 0)
                abort();
        free(cmd);
        strv_free(fx->g.files);
        strv_free(fx->warnings);
        free(fx->root);
        free(fx->run_root);
        free(fx->file);
}

static const struct stack_service *
svc_of(const struct fx *fx, const char *name)
{
        ssize_t i = stack_service_find(fx->s, name);

        assert_true(i >= 0);
        return &fx->s->svcs[i];
}

/* pair: index of `flag value` in argv (before the image), or -1. */
static long
pair(char **argv, const char *flag, const char *value)
{
        for (size_t i = 0; argv[i] && argv[i + 1]; i++)
                if (strcmp(argv[i], flag) == 0 && strcmp(argv[i + 1], value) == 0)
                        return (long)i;
        return -1;
}

static size_t
count_flag(char **argv, const char *flag)
{
        size_t n = 0;

        for (size_t i = 0; argv[i]; i++)
                n += strcmp(argv[i], flag) == 0;
        return n;
}

static void
assert_pair(char **argv, const char *flag, const char *value)
{
        if (pair(argv, flag, value) < 0) {
                for (size_t i = 0; argv[i]; i++)
                        fprintf(stderr, "  argv[%zu] = '%s'\n", i, argv[i]);
                fail_msg("missing %s %s", flag, value);
        }
}

/* args_of: stack_service_args for replica 1 of service name (must succeed). */
static void
args_of(struct fx *fx, const char *name, char ***argv, json_object **extra)
{
        struct err err = { 0 };
        int r = stack_service_args(fx->s, svc_of(fx, name), 1, NULL, argv, extra, &err);

        if (r < 0)
                fail_msg("stack_service_args: %d %s", r, err.msg);
}

static const char full_yaml[] =
        "name: proj\n"
        "services:\n"
        "  svc:\n"
        "    image: busybox\n"
        "    environment:\n"
        "      FOO: bar\n"
        "      EMPTY: \"\"\n"
        "    labels:\n"
        "      a.b: c\n"
        "    ports:\n"
        "      - \"127.0.0.1:8080:80/tcp\"\n"
        "      - \"9090:90/udp\"\n"
        "      - \"443\"\n"
        "    volumes:\n"
        "      - data:/data\n"
        "      - ./src:/src:ro\n"
        "      - type: tmpfs\n"
        "        target: /scratch\n"
        "    healthcheck:\n"
        "      test: [\"CMD\", \"true\"]\n"
        "      interval: 10s\n"
        "      timeout: 500ms\n"
        "      retries: 3\n"
        "    entrypoint: [\"/bin/sh\", \"-c\"]\n"
        "    command: [\"echo hi\", \"x y\"]\n"
        "    stop_grace_period: 1m30s\n"
        "    restart: always\n"
        "    depends_on:\n"
        "      db:\n"
        "        condition: service_healthy\n"
        "    deploy:\n"
        "      replicas: 2\n"
        "      resources:\n"
        "        limits:\n"
        "          memory: 64M\n"
        "  db:\n"
        "    image: busybox\n"
        "volumes:\n"
        "  data:\n";

static void
test_stack_service__flags(void **state)
{
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;
        char *bind;

        (void)state;
        assert_int_equal(fx_open(&fx, full_yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        assert_string_equal(argv[0], "create");
        assert_pair(argv, "--name", "proj-svc-1");
        assert_pair(argv, "-e", "FOO=bar");
        assert_pair(argv, "-e", "EMPTY=");
        assert_pair(argv, "--label", "a.b=c");
        assert_pair(argv, "-p", "127.0.0.1:8080:80/tcp");
        assert_pair(argv, "-p", "9090:90/udp");
        assert_pair(argv, "-p", "443/tcp");
        assert_pair(argv, "-v", "proj_data:/data");
        bind = xasprintf("%s/src:/src:ro", fx.dir);
        assert_pair(argv, "-v", bind);
        free(bind);
        assert_int_equal(count_flag(argv, "-v"), 2);
        assert_pair(argv, "--tmpfs", "/scratch");
        assert_pair(argv, "--network", "name=proj_default,alias=svc");
        assert_int_equal(count_flag(argv, "--network"), 1);
        assert_pair(argv, "--stop-timeout", "90");
        assert_pair(argv, "--restart", "always");
        assert_pair(argv, "--memory", "67108864");
        assert_int_equal(count_flag(argv, "--memory"), 1);
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__bind_source_is_created(void **state)
{
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;
        char *src;

        (void)state;
        assert_int_equal(fx_open(&fx, full_yaml, &err), 0);
        src = xasprintf("%s/src", fx.dir);
        assert_false(fs_exists(src));
        args_of(&fx, "svc", &argv, &extra);
        assert_true(fs_is_dir(src));
        free(src);
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__compose_labels(void **state)
{
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;
        const struct stack_service *svc;
        char *want, *hash;

        (void)state;
        assert_int_equal(fx_open(&fx, full_yaml, &err), 0);
        svc = svc_of(&fx, "svc");
        args_of(&fx, "svc", &argv, &extra);
        assert_pair(argv, "--label", STACK_LABEL_PROJECT "=proj");
        assert_pair(argv, "--label", STACK_LABEL_SERVICE "=svc");
        assert_pair(argv, "--label", STACK_LABEL_NUMBER "=1");
        assert_pair(argv, "--label", STACK_LABEL_ONEOFF "=False");
        hash = stack_hash(svc->node);
        assert_string_equal(hash, svc->hash);
        want = xasprintf(STACK_LABEL_HASH "=%s", hash);
        assert_pair(argv, "--label", want);
        free(want);
        free(hash);
        want = xasprintf(STACK_LABEL_WORKDIR "=%s", fx.dir);
        assert_pair(argv, "--label", want);
        free(want);
        want = xasprintf(STACK_LABEL_FILES "=%s", fx.file);
        assert_pair(argv, "--label", want);
        free(want);
        assert_pair(argv, "--label", STACK_LABEL_DEPENDS "=db:service_healthy:false");
        strv_free(argv);
        json_object_put(extra);
        /* a service without dependencies has an empty depends_on label */
        args_of(&fx, "db", &argv, &extra);
        assert_pair(argv, "--label", STACK_LABEL_DEPENDS "=");
        assert_pair(argv, "--name", "proj-db-1");
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__healthcheck_and_command(void **state)
{
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL, *h, *t, *ep;
        long img = -1;

        (void)state;
        assert_int_equal(fx_open(&fx, full_yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        h = jsonx_get(extra, "Healthcheck");
        assert_non_null(h);
        t = jsonx_get(h, "Test");
        assert_non_null(t);
        assert_int_equal(json_object_array_length(t), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(t, 0)), "CMD");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(t, 1)), "true");
        assert_int_equal(json_object_get_int64(jsonx_get(h, "Interval")), 10000000000LL);
        assert_int_equal(json_object_get_int64(jsonx_get(h, "Timeout")), 500000000LL);
        assert_int_equal(json_object_get_int64(jsonx_get(h, "Retries")), 3);
        ep = jsonx_get(extra, "Entrypoint");
        assert_non_null(ep);
        assert_int_equal(json_object_array_length(ep), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(ep, 0)), "/bin/sh");
        /* the entrypoint is emptied and the whole command line follows the image */
        assert_pair(argv, "--entrypoint", "");
        for (size_t i = 0; argv[i]; i++)
                if (strcmp(argv[i], "busybox") == 0)
                        img = (long)i;
        assert_true(img > 0);
        assert_int_equal(strv_length(argv), (size_t)img + 5);
        assert_string_equal(argv[img + 1], "/bin/sh");
        assert_string_equal(argv[img + 2], "-c");
        assert_string_equal(argv[img + 3], "echo hi");
        assert_string_equal(argv[img + 4], "x y");
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__shell_healthcheck_and_no_command(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  a:\n"
                "    image: busybox\n"
                "    healthcheck:\n"
                "      test: wget -q localhost\n"
                "  b:\n"
                "    image: busybox\n"
                "    healthcheck:\n"
                "      disable: true\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL, *t;
        size_t n;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "a", &argv, &extra);
        t = jsonx_get(jsonx_get(extra, "Healthcheck"), "Test");
        assert_non_null(t);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(t, 0)), "CMD-SHELL");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(t, 1)),
                            "wget -q localhost");
        /* no command: the image is last, no --entrypoint */
        n = strv_length(argv);
        assert_string_equal(argv[n - 1], "busybox");
        assert_int_equal(count_flag(argv, "--entrypoint"), 0);
        assert_null(jsonx_get(extra, "Entrypoint"));
        strv_free(argv);
        json_object_put(extra);
        args_of(&fx, "b", &argv, &extra);
        assert_int_equal(count_flag(argv, "--no-healthcheck"), 1);
        assert_null(jsonx_get(extra, "Healthcheck"));
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__network_mode_service_joins_its_container(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  x:\n"
                "    image: busybox\n"
                "  svc:\n"
                "    image: busybox\n"
                "    network_mode: service:x\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        assert_pair(argv, "--network", "container:proj-x-1");
        assert_int_equal(count_flag(argv, "--network"), 1);
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__network_mode_host_and_none(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  h:\n"
                "    image: busybox\n"
                "    network_mode: host\n"
                "  n:\n"
                "    image: busybox\n"
                "    network_mode: none\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "h", &argv, &extra);
        assert_pair(argv, "--network", "host");
        assert_int_equal(count_flag(argv, "--network-alias"), 0);
        strv_free(argv);
        json_object_put(extra);
        args_of(&fx, "n", &argv, &extra);
        assert_pair(argv, "--network", "none");
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__two_networks_in_priority_order(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  svc:\n"
                "    image: busybox\n"
                "    networks:\n"
                "      back: {}\n"
                "      front: {priority: 10}\n"
                "networks:\n"
                "  front:\n"
                "  back:\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        assert_int_equal(count_flag(argv, "--network"), 2);
        /* the highest priority first: it gives the default route and the ports */
        for (size_t i = 0; argv[i]; i++)
                if (strcmp(argv[i], "--network") == 0) {
                        assert_string_equal(argv[i + 1], "name=proj_front,alias=svc");
                        break;
                }
        assert_pair(argv, "--network", "name=proj_back,alias=svc");
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__named_network_aliases_and_ip(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  svc:\n"
                "    image: busybox\n"
                "    networks:\n"
                "      front:\n"
                "        aliases: [web]\n"
                "        ipv4_address: 10.5.0.9\n"
                "networks:\n"
                "  front:\n"
                "    name: custom-net\n"
                "    ipam:\n"
                "      config:\n"
                "        - subnet: 10.5.0.0/24\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        assert_pair(argv, "--network", "name=custom-net,alias=svc,alias=web,ip=10.5.0.9");
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__scalars_and_deploy(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  svc:\n"
                "    image: busybox\n"
                "    container_name: fixed\n"
                "    user: \"1000:1000\"\n"
                "    working_dir: /w\n"
                "    read_only: true\n"
                "    init: true\n"
                "    cap_add: [NET_ADMIN]\n"
                "    stop_grace_period: 1500ms\n"
                "    deploy:\n"
                "      restart_policy:\n"
                "        condition: on-failure\n"
                "        max_attempts: 3\n"
                "      resources:\n"
                "        limits:\n"
                "          cpus: \"0.5\"\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        assert_pair(argv, "--name", "fixed");
        assert_int_equal(count_flag(argv, "--name"), 1);
        assert_pair(argv, "-u", "1000:1000");
        assert_pair(argv, "-w", "/w");
        assert_int_equal(count_flag(argv, "--read-only"), 1);
        assert_int_equal(count_flag(argv, "--init"), 1);
        assert_int_equal(count_flag(argv, "--privileged"), 0);
        assert_pair(argv, "--cap-add", "NET_ADMIN");
        assert_pair(argv, "--stop-timeout", "2"); /* rounded up to whole seconds */
        assert_pair(argv, "--restart", "on-failure:3");
        assert_pair(argv, "--cpus", "0.5");
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
assert_file_is(const char *path, const char *want)
{
        struct err err = { 0 };
        char *buf = NULL;
        size_t len = 0;

        assert_int_equal(fs_read_capped(path, 100, &buf, &len, &err), 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(buf, want, len);
        free(buf);
}

static void
test_stack_service__secret_and_config_files(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  svc:\n"
                "    image: busybox\n"
                "    secrets: [token]\n"
                "    configs:\n"
                "      - cfg\n"
                "      - source: cfg\n"
                "        target: /etc/app.conf\n"
                "secrets:\n"
                "  token:\n"
                "    environment: TOK\n"
                "configs:\n"
                "  cfg:\n"
                "    content: hello\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;
        char *file, *want;

        (void)state;
        if (fx_open_env(&fx, yaml, "TOK=s3cret\n", &err) < 0)
                fail_msg("%s", err.msg);
        args_of(&fx, "svc", &argv, &extra);
        file = xasprintf("%s/compose/proj/secrets/token", fx.root);
        want = xasprintf("%s:/run/secrets/token:ro", file);
        assert_pair(argv, "-v", want);
        assert_file_is(file, "s3cret");
        free(want);
        free(file);
        file = xasprintf("%s/compose/proj/configs/cfg", fx.root);
        want = xasprintf("%s:/cfg:ro", file);
        assert_pair(argv, "-v", want);
        free(want);
        want = xasprintf("%s:/etc/app.conf:ro", file);
        assert_pair(argv, "-v", want);
        assert_file_is(file, "hello");
        free(want);
        free(file);
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__unsupported_key_warns(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  svc:\n"
                "    image: busybox\n"
                "    tty: true\n"
                "    mac_address: 02:42:ac:11:65:43\n";
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;
        bool found = false;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        strv_foreach(w, fx.warnings)
                found |= strstr(w, "service svc: 'mac_address' is not supported") != NULL;
        assert_true(found);
        assert_int_equal(count_flag(argv, "-t"), 1); /* tty is translated */
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__ports_parse_back(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  svc:\n"
                "    image: busybox\n"
                "    ports:\n"
                "      - \"127.0.0.1::81\"\n"
                "      - target: 82\n"
                "        host_ip: 127.0.0.1\n"
                "        published: \"8082-8083\"\n"
                "      - \"5000-5001:6000-6001/udp\"\n"
                "    ulimits:\n"
                "      nproc: 65535\n"
                "      nofile:\n"
                "        soft: 20000\n"
                "        hard: 40000\n"
                "    extra_hosts:\n"
                "      - \"db=10.0.0.5\"\n"
                "    sysctls:\n"
                "      net.core.somaxconn: 1024\n";
        /* compose expands the range into one port each */
        static const char *const want[] = { "127.0.0.1::81/tcp", "127.0.0.1:8082-8083:82/tcp",
                                            "5000:6000/udp", "5001:6001/udp" };
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        args_of(&fx, "svc", &argv, &extra);
        assert_int_equal(count_flag(argv, "-p"), 4);
        for (size_t i = 0; i < 4; i++) {
                struct net_port_map m;
                assert_pair(argv, "-p", want[i]);
                /* what compose writes, `container create -p` reads */
                if (net_port_parse(want[i], &m, &err) < 0)
                        fail_msg("%s: %s", want[i], err.msg);
        }
        assert_pair(argv, "--ulimit", "nproc=65535");
        assert_pair(argv, "--ulimit", "nofile=20000:40000");
        assert_pair(argv, "--add-host", "db:10.0.0.5");
        assert_pair(argv, "--sysctl", "net.core.somaxconn=1024");
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

/* image_at: index of the image (the first "busybox") in argv. */
static size_t
image_at(char **argv)
{
        for (size_t i = 1; argv[i]; i++)
                if (strcmp(argv[i], "busybox") == 0)
                        return i;
        fail_msg("no image in argv");
        return 0;
}

static void
test_stack_service__run_overrides(void **state)
{
        char c0[] = "echo", c1[] = "x", f0[] = "--rm", f1[] = "-e", f2[] = "A=b";
        char *cmd[] = { c0, c1, NULL };
        char *flags[] = { f0, f1, f2, NULL };
        struct stack_run_over ov = { .name = "proj-svc-run-0123456789ab", .command = cmd,
                                     .flags = flags };
        struct fx fx;
        struct err err = { 0 };
        char **argv = NULL;
        json_object *extra = NULL;
        size_t img;

        (void)state;
        assert_int_equal(fx_open(&fx, full_yaml, &err), 0);
        assert_int_equal(stack_service_args(fx.s, svc_of(&fx, "svc"), 0, &ov, &argv, &extra, &err),
                         0);
        assert_pair(argv, "--name", ov.name);
        assert_pair(argv, "--label", STACK_LABEL_ONEOFF "=True");
        assert_pair(argv, "--label", STACK_LABEL_NUMBER "=0");
        assert_int_equal(count_flag(argv, "-p"), 0); /* no --service-ports */
        img = image_at(argv);
        assert_true(pair(argv, "--rm", "-e") >= 0 && (size_t)pair(argv, "--rm", "-e") < img);
        /* the service's entrypoint stays, the command is replaced */
        assert_int_equal(strv_length(argv), img + 5);
        assert_string_equal(argv[img + 1], "/bin/sh");
        assert_string_equal(argv[img + 2], "-c");
        assert_string_equal(argv[img + 3], "echo");
        assert_string_equal(argv[img + 4], "x");
        assert_non_null(jsonx_get(extra, "Entrypoint"));
        strv_free(argv);
        json_object_put(extra);
        /* --entrypoint on a service without one: the arguments are the whole command line */
        ov = (struct stack_run_over){ .entrypoint = "env", .has_entrypoint = true,
                                      .service_ports = true };
        assert_int_equal(stack_service_args(fx.s, svc_of(&fx, "db"), 0, &ov, &argv, &extra, &err),
                         0);
        assert_pair(argv, "--entrypoint", "");
        assert_pair(argv, "--name", "proj-db-0");
        img = image_at(argv);
        assert_int_equal(strv_length(argv), img + 2);
        assert_string_equal(argv[img + 1], "env");
        assert_null(jsonx_get(extra, "Entrypoint"));
        strv_free(argv);
        json_object_put(extra);
        /* --service-ports keeps them */
        ov = (struct stack_run_over){ .service_ports = true };
        assert_int_equal(stack_service_args(fx.s, svc_of(&fx, "svc"), 0, &ov, &argv, &extra, &err),
                         0);
        assert_int_equal(count_flag(argv, "-p"), 3);
        strv_free(argv);
        json_object_put(extra);
        fx_release(&fx);
}

static void
test_stack_service__service_table(void **state)
{
        struct fx fx;
        struct err err = { 0 };
        const struct stack_service *svc;
        char *name;

        (void)state;
        assert_int_equal(fx_open(&fx, full_yaml, &err), 0);
        assert_string_equal(fx.s->name, "proj");
        assert_int_equal(fx.s->n_svcs, 2);
        assert_int_equal(fx.s->n_ctrs, 0);
        assert_int_equal(stack_service_find(fx.s, "nope"), -1);
        svc = svc_of(&fx, "svc");
        assert_int_equal(svc->replicas, 2);
        assert_string_equal(svc->image, "busybox");
        assert_int_equal(svc->n_deps, 1);
        assert_int_equal(svc->deps[0].svc, (size_t)stack_service_find(fx.s, "db"));
        assert_int_equal(svc->deps[0].cond, DEP_HEALTHY);
        assert_true(svc->deps[0].required);
        name = stack_ctr_name(fx.s, svc, 2);
        assert_string_equal(name, "proj-svc-2");
        free(name);
        fx_release(&fx);
}

static void
test_stack_service__ctr_name_fixed(void **state)
{
        static const char yaml[] =
                "name: proj\n"
                "services:\n"
                "  svc:\n"
                "    image: busybox\n"
                "    container_name: my-box\n"
                "  built:\n"
                "    build: .\n";
        struct fx fx;
        struct err err = { 0 };
        char *name;

        (void)state;
        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        name = stack_ctr_name(fx.s, svc_of(&fx, "svc"), 1);
        assert_string_equal(name, "my-box");
        free(name);
        /* a service without image: runs <project>-<service> */
        assert_string_equal(svc_of(&fx, "built")->image, "proj-built");
        fx_release(&fx);
}

/* hash_of: the config hash of service svc of yaml. */
static char *
hash_of(const char *yaml)
{
        struct fx fx;
        struct err err = { 0 };
        char *h;

        assert_int_equal(fx_open(&fx, yaml, &err), 0);
        h = stack_hash(svc_of(&fx, "svc")->node);
        assert_string_equal(h, svc_of(&fx, "svc")->hash);
        fx_release(&fx);
        return h;
}

static void
test_stack_service__hash(void **state)
{
        static const char base[] =
                "name: proj\nservices:\n  svc:\n    image: busybox\n    command: [a]\n";
        static const char replicas[] =
                "name: proj\nservices:\n  svc:\n    image: busybox\n    command: [a]\n"
                "    deploy:\n      replicas: 3\n";
        static const char replicas2[] =
                "name: proj\nservices:\n  svc:\n    image: busybox\n    command: [a]\n"
                "    deploy:\n      replicas: 5\n";
        static const char scale[] =
                "name: proj\nservices:\n  svc:\n    image: busybox\n    command: [a]\n"
                "    scale: 4\n";
        static const char command[] =
                "name: proj\nservices:\n  svc:\n    image: busybox\n    command: [b]\n";
        struct fx fx;
        struct err err = { 0 };
        char *h0, *h1, *h2, *h3, *h4, *again;

        (void)state;
        assert_int_equal(fx_open(&fx, base, &err), 0);
        h0 = stack_hash(svc_of(&fx, "svc")->node);
        again = stack_hash(svc_of(&fx, "svc")->node);
        assert_string_equal(h0, again);
        assert_int_equal(strlen(h0), 64);
        assert_int_equal(strspn(h0, "0123456789abcdef"), 64);
        free(again);
        fx_release(&fx);
        h1 = hash_of(replicas);
        h2 = hash_of(replicas2);
        h3 = hash_of(scale);
        h4 = hash_of(command);
        /* `deploy: {}` left behind by a removed replicas key may differ from no deploy at all;
         * what matters to `up` is that scaling alone is no change */
        assert_string_equal(h1, h2);
        assert_string_equal(h0, h3);
        assert_string_not_equal(h0, h4);
        free(h0);
        free(h1);
        free(h2);
        free(h3);
        free(h4);
}

static void
test_stack_service__duration(void **state)
{
        static const struct { const char *in; int64_t ns; } ok[] = {
                { "1m30s", 90000000000LL }, { "500ms", 500000000LL }, { "1.5s", 1500000000LL },
                { "0", 0 }, { "0s", 0 }, { "10s", 10000000000LL }, { "2h", 7200000000000LL },
                { "1h2m3s", 3723000000000LL }, { "250us", 250000 }, { "7ns", 7 },
                { "3\xc2\xb5s", 3000 },
        };
        static const char *const bad[] = { "abc", "10", "", "-1s", "+1s", "1x", "1s2", "s", "ms" };
        struct err err = { 0 };
        int64_t ns;

        (void)state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                ns = -1;
                if (stack_duration_ns(ok[i].in, &ns, &err) != 0)
                        fail_msg("'%s': %s", ok[i].in, err.msg);
                if (ns != ok[i].ns)
                        fail_msg("'%s': %lld, want %lld", ok[i].in, (long long)ns,
                                 (long long)ok[i].ns);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err_clear(&err);
                if (stack_duration_ns(bad[i], &ns, &err) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
                assert_non_null(strstr(err.msg, "invalid duration"));
        }
        err_clear(&err);
        assert_int_equal(stack_duration_ns(NULL, &ns, &err), -EINVAL);
        err_clear(&err);
        assert_int_equal(stack_duration_ns("3000000h", &ns, &err), -ERANGE);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stack_service__flags),
                cmocka_unit_test(test_stack_service__bind_source_is_created),
                cmocka_unit_test(test_stack_service__compose_labels),
                cmocka_unit_test(test_stack_service__healthcheck_and_command),
                cmocka_unit_test(test_stack_service__shell_healthcheck_and_no_command),
                cmocka_unit_test(test_stack_service__network_mode_service_joins_its_container),
                cmocka_unit_test(test_stack_service__network_mode_host_and_none),
                cmocka_unit_test(test_stack_service__two_networks_in_priority_order),
                cmocka_unit_test(test_stack_service__named_network_aliases_and_ip),
                cmocka_unit_test(test_stack_service__scalars_and_deploy),
                cmocka_unit_test(test_stack_service__secret_and_config_files),
                cmocka_unit_test(test_stack_service__unsupported_key_warns),
                cmocka_unit_test(test_stack_service__ports_parse_back),
                cmocka_unit_test(test_stack_service__run_overrides),
                cmocka_unit_test(test_stack_service__service_table),
                cmocka_unit_test(test_stack_service__ctr_name_fixed),
                cmocka_unit_test(test_stack_service__hash),
                cmocka_unit_test(test_stack_service__duration),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
