# Guest step "clients3d" (sourced by init.sh after clients-lib.sh and
# task-clients.sh, on the 3D device profiles): the clients of a 3D desktop VM,
# each judged by what it reports, and with a screenshot where the result shows
# on screen. Appends to $RUN/clients.txt (client(), clients-lib.sh) and logs to
# $RUN/clients-<name>.log.
#
# gl and venus (virgl):
#  - eglinfo: the GBM platform's OpenGL ES renderer is virgl, not llvmpipe;
#  - kmscube-virgl: kmscube through virgl for KMSCUBE_FRAMES frames, its fps;
#  - weston-gl: weston's DRM backend with the GL renderer on virgl;
#  - glmark2: glmark2-es2-wayland in that weston to the end, its score;
#  - xorg-glamor: Xorg's modesetting driver initializes glamor on virgl and
#    shows an X client (glxgears), whose GLX renderer is virgl too.
# Venus's Vulkan clients run in a guest of their own (task-vulkan.sh).
KMSCUBE_FRAMES=${KMSCUBE_FRAMES:-300}

echo "[vgpu] clients@eglinfo" >/dev/kmsg
bounded 120 eglinfo -B -p gbm >"$RUN/clients-eglinfo.log" 2>&1
renderer=$(grep -m1 'OpenGL ES profile renderer:' "$RUN/clients-eglinfo.log" | sed 's/.*renderer: *//')
is_virgl "$renderer"
client eglinfo $? "GBM, OpenGL ES renderer: ${renderer:-none reported}"

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
start_weston_gl "$RUN/clients-weston-gl.log"
up=$?
renderer=$(grep -m1 'GL renderer:' "$RUN/clients-weston-gl.log" | sed 's/.*GL renderer: *//')
[ "$up" = 0 ] && grep -q "Output '.*' enabled" "$RUN/clients-weston-gl.log" && is_virgl "$renderer"
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

echo "[vgpu] clients@3d-done" >/dev/kmsg
