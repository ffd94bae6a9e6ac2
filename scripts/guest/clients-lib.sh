# Helpers of the client steps (sourced by init.sh before task-clients.sh,
# task-clients3d.sh and task-vulkan.sh). client() and client_skip() append a
# line "clients@<name> <pass|fail|skip> <detail>" to $CL, which the first step
# of a guest empties.
CL=$RUN/clients.txt

client() { # name, verdict command, detail
	local name=$1 ok=$2 detail=$3
	if [ "$ok" = 0 ]; then
		echo "clients@$name pass $detail" >>"$CL"
	else
		echo "clients@$name fail $detail" >>"$CL"
	fi
	log "clients: $(tail -n 1 "$CL")"
}

client_skip() { # name, why it cannot run here
	echo "clients@$1 skip $2" >>"$CL"
	log "clients: $(tail -n 1 "$CL")"
}

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

# Start weston's DRM backend with the GL renderer on socket wayland-vgpu, its log
# in $1; its pid in $wpid. Whether it came up.
start_weston_gl() {
	mkdir -p /tmp/xdg && chmod 700 /tmp/xdg
	XDG_RUNTIME_DIR=/tmp/xdg LIBSEAT_BACKEND=builtin weston --backend=drm --renderer=gl \
		--continue-without-input --idle-time=0 --socket=wayland-vgpu \
		--log="$1" >/dev/null 2>&1 &
	wpid=$!
	await_socket /tmp/xdg/wayland-vgpu "$wpid" && sleep 2 && kill -0 "$wpid" 2>/dev/null
}
