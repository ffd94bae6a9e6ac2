#!/usr/bin/env bash
# make bench: boot the same kernel and root filesystem twice, with the C driver
# then with the Rust one, run the same benchmark program (scripts/bench/,
# DRM uapi only) $BENCH_RUNS times in each, and print one table of medians and
# Rust/C ratios. Writes out/bench.md and out/bench.png (the latter for docs/).
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-$TOP/out}
RUNS=${BENCH_RUNS:-5}
MPL_VERSION=3.9.4
bin=$OUT/bench/vgpu-bench

# The plot needs matplotlib; it lives with the other tools, not in the system.
export PYTHONPATH=$TOOLS_DIR/py${PYTHONPATH:+:$PYTHONPATH}
if ! python3 -c "import matplotlib" 2>/dev/null; then
	say "fetching matplotlib $MPL_VERSION from PyPI (for the plot)"
	HINT="is PyPI reachable?" logged "$CACHE/logs/bench-pip.log" \
		python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS_DIR/py" \
		"matplotlib==$MPL_VERSION"
fi

say "building the benchmark program (C on libdrm)"
build_guest_program "$TOP/scripts/bench/vgpu-bench.c" "$bin"

# Under TCG the guest runs with QEMU's -icount and one CPU: while the CPU runs,
# guest time counts its instructions, 2^BENCH_ICOUNT ns each; while it idles,
# waiting for the device or a timer, guest time follows host time. So a figure
# counts the work the driver makes the guest do, plus the device's own time,
# and not how busy the 2-core host happened to be: without -icount, cursor
# moves and GETRESOURCES spread by ±30-80% within one run of five. One CPU,
# because -icount runs the CPUs in turn on one clock: with two, a task is
# charged for what the other CPU ran meanwhile (ratios moved by up to 8%
# between two runs). BENCH_ICOUNT=off: plain multi-threaded TCG, two CPUs.
icount=${BENCH_ICOUNT:-1}
guest_args=()
if [ "${KVM:-0}" = 1 ]; then
	guest_args+=(--kvm)
elif [ "$icount" != off ]; then
	guest_args+=(--icount "$icount" --smp 1)
fi
for drv in c rust; do
	say "running the benchmarks on the $drv driver ($RUNS runs)"
	python3 "$TOP/scripts/run-guest.py" --driver "$drv" --task bench --run-dir "$OUT/bench-$drv" \
		--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" --file "$bin" --env "BENCH_RUNS=$RUNS" \
		--timeout "${BENCH_TIMEOUT:-1500}" "${guest_args[@]}" ||
		die "the $drv benchmark run failed; see $OUT/bench-$drv/console.log"
	[ -f "$OUT/bench-$drv/bench.status" ] || die "the $drv benchmark did not finish"
	# Module text size, from the build tree (the staged modules are stripped).
	ko=$BUILD_DIR/drivers/gpu/drm/$([ "$drv" = c ] && echo virtio/virtio-gpu.ko || echo virtio_rs/virtio_gpu_rs.ko)
	{ echo "run 1"; python3 "$TOP/scripts/module-text.py" "$ko"; } >>"$OUT/bench-$drv/bench.txt"
done

qemu=$(qemu-system-x86_64 --version | head -n1 | awk '{ print $4 }')
accel=$([ "${KVM:-0}" = 1 ] && echo KVM || echo TCG)
[ "$icount" != off ] && [ "${KVM:-0}" != 1 ] && accel="TCG -icount shift=$icount, 1 CPU"
title="# virtio-gpu benchmark: Rust vs C ($(date -u +%Y-%m-%d), Linux $(cat "$STAGE_DIR/release"), QEMU $qemu, $accel, $RUNS runs)"
# Each run keeps its ratios, and the next one says how far each moved since:
# the reproducibility of the table. The note names the previous run by its
# title, which holds the accelerator and the number of runs.
prev=$OUT/bench-ratios.json
rm -f "$OUT/bench-ratios.previous.json"
[ -f "$prev" ] && mv "$prev" "$OUT/bench-ratios.previous.json"
python3 "$TOP/scripts/bench-report.py" --c "$OUT/bench-c" --rust "$OUT/bench-rust" \
	--out "$OUT/bench.md" --title "$title" --ratios-out "$prev" \
	--previous "$OUT/bench-ratios.previous.json"
done_in "table: $OUT/bench.md, plot: $OUT/bench.png"
