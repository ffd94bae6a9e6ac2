# Guest task "bench" (sourced by init.sh): run the benchmark program
# $BENCH_RUNS times against the loaded driver, then time $BENCH_RUNS module
# reloads. Writes "run N" headers and "figure value unit" lines to
# $RUN/bench.txt, and "done" to $RUN/bench.status when complete.

B=$RUN/bench.txt
: >"$B"
runs=${BENCH_RUNS:-5}
chmod +x "$RUN/vgpu-bench" 2>/dev/null

for i in $(seq "$runs"); do
	echo "run $i" >>"$B"
	"$RUN/vgpu-bench" /dev/dri/card0 >>"$B" 2>"$RUN/bench-$i.err" ||
		log "bench: run $i failed: $(tail -n 3 "$RUN/bench-$i.err")"
done

# The floor: the device's cheapest round trip (GET_DISPLAY_INFO), timed by the
# driver itself in a debugfs file (CONFIG_DRM_VIRTIO_GPU_RS_BENCH; the Rust driver
# only, the C driver has no such file). One line per run, 200 round trips each.
floor=$(ls /sys/kernel/debug/virtio_gpu_rs-*/round_trip 2>/dev/null | head -n 1)
for i in $(seq "$runs"); do
	echo "run $i" >>"$B"
	if [ -z "$floor" ]; then
		echo "device_round_trip_us n/a no round-trip file in debugfs" >>"$B"
		continue
	fi
	awk '$1 == "round_trips" { printf "device_round_trip_us %.2f us\n", $4 / 1000 }
		$1 == "error" { print "device_round_trip_us n/a " $0 }' "$floor" >>"$B"
done

# Probe time: from the start of modprobe until the DRM device node exists.
# It includes loading the module; the driver's probe is most of it.
for i in $(seq "$runs"); do
	modprobe -r "$MODULE" || break
	t0=$(date +%s%N)
	modprobe "$MODULE" || break
	for _ in $(seq 5000); do
		[ -e /dev/dri/card0 ] && break
		sleep 0.001
	done
	t1=$(date +%s%N)
	echo "run $i" >>"$B"
	d=$(( (t1 - t0) / 1000 )) # microseconds
	printf 'probe_ms %d.%03d ms\n' $((d / 1000)) $((d % 1000)) >>"$B"
done
echo done >"$RUN/bench.status"
