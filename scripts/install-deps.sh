#!/usr/bin/env bash
# Install the Debian packages LockPool needs. With no list file: scripts/packages.txt (shared
# with the Dockerfile) plus scripts/packages-*.txt where present (the container image copies
# only packages.txt): everything the build, tests, checks and benchmark suite need. With list
# files as arguments, only those (scripts/check-numa-vm.sh installs packages-numa-vm.txt this
# way when run on its own). Safe to re-run; skips apt when everything is already there.
#
#   scripts/install-deps.sh [--stage build|run] [--print] [LIST_FILE...]
#
#   --stage S   only the packages a list puts in stage S of the container image (packages.txt)
#   --print     print the selected package names, one a line, and install nothing
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stage=""; print=0; lists=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stage)
      [ $# -ge 2 ] && [[ $2 =~ ^(build|run)$ ]] || { echo "install-deps: --stage wants build or run" >&2; exit 2; }
      stage=$2; shift ;;
    --print) print=1 ;;
    -h|--help) sed -n '2,/^set -/{/^#/p}' "$0"; exit 0 ;;
    -*) echo "install-deps: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [ -r "$1" ] || { echo "install-deps: no package list $1" >&2; exit 2; }
       lists+=("$1") ;;
  esac
  shift
done
# nullglob: the image copies packages.txt alone, and an unmatched glob must add nothing.
if [ ${#lists[@]} -eq 0 ]; then
  shopt -s nullglob
  lists=("$here/packages.txt" "$here"/packages-*.txt)
  shopt -u nullglob
fi
# Lines are "name [stage...]"; comments and blank lines skipped.
mapfile -t pkgs < <(awk -v stage="$stage" '
  /^[[:space:]]*(#|$)/ { next }
  { keep = (stage == ""); for (i = 2; i <= NF; i++) if ($i == stage) keep = 1; if (keep) print $1 }' "${lists[@]}")
if [ "$print" -eq 1 ]; then
  printf '%s
' "${pkgs[@]}"
  exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
