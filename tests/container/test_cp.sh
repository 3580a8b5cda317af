# container cp both ways (files, directories, "/." contents, -L, -a, tar on stdin/stdout),
# on running and stopped containers, and never outside the container: symlinks in it
# ("/x -> /", an absolute host path, "..") cannot make cp read host files or write to the host.
. "$(dirname "$0")/lib.sh"
make_busybox

mkdir -p "$T/secret" "$T/h/dir/sub"
echo host-secret >"$T/secret/s"
echo f >"$T/h/file"
echo g >"$T/h/dir/sub/g"
b container run -d --name c busybox sh -c "ln -s / /x; ln -s $T/secret /y; mkdir -p /d/sub; \
	echo A > /d/a; echo B > /d/sub/b; ln -s a /d/la; chown 1000:1000 /d/a; sleep 1000" >/dev/null
remember_id c
wait_for 5 b container exec c test -L /d/la || fail "setup"

say "from the container"
b container cp c:/d "$T/out1"
[ "$(cat "$T/out1/a") $(cat "$T/out1/sub/b")" = "A B" ] || fail "dir to a new path"
[ -L "$T/out1/la" ] || fail "symlinks are copied as symlinks"
[ "$(stat -c %u "$T/out1/a")" = 0 ] || fail "without -a the copy is the caller's"
b container cp c:/d "$T/out1"
[ -f "$T/out1/d/a" ] || fail "dir into an existing dir"
mkdir "$T/out2"
b container cp c:/d/. "$T/out2"
[ -f "$T/out2/a" ] && [ ! -e "$T/out2/d" ] || fail "/. copies the contents"
b container cp -L c:/d/la "$T/la"
[ -f "$T/la" ] && [ ! -L "$T/la" ] && [ "$(cat "$T/la")" = A ] || fail "-L"
b container exec c busybox chmod 751 /d/a
b container cp c:/d/a "$T/mode"
[ "$(stat -c %a "$T/mode")" = 751 ] || fail "mode kept: $(stat -c %a "$T/mode")"
b container cp -a c:/d/a "$T/owned"
[ "$(stat -c %u:%g "$T/owned")" = 1000:1000 ] || fail "-a keeps the owner"
[ "$(b container cp c:/d/sub - | tar -tf - | sort | tr '\n' ' ')" = "sub/ sub/b " ] || fail "tar to stdout"
expect_code 1 b container cp c:/nonexistent "$T/none"
grep -q 'could not find' "$T/err" || fail "missing source: $(cat "$T/err")"
expect_code 1 b container cp c:/d "$T/h/file"
grep -q 'directory to a file' "$T/err" || fail "dir onto a file: $(cat "$T/err")"

say "into the container"
b container cp "$T/h/dir" c:/new
[ "$(b container exec c cat /new/sub/g)" = g ] || fail "dir to a new path"
b container cp "$T/h/file" c:/d
[ "$(b container exec c cat /d/file)" = f ] || fail "file into a dir"
touch -d '2001-02-03 04:05:06' "$T/h/file"
b container cp "$T/h/file" c:/d/renamed
[ "$(b container exec c cat /d/renamed)" = f ] || fail "file to a new name"
[ "$(b container exec c busybox stat -c %u /d/renamed)" = 0 ] || fail "owned by root in the container"
[ "$(b container exec c busybox stat -c %Y /d/renamed)" = "$(stat -c %Y "$T/h/file")" ] || fail "mtime kept"
tar -C "$T/h" -cf - dir | b container cp - c:/tmp
[ "$(b container exec c cat /tmp/dir/sub/g)" = g ] || fail "tar from stdin"
expect_code 1 b container cp "$T/h/file" c:/nodir/x
expect_code 1 sh -c "tar -C '$T/h' -cf - dir | '$BERTH' --root '$ROOT' container cp - c:/d/a"

say "symlinks cannot lead out of the container"
b container cp c:/x/etc/hostname "$T/hn"
[ "$(cat "$T/hn")" = "$(b container exec c cat /etc/hostname)" ] || fail "/x/etc/hostname is the container's"
[ "$(cat "$T/hn")" != "$(cat /etc/hostname)" ] || fail "read the host's /etc/hostname"
expect_code 1 b container cp c:/y/s "$T/stolen"
[ ! -e "$T/stolen" ] || fail "read a host file through an absolute symlink"
b container cp c:/x/../../..$T/secret "$T/stolen2" 2>/dev/null || true
[ ! -e "$T/stolen2/s" ] || fail "read a host dir through .."
b container cp "$T/h/file" c:/x/etc/cp-escape
[ ! -e /etc/cp-escape ] || { rm -f /etc/cp-escape; fail "wrote to the host's /etc through /x"; }
[ "$(b container exec c cat /etc/cp-escape)" = f ] || fail "the write stays in the container"
b container cp "$T/h/file" c:/y/written 2>/dev/null || true
[ ! -e "$T/secret/written" ] || fail "wrote to the host through an absolute symlink"
mkdir -p "$T/evil"
ln -s / "$T/evil/l"
mkdir -p "$T/evil2/l/etc" && echo bad >"$T/evil2/l/etc/tar-escape"
{ tar -C "$T/evil" -cf "$T/evil.tar" l && tar -C "$T/evil2" -rf "$T/evil.tar" l/etc/tar-escape; }
b container cp - c:/tmp <"$T/evil.tar" 2>/dev/null || true
[ ! -e /etc/tar-escape ] || { rm -f /etc/tar-escape; fail "a tar wrote through its own symlink"; }

say "a stopped container, its volumes included"
mkdir -p "$T/vol" "$T/rovol"
echo in-volume >"$T/vol/v"
b container run -d --name vc -v "$T/vol:/data" -v "$T/rovol:/ro:ro" busybox sleep 1000 >/dev/null
remember_id vc
b container stop -t 0 vc >/dev/null
b container cp vc:/data/v "$T/fromvol"
[ "$(cat "$T/fromvol")" = in-volume ] || fail "from a stopped container's volume"
b container cp "$T/h/file" vc:/data/put
[ "$(cat "$T/vol/put")" = f ] || fail "into a stopped container's volume"
expect_code 1 b container cp "$T/h/file" vc:/ro/put
[ ! -e "$T/rovol/put" ] || fail "wrote into a read-only volume"
b container stop -t 0 c >/dev/null
b container cp c:/d/sub/b "$T/stopped"
[ "$(cat "$T/stopped")" = B ] || fail "from a stopped container"
b container cp "$T/h/file" c:/x/root/while-stopped
expect_code 1 b container cp c:/y/s "$T/stolen3"
[ -z "$(grep " $ROOT/" /proc/self/mountinfo)" ] || fail "a mount was left on the host"
b container start c >/dev/null
[ "$(b container exec c cat /root/while-stopped)" = f ] || fail "into a stopped container"
echo PASS
