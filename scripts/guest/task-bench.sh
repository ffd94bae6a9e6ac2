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

# Probe time: the module's init call, which registers the virtio driver and so
# probes the device and registers the DRM device before it returns, timed by
# the kernel itself (initcall_debug: "initcall ... returned 0 after N usecs").
# This kernel has no tracepoints, so the parameter works without a reboot.
echo 1 >/sys/module/kernel/parameters/initcall_debug
for i in $(seq "$runs"); do
	modprobe -r "$MODULE" || break
	echo "vgpu-bench: probe run $i" >/dev/kmsg
	modprobe "$MODULE" || break
	echo "run $i" >>"$B"
	dmesg | awk -v mod="[$MODULE]" -v mark="vgpu-bench: probe run $i" '
		index($0, mark) { us = ""; ret = "" }
		/initcall / && index($0, mod) && / returned / { us = $(NF - 1); ret = $(NF - 3) }
		END {
			if (us == "") print "probe_ms n/a no initcall line for " mod
			else if (ret != 0) print "probe_ms n/a init returned " ret
			else printf "probe_ms %.3f ms\n", us / 1000
		}' >>"$B"
done
echo 0 >/sys/module/kernel/parameters/initcall_debug
echo done >"$RUN/bench.status"
