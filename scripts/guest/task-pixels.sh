# Guest step "pixels" (sourced by init.sh): put a known pattern on the display
# through each format of the primary plane, and one damaged rectangle, asking
# the host for a screendump of each (scripts/pixels/vgpu-pixels.c). The host
# compares them with the pattern afterwards (scripts/pixels-check.py).
if [ -x "$RUN/vgpu-pixels" ] || chmod +x "$RUN/vgpu-pixels" 2>/dev/null; then
	echo "[vgpu] pixels" >/dev/kmsg
	"$RUN/vgpu-pixels" "$RUN" /dev/dri/card0 >"$RUN/pixels.log" 2>&1 ||
		log "pixels: $(tail -n 1 "$RUN/pixels.log")"
fi
# Slots of the kernel's bounce buffers in use now (the framebuffer console's
# buffer stays mapped): not 0 under swiotlb=force, which the host checks there.
cat /sys/kernel/debug/swiotlb/io_tlb_used >"$RUN/swiotlb-used.txt" 2>/dev/null || :
