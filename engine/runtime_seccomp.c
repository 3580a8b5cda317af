/* runtime_seccomp: docker seccomp profiles (the JSON format of moby/profiles seccomp:
 * defaultAction, defaultErrnoRet, archMap or architectures, and syscalls entries with
 * names/name, action, errnoRet, args {index, value, valueTwo, op}, includes/excludes {caps,
 * arches, minKernel}) evaluated the way moby's setupSeccomp does, then compiled to classic BPF
 * with libseccomp the way runc does (unknown syscall names skipped, conditions on the same
 * argument split into separate rules).
 *
 * The BPF is exported to memory in the parent; the container process only hands it to
 * seccomp(2), so nothing is allocated after the clone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <json-c/json.h>
#include <seccomp.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sha256.h"
#include "engine/runtime_int.h"

#define RULES_MAX     8192
#define NAMES_MAX     4096
#define BPF_INSNS_MAX 4096 /* BPF_MAXINSNS */

struct name_tok {
        const char *name;
        uint32_t tok;
};

static const struct name_tok actions[] = {
        { "SCMP_ACT_KILL", SCMP_ACT_KILL },
        { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
        { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
        { "SCMP_ACT_LOG", SCMP_ACT_LOG },
};

static const struct name_tok ops[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE },
        { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The GOARCH-style names docker profiles use in includes/excludes "arches". */
static const struct name_tok go_arches[] = {
        { "amd64", SCMP_ARCH_X86_64 },  { "x86", SCMP_ARCH_X86 },
        { "x32", SCMP_ARCH_X32 },       { "arm64", SCMP_ARCH_AARCH64 },
        { "arm", SCMP_ARCH_ARM },       { "ppc64le", SCMP_ARCH_PPC64LE },
        { "ppc64", SCMP_ARCH_PPC64 },   { "s390x", SCMP_ARCH_S390X },
        { "s390", SCMP_ARCH_S390 },     { "riscv64", SCMP_ARCH_RISCV64 },
        { "mips64", SCMP_ARCH_MIPS64 }, { "mips64le", SCMP_ARCH_MIPSEL64 },
        { "mips", SCMP_ARCH_MIPS },     { "mipsle", SCMP_ARCH_MIPSEL },
};

static const struct json_object *
get(const struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        if (!o || !json_object_is_type(o, json_type_object))
                return NULL;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *
get_str(const struct json_object *o, const char *key)
{
        const struct json_object *v = get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string((void *)v)
                                                             : NULL;
}

static int
lookup_tok(const struct name_tok *t, size_t n, const char *name, uint32_t *ret)
{
        for (size_t i = 0; name && i < n; i++)
                if (strcmp(t[i].name, name) == 0) {
                        *ret = t[i].tok;
                        return 1;
                }
        return 0;
}

/* errno_of: an optional errnoRet / defaultErrnoRet; fallback when absent. */
static int
errno_of(const struct json_object *o, const char *key, int fallback, const char *what,
         struct err *err)
{
        const struct json_object *v = get(o, key);
        int64_t e;

        if (!v)
                return fallback;
        e = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || e < 0 || e > 4095)
                return err_setf(err, -EINVAL, "%s: %s must be an errno number", what, key);
        return (int)e;
}

/* parse_action: the libseccomp action for name, with errnoRet folded into ERRNO and TRACE. */
static int
parse_action(const char *name, int errnum, const char *what, uint32_t *ret, struct err *err)
{
        if (name && strcmp(name, "SCMP_ACT_ERRNO") == 0) {
                *ret = SCMP_ACT_ERRNO((uint32_t)errnum);
                return 0;
        }
        if (name && strcmp(name, "SCMP_ACT_TRACE") == 0) {
                *ret = SCMP_ACT_TRACE((uint32_t)errnum);
                return 0;
        }
        if (lookup_tok(actions, ARRAY_SIZE(actions), name, ret))
                return 0;
        return err_setf(err, -EINVAL, "%s: unsupported seccomp action \"%s\"", what,
                        name ? name : "(none)");
}

static const char *
go_arch_name(uint32_t tok)
{
        for (size_t i = 0; i < ARRAY_SIZE(go_arches); i++)
                if (go_arches[i].tok == tok)
                        return go_arches[i].name;
        return "";
}

/* arch_token: "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64 (0 when unknown). */
static uint32_t
arch_token(const char *name)
{
        char buf[32];
        size_t i;

        if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof(buf))
                return 0;
        for (i = 0; name[10 + i]; i++)
                buf[i] = (char)(name[10 + i] >= 'A' && name[10 + i] <= 'Z' ? name[10 + i] + 32
                                                                           : name[10 + i]);
        buf[i] = '\0';
        return seccomp_arch_resolve_name(buf);
}

static void
add_arch(struct rt_sc_profile *p, uint32_t tok)
{
        for (size_t i = 0; i < p->n_arches; i++)
                if (p->arches[i] == tok)
                        return;
        if (tok && p->n_arches < ARRAY_SIZE(p->arches))
                p->arches[p->n_arches++] = tok;
}

/* parse_arches: the native arch, then its archMap subArchitectures (or the old
 * "architectures" list). */
static void
parse_arches(const struct json_object *root, uint32_t native, struct rt_sc_profile *p)
{
        const struct json_object *map = get(root, "archMap"), *list = get(root, "architectures");

        add_arch(p, native);
        for (size_t i = 0;
             map && json_object_is_type(map, json_type_array) && i < json_object_array_length(map);
             i++) {
                const struct json_object *e = json_object_array_get_idx(map, i);
                const struct json_object *subs = get(e, "subArchitectures");

                if (arch_token(get_str(e, "architecture")) != native)
                        continue;
                for (size_t j = 0; subs && j < json_object_array_length(subs); j++)
                        add_arch(p, arch_token(json_object_get_string(
                                            json_object_array_get_idx(subs, j))));
        }
        for (size_t i = 0; !map && list && i < json_object_array_length(list); i++)
                add_arch(p, arch_token(json_object_get_string(json_object_array_get_idx(list, i))));
}

static int
str_in(const struct json_object *arr, const char *s)
{
        for (size_t i = 0;
             arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr);
             i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(arr, i));

                if (e && strcmp(e, s) == 0)
                        return 1;
        }
        return 0;
}

