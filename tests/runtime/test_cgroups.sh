#!/usr/bin/env bash
# cgroup limits that bite, on whatever this host has (v1, v2 or hybrid): a memory hog ends
# with 137 and the OOM reported, a fork bomb stops at --pids-limit, --cpus throttles; the
# values docker writes (v1: compared with the measured ones), the device allow list, and the
# cgroups are gone after the container.
. "$(dirname "$0")/lib.sh" "$@"
make_rootfs
v1=no
grep -q ' - cgroup .*memory' /proc/self/mountinfo && v1=yes

got=$(probe -m 32m --memory-swap 32m --print-oom "$ROOTFS" sh -c 'x=a; while :; do x=$x$x; done' 2>&1 >/dev/null; echo "exit=$?")
check "memory hog: exit 137, OOM reported" "$(printf 'oom=true\nexit=137')" "$got"
got=$(probe -m 32m --print-oom "$ROOTFS" sh -c 'exit 0' 2>&1; echo "exit=$?")
check "no OOM reported when none happened" "$(printf 'oom=false\nexit=0')" "$got"
want=$(measured "$DOCKER_LIFECYCLE" 'fork bomb contained')
got=$(probe --pids-limit 20 "$ROOTFS" sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; for i in $(seq 1 40); do sleep 5 & done 2>&1 | tail -1; kill $(jobs -p) 2>/dev/null; exit 0' 2>&1 | tail -n 2)
check "fork bomb stops at --pids-limit" "${want:-$(printf "20\nsh: can't fork: Resource temporarily unavailable")}" "$got"

if [ "$v1" = yes ]; then
        want=$(measured "$DOCKER_PROBES" 'cgroup v1 values' | head -n 1)
        got=$(probe "$ROOTFS" sh -c 'cd /sys/fs/cgroup; echo default: quota=$(cat cpu/cpu.cfs_quota_us) shares=$(cat cpu/cpu.shares) mem=$(cat memory/memory.limit_in_bytes) pids=$(cat pids/pids.max) swappiness=$(cat memory/memory.swappiness)')
        [ -n "$want" ] && check "v1 defaults" "$want" "$got"
        want=$(measured "$DOCKER_PROBES" 'cgroup v1 values' | sed -n '/^devices.list:/,/^quota=/p' | grep -v '^quota=')
        got=$(probe "$ROOTFS" sh -c 'echo devices.list:; cat /sys/fs/cgroup/devices/devices.list')
        [ -n "$want" ] && check "v1 device allow list" "$want" "$got"
        want=$(measured "$DOCKER_PROBES" 'cgroup v1 values' | grep '^quota=')
        got=$(probe --cpus 0.5 --cpu-shares 512 -m 64m --memory-swap 128m --pids-limit 50 --cpuset-cpus 0 "$ROOTFS" sh -c 'cd /sys/fs/cgroup; echo quota=$(cat cpu/cpu.cfs_quota_us) period=$(cat cpu/cpu.cfs_period_us) shares=$(cat cpu/cpu.shares) mem=$(cat memory/memory.limit_in_bytes) memsw=$(cat memory/memory.memsw.limit_in_bytes 2>&1) pids=$(cat pids/pids.max) cpuset=$(cat cpuset/cpuset.cpus)')
        [ -n "$want" ] && check "v1 limits of --cpus --cpu-shares -m --memory-swap --pids-limit --cpuset-cpus" "$want" "$got"
        stat_file=cpu/cpu.stat
else
        got=$(probe --cpus 0.5 -m 64m --memory-swap 128m --pids-limit 50 "$ROOTFS" sh -c 'cd /sys/fs/cgroup; echo $(cat cpu.max) $(cat memory.max) $(cat memory.swap.max) $(cat pids.max)')
        check "v2 limits" "50000 100000 67108864 67108864 50" "$got"
        stat_file=cpu.stat
fi

# --cpus throttles: a busy loop for 0.5 s under --cpus 0.1 gets throttled periods
got=$(probe --cpus 0.1 "$ROOTFS" sh -c "(while :; do :; done) & p=\$!; sleep 0.5; kill \$p; grep -E '^nr_throttled' /sys/fs/cgroup/$stat_file" | awk '{print ($2 > 0) ? "throttled" : "not throttled"}')
check "--cpus 0.1 throttles a busy loop" throttled "$got"

# the container's cgroups are gone afterwards, in every hierarchy
run_dir=$(new_run_dir)
"$PROBE" --cgroup-parent "$CGP" --run-dir "$run_dir" --id cgcheck-$$ --keep "$ROOTFS" true
n=$(ls -d /sys/fs/cgroup/*/"$CGP"/cgcheck-$$ /sys/fs/cgroup/"$CGP"/cgcheck-$$ 2>/dev/null | wc -l)
[ "$n" -gt 0 ] && r=present || r=absent
check "cgroups exist while the container is kept" present "$r"
"$PROBE" --delete "$run_dir"
check "delete removes them from every hierarchy" 0 \
        "$(ls -d /sys/fs/cgroup/*/"$CGP"/cgcheck-$$ /sys/fs/cgroup/"$CGP"/cgcheck-$$ 2>/dev/null | wc -l)"
out=$(probe -m 1m "$ROOTFS" true 2>&1)
check_match "a memory limit under 6 MB is refused" "minimum memory limit allowed is 6MB" "$out"
finish
