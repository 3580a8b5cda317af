#!/usr/bin/env bash
# pivot_root into overlayfs: image layers as read-only lower dirs (top-most first), one
# read-write upper dir per container; writes and deletions land in the upper dir and the
# layers stay untouched; users resolve from the top-most layer that has /etc/passwd.
. "$(dirname "$0")/lib.sh" "$@"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems || skip "no overlay filesystem"
make_rootfs "$T/base"
mkdir -p "$T/top/etc" "$T/upper" "$T/work" "$T/upper2" "$T/work2"
echo "from the top layer" >"$T/top/etc/motd"
printf 'root:x:0:0:root:/root:/bin/sh\nbob:x:2002:2002::/home/bob:/bin/sh\n' >"$T/top/etc/passwd"
mknod "$T/top/etc/group" c 0 0 # a whiteout: the base layer's /etc/group is deleted
layers=(--lower "$T/top" --lower "$T/base")
sum_layers() { (cd "$T" && find base top -exec stat -c '%n %s %Y' {} + | sort | sha256sum); }
before=$(sum_layers)

got=$(probe "${layers[@]}" --upper "$T/upper" --work "$T/work" sh -c 'awk "\$5 == \"/\" {print \$9}" /proc/self/mountinfo; cat /etc/motd; echo new >/etc/new; rm /bin/vi; ls /etc/group 2>&1; id -u bob')
check "root is overlay; layers merged; whiteout honoured; users from the top layer" \
        "$(printf 'overlay\nfrom the top layer\nls: /etc/group: No such file or directory\n2002')" "$got"
check "writes land in the upper dir" "new" "$(cat "$T/upper/etc/new" 2>/dev/null)"
check "deletions are whiteouts in the upper dir" "character special file 0 0" \
        "$(stat -c '%F %t %T' "$T/upper/bin/vi" 2>/dev/null)"
check "the layers are untouched" "$before" "$(sum_layers)"
got=$(probe -u bob "${layers[@]}" --upper "$T/upper2" --work "$T/work2" sh -c 'id; echo HOME=$HOME')
check "-u resolves against the layers (group file whited out)" \
        "$(printf 'uid=2002(bob) gid=2002 groups=2002\nHOME=/home/bob')" "$got"
got=$(probe --read-only "${layers[@]}" --upper "$T/upper2" --work "$T/work2" sh -c 'touch /x 2>/dev/null; echo rc=$?; cat /etc/new 2>&1')
check "--read-only overlay; another container's upper does not leak in" \
        "$(printf 'rc=1\ncat: can'"'"'t open '"'"'/etc/new'"'"': No such file or directory')" "$got"
check "no overlay is mounted on the host" 0 "$(grep -c -e "$T" /proc/self/mountinfo)"
out=$(probe --lower "$T/base" "$ROOTFS" true 2>&1)
check_match "layers without upper/work are refused" "need lower, upper and work" "$out"
finish
