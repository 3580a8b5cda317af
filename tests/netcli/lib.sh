# Sourced by the netcli tests: root checks, a private state root, and a cleanup trap that
# removes whatever the test's networks left (DNS responders by PID, bridges by name, the
# root's nftables table) plus the links and netns the test made itself.
# Usage: source lib.sh "$1" "$2" (the berth and net-probe binaries).
set -u
BERTH_BIN=$(readlink -f "${1:-}")
PROBE=$(readlink -f "${2:-}")
skip() { echo "skip: $*"; exit 77; }
[ -x "$BERTH_BIN" ] || skip "no berth binary given"
[ -x "$PROBE" ] || skip "no net-probe binary given"
[ "$(id -u)" = 0 ] || skip "needs root (creates bridges, nftables rules)"
command -v ip >/dev/null || skip "no ip(8)"
NFT=$(command -v nft || true)
[ -n "$NFT" ] || NFT=/usr/sbin/nft
[ -x "$NFT" ] || skip "no nft(8)"
ip netns add "bt-ncli-$$" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "bt-ncli-$$"

TAG=bn$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
WORK=$(mktemp -d /tmp/berth-netcli-XXXXXX)
ROOT=$WORK/root
TABLE=berth_$(printf %s "$ROOT" | sha256sum | cut -c1-8)
LINKS=()
NETNS=()
ROOTS=("$ROOT")
FWD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)

berth() { "$BERTH_BIN" --root "$ROOT" "$@"; }

# clean_root R: what a root's networks may have left behind
clean_root() {
  local r=$1 f id pid
  for f in "$r"/run/networks/*/dns.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--root $r __dns" \
      && kill "$pid" 2>/dev/null
  done
  for f in "$r"/networks/*.json; do
    [ -e "$f" ] || continue
    id=$(sed -n 's/.*"Id": "\([0-9a-f]*\)".*/\1/p' "$f")
    [ -n "$id" ] && ip link del "$("$PROBE" ifname berth- "$id")" 2>/dev/null
  done
  "$NFT" delete table ip "berth_$(printf %s "$r" | sha256sum | cut -c1-8)" 2>/dev/null
}

netcli_cleanup() {
  local r l n
  for r in "${ROOTS[@]}"; do clean_root "$r"; done
  for l in "${LINKS[@]}"; do ip link del "$l" 2>/dev/null; done
  for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
  echo "$FWD_BEFORE" > /proc/sys/net/ipv4/ip_forward
  rm -rf "$WORK"
}
trap netcli_cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
track_link() { LINKS+=("$1"); }
mk_netns() { ip netns add "$1" || fail "ip netns add $1"; NETNS+=("$1"); }
# expect_fail DESC CMD...: CMD must exit 1; its stderr is kept in $ERR
expect_fail() {
  local d=$1 rc; shift
  ERR=$("$@" 2>&1 >/dev/null); rc=$?
  [ $rc = 1 ] || fail "$d: exit $rc, want 1 ($ERR)"
}
# free_octet: R such that 10.R.0.0/16 is neither routed nor addressed on the host
free_octet() {
  local r
  for r in $(shuf -i 100-250 -n 40); do
    ip -4 route show table all | grep -q "^\(local \|broadcast \)\?10\.$r\." && continue
    ip -4 addr | grep -q "inet 10\.$r\." && continue
    echo "$r"; return 0
  done
  skip "no free 10.x.0.0/16 on this host"
}
# net_id NAME, bridge_of NAME, gateway_of NAME: from `network inspect`
net_id() { berth network inspect -f '{{.Id}}' "$1"; }
bridge_of() { "$PROBE" ifname berth- "$(net_id "$1")"; }
subnet_of() { berth network inspect "$1" | sed -n 's/.*"Subnet": "\(.*\)".*/\1/p'; }
gateway_of() { berth network inspect "$1" | sed -n 's/.*"Gateway": "\(.*\)".*/\1/p'; }
dns_pid_of() { cat "$ROOT/run/networks/$1/dns.pid" 2>/dev/null; }
