# COPY flags: --chmod symbolic modes (as BuildKit), --chown numeric / name:group / name and a
# missing user, --link (a layer of only the copied files, blind to the base's symlinks),
# WORKDIR owned by USER, the classic builder's COPY history text ("file:<tarsum>"), and
# `image build` printing nothing on stdout without -q (only the ID with -q).
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C/d"
printf 'one\n' >"$C/f.txt"
printf 'inner\n' >"$C/d/inner.txt"
chmod 644 "$C/f.txt"
chmod 700 "$C/d"
chmod 600 "$C/d/inner.txt"
cat >"$C/Dockerfile" <<'EOF'
FROM busybox
RUN mkdir -p /base && ln -s /base /app && echo base > /base/keep.txt
USER app
WORKDIR /home/app/work
USER root
COPY --chmod=u+x,go-w f.txt /m/ux.txt
COPY --chmod=a+rX d /m/d/
COPY --chown=1234:5678 f.txt /o/num.txt
COPY --chown=app:appg f.txt /o/named.txt
COPY --chown=app f.txt /o/user.txt
COPY --link --chown=app f.txt /app/linked.txt
EOF

say "build"
id=$(build "$C") || fail "build: $(cat "$T/build.out")"
b container run --rm "$id" sh -c 'stat -c "%a %u:%g %n" /m/ux.txt /m/d /m/d/inner.txt \
	/o/num.txt /o/named.txt /o/user.txt /home/app /home/app/work /app /app/linked.txt;
	test -L /app && echo "app is a symlink"; ls /base' >"$T/got" 2>&1 || fail "run: $(cat "$T/got")"
cat >"$T/want" <<'EOF'
744 0:0 /m/ux.txt
755 0:0 /m/d
644 0:0 /m/d/inner.txt
644 1234:5678 /o/num.txt
644 1000:2000 /o/named.txt
644 1000:1000 /o/user.txt
755 1000:1000 /home/app
755 1000:1000 /home/app/work
755 0:0 /app
644 1000:1000 /app/linked.txt
keep.txt
EOF
diff -u "$T/want" "$T/got" || fail "modes, owners or the --link result differ"

say "the --link layer holds only the copied file and its root-owned parent"
rm -rf "$T/save" && mkdir -p "$T/save"
b image save "$id" | tar -C "$T/save" -xf -
found=""
for l in $(find "$T/save" -type f); do
	if tar -tf "$l" 2>/dev/null | grep -q 'app/linked.txt$'; then
		found=$(tar -tf "$l" | sed 's|^\./||; /^$/d' | sort | tr '\n' ' ')
	fi
done
[ "$found" = "app/ app/linked.txt " ] || fail "the --link layer holds: '$found'"

say "COPY history as docker's classic builder writes it"
h=$(printf 'namef.txtmode420uid0gid0size4typeflag0linknameunamegnamedevmajor0devminor0one\n' |
	sha256sum | cut -d' ' -f1)
b image history --no-trunc --format '{{.CreatedBy}}' "$id" >"$T/hist"
grep -qxF "/bin/sh -c #(nop) COPY --chown=1234:5678file:$h in /o/num.txt " "$T/hist" ||
	fail "no docker-style COPY history line for file:$h: $(cat "$T/hist")"

say "-q prints only the image ID"
out=$(b image build -q "$C" 2>/dev/null) || fail "build -q"
echo "$out" | grep -qxE 'sha256:[0-9a-f]{64}' || fail "build -q printed: $out"

say "refused: bad --chmod, a missing --chown user, a WORKDIR for a missing USER"
expect_refused() { # DOCKERFILE-LINE MESSAGE
	printf 'FROM busybox\n%s\n' "$1" >"$C/Dockerfile"
	if b image build --progress plain "$C" >"$T/out" 2>&1; then
		fail "'$1' was accepted"
	fi
	grep -q "$2" "$T/out" || fail "'$1': no '$2' in: $(cat "$T/out")"
}
expect_refused 'COPY --chmod=u+q f.txt /x' "invalid chmod parameter: 'u+q'"
expect_refused 'COPY --chmod=888 f.txt /x' "invalid chmod parameter: '888'"
expect_refused 'COPY --chown=ghost f.txt /x' "can't find uid for user ghost"
expect_refused 'COPY --chown=app:nogroup f.txt /x' "can't find gid for group nogroup"
printf 'FROM busybox\nUSER ghost\nWORKDIR /w\n' >"$C/Dockerfile"
b image build --progress plain "$C" >"$T/out" 2>&1 && fail "WORKDIR for a missing user"
grep -q "USER ghost" "$T/out" || fail "WORKDIR error: $(cat "$T/out")"
no_build_leftovers
say "ok"
