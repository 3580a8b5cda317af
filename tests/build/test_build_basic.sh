# image build: a multi-stage Dockerfile with --target, COPY from the context (.dockerignore
# respected), another stage and with --chown names; ADD of a tarball; heredocs; ONBUILD;
# the config and history docker writes; the image runs in berth.
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C/src/sub" "$C/tdir"
echo hello >"$C/src/a.txt"
echo deep >"$C/src/sub/b.txt"
echo topsecret >"$C/src/private.key"
echo intar >"$C/tdir/in-tar.txt"
tar -czf "$C/t.tar.gz" -C "$C/tdir" in-tar.txt
printf '*.key\n**/*.key\ntdir\n' >"$C/.dockerignore"
cat >"$C/Dockerfile" <<'EOF'
FROM busybox AS base
ONBUILD RUN echo triggered > /onbuild.txt
ENV FROM_BASE=1

FROM busybox AS never
RUN exit 7

FROM busybox AS build
RUN mkdir -p /out && echo artifact > /out/a.txt

FROM base AS final
ARG GREETING=hi
ENV APP=/app
WORKDIR $APP
COPY src/ ./src/
COPY --from=build /out/a.txt /app/built.txt
COPY --chown=app:appg src/a.txt /owned.txt
ADD t.tar.gz /unpacked/
COPY <<EOT /here.txt
here-doc
EOT
RUN <<EOT
echo "greeting=$GREETING app=$APP" > /run.txt
EOT
RUN <<EOS
#!/bin/sh -e
echo "script $0" > /script.txt
EOS
USER app
LABEL org.test=yes
EXPOSE 8080
CMD ["cat", "/run.txt"]
EOF

say "build the final stage (the failing stage is not needed)"
id=$(build -t app:1 --label extra=lbl "$C") || fail "build failed: $(cat "$T/build.out")"
case "$id" in sha256:*) ;; *) fail "no image ID printed: $id" ;; esac
grep -q "exit 7" "$T/build.out" && fail "the unreachable stage was built"

say "the Dockerfile from stdin gives the same (cached) image"
id2=$(b image build -q -t app:1 --label extra=lbl -f - "$C" <"$C/Dockerfile") || fail "build -f -"
[ "$id2" = "$id" ] || fail "-f - gave $id2, want $id"

say "the image runs and has the files"
out=$(b container run --rm app:1) || fail "container run failed"
[ "$out" = "greeting=hi app=/app" ] || fail "RUN saw the wrong env: $out"
out=$(b container run --rm app:1 sh -c 'cat /onbuild.txt /app/src/a.txt /app/src/sub/b.txt /app/built.txt /unpacked/in-tar.txt /here.txt; stat -c "%u:%g" /owned.txt; pwd; id -u')
want="triggered
hello
deep
artifact
intar
here-doc
1000:2000
/app
1000"
[ "$out" = "$want" ] || fail "unexpected image content: $out"
b container run --rm app:1 test -e /app/src/private.key && fail ".dockerignore'd file was copied"
[ "$(b container run --rm app:1 cat /script.txt)" = "script /dev/pipes/EOS" ] ||
	fail "a #! heredoc did not run as a script"

say "config and history"
b image inspect app:1 >"$T/inspect.json"
[ "$(jq -r '.[0].Config.Cmd | join(" ")' "$T/inspect.json")" = "cat /run.txt" ] || fail "Cmd"
[ "$(jq -r '.[0].Config.WorkingDir' "$T/inspect.json")" = "/app" ] || fail "WorkingDir"
[ "$(jq -r '.[0].Config.User' "$T/inspect.json")" = "app" ] || fail "User"
[ "$(jq -r '.[0].Config.Labels["org.test"]' "$T/inspect.json")" = "yes" ] || fail "LABEL"
[ "$(jq -r '.[0].Config.Labels.extra' "$T/inspect.json")" = "lbl" ] || fail "--label"
jq -e '.[0].Config.Env | index("FROM_BASE=1")' "$T/inspect.json" >/dev/null || fail "inherited ENV"
jq -e '.[0].Config.ExposedPorts["8080/tcp"]' "$T/inspect.json" >/dev/null || fail "EXPOSE"
b image history --no-trunc app:1 >"$T/history"
grep -q '#(nop)  LABEL org.test=yes' "$T/history" || fail "LABEL history: $(cat "$T/history")"
grep -q '|1 GREETING=hi /bin/sh -c' "$T/history" || fail "RUN history with its build arg"
no_build_leftovers
say "ok"
