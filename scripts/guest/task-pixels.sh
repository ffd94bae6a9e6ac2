# Guest step "pixels" (sourced by init.sh): put a known pattern on the display
# through each format of the primary plane, and one damaged rectangle, asking
# the host for a screendump of each (scripts/pixels/vgpu-pixels.c). The host
# compares them with the pattern afterwards (scripts/pixels-check.py).
if [ -x "$RUN/vgpu-pixels" ] || chmod +x "$RUN/vgpu-pixels" 2>/dev/null; then
	echo "[vgpu] pixels" >/dev/kmsg
	"$RUN/vgpu-pixels" "$RUN" /dev/dri/card0 >"$RUN/pixels.log" 2>&1 ||
		log "pixels: $(tail -n 1 "$RUN/pixels.log")"
fi
