/* runtime_devbpf: the device allow list on cgroup v2, where there is no devices.allow file:
 * a BPF_PROG_TYPE_CGROUP_DEVICE program (Documentation/admin-guide/cgroup-v2.rst, "Device
 * controller"; struct bpf_cgroup_dev_ctx in linux/bpf.h) attached to the container's cgroup
 * with BPF_CGROUP_DEVICE. The program sees the access type (low 16 bits: block 1 / char 2;
 * high 16 bits: mknod 1, read 2, write 4), the major and the minor, and returns 1 to allow.
 *
 * Each v1-style rule ("c 1:3 rwm", "b *:* m", "a *:* rwm") becomes one block of classic
 * checks: type, requested access within the allowed one, major, minor; a block that matches
 * returns 1, the end returns 0 (deny). The verifier refuses unreachable code, so nothing is
 * emitted after a rule that matches everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "engine/runtime_int.h"

#define INSNS_MAX 4096
#define ANY       (-1L)

struct dev_rule {
        int type; /* BPF_DEVCG_DEV_*, 0 = all */
        long major, minor;
        int access; /* BPF_DEVCG_ACC_* */
};

static struct bpf_insn
insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        return (struct bpf_insn){
                .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm
        };
}

static long
parse_num(const char *s, char **end)
{
        errno = 0;
        if (*s == '*') {
                *end = (char *)s + 1;
                return ANY;
        }
        return strtol(s, end, 10);
}

/* parse_rule: "c 1:3 rwm" */
static int
parse_rule(const char *s, struct dev_rule *r)
{
        char *end;

        if (!strchr("abc", s[0]) || s[1] != ' ')
                return -EINVAL;
        r->type = s[0] == 'a' ? 0 : s[0] == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        r->major = parse_num(s + 2, &end);
        if (errno || *end != ':')
                return -EINVAL;
        r->minor = parse_num(end + 1, &end);
        if (errno || *end != ' ')
                return -EINVAL;
        r->access = 0;
        for (const char *a = end + 1; *a; a++) {
                if (!strchr("rwm", *a))
                        return -EINVAL;
                r->access |= *a == 'r'   ? BPF_DEVCG_ACC_READ
                             : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                                         : BPF_DEVCG_ACC_MKNOD;
        }
        return 0;
}

/* emit_rule: one block; jumps skip to the end of the block. r3 type, r4 access, r5 major,
 * r6 minor. */
static size_t
emit_rule(const struct dev_rule *r, struct bpf_insn *out)
{
        const int all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
        size_t n = 0, len = 2 + (r->type != 0) + 3 * (r->access != all) + (r->major != ANY) +
                            (r->minor != ANY);

#define SKIP ((int16_t)(len - n - 1))
        if (r->type) {
                out[n] = insn(BPF_JMP | BPF_JNE | BPF_K, 3, 0, SKIP, r->type);
                n++;
        }
        if (r->access != all) {
                out[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, 7, 4, 0, 0);
                out[n++] = insn(BPF_ALU | BPF_AND | BPF_K, 7, 0, 0, ~r->access & all);
                out[n] = insn(BPF_JMP | BPF_JNE | BPF_K, 7, 0, SKIP, 0);
                n++;
        }
        if (r->major != ANY) {
                out[n] = insn(BPF_JMP | BPF_JNE | BPF_K, 5, 0, SKIP, (int32_t)r->major);
                n++;
        }
        if (r->minor != ANY) {
                out[n] = insn(BPF_JMP | BPF_JNE | BPF_K, 6, 0, SKIP, (int32_t)r->minor);
                n++;
        }
#undef SKIP
        out[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
        out[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return n;
}

static const struct bpf_insn prologue[] = {
        { .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 2, .src_reg = 1, .off = 0 },
        { .code = BPF_ALU | BPF_MOV | BPF_X, .dst_reg = 3, .src_reg = 2 },
        { .code = BPF_ALU | BPF_AND | BPF_K, .dst_reg = 3, .imm = 0xffff },
        { .code = BPF_ALU | BPF_MOV | BPF_X, .dst_reg = 4, .src_reg = 2 },
        { .code = BPF_ALU | BPF_RSH | BPF_K, .dst_reg = 4, .imm = 16 },
        { .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 5, .src_reg = 1, .off = 4 },
        { .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 6, .src_reg = 1, .off = 8 },
};

int
rt_devbpf_program(char *const *rules, struct bpf_insn **ret, size_t *ret_n, struct err *err)
{
        size_t n_rules = 0, n = ARRAY_SIZE(prologue), m = 0;
        struct bpf_insn *p;

        while (rules && rules[n_rules])
                n_rules++;
        if (n_rules > (INSNS_MAX - 16) / 9)
                return err_setf(err, -E2BIG, "device cgroup: too many device rules");
        p = xcalloc(ARRAY_SIZE(prologue) + 9 * n_rules + 2, sizeof(*p));
        memcpy(p, prologue, sizeof(prologue));
        for (size_t i = 0; i < n_rules; i++) {
                struct dev_rule r;

                if (parse_rule(rules[i], &r) < 0) {
                        free(p);
                        return err_setf(err, -EINVAL, "device cgroup: bad rule '%s'", rules[i]);
                }
                m = emit_rule(&r, p + n);
                n += m;
                if (m == 2)
                        break; /* matches everything: what follows is unreachable */
        }
        if (m != 2) {
                p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
                p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
        *ret = p;
        *ret_n = n;
        return 0;
}

int
rt_devbpf_attach(const char *cgroup_dir, char *const *rules, struct err *err)
{
        static const char license[] = "Apache-2.0";
        cleanup_free struct bpf_insn *prog = NULL;
        cleanup_close int cgfd = -1, progfd = -1;
        union bpf_attr attr;
        size_t n = 0;
        int r = rt_devbpf_program(rules, &prog, &n, err);

        if (r < 0)
                return r;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)prog;
        attr.insn_cnt = (uint32_t)n;
        attr.license = (uint64_t)(uintptr_t)license;
        progfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
        if (progfd < 0)
                return err_setf(err, -errno, "device cgroup: load BPF program: %s",
                                strerror(errno));
        cgfd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                return err_setf(err, -errno, "device cgroup: open '%s': %s", cgroup_dir,
                                strerror(errno));
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgfd;
        attr.attach_bpf_fd = (uint32_t)progfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
                return err_setf(err, -errno, "device cgroup: attach BPF program to '%s': %s",
                                cgroup_dir, strerror(errno));
        return 0;
}
