# Guest step "fences" (sourced by init.sh in the igt task, when the run has
# vgpu-fences, before the lifecycle step): the fences of the driver's transfers
# as a waiter and a DMA-buf importer see them, then a fence held in a sync file
# while the driver's module is unloaded (scripts/fences/vgpu-fences.c). The
# module is loaded again after. Writes "fences@CASE pass|fail|skip detail"
# lines to $RUN/fences.txt.
chmod +x "$RUN/vgpu-fences" 2>/dev/null || :
F=$RUN/fences.txt
echo "[vgpu] fences" >/dev/kmsg
echo "fences@check" >"$RUN/igt-progress"
"$RUN/vgpu-fences" /dev/dri/card0 check >"$F" 2>&1 || :
echo "fences@outlive-module" >"$RUN/igt-progress"
"$RUN/vgpu-fences" /dev/dri/card0 outlive "modprobe -r $MODULE" >>"$F" 2>&1 || :
modprobe "$MODULE" 2>>"$F" || echo "fences@reload fail modprobe $MODULE failed" >>"$F"
for _ in $(seq 50); do
	[ -e /dev/dri/card0 ] && break
	sleep 0.1
done
[ -e /dev/dri/card0 ] || echo "fences@reload fail no /dev/dri/card0 5 s after modprobe $MODULE" >>"$F"
rm -f "$RUN/igt-progress"
while read -r l; do log "fences: $l"; done <"$F"
