#!/usr/bin/env bash
# Network benchmarks of net/ (run as root): what attaching a network adds to a container
# start, name lookup latency from a container, and published-port throughput over
# 127.0.0.1 (nftables DNAT, as berth publishes; a splice(2) userland proxy for comparison)
# and direct to the container's address, next to docker's figure on this machine.
# Everything runs in namespaces, a bridge and an nftables table of the bench's own, all
# removed on exit; traffic stays on 127.0.0.1 and inside those namespaces.
# Usage: sudo bash bench/net.sh [BUILD_DIR]   (default: build)
#   RUNS=5 (throughput runs), MIB=2000 (MiB per run), NS=50 (namespaces for the attach time)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
P=$(readlink -f "$build/tests/netsys/net-probe" 2>/dev/null || true)
[ -x "$P" ] || { echo "no net-probe in $build/tests/netsys (build first)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/net.sh needs root"; exit 1; }
runs=${RUNS:-5}; mib=${MIB:-2000}; nns=${NS:-50}
DOCKER_MIBS=1240 # docker-proxy, 127.0.0.1 published port, measured on this machine (issue 6)

TAG=bn$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
WORK=$(mktemp -d /tmp/berth-bench-net-XXXXXX)
BR=${TAG}b
PIDS=()
FWD=$(cat /proc/sys/net/ipv4/ip_forward)
cleanup() {
  local p n
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  nft delete table ip "$TAG" 2>/dev/null || true
  "$P" bridge-down "$BR" 2>/dev/null || true
  for n in $(ip netns list | awk '{print $1}' | grep "^$TAG" || true); do ip netns del "$n"; done
  echo "$FWD" > /proc/sys/net/ipv4/ip_forward
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_file() { for _ in $(seq 1 100); do [ -e "$1" ] && return 0; sleep 0.05; done; exit 1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { sort -n | tail -1; }

R=
for r in $(shuf -i 100-250 -n 40); do
  ip -4 route show table all | grep -q "10\.$r\." && continue
  R=$r; break
done
[ -n "$R" ] || { echo "no free 10.x.0.0/16 on this host"; exit 1; }
G=10.$R.0.1

# 1. attach: veth pair with the peer born in the netns, address, route, links up
"$P" bridge-up "$BR" $G/16
for i in $(seq 1 "$nns"); do ip netns add ${TAG}n$i; done
attach=$("$P" bench-attach "$BR" $G/16 $(for i in $(seq 1 "$nns"); do echo /run/netns/${TAG}n$i; done))
C=10.$R.0.2 # the first namespace's address
"$P" nat-net "$WORK/nat" "$TAG" bench "$BR" 10.$R.0.0/16 $G

# 2. names: the responder on the gateway, queried from a container
"$P" fake-upstream 127.0.0.1:25353 198.51.100.7 --ready "$WORK/up" & PIDS+=($!)
"$P" dns-serve $G:53 --name web=$C --name db=10.$R.0.3 --upstream 127.0.0.1:25353 \
  --ready "$WORK/dns" & PIDS+=($!)
wait_file "$WORK/up"; wait_file "$WORK/dns"
local_q=$(ip netns exec ${TAG}n2 "$P" dns-query $G:53 web --count 2000 | head -1)
fwd_q=$(ip netns exec ${TAG}n2 "$P" dns-query $G:53 example.org --count 2000 | head -1)

# 3. throughput: a sink in the container, published on 127.0.0.1
ip netns exec ${TAG}n1 "$P" sink-serve 0.0.0.0:80 --ready "$WORK/sink" & PIDS+=($!)
wait_file "$WORK/sink"
"$P" nat-ports "$WORK/nat" "$TAG" c1 $C 127.0.0.1:25380:80 >/dev/null
"$P" splice-proxy 127.0.0.1:25381 $C:80 --ready "$WORK/proxy" & PIDS+=($!)
wait_file "$WORK/proxy"
xfer() { "$P" xfer "$1" "$mib" | sed 's/xfer_mib_s=\([0-9]*\).*/\1/'; }
declare -A res
for what in dnat:127.0.0.1:25380 proxy:127.0.0.1:25381 direct:$C:80; do
  name=${what%%:*}; addr=${what#*:}
  res[$name]=$(for i in $(seq 1 "$runs"); do xfer "$addr"; done | tr '\n' ' ')
done

docker_note="docker daemon not running: quoted figure"
if docker info >/dev/null 2>&1; then
  docker_note="docker present: compare with its -p 127.0.0.1:PORT:80 on the same sink"
fi

echo "berth network bench ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "  network setup per container: $attach  (target <= 5 ms)"
echo "  name lookup, local name:     $local_q  (target < 1000 us)"
echo "  name lookup, forwarded:      $fwd_q"
for name in dnat proxy direct; do
  printf '  %-27s median %5s MiB/s, best %5s MiB/s  (runs: %s)\n' \
    "$(case $name in dnat) echo "127.0.0.1 published (DNAT):";;
       proxy) echo "127.0.0.1 splice proxy:";; direct) echo "direct to container:";; esac)" \
    "$(echo ${res[$name]} | tr ' ' '\n' | median)" "$(echo ${res[$name]} | tr ' ' '\n' | best)" \
    "${res[$name]}"
done
echo "  docker-proxy 127.0.0.1:          ${DOCKER_MIBS} MiB/s ($docker_note); goal >= $((2 * DOCKER_MIBS))"