/* caps_state: 1 when every cap of arr is in caps (all_of) / any is (!all_of). */
static int
caps_match(const struct json_object *arr, uint64_t caps, int all_of)
{
        size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
                                                                    : 0;

        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(arr, i));
                int cap, has;

                has = name && rt_cap_parse(name, &cap, NULL) == 0 && (caps & (1ULL << cap));
                if (all_of && !has)
                        return 0;
                if (!all_of && has)
                        return 1;
        }
        return all_of;
}

/* kernel_at_least: whether host's kernel is >= "major.minor" (an unparsable one is false). */
static int
kernel_at_least(const struct rt_sc_host *host, const char *v)
{
        unsigned maj = 0, min = 0;

        if (!v || sscanf(v, "%u.%u", &maj, &min) < 1)
                return 0;
        return host->kmajor > maj || (host->kmajor == maj && host->kminor >= min);
}

/* applies: moby's includes/excludes evaluation for one syscalls entry. */
static int
applies(const struct json_object *call, uint64_t caps, const struct rt_sc_host *host)
{
        const struct json_object *inc = get(call, "includes"), *exc = get(call, "excludes");
        const char *arch = go_arch_name(host->arch);

        if (exc) {
                if (str_in(get(exc, "arches"), arch))
                        return 0;
                if (get(exc, "caps") && caps_match(get(exc, "caps"), caps, 0))
                        return 0;
                if (get_str(exc, "minKernel") && kernel_at_least(host, get_str(exc, "minKernel")))
                        return 0;
        }
        if (inc) {
                if (get(inc, "arches") && json_object_array_length(get(inc, "arches")) &&
                    !str_in(get(inc, "arches"), arch))
                        return 0;
                if (get(inc, "caps") && !caps_match(get(inc, "caps"), caps, 1))
                        return 0;
                if (get_str(inc, "minKernel") && !kernel_at_least(host, get_str(inc, "minKernel")))
                        return 0;
        }
        return 1;
}

