# volumes and mount/device flags: named volumes (auto-created, persistent, copy-up, nocopy),
# anonymous volumes (rm -v, --rm), rm of a volume in use, prune, inspect shapes, --mount
# bind|volume|tmpfs, read-only mounts, local driver options (tmpfs, bind device), --device
# (usable, and an unlisted device refused by the device cgroup), --group-add, --dns*.
. "$(dirname "$0")/lib.sh"
make_busybox

# seeded: busybox plus content at /seed and a group, for copy-up and --group-add
d="$T/seeded"
mkdir -p "$d/bin" "$d/etc" "$d/seed/sub" "$d/tmp"
cp "$(command -v busybox)" "$d/bin/busybox"
for c in sh ls cat echo true test id touch grep; do ln -s busybox "$d/bin/$c"; done
echo hello >"$d/seed/hello"
echo deep >"$d/seed/sub/deep"
chmod 0751 "$d/seed/sub"
echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
printf 'root:x:0:\naudio:x:29:\n' >"$d/etc/group"
tar -C "$d" --numeric-owner -cf "$T/seeded.tar" .
rm -rf "$d"
b image import "$T/seeded.tar" seeded >/dev/null

say "a named volume is created on first use, gets the image's content, and persists"
out=$(b container run --rm -v sv:/seed seeded sh -c 'cat /seed/hello /seed/sub/deep; echo new >/seed/new')
[ "$out" = "hello
deep" ] || fail "copy-up: '$out'"
b volume ls -q | grep -qx sv || fail "sv was not created"
out=$(b container run --rm -v sv:/seed seeded sh -c 'cat /seed/new; ls -ld /seed/sub')
echo "$out" | head -n 1 | grep -qx new || fail "the volume did not persist: '$out'"
echo "$out" | grep -q '^drwxr-x--x' || fail "copy-up lost the mode: '$out'"
out=$(b container run --rm -v sub:/seed/sub seeded ls -ld /seed/sub)
echo "$out" | grep -q '^drwxr-x--x' || fail "the volume root did not take the image dir's mode: '$out'"
out=$(b container run --rm -v nc:/seed:nocopy seeded ls -A /seed)
[ -z "$out" ] || fail "nocopy copied: '$out'"
out=$(b container run --rm --mount type=volume,source=nc2,target=/seed,volume-nocopy seeded ls -A /seed)
[ -z "$out" ] || fail "volume-nocopy copied: '$out'"

say "read-only volumes and binds are enforced"
out=$(b container run --rm -v sv:/seed:ro seeded sh -c 'cat /seed/hello; touch /seed/x 2>/dev/null || echo ro')
[ "$out" = "hello
ro" ] || fail "-v :ro: '$out'"
mkdir -p "$T/host"
echo fromhost >"$T/host/f"
out=$(b container run --rm --mount type=bind,source="$T/host",target=/h,readonly seeded sh -c 'cat /h/f; touch /h/y 2>/dev/null || echo ro')
[ "$out" = "fromhost
ro" ] || fail "--mount bind readonly: '$out'"
b container run --rm --mount type=bind,src="$T/host",dst=/h seeded sh -c 'echo w >/h/w'
[ "$(cat "$T/host/w")" = w ] || fail "--mount bind rw"
out=$(b container run --rm --mount type=volume,src=sv,dst=/v,ro seeded sh -c 'cat /v/new; touch /v/x 2>/dev/null || echo ro')
[ "$out" = "new
ro" ] || fail "--mount volume ro: '$out'"
b container run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700 seeded cat /proc/mounts >"$T/mounts"
grep -q ' /t tmpfs .*size=1024k.*mode=700' "$T/mounts" || fail "--mount tmpfs: $(grep ' /t ' "$T/mounts")"
expect_code 125 b container run --rm --mount type=bind,src=/no/such/dir,dst=/x seeded true
grep -q 'bind source path does not exist' "$T/err" || fail "missing bind source: $(cat "$T/err")"
expect_code 125 b container run --rm --mount type=tmpfs,src=x,dst=/x seeded true
expect_code 125 b container run --rm --mount type=bind,src="$T/host",dst=/x,bogus=1 seeded true
grep -q "unexpected key 'bogus'" "$T/err" || fail "unknown --mount key: $(cat "$T/err")"
expect_code 125 b container run --rm --mount type=nfs,dst=/x seeded true
expect_code 125 b container run --rm --mount type=volume,dst=/x,volume-driver=nfs seeded true
expect_code 125 b container run --rm --mount type=bind,src="$T/host",dst=/x,volume-nocopy seeded true
expect_code 125 b container run --rm -v 'a:/x' seeded true
grep -q 'invalid characters for a local volume name' "$T/err" || fail "bad name: $(cat "$T/err")"
expect_code 125 b container run --rm -v sv:/a -v sv:/a seeded true
grep -q 'Duplicate mount point: /a' "$T/err" || fail "duplicate: $(cat "$T/err")"
expect_code 125 b container run --rm -v sv:/ seeded true
[ -z "$(b container ls -aq)" ] || fail "failed runs left containers"

say "anonymous volumes: made for -v DST, removed by rm -v and by --rm"
b container run --name an -v /anon seeded true
anon=$(b volume ls -q -f label=com.docker.volume.anonymous)
[ "$(echo "$anon" | wc -l)" = 1 ] && echo "$anon" | grep -qE '^[0-9a-f]{64}$' || fail "anonymous volume: '$anon'"
b container inspect an >"$T/inspect"
grep -q "\"Name\": \"$anon\"" "$T/inspect" || fail "inspect Mounts lacks the anonymous volume"
grep -q '"Destination": "/anon"' "$T/inspect" || fail "inspect Mounts lacks /anon"
b container ls -a --format json | grep -q '"LocalVolumes":"1","Mounts":"[0-9a-f]\{14\}…"' ||
	fail "ls Mounts: $(b container ls -a --format json)"
b container rm -v an >/dev/null
[ -z "$(b volume ls -q -f label=com.docker.volume.anonymous)" ] || fail "rm -v left the anonymous volume"
b container run --rm -v /anon2 seeded true
[ -z "$(b volume ls -q -f label=com.docker.volume.anonymous)" ] || fail "--rm left the anonymous volume"

say "a volume in use (by a container in any state) is not removed"
b container create --name user -v used:/data seeded true >/dev/null
expect_code 1 b volume rm used
grep -q 'volume is in use - \[' "$T/err" || fail "in-use rm: $(cat "$T/err")"
expect_code 1 b volume rm -f used
b volume ls -q -f dangling=false | grep -qx used || fail "dangling=false should list 'used'"
b volume ls -q -f dangling=true | grep -qx used && fail "dangling=true should not list 'used'"
b container inspect user >"$T/inspect"
grep -q '"Type": "volume"' "$T/inspect" && grep -q '"Name": "used"' "$T/inspect" &&
	grep -q '"Destination": "/data"' "$T/inspect" && grep -q '"Driver": "local"' "$T/inspect" ||
	fail "inspect Mounts shape: $(sed -n '/"Mounts"/,/]/p' "$T/inspect")"
b container rm user >/dev/null
[ "$(b volume rm used)" = used ] || fail "rm of a volume no longer used"
expect_code 1 b volume rm used
grep -q 'no such volume' "$T/err" || fail "rm missing: $(cat "$T/err")"
expect_code 0 b volume rm -f used

say "volume create / inspect / ls shapes"
[ "$(b volume create --label a=b -o type=tmpfs -o o=size=2m tv)" = tv ] || fail "create tv"
[ "$(b volume create tv)" = tv ] || fail "create is idempotent"
b volume inspect tv >"$T/vi"
for k in '"CreatedAt": ' '"Driver": "local"' '"a": "b"' '"Mountpoint": ' '"Name": "tv"' '"o": "size=2m"' '"type": "tmpfs"' '"Scope": "local"'; do
	grep -q "$k" "$T/vi" || fail "inspect lacks $k: $(cat "$T/vi")"
done
head -n 1 "$T/vi" | grep -qx '\[' || fail "inspect is not an array"
b volume ls --format json | grep -q '"Name":"tv"' || fail "ls --format json"
b volume ls | head -n 1 | grep -q '^DRIVER *VOLUME NAME$' || fail "ls header: $(b volume ls | head -n 1)"
expect_code 1 b volume create x
expect_code 1 b volume create -o type=nfs -o device=:/x nfsvol
expect_code 1 b volume inspect nosuch
b container run --rm -v tv:/t seeded cat /proc/mounts >"$T/mounts"
grep -q ' /t tmpfs .*size=2048k' "$T/mounts" || fail "tmpfs volume: $(grep ' /t ' "$T/mounts")"
mkdir -p "$T/dev"
b volume create -o o=bind -o device="$T/dev" bv >/dev/null
b container run --rm -v bv:/b seeded sh -c 'echo via-volume >/b/f'
[ "$(cat "$T/dev/f")" = via-volume ] || fail "bind-device volume"

say "prune: without -a only anonymous volumes, with -a all unused ones"
b container create --name keepme -v kept:/k seeded true >/dev/null
b container create --name anon2 -v /x seeded true >/dev/null
b container rm anon2 >/dev/null
b volume prune -f >"$T/prune"
grep -q '^Deleted Volumes:' "$T/prune" || fail "prune output: $(cat "$T/prune")"
[ -z "$(b volume ls -q -f label=com.docker.volume.anonymous)" ] || fail "prune left anonymous volumes"
b volume ls -q | grep -qx tv || fail "prune without -a removed a named volume"
b volume prune -af >/dev/null
[ "$(b volume ls -q)" = kept ] || fail "prune -a: left $(b volume ls -q | tr '\n' ' ')"
b container rm keepme >/dev/null
b system df | grep -q '^Local Volumes *1 *0 ' || fail "system df: $(b system df)"
b system df -v | grep -q '^kept *0 ' || fail "system df -v: $(b system df -v)"

say "--device: the node is usable, an unlisted device is refused by the device cgroup"
out=$(b container run --rm --device /dev/null:/dev/mynull seeded sh -c 'echo x >/dev/mynull && ls -l /dev/mynull')
echo "$out" | grep -q '^crw.* 1, *3 .*/dev/mynull$' || fail "--device: '$out'"
out=$(b container run --rm seeded sh -c 'busybox mknod /tmp/mem c 1 1 && cat /tmp/mem 2>&1 >/dev/null || true')
echo "$out" | grep -q 'Operation not permitted' || fail "unlisted device: '$out'"
expect_code 125 b container run --rm --device /etc/passwd seeded true
expect_code 125 b container run --rm --device /dev/null:/dev/x:rwz seeded true

say "--group-add and --dns*"
out=$(b container run --rm --group-add audio --group-add 4321 seeded id)
echo "$out" | grep -q 'groups=0(root),29(audio),4321$' || fail "--group-add: '$out'"
b container run --rm --dns 192.0.2.53 --dns-search example.test --dns-option ndots:3 seeded cat /etc/resolv.conf >"$T/resolv"
grep -qx 'nameserver 192.0.2.53' "$T/resolv" && grep -qx 'search example.test' "$T/resolv" &&
	grep -qx 'options ndots:3' "$T/resolv" || fail "--dns: $(cat "$T/resolv")"
expect_code 125 b container run --rm --dns not-an-ip seeded true

say "--volumes-from: the volumes and binds of another container, as they were or :ro"
mkdir -p "$T/vfhost" && echo hostfile >"$T/vfhost/f"
b container create --name vfsrc -v vfdata:/data -v /anon -v "$T/vfhost:/h:ro" busybox true >/dev/null
remember_id vfsrc
out=$(b container run --rm --network none --volumes-from vfsrc busybox sh -c \
	'echo x >/data/x && echo y >/anon/y && cat /h/f && { echo z >/h/z || echo h-ro; }' 2>/dev/null)
[ "$out" = "hostfile
h-ro" ] || fail "--volumes-from: '$out'"
out=$(b container run --rm --network none --volumes-from vfsrc:ro busybox sh -c \
	'cat /data/x /anon/y; { echo q >/data/q || echo data-ro; }' 2>/dev/null)
[ "$out" = "x
y
data-ro" ] || fail "--volumes-from :ro: '$out'"
# a -v of ours to one of its destinations wins
[ "$(b container run --rm --network none --volumes-from vfsrc -v "$T/vfhost:/data" busybox cat /data/f)" = hostfile ] ||
	fail "-v over --volumes-from"
expect_code 125 b container run --rm --volumes-from vfsrc:xx busybox true
grep -q "the mode must be ro or rw" "$T/err" || fail "--volumes-from bad mode: $(cat "$T/err")"
b container rm -v vfsrc >/dev/null
b volume ls -q | grep -qx vfdata || fail "rm -v removed the named volume"
b volume rm vfdata >/dev/null

say "system prune removes a record and a volume dir a killed create left"
stale=$(printf '%064d' 7)
mkdir -p "$ROOT/containers/$stale/upper"
touch -d '2 minutes ago' "$ROOT/containers/$stale"
mkdir -p "$ROOT/volumes/halfmade/_data"
touch -d '2 minutes ago' "$ROOT/volumes/halfmade"
b system prune -f >"$T/sp"
[ ! -e "$ROOT/containers/$stale" ] || fail "system prune left the stale record"
[ ! -e "$ROOT/volumes/halfmade" ] || fail "system prune left a half-made volume"
grep -q "$stale" "$T/sp" || fail "system prune output: $(cat "$T/sp")"
echo "PASS"
