# Guest step "clients3d" (sourced by init.sh after task-clients.sh, on the 3D
# device profiles): the clients of a 3D desktop VM, each judged by what it
# reports, and with a screenshot where the result shows on screen. Appends to
# $RUN/clients.txt (client(), task-clients.sh) and logs to $RUN/clients-<name>.log.
#
# gl and venus (virgl):
#  - eglinfo: the GBM platform's OpenGL ES renderer is virgl, not llvmpipe;
#  - kmscube-virgl: kmscube through virgl for KMSCUBE_FRAMES frames, its fps;
#  - weston-gl: weston's DRM backend with the GL renderer on virgl;
#  - glmark2: glmark2-es2-wayland in that weston to the end, its score;
#  - xorg-glamor: Xorg's modesetting driver initializes glamor on virgl and
#    shows an X client (glxgears), whose GLX renderer is virgl too.
# venus, also:
#  - vulkaninfo: the Venus device is listed;
#  - vkcube: vkcube in weston (Wayland WSI) for VKCUBE_FRAMES frames on Venus;
#  - vkmark: vkmark on KMS to the end, its score.
KMSCUBE_FRAMES=${KMSCUBE_FRAMES:-300}
VKCUBE_FRAMES=${VKCUBE_FRAMES:-300}
# /tmp/xdg, weston's runtime directory, is made by task-clients.sh.

# Run "$@" for at most $1 seconds (then SIGTERM, and SIGKILL 5 s
# later); its exit status, 124 when it had to be stopped.
bounded() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@"
}

# Run a client that shows on screen: screenshot name, seconds to wait before the
# screenshot, time limit, log file, then the command. Its exit status.
shown() {
	local shot=$1 after=$2 limit=$3 log=$4 pid
	shift 4
	bounded "$limit" "$@" >"$log" 2>&1 &
	pid=$!
	sleep "$after"
	request_screenshot "$shot"
	wait "$pid"
}

# Whether a renderer string is virgl's (not llvmpipe's, say).
is_virgl() {
	case $1 in virgl*) return 0 ;; *) return 1 ;; esac
}

# Wait up to 30 s for a server's socket: path, the server's pid.
await_socket() {
	for _ in $(seq 300); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

echo "[vgpu] clients@eglinfo" >/dev/kmsg
bounded 120 eglinfo -B -p gbm >"$RUN/clients-eglinfo.log" 2>&1
renderer=$(grep -m1 'OpenGL ES profile renderer:' "$RUN/clients-eglinfo.log" | sed 's/.*renderer: *//')
is_virgl "$renderer"
client eglinfo $? "GBM, OpenGL ES renderer: ${renderer:-none reported}"

if [ "${GPU:-2d}" = venus ]; then
	echo "[vgpu] clients@vulkaninfo" >/dev/kmsg
	bounded 120 vulkaninfo --summary >"$RUN/clients-vulkaninfo.log" 2>&1
	dev=$(grep -m1 'deviceName' "$RUN/clients-vulkaninfo.log" | grep -i venus | sed 's/.*= *//')
	[ -n "$dev" ]
	client vulkaninfo $? "Venus device: ${dev:-none listed}"
fi

echo "[vgpu] clients@kmscube-virgl" >/dev/kmsg
t0=$(date +%s%N)
shown clients-kmscube-virgl 3 300 "$RUN/clients-kmscube-virgl.log" kmscube -D /dev/dri/card0 -c "$KMSCUBE_FRAMES"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
renderer=$(sed -n 's/^ *renderer: *"\(.*\)"$/\1/p' "$RUN/clients-kmscube-virgl.log" | head -n 1)
[ "$rc" = 0 ] && is_virgl "$renderer"
client kmscube-virgl $? "$KMSCUBE_FRAMES frames in $ms ms of guest time ($(( KMSCUBE_FRAMES * 1000 / (ms > 0 ? ms : 1) )) fps) on ${renderer:-no renderer reported}, exit status $rc"

# weston's DRM backend with the GL renderer, and glmark2 (OpenGL ES 2) as its
# client, in a window. Not glmark2-es2-drm: its 2023.01 (Debian) takes the
# connector's largest mode (5120x2160 from QEMU's EDID, not the preferred one)
# with an ARGB8888 primary plane, which virtio-gpu does not offer (EINVAL).
echo "[vgpu] clients@weston-gl" >/dev/kmsg
XDG_RUNTIME_DIR=/tmp/xdg LIBSEAT_BACKEND=builtin weston --backend=drm --renderer=gl \
	--continue-without-input --idle-time=0 --socket=wayland-vgpu \
	--log="$RUN/clients-weston-gl.log" >/dev/null 2>&1 &
wpid=$!
await_socket /tmp/xdg/wayland-vgpu "$wpid"
sleep 2
renderer=$(grep -m1 'GL renderer:' "$RUN/clients-weston-gl.log" | sed 's/.*GL renderer: *//')
kill -0 "$wpid" 2>/dev/null && grep -q "Output '.*' enabled" "$RUN/clients-weston-gl.log" &&
	is_virgl "$renderer"
client weston-gl $? "DRM backend, GL renderer: ${renderer:-none reported}"

echo "[vgpu] clients@glmark2" >/dev/kmsg
# shellcheck disable=SC2086 # GLMARK2_ARGS is a list of words
shown clients-glmark2 8 1200 "$RUN/clients-glmark2.log" \
	env XDG_RUNTIME_DIR=/tmp/xdg WAYLAND_DISPLAY=wayland-vgpu glmark2-es2-wayland ${GLMARK2_ARGS:-}
rc=$?
score=$(sed -n 's/.*glmark2 Score: *\([0-9]*\).*/\1/p' "$RUN/clients-glmark2.log" | head -n 1)
renderer=$(sed -n 's/.*GL_RENDERER: *//p' "$RUN/clients-glmark2.log" | head -n 1)
size=$(sed -n 's/.*Surface Size: *//p' "$RUN/clients-glmark2.log" | head -n 1)
[ "$rc" = 0 ] && [ -n "$score" ] && is_virgl "$renderer"
client glmark2 $? "glmark2-es2-wayland in weston, ${size:-no surface}: score ${score:-none} on ${renderer:-no renderer reported}, exit status $rc"

if [ "${GPU:-2d}" = venus ]; then
	# Vulkan through Venus, presented by weston.
	echo "[vgpu] clients@vkcube" >/dev/kmsg
	shown clients-vkcube 10 300 "$RUN/clients-vkcube.log" \
		env XDG_RUNTIME_DIR=/tmp/xdg WAYLAND_DISPLAY=wayland-vgpu vkcube --wsi wayland --c "$VKCUBE_FRAMES"
	rc=$?
	gpu=$(sed -n 's/^Selected GPU [0-9]*: *//p' "$RUN/clients-vkcube.log" | head -n 1)
	[ "$rc" = 0 ] && case $gpu in *Venus*) true ;; *) false ;; esac
	client vkcube $? "$VKCUBE_FRAMES frames in weston on ${gpu:-no GPU reported}, exit status $rc"
