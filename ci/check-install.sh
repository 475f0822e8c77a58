#!/usr/bin/env bash
# check-install.sh BUILD_DIR CC CONSUMER_DIR
#
# Installs BUILD_DIR into a temporary prefix, then builds CONSUMER_DIR's
# addr_demo.c against that prefix twice, as a user would:
#   (a) cc + `pkg-config --cflags --libs x7net`
#   (b) a CMake project using find_package(x7net) and x7net::x7net
#       (plus x7net::x7net_static)
# and runs each program.  A sanitized build exports its sanitizer flags
# through both the .pc file and the CMake targets, so the same commands
# work in both modes.  Run by ctest (test "check_install").
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 BUILD_DIR CC CONSUMER_DIR" >&2
  exit 2
fi
build=$1
cc=$2
src=$3
want=0100000001000000307500007f000001

tmp=$(mktemp -d "${TMPDIR:-/tmp}/x7net-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

step() { echo "== check-install: $*"; }

step "cmake --install $build --prefix $tmp/prefix"
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log" >&2
  exit 1
}

prefix=$tmp/prefix
pcfile=$(find "$prefix" -name x7net.pc -path '*/pkgconfig/*' | head -n 1)
cfgfile=$(find "$prefix" -name x7netConfig.cmake -path '*/cmake/x7net/*' | head -n 1)
for f in "$pcfile" "$cfgfile" "$prefix/include/x7/net.h" \
         "$prefix/include/x7/x7_version.h"; do
  if [ -z "$f" ] || [ ! -f "$f" ]; then
    echo "check-install: missing from the install tree: ${f:-x7net.pc/x7netConfig.cmake}" >&2
    find "$prefix" -type f >&2
    exit 1
  fi
done
if [ -e "$prefix/include/x7/x7_version.h.in" ]; then
  echo "check-install: x7_version.h.in must not be installed" >&2
  exit 1
fi
libdir=$(dirname "$(dirname "$pcfile")")
for f in "$libdir/libx7net.so" "$libdir/libx7net.a"; do
  if [ ! -e "$f" ]; then
    echo "check-install: missing $f" >&2
    exit 1
  fi
done

run_check() {
  local out
  out=$(LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@")
  echo "$out"
  if [ "$out" != "$want" ]; then
    echo "check-install: $1 printed '$out', want '$want'" >&2
    exit 1
  fi
}

step "(a) pkg-config"
# The temporary prefix comes first, so an x7net installed system-wide
# cannot mask a broken .pc file; the system directories stay behind it
# because x7net.pc requires libcurl's .pc file.
pcdir=$(dirname "$pcfile")
syspc=$(pkg-config --variable pc_path pkg-config)
flags=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_LIBDIR="$pcdir:$syspc" \
        pkg-config --cflags --libs x7net)
echo "pkg-config --cflags --libs x7net: $flags"
# shellcheck disable=SC2086 # flags is a word list by design
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/addr_demo_pc" \
  "$src/addr_demo.c" $flags
run_check "$tmp/addr_demo_pc"

step "(b) find_package(x7net)"
cmake -S "$src" -B "$tmp/consumer" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
  -Dx7net_DIR="$(dirname "$cfgfile")" >"$tmp/consumer.log" 2>&1 || {
  cat "$tmp/consumer.log" >&2
  exit 1
}
cmake --build "$tmp/consumer" >>"$tmp/consumer.log" 2>&1 || {
  cat "$tmp/consumer.log" >&2
  exit 1
}
run_check "$tmp/consumer/addr_demo"
run_check "$tmp/consumer/addr_demo_static"
# The shared consumer must load the library of the prefix, not some other
# copy that happens to be installed.
# (ldd's output is captured first: grep -q closing the pipe early would
# make ldd die of SIGPIPE, which pipefail reports as a failure.)
deps=$(LD_LIBRARY_PATH="$libdir" ldd "$tmp/consumer/addr_demo")
if ! grep -qF "$libdir/libx7net.so" <<<"$deps"; then
  echo "check-install: addr_demo does not load $libdir/libx7net.so" >&2
  exit 1
fi

step "ok"
