#!/usr/bin/env bash
# Placement on a real multi-node kernel. Boots Debian's own kernel (linux-image-amd64 and its
# initrd) in qemu-system-x86_64 with TCG (no KVM needed) as a 2-package, 2-NUMA-node guest
# (4 vCPUs, node0 = CPUs 0-1, node1 = CPUs 2-3, 512 MiB each), root on an ext2 image of a
# `debootstrap --variant=minbase` tree of this host's Debian release plus the guest's packages.
# Inside, scripts/numa-vm/check_placement.py runs lockpool-bench under --pin=numa:K, scatter,
# --mem=local|interleave|node:K and the remote-memory workload, and asserts from the bench's own
# JSON that every thread ran on its planned PU (pin_ok), that storage is on the intended node
# (mem_node), that the context records the guest's topology, and that a node the guest lacks is
# a one-line usage error. The results come back on a second disk (read with debugfs) and are
# checked again on the host. TCG timing means nothing: only placement is judged.
#
#   scripts/check-numa-vm.sh [--no-deps] [--bench PATH]     (--help: the options)
#
# Needs root (debootstrap and the kernel's initrd are made in a chroot) and the Debian mirror
# (LP_DEBIAN_MIRROR, default http://deb.debian.org/debian). The root tree is cached under
# build/numa-vm/ and rebuilt when the guest's package set changes. Every step has a time bound;
# the guest's console log is build/numa-vm/console.log, printed in full when the check fails.
# Exit status: 0 every check passed; 1 a step or a check failed; 2 bad usage; 77 cannot run
# here (not root).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vmdir="$top/scripts/numa-vm"
work="$top/build/numa-vm"

usage() {
  cat <<'EOF'
usage: scripts/check-numa-vm.sh [--no-deps] [--bench PATH]
Boots a 2-node qemu guest (TCG) with Debian's kernel and checks lockpool-bench's thread and
memory placement inside it, from the bench's own JSON. Needs root and the Debian mirror.
  --no-deps     do not install the host packages (scripts/packages-numa-vm.txt)
  --bench PATH  use this lockpool-bench (built on this host) instead of building one
                (Release, in build/numa-vm/build)
Environment: LP_DEBIAN_MIRROR (default http://deb.debian.org/debian), LP_NUMA_VM_TIMEOUT
(seconds the guest may run, default 600).
Exit status: 0 every check passed; 1 a step or a check failed (the guest's console log is
printed); 2 bad usage; 77 cannot run here (not root).
EOF
}
deps=1; bench=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-deps) deps=0 ;;
    --bench) [ $# -ge 2 ] || { echo "check-numa-vm: --bench needs a path" >&2; exit 2; }
             bench=$2; shift ;;
    --bench=*) bench=${1#--bench=} ;;
    --help|-h) usage; exit 0 ;;
    *) echo "check-numa-vm: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$bench" ] && [ ! -x "$bench" ]; then
  echo "check-numa-vm: --bench $bench is not an executable file" >&2; exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "check-numa-vm: needs root (debootstrap and the guest's initrd are built in a chroot)" >&2
  exit 77
fi

# The guest's shape, defined once: qemu's arguments and the expected topology come from here.
node_cpus=(0-1 2-3)
node_mem_mib=512
guest_timeout_s=${LP_NUMA_VM_TIMEOUT:-600}
case "$guest_timeout_s" in ''|*[!0-9]*) echo "check-numa-vm: LP_NUMA_VM_TIMEOUT must be a number of seconds" >&2; exit 2 ;; esac
mirror=${LP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

start=$(date +%s)
mkdir -p "$work"
# One check per tree at a time: two would build the same root tree and share the disk images.
exec 9>"$work/.lock"
flock -n 9 || { echo "check-numa-vm: another check-numa-vm.sh is running on $work" >&2; exit 1; }
step() { echo "=== [numa] $* (t+$(( $(date +%s) - start )) s)"; }
die() { echo "check-numa-vm: $*" >&2; exit 1; }

step "host packages"
[ "$deps" -eq 0 ] || "$top/scripts/install-deps.sh" "$top/scripts/packages-numa-vm.txt"
for tool in qemu-system-x86_64 debootstrap mke2fs debugfs; do
  command -v "$tool" >/dev/null || die "$tool not found (install scripts/packages-numa-vm.txt)"
done

if [ -z "$bench" ]; then
  step "build lockpool-bench (Release)"
  timeout 1200 cmake -S "$top" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLP_BUILD_VERIFY=OFF \
    -DBUILD_TESTING=OFF >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; die "configure failed"; }
  timeout 1200 cmake --build "$work/build" -j "$(nproc 2>/dev/null || echo 2)" --target lockpool-bench \
    >"$work/build.log" 2>&1 || { tail -50 "$work/build.log"; die "build failed"; }
  bench="$work/build/bench/lockpool-bench"
