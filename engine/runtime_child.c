/* runtime_child: the container's first process, from clone(2) to execve(2).
 *
 * It runs in the new namespaces on a copy of the parent's memory and allocates nothing: all
 * strings and tables come ready in struct rt_plan. Order (each step needs the one before):
 *   fds: stdio onto 0,1,2, every other inherited fd closed (only the sync socket stays);
 *   wait for the parent's 'g' (cgroups joined, network hook done);
 *   setsid, cgroup namespace, netns, hostname, lo up;
 *   "/" made rprivate (nothing propagates to the host), the rootfs mounted (overlay or bind),
 *   the mount table applied with every target resolved inside the root (openat2
 *   RESOLVE_IN_ROOT, mounts onto /proc/self/fd/N), /dev nodes and links, sysctls, then the
 *   read-only and masked paths;
 *   pivot_root(".", ".") and a lazy unmount of the old root; the working directory (resolved
 *   in the root, no magic links: a leaked fd cannot become the cwd); the read-only remount of
 *   "/"; rlimits;
 *   with a tty: a new pty of the container's devpts as 0, 1, 2 and controlling terminal;
 *   report 'ready' (with the pty's master as SCM_RIGHTS) and wait for the parent's 's';
 *   rt_child_exec(), shared with exec'd processes (runtime_exec.c): seccomp (before dropping
 *   capabilities unless no-new-privileges, like runc), bounding set, groups, gid, uid,
 *   capabilities, no_new_privs;
 *   execve, looking the command up in the container's PATH. A failure anywhere is sent to the
 *   parent as a struct rt_msg and ends the process with 125, 126 or 127.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "engine/runtime_int.h"

#define FDPATH_MAX 32
/* statfs(2) f_flags holds mount flags when the kernel sets ST_VALID (linux/statfs.h) */
#define KERNEL_ST_VALID 0x0020

struct child {
        const struct rt_plan *p;
        int sock;
        int netns_fd;
};

static void
copy_str(char *dst, size_t cap, const char *src)
{
        size_t n = src ? strnlen(src, cap - 1) : 0;

        if (n)
                memcpy(dst, src, n);
        dst[n] = '\0';
}

__attribute__((noreturn)) static void
fail(const struct child *c, const char *what, const char *detail, int errnum, int code)
{
        struct rt_msg m;

        memset(&m, 0, sizeof(m));
        m.kind = RT_MSG_ERROR;
        m.errnum = errnum;
        m.exit_code = code;
        copy_str(m.what, sizeof(m.what), what);
        copy_str(m.detail, sizeof(m.detail), detail);
        if (send(c->sock, &m, sizeof(m), MSG_NOSIGNAL) < 0) {
                /* the parent is gone: nothing to report to */
        }
        _exit(code);
}

/* fd_path: "/proc/self/fd/N" into buf, without printf. */
static const char *
fd_path(char buf[FDPATH_MAX], int fd)
{
        static const char prefix[] = "/proc/self/fd/";
        char digits[12];
        size_t n = 0;

        do {
                digits[n++] = (char)('0' + fd % 10);
                fd /= 10;
        } while (fd && n < sizeof(digits));
        memcpy(buf, prefix, sizeof(prefix) - 1);
        for (size_t i = 0; i < n; i++)
                buf[sizeof(prefix) - 1 + i] = digits[n - 1 - i];
        buf[sizeof(prefix) - 1 + n] = '\0';
        return buf;
}

