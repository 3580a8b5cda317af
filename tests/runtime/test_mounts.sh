#!/usr/bin/env bash
# The container's filesystem view against docker 20.10's measured values: the mount table
# (mount points, types and options, in order), /dev contents, masked and read-only paths,
# --read-only, --tmpfs, -v binds, --shm-size, and pivot_root (the host's root is gone).
. "$(dirname "$0")/lib.sh" "$@"
make_rootfs

# norm_mountinfo: "mountpoint fstype mount-options [super-options]" per line, without the
# root (its filesystem is the image's) and with super-options only for kernel filesystems
# (a bind of a host file shows the host filesystem's).
norm_mountinfo() {
        awk '{ for (i = 7; $i != "-"; i++); t = $(i + 1); so = $(i + 3)
               if ($5 == "/") next
               if (t ~ /^(ext4|xfs|btrfs|overlay|tmpfs)$/ && $4 != "/" && t != "tmpfs") so = ""
               if (t == "tmpfs" && $4 != "/") so = "(bind)"
               if (t == "cgroup") so = ""
               print $5, t, $6, so }'
}

want=$(measured "$DOCKER_DEFAULTS" 'busybox:local cat /proc/self/mountinfo' | norm_mountinfo)
got=$(probe "$ROOTFS" cat /proc/self/mountinfo | norm_mountinfo)
if [ -n "$want" ]; then
        check "mount table (points, types, options, order)" "$want" "$got"
fi
check_match "root is a bind of the rootfs dir" "^[0-9]+ [0-9]+ [0-9:]+ $ROOTFS / " \
        "$(probe "$ROOTFS" head -n 1 /proc/self/mountinfo)"
got=$(probe "$ROOTFS" sh -c 'ls /tmp/berth-rt.* 2>&1; awk "\$5 == \"/\"" /proc/self/mountinfo | wc -l')
check "pivot_root: the host's root is not reachable" "$(printf 'ls: /tmp/berth-rt.*: No such file or directory\n1')" "$got"

# /dev listing without dates (and without "..", whose size is the rootfs's)
norm_ls() { sed -E 's/ [A-Z][a-z]{2} +[0-9]+ +[0-9:]+ / /; s/ +/ /g' | grep -v ' \.\.$' | grep -v '^total'; }
want=$(measured "$DOCKER_DEFAULTS" 'busybox:local ls -la /dev' | norm_ls)
got=$(probe "$ROOTFS" ls -la /dev | norm_ls)
[ -n "$want" ] && check "/dev contents" "$want" "$got"
want=$(measured "$DOCKER_DEFAULTS" 'ls -la /dev/pts /dev/shm /dev/mqueue' | norm_ls)
got=$(probe "$ROOTFS" ls -la /dev/pts /dev/shm /dev/mqueue | norm_ls)
[ -n "$want" ] && check "/dev/pts, /dev/shm, /dev/mqueue" "$want" "$got"
got=$(probe "$ROOTFS" sh -c 'df -k /dev/shm /dev | tail -n 2 | awk "{print \$1, \$2}"')
check "/dev and /dev/shm are 64 MiB" "$(printf 'shm 65536\ntmpfs 65536')" "$got"
got=$(probe --shm-size 128m "$ROOTFS" sh -c 'df -k /dev/shm | tail -n 1 | awk "{print \$2}"')
check "--shm-size 128m" "131072" "$got"

# masked and read-only paths
probes_masked='for f in /proc/keys /proc/timer_list /proc/kcore /proc/latency_stats /proc/timer_stats /proc/sched_debug; do [ -e $f ] && stat -c "%n %F %t:%T" $f; done; for d in /proc/acpi /proc/scsi /sys/firmware /proc/asound; do [ -d $d ] && echo "$d entries=$(ls -A $d | wc -l)"; done; umount /proc/keys; echo umount_rc=$?'
want=$(measured "$DOCKER_PROBES" 'masked files are char 1:3' | sort)
got=$(probe "$ROOTFS" sh -c "$probes_masked" 2>&1 | sort)
[ -n "$want" ] && check "masked paths (files are /dev/null, dirs empty read-only tmpfs)" "$want" "$got"
for p in /proc/keys /proc/timer_list /proc/acpi /sys/firmware; do
        [ -e "$p" ] || continue
        got=$(probe "$ROOTFS" sh -c "cat $p 2>/dev/null | wc -c; ls -A $p 2>/dev/null | grep -vc ^$p\$")
        check "masked $p shows nothing" "$(printf '0\n0')" "$got"
