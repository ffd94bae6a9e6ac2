# Guest step "clients" (sourced by init.sh, after clients-lib.sh): real KMS clients on the driver,
# each with a screenshot of what it shows. Writes one line per client to
# $RUN/clients.txt, "clients@<name> <pass|fail> <detail>", and its output to
# $RUN/clients-<name>.log:
#  - modetest -s: a mode set with modetest's test pattern;
#  - modetest -v: page flipping, which must report a refresh rate;
#  - kmscube: OpenGL ES through GBM, rendered by Mesa's software rasterizer;
#  - weston: the DRM backend (pixman renderer) starts and shows its desktop.
: >"$CL" # clients-lib.sh

conn=$(modetest -M virtio_gpu -c 2>/dev/null | awk '$3 == "connected" { print $1; exit }')
mode=$(modetest -M virtio_gpu -c 2>/dev/null |
	awk -v c="$conn" '$1 == c { f = 1; next } f && /^  #0 / { print $2; exit }')
echo "[vgpu] clients@modetest" >/dev/kmsg

# modetest waits for a key before it restores the display and exits.
(sleep 3; echo) | modetest -M virtio_gpu -s "$conn:$mode" >"$RUN/clients-modetest.log" 2>&1 &
sleep 2
request_screenshot clients-modetest
wait $!
client modetest $? "-s $conn:$mode, exit status"

# Page flipping: modetest prints the flip rate every 5 seconds.
(sleep 7; echo) | modetest -M virtio_gpu -s "$conn:$mode" -v >"$RUN/clients-modetest-flip.log" 2>&1
rc=$?
freq=$(grep -m1 -o 'freq: [0-9.]*Hz' "$RUN/clients-modetest-flip.log")
[ "$rc" = 0 ] && [ -n "$freq" ]
client modetest-flip $? "-v: ${freq:-no flip rate reported}"

# Software rendering only where the device has no 3D: on the gl and venus
# profiles kmscube runs through virgl (task-clients3d.sh), and with
# LIBGL_ALWAYS_SOFTWARE=1 on virgl's GBM, Mesa 26.2's kmscube segfaults (at
# address 0, with either driver).
if [ "${GPU:-2d}" = 2d ]; then
	echo "[vgpu] clients@kmscube" >/dev/kmsg
	LIBGL_ALWAYS_SOFTWARE=1 kmscube -D /dev/dri/card0 -c 180 >"$RUN/clients-kmscube.log" 2>&1 &
	kpid=$!
	sleep 3
	request_screenshot clients-kmscube
	wait $kpid
	client kmscube $? "180 frames, Mesa software rendering: $(grep -m1 -i 'renderer' "$RUN/clients-kmscube.log" | tr -s ' ' | cut -c1-60)"
fi

echo "[vgpu] clients@weston" >/dev/kmsg
mkdir -p /tmp/xdg && chmod 700 /tmp/xdg
XDG_RUNTIME_DIR=/tmp/xdg LIBSEAT_BACKEND=builtin weston --backend=drm --renderer=pixman \
	--continue-without-input --idle-time=0 --log="$RUN/clients-weston.log" >/dev/null 2>&1 &
wpid=$!
sleep 10
request_screenshot clients-weston
kill -0 "$wpid" 2>/dev/null
alive=$?
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
[ "$alive" = 0 ] && grep -q "Output '.*' enabled" "$RUN/clients-weston.log"
client weston $? "DRM backend, pixman renderer: $(grep -m1 -o "Output '[^']*' enabled[^)]*" "$RUN/clients-weston.log" || echo 'no output enabled')"
echo "[vgpu] clients@done" >/dev/kmsg