static int
open_in_root(int rootfd, const char *rel, int flags)
{
        struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

        return (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
}

/* mkdirs_in_root: mkdir -p rel inside the root; returns an O_PATH fd of it. */
static int
mkdirs_in_root(int rootfd, const char *rel)
{
        char buf[PATH_MAX];
        int parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        size_t start = 0;

        for (size_t i = 0; parent >= 0 && i < sizeof(buf); i++) {
                if (rel[i] == '/' || rel[i] == '\0') {
                        int fd;

                        buf[i] = '\0';
                        fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
                        if (fd < 0 && errno == ENOENT && i > start &&
                            (mkdirat(parent, buf + start, 0755) == 0 || errno == EEXIST))
                                fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
                        close(parent);
                        parent = fd;
                        start = i + 1;
                        if (!rel[i])
                                return parent;
                }
                buf[i] = rel[i];
        }
        if (parent >= 0)
                close(parent);
        errno = parent >= 0 ? ENAMETOOLONG : errno;
        return -1;
}

/* target_fd: open (or create) op's target in the root; -1 with errno ENOENT when an optional
 * target is missing. */
static int
target_fd(int rootfd, const char *target, unsigned opf)
{
        const char *slash = strrchr(target, '/');
        char dir[PATH_MAX];
        int fd = open_in_root(rootfd, target, O_PATH), parent;

        if (fd >= 0 || errno != ENOENT || (opf & RT_OPF_OPTIONAL))
                return fd;
        if (slash && (size_t)(slash - target) >= sizeof(dir))
                return errno = ENAMETOOLONG, -1;
        if (slash)
                memcpy(dir, target, (size_t)(slash - target));
        dir[slash ? slash - target : 0] = '\0';
        parent = mkdirs_in_root(rootfd, dir);
        if (parent < 0)
                return -1;
        if (opf & RT_OPF_FILE)
                fd = openat(parent, slash ? slash + 1 : target,
                            O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        else
                fd = mkdirat(parent, slash ? slash + 1 : target, 0755);
        if (fd >= 0 && (opf & RT_OPF_FILE))
                close(fd);
        close(parent);
        if (fd < 0 && errno != EEXIST)
                return -1;
        return open_in_root(rootfd, target, O_PATH);
}

/* locked_flags: the flags a bind's remount must keep (nosuid, nodev, noexec, atime). */
static unsigned long
locked_flags(int fd)
{
        static const unsigned long map[][2] = {
                { ST_NOSUID, MS_NOSUID },         { ST_NODEV, MS_NODEV },
                { ST_NOEXEC, MS_NOEXEC },         { ST_NOATIME, MS_NOATIME },
                { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
        };
        unsigned long flags = 0;
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0 || !(sf.f_flags & KERNEL_ST_VALID))
                return 0;
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (sf.f_flags & map[i][0])
                        flags |= map[i][1];
        return flags;
}

/* remount_top: apply flags and propagation to the mount now on top of target. Private
 * propagation is what every mount here already has (the namespace was made rprivate before
 * the first mount, and a bind of a private mount is private), so it costs no call. */
static void
remount_top(const struct child *c, int rootfd, const struct rt_mount_op *op, int bind)
{
        unsigned long prop = (op->propagation & ~MS_REC) == MS_PRIVATE ? 0 : op->propagation;
        char buf[FDPATH_MAX];
        int fd;

        if (!prop && !(bind && op->flags))
                return;
        fd = open_in_root(rootfd, op->target, O_PATH);
        if (fd < 0)
                fail(c, "open mount", op->target, errno, 125);
        if (bind && op->flags &&
            mount(NULL, fd_path(buf, fd), NULL, MS_BIND | MS_REMOUNT | op->flags | locked_flags(fd),
                  NULL) < 0)
                fail(c, "remount", op->target, errno, 125);
        if (prop && mount(NULL, fd_path(buf, fd), NULL, prop, NULL) < 0)
                fail(c, "set propagation of", op->target, errno, 125);
        close(fd);
}

static void
bind_op(const struct child *c, int rootfd, int fd, const struct rt_mount_op *op)
{
        char src[FDPATH_MAX], dst[FDPATH_MAX];
        unsigned long rec = (op->opf & RT_OPF_RECURSIVE) ? MS_REC : 0;
        const char *source = op->source;
        int srcfd = -1;

        if (op->kind == RT_OP_RO || (op->opf & RT_OPF_SRC_IN_ROOT)) {
                srcfd = op->kind == RT_OP_RO ? fd : open_in_root(rootfd, op->source, O_PATH);
                if (srcfd < 0)
                        fail(c, "open mount source", op->source, errno, 125);
                source = fd_path(src, srcfd);
        }
        if (mount(source, fd_path(dst, fd), NULL, MS_BIND | rec, NULL) < 0)
                fail(c, "bind mount", op->target, errno, 125);
        if (srcfd >= 0 && srcfd != fd)
                close(srcfd);
        remount_top(c, rootfd, op, 1);
}

static void
mask_op(const struct child *c, int rootfd, int fd, const struct rt_mount_op *op)
{
        char buf[FDPATH_MAX], src[FDPATH_MAX];
        struct stat sb;
        int nullfd;

        if (fstat(fd, &sb) < 0)
                fail(c, "stat", op->target, errno, 125);
        if (S_ISDIR(sb.st_mode)) {
                if (mount("tmpfs", fd_path(buf, fd), "tmpfs", MS_RDONLY, NULL) < 0)
                        fail(c, "mask", op->target, errno, 125);
                return;
        }
        nullfd = open_in_root(rootfd, op->source, O_PATH);
        if (nullfd < 0 || mount(fd_path(src, nullfd), fd_path(buf, fd), NULL, MS_BIND, NULL) < 0)
                fail(c, "mask", op->target, errno, 125);
        close(nullfd);
}

static void
apply_op(const struct child *c, int rootfd, const struct rt_mount_op *op)
{
        char buf[FDPATH_MAX];
        int fd = target_fd(rootfd, op->target, op->opf);

        if (fd < 0 && errno == ENOENT && (op->opf & RT_OPF_OPTIONAL))
                return;
        if (fd < 0)
                fail(c, "create mount point", op->target, errno, 125);
        switch (op->kind) {
        case RT_OP_FS:
                if (mount(op->source, fd_path(buf, fd), op->fstype, op->flags, op->data) < 0)
                        fail(c, "mount", op->target, errno, 125);
                remount_top(c, rootfd, op, 0);
                break;
        case RT_OP_BIND:
        case RT_OP_RO:
                bind_op(c, rootfd, fd, op);
                break;
        case RT_OP_MASK:
                mask_op(c, rootfd, fd, op);
                break;
        }
        close(fd);
}

static void
make_devices(const struct child *c, int rootfd)
{
        const struct rt_mount_table *mt = c->p->mt;
        int devfd = open_in_root(rootfd, "dev", O_PATH | O_DIRECTORY);

        if (devfd < 0)
                fail(c, "open", "/dev", errno, 125);
        for (size_t i = 0; i < mt->n_devs; i++) {
                const struct rt_devnode *d = &mt->devs[i];
                const char *slash = strrchr(d->path, '/');
                char dir[PATH_MAX];
                int dirfd = devfd;

                if (slash && (size_t)(slash - d->path) < sizeof(dir)) {
                        memcpy(dir, d->path, (size_t)(slash - d->path));
                        dir[slash - d->path] = '\0';
                        dirfd = mkdirs_in_root(devfd, dir);
                }
                if (dirfd < 0 ||
                    (mknodat(dirfd, slash ? slash + 1 : d->path, d->mode, d->rdev) < 0 &&
                     errno != EEXIST) ||
                    fchownat(dirfd, slash ? slash + 1 : d->path, d->uid, d->gid,
                             AT_SYMLINK_NOFOLLOW) < 0)
                        fail(c, "create device", d->path, errno, 125);
                if (dirfd != devfd)
                        close(dirfd);
        }
        for (size_t i = 0; i < mt->n_links; i++)
                if (symlinkat(mt->links[i].target, devfd, mt->links[i].path) < 0 && errno != EEXIST)
                        fail(c, "create link", mt->links[i].path, errno, 125);
        close(devfd);
}

static void
write_sysctls(const struct child *c, int rootfd)
{
        for (size_t i = 0; i < c->p->n_sysctls; i++) {
                const struct rt_sysctl_w *s = &c->p->sysctls[i];
                char path[PATH_MAX] = "proc/sys/";
                size_t plen = strlen(s->path), vlen = strlen(s->value);
                int fd;

                if (plen >= sizeof(path) - 9)
                        fail(c, "write sysctl", s->path, ENAMETOOLONG, 125);
                memcpy(path + 9, s->path, plen + 1);
                fd = open_in_root(rootfd, path, O_WRONLY);
                if (fd < 0 || write(fd, s->value, vlen) != (ssize_t)vlen)
                        fail(c, "write sysctl", s->path, errno, 125);
                close(fd);
        }
}

static void
setup_root(const struct child *c)
{
        const struct rt_plan *p = c->p;
        const struct rt_mount_table *mt = p->mt;
        int rootfd;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                fail(c, "make / private", "/", errno, 125);
        if (p->rootfs_bind ? mount(p->rootfs_bind, p->rootfs_mnt, NULL, MS_BIND | MS_REC, NULL)
                           : mount("overlay", p->rootfs_mnt, "overlay", 0, p->overlay_data))
                fail(c, "mount rootfs", p->rootfs_bind ? p->rootfs_bind : "overlay", errno, 125);
        rootfd = open(p->rootfs_mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                fail(c, "open rootfs", p->rootfs_mnt, errno, 125);
        for (size_t i = 0; i < mt->n_ops; i++)
                apply_op(c, rootfd, &mt->ops[i]);
        make_devices(c, rootfd);
        write_sysctls(c, rootfd);
        for (size_t i = 0; i < mt->n_late; i++)
                apply_op(c, rootfd, &mt->late[i]);
        if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
                fail(c, "pivot_root", p->rootfs_mnt, errno, 125);
        if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                fail(c, "detach the old root", "/", errno, 125);
        close(rootfd);
}

static void
enter_cwd(const struct child *c)
{
        const struct rt_plan *p = c->p;
        int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

        if (root < 0)
                fail(c, "open", "/", errno, 125);
        fd = mkdirs_in_root(root, p->cwd + 1);
        if (fd < 0 || fchdir(fd) < 0)
                fail(c, "enter working directory", p->cwd, errno, 125);
        close(fd);
        if (p->readonly_rootfs &&
            mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(root), NULL) < 0)
                fail(c, "remount / read-only", "/", errno, 125);
        close(root);
}

static void
lo_up(const struct child *c)
{
        struct ifreq ifr;
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, "lo", 3);
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                fail(c, "bring up", "lo", errno, 125);
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                fail(c, "bring up", "lo", errno, 125);
        close(s);
}

static void
namespaces(const struct child *c)
{
        const struct rt_plan *p = c->p;

        if (setsid() < 0)
                fail(c, "setsid", "", errno, 125);
        if (p->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                fail(c, "unshare", "cgroup namespace", errno, 125);
        if (c->netns_fd >= 0 && setns(c->netns_fd, CLONE_NEWNET) < 0)
                fail(c, "join network namespace", "", errno, 125);
        if (c->netns_fd >= 0)
                close(c->netns_fd);
        if (sethostname(p->hostname, strlen(p->hostname)) < 0)
                fail(c, "sethostname", p->hostname, errno, 125);
        if (p->domainname && setdomainname(p->domainname, strlen(p->domainname)) < 0)
                fail(c, "setdomainname", p->domainname, errno, 125);
        if (p->lo_up)
                lo_up(c);
}

/* close_from_to: close fds [lo, hi] (hi = ~0U: all above lo). */
static void
close_from_to(unsigned lo, unsigned hi)
{
        if (lo > hi)
                return;
        if (syscall(SYS_close_range, lo, hi, 0) == 0)
                return;
        for (unsigned fd = lo; fd <= hi && fd < 65536; fd++)
                close((int)fd);
}

/* setup_fds: stdio onto 0, 1, 2 and every other fd closed but the sync socket (and the
 * netns fd), so that nothing of the caller's reaches the container. */
static void
setup_fds(struct child *c)
{
        int tmp[3], keep[2];
        unsigned from = 3;

        c->sock = fcntl(c->sock, F_DUPFD_CLOEXEC, 3);
        if (c->netns_fd >= 0)
                c->netns_fd = fcntl(c->netns_fd, F_DUPFD_CLOEXEC, 3);
        if (c->sock < 0)
                _exit(125);
        for (int i = 0; i < 3; i++)
                tmp[i] = c->p->stdio[i] >= 0 ? fcntl(c->p->stdio[i], F_DUPFD_CLOEXEC, 3) : -1;
        for (int i = 0; i < 3; i++) {
                if (tmp[i] >= 0 ? dup2(tmp[i], i) < 0
                                : (fcntl(i, F_SETFD, 0) < 0 && errno != EBADF))
                        fail(c, "set up stdio", "", errno, 125);
        }
        keep[0] = c->netns_fd >= 0 && c->netns_fd < c->sock ? c->netns_fd : c->sock;
        keep[1] = c->netns_fd >= 0 && c->netns_fd < c->sock ? c->sock : c->netns_fd;
        for (int i = 0; i < 2; i++) {
                if (keep[i] < 3)
                        continue;
                close_from_to(from, (unsigned)keep[i] - 1);
                from = (unsigned)keep[i] + 1;
        }
        close_from_to(from, ~0U);
}

static void
wait_byte(const struct child *c, char want)
{
        char b = 0;
        ssize_t n;

        do
                n = recv(c->sock, &b, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n != 1 || b != want)
                _exit(125); /* the parent went away: nobody waits for this container */
}

static void
install_seccomp(const struct child *c)
{
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, c->p->seccomp) < 0)
                fail(c, "install seccomp filter", "", errno, 125);
}

