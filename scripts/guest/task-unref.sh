# Guest step "unref" (sourced by init.sh in the igt task, when the run has
# vgpu-unref: the Rust driver): an object whose RESOURCE_UNREF times out must
# leave its pages to the request until the device answers
# (scripts/faults/vgpu-unref.c, through the driver's fault points in debugfs).
# Writes "unref-timeout pass|fail detail" to $RUN/unref.txt.
chmod +x "$RUN/vgpu-unref" 2>/dev/null || :
dir=$(ls -d /sys/kernel/debug/virtio_gpu_rs-* 2>/dev/null | head -n 1)
if [ -n "$dir" ] && [ -e "$dir/unref_timeouts" ]; then
	echo "[vgpu] unref" >/dev/kmsg
	"$RUN/vgpu-unref" /dev/dri/card0 "$dir" >"$RUN/unref.txt" 2>&1 || :
	log "unref: $(tail -n 1 "$RUN/unref.txt")"
else
	echo "unref-timeout fail no fault points in debugfs (CONFIG_DRM_VIRTIO_GPU_RS_FAULTS)" >"$RUN/unref.txt"
fi