done
probes_ro='for f in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do grep -q " $f " /proc/self/mountinfo && grep " $f " /proc/self/mountinfo | awk "{print \$5, \$6}"; done'
want=$(measured "$DOCKER_PROBES" 'readonly paths are ro bind mounts')
got=$(probe "$ROOTFS" sh -c "$probes_ro")
[ -n "$want" ] && check "read-only paths" "$want" "$got"
got=$(probe --privileged "$ROOTFS" sh -c 'grep -c -E " /proc/(keys|acpi|sys) " /proc/self/mountinfo; grep " /sys " /proc/self/mountinfo | awk "{print \$6}"')
check "--privileged: no masked or read-only paths, /sys writable" "$(printf '0\nrw,nosuid,nodev,noexec,relatime')" "$got"

# --read-only, --tmpfs, -v
want=$(measured "$DOCKER_LIFECYCLE" '### read-only rootfs' | grep rc=)
got=$(probe --read-only "$ROOTFS" sh -c 'touch /x; echo root_rc=$?; touch /tmp/x; echo tmp_rc=$?; touch /dev/shm/x; echo shm_rc=$?; touch /etc/hosts; echo hosts_rc=$?' 2>/dev/null)
check "--read-only" "${want:-$(printf 'root_rc=1\ntmp_rc=1\nshm_rc=0\nhosts_rc=1')}" "$got"
want=$(measured "$DOCKER_LIFECYCLE" 'read-only + tmpfs /tmp')
got=$(probe --read-only --tmpfs /tmp "$ROOTFS" sh -c 'touch /tmp/x; echo tmp_rc=$?; mount | grep " /tmp "')
check "--read-only --tmpfs /tmp" "${want:-$(printf 'tmp_rc=0\ntmpfs on /tmp type tmpfs (rw,nosuid,nodev,noexec,relatime)')}" "$got"
got=$(probe --tmpfs /scratch:size=1m,mode=0700,exec "$ROOTFS" sh -c 'stat -c %a /scratch; df -k /scratch | tail -n 1 | awk "{print \$2}"; grep " /scratch " /proc/self/mountinfo | awk "{print \$6}"')
check "--tmpfs with size, mode and exec (mount point created)" "$(printf '700\n1024\nrw,nosuid,nodev,relatime')" "$got"

mkdir -p "$T/vol/sub"
echo data >"$T/vol/file"
got=$(probe -v "$T/vol:/data" "$ROOTFS" sh -c 'cat /data/file; echo new >/data/new; echo rc=$?')
check "-v bind read-write" "$(printf 'data\nrc=0')" "$got"
check "the write reached the host dir" "new" "$(cat "$T/vol/new" 2>/dev/null)"
got=$(probe -v "$T/vol:/data:ro" "$ROOTFS" sh -c 'touch /data/x 2>&1; echo rc=$?')
check "-v bind :ro" "$(printf 'touch: /data/x: Read-only file system\nrc=1')" "$got"
got=$(probe -v "$T/vol/file:/etc/motd:ro" -v "$T/vol:/deep/a/b" "$ROOTFS" sh -c 'cat /etc/motd; ls /deep/a/b | head -n 1')
check "file bind and nested mount points are created" "$(printf 'data\nfile')" "$got"
check "binding into the rootfs left files only where docker does" "" "$(ls "$ROOTFS/deep/a/b" 2>/dev/null)"
out=$(probe -v "$T/nonexistent:/x" "$ROOTFS" true 2>&1)
check_match "-v with a missing source fails" "bind source path does not exist" "$out"
finish
