#!/usr/bin/env bash
# The process lifecycle: docker's exit codes (the command's own, 128+signal, 125/126/127),
# PID 1 semantics with and without --init (signal forwarding, zombie reaping), detached
# containers signalled and deleted through their run directory, and crash safety: the
# runtime killed with SIGKILL at random points never leaves a process, cgroup or mount that
# delete cannot clean.
. "$(dirname "$0")/lib.sh" "$@"
make_rootfs
mkdir -p "$ROOTFS/adir"

probe "$ROOTFS" sh -c 'exit 3'
check "the command's exit code" 3 "$?"
out=$(probe "$ROOTFS" nonexistent 2>&1)
check "command not found: 127" 127 "$?"
check_match "command not found message" 'exec: "nonexistent": executable file not found in \$PATH' "$out"
probe "$ROOTFS" /no/such/file 2>/dev/null
check "missing path: 127" 127 "$?"
probe "$ROOTFS" /etc/passwd 2>/dev/null
check "not executable: 126" 126 "$?"
probe "$ROOTFS" /adir 2>/dev/null
check "a directory: 126" 126 "$?"
probe "$T/no-rootfs" true 2>/dev/null
check "a missing rootfs: 125" 125 "$?"
out=$(probe -u 0 "$ROOTFS" sh -c 'kill -KILL $$; echo survived')
check "PID 1 cannot kill itself with SIGKILL from inside" "0 survived" "$? $out"
check "PID 1 ignores SIGTERM from inside without a handler" "$(measured "$DOCKER_LIFECYCLE" 'PID1 ignores SIGTERM' | head -n 1)" \
        "$(probe "$ROOTFS" sh -c 'kill -TERM 1; echo still-alive')"
# signals: rt-probe forwards SIGTERM; PID 1 dies of it only with a handler or under --init;
# killed by a signal, the container's code is 128+signal
probe_bg() { "$PROBE" --cgroup-parent "$CGP" --run-dir "$1" "${@:2}" & }
rd=$(new_run_dir)
probe_bg "$rd" "$ROOTFS" sleep 5
sleep 0.5
"$PROBE" --kill "$rd" 9
wait $!
check "PID 1 killed by SIGKILL: 137" 137 "$?"
probe_bg "$(new_run_dir)" "$ROOTFS" sh -c 'trap "exit 143" TERM; sleep 5 & wait'
p=$!
sleep 0.5
kill -TERM $p
wait $p
check "SIGTERM to a PID 1 with a handler" 143 "$?"
probe_bg "$(new_run_dir)" --init "$ROOTFS" sleep 5
p=$!
sleep 0.5
kill -TERM $p
wait $p
rc=$?
check "--init forwards SIGTERM: fast exit 143" "$(measured "$DOCKER_LIFECYCLE" 'SIGTERM forwarded by init' | sed 's/.*exit=//')" "$rc"

# zombies: an orphan of a PID 1 that never reaps stays a zombie; --init reaps it
zombies='(sleep 0.2 &); (sleep 0.8; ps -o stat,comm) & exec sleep 1.2'
got=$(probe "$ROOTFS" sh -c "$zombies" | grep -c '^Z')
check "without --init, an orphan of a non-reaping PID 1 is a zombie (as docker)" 1 "$got"
got=$(probe --init "$ROOTFS" sh -c "$zombies")
check "--init reaps orphans" "0 berth-init" "$(grep -c '^Z' <<<"$got") $(sed -n 2p <<<"$got" | awk '{print $2}')"

# detached: signal and delete through the run directory (under a reaper: the host's PID 1 may
# not reap what it inherits)
cat >"$T/detached.sh" <<'IN'
P=$1; CGP=$2; ROOTFS=$3; RD=$4
"$P" --cgroup-parent "$CGP" --run-dir "$RD" -d "$ROOTFS" sh -c 'sleep 30; true' </dev/null >"$RD.out" 2>"$RD.err"
pid=$(cat "$RD.out")
echo "pid-is-number=$(case $pid in ''|*[!0-9]*) echo no;; *) echo yes;; esac)"
"$P" --kill "$RD" 15; sleep 0.3
echo "alive-after-TERM=$([ -d /proc/$pid ] && grep -q '^State:.[RS]' /proc/$pid/status && echo yes || echo no)"
"$P" --kill "$RD" 9; sleep 0.3
echo "alive-after-KILL=$([ -d /proc/$pid ] && grep -q '^State:.[RS]' /proc/$pid/status && echo yes || echo no)"
"$P" --kill "$RD" 9 2>/dev/null; echo "kill-stopped-rc=$?"
"$P" --delete "$RD"; echo "delete-rc=$?"
"$P" --delete "$RD"; echo "delete-again-rc=$?"
echo "run-dir-left=$([ -e "$RD" ] && echo yes || echo no)"
IN
got=$("$PROBE" --reap bash "$T/detached.sh" "$PROBE" "$CGP" "$ROOTFS" "$T/run/detached")
check "detached: kill by run dir, delete, delete again" \
        "$(printf 'pid-is-number=yes\nalive-after-TERM=yes\nalive-after-KILL=no\nkill-stopped-rc=1\ndelete-rc=0\ndelete-again-rc=0\nrun-dir-left=no')" "$got"

# crash safety: kill -9 the runtime at random points, then delete must leave nothing
cat >"$T/crash.sh" <<'IN'
P=$1; CGP=$2; ROOTFS=$3; T=$4; N=$5; mark=$6
bad=0
for i in $(seq 1 "$N"); do
        rd=$T/run/crash$i
        "$P" --cgroup-parent "$CGP" --run-dir "$rd" --id "crash-$i-$mark" "$ROOTFS" sh -c 'sleep 30; true' "$mark" >/dev/null 2>&1 &
        p=$!
        sleep "0.00$((RANDOM % 10))$((RANDOM % 10))"
        kill -9 "$p"; wait "$p" 2>/dev/null
        "$P" --delete "$rd" || bad=$((bad + 1))
        left=$(ls -d /sys/fs/cgroup/*/"$CGP"/crash-$i-$mark /sys/fs/cgroup/"$CGP"/crash-$i-$mark "$rd" 2>/dev/null | wc -l)
        [ "$left" -eq 0 ] || { echo "iteration $i: left: $(ls -d /sys/fs/cgroup/*/"$CGP"/crash-$i-$mark "$rd" "$rd"/* 2>/dev/null)"; bad=$((bad + 1)); }
done
sleep 0.2
procs=0
for r in /proc/[0-9]*/root; do
        [ "$(readlink "$r" 2>/dev/null)" = "$ROOTFS" ] && procs=$((procs + 1))
done
echo "bad=$bad procs=$procs"
IN
mark=crashmark$$
got=$("$PROBE" --reap bash "$T/crash.sh" "$PROBE" "$CGP" "$ROOTFS" "$T" 25 "$mark")
check "kill -9 of the runtime at random points: delete leaves nothing" "bad=0 procs=0" "$got"
check "no mount left on the host" 0 "$(grep -c -e "$T" /proc/self/mountinfo)"
finish
