#!/bin/sh
# PID 1 of the multi-node guest booted by scripts/check-numa-vm.sh: mount the results disk,
# run check_placement.py (which runs lockpool-bench under each placement policy and checks the
# JSON), leave everything on the results disk, and exit. Init exiting panics the kernel, and
# with panic=-1 and qemu's -no-reboot that ends qemu.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
here=/opt/lockpool
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mkdir -p /results
if ! mount -t ext2 /dev/vdb /results; then
  echo "guest: cannot mount the results disk /dev/vdb"
  exit 1
fi
echo "guest: $(nproc) CPUs, nodes: $(ls -d /sys/devices/system/node/node* | tr '\n' ' ')"
mkdir -p /results/out
# Progress and failures on the console as they happen (it is the log kept when the check fails);
# every check, passed or not, in verdict.txt. timeout-s ends the checks before qemu's own bound,
# so a hung run still leaves its outputs.
{ timeout "$(cat "$here/timeout-s")" python3 "$here/check_placement.py" run --bench "$here/lockpool-bench" --out /results/out \
    --nodes "$(cat "$here/expected-nodes")" 2>&1; echo $? >/results/verdict.rc; } \
  | tee /results/verdict.txt | grep -v '^ok: '
echo "guest: check_placement exit status $(cat /results/verdict.rc)"
sync
umount /results
