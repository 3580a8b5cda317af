#!/usr/bin/env bash
# The process a container gets by default, against docker 20.10's measured values: identity
# and capability lines of /proc/self/status, the environment, umask, cwd, HOME, hostname =
# first 12 characters of the id, /etc/hostname, /etc/hosts, /etc/resolv.conf, namespaces,
# network none/host, ulimits and sysctls.
. "$(dirname "$0")/lib.sh" "$@"
make_rootfs
ID=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

# status lines: Uid Gid Groups Cap* NoNewPrivs Seccomp Seccomp_filters
want=$(measured "$DOCKER_DEFAULTS" 'grep -E "^(Cap|Seccomp|NoNewPrivs|Uid|Gid|Groups)"')
[ -n "$want" ] || want=$(printf 'Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t0 \nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1')
got=$(probe "$ROOTFS" grep -E '^(Cap|Seccomp|NoNewPrivs|Uid|Gid|Groups)' /proc/self/status)
check "status lines (caps, seccomp mode 2, no_new_privs 0, uid/gid/groups)" "$want" "$got"

# environment: PATH, HOSTNAME, HOME in docker's order, HOSTNAME = first 12 of the id
want=$(measured "$DOCKER_DEFAULTS" 'busybox:local env' | sed "s/^HOSTNAME=.*/HOSTNAME=${ID:0:12}/")
got=$(probe --id "$ID" "$ROOTFS" env)
check "environment" "$want" "$got"

want=$(measured "$DOCKER_DEFAULTS" 'umask; pwd; echo HOME=$HOME')
got=$(probe "$ROOTFS" sh -c 'umask; pwd; echo HOME=$HOME')
check "umask, cwd, HOME" "$want" "$got"

got=$(probe --id "$ID" "$ROOTFS" sh -c 'hostname; cat /etc/hostname')
check "hostname and /etc/hostname = first 12 of the id" "$(printf '%s\n%s' "${ID:0:12}" "${ID:0:12}")" "$got"

want=$(measured "$DOCKER_PROBES" '### --network none' | tail -n 6)
got=$(probe "$ROOTFS" cat /etc/hosts)
check "/etc/hosts (network none)" "$want" "$got"
got=$(probe --id "$ID" --ip 172.17.0.3 --add-host db:10.0.0.5 "$ROOTFS" tail -n 2 /etc/hosts)
check "/etc/hosts records: --add-host, then the container's own" \
        "$(printf '10.0.0.5\tdb\n172.17.0.3\t%s' "${ID:0:12}")" "$got"
got=$(probe -h myhost --ip 172.17.0.2 "$ROOTFS" sh -c 'hostname; cat /etc/hostname; grep myhost /etc/hosts')
check "--hostname" "$(measured "$DOCKER_LIFECYCLE" 'hostname flag')" "$got"

want=$(grep -v -E '^nameserver (127\.|::1)' /etc/resolv.conf 2>/dev/null)
grep -q '^nameserver' <<<"$want" || want=$(printf '%s\nnameserver 8.8.8.8\nnameserver 8.8.4.4' "$want" | sed '/^$/d')
got=$(probe "$ROOTFS" cat /etc/resolv.conf)
check "/etc/resolv.conf = the host's without loopback nameservers" "$want" "$got"
got=$(probe --dns 192.0.2.1 --dns-search example.org --dns-option ndots:2 "$ROOTFS" cat /etc/resolv.conf)
check "/etc/resolv.conf from --dns flags" \
        "$(printf 'search example.org\nnameserver 192.0.2.1\noptions ndots:2')" "$got"

# namespaces: new mnt pid uts ipc net; the host's user and (hybrid/v1: docker's default)
# cgroup namespaces
got=$(probe "$ROOTFS" sh -c 'for n in mnt pid uts ipc net user cgroup; do echo $n $(readlink /proc/1/ns/$n); done')
for n in mnt pid uts ipc net; do
        c=$(awk -v n=$n '$1 == n {print $2}' <<<"$got")
        [ -n "$c" ] && [ "$c" != "$(readlink /proc/self/ns/$n)" ] && r=new || r="same ($c)"
        check "namespace $n is new" new "$r"
done
c=$(awk '$1 == "user" {print $2}' <<<"$got")
check "user namespace is the host's" "$(readlink /proc/self/ns/user)" "$c"
c=$(awk '$1 == "cgroup" {print $2}' <<<"$got")
if grep -q ' - cgroup ' /proc/self/mountinfo; then
        check "cgroup namespace is the host's on a v1/hybrid host (like docker)" \
                "$(readlink /proc/self/ns/cgroup)" "$c"
else
        [ "$c" != "$(readlink /proc/self/ns/cgroup)" ] && r=new || r=same
        check "cgroup namespace is new on a v2 host" new "$r"
fi
check "pid 1 is the command" "1" "$(probe "$ROOTFS" sh -c 'echo $$')"

# network none: only lo, up with 127.0.0.1; host: the host's interfaces and hostname
got=$(probe "$ROOTFS" sh -c 'ls /sys/class/net; ip -o -4 addr show lo | awk "{print \$4}"; ip link show lo | grep -c "UP"')
check "network none: only lo, up" "$(printf 'lo\n127.0.0.1/8\n1')" "$got"
got=$(probe --network host "$ROOTFS" sh -c 'readlink /proc/self/ns/net; hostname')
check "network host: the host's namespace and hostname" \
        "$(printf '%s\n%s' "$(readlink /proc/self/ns/net)" "$(hostname)")" "$got"

# network namespace path (the hook for networking): the container joins it
if command -v unshare >/dev/null; then
        unshare -n sleep 30 &
        np=$!
        remember_pid $np
        sleep 0.2
        got=$(probe --network /proc/$np/ns/net "$ROOTFS" readlink /proc/self/ns/net)
        check "--network PATH joins that namespace" "$(readlink /proc/$np/ns/net)" "$got"
        kill $np
        wait $np 2>/dev/null
fi

# ulimits and sysctls
got=$(probe --ulimit nofile=512:1024 "$ROOTFS" sh -c 'ulimit -Sn; ulimit -Hn')
check "--ulimit nofile" "$(measured "$DOCKER_LIFECYCLE" 'ulimit nofile')" "$got"
check "limits are inherited otherwise" "$(ulimit -Hn)" "$(probe "$ROOTFS" sh -c 'ulimit -Hn')"
host_range=$(cat /proc/sys/net/ipv4/ip_local_port_range)
got=$(probe --sysctl net.ipv4.ip_local_port_range="1024 2048" "$ROOTFS" cat /proc/sys/net/ipv4/ip_local_port_range)
check "--sysctl net.* applied in the container's netns" "$(printf '1024\t2048')" "$got"
check "the host's value is untouched" "$host_range" "$(cat /proc/sys/net/ipv4/ip_local_port_range)"
out=$(probe --sysctl kernel.panic=1 "$ROOTFS" true 2>&1)
check "--sysctl kernel.panic refused (exit 125)" "125" "$?"
check_match "--sysctl kernel.panic message" "sysctl 'kernel.panic=1' is not allowed" "$out"
out=$(probe --network host --sysctl net.ipv4.ip_forward=1 "$ROOTFS" true 2>&1)
check_match "--sysctl net.* refused with the host's network" "not allowed in host network namespace" "$out"
finish
