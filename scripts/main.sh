#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root): installs the packages, builds berth,
# makes a busybox base image from Debian's busybox-static (offline), brings up the example web
# app with `berth up -d` and prints how to reach it. `berth down -v` (in examples/webapp)
# takes it all away again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build >/dev/null
berth=$PWD/build/compose/berth
sh scripts/busybox-image.sh "$berth" busybox:latest
cd examples/webapp
"$berth" up -d --wait
"$berth" ps
port=${WEB_PORT:-8080}
echo
echo "The web app is up: http://127.0.0.1:$port/ ($(wget -q -O - "http://127.0.0.1:$port/" | grep -o '<h1>.*</h1>'))"
echo "Logs: (cd examples/webapp && $berth logs -f)   Stop: (cd examples/webapp && $berth down -v)"