static void
drop_privileges(const struct child *c)
{
        const struct rt_plan *p = c->p;
        const struct rt_user *u = p->user;
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2];

        for (int cap = 0; cap <= p->cap_last; cap++)
                if (!(p->caps & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
                    errno != EINVAL)
                        fail(c, "drop capability bounding set", "", errno, 125);
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(u->n_groups, u->groups) < 0 ||
            setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0 ||
            prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                fail(c, "switch to the container user", "", errno, 125);
        memset(data, 0, sizeof(data));
        data[0].effective = data[0].permitted = (uint32_t)p->caps;
        data[1].effective = data[1].permitted = (uint32_t)(p->caps >> 32);
        if (syscall(SYS_capset, &hdr, data) < 0)
                fail(c, "set capabilities", "", errno, 125);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                fail(c, "clear ambient capabilities", "", errno, 125);
}

static int
exit_code_for(int errnum)
{
        return errnum == ENOENT || errnum == ENOTDIR ? 127 : 126;
}

/* exec_command: execve argv[0], searched in the container's PATH when it has no '/'. */
__attribute__((noreturn)) static void
exec_command(const struct child *c)
{
        const struct rt_plan *p = c->p;
        const char *file = p->argv[0], *dir = p->path_env ? p->path_env : "";
        size_t flen = strlen(file);
        int eacces = 0;
        char buf[PATH_MAX];

        if (strchr(file, '/')) {
                execve(file, p->argv, p->envp);
                fail(c, "exec", file, errno, exit_code_for(errno));
        }
        while (flen && *dir) {
                const char *colon = strchr(dir, ':');
                size_t dlen = colon ? (size_t)(colon - dir) : strlen(dir);

                if (dlen + flen + 2 <= sizeof(buf)) {
                        memcpy(buf, dlen ? dir : ".", dlen ? dlen : 1);
                        dlen = dlen ? dlen : 1;
                        buf[dlen] = '/';
                        memcpy(buf + dlen + 1, file, flen + 1);
                        execve(buf, p->argv, p->envp);
                        if (errno == EACCES)
                                eacces = 1;
                        else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG)
                                fail(c, "exec", buf, errno, exit_code_for(errno));
                }
                dir = colon ? colon + 1 : dir + dlen;
        }
        fail(c, "exec", file, eacces ? EACCES : 0, eacces ? 126 : 127);
}

