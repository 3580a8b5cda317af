# Sourced by the netsys tests: root checks, unique names, and a cleanup trap that removes
# everything the test made (processes by PID, links, netns, its nftables table, its files)
# on any exit. Usage in a test: source lib.sh "$1" (the net-probe binary).
set -u
PROBE=$(readlink -f "${1:-}")
skip() { echo "skip: $*"; exit 77; }
[ -x "$PROBE" ] || skip "no net-probe binary given"
[ "$(id -u)" = 0 ] || skip "needs root (creates netns, bridges, nftables rules)"
command -v ip >/dev/null || skip "no ip(8)"
NFT=$(command -v nft || true)
[ -n "$NFT" ] || NFT=/usr/sbin/nft
[ -x "$NFT" ] || skip "no nft(8)"
ip netns add "bt-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "bt-probe-$$"

TAG=bt$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')  # 8 characters: names stay <= 15
TABLE=$TAG
WORK=$(mktemp -d /tmp/berth-netsys-XXXXXX)
NAT=$WORK/nat
IPAM=$WORK/ipam
PIDS=()
NETNS=()
LINKS=()
FWD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)

netsys_cleanup() {
  local p n l
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  # anything still running inside the test's own namespaces was started by the test
  for n in "${NETNS[@]}"; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null; done
  done
  "$NFT" delete table ip "$TABLE" 2>/dev/null
  for l in "${LINKS[@]}"; do ip link del "$l" 2>/dev/null; done
  for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
  # berth turns forwarding on and never off (see net/nat.c); the test restores the host
  echo "$FWD_BEFORE" > /proc/sys/net/ipv4/ip_forward
  rm -rf "$WORK"
}
trap netsys_cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# mk_netns NAME: a netns removed on exit, with lo up
mk_netns() {
  ip netns add "$1" || fail "ip netns add $1"
  NETNS+=("$1")
}
# track_link NAME: delete NAME on exit (if it still exists)
track_link() { LINKS+=("$1"); }
# bg CMD...: start CMD in the background and remember its PID
bg() { "$@" & PIDS+=($!); }
# wait_file FILE: wait (5 s at most) for a server's ready file
wait_file() {
  local i
  for i in $(seq 1 100); do [ -e "$1" ] && return 0; sleep 0.05; done
  fail "server did not become ready ($1)"
}
# free_octet: a second octet R such that 10.R.0.0/16 is not routed on the host
free_octet() {
  local r
  for r in $(shuf -i 100-250 -n 40); do
    ip -4 route show table all | grep -q "^\(local \|broadcast \)\?10\.$r\." && continue
    ip -4 addr | grep -q "inet 10\.$r\." && continue
    echo "$r"; return 0
  done
  skip "no free 10.x.0.0/16 on this host"
}
# expect_fail DESC CMD...: CMD must fail; its stderr is kept in $ERR
expect_fail() {
  local d=$1; shift
  if ERR=$("$@" 2>&1 >/dev/null); then fail "$d: succeeded"; fi
}
# free_port: a TCP/UDP port nothing listens on
free_port() {
  local p
  while :; do
    p=$(shuf -i 20000-29999 -n 1)
    ss -Htuln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
}
