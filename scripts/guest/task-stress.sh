# Guest step "stress" (sourced by init.sh, on the debug kernel): the driver
# under failure and under unplug.
#
#  - faults: vgpu-faults makes every allocation of each driver call fail in
#    turn (fail-nth over failslab and fail_page_alloc): buffer creation,
#    framebuffers, modesets, plane updates, flips, damage, cursor, open/close;
#  - rebind-under-load: $REBIND_CYCLES (default 100) sysfs unbind/bind cycles
#    of the device while $REBIND_CLIENTS (default 2) fuzzer clients keep
#    opening the device and calling ioctls on it (reopening it every 64
#    operations, which also bounds the buffers each holds).
#
# Each is marked in the kernel log ("[vgpu] stress@<name>") so the host's log
# check attributes any report to it; kmemleak runs afterwards (task-lifecycle.sh).
# Writes "name pass|fail detail" lines to $RUN/stress.txt.

ST=$RUN/stress.txt
touch "$ST"
st_result() { echo "$1 $2 ${3:-}" >>"$ST"; log "stress: $1 $2 ${3:-}"; }
# A step runs once per run: after a reboot (it crashed or hung the guest, and
# the host recorded it so in igt-results.txt) it is reported, not run again.
st_todo() {
	grep -q "^$1 " "$ST" && return 1
	if grep -q "^stress@$1 " "$RUN/igt-results.txt" 2>/dev/null; then
		st_result "$1" fail "$(grep "^stress@$1 " "$RUN/igt-results.txt" | awk '{ print $2 }') (recorded by the host)"
		return 1
	fi
	return 0
}

# Fault injection: fail-nth counts the fail points of failslab and
# fail_page_alloc; by default both leave sleeping (GFP_KERNEL) allocations and
# order-0 pages alone, which is nearly everything a driver allocates.
FI=/sys/kernel/debug
if ! st_todo faults; then
	:
elif [ -e /proc/self/fail-nth ] && [ -d "$FI/failslab" ] && [ -d "$FI/fail_page_alloc" ]; then
	for attr in failslab fail_page_alloc; do
		echo N >"$FI/$attr/ignore-gfp-wait"
		echo 0 >"$FI/$attr/verbose" # the host reads the log; a stack per fault drowns it
	done
	echo N >"$FI/fail_page_alloc/ignore-gfp-highmem"
	echo 0 >"$FI/fail_page_alloc/min-order"
	echo "[vgpu] stress@faults" >/dev/kmsg
	echo "stress@faults" >"$RUN/igt-progress"
	chmod +x "$RUN/vgpu-faults"
	"$RUN/vgpu-faults" /dev/dri/card0 >"$RUN/faults.txt" 2>"$RUN/faults.err"
	rc=$?
	while read -r _ name result _ sites _ errnos why; do
		st_result "faults@$name" "$result" "$sites faults injected, errnos $errnos${why:+, $why}"
	done < <(grep '^case ' "$RUN/faults.txt")
	st_result faults "$([ "$rc" = 0 ] && echo pass || echo fail)" \
		"exit $rc: $(sed -n 's/^faults //p' "$RUN/faults.txt") faults injected in $(grep -c '^case ' "$RUN/faults.txt") cases$(
			[ "$rc" = 0 ] || echo "; $(tail -n 1 "$RUN/faults.err")")"
else
	st_result faults fail "no fault injection in this kernel (fail-nth, failslab, fail_page_alloc)"
fi

# Unbind/bind while clients use the device.
drv_dir=/sys/bus/virtio/drivers/$VIRTIO_DRIVER
vdev=
for d in "$drv_dir"/virtio*; do
	[ -e "$d" ] && vdev=$(basename "$d") && break
