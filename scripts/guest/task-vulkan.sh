# Guest task "vulkan" (sourced by init.sh after clients-lib.sh, on the venus
# profile): Vulkan through Venus, each client judged by what it reports. Writes
# $RUN/clients.txt as task-clients.sh does, logs to $RUN/clients-<name>.log:
#  - vulkaninfo: the Venus device is listed;
#  - vkcube: vkcube in weston (Wayland WSI) for VKCUBE_FRAMES frames on Venus;
#  - vkmark: vkmark headless on the Venus device to the end (VKMARK_ARGS picks
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
# lavapipe, the host driver of the machines here, makes its dma-bufs with
# /dev/udmabuf. Without it (HOST_UDMABUF=0, from check.sh) the host's renderer
# stops the context at the first such allocation, and the client aborts
# (SIGABRT, exit status 134). vkcube and vkmark still run; that abort is then
# recorded as a skip, with the reason, and anything else is judged as usual.
# The verdict of a client: name, its verdict command's status, its exit status,
# the detail.
vk_client() {
	if [ "$2" != 0 ] && [ "${HOST_UDMABUF:-1}" = 0 ] && [ "$3" = 134 ]; then
		client_skip "$1" "aborted (exit status 134): the host has no usable /dev/udmabuf, which its Vulkan driver needs to export memory"
	else
		client "$1" "$2" "$4"
	fi
}

echo "[vgpu] clients@vkcube" >/dev/kmsg
start_weston_gl "$RUN/clients-weston-vk.log"
up=$?
shown clients-vkcube 10 300 "$RUN/clients-vkcube.log" \
	env XDG_RUNTIME_DIR=/tmp/xdg WAYLAND_DISPLAY=wayland-vgpu vkcube --wsi wayland --c "$VKCUBE_FRAMES"
rc=$?
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
gpu=$(sed -n 's/^Selected GPU [0-9]*: *//p' "$RUN/clients-vkcube.log" | head -n 1)
[ "$up" = 0 ] && [ "$rc" = 0 ] && case $gpu in *Venus*) true ;; *) false ;; esac
vk_client vkcube $? "$rc" "$VKCUBE_FRAMES frames in weston ($([ "$up" = 0 ] && echo up || echo 'did not come up')) on ${gpu:-no GPU reported}, exit status $rc"

# vkmark picks the first device it likes; the guest has lavapipe too. Headless:
# vkmark 2025.01's KMS window system finds no Venus device it can present with
# ("Device specified by uuid is not available", 2026-12-03).
echo "[vgpu] clients@vkmark" >/dev/kmsg
uuid=$(bounded 120 vkmark --list-devices 2>/dev/null |
	awk '/Device Name:/ { venus = /Venus/ } /Device UUID:/ && venus { print $3; exit }')
# shellcheck disable=SC2086 # VKMARK_ARGS is a list of words
bounded 1200 vkmark --winsys headless --use-device "${uuid:-none}" ${VKMARK_ARGS:-} \
	>"$RUN/clients-vkmark.log" 2>&1
rc=$?
score=$(sed -n 's/.*vkmark Score: *\([0-9]*\).*/\1/p' "$RUN/clients-vkmark.log" | head -n 1)
[ "$rc" = 0 ] && [ -n "$uuid" ] && [ -n "$score" ]
vk_client vkmark $? "$rc" "headless on the Venus device (${uuid:-not listed}): score ${score:-none}, exit status $rc"
echo "[vgpu] clients@vulkan-done" >/dev/kmsg
