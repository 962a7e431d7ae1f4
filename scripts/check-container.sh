#!/usr/bin/env bash
# Build the container image from the Dockerfile and run its main job, with no daemon and no
# registry (the `container` phase of scripts/run-tests.sh):
#   1. the base image the Dockerfile's FROM names, made from a debootstrap'd Debian tree
#      (scripts/make-rootfs.sh) with `podman import`;
#   2. `podman build --storage-driver=vfs --isolation=chroot` of the Dockerfile;
#   3. `buildah from` + `buildah run --isolation=chroot` of the image's ENTRYPOINT with --quick,
#      as the uid:gid of --user, with a fresh results folder owned by it mounted on results/
#      (`podman run` cannot set its rlimits on these machines; buildah run needs none);
#   4. checks: a run folder with bench.json and report.md appeared, every file in it belongs to
#      that uid:gid, the image runs as a non-root user by default, holds none of the build
#      stage's packages (packages.txt) and no C compiler, scipy.stats works, and its size is at
#      most 1 GiB (printed).
#
#   scripts/check-container.sh [--user UID:GID] [--layers] [--fresh] [--keep-image]
#
#   --user UID:GID  the caller the run stands for (default: yours; as root, 4242:4242, a
#                   non-root uid the image does not know, as `docker run --user "$(id -u):$(id -g)"`)
#   --layers        keep every build step as a cached layer (faster rebuilds, several GB with vfs)
#   --fresh         make the Debian tree and every image anew (a cold-cache build)
#   --keep-image    keep the built image (and --layers' cache) in the storage afterwards
#
# Everything lives under build/container/ (image storage, results) and build/rootfs/ (the
# Debian tree, kept for the next run). Needs root (debootstrap, chroot), podman, buildah and
# debootstrap (scripts/install-deps.sh installs them) and the Debian mirror. Exit 2 on bad
# options or a missing tool, 1 if a check fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
me=check-container
user=""; layers=false; fresh=0; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --user)
      [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+:[0-9]+$ ]] || { echo "$me: --user wants numeric UID:GID" >&2; exit 2; }
      user=$2; shift ;;
    --layers) layers=true ;;
    --fresh) fresh=1 ;;
    --keep-image) keep=1 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "$me: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "$me: needs root (debootstrap, chroot isolation)" >&2; exit 2; }
for tool in podman buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "$me: $tool not installed (scripts/install-deps.sh installs it)" >&2; exit 2; }
done
if [ -z "$user" ]; then
  user="${SUDO_UID:-$(id -u)}:${SUDO_GID:-$(id -g)}"
  [ "${user%%:*}" != 0 ] || user=4242:4242
