#!/usr/bin/env bash
# Privileges against docker 20.10's measured values: capability sets with --cap-add,
# --cap-drop and non-root users, seccomp (default profile evaluated for the capabilities,
# custom profiles, unconfined), no-new-privileges, --privileged, and user/group resolution
# from the image's /etc/passwd and /etc/group.
. "$(dirname "$0")/lib.sh" "$@"
make_rootfs
S=${CONF:+$CONF/runtime}
caps() { probe "$@" "$ROOTFS" grep -E '^Cap(Eff|Bnd):' /proc/self/status; }

check "cap-drop ALL" "$(measured "$DOCKER_LIFECYCLE" 'cap-drop ALL')" "$(caps --cap-drop ALL)"
check "cap-add SYS_ADMIN" "$(measured "$DOCKER_LIFECYCLE" 'cap-add SYS_ADMIN')" "$(caps --cap-add SYS_ADMIN)"
check "cap-add/drop by any spelling" "$(printf 'CapEff:\t00000000a80425fa\nCapBnd:\t00000000a80425fa')" \
        "$(caps --cap-drop chown --cap-add cap_kill)"
check "cap-drop ALL --cap-add NET_RAW" "$(printf 'CapEff:\t0000000000002000\nCapBnd:\t0000000000002000')" \
        "$(caps --cap-drop ALL --cap-add NET_RAW)"
out=$(probe --cap-add NOT_A_CAP "$ROOTFS" true 2>&1)
check_match "unknown capability refused" 'unknown capability: "NOT_A_CAP"' "$out"
want=$(measured "$DOCKER_LIFECYCLE" 'non-root user: --user 1000:1000' | head -n 6)
got=$(probe -u 1000:1000 "$ROOTFS" sh -c 'id; grep -E "^Cap" /proc/self/status')
check "non-root user: no effective or permitted caps, docker's bounding set" "$want" "$got"
got=$(probe --privileged "$ROOTFS" sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev | wc -l')
check_match "--privileged: every capability, no seccomp, host devices" \
        "^CapEff: [0-9a-f]{16} Seccomp: 0 [0-9]+ ?$" "$(tr '\n' ' ' <<<"$got" | tr '\t' ' ')"
[ "$(tail -n 1 <<<"$got")" -gt 16 ] && r=more || r=fewer
check "--privileged has more /dev nodes than the default 16" more "$r"

# seccomp
check "seccomp=unconfined" "$(measured "$DOCKER_LIFECYCLE" 'seccomp=unconfined')" \
        "$(probe --security-opt seccomp=unconfined "$ROOTFS" grep Seccomp /proc/self/status)"
got=$(probe "$ROOTFS" sh -c 'unshare -U true 2>/dev/null; echo U=$?; unshare -m true 2>/dev/null; echo M=$?; mount -t tmpfs t /mnt 2>/dev/null; echo mount=$?')
check "default profile: unshare and mount denied" "$(printf 'U=1\nM=1\nmount=1')" "$got"
want=$(measured "$DOCKER_PROBES" 'lifts the seccomp includes.caps gates')
got=$(probe --cap-add SYS_ADMIN "$ROOTFS" sh -c 'unshare -m true; echo unshare_m=$?; mount -t tmpfs t /mnt; echo mount=$?; unshare -U true; echo unshare_U=$?')
check "--cap-add SYS_ADMIN lifts the includes.caps gates" "${want:-$(printf 'unshare_m=0\nmount=0\nunshare_U=0')}" "$got"
if [ -n "$S" ] && [ -f "$S/seccomp-test-chown-eperm.json" ]; then
        got=$(probe --security-opt seccomp="$S/seccomp-test-chown-eperm.json" "$ROOTFS" chown 42 /bin/true 2>&1; echo "chown rc=$?")
        check "custom profile: chown EPERM" "$(printf 'chown: /bin/true: Operation not permitted\nchown rc=1')" "$got"
        got=$(probe --security-opt seccomp="$S/seccomp-test-mkdir-enosys.json" "$ROOTFS" mkdir /x 2>&1; echo "mkdir rc=$?")
        check "custom profile: errnoRet ENOSYS" "$(printf "mkdir: can't create directory '/x': Function not implemented\nmkdir rc=1")" "$got"
        got=$(probe --security-opt seccomp="$S/docker-default-seccomp.json" "$ROOTFS" sh -c 'grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null; echo unshare_rc=$?')
        check "the default profile given as a file" "$(printf 'Seccomp:\t2\nunshare_rc=1')" "$got"
fi
echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [' >"$T/bad.json"
out=$(probe --security-opt seccomp="$T/bad.json" "$ROOTFS" true 2>&1)
check "a broken profile is an error (125)" "125" "$?"
check_match "broken profile message names it" "seccomp profile $T/bad.json" "$out"
got=$(probe "$ROOTFS" sh -c 'grep -c "Seccomp_filters:.1" /proc/self/status; reboot -f 2>/dev/null; echo reboot=$?')
check "one filter; reboot denied" "$(printf '1\nreboot=1')" "$got"

# no-new-privileges
check "no-new-privileges" "$(measured "$DOCKER_LIFECYCLE" '### no-new-privileges')" \
        "$(probe --security-opt no-new-privileges "$ROOTFS" grep NoNewPrivs /proc/self/status)"
got=$(probe -u 1000 --security-opt no-new-privileges "$ROOTFS" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status)
check "no-new-privileges + non-root keeps seccomp" "$(printf 'NoNewPrivs:\t1\nSeccomp:\t2')" "$got"

# users and groups
check "-u 1000 without a passwd entry" "$(printf 'uid=1000 gid=0(root) groups=0(root)\nHOME=/')" \
        "$(probe -u 1000 "$ROOTFS" sh -c 'id; echo HOME=$HOME')"
check "-u NAME: gid, member groups, HOME from the image" \
        "$(printf 'uid=1001(alice) gid=1001(alice) groups=50(staff),1001(alice)\nHOME=/home/alice')" \
        "$(probe -u alice "$ROOTFS" sh -c 'id; echo HOME=$HOME')"
check "-u NAME:GROUP" "uid=1001(alice) gid=50(staff) groups=50(staff)" "$(probe -u alice:staff "$ROOTFS" id)"
check "--group-add" "$(measured "$DOCKER_LIFECYCLE" '### --group-add')" \
        "$(probe -u 1000 --group-add 10 --group-add 20 "$ROOTFS" id)"
check "--group-add by name" "uid=1001(alice) gid=1001(alice) groups=50(staff),1001(alice)" \
        "$(probe -u 1001 --group-add staff "$ROOTFS" id)"
out=$(probe -u nobody "$ROOTFS" id 2>&1)
check "unknown user name: 125" "125" "$?"
check_match "unknown user name message (docker's wording)" \
        "unable to find user nobody: no matching entries in passwd file" "$out"
out=$(probe -u 0:nogroup "$ROOTFS" id 2>&1)
check_match "unknown group name" "unable to find group nogroup" "$out"
got=$(probe -u 1000 "$ROOTFS" sh -c 'touch /x 2>&1; cat /proc/1/environ >/dev/null 2>&1; echo own=$?')
check "non-root cannot write / (no DAC override)" "$(printf 'touch: /x: Permission denied\nown=0')" "$got"
finish
