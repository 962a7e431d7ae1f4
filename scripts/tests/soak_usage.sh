#!/usr/bin/env bash
# pool_soak's command line: --help exits 0 and names every option; bad input exits 2 with
# one line on stderr and runs nothing.
#   soak_usage.sh [EMULATOR...] PATH_TO_pool_soak
set -u
bin=("$@")
fail=0
out=$("${bin[@]}" --help) ; rc=$?
if [ $rc -ne 0 ]; then echo "--help exited $rc" >&2; fail=1; fi
for opt in --seconds --threads --max-slots --max-cells --modes --epoch-ms --seed --help; do
  grep -q -- "$opt" <<<"$out" || { echo "--help does not explain $opt" >&2; fail=1; }
done
bad=("--seconds 0" "--seconds -1" "--seconds x" "--seconds" "--threads 0" "--threads 65" "--threads 2x"
     "--max-slots 0" "--max-cells 0" "--modes nosuch" "--modes 99" "--modes ," "--epoch-ms 1"
     "--seed -1" "--frobnicate 1" "stray")
for b in "${bad[@]}"; do
  # shellcheck disable=SC2086
  err=$("${bin[@]}" $b 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ]; then
    echo "pool_soak $b: exit $rc, $lines lines on stderr (want 2 and 1): $err" >&2; fail=1
  fi
done
[ $fail -eq 0 ] && echo "soak_usage: --help and ${#bad[@]} bad command lines as documented"
exit $fail