fi
uid=${user%%:*}; gid=${user#*:}

step() { echo "=== [$me $(date +%T)] $*"; }
fail() { echo "$me: FAIL: $*" >&2; exit 1; }
t_all=$(date +%s)
store="$top/build/container"
S=(--root "$store/storage" --runroot "$store/run" --storage-driver vfs)
image=localhost/lockpool:check
ctr=""
cleanup() {
  [ -z "$ctr" ] || buildah "${S[@]}" rm "$ctr" >/dev/null 2>&1 || true
  if [ "$keep" -eq 0 ]; then
    podman "${S[@]}" rmi -f "$image" >/dev/null 2>&1 || true
    podman "${S[@]}" image prune -f >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
if [ "$fresh" -eq 1 ] && [ -d "$store" ]; then
  step "--fresh: removing $store"
  podman "${S[@]}" system reset -f >/dev/null 2>&1 || true
  rm -rf --one-file-system "$store"
fi
mkdir -p "$store"

# ---- 1. the base image: FROM's name, made locally -------------------------------------------
base=$(sed -n 's/^ARG BASE_IMAGE=//p' "$top/Dockerfile")
[[ $base =~ ^debian:([0-9]+\.[0-9]+)$ ]] || fail "the Dockerfile's ARG BASE_IMAGE is not debian:<point release>: '$base'"
pinned=${BASH_REMATCH[1]}
build_args=()
rootfs_args=(); [ "$fresh" -eq 0 ] || rootfs_args=(--fresh)
step "Debian tree (scripts/make-rootfs.sh)"
t=$(date +%s)
rootfs=$("$top/scripts/make-rootfs.sh" "${rootfs_args[@]}" | tail -1)
have=$(cat "$rootfs/etc/debian_version")
if [ "$have" != "$pinned" ]; then
  # The mirror has moved on from the pinned release: build on what it serves, under its own
  # name, and say so (the Dockerfile's pin is what docker users get).
  echo "$me: warning: the mirror serves Debian $have, the Dockerfile pins $pinned: building on debian:$have" >&2
  base=debian:$have
  build_args+=(--build-arg "BASE_IMAGE=$base")
fi
if podman "${S[@]}" image exists "docker.io/library/$base"; then
  echo "base image docker.io/library/$base exists"
else
  tar -C "$rootfs" --exclude=./.lockpool-rootfs --numeric-owner -c . \
    | podman "${S[@]}" import --change 'CMD ["/bin/bash"]' - "docker.io/library/$base" >"$store/import.log" 2>&1 \
    || { cat "$store/import.log" >&2; fail "podman import failed"; }
  echo "imported $rootfs as docker.io/library/$base"
fi
echo "took $(( $(date +%s) - t )) s"

# ---- 2. podman build ------------------------------------------------------------------------
step "podman build --storage-driver=vfs --isolation=chroot --layers=$layers"
t=$(date +%s)
commit=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)
podman "${S[@]}" build --isolation=chroot --pull=never --layers="$layers" "${build_args[@]}" \
  --build-arg "LP_GIT_COMMIT=$commit" -t "$image" -f "$top/Dockerfile" "$top" >"$store/build.log" 2>&1 \
  || { tail -30 "$store/build.log" >&2; fail "podman build failed (log: $store/build.log)"; }
echo "took $(( $(date +%s) - t )) s (log: $store/build.log)"
size=$(podman "${S[@]}" image inspect --format '{{.Size}}' "$image")
echo "image $image: $(( size / 1000000 )) MB"
[ "$size" -le $(( 1 << 30 )) ] || fail "the image is $(( size / 1000000 )) MB, more than 1 GiB"

# ---- 3. the main job, as --user, results mounted --------------------------------------------
ctr=$(buildah "${S[@]}" from --pull-never "$image")
cfg() { buildah "${S[@]}" inspect --format "$1" "$ctr"; }
default_user=$(cfg '{{.OCIv1.Config.User}}')
workdir=$(cfg '{{.OCIv1.Config.WorkingDir}}')
# Go's rendering of a string list, "[a b c]" (buildah's templates have no json): our entry point's
# words have no spaces.
read -ra entrypoint <<<"$(cfg '{{.OCIv1.Config.Entrypoint}}' | tr -d '[]')"
case "$default_user" in ""|0|0:*|root|root:*) fail "the image runs as root by default (USER '$default_user')" ;; esac
echo "default user: $default_user; workdir: $workdir; entrypoint: ${entrypoint[*]}"
[ "${#entrypoint[@]}" -gt 0 ] || fail "the image has no ENTRYPOINT"
# The runtime stage has none of the build stage's packages: only what run-suite.sh runs.
mapfile -t build_pkgs < <("$top/scripts/install-deps.sh" --stage build --print)
# (dpkg-query exits 1 when some are not installed: that is the point.)
leaked=$( { buildah "${S[@]}" run --isolation=chroot "$ctr" -- dpkg-query -W -f '${Package} ${Status}\n' "${build_pkgs[@]}" 2>/dev/null || true; } \
  | awk '/install ok installed/ {print $1}' | paste -sd' ')
[ -z "$leaked" ] || fail "the runtime image has build-stage packages: $leaked"

# scipy (the gate's U test) works without python3-pythran, which the Dockerfile keeps out.
buildah "${S[@]}" run --isolation=chroot "$ctr" -- python3 -c \
  'from scipy.stats import mannwhitneyu; assert mannwhitneyu([1, 2, 3, 4], [5, 6, 7, 8]).pvalue < 0.05' \
  || fail "scipy.stats does not work in the image"
if buildah "${S[@]}" run --isolation=chroot "$ctr" -- sh -c 'command -v gcc || command -v g++ || command -v cc'; then
  fail "the runtime image has a C compiler"
fi

results="$store/results"
rm -rf --one-file-system "$results"
mkdir -p "$results"
chown "$uid:$gid" "$results"
step "buildah run --isolation=chroot --user $user: ${entrypoint[*]} --quick (results: $results)"
t=$(date +%s)
buildah "${S[@]}" run --isolation=chroot --user "$user" -v "$results:$workdir/results:rw" "$ctr" \
  -- "${entrypoint[@]}" --quick >"$store/run.log" 2>&1 \
  || { tail -30 "$store/run.log" >&2; fail "the main job failed in the container (log: $store/run.log)"; }
echo "took $(( $(date +%s) - t )) s (log: $store/run.log)"

# ---- 4. the report, owned by the caller -----------------------------------------------------
mapfile -t runs < <(find "$results/runs" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
[ "${#runs[@]}" -eq 1 ] || fail "expected one run folder in $results/runs, found ${#runs[@]}"
run=${runs[0]}
for f in bench.json report.md; do [ -s "$run/$f" ] || fail "$run/$f missing or empty"; done
grep -q "^# " "$run/report.md" || fail "$run/report.md has no heading"
foreign=$(find "$results" \( ! -uid "$uid" -o ! -gid "$gid" \) -printf '%u:%g %p\n' | head -5)
[ -z "$foreign" ] || fail "files not owned by $user: $foreign"
echo "run folder: ${run#"$top/"} ($(find "$run" -type f | wc -l) files, all owned by $user)"
step "container check passed in $(( $(date +%s) - t_all )) s"
