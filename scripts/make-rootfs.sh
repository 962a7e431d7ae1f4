#!/usr/bin/env bash
# A Debian root tree made by `debootstrap --variant=minbase`, cached under build/rootfs/ so
# later calls with the same suite and packages reuse it. Used as the container image's base
# (scripts/check-container.sh imports it) and usable as the root of a qemu guest.
#
#   scripts/make-rootfs.sh [--include PKG[,PKG...]] [--suite SUITE] [--mirror URL] [--dir DIR] [--fresh]
#
#   --include PKGS  extra packages, comma-separated, installed by debootstrap (e.g. linux-image-amd64)
#   --suite SUITE   Debian suite (default bookworm)
#   --mirror URL    Debian mirror (default $LP_MIRROR, else http://deb.debian.org/debian)
#   --dir DIR       where the tree goes (default build/rootfs/SUITE-minbase[+PKGS])
#   --fresh         make it anew even if a complete tree with the same suite and packages exists
#
# Prints the tree's path as the last line of stdout. A tree is reused only when complete (the
# marker file .lockpool-rootfs, written last, records suite and packages); an interrupted one
# is removed and made again. Needs root (debootstrap) and the mirror. Exit 2 on bad options.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
me=make-rootfs
usage() { echo "usage: $0 [--include PKG[,PKG...]] [--suite SUITE] [--mirror URL] [--dir DIR] [--fresh]" >&2; exit 2; }
include=""; suite=bookworm; mirror=${LP_MIRROR:-http://deb.debian.org/debian}; dir=""; fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --include|--suite|--mirror|--dir) [ $# -ge 2 ] && [ -n "$2" ] || { echo "$me: $1 needs a value" >&2; exit 2; } ;;&
    --include) include=$2; shift ;;
    --suite) suite=$2; shift ;;
    --mirror) mirror=$2; shift ;;
    --dir) dir=$2; shift ;;
    --fresh) fresh=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "$me: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
[[ $suite =~ ^[a-z]+$ ]] || { echo "$me: --suite must be a Debian suite name like bookworm, not '$suite'" >&2; exit 2; }
[[ -z $include || $include =~ ^[a-z0-9][a-z0-9+.-]*(,[a-z0-9][a-z0-9+.-]*)*$ ]] \
  || { echo "$me: --include wants Debian package names separated by commas, not '$include'" >&2; exit 2; }
include=$(tr ',' '\n' <<<"$include" | sed '/^$/d' | sort -u | paste -sd, -)   # one cache key per set
[ -n "$dir" ] || dir="$top/build/rootfs/$suite-minbase${include:++${include//,/+}}"
[ "$(id -u)" -eq 0 ] || { echo "$me: needs root (debootstrap)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "$me: debootstrap not installed (scripts/install-deps.sh installs it)" >&2; exit 2; }

marker="$dir/.lockpool-rootfs"
want="suite=$suite include=$include"
if [ "$fresh" -eq 0 ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
  echo "$me: reusing $dir ($want)" >&2
  echo "$dir"
  exit 0
fi
if [ -e "$dir" ]; then
  # Only ever delete a tree this script made: an interrupted one has our in-progress marker.
  [ -f "$marker" ] || [ -f "$dir.lockpool-partial" ] || { echo "$me: $dir exists and was not made by $me" >&2; exit 2; }
  ! grep -q " $dir/" /proc/mounts || { echo "$me: something is mounted under $dir" >&2; exit 2; }
  rm -rf --one-file-system "$dir"
fi
mkdir -p "$(dirname "$dir")"
touch "$dir.lockpool-partial"
log="$dir.debootstrap.log"
echo "$me: debootstrap --variant=minbase ${include:+--include=$include }$suite $dir $mirror (log: $log)" >&2
start=$(date +%s)
debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$dir" "$mirror" >"$log" 2>&1 \
  || { tail -20 "$log" >&2; echo "$me: debootstrap failed (log: $log)" >&2; exit 1; }
# As Debian's own images: no downloaded .debs, no package lists (apt-get update fetches them).
rm -f "$dir"/var/cache/apt/archives/*.deb
find "$dir/var/lib/apt/lists" -maxdepth 1 -type f -delete
echo "$want" >"$marker"
rm -f "$dir.lockpool-partial"
echo "$me: made $dir in $(( $(date +%s) - start )) s (Debian $(cat "$dir/etc/debian_version"))" >&2
echo "$dir"
