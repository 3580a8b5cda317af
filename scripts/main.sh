#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root): installs the packages, builds
# berth, and loads the example web app, printing its canonical model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build >/dev/null
./build/compose/berth -f examples/webapp/compose.yaml config
