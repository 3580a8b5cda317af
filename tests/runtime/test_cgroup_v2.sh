#!/usr/bin/env bash
# The cgroup v2 paths on a hybrid host: in a private mount namespace where only the v2
# hierarchy is mounted at /sys/fs/cgroup, the runtime sees a pure v2 host. Then the container
# gets a new cgroup namespace, a read-only cgroup2 view, is cloned straight into its cgroup,
# and the device allow list is a BPF program (the v1 devices controller is not used).
# Limits are not tried: on a hybrid host the controllers belong to v1.
. "$(dirname "$0")/lib.sh" "$@"
v2=$(grep " - cgroup2 " /proc/self/mountinfo | awk '{print $5; exit}')
[ -n "$v2" ] || skip "no cgroup v2 hierarchy mounted"
grep -q ' - cgroup ' /proc/self/mountinfo || skip "a pure v2 host: the other tests cover it"
command -v unshare >/dev/null || skip "no unshare(1)"
make_rootfs

# v2run CMD: rt-probe in the simulated pure-v2 mount namespace
v2run() {
        unshare -m --propagation private sh -c '
                umount -R /sys/fs/cgroup 2>/dev/null || exit 77
                mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 77
                exec "$@"' v2run "$PROBE" --cgroup-parent "$CGP" --cache-dir "$T/cache" \
                --run-dir "$(new_run_dir)" "$@"
}
out=$(v2run "$ROOTFS" true 2>&1)
[ $? -eq 77 ] && skip "cannot remount the cgroup hierarchies in a private namespace"

got=$(v2run "$ROOTFS" sh -c 'grep "^0::" /proc/self/cgroup; awk "\$5 == \"/sys/fs/cgroup\" {print \$6, \$8}" /proc/self/mountinfo; readlink /proc/1/ns/cgroup')
check "v2: cgroup namespace rooted at the container's cgroup" "0::/" "$(sed -n 1p <<<"$got")"
check "v2: a read-only cgroup2 view" "ro,nosuid,nodev,noexec,relatime cgroup2" "$(sed -n 2p <<<"$got")"
[ "$(sed -n 3p <<<"$got")" != "$(readlink /proc/self/ns/cgroup)" ] && r=new || r=same
check "v2: the cgroup namespace is new" new "$r"

got=$(v2run "$ROOTFS" sh -c 'mknod /tmp/kmsg c 1 11 && head -c 1 /tmp/kmsg >/dev/null; echo kmsg_rc=$?; mknod /tmp/l b 7 0 && head -c 1 /tmp/l > /dev/null; echo blk_rc=$?; echo x >/dev/null; echo null_rc=$?; head -c 4 /dev/urandom | wc -c' 2>/dev/null)
check "v2: the BPF device filter refuses /dev/kmsg and block devices, allows the defaults" \
        "$(printf 'kmsg_rc=1\nblk_rc=1\nnull_rc=0\n4')" "$got"
if [ -b /dev/loop0 ]; then
        got=$(v2run --device /dev/loop0:/dev/myloop:r "$ROOTFS" sh -c 'head -c 1 /dev/myloop >/dev/null; echo r=$?; echo x > /dev/myloop; echo w=$?' 2>/dev/null)
        check "v2: --device with r: read allowed, write refused" "$(printf 'r=0\nw=1')" "$got"
fi
got=$(v2run --privileged "$ROOTFS" sh -c 'mknod /tmp/kmsg c 1 11 && head -c 1 /tmp/kmsg >/dev/null; echo kmsg_rc=$?' 2>/dev/null </dev/null)
check_match "v2: --privileged allows every device" "kmsg_rc=(0|1)" "$got"
check "v2: no container cgroup is left" 0 "$(find "$v2/$CGP" -mindepth 1 -type d 2>/dev/null | wc -l)"
finish
