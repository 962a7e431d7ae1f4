#!/usr/bin/env bash
# Install the Debian packages LockPool needs. With no argument: scripts/packages.txt (shared
# with the Dockerfile) plus scripts/packages-*.txt where present (the container image copies
# only packages.txt): everything the build, tests, checks and benchmark suite need. With list
# files as arguments, only those (scripts/check-numa-vm.sh installs packages-numa-vm.txt this
# way when run on its own). Safe to re-run; skips apt when everything is already there.
#   scripts/install-deps.sh [LIST_FILE...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
  set -- "$here/packages.txt" $(ls "$here"/packages-*.txt 2>/dev/null)
fi
pkgs=()
for list in "$@"; do
  case "$list" in -*) echo "usage: $0 [LIST_FILE...]" >&2; exit 2 ;; esac
  [ -r "$list" ] || { echo "install-deps: no package list $list" >&2; exit 2; }
  mapfile -t -O "${#pkgs[@]}" pkgs < <(grep -v -e '^#' -e '^[[:space:]]*$' "$list")
done
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
