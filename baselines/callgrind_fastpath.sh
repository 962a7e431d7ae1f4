#!/usr/bin/env bash
# Instructions per single-thread try_get+put pair, per design, counted by callgrind.
#
#   baselines/callgrind_fastpath.sh [--bin PATH] [--iters N] [--slots S] [--check] [DESIGN...]
#
# Runs lp-fastpath under `valgrind --tool=callgrind` twice, with N and 2N pairs, and
# prints "design instr_per_pair" lines, where instr_per_pair = (Ir(2N) - Ir(N)) / N:
# start-up, warm-up and exit cost the same in both runs and cancel out. With no DESIGN,
# every design of the build plus the bare-cas lower bound. --check exits non-zero unless
# every number is positive (used by ctest; no thresholds).
# Defaults: --bin $LP_FASTPATH or lp-fastpath on PATH, --iters 100000, --slots 64.
set -euo pipefail

bin=${LP_FASTPATH:-lp-fastpath}
iters=100000
slots=64
check=0
designs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift ;;
    --iters) iters=$2; shift ;;
    --slots) slots=$2; shift ;;
    --check) check=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) designs+=("$1") ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 2; }
if [ ${#designs[@]} -eq 0 ]; then
  # --list: one design per line, name first, until the "skipped:" / "jemalloc:" notes.
  mapfile -t designs < <("$bin" --list | awk '/^(skipped|jemalloc):/ {exit} NF {print $1}')
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Total instructions (Ir) of one run: the "totals:" (or older "summary:") line of the output file.
instructions() {  # design, iters
  local out="$tmp/cg.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --design "$1" --iters "$2" \
    --slots "$slots" >"$tmp/stdout" 2>"$tmp/stderr" || {
    echo "lp-fastpath --design $1 failed under callgrind:" >&2; cat "$tmp/stdout" "$tmp/stderr" >&2; return 1; }
  awk '/^(totals|summary):/ {print $2; exit}' "$out"
}

status=0
for d in "${designs[@]}"; do
  one=$(instructions "$d" "$iters")
  two=$(instructions "$d" $((2 * iters)))
  per=$(awk -v a="$one" -v b="$two" -v n="$iters" 'BEGIN {printf "%.1f", (b - a) / n}')
  echo "$d $per"
  if [ "$check" -eq 1 ] && ! awk -v x="$per" 'BEGIN {exit !(x > 0)}'; then
    echo "not a positive instruction count for $d: $per" >&2
    status=1
  fi
done
exit $status
