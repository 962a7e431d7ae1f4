#!/usr/bin/env bash
# The Debian packages that provide the shared libraries the given executables load, one a
# line: the container image's build stage runs it on what it built, so the runtime stage
# installs exactly those libraries and none of the -dev packages.
#
#   scripts/runtime-packages.sh EXECUTABLE...
#
# Exit 2 on a missing argument or file, 1 if a library belongs to no installed package.
set -euo pipefail
me=runtime-packages
case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  "") echo "$me: no executable given (see --help)" >&2; exit 2 ;;
esac
for f in "$@"; do
  [ -f "$f" ] && [ -x "$f" ] || { echo "$me: not an executable file: $f" >&2; exit 2; }
done
libs=$(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
for lib in $libs; do
  real=$(readlink -f "$lib")
  pkg=""
  # dpkg knows each file by the path its package ships it under: /lib or /usr/lib (merged /usr).
  for path in "$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr$lib" "/usr$real"; do
    pkg=$(dpkg-query -S "$path" 2>/dev/null | head -1 | sed 's/: .*//; s/,.*//') && [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || { echo "$me: no installed package ships $lib" >&2; exit 1; }
  echo "$pkg"
done | sort -u
