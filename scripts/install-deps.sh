#!/usr/bin/env bash
# Install every Debian package LockPool needs (the list is scripts/packages.txt, shared
# with the Dockerfile, plus scripts/packages-*.txt where present: the container image copies
# only packages.txt). Safe to re-run; skips apt when everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(cat "$here/packages.txt" $(ls "$here"/packages-*.txt 2>/dev/null) \
                    | grep -v -e '^#' -e '^[[:space:]]*$')
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