fi
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null

echo "[vgpu] clients@xorg-glamor" >/dev/kmsg
cat >/tmp/xorg-vgpu.conf <<'EOF'
Section "ServerFlags"
	Option "AutoAddDevices" "false"
	Option "AutoEnableDevices" "false"
EndSection
Section "Device"
	Identifier "vgpu"
	Driver "modesetting"
	Option "kmsdev" "/dev/dri/card0"
	Option "AccelMethod" "glamor"
EndSection
EOF
xlog=$RUN/clients-xorg-glamor.log
Xorg :1 -config /tmp/xorg-vgpu.conf -logfile "$xlog" -nolisten tcp -noreset vt2 >/dev/null 2>&1 &
xpid=$!
await_socket /tmp/.X11-unix/X1 "$xpid"
DISPLAY=:1 bounded 60 glxinfo -B >"$RUN/clients-xorg-glxinfo.log" 2>&1
DISPLAY=:1 glxgears >"$RUN/clients-xorg-glxgears.log" 2>&1 &
cpid=$!
sleep 10
request_screenshot clients-xorg-glamor
kill -0 "$cpid" 2>/dev/null
alive=$?
kill "$cpid" "$xpid" 2>/dev/null
wait "$cpid" "$xpid" 2>/dev/null
renderer=$(grep -m1 'OpenGL renderer string:' "$RUN/clients-xorg-glxinfo.log" | sed 's/.*string: *//')
[ "$alive" = 0 ] && grep -q 'glamor initialized' "$xlog" && is_virgl "$renderer"
client xorg-glamor $? "modesetting: $(grep -q 'glamor initialized' "$xlog" && echo 'glamor initialized' || echo 'no glamor'); glxgears $([ "$alive" = 0 ] && echo running || echo exited), GLX renderer: ${renderer:-none reported}"

if [ "${GPU:-2d}" = venus ]; then
	echo "[vgpu] clients@vkmark" >/dev/kmsg
	shown clients-vkmark 20 1200 "$RUN/clients-vkmark.log" vkmark --winsys kms
	rc=$?
	score=$(sed -n 's/.*vkmark Score: *\([0-9]*\).*/\1/p' "$RUN/clients-vkmark.log" | head -n 1)
	[ "$rc" = 0 ] && [ -n "$score" ]
	client vkmark $? "KMS, score ${score:-none}, exit status $rc"
fi
echo "[vgpu] clients@3d-done" >/dev/kmsg
