#!/usr/bin/env bash
# Stand-in for `docker build` on machines without a Docker daemon: executes the Dockerfile's
# steps in a fresh debootstrap'd Debian bookworm root (chroot), then its ENTRYPOINT with
# --quick and (unless --quick) the documented test command. Needs root and a Debian mirror.
#
#   sudo scripts/check-dockerfile-steps.sh [--quick] [TARGET_DIR]   (default /tmp/lockpool-dfroot)
#     --quick   only the image steps and `run-suite.sh --no-deps --quick`; skip run-tests.sh
#
# The Dockerfile is read, not copied: FROM picks the suite, ARG/ENV/WORKDIR/COPY/RUN are replayed
# in order, from one commit: HEAD at start (git archive; uncommitted edits are not included).
# Unlike docker, /proc, /sys and /dev are the host's (bind mounts, always unmounted on exit).
# Manual check only: not wired into ctest or CI. LP_MIRROR overrides the Debian mirror.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
quick=0; root=/tmp/lockpool-dfroot
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "usage: $0 [--quick] [TARGET_DIR]" >&2; exit 2 ;;
    *) root=$arg ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "check-dockerfile-steps: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y debootstrap
mirror=${LP_MIRROR:-http://deb.debian.org/debian}
rev=$(git -C "$top" rev-parse HEAD)   # pinned: others may commit while this runs
dockerfile=$(git -C "$top" show "$rev:Dockerfile")
step() { echo "=== [$(date +%T)] $*"; }

mounts=()
cleanup() { for ((i=${#mounts[@]}-1; i>=0; i--)); do umount -R "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true; done; }
trap cleanup EXIT

# A fresh root every time; only ever delete a root this script made (marker file).
if [ -e "$root" ]; then
  [ -e "$root/.lockpool-dfroot" ] || { echo "check-dockerfile-steps: $root exists and is not ours" >&2; exit 2; }
  ! grep -q " $root/" /proc/mounts || { echo "check-dockerfile-steps: something is mounted under $root" >&2; exit 2; }
  rm -rf --one-file-system "$root"
fi
suite=$(sed -n 's/^FROM[[:space:]]\+debian:\([a-z]*\).*/\1/p' <<<"$dockerfile")
[ -n "$suite" ] || { echo "check-dockerfile-steps: FROM is not debian:<suite>" >&2; exit 2; }
step "debootstrap $suite -> $root"
start=$(date +%s)
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
  || { tail -20 "$root.debootstrap.log"; exit 1; }
touch "$root/.lockpool-dfroot"
cp /etc/resolv.conf "$root/etc/resolv.conf"   # docker gives containers the host's DNS too
mount -t proc proc "$root/proc"; mounts+=("$root/proc")
for d in sys dev; do mount --rbind "/$d" "$root/$d"; mount --make-rslave "$root/$d"; mounts+=("$root/$d"); done
echo "debootstrap took $(( $(date +%s) - start )) s"

env_vars=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root)
declare -A build_args=()
workdir=/
# No stdin, as in docker (and the loop below reads the Dockerfile from it).
in_root() { chroot "$root" /usr/bin/env -i "${env_vars[@]}" /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" "$@" </dev/null; }

# Replay the Dockerfile: continuation lines joined, comments dropped.
while read -r instr rest; do
  case "$instr" in
    ARG)  # --build-arg as the Dockerfile's header documents: LP_GIT_COMMIT is the replayed commit
      name=${rest%%=*}; value=; [[ $rest == *=* ]] && value=${rest#*=}
      [ "$name" = LP_GIT_COMMIT ] && value=$rev
      build_args[$name]=$value ;;
    ENV)
      read -ra kv <<<"$rest"
      for i in "${!kv[@]}"; do   # ${NAME} of an ARG, as docker substitutes it
        for name in "${!build_args[@]}"; do kv[$i]=${kv[$i]//\$\{$name\}/${build_args[$name]}}; done
      done
      env_vars+=("${kv[@]}") ;;
    WORKDIR) workdir=$rest; mkdir -p "$root$workdir" ;;
    COPY)
      read -ra args <<<"$rest"; dest=${args[-1]}; srcs=("${args[@]:0:${#args[@]}-1}")
      for s in "${srcs[@]}"; do   # git archive keeps paths: only COPYs that land where the path already is
        kind=$(git -C "$top" cat-file -t "$rev:$s")
        [ "$kind:$dest" = "tree:$s/" ] || [ "$kind:$dest" = "blob:$(dirname "$s")/" ] \
          || { echo "check-dockerfile-steps: unsupported COPY $s $dest" >&2; exit 1; }
      done
      step "COPY ${srcs[*]} (${rev:0:10})"
      git -C "$top" archive "$rev" -- "${srcs[@]}" | tar -x -C "$root$workdir" ;;
    RUN)
      step "RUN $rest"; start=$(date +%s)
      in_root /bin/sh -c "$rest"   # docker's shell form is /bin/sh -c
      echo "took $(( $(date +%s) - start )) s" ;;
    FROM|CMD|ENTRYPOINT) ;;
    *) echo "check-dockerfile-steps: unhandled instruction $instr" >&2; exit 1 ;;
  esac
done < <(sed -e '/^[[:space:]]*#/d' <<<"$dockerfile" | sed -e ':a' -e '/\\$/{N; s/\\\n//; ba}' | grep -v '^[[:space:]]*$')

entrypoint=$(sed -n 's/^ENTRYPOINT[[:space:]]*//p' <<<"$dockerfile")
mapfile -t ep < <(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "$entrypoint")
step "ENTRYPOINT ${ep[*]} --quick"; start=$(date +%s)
in_root "${ep[@]}" --quick
echo "took $(( $(date +%s) - start )) s"
run=$(ls -1td "$root$workdir"/results/runs/*/ | head -1)
for f in bench.json report.md; do [ -s "$run$f" ] || { echo "FAIL: $run$f missing" >&2; exit 1; }; done
echo "run folder: $run"

if [ "$quick" -eq 0 ]; then
  step "test command: scripts/run-tests.sh --no-deps"; start=$(date +%s)
  in_root scripts/run-tests.sh --no-deps
  echo "took $(( $(date +%s) - start )) s"
fi
step "all Dockerfile steps passed in $root"
