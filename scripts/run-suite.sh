#!/usr/bin/env bash
# The main job (the README's first command). On a fresh Debian machine: install what is
# needed, build in Release (build/release), run every design x every workload sized for this
# machine, count fast-path instructions under callgrind, and write a dated run folder
# results/runs/<date>_<host>/ with bench.json, detail.json, fastpath.json, the plots and
# report.md.
#
#   scripts/run-suite.sh [--quick] [--no-deps] [--gate BASELINE] [lp-suite options...]
#
#   --quick          about a minute (short runs, the harness's smoke set); indicative only
#   --no-deps        skip scripts/install-deps.sh
#   --build-only     configure and build build/release, then stop (the container's build stage)
#   --no-build       use build/release as it is (the container's runtime stage has no compiler)
#   --gate DIR       afterwards compare against a baseline run folder (scripts/lp-gate);
#                    DIR and --gate-arg flags are checked before anything is built or measured
#   --history DB     afterwards add the run to a history database (scripts/lp-history add;
#                    a SQLite file or postgresql://...); it refuses a partial run (status 2)
#   other options go to scripts/lp-suite (--reps N, --run-ms N, --budget S, --filter RE,
#   --harness-arg=--pin=scatter, --no-fastpath, --out DIR); see scripts/README.md.
#
# Exit status: 0 done (and the gate passed); 1 something failed inside the run (a workload
# family, a benchmark, errors: listed first in its report.md) or the gate found a regression;
# 2 a usage or input error (e.g. --gate DIR is not a run), found before measuring.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deps=1; quick=0; build_step=1; bench_step=1; pass=()
for arg in "$@"; do
  case "$arg" in
    --no-deps) deps=0 ;;
    --quick) quick=1; pass+=("$arg") ;;
    --build-only) bench_step=0 ;;
    --no-build) build_step=0 ;;
    -h|--help) sed -n '2,/^set -/{/^#/p}' "$0"; exit 0 ;;
    *) pass+=("$arg") ;;
  esac
done
command_line="scripts/run-suite.sh${*:+ $*}"
[ "$build_step" -eq 1 ] || [ "$bench_step" -eq 1 ] \
  || { echo "run-suite: --build-only and --no-build leave nothing to do" >&2; exit 2; }
if [ "$quick" -eq 1 ]; then
  echo "run-suite: expected time: about 1 minute after the build (build: ~1-3 minutes the first time)"
else
  echo "run-suite: expected time: about 17 minutes after the build (build: ~1-3 minutes the first time);"
  echo "run-suite: the exact estimate follows once the harness lists its benchmarks"
fi

[ "$deps" -eq 0 ] || "$top/scripts/install-deps.sh"

build="$top/build/release"
case " ${pass[*]-} " in
  *" --gate"*) /usr/bin/python3 "$top/scripts/lp-suite" --build "$build" --check-gate-only "${pass[@]}" || exit $? ;;
esac
if [ "$build_step" -eq 1 ]; then
  echo "run-suite: [1/2] configure + build (Release) in $build"
  start=$(date +%s)
  mkdir -p "$build"
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLP_BUILD_VERIFY=OFF >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log"; exit 1; }
  grep -E '^-- lockpool' "$build.configure.log" || true
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target lockpool-bench lp-fastpath
  echo "run-suite: build took $(( $(date +%s) - start )) s"
  [ "$bench_step" -eq 1 ] || exit 0
else
  echo "run-suite: [1/2] using the existing build in $build (--no-build)"
fi

echo "run-suite: [2/2] benchmark suite"
exec /usr/bin/python3 "$top/scripts/lp-suite" --build "$build" --command "$command_line" "${pass[@]}"
