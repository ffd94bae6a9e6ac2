# Guest step "lifecycle" (sourced by init.sh after the IGT task): unbind and bind
# the device through sysfs, then unload and reload the module, and check each
# time that the driver lets go of the device and binds to it again. The kernel
# log check on the host then catches any splat or leak report these produce.
# Writes "name pass|fail detail" lines to $RUN/lifecycle.txt.

LC=$RUN/lifecycle.txt
: >"$LC"
drv_dir=/sys/bus/virtio/drivers/$VIRTIO_DRIVER

bound_dev() { # the virtio device our driver is bound to, if any
	local d
	for d in "$drv_dir"/virtio*; do
		[ -e "$d" ] && basename "$d" && return 0
	done
	return 1
}

wait_bound() { # wait up to 5 s for the driver to bind $1 again
	for _ in $(seq 50); do
		[ -e "$drv_dir/$1" ] && return 0
		sleep 0.1
	done
	return 1
}

lc_result() { echo "$1 $2 ${3:-}" >>"$LC"; log "lifecycle: $1 $2 ${3:-}"; }

vdev=$(bound_dev) || vdev=
if [ -z "$vdev" ]; then
	lc_result sysfs-rebind fail "$VIRTIO_DRIVER is not bound to any virtio device"
	lc_result module-reload fail "not attempted"
	return 0
fi

n=${LIFECYCLE_CYCLES:-20}
# For the host: a hang from here on is the lifecycle step's.
echo "lifecycle@cycles" >"$RUN/igt-progress"

# run_cycles NAME WHAT UNDO REDO: $n times, UNDO must make the driver let go of
# $vdev and REDO must make it bind $vdev again.
run_cycles() {
	local name=$1 what=$2 undo=$3 redo=$4 i out
	echo "[vgpu] lifecycle@$name" >/dev/kmsg
	for i in $(seq "$n"); do
		if ! out=$($undo 2>&1) || [ -e "$drv_dir/$vdev" ]; then
			lc_result "$name" fail "cycle $i: '$undo' failed or left $vdev bound $out"
			return
		fi
		if ! out=$($redo 2>&1) || ! wait_bound "$vdev"; then
			lc_result "$name" fail "cycle $i: '$redo' did not bind $vdev again $out"
			return
		fi
	done
	lc_result "$name" pass "$n $what cycles"
}
unbind_dev() { echo "$vdev" >"$drv_dir/unbind"; }
bind_dev() { echo "$vdev" >"$drv_dir/bind"; }

run_cycles sysfs-rebind "unbind/bind of $vdev" unbind_dev bind_dev
run_cycles module-reload "unload/load of $MODULE" "modprobe -r $MODULE" "modprobe $MODULE"
echo "[vgpu] lifecycle@done" >/dev/kmsg
rm -f "$RUN/igt-progress"

# On a kernel with kmemleak (the debug variant), look for leaks now that every
# cycle is over. An object is reported once it has been seen unreferenced in
# two scans, so scan twice; the report goes to $RUN/kmemleak.txt and, for the
# kernel log check, to the kernel log.
KL=/sys/kernel/debug/kmemleak
if [ -w "$KL" ]; then
	echo "[vgpu] lifecycle@kmemleak" >/dev/kmsg
	echo scan >"$KL"
	sleep 5
	echo scan >"$KL"
	cat "$KL" >"$RUN/kmemleak.txt" 2>&1
	if [ -s "$RUN/kmemleak.txt" ]; then
		lc_result kmemleak fail "$(grep -c '^unreferenced object' "$RUN/kmemleak.txt") leak(s), see kmemleak.txt"
		head -n 200 "$RUN/kmemleak.txt" | while IFS= read -r l; do echo "kmemleak: $l" >/dev/kmsg; done
	else
		lc_result kmemleak pass "no leak after the cycles (two scans)"
	fi
fi