static int
parse_args(const struct json_object *arr, const char *what, struct rt_sc_rule *r, struct err *err)
{
        size_t n = arr ? json_object_array_length(arr) : 0;

        if (arr && !json_object_is_type(arr, json_type_array))
                return err_setf(err, -EINVAL, "%s: args must be a list", what);
        if (n > RT_SC_ARGS_MAX)
                return err_setf(err, -EINVAL, "%s: more than %d args", what, RT_SC_ARGS_MAX);
        for (size_t i = 0; i < n; i++) {
                const struct json_object *a = json_object_array_get_idx(arr, i);
                const struct json_object *idx = get(a, "index");
                uint32_t op;

                if (!lookup_tok(ops, ARRAY_SIZE(ops), get_str(a, "op"), &op))
                        return err_setf(err, -EINVAL, "%s: unknown op \"%s\"", what,
                                        get_str(a, "op") ? get_str(a, "op") : "(none)");
                if (!idx || json_object_get_int64(idx) < 0 || json_object_get_int64(idx) > 5)
                        return err_setf(err, -EINVAL, "%s: arg index must be 0..5", what);
                r->args[i].index = (unsigned)json_object_get_int64(idx);
                r->args[i].op = (int)op;
                r->args[i].value = get(a, "value") ? json_object_get_uint64(get(a, "value")) : 0;
                r->args[i].value2 =
                        get(a, "valueTwo") ? json_object_get_uint64(get(a, "valueTwo")) : 0;
        }
        r->n_args = (unsigned)n;
        return 0;
}

static int
add_rule(struct rt_sc_profile *p, size_t *cap, const char *name, const struct rt_sc_rule *tmpl,
         const char *what, struct err *err)
{
        if (!name || !*name)
                return err_setf(err, -EINVAL, "%s: empty syscall name", what);
        if (p->n_rules >= RULES_MAX)
                return err_setf(err, -E2BIG, "%s: more than %d rules", what, RULES_MAX);
        GROW(p->rules, *cap, p->n_rules + 1);
        p->rules[p->n_rules] = *tmpl;
        p->rules[p->n_rules++].name = xstrdup(name);
        return 0;
}

static int
parse_call(const struct json_object *call, const char *what, struct rt_sc_profile *p, size_t *cap,
           struct err *err)
{
        const struct json_object *names = get(call, "names");
        struct rt_sc_rule tmpl = { 0 };
        int e = errno_of(call, "errnoRet", EPERM, what, err);
        size_t n;
        int r;

        if (e < 0)
                return e;
        r = parse_action(get_str(call, "action"), e, what, &tmpl.action, err);
        if (r == 0)
                r = parse_args(get(call, "args"), what, &tmpl, err);
        if (r == 0 && get_str(call, "name"))
                r = add_rule(p, cap, get_str(call, "name"), &tmpl, what, err);
        if (r < 0 || !names)
                return r;
        n = json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
        if (n > NAMES_MAX)
                return err_setf(err, -E2BIG, "%s: more than %d names", what, NAMES_MAX);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = add_rule(p, cap, json_object_get_string(json_object_array_get_idx(names, i)),
                             &tmpl, what, err);
        return r;
}

static int
parse_profile(const struct json_object *root, const char *what, uint64_t caps,
              const struct rt_sc_host *host, struct rt_sc_profile *p, struct err *err)
{
        const struct json_object *calls = get(root, "syscalls");
        size_t cap = 0, n;
        int e = errno_of(root, "defaultErrnoRet", EPERM, what, err);
        int r;

        if (e < 0)
                return e;
        r = parse_action(get_str(root, "defaultAction"), e, what, &p->default_action, err);
        if (r < 0)
                return r;
        parse_arches(root, host->arch, p);
        if (calls && !json_object_is_type(calls, json_type_array))
                return err_setf(err, -EINVAL, "%s: syscalls must be a list", what);
        n = calls ? json_object_array_length(calls) : 0;
        for (size_t i = 0; r == 0 && i < n; i++) {
                const struct json_object *call = json_object_array_get_idx(calls, i);
                char where[256];

                if (!applies(call, caps, host))
                        continue;
                snprintf(where, sizeof(where), "%s: syscalls[%zu]", what, i);
                r = parse_call(call, where, p, &cap, err);
        }
        return r;
}

