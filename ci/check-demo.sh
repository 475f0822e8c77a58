#!/usr/bin/env bash
# check-demo.sh DEMO - run x7net-demo on its fixed default input and on
# user arguments; fail unless it exits 0 and prints the expected HttpReqV1.
set -euo pipefail

demo=${1:?usage: $0 path/to/x7net-demo}

# spec §8.1 V19: req_post_v1("https://h/x", [Content-Type: text/plain],
# "hi", caps) with default HttpCapsV1.
want=01000000020000000b00000068747470733a2f2f682f7822000000010000000c000000636f6e74656e742d747970650a000000746578742f706c61696e0200000068691c00000001000000000000001e00000000000000001000004000000000000100

out=$("$demo")
printf '%s\n' "$out"
if ! grep -qx "doc: $want" <<<"$out"; then
  echo "check-demo: default run did not print the V19 doc" >&2
  exit 1
fi

out=$("$demo" "http://127.0.0.1:8080/api?q=1" '{"k":"v"}')
printf '%s\n' "$out"
for line in 'url: "http://127.0.0.1:8080/api?q=1"' 'body: "{\"k\":\"v\"}"'; do
  if ! grep -qxF "$line" <<<"$out"; then
    echo "check-demo: missing line: $line" >&2
    exit 1
  fi
done

# Too many arguments is a usage error (exit 2), not a silent success.
rc=0
"$demo" a b c >/dev/null 2>&1 || rc=$?
if [ "$rc" -ne 2 ]; then
  echo "check-demo: extra arguments gave exit $rc, want 2" >&2
  exit 1
fi
echo "check-demo: ok"
