# Guest task "vulkan" (sourced by init.sh after clients-lib.sh, on the venus
# profile): Vulkan through Venus, each client judged by what it reports. Writes
# $RUN/clients.txt as task-clients.sh does, logs to $RUN/clients-<name>.log:
#  - vulkaninfo: the Venus device is listed;
#  - vkcube: vkcube in weston (Wayland WSI) for VKCUBE_FRAMES frames on Venus;
#  - vkmark: vkmark on KMS on the Venus device to the end (VKMARK_ARGS picks
#    the scenes), its score.
# check.sh runs this guest on TCG's host clock, not under -icount: with -icount,
# Venus's command ring stops after the first commands (docs/testing.md).
VKCUBE_FRAMES=${VKCUBE_FRAMES:-300}
: >"$CL"

# The name of the Venus device in a Vulkan client's log, if it names one.
venus_device() {
	grep -o 'Virtio-GPU Venus[^"]*' "$1" | head -n 1
}

echo "[vgpu] clients@vulkaninfo" >/dev/kmsg
bounded 120 vulkaninfo --summary >"$RUN/clients-vulkaninfo.log" 2>&1
rc=$?
dev=$(venus_device "$RUN/clients-vulkaninfo.log")
[ "$rc" = 0 ] && [ -n "$dev" ]
client vulkaninfo $? "device: ${dev:-no Venus device listed}, exit status $rc"

# Vulkan memory the guest maps, and every image a window system presents, is
# host memory that the host's Vulkan driver exports as a dma-buf; Mesa's
# lavapipe, the host driver here, makes its dma-bufs with /dev/udmabuf. Without
# it (HOST_UDMABUF=0, from check.sh) the first such allocation makes the host's
# renderer stop the context, and the client aborts: vkcube and vkmark are then
# skipped, with the reason, rather than failed.
if [ "${HOST_UDMABUF:-1}" = 0 ]; then
	why="the host has no /dev/udmabuf, which its Vulkan driver (lavapipe) needs to export memory"
	client_skip vkcube "$why"
	client_skip vkmark "$why"
	echo "[vgpu] clients@vulkan-done" >/dev/kmsg
	return 0
fi

echo "[vgpu] clients@vkcube" >/dev/kmsg
start_weston_gl "$RUN/clients-weston-vk.log"
shown clients-vkcube 10 300 "$RUN/clients-vkcube.log" \
	env XDG_RUNTIME_DIR=/tmp/xdg WAYLAND_DISPLAY=wayland-vgpu vkcube --wsi wayland --c "$VKCUBE_FRAMES"
rc=$?
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
gpu=$(sed -n 's/^Selected GPU [0-9]*: *//p' "$RUN/clients-vkcube.log" | head -n 1)
[ "$rc" = 0 ] && case $gpu in *Venus*) true ;; *) false ;; esac
client vkcube $? "$VKCUBE_FRAMES frames in weston on ${gpu:-no GPU reported}, exit status $rc"

# vkmark picks the first device it likes; the guest has lavapipe too.
echo "[vgpu] clients@vkmark" >/dev/kmsg
uuid=$(vkmark --list-devices 2>/dev/null |
	awk '/Device Name:/ { venus = /Venus/ } /Device UUID:/ && venus { print $3; exit }')
# shellcheck disable=SC2086 # VKMARK_ARGS is a list of words
shown clients-vkmark 20 1200 "$RUN/clients-vkmark.log" \
	vkmark --winsys kms --use-device "${uuid:-none}" ${VKMARK_ARGS:-}
rc=$?
score=$(sed -n 's/.*vkmark Score: *\([0-9]*\).*/\1/p' "$RUN/clients-vkmark.log" | head -n 1)
[ "$rc" = 0 ] && [ -n "$uuid" ] && [ -n "$score" ]
client vkmark $? "KMS on the Venus device (${uuid:-not listed}): score ${score:-none}, exit status $rc"
echo "[vgpu] clients@vulkan-done" >/dev/kmsg
