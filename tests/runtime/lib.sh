# Shared helpers of the runtime system tests (sourced). Usage in a test:
#   . "$(dirname "$0")/lib.sh" "$@"      # $1 = rt-probe, $2 = shared/conformance dir
#   make_rootfs; probe ROOTFS CMD...; check NAME EXPECTED ACTUAL; ...; finish
# Everything a test makes lives under $T, its containers use the cgroup parent $CGP, and the
# EXIT trap deletes them (by their run dirs), kills only the processes the test started
# (listed in $T/pids), removes $CGP from every hierarchy and then $T.
set -u

PROBE=${1:?usage: test.sh RT_PROBE [CONFORMANCE_DIR]}
CONF=${2:-}
MEASURED=${CONF:+$CONF/runtime/measured}
DOCKER_DEFAULTS=${MEASURED:+$MEASURED/docker-20.10-busybox-defaults.txt}
DOCKER_PROBES=${MEASURED:+$MEASURED/docker-20.10-busybox-security-probes.txt}
DOCKER_LIFECYCLE=${MEASURED:+$MEASURED/docker-20.10-busybox-lifecycle.txt}

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x /bin/busybox ] || skip "needs /bin/busybox (apt-get install busybox-static)"
[ -x "$PROBE" ] || skip "no rt-probe at $PROBE"
grep -q cgroup /proc/self/mountinfo || skip "no cgroup filesystem mounted"

T=$(mktemp -d /tmp/berth-rt.XXXXXX)
CGP=berth-test-$$-$RANDOM
mkdir -p "$T/run" "$T/cache"
chmod 700 "$T/cache"
pass=0
fail=0
seq_no=0

cleanup() {
        local d p
        if [ -f "$T/pids" ]; then
                while read -r p; do kill -9 "$p" 2>/dev/null; done <"$T/pids"
        fi
        for d in "$T"/run/*; do
                [ -d "$d" ] && "$PROBE" --delete "$d" >/dev/null 2>&1
        done
        for d in /sys/fs/cgroup/*/"$CGP" /sys/fs/cgroup/"$CGP"; do
                [ -d "$d" ] || continue
                find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
                rmdir "$d" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT

# check NAME EXPECTED ACTUAL
check() {
        if [ "$2" = "$3" ]; then
                pass=$((pass + 1))
        else
                fail=$((fail + 1))
                printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
        fi
}

# check_match NAME REGEX ACTUAL
check_match() {
        if printf '%s' "$3" | grep -Eq -- "$2"; then
                pass=$((pass + 1))
        else
                fail=$((fail + 1))
                printf 'FAIL %s\n  expected to match: %s\n  actual: %s\n' "$1" "$2" "$3"
        fi
}

finish() {
        echo "$pass passed, $fail failed"
        [ "$fail" -eq 0 ]
}

# measured FILE HEADER: the output docker gave for the section whose "### " line contains
# HEADER (fixed string), without the "### rc=" line.
measured() {
        [ -n "$1" ] && [ -f "$1" ] || return 1
        awk -v h="$2" '
                index($0, "### ") == 1 && found { exit }
                index($0, "### ") == 1 && index($0, h) { found = 1; next }
                found { print }' "$1"
}

# make_rootfs [DIR]: a busybox image like docker's busybox: /bin with the applets, /etc
# passwd and group (root; alice 1001 in staff), the usual empty dirs. Sets ROOTFS.
make_rootfs() {
        ROOTFS=${1:-$T/rootfs}
        mkdir -p "$ROOTFS"/bin "$ROOTFS"/etc "$ROOTFS"/root "$ROOTFS"/tmp "$ROOTFS"/mnt \
                "$ROOTFS"/home/alice "$ROOTFS"/usr "$ROOTFS"/var "$ROOTFS"/proc "$ROOTFS"/sys \
                "$ROOTFS"/dev
        chmod 1777 "$ROOTFS/tmp"
        cp /bin/busybox "$ROOTFS/bin/busybox"
        chroot "$ROOTFS" /bin/busybox --install -s /bin
        printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\n' \
                >"$ROOTFS/etc/passwd"
        printf 'root:x:0:\nstaff:x:50:alice\nalice:x:1001:\n' >"$ROOTFS/etc/group"
}

# add_probe_libs: the dynamic loader and libraries rt-probe needs, so that rt-probe itself
# can run inside the rootfs (the /proc/self/exe tests).
add_probe_libs() {
        local l
        for l in $(ldd "$PROBE" | grep -o '/[^ ]*'); do
                mkdir -p "$ROOTFS$(dirname "$l")"
                cp -L "$l" "$ROOTFS$l"
        done
}

# new_run_dir: a fresh run directory under $T/run (unique in subshells too).
new_run_dir() {
        seq_no=$((seq_no + 1))
        echo "$T/run/c$BASHPID-$seq_no-$RANDOM"
}

# probe [rt-probe options] ROOTFS CMD...: run a container (stdout and stderr are the
# container's, then rt-probe's messages); returns its exit code.
probe() {
        "$PROBE" --cgroup-parent "$CGP" --cache-dir "$T/cache" --run-dir "$(new_run_dir)" "$@"
}

# remember_pid PID: a process this test started, killed by the EXIT trap.
remember_pid() { echo "$1" >>"$T/pids"; }
