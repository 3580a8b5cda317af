#!/usr/bin/env bash
# Installs what berth needs to build and test on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  build-essential cmake ninja-build pkg-config clang
  # libraries (see README: why each)
  libyaml-dev libseccomp-dev libcap-dev libarchive-dev libcurl4-openssl-dev libjson-c-dev
  libnl-3-dev libnl-route-3-dev libcmocka-dev
  # test peers, base images and the tools the system tests drive
  busybox-static docker-compose nftables iproute2 skopeo umoci docker.io bc
  # registry tests: a real registry, its token issuer (python3 + cryptography), fixtures
  docker-registry curl jq zstd openssl python3 python3-cryptography
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