int
rt_msg_send(int sock, const struct rt_msg *m, int fd)
{
        struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *c;

                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int
rt_msg_recv(int sock, struct rt_msg *m, int *ret_fd)
{
        struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c;
        ssize_t n;

        memset(m, 0, sizeof(*m));
        *ret_fd = -1;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        m->what[sizeof(m->what) - 1] = m->detail[sizeof(m->detail) - 1] = '\0';
        return n > 0;
}

int
rt_pty_open(int *ret_slave)
{
        struct open_how how = { .flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
                                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        int master = (int)syscall(SYS_openat2, AT_FDCWD, "/dev/pts/ptmx", &how, sizeof(how));
        int unlock = 0, e;
        struct stat sb;

        if (master < 0)
                return -errno;
        if (fstat(master, &sb) < 0 || !S_ISCHR(sb.st_mode) || sb.st_rdev != makedev(5, 2))
                e = ENOTTY;
        else if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                e = errno;
        else if ((*ret_slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
                e = errno;
        else
                return master;
        close(master);
        return -e;
}

/* setup_tty: the pty as stdio and controlling terminal (we lead our session); returns the
 * master, which goes to the parent with READY. */
static int
setup_tty(const struct child *c)
{
        int slave = -1, master = rt_pty_open(&slave);

        if (master < 0)
                fail(c, "open a pty in", "/dev/pts", -master, 125);
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                fail(c, "set the controlling terminal", "", errno, 125);
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        fail(c, "set up stdio", "", errno, 125);
        close(slave);
        return master;
}

static void
exec_from_init(const void *ctx)
{
        exec_command(ctx);
}

/* join_cgroups: move ourselves into the v1 cgroups (runtime_int.h: rt_cgroup_open_tasks);
 * the fds are close-on-exec and setup_fds closes them anyway. */
static void
join_cgroups(const struct child *c)
{
        for (size_t i = 0; i < c->p->n_cg_tasks; i++)
                if (write(c->p->cg_tasks[i], "0", 1) != 1)
                        fail(c, "join the container's cgroup", "", errno, 125);
}

void
rt_child_run(const struct rt_plan *p)
{
        struct child c = { .p = p, .sock = p->sock, .netns_fd = p->netns_fd };
        int i;

        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        umask(0);
        join_cgroups(&c);
        setup_fds(&c);
        wait_byte(&c, 'g');
        namespaces(&c);
        setup_root(&c);
        enter_cwd(&c);
        for (i = 0; i < RLIM_NLIMITS; i++)
                if (p->rlim_set[i] && setrlimit(i, &p->rlim[i]) < 0)
                        fail(&c, "set rlimit", "", errno, 125);
        {
                struct rt_msg m = { .kind = RT_MSG_READY };
                int master = p->tty ? setup_tty(&c) : -1;

                if (rt_msg_send(c.sock, &m, master) < 0)
                        _exit(125);
                if (master >= 0)
                        close(master); /* the --init runs without an exec: not its to keep */
        }
        wait_byte(&c, 's');
        rt_child_exec(p, c.sock);
}

void
rt_child_exec(const struct rt_plan *p, int sock)
{
        struct child c = { .p = p, .sock = sock, .netns_fd = -1 };

        if (p->seccomp && !p->nnp)
                install_seccomp(&c);
        drop_privileges(&c);
        if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(&c, "set no_new_privs", "", errno, 125);
        if (p->seccomp && p->nnp)
                install_seccomp(&c);
        umask(022);
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (p->init)
                rt_init_run(c.sock, p->args_area, exec_from_init, &c);
        exec_command(&c);
}
