#!/bin/bash
# Guest side of a run: set up a minimal system on the read-only root, load the
# selected virtio-gpu driver, run the task named in /mnt/run/config, power off.
# Results go to files in /mnt/run (shared with the host), never only to the console.
set -u
RUN=/mnt/run
. "$RUN/config" # DRIVER, MODULE, OTHER_MODULE, TASK, ...

log() { echo "guest: $*" >/dev/kmsg 2>/dev/null || echo "guest: $*"; }

request_screenshot() { # name: the host saves a screendump of the display as $RUN/<name>.png
	# Handshake over the shared directory: the host takes the screendump and
	# answers by creating the .done file.
	rm -f "$RUN/$1.done"
	# Written aside and renamed: the host polls and must never see it empty.
	echo "$1" >"$RUN/screenshot.request.tmp"
	mv "$RUN/screenshot.request.tmp" "$RUN/screenshot.request"
	for _ in $(seq 300); do
		[ -e "$RUN/$1.done" ] && return 0
		sleep 0.1
	done
	log "no screenshot answer from the host for $1"
	return 1
}

mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /var/tmp /var/log /var/cache /root /home; do
	mount -t tmpfs tmpfs "$d"
done
mount -t debugfs debugfs /sys/kernel/debug
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro stage /mnt/stage
mount --bind /mnt/stage/lib/modules /lib/modules
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

finish() {
	dmesg >"$RUN/dmesg.txt" 2>&1
	echo "$1" >"$RUN/status"
	sync
	# reboot(2) with LINUX_REBOOT_CMD_POWER_OFF: QEMU exits at once. perl-base is
	# Essential in Debian, so this needs nothing beyond the minimal root.
	perl -e 'syscall(169, 0xfee1dead, 672274793, 0x4321fedc)'
	echo o >/proc/sysrq-trigger
	sleep 30
}

log "kernel $(uname -r), driver $DRIVER ($MODULE), task $TASK"
# With kmemleak (debug variant), forget what boot left behind: leaks reported
# later are the drivers' and the tests'.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
fi
if ! modprobe "$MODULE" >"$RUN/modprobe.txt" 2>&1; then
	log "modprobe $MODULE failed: $(cat "$RUN/modprobe.txt")"
	finish "modprobe-failed"
fi
# Give the driver time to probe and the fbdev console to come up.
for _ in $(seq 50); do
	[ -e /dev/dri/card0 ] && break
	sleep 0.1
done
lsmod >"$RUN/lsmod.txt"
ls -l /dev/dri >"$RUN/dri.txt" 2>&1
# What userspace sees of the device: the host compares it across drivers.
python3 "$RUN/guest/drm-identity.py" /dev/dri/card0 >"$RUN/drm-identity.txt" 2>&1 || :

case "$TASK" in
boot) . "$RUN/guest/task-boot.sh" ;;
igt)
	. "$RUN/guest/task-igt.sh"
	[ -e "$RUN/vgpu-pixels" ] && . "$RUN/guest/task-pixels.sh"
	. "$RUN/guest/clients-lib.sh"
	. "$RUN/guest/task-clients.sh"
	[ "${GPU:-2d}" = 2d ] || . "$RUN/guest/task-clients3d.sh"
	[ -e "$RUN/vgpu-unref" ] && . "$RUN/guest/task-unref.sh"
	[ -n "${FUZZ_SEEDS:-}" ] && . "$RUN/guest/task-fuzz.sh"
	[ -e "$RUN/vgpu-faults" ] && . "$RUN/guest/task-stress.sh"
	[ -e "$RUN/vgpu-fences" ] && . "$RUN/guest/task-fences.sh"
	. "$RUN/guest/task-lifecycle.sh"
	;;
# A second run of the subtests that failed unexpectedly, alone (check.sh).
igt-retry) . "$RUN/guest/task-igt.sh" ;;
# The pixel check alone, on a kernel command line of its own (check.sh: swiotlb=force).
pixels) . "$RUN/guest/task-pixels.sh" ;;
fuzz) . "$RUN/guest/task-fuzz.sh" ;;
stress)
	[ -n "${FUZZ_SEEDS:-}" ] && . "$RUN/guest/task-fuzz.sh"
	. "$RUN/guest/task-stress.sh"
	. "$RUN/guest/task-lifecycle.sh"
	;;
bench) . "$RUN/guest/task-bench.sh" ;;
# The real clients alone (the 3D ones too on a 3D profile), for a developer.
clients)
	. "$RUN/guest/clients-lib.sh"
	. "$RUN/guest/task-clients.sh"
	[ "${GPU:-2d}" = 2d ] || . "$RUN/guest/task-clients3d.sh"
	;;
# Venus's Vulkan clients (check.sh runs them on the venus profile).
vulkan)
	. "$RUN/guest/clients-lib.sh"
	. "$RUN/guest/task-vulkan.sh"
	;;
exec) . "$RUN/guest/task-exec.sh" ;;
*) log "unknown task $TASK" ;;
esac
finish done
