#!/usr/bin/env bash
# Known escape classes, each shown to fail: writes to /proc/sys, /sys and
# /proc/sysrq-trigger; overwriting the runtime binary through /proc/self/exe
# (CVE-2019-5736, both through a "#!/proc/self/exe" command and through the --init's
# /proc/1/exe); berth fds leaking into the container and a leaked directory fd as the
# working directory (CVE-2024-21626); raw device access; mount propagation to the host;
# mounting cgroupfs or unsharing namespaces; writes to the cgroup view.
. "$(dirname "$0")/lib.sh" "$@"
make_rootfs

domain=$(cat /proc/sys/kernel/domainname)
got=$(probe "$ROOTFS" sh -c 'echo 1 > /proc/sys/kernel/domainname; echo rc=$?; echo 1 > /proc/sys/vm/drop_caches; echo rc=$?; echo x > /proc/sysrq-trigger; echo rc=$?' 2>/dev/null)
check "writes to /proc/sys and /proc/sysrq-trigger fail" "$(printf 'rc=1\nrc=1\nrc=1')" "$got"
check "the host's domainname is untouched" "$domain" "$(cat /proc/sys/kernel/domainname)"
got=$(probe "$ROOTFS" sh -c 'touch /sys/x; echo rc=$?; echo 1 > /sys/kernel/uevent_helper; echo rc=$?; echo 1 > /sys/fs/cgroup/pids/pids.max; echo rc=$?; mkdir /sys/fs/cgroup/memory/x; echo rc=$?' 2>/dev/null)
check "writes to /sys and the cgroup view fail" "$(printf 'rc=1\nrc=1\nrc=1\nrc=1')" "$got"

# CVE-2019-5736. rt-probe runs from a sealed copy of itself: a container that gets it
# executed (its interpreter is /proc/self/exe) keeps an O_PATH fd of it and, once the runtime
# process image is gone, tries to open it for writing. The loader and libraries rt-probe needs
# are in the rootfs, as an attacker's image would have them.
add_probe_libs
printf '#!/proc/self/exe __exe_attack\n' >"$ROOTFS/evil"
chmod 755 "$ROOTFS/evil"
cp "$PROBE" "$T/probe-copy"
sum=$(sha256sum <"$T/probe-copy")
got=$("$T/probe-copy" --cgroup-parent "$CGP" --run-dir "$(new_run_dir)" "$ROOTFS" /evil 2>&1)
check "exec of #!/proc/self/exe: the write is refused" "ATTACK-BLOCKED" "$got"
# detached, under a reaper (the host's PID 1 may not reap what it inherits): the runtime
# process is gone while the attacker waits
run_dir=$(new_run_dir)
"$PROBE" --reap sh -c '"$1" --cgroup-parent "$2" --run-dir "$3" -d "$4" /evil >"$5" 2>&1' \
        reap "$T/probe-copy" "$CGP" "$run_dir" "$ROOTFS" "$T/attack.out"
check "the same, detached (the runtime process is gone)" "ATTACK-BLOCKED" "$(tail -n 1 "$T/attack.out")"
"$PROBE" --delete "$run_dir"
check "the runtime binary is unchanged" "$sum" "$(sha256sum <"$T/probe-copy")"
got=$(probe --init "$ROOTFS" sh -c '{ echo x >> /proc/1/exe; } 2>/dev/null; echo rc=$?; cat /proc/1/environ >/dev/null 2>&1; echo env=$?; tr -d "\\0" </proc/1/cmdline')
check "--init: /proc/1/exe and /proc/1/environ closed, command line wiped" "$(printf 'rc=1\nenv=1\nberth-init')" "$got"

