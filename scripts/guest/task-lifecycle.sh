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
echo "[vgpu] lifecycle@sysfs-rebind" >/dev/kmsg
ok=1
for i in $(seq "$n"); do
	if ! echo "$vdev" >"$drv_dir/unbind" || [ -e "$drv_dir/$vdev" ]; then
		lc_result sysfs-rebind fail "cycle $i: unbind of $vdev failed"
		ok=0
		break
	fi
	if ! echo "$vdev" >"$drv_dir/bind" || ! wait_bound "$vdev"; then
		lc_result sysfs-rebind fail "cycle $i: $vdev did not bind again"
		ok=0
		break
	fi
done
[ "$ok" = 1 ] && lc_result sysfs-rebind pass "$n unbind/bind cycles of $vdev"

echo "[vgpu] lifecycle@module-reload" >/dev/kmsg
ok=1
for i in $(seq "$n"); do
	if ! out=$(modprobe -r "$MODULE" 2>&1); then
		lc_result module-reload fail "cycle $i: modprobe -r $MODULE: $out"
		ok=0
		break
	fi
	if ! out=$(modprobe "$MODULE" 2>&1) || ! wait_bound "$vdev"; then
		lc_result module-reload fail "cycle $i: $MODULE did not bind $vdev again ${out}"
		ok=0
		break
	fi
done
[ "$ok" = 1 ] && lc_result module-reload pass "$n unload/load cycles of $MODULE"
echo "[vgpu] lifecycle@done" >/dev/kmsg
