#!/usr/bin/env bash
# The README's test command: install dependencies, then build and run every test with
# ctest in three builds: normal, ASan+UBSan, TSan. Heavy verification (model checking,
# fuzz smoke, aarch64 under qemu) runs once, in the normal build (ctest label "verify").
# Phase "numa" boots a two-node qemu guest and checks the bench's thread and memory placement
# inside it (scripts/check-numa-vm.sh; it installs its own host packages, needs root and the
# Debian mirror; without root it is reported as skipped, and fails under --only numa).
#   scripts/run-tests.sh [--no-deps] [--only normal|asan|tsan|numa]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: $0 [--no-deps] [--only normal|asan|tsan|numa]
  --no-deps   do not install scripts/packages.txt first
  --only P    run one phase: a build + ctest (normal, asan, tsan) or the two-node guest (numa)"
deps=1; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-deps) deps=0 ;;
    --only) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
            only="$2"; shift
            case "$only" in normal|asan|tsan|numa) ;; *) echo "$0: no phase '$only' (normal, asan, tsan, numa)" >&2; exit 2 ;; esac ;;
    --help|-h) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
[ "$deps" -eq 0 ] || "$top/scripts/install-deps.sh"

jobs=$(nproc 2>/dev/null || echo 2)
run_build() {  # name, sanitizer, extra ctest args...
  local name=$1 san=$2; shift 2
  [ -z "$only" ] || [ "$only" = "$name" ] || return 0
  local dir="$top/build/test-$name"
  echo "=== [$name] configure + build (sanitizer: ${san:-none}) ==="
  cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLP_SANITIZER="$san" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; return 1; }
  grep -E '^-- lockpool' "$dir.configure.log" || true
  cmake --build "$dir" -j "$jobs"
  echo "=== [$name] ctest ==="
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600 "$@")
}
run_numa() {
  [ -z "$only" ] || [ "$only" = numa ] || return 0
  echo "=== [numa] two-node qemu guest: thread and memory placement ==="
  local rc=0 t0; t0=$(date +%s)
  "$top/scripts/check-numa-vm.sh" || rc=$?
  if [ "$rc" -eq 77 ] && [ -z "$only" ]; then
    echo "=== [numa] SKIPPED: check-numa-vm.sh cannot run here (see above) ==="
    return 0
  fi
  [ "$rc" -eq 0 ] || return "$rc"
  echo "=== [numa] passed in $(( $(date +%s) - t0 )) s ==="
}
mkdir -p "$top/build"
start=$(date +%s)
run_build normal ""
run_build asan "address;undefined" -LE verify
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_build tsan "thread" -LE verify
run_numa
echo "=== all builds passed in $(( $(date +%s) - start )) s ==="