done
# Bound again means a DRM device again; while the clients hold the old one,
# the new one gets another minor (card1, ...).
wait_bound() { # wait up to 20 s (a debug kernel under TCG) for $vdev to be bound
	for _ in $(seq 200); do
		[ -e "$drv_dir/$vdev" ] && ls /dev/dri/card* >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
if ! st_todo rebind-under-load; then
	:
elif [ -z "$vdev" ]; then
	st_result rebind-under-load fail "$VIRTIO_DRIVER is not bound to any virtio device"
else
	cycles=${REBIND_CYCLES:-100}
	echo "[vgpu] stress@rebind-under-load" >/dev/kmsg
	echo "stress@rebind-under-load" >"$RUN/igt-progress"
	chmod +x "$RUN/vgpu-fuzz"
	pids=
	for c in $(seq "${REBIND_CLIENTS:-2}"); do
		VGPU_FUZZ_REOPEN=64 VGPU_FUZZ_SKIP=${FUZZ_SKIP:-} \
			"$RUN/vgpu-fuzz" "$((1000 + c))" 1000000000 '/dev/dri/card*' \
			>"$RUN/rebind-client-$c.txt" 2>&1 &
		pids="$pids $!"
	done
	# Memory kmemleak cannot see: pages (GEM buffers are shmem) still held once
	# the clients are gone.
	mem() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
	shmem0=$(mem Shmem) free0=$(mem MemAvailable)
	t0=$(date +%s)
	why=
	i=0
	for i in $(seq "$cycles"); do
		if ! echo "$vdev" >"$drv_dir/unbind" || [ -e "$drv_dir/$vdev" ]; then
			why="cycle $i: unbind failed or left $vdev bound"
			break
		fi
		sleep 0.$((RANDOM % 5))
		if ! echo "$vdev" >"$drv_dir/bind" || ! wait_bound; then
			why="cycle $i: $vdev was not bound again"
			break
		fi
		sleep 0.$((RANDOM % 5))
	done
	# The clients must end when told: one stuck in the kernel is a hang.
	kill -TERM $pids 2>/dev/null
	for _ in $(seq 100); do
		alive=
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && alive="$alive $p"
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	if [ -n "$alive" ]; then
		for p in $alive; do
			log "stress: client $p did not end: $(cat /proc/"$p"/stack 2>/dev/null | tr '\n' ' ')"
		done
		kill -KILL $alive 2>/dev/null
		why="${why:+$why; }clients$alive did not end within 10 s of SIGTERM"
	fi
	# Not a bare wait: a client stuck in the kernel outlives SIGKILL.
	[ -z "$alive" ] && wait $pids 2>/dev/null
	# Each client must have ended by itself and reported, having called ioctls
	# and reopened the device: one killed (by the OOM killer, say), crashed or
	# stuck waiting for the device measured nothing.
	for c in $(seq "${REBIND_CLIENTS:-2}"); do
		f=$RUN/rebind-client-$c.txt
		if ! grep -q '^calls ' "$f"; then
			why="${why:+$why; }client $c ended without its report: $(tail -n 1 "$f")"
		elif ! awk '$1 == "calls" && $2 > 0 { c = 1 } $1 == "reopens" && $2 > 0 { r = 1 } END { exit !(c && r) }' "$f"; then
			why="${why:+$why; }client $c made no calls or never reopened the device"
		fi
	done
	sleep 2
	shmem1=$(mem Shmem) free1=$(mem MemAvailable)
	log "stress: rebind-under-load: Shmem $shmem0 -> $shmem1 kB, MemAvailable $free0 -> $free1 kB"
	calls=$(cat "$RUN"/rebind-client-*.txt | awk '$1 == "calls" { n += $2 } END { print n + 0 }')
	reopens=$(cat "$RUN"/rebind-client-*.txt | awk '$1 == "reopens" { n += $2 } END { print n + 0 }')
	detail="$i cycles in $(($(date +%s) - t0)) s, ${REBIND_CLIENTS:-2} clients: $calls ioctls, $reopens reopens, Shmem $shmem0 -> $shmem1 kB"
	if [ -z "$why" ] && [ "$i" = "$cycles" ]; then
		st_result rebind-under-load pass "$detail"
	else
		st_result rebind-under-load fail "$detail; $why"
	fi
fi
echo "[vgpu] stress@done" >/dev/kmsg
rm -f "$RUN/igt-progress"
