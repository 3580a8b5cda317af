# The per-container monitor and the per-network DNS responder run from the small executable
# berth-monitor next to berth (engine/monitor.h), protected from writes (CVE-2019-5736): a
# read-only clone of its mount attached nowhere (readlink shows "/"), or where that is refused
# a sealed in-memory copy that a new monitor shares with the newest running one. They map no
# libarchive, libcurl, libyaml (nor what they drag: libxml2, ICU,
# libstdc++), and stay small: VmRSS under a generous 4 MiB (a functional bound, not a
# benchmark; sanitizer builds are exempt). A berth without berth-monitor beside it refuses
# to start a container with a clear error.
. "$(dirname "$0")/lib.sh"

MON_EXE=$(dirname "$BERTH")/berth-monitor
NET=bm$$
RSS_MAX=4096 # KiB
[ -x "$MON_EXE" ] || fail "no $MON_EXE next to $BERTH"
sanitized=no
grep -qa AddressSanitizer "$MON_EXE" && sanitized=yes

mon_cleanup() {
	rc=$?
	set +e
	if [ -d "$ROOT/containers" ]; then
		for id in $(b container ls -aq 2>/dev/null); do b container rm -f "$id" >/dev/null 2>&1; done
	fi
	[ -d "$ROOT/networks" ] && b network rm "$NET" >/dev/null 2>&1
	"${NFT:-/usr/sbin/nft}" delete table ip "berth_$(printf %s "$ROOT" | sha256sum | cut -c1-8)" 2>/dev/null
	(exit $rc)
	cleanup
}
trap mon_cleanup EXIT

# check_small WHAT PID SEALED: PID runs berth-monitor (protected when SEALED is yes: a
# monitor is the parent of container processes; the DNS responder is not), maps none
# of the big libraries, and its VmRSS is under RSS_MAX
check_small() {
	what=$1 pid=$2 sealed=$3
	[ -r "/proc/$pid/status" ] || fail "$what: no process $pid"
	argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)
	[ "$argv0" = berth-monitor ] || fail "$what: argv[0] is '$argv0'"
	case $sealed:$(readlink "/proc/$pid/exe") in
	yes:/memfd:* | yes:/) ;;
	no:"$MON_EXE") ;;
	*) fail "$what: runs from $(readlink "/proc/$pid/exe")" ;;
	esac
	cmp -s "/proc/$pid/exe" "$MON_EXE" || fail "$what: its executable is not $MON_EXE"
	cmp -s "/proc/$pid/exe" "$BERTH" && fail "$what: runs the full berth binary"
	if grep -E 'libarchive|libcurl|libyaml|libxml2|libicu|libstdc\+\+' "/proc/$pid/maps"; then
		fail "$what maps one of the big libraries"
	fi
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
	say "$what: VmRSS $rss KiB"
	if [ $sanitized = no ] && [ "$rss" -ge $RSS_MAX ]; then
		fail "$what: VmRSS $rss KiB, want < $RSS_MAX KiB"
	fi
}

make_busybox

say "a container's monitor"
b container run -d --name m --network none busybox sleep 1000 >/dev/null
remember_id m
pid=$(sed -n 's/.*"MonitorPid":\([0-9]*\).*/\1/p' "$ROOT"/containers/*/state.json | head -n 1)
[ -n "$pid" ] || fail "no MonitorPid in state.json"
check_small monitor "$pid" yes
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--root $ROOT container __monitor --detached " ||
	fail "monitor command line: $(tr '\0' ' ' <"/proc/$pid/cmdline")"

say "the next monitor runs the same file (one copy's memory, not one per monitor)"
b container run -d --name m2 --network none busybox sleep 1000 >/dev/null
remember_id m2
pid2=$(sed -n 's/.*"MonitorPid":\([0-9]*\).*/\1/p' "$ROOT"/containers/*/state.json | grep -v "^$pid\$" | head -n 1)
check_small "second monitor" "$pid2" yes
[ "$(stat -L -c %d:%i "/proc/$pid/exe")" = "$(stat -L -c %d:%i "/proc/$pid2/exe")" ] ||
	fail "the two monitors run from different files"
b container rm -f m2 >/dev/null
b container stop -t 1 m >/dev/null
[ "$(state_of m Status)" = exited ] || fail "stop through the monitor: $(state_of m Status)"

say "a --rm run: the monitor removes the container"
out=$(b container run --rm --network none busybox echo hi) || fail "run --rm"
[ "$out" = hi ] || fail "run --rm output: '$out'"
[ "$(b container ls -aq | wc -l)" = 1 ] || fail "run --rm left a container: $(b container ls -a)"

say "a network's DNS responder"
if command -v ip >/dev/null && b network create "$NET" >/dev/null 2>"$T/err"; then
	dpid=$(cat "$ROOT/run/networks/$NET/dns.pid")
	check_small "DNS responder" "$dpid" no
	b network rm "$NET" >/dev/null || fail "network rm"
else
	say "skipped: network create failed: $(cat "$T/err" 2>/dev/null)"
fi

say "no berth-monitor next to berth: a clear error"
mkdir -p "$T/bin"
cp "$BERTH" "$T/bin/berth"
set +e
"$T/bin/berth" --root "$ROOT" container run --network none busybox true >"$T/out" 2>"$T/err"
code=$?
set -e
[ $code = 125 ] || fail "exit code $code without berth-monitor, want 125"
grep -q "berth-monitor is missing: it must be installed next to berth, as $T/bin/berth-monitor" "$T/err" ||
	fail "error without berth-monitor: $(cat "$T/err")"
echo PASS
