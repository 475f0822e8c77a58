#!/usr/bin/env bash
# setup.sh - install the dependencies, build x7net (Release, in build/),
# install it and run the demo program from the installed copy.  The
# tests are ci/test.sh's job (sanitized build in build-asan/).
#
# PREFIX=/some/dir ci/setup.sh installs there instead of /usr/local (no
# root needed for the install step then).  Safe to run again.
set -euo pipefail

prefix=${PREFIX:-/usr/local}
# A relative PREFIX means relative to where the user stands, not to the
# repository root we move to.
case $prefix in
  /*) ;;
  *) prefix=$PWD/$prefix ;;
esac
cd "$(dirname "$0")/.."

ci/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DX7_SANITIZE=OFF -DX7_BUILD_TESTS=OFF
cmake --build build -j"$jobs"

as_root=()
if [ -z "${PREFIX:-}" ] && [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup: installing to $prefix needs root; run as root or set" >&2
    echo "setup: PREFIX to a directory you can write, e.g." >&2
    echo "setup:   PREFIX=\$HOME/.local ci/setup.sh" >&2
    exit 1
  fi
fi
"${as_root[@]}" cmake --install build --prefix "$prefix"

# Refresh the loader cache so programs find libx7net.so.0 in the prefix
# (harmless when the prefix is not a loader path).
if [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null 2>&1; then
  ldconfig
elif [ "${#as_root[@]}" -gt 0 ]; then
  "${as_root[@]}" ldconfig || true
fi

# The main job: the installed demo packs and unpacks an HttpReqV1.
echo "setup: running $prefix/bin/x7net-demo"
"$prefix/bin/x7net-demo"