fi

# The guest's packages: its list, plus whatever owns the bench's shared libraries here (the guest
# runs this host's Debian release, so the same packages carry the same sonames).
step "guest packages"
ldd "$bench" >/dev/null 2>&1 || die "$bench is not a dynamically linked program of this host (ldd fails)"
mapfile -t pkgs < <(grep -v -e '^#' -e '^[[:space:]]*$' "$vmdir/guest-packages.txt")
while read -r lib; do
  owner=""
  for path in "$lib" "$(readlink -f "$lib")" "/usr$lib"; do
    owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
  done
  [ -n "$owner" ] || die "no Debian package owns $lib, which $bench needs"
  pkgs+=("$owner")
done < <(ldd "$bench" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
echo "guest packages: ${pkgs[*]}"

# The root tree: debootstrap minbase of this host's release with the guest's packages, cached
# under a key of everything that decides its content. The kernel's own initrd (MODULES=most,
# 35 MB) took minutes to build on a loaded 2-core host and slows the emulated boot, so the
# package's hook is skipped (INITRD=No) and initramfs-tools builds one with just the modules a
# virtio disk with an ext2 root needs. Trimmed once built: the initrd carries those modules, so
# /usr/lib/modules and the downloaded .debs are dropped.
. /etc/os-release
suite=${VERSION_CODENAME:?/etc/os-release has no VERSION_CODENAME}
initrd_modules=(virtio_pci virtio_blk ext4)
key=$(printf '%s\n' "$suite" "$mirror" "${pkgs[@]}" "${initrd_modules[@]}" | sha256sum | cut -c1-16)
rootfs="$work/rootfs-$key"
unmount_under() {  # debootstrap and update-initramfs mount /proc (and more) in the tree
  findmnt -rno TARGET | { grep -F "$1/" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
}
debootstrap_tree() {  # dest, packages...: a minbase tree of $suite with the packages
  local dest=$1; shift
  local include; include=$(IFS=,; echo "$*")
  INITRD=No timeout 900 debootstrap --variant=minbase --include="$include" "$suite" "$dest" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log"; return 1; }
}
build_tree() {  # dest, packages...: dest (the tree) and dest.boot/{vmlinuz,initrd.img}, built in
  local dest=$1; shift  # dest.tmp and renamed at the end, so a failed build leaves no cache
  local tmp="$dest.tmp" rc=0
  unmount_under "$tmp"; rm -rf "$tmp" "$dest.boot"
  debootstrap_tree "$tmp" "$@" || rc=$?
  unmount_under "$tmp"
  [ "$rc" -eq 0 ] || { echo "debootstrap failed (log: $work/debootstrap.log)"; return 1; }
  echo "MODULES=list" >"$tmp/etc/initramfs-tools/conf.d/lockpool-vm"
  printf '%s\n' "${initrd_modules[@]}" >"$tmp/usr/share/initramfs-tools/modules.d/lockpool-vm"
  mount -t proc proc "$tmp/proc"
  timeout 600 chroot "$tmp" update-initramfs -c -k all >"$work/initramfs.log" 2>&1 || rc=$?
  unmount_under "$tmp"
  [ "$rc" -eq 0 ] || { cat "$work/initramfs.log"; echo "update-initramfs failed in the tree"; return 1; }
  local vmlinuz initrd
  vmlinuz=$(ls "$tmp"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -1 || true)
  initrd=$(ls "$tmp"/boot/initrd.img-* 2>/dev/null | sort -V | tail -1 || true)
  [ -f "$vmlinuz" ] && [ -f "$initrd" ] || { echo "no kernel or initrd in $tmp/boot"; return 1; }
  mkdir -p "$dest.boot"
  mv "$vmlinuz" "$dest.boot/vmlinuz"; mv "$initrd" "$dest.boot/initrd.img"
  rm -rf "$tmp"/boot/* "$tmp"/usr/lib/modules "$tmp"/var/cache/apt/archives/*.deb
  mv "$tmp" "$dest"
}
if [ -d "$rootfs" ] && [ -f "$rootfs.boot/initrd.img" ]; then
  step "root tree: cached ($rootfs)"
else
  step "root tree: debootstrap --variant=minbase $suite (+${#pkgs[@]} packages) from $mirror"
  for old in "$work"/rootfs-*; do [ -e "$old" ] && { unmount_under "$old"; rm -rf "$old"; }; done
  build_tree "$rootfs" "${pkgs[@]}" || die "could not build the guest's root tree"
fi

step "guest disks"
expected=""
for i in "${!node_cpus[@]}"; do expected+="${expected:+ }node$i:pu${node_cpus[$i]}"; done
stage="$work/stage"
rm -rf "$stage"
cp -al "$rootfs" "$stage"   # hard links: the cached tree stays as built
mkdir -p "$stage/opt/lockpool"
cp "$bench" "$stage/opt/lockpool/lockpool-bench"
cp "$vmdir/check_placement.py" "$vmdir/guest-init.sh" "$stage/opt/lockpool/"
echo "$expected" >"$stage/opt/lockpool/expected-nodes"
echo $(( guest_timeout_s > 120 ? guest_timeout_s - 60 : guest_timeout_s / 2 )) >"$stage/opt/lockpool/timeout-s"
size_mib=$(( $(du -sm "$stage" | cut -f1) * 5 / 4 + 64 ))
rm -f "$work/root.img" "$work/results.img"
mke2fs -q -t ext2 -L lproot -d "$stage" "$work/root.img" "${size_mib}M"
mke2fs -q -t ext2 -L lpresults "$work/results.img" 64M
rm -rf "$stage"

ncpu=0; numa=()
for i in "${!node_cpus[@]}"; do
  numa+=(-object "memory-backend-ram,id=mem$i,size=${node_mem_mib}M" -numa "node,nodeid=$i,cpus=${node_cpus[$i]},memdev=mem$i")
  ncpu=$(( ncpu + ${node_cpus[$i]#*-} - ${node_cpus[$i]%-*} + 1 ))
  for (( j = 0; j < i; ++j )); do numa+=(-numa "dist,src=$j,dst=$i,val=20"); done  # remote: twice local
done
step "boot the guest: $ncpu vCPUs in ${#node_cpus[@]} packages and NUMA nodes ($expected), TCG, at most $guest_timeout_s s"
console="$work/console.log"
rm -f "$console"
qrc=0
timeout "$guest_timeout_s" qemu-system-x86_64 -accel tcg -nodefaults -display none -no-reboot \
  -m $(( node_mem_mib * ${#node_cpus[@]} )) -smp "$ncpu,sockets=${#node_cpus[@]},cores=$(( ncpu / ${#node_cpus[@]} )),threads=1" \
  "${numa[@]}" \
  -kernel "$rootfs.boot/vmlinuz" -initrd "$rootfs.boot/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 quiet panic=-1 init=/opt/lockpool/guest-init.sh" \
  -drive "file=$work/root.img,format=raw,if=virtio" -drive "file=$work/results.img,format=raw,if=virtio" \
  -serial "file:$console" -monitor none </dev/null || qrc=$?

fail() {
  echo "check-numa-vm: FAIL: $*"
  echo "----- guest console log ($console) -----"
  cat "$console" 2>/dev/null || echo "(no console log)"
  echo "----- end of guest console log -----"
  exit 1
}
[ "$qrc" -ne 124 ] || fail "the guest did not finish within $guest_timeout_s s"
[ "$qrc" -eq 0 ] || fail "qemu exit status $qrc"

step "read the results disk"
res="$work/results"
rm -rf "$res"; mkdir -p "$res"
debugfs -R "rdump / $res" "$work/results.img" >/dev/null 2>&1 || fail "debugfs could not read the results disk"
[ -f "$res/verdict.rc" ] || fail "the guest left no verdict on its results disk"
grep -v '^ok: ' "$res/verdict.txt" || true  # the passed checks are listed in verdict.txt
[ "$(cat "$res/verdict.rc")" = "0" ] || fail "placement checks failed inside the guest (status $(cat "$res/verdict.rc"))"

step "check the guest's JSON again on the host"
/usr/bin/python3 "$vmdir/check_placement.py" check --out "$res/out" --nodes "$expected" >"$res/host-verdict.txt" 2>&1 \
  || { cat "$res/host-verdict.txt"; fail "placement checks failed on the host"; }
tail -1 "$res/host-verdict.txt"
step "PASS: placement on a ${#node_cpus[@]}-node guest, outputs in $res"
