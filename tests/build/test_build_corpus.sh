# The build-config corpus ($BERTH_CORPUS: docker 20.10's classic builder on the same
# Dockerfiles): each case built by berth must give the same image config (the inspect
# .Config subset the corpus recorded), its RUN steps must have written the same files and
# its COPY/ADD history lines must be docker's (the "file:<hash>" texts included).
# Then, when a docker daemon runs, a built image saved by berth must load and run in docker.
. "$(dirname "$0")/lib.sh"
: "${BERTH_CORPUS:=/work/shared/conformance/dockerfile/build-config/cases}"
[ -d "$BERTH_CORPUS" ] || skip "no build-config corpus at $BERTH_CORPUS"
command -v jq >/dev/null || skip "jq is not installed"
make_busybox_full

keys='{Cmd,Entrypoint,Env,ExposedPorts,Healthcheck,Labels,OnBuild,Shell,StopSignal,User,Volumes,WorkingDir}'
pass=0
failed=""
for dir in "$BERTH_CORPUS"/*/; do
	name=$(basename "$dir")
	cp -r "$dir" "$T/case"
	# the corpus was recorded from 0644 files and 0755 dirs (the hashes include the mode)
	find "$T/case" -type d -exec chmod 755 {} + && find "$T/case" -type f -exec chmod 644 {} +
	if ! id=$(b image build -q --build-arg BASE=busybox "$T/case" 2>"$T/case.err"); then
		failed="$failed $name(build: $(tail -1 "$T/case.err"))"
		rm -rf "$T/case"
		continue
	fi
	b image inspect "$id" | jq -S ".[0].Config | $keys" >"$T/got.json"
	jq -S "$keys" "$dir/expected-config.json" >"$T/want.json"
	b container run --rm --entrypoint /bin/sh "$id" -c 'for f in /*.txt; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done; true' >"$T/files.txt" 2>&1 || true
	# COPY/ADD history lines must be docker's exactly (source hashes included)
	b image history --no-trunc --format '{{.CreatedBy}}' "$id" | tac | sed '1d' |
		grep '#(nop) \(COPY\|ADD\) ' >"$T/got-hist" || true
	grep '#(nop) \(COPY\|ADD\) ' "$dir/history.txt" >"$T/want-hist" 2>/dev/null || true
	if ! diff -u "$T/want-hist" "$T/got-hist" >"$T/diff"; then
		failed="$failed $name(history)"
		cat "$T/diff"
	elif ! diff -u "$T/want.json" "$T/got.json" >"$T/diff"; then
		failed="$failed $name(config)"
		cat "$T/diff"
	elif [ -f "$dir/expected-files.txt" ] && ! diff -u "$dir/expected-files.txt" "$T/files.txt"; then
		failed="$failed $name(files)"
	else
		pass=$((pass + 1))
	fi
	rm -rf "$T/case"
done
echo "$pass passed, $(echo $failed | wc -w) failed"
[ -z "$failed" ] || fail "cases differ from docker:$failed"

say "a built image loads and runs in docker"
if ! docker info >/dev/null 2>&1; then
	echo "SKIP (part): no docker daemon is running; the docker load check was not done"
	exit 0
fi
id=$(b image build -q --build-arg BASE=busybox "$BERTH_CORPUS/cmd-inherited") || fail "build"
b image tag "$id" berth-built-test:1
b image save berth-built-test:1 | docker load >/dev/null || fail "docker load"
docker run --rm berth-built-test:1 true || fail "docker run of a berth-built image"
docker rmi berth-built-test:1 >/dev/null 2>&1 || true
no_build_leftovers
say "ok"
