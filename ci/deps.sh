#!/usr/bin/env bash
# deps.sh - install the Debian 12 packages x7net builds and tests with
# (DESIGN §5).  Idempotent: when every package is already installed it
# does not touch apt at all, so it is fast and works without root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config binutils git
  libcurl4-openssl-dev libssl-dev libmbedtls-dev libcjson-dev node-llhttp
  libidn2-dev zlib1g-dev
  libcmocka-dev
  clang libclang-rt-14-dev
  nginx-light openssl python3-grpcio python3-websockets
)

missing=()
for p in "${packages[@]}"; do
  # db:Status-Abbrev is "ii " for an installed package; anything else
  # (absent, half-installed, config-files only) needs an install.
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  if [ "${status:0:2}" != "ii" ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "deps: missing: ${missing[*]}"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "deps: these packages are missing and installing them needs root:" >&2
  echo "deps:   ${missing[*]}" >&2
  echo "deps: run ci/deps.sh as root, or install them with apt-get." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
# Install the whole list, not just the missing part, so that apt can
# resolve them together (and it skips what is already there).
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${packages[@]}"
echo "deps: installed ${missing[*]}"