int
rt_seccomp_evaluate(const char *json, const char *what, uint64_t caps,
                    const struct rt_sc_host *host, struct rt_sc_profile *ret, struct err *err)
{
        enum json_tokener_error jerr = json_tokener_success;
        struct json_object *root = json_tokener_parse_verbose(json, &jerr);
        struct rt_sc_profile p = { 0 };
        int r;

        if (!root)
                return err_setf(err, -EINVAL, "seccomp profile %s: %s", what,
                                json_tokener_error_desc(jerr));
        if (!json_object_is_type(root, json_type_object))
                r = err_setf(err, -EINVAL, "seccomp profile %s: not a JSON object", what);
        else
                r = parse_profile(root, what, caps, host, &p, err);
        json_object_put(root);
        if (r < 0) {
                rt_sc_profile_release(&p);
                return r;
        }
        *ret = p;
        return 0;
}

void
rt_sc_profile_release(struct rt_sc_profile *p)
{
        for (size_t i = 0; i < p->n_rules; i++)
                free(p->rules[i].name);
        free(p->rules);
        memset(p, 0, sizeof(*p));
}

void
rt_seccomp_host(struct rt_sc_host *ret)
{
        struct utsname u;

        memset(ret, 0, sizeof(*ret));
        ret->arch = seccomp_arch_native();
        if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &ret->kmajor, &ret->kminor) < 1)
                ret->kmajor = ret->kminor = 0;
}

/* add_one: one rule to ctx; conditions on a repeated argument become separate rules (OR),
 * since libseccomp cannot AND two conditions on the same argument. */
static int
add_one(scmp_filter_ctx ctx, const struct rt_sc_rule *r, int nr)
{
        struct scmp_arg_cmp cmp[RT_SC_ARGS_MAX];
        int repeated = 0;

        for (unsigned i = 0; i < r->n_args; i++) {
                cmp[i] = (struct scmp_arg_cmp){ .arg = r->args[i].index,
                                                .op = (enum scmp_compare)r->args[i].op,
                                                .datum_a = r->args[i].value,
                                                .datum_b = r->args[i].value2 };
                for (unsigned j = 0; j < i; j++)
                        repeated |= r->args[j].index == r->args[i].index;
        }
        if (!repeated)
                return seccomp_rule_add_array(ctx, r->action, nr, r->n_args, cmp);
        for (unsigned i = 0; i < r->n_args; i++) {
                int rc = seccomp_rule_add_array(ctx, r->action, nr, 1, &cmp[i]);

                if (rc < 0)
                        return rc;
        }
        return 0;
}

static int
build_ctx(const struct rt_sc_profile *p, scmp_filter_ctx ctx, struct err *err)
{
        for (size_t i = 1; i < p->n_arches; i++) {
                int rc = seccomp_arch_add(ctx, p->arches[i]);

                if (rc < 0 && rc != -EEXIST)
                        return err_setf(err, rc, "seccomp: add architecture: %s", strerror(-rc));
        }
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct rt_sc_rule *r = &p->rules[i];
                int nr = seccomp_syscall_resolve_name(r->name), rc;

                if (nr == __NR_SCMP_ERROR || r->action == p->default_action)
                        continue;
                rc = add_one(ctx, r, nr);
                if (rc < 0)
                        return err_setf(err, rc, "seccomp: rule for syscall '%s': %s", r->name,
                                        strerror(-rc));
        }
        return 0;
}

static int
export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len, struct err *err)
{
        cleanup_close int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
        struct sock_filter *prog;
        struct stat sb;
        int rc;

        if (fd < 0)
                return err_setf(err, -errno, "seccomp: memfd_create: %s", strerror(errno));
        rc = seccomp_export_bpf(ctx, fd);
        if (rc < 0)
                return err_setf(err, rc, "seccomp: export BPF: %s", strerror(-rc));
        if (fstat(fd, &sb) < 0)
                return err_setf(err, -errno, "seccomp: stat BPF: %s", strerror(errno));
        if (sb.st_size <= 0 || sb.st_size % (off_t)sizeof(*prog) ||
            (size_t)sb.st_size / sizeof(*prog) > BPF_INSNS_MAX)
                return err_setf(err, -E2BIG,
                                "seccomp: the filter has %lld bytes, more than the "
                                "kernel takes",
                                (long long)sb.st_size);
        prog = xmalloc((size_t)sb.st_size);
        if (pread(fd, prog, (size_t)sb.st_size, 0) != sb.st_size) {
                free(prog);
                return err_setf(err, -EIO, "seccomp: read BPF back: short read");
        }
        *ret = prog;
        *ret_len = (size_t)sb.st_size / sizeof(*prog);
        return 0;
}

