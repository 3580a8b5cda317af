# RUN --mount: a cache mount persists between builds (also with --no-cache); a secret is
# readable by the step and in no layer of the image; tmpfs; bind from the context and from
# another stage; a bound context directory hides what .dockerignore leaves out.
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C"
echo "s3cr3t-value-$$" >"$T/secret.txt"
echo ctxfile >"$C/c.txt"
cat >"$C/Dockerfile" <<'EOF'
FROM busybox AS stage
RUN echo from-stage > /st.txt
FROM busybox
RUN --mount=type=cache,target=/cache,sharing=locked echo x >> /cache/log && wc -l < /cache/log > /count
RUN --mount=type=secret,id=tok test "$(cat /run/secrets/tok)" != "" && echo used > /secret-used
RUN --mount=type=tmpfs,target=/scratch touch /scratch/t && test -e /scratch/t
RUN --mount=type=bind,source=c.txt,target=/m/c.txt cat /m/c.txt > /bound-ctx
RUN --mount=type=bind,from=stage,source=/st.txt,target=/m/st.txt cat /m/st.txt > /bound-stage
EOF
id=$(build --secret "id=tok,src=$T/secret.txt" "$C") || fail "build: $(cat "$T/build.out")"
[ "$(b container run --rm "$id" cat /count)" = 1 ] || fail "first cache count"
id=$(build --no-cache --secret "id=tok,src=$T/secret.txt" "$C") || fail "rebuild: $(cat "$T/build.out")"
[ "$(b container run --rm "$id" cat /count)" = 2 ] || fail "the cache mount did not persist"
out=$(b container run --rm "$id" sh -c 'cat /secret-used /bound-ctx /bound-stage; ls /scratch /run/secrets /m 2>&1 | grep -c "No such"')
[ "$out" = "used
ctxfile
from-stage
3" ] || fail "unexpected image content: $out"
b image tag "$id" mounts:1
layers_grep mounts:1 "s3cr3t-value-$$" && fail "the secret is in the image"

say "a bind-mounted context file is part of the step's key"
echo ctxfile2 >"$C/c.txt"
id=$(build --secret "id=tok,src=$T/secret.txt" "$C") || fail "rebuild after edit"
[ "$(b container run --rm "$id" cat /bound-ctx)" = ctxfile2 ] || fail "stale bind mount result"
grep -q 'bind,source=c.txt.*' "$T/build.out" || fail "no bind step in the output"

say "a missing required secret is an error"
printf 'FROM busybox\nRUN --mount=type=secret,id=nope,required=true cat /run/secrets/nope\n' >"$C/Dockerfile"
expect_code 1 b image build "$C"
grep -q "secret 'nope'" "$T/err" || fail "missing secret: $(cat "$T/err")"
say "a bind of a context directory hides what .dockerignore leaves out below it"
mkdir -p "$C/src/sub" "$C/src/keepdir"
echo yes >"$C/src/a.txt"
echo no >"$C/src/secret.key"
echo no >"$C/src/sub/deep.key"
echo back >"$C/src/keepdir/x.key"
printf '**/*.key\n!src/keepdir/x.key\n' >"$C/.dockerignore"
printf 'FROM busybox\nRUN --mount=type=bind,source=src,target=/m cd /m && find . | sort > /seen.txt\n' \
	>"$C/Dockerfile"
id=$(build "$C") || fail "build: $(cat "$T/build.out")"
b container run --rm "$id" cat /seen.txt >"$T/seen"
printf '.\n./a.txt\n./keepdir\n./keepdir/x.key\n./sub\n' >"$T/want-seen"
diff -u "$T/want-seen" "$T/seen" || fail "the bind showed excluded files"
rm -f "$C/.dockerignore"

no_build_leftovers
say "ok"
