#!/usr/bin/env bash
# check-exports.sh LIB.so - fail unless every symbol the shared library
# exports is public API: it must match ^x7_[a-z] and must not be an
# internal x7__ name.  Run by ctest (test "check_exports").
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 path/to/libx7net.so" >&2
  exit 2
fi
lib=$1
if [ ! -f "$lib" ]; then
  echo "check-exports: no such file: $lib" >&2
  exit 2
fi

# nm -D --defined-only prints "ADDR TYPE NAME"; keep the name.  Version
# tags (NAME@VER) are not expected, but strip them so they cannot hide a
# name.
syms=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//')
if [ -z "$syms" ]; then
  echo "check-exports: $lib exports no symbols at all" >&2
  exit 1
fi

bad=$(printf '%s\n' "$syms" | grep -Ev '^x7_[a-z]' || true)
internal=$(printf '%s\n' "$syms" | grep -E '^x7__' || true)
total=$(printf '%s\n' "$syms" | wc -l)

status=0
if [ -n "$bad" ]; then
  echo "check-exports: exported symbols outside the x7_[a-z]* namespace:" >&2
  printf '%s\n' "$bad" | sed 's/^/  /' >&2
  status=1
fi
if [ -n "$internal" ]; then
  echo "check-exports: internal x7__ symbols are exported:" >&2
  printf '%s\n' "$internal" | sed 's/^/  /' >&2
  status=1
fi
if [ "$status" -eq 0 ]; then
  echo "check-exports: $total exported symbols, all x7_[a-z]*"
fi
exit "$status"
