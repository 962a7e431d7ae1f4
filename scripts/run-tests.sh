#!/usr/bin/env bash
# The README's test command: install dependencies, then build and run every test with
# ctest in three builds: normal, ASan+UBSan, TSan. Heavy verification (model checking,
# fuzz smoke, aarch64 under qemu) runs once, in the normal build (ctest label "verify").
# Phase "soak": the pool soak (ctest label "soak", 30 s) in the normal build; the sanitizer
# builds run it for 10 s with their other tests.
# Phase "history" runs lp-history's tests (ctest label "history": headless chromium,
# a throw-away PostgreSQL server, a one-commit backfill) against the normal build.
# Phase "numa" boots a two-node qemu guest and checks the bench's thread and memory placement
# inside it (scripts/check-numa-vm.sh: needs root and the Debian mirror; without root it is
# reported as skipped, and fails under --only numa).
# Phase "walkthrough" does baselines/README.md's "Adding a design" in a copy of the tree (one
# design file, one registry line, a Release build of lockpool-bench, a short run, the report) and
# checks the new design reaches the JSON, the report and the plots (ctest label "walkthrough").
# Phase "prim_none" builds the pool without a platform layer (-DLP_PRIM=none, as for a platform
# without futexes) and runs the pool tests that build there: the blocking calls answer LP_ENOSYS.
# Phase "container" builds the Dockerfile's image and runs its main job in it, with no daemon
# and no registry (scripts/check-container.sh).
#   scripts/run-tests.sh [--no-deps] [--only normal|soak|prim_none|asan|tsan|history|walkthrough|numa|container]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: $0 [--no-deps] [--only normal|soak|prim_none|asan|tsan|history|walkthrough|numa|container]
  --no-deps   do not install the packages (scripts/install-deps.sh) first
  --only P    run one phase: a build + ctest (normal, soak, asan, tsan), the pool built without
              a platform layer (prim_none), lp-history's tests (history), adding a design as
              baselines/README.md says (walkthrough), the two-node qemu guest (numa) or the
              container image (container)"
deps=1; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-deps) deps=0 ;;
    --only) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
            only="$2"; shift ;;
    --help|-h) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
case "$only" in
  ""|normal|soak|prim_none|asan|tsan|history|walkthrough|numa|container) ;;
  *) echo "$0: --only wants normal, soak, prim_none, asan, tsan, history, walkthrough, numa or container, not '$only'" >&2; exit 2 ;;
esac
[ "$deps" -eq 0 ] || "$top/scripts/install-deps.sh"

jobs=$(nproc 2>/dev/null || echo 2)
run_build() {  # phase, build name, sanitizer, extra ctest args... (cmake -D options first: -DX=Y)
  local phase=$1 name=$2 san=$3; shift 3
  [ -z "$only" ] || [ "$only" = "$phase" ] || return 0
  local dir="$top/build/test-$name" defs=()
  while [ $# -gt 0 ] && [ "${1#-D}" != "$1" ]; do defs+=("$1"); shift; done
  echo "=== [$phase] configure + build (sanitizer: ${san:-none}) ==="
  cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLP_SANITIZER="$san" "${defs[@]}" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; return 1; }
  grep -E '^-- lockpool' "$dir.configure.log" || true
  cmake --build "$dir" -j "$jobs"
  echo "=== [$phase] ctest ==="
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600 "$@")
}
mkdir -p "$top/build"
start=$(date +%s)
run_build normal normal "" -LE "soak|history|walkthrough"
run_build soak normal "" -L soak
run_prim_none() {
  [ -z "$only" ] || [ "$only" = prim_none ] || return 0
  local t0; t0=$(date +%s)
  run_build prim_none prim-none "" -DLP_PRIM=none -DLP_BUILD_BASELINES=OFF -DLP_BUILD_BENCH=OFF \
    -DLP_BUILD_VERIFY=OFF -R '^pool\.'
  echo "=== [prim_none] passed in $(( $(date +%s) - t0 )) s ==="
}
run_prim_none
# A phase that runs one ctest label in the normal build's folder: phase, label, ctest timeout,
# then the targets its tests need built first, if any.
run_on_normal() {
  local phase=$1 label=$2 timeout=$3; shift 3
  [ -z "$only" ] || [ "$only" = "$phase" ] || return 0
  local dir="$top/build/test-normal" t0
  t0=$(date +%s)
  echo "=== [$phase] configure + build (the normal build's folder) ==="
  cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLP_SANITIZER="" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; return 1; }
  [ $# -eq 0 ] || cmake --build "$dir" -j "$jobs" --target "$@"
  echo "=== [$phase] ctest -L $label ==="
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout "$timeout" -L "$label")
  echo "=== [$phase] passed in $(( $(date +%s) - t0 )) s ==="
}
run_on_normal history history 600 lockpool-bench
# The walkthrough builds its own copy of the tree.
run_on_normal walkthrough walkthrough 1800
run_build asan asan "address;undefined" -LE verify
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_build tsan tsan "thread" -LE verify
run_numa() {
  [ -z "$only" ] || [ "$only" = numa ] || return 0
  echo "=== [numa] two-node qemu guest: thread and memory placement ==="
  local rc=0 t0 args=() normal="$top/build/test-normal"; t0=$(date +%s)
  # The normal phase's harness, if that build exists (it does in a full run): the guest only
  # needs a lockpool-bench built here, and building another costs a minute or two.
  if [ -f "$normal/CMakeCache.txt" ] && cmake --build "$normal" -j "$jobs" --target lockpool-bench >/dev/null \
     && [ -x "$normal/bench/lockpool-bench" ]; then
    args=(--bench "$normal/bench/lockpool-bench")
  fi
  "$top/scripts/check-numa-vm.sh" "${args[@]}" || rc=$?
  if [ "$rc" -eq 77 ] && [ -z "$only" ]; then
    echo "=== [numa] SKIPPED: check-numa-vm.sh cannot run here (see above) ==="
    return 0
  fi
  [ "$rc" -eq 0 ] || return "$rc"
  echo "=== [numa] passed in $(( $(date +%s) - t0 )) s ==="
}
run_numa
if [ -z "$only" ] || [ "$only" = container ]; then
  echo "=== [container] build the image, run its main job (scripts/check-container.sh) ==="
  "$top/scripts/check-container.sh"
fi
echo "=== all builds passed in $(( $(date +%s) - start )) s ==="