# fds: the caller's non-close-on-exec fds 5 and 7 must not reach the container
got=$(probe "$ROOTFS" sh -c 'ls /proc/1/fd; exit 0' 5</etc/hostname 7>"$T/fd7")
check "PID 1 has only 0, 1, 2" "$(printf '0\n1\n2')" "$got"
got=$(probe --init "$ROOTFS" sh -c 'ls /proc/$$/fd; exit 0' 5</etc/hostname)
check "the command under --init has only 0, 1, 2" "$(printf '0\n1\n2')" "$got"
for n in 3 4 5 6 7 8 9; do
        out=$(probe -w /proc/self/fd/$n "$ROOTFS" sh -c 'pwd; ls /; ls ..' 5</etc 7</tmp 2>&1)
        rc=$?
        leaked=no
        grep -q -e "$(basename "$T")" -e 'berth-rt\.' -e '^boot$' <<<"$out" && leaked=yes
        check "-w /proc/self/fd/$n fails (125) and shows nothing of the host" "125 no" "$rc $leaked"
done

# devices: mknod works (CAP_MKNOD) but the device cgroup refuses the open, for a block
# device the host itself can read (else the check could not fail) and for /dev/kmsg
blk=
for d in /dev/loop0 "$(findmnt -n -o SOURCE / 2>/dev/null)" /dev/sda /dev/vda /dev/nvme0n1; do
        [ -b "$d" ] && head -c 1 "$d" >/dev/null 2>&1 && { blk=$d; break; }
done
if [ -n "$blk" ]; then
        maj=$((16#$(stat -c %t "$blk"))); min=$((16#$(stat -c %T "$blk")))
        got=$(probe "$ROOTFS" sh -c "mknod /tmp/blk b $maj $min && head -c 1 /tmp/blk >/dev/null; echo open_rc=\$?" 2>&1)
        check "raw access to the host's $blk is refused" "$(printf 'head: /tmp/blk: Operation not permitted\nopen_rc=1')" "$got"
fi
got=$(probe "$ROOTFS" sh -c 'mknod /tmp/kmsg c 1 11 && head -c 1 /tmp/kmsg >/dev/null; echo kmsg_rc=$?; echo x > /dev/null; echo null_rc=$?' 2>&1)
check "/dev/kmsg refused, /dev/null allowed" "$(printf 'head: /tmp/kmsg: Operation not permitted\nkmsg_rc=1\nnull_rc=0')" "$got"
got=$(probe --device /dev/zero:/dev/z:r "$ROOTFS" sh -c 'head -c 2 /dev/z | wc -c')
check "--device makes a device available" "2" "$got"

# mount propagation: mounts made inside, even after making / rshared, stay inside
mark=berthmark$$
probe --cap-add SYS_ADMIN --security-opt seccomp=unconfined -v "$T:/host" "$ROOTFS" sh -c \
        "mount -t tmpfs $mark /tmp; mount --make-rshared /; mount -t tmpfs ${mark}b /mnt; mount -t tmpfs ${mark}c /host; sleep 1" &
cpid=$!
sleep 0.6
check "the host does not see mounts made inside (while running)" 0 "$(grep -c $mark /proc/self/mountinfo)"
wait $cpid
check "the host does not see mounts made inside (after)" 0 "$(grep -c $mark /proc/self/mountinfo)"
check "no mount of the container is left on the host" 0 "$(grep -c -e "$T" /proc/self/mountinfo)"

want=$(measured "$DOCKER_PROBES" 'mount cgroup must fail' | grep rc=)
got=$(probe "$ROOTFS" sh -c 'mkdir -p /tmp/c && mount -t cgroup -o rdma cgroup /tmp/c 2>/dev/null; echo rc=$?; unshare -Urm sh -c true 2>/dev/null; echo unshare_rc=$?')
check "mounting cgroupfs and unsharing a user namespace fail" "${want:-$(printf 'rc=1\nunshare_rc=1')}" "$got"
check "sethostname inside is denied" "$(measured "$DOCKER_LIFECYCLE" 'sethostname inside denied' | tail -n 1)" \
        "$(probe "$ROOTFS" hostname foo 2>/dev/null; echo "rc=$?")"
finish