int
rt_seccomp_compile(const struct rt_sc_profile *p, struct sock_filter **ret, size_t *ret_len,
                   struct err *err)
{
        scmp_filter_ctx ctx = seccomp_init(p->default_action);
        int r;

        if (!ctx)
                return err_setf(err, -EINVAL, "seccomp: cannot create a filter");
        /* a binary tree of syscall numbers: fewer instructions run per syscall, and the
         * kernel's per-syscall action cache is computed faster at install time */
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        r = build_ctx(p, ctx, err);
        if (r == 0)
                r = export_bpf(ctx, ret, ret_len, err);
        seccomp_release(ctx);
        return r;
}

/* ---- the compiled-filter cache ---------------------------------------------------------- */

/* cache_key: what a compiled filter depends on: the profile text, the capabilities, the
 * machine and the libseccomp that compiled it. */
static void
cache_key(const char *profile, uint64_t caps, const struct rt_sc_host *host,
          char out[SHA256_HEX_SIZE])
{
        const struct scmp_version *v = seccomp_version();
        uint8_t d[SHA256_DIGEST_SIZE];
        struct sha256 c;
        char meta[128];

        snprintf(meta, sizeof(meta), "caps=%016llx arch=%u kernel=%u.%u libseccomp=%u.%u.%u",
                 (unsigned long long)caps, host->arch, host->kmajor, host->kminor, v ? v->major : 0,
                 v ? v->minor : 0, v ? v->micro : 0);
        sha256_init(&c);
        sha256_update(&c, meta, strlen(meta) + 1);
        sha256_update(&c, profile, strlen(profile));
        sha256_final(&c, d);
        sha256_hex(d, out);
}

/* cache_trusted: a cache dir is used only when it is ours and nobody else can write to it
 * (a planted filter would weaken every container). */
static int
cache_trusted(const char *dir)
{
        struct stat sb;

        return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && sb.st_uid == geteuid() &&
               !(sb.st_mode & 022);
}

static int
cache_read(const char *path, struct sock_filter **ret, size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;

        if (fs_read_capped(path, BPF_INSNS_MAX * sizeof(struct sock_filter), &buf, &len, NULL) < 0)
                return 0;
        if (len == 0 || len % sizeof(struct sock_filter)) {
                free(buf);
                return 0;
        }
        *ret = (struct sock_filter *)buf;
        *ret_len = len / sizeof(struct sock_filter);
        return 1;
}

static void
cache_write(const char *path, const struct sock_filter *prog, size_t n)
{
        cleanup_free char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
        cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        size_t len = n * sizeof(*prog);

        if (fd < 0)
                return;
        if (write(fd, prog, len) != (ssize_t)len || rename(tmp, path) < 0)
                unlink(tmp);
}

int
rt_seccomp_load(const char *profile, const char *what, uint64_t caps, const char *cache_dir,
                struct sock_filter **ret, size_t *ret_len, struct err *err)
{
        cleanup_free char *path = NULL;
        struct rt_sc_profile prof;
        struct rt_sc_host host;
        char key[SHA256_HEX_SIZE];
        int r;

        rt_seccomp_host(&host);
        if (cache_dir && cache_trusted(cache_dir)) {
                cache_key(profile, caps, &host, key);
                path = xasprintf("%s/%s.bpf", cache_dir, key);
                if (cache_read(path, ret, ret_len))
                        return 0;
        }
        r = rt_seccomp_evaluate(profile, what, caps, &host, &prof, err);
        if (r < 0)
                return r;
        r = rt_seccomp_compile(&prof, ret, ret_len, err);
        rt_sc_profile_release(&prof);
        if (r == 0 && path)
                cache_write(path, *ret, *ret_len);
        return r;
}
