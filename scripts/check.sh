#!/usr/bin/env bash
# Run the test suites against one driver and print the verdict:
#  - guest checks: the driver module loaded; the Rust driver's KUnit suites
#    passed; 20 sysfs unbind/bind and 20 module
#    unload/reload cycles leave the driver bound; the kernel log holds no
#    unexpected splat;
#  - IGT: every subtest of igt/testlist.txt, compared with igt/<driver>-*.txt;
#    an unexpected result runs once more, alone (as expected then: a flake).
# Ends with the line "N passed, N failed, N skipped"; exit status 1 on any failure.
. "$(dirname "$0")/lib.sh"

DRIVER=${DRIVER:-rust}
OUT=${OUT:-$TOP/out}
# The device profile (scripts/run-guest.py --gpu): 2d (default, virtio-gpu-pci of
# the host's QEMU), gl or venus (QEMU 10 from scripts/qemu3d.sh, on an Xvfb).
GPU=${GPU:-2d}
case $GPU in
2d | gl | venus) ;;
*) die "GPU=$GPU is not a device profile: use 2d (default), gl or venus" ;;
esac
expect=$TOP/igt/virtio_gpu_$DRIVER
run_name=$DRIVER$([ "$VARIANT" = debug ] && echo -debug || :)
if [ "$GPU" != 2d ]; then
	# Each 3D profile has its own results, and its own expectations once they
	# are recorded (igt/virtio_gpu_<driver>-<gpu>-*.txt); until then, the 2D ones.
	run_name=$run_name-$GPU
	if ls "$expect-$GPU"-*.txt >/dev/null 2>&1; then
		expect=$expect-$GPU
	else
		say "GPU=$GPU: no igt/virtio_gpu_$DRIVER-$GPU-*.txt yet; judging with the 2D expectations"
	fi
	"$TOP/scripts/qemu3d.sh" # cached: "up to date" when it is
fi
run=$OUT/igt-$run_name
# IGT_TESTLIST=<file> runs those binaries instead of igt/testlist.txt, and judges
# only their subtests (the pixel, client, lifecycle and stress checks still run).
# A baseline recorded from part of the list says which ("# testlist: " in its
# results file): that part is what it can judge, and what runs by default.
recorded_list=$(sed -n 's/^# testlist: //p' "$expect-results.txt" 2>/dev/null | head -n 1)
if [ -z "${IGT_TESTLIST:-}" ] && [ -n "$recorded_list" ]; then
	say "the expectations igt/$(basename "$expect")-*.txt were recorded from $recorded_list only: running that list"
	IGT_TESTLIST=$TOP/$recorded_list
fi
testlist=${IGT_TESTLIST:-$TOP/igt/testlist.txt}
[ -f "$testlist" ] || die "IGT_TESTLIST=$testlist: no such file"
# The 3D profiles add the tests of igt/testlist-3d.txt (syncobj, sync_file,
# prime), which mean something only on a device with 3D.
mkdir -p "$OUT"
if [ "$GPU" != 2d ] && [ -z "${IGT_TESTLIST:-}" ]; then
	cat "$TOP/igt/testlist.txt" "$TOP/igt/testlist-3d.txt" | awk '!seen[$0]++' >"$OUT/igt-testlist-$GPU.txt"
	testlist=$OUT/igt-testlist-$GPU.txt
fi
# On the debug kernel every kernel report is a failure: no splat is expected.
splats=$expect-kernel-splats.txt
[ "$VARIANT" = debug ] && splats=/dev/null

passed=0 failed=0 skipped=0
extra_logs=()

# The harness's own tests first: the verdict below is only as good as they are.
ut_out=$(python3 -m unittest discover -s "$TOP/scripts/tests" 2>&1) && ut_rc=0 || ut_rc=$?
ut_ran=$(sed -n 's/^Ran \([0-9]*\) test.*/\1/p' <<<"$ut_out")
ut_fail=$(sed -n 's/^FAILED.*failures=\([0-9]*\).*/\1/p' <<<"$ut_out")
ut_err=$(sed -n 's/^FAILED.*errors=\([0-9]*\).*/\1/p' <<<"$ut_out")
ut_bad=$(( ${ut_fail:-0} + ${ut_err:-0} ))
[ "$ut_rc" = 0 ] || [ "$ut_bad" != 0 ] || ut_bad=1
[ "$ut_rc" = 0 ] || echo "$ut_out" >&2
say "harness self-tests: ${ut_ran:-0} run, $ut_bad failed"
passed=$((passed + ${ut_ran:-0} - ut_bad)) failed=$((failed + ut_bad))

# The abstractions' compile-fail cases (rust/compile-fail/): each misuse the types must
# refuse is built as a module against this kernel, and must fail with exactly the error its
# markers name. They test rust/, whichever driver the guest runs; only with the Rust driver,
# as KUnit.
if [ "$DRIVER" = rust ]; then
	cf_out=$(python3 "$TOP/scripts/compile-fail.py" --src "$SRC_DIR" --build "$BUILD_DIR" \
		--cases "$TOP/rust/compile-fail" --work "$CACHE/compile-fail" 2>&1) || :
	cf_cases=$(ls "$TOP"/rust/compile-fail/*.rs | wc -l)
	cf_pass=$(grep -c '^pass ' <<<"$cf_out" || :)
	grep -v '^pass ' <<<"$cf_out" | sed 's/^/[check] compile-fail: /' || :
	say "compile-fail cases: $cf_pass of $cf_cases as marked (refused, or built for pass_*; logs: $CACHE/compile-fail/)"
	passed=$((passed + cf_pass)) failed=$((failed + cf_cases - cf_pass))
fi

# The guest's clock counts instructions, not host time (QEMU -icount, one CPU),
# so that a timing assertion of IGT's ("the vblank wait returned within 500 us")
# measures the work the driver makes the guest do, and not how fast or how busy
# the host is. While the CPU runs, guest time advances 2^CHECK_ICOUNT ns per
# instruction; while it idles (a timer, the device), it follows host time.
# One CPU, because -icount runs every CPU in turn on one clock: with two, one
# CPU's task is charged for what the other ran, in slices of 100 ms.
# CHECK_ICOUNT=off: plain multi-threaded TCG on CHECK_SMP (then 2) CPUs, whose
# verdict depends on the host; KVM=1: KVM.
CHECK_ICOUNT=${CHECK_ICOUNT:-1}
if [ "${KVM:-0}" = 1 ]; then
	smp=${CHECK_SMP:-2} clock=KVM
	guest_args=(--kvm --smp "$smp")
elif [ "$CHECK_ICOUNT" = off ]; then
	smp=${CHECK_SMP:-2} clock="TCG, host clock"
	guest_args=(--smp "$smp")
else
	smp=${CHECK_SMP:-1} clock="TCG -icount shift=$CHECK_ICOUNT"
	guest_args=(--icount "$CHECK_ICOUNT" --smp "$smp")
fi

[ "$GPU" = 2d ] || guest_args+=(--gpu "$GPU")
# glmark2 on the 3D profiles (task-clients3d.sh): its default scenes, each for
# 1 s of guest time (about 7 min of host time under TCG with virgl on llvmpipe);
# GLMARK2_ARGS="-b build" etc. for fewer.
[ "$GPU" = 2d ] || guest_args+=(--env "GLMARK2_ARGS=${GLMARK2_ARGS:--b :duration=1}")
# The clock, CPUs and device alone, for the guests of a single check (below).
clock_args=("${guest_args[@]}")

# On the debug kernel, the ioctl fuzzer runs after IGT with a fixed list of
# seeds (each a reproducible sequence of calls).
FUZZ_SEEDS=${FUZZ_SEEDS-1 2 3 4 5} # FUZZ_SEEDS= (empty): no fuzzer seeds
FUZZ_CALLS=${FUZZ_CALLS:-20000}
# Then the stress step (scripts/guest/task-stress.sh): systematic fault
# injection into the driver's calls, and unbind/bind under load.
if [ "$VARIANT" = debug ]; then
	build_guest_program "$TOP/scripts/fuzz/vgpu-fuzz.c" "$OUT/fuzz/vgpu-fuzz"
	build_guest_program "$TOP/scripts/faults/vgpu-faults.c" "$OUT/faults/vgpu-faults"
	guest_args+=(--file "$OUT/fuzz/vgpu-fuzz" --env "FUZZ_SEEDS=$FUZZ_SEEDS" --env "FUZZ_CALLS=$FUZZ_CALLS"
		--env "FUZZ_SKIP=${FUZZ_SKIP:-}" --file "$OUT/faults/vgpu-faults"
		--env "REBIND_CYCLES=${REBIND_CYCLES:-100}" "${DEBUG_GUEST_ARGS[@]}")
fi

# Pixel truth, after IGT: the guest draws a known pattern through each format of
# the primary plane and one damaged rectangle; the host compares its screendumps.
build_guest_program "$TOP/scripts/pixels/vgpu-pixels.c" "$OUT/pixels/vgpu-pixels"
guest_args+=(--file "$OUT/pixels/vgpu-pixels")
# The Rust driver's fault points (debugfs): an UNREF that times out leaves the
# object's pages to the request until the device answers.
if [ "$DRIVER" = rust ]; then
	build_guest_program "$TOP/scripts/faults/vgpu-unref.c" "$OUT/faults/vgpu-unref"
	guest_args+=(--file "$OUT/faults/vgpu-unref")
fi

# The fences of the driver's transfers, seen by a waiter and through a DMA-buf,
# and one that outlives the module (scripts/guest/task-fences.sh). On the 2D
# profile for now, where both drivers have a baseline of it.
if [ "$GPU" = 2d ]; then
	build_guest_program "$TOP/scripts/fences/vgpu-fences.c" "$OUT/fences/vgpu-fences"
	guest_args+=(--file "$OUT/fences/vgpu-fences")
fi

say "running IGT on the $DRIVER driver, $VARIANT kernel, $clock, $smp CPU(s)$([ "$GPU" = 2d ] || echo ", GPU=$GPU") ($(grep -cv '^\s*\(#\|$\)' "$testlist") tests; results: $run/igt-results.txt)"
guest_rc=0
python3 "$TOP/scripts/run-guest.py" --driver "$DRIVER" --task igt --run-dir "$run" \
	--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" \
	--testlist "$testlist" --skips "$expect-skips.txt" \
	--timeout "${CHECK_TIMEOUT:-5000}" --test-timeout "${IGT_TEST_TIMEOUT:-300}" \
	--stall $(( ${IGT_TEST_TIMEOUT:-300} + 120 )) "${guest_args[@]}" || guest_rc=$?
cp "$run/igt-results.txt" "$OUT/igt-$run_name.txt" 2>/dev/null || : >"$OUT/igt-$run_name.txt"
# The screendumps against the pattern (scripts/pixels-check.py), judged with the
# IGT subtests: each is a line "pixels@<check> <result>" of the results, so the
# expectation files hold them too.
while read -r result name detail; do
	say "pixels: $result $name: $detail"
	echo "$name $result 0" >>"$OUT/igt-$run_name.txt"
done < <(python3 "$TOP/scripts/pixels-check.py" "$run" || :)
# The fences step's cases, judged with the IGT subtests ("fences@<case> <result>").
# Not run on the 3D profiles yet: skips there, so that a profile judged with the
# 2D expectations finds each case.
if [ "$GPU" = 2d ]; then
	while read -r name result detail; do
		say "fences: $result $name: $detail"
		echo "$name $result 0" >>"$OUT/igt-$run_name.txt"
	done < <(grep '^fences@' "$run/fences.txt" 2>/dev/null || echo "fences@all fail no-results-from-the-guest")
else
	for case in wait-after-transfer wait-sees-the-transfer transfer-fenced-in-dmabuf outlive-module; do
		echo "fences@$case skip 0" >>"$OUT/igt-$run_name.txt"
	done
fi
# The pixel check again, in guests of their own whose kernel bounces every DMA
# mapping through swiotlb (swiotlb=force, as a confidential guest does):
#  - pixels-swiotlb: QEMU's default device, which bypasses the DMA API (no
#    VIRTIO_F_ACCESS_PLATFORM, virtio_has_dma_quirk()): a driver that gives it
#    DMA addresses shows stale bounce buffers, not the pixels;
#  - pixels-platform: the device with iommu_platform=on, which goes through the
#    DMA API: a driver that does not sync the mapping before each transfer
#    (dma_sync_sgtable_for_device()) shows stale bounce buffers.
# Each check is a line "pixels-<guest>@<check> <result>" of the results. The
# guest reports how many bounce-buffer slots are in use at the end: if none,
# swiotlb=force did not take effect and the check proved nothing.
for bounce_case in "swiotlb:" "platform:iommu_platform=on"; do
	case_name=pixels-${bounce_case%%:*} gpu_opt=${bounce_case#*:}
	bounce=$run-$case_name
	say "pixel check with swiotlb=force${gpu_opt:+ and $gpu_opt} on the $DRIVER driver (results: $bounce)"
	python3 "$TOP/scripts/run-guest.py" --driver "$DRIVER" --task pixels --run-dir "$bounce" \
		--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" --timeout 900 --file "$OUT/pixels/vgpu-pixels" \
		--append swiotlb=force ${gpu_opt:+--gpu-opt "$gpu_opt"} "${clock_args[@]}" \
		>"$OUT/$case_name-$run_name.log" 2>&1 ||
		say "the $case_name guest failed: $(tail -n 1 "$OUT/$case_name-$run_name.log")"
	while read -r result name detail; do
		say "$case_name: $result $name: $detail"
		echo "${name/#pixels/$case_name} $result 0" >>"$OUT/igt-$run_name.txt"
	done < <(python3 "$TOP/scripts/pixels-check.py" "$bounce" || :)
	used=$(cat "$bounce/swiotlb-used.txt" 2>/dev/null || echo 0)
	echo "$case_name@bounce-buffers-used $([ "${used:-0}" -gt 0 ] 2>/dev/null && echo pass || echo fail) 0" \
		>>"$OUT/igt-$run_name.txt"
	say "$case_name: ${used:-no} bounce-buffer slots in use at the end"
	extra_logs+=("$bounce/console.log")
done

# Real clients (modetest, kmscube, weston), run by the guest after the pixel
# check: each is a line "clients@<name> <result>" of the results too.
clients_results() { # the guest's clients.txt; what to report if it is missing or empty
	while read -r name result detail; do
		say "clients: $result $name: $detail"
		echo "$name $result 0" >>"$OUT/igt-$run_name.txt"
	done < <([ -s "$1" ] && cat "$1" || echo "$2 fail no-results-from-the-guest")
}
clients_results "$run/clients.txt" clients@all

# Venus's Vulkan clients (scripts/guest/task-vulkan.sh), in a guest of their own
# on TCG's host clock: under -icount, Venus's command ring stops after its first
# commands (docs/testing.md). None of them asserts a time.
vk_rc=0
if [ "$GPU" = venus ]; then
	vk=$run-vulkan
	# QEMU runs as this user: the host's Vulkan driver needs to open udmabuf.
	udmabuf=$([ -r /dev/udmabuf ] && [ -w /dev/udmabuf ] && echo 1 || echo 0)
	vk_args=(--smp 2)
	[ "${KVM:-0}" = 1 ] && vk_args=(--kvm --smp 2)
	say "Vulkan clients on the $DRIVER driver, $([ "${KVM:-0}" = 1 ] && echo KVM || echo "TCG on the host clock"), 2 CPUs, host udmabuf $([ "$udmabuf" = 1 ] && echo usable || echo 'missing or not ours') (results: $vk)"
	python3 "$TOP/scripts/run-guest.py" --driver "$DRIVER" --task vulkan --run-dir "$vk" \
		--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" --timeout 2400 "${vk_args[@]}" --gpu venus \
		--env "HOST_UDMABUF=$udmabuf" --env "VKMARK_ARGS=${VKMARK_ARGS:-}" \
		>"$OUT/vulkan-$run_name.log" 2>&1 || vk_rc=$?
	[ "$vk_rc" = 0 ] || say "the vulkan guest failed: $(tail -n 1 "$OUT/vulkan-$run_name.log")"
	clients_results "$vk/clients.txt" clients@vulkan
	extra_logs+=("$vk/console.log")
fi

check() { # name, then the command that must succeed
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		say "FAIL  $name"
		failed=$((failed + 1))
	fi
}
module=$([ "$DRIVER" = c ] && echo virtio_gpu || echo virtio_gpu_rs)
check "guest run completed" test "$guest_rc" = 0
[ "$GPU" = venus ] && check "vulkan guest run completed" test "$vk_rc" = 0
check "driver module $module loaded" grep -q "^$module " "$run/lsmod.txt"
# Userspace must not tell the drivers apart: driver name, description and
# version, libdrm's bus and ids, the sysfs device, the device nodes.
check "userspace sees the device as with the C driver (igt/drm-identity.txt)" \
	diff -u <(grep -v '^#' "$TOP/igt/drm-identity.txt") "$run/drm-identity.txt"
# The console log holds every boot of the run (a hung test costs a reboot), so
# it is the one to search; dmesg.txt only has the last boot.
# Unbind/bind and unload/reload cycles, run by the guest after IGT.
while read -r name result detail; do
	check "lifecycle: $name ($detail)" test "$result" = pass
done < <(cat "$run/lifecycle.txt" 2>/dev/null || echo "lifecycle fail no-results-from-the-guest")
if [ "$DRIVER" = rust ]; then
	read -r name result detail < <(tail -n 1 "$run/unref.txt" 2>/dev/null || :) ||
		{ name=unref-timeout result=fail detail="no result from the guest"; }
	check "faults: $name ($detail)" test "$result" = pass
fi
# The fuzzer's seeds (debug kernel): each must run to the end; the kernel log
# check below judges what the calls did to the kernel.
if [ "$VARIANT" = debug ]; then
	for seed in $FUZZ_SEEDS; do
		line=$(grep "^seed $seed " "$run/fuzz.txt" 2>/dev/null || echo "seed $seed fail did-not-run")
		check "fuzz: $line" test "$(awk '{ print $3 }' <<<"$line")" = pass
	done
	while read -r name result detail; do
		check "stress: $name ($detail)" test "$result" = pass
	done < <(cat "$run/stress.txt" 2>/dev/null || echo "stress fail no-results-from-the-guest")
fi
# KUnit: the Rust driver's suites run each time its module loads (boot, then
# every reload cycle), the KMS abstraction's once at boot; each case of the first
# run counts, and every run must pass.
if [ "$DRIVER" = rust ]; then
	for suite in virtio_gpu_rs_commands virtio_gpu_rs_drv virtio_gpu_rs_gem virtio_gpu_rs_resource rust_drm_kms_crtc rust_drm_kms_state rust_virtio_request rust_dma_fence rust_dma_resv virtio_gpu_rs_caps; do
		kunit_out=$(python3 "$TOP/scripts/kunit-results.py" "$run/console.log" "$suite") || :
		while read -r result name detail; do
			case $result in
			ok) passed=$((passed + 1)) ;;
			skip) skipped=$((skipped + 1)) ;;
			fail) say "FAIL  kunit: $name $detail"; failed=$((failed + 1)) ;;
			runs) check "kunit: $suite passed in all $name runs ($detail failed)" test "$detail" = 0 ;;
			esac
		done <<<"$kunit_out"
	done
fi
check "kernel log holds no unexpected splat" \
	python3 "$TOP/scripts/kernel-log-check.py" "$run/console.log" --expect "$splats"
for log in "${extra_logs[@]}"; do
	check "kernel log of $(basename "$(dirname "$log")") holds no unexpected splat" \
		python3 "$TOP/scripts/kernel-log-check.py" "$log" --expect "$splats"
done

verdict_args=()
[ -n "${IGT_TESTLIST:-}" ] && verdict_args+=(--testlist "$testlist")
# An IGT subtest with an unexpected result runs once more, alone, in a fresh
# guest, as drm-ci's runner does: if its result is as expected then, it is a
# flake the flakes file does not list yet (reported, counted with the flakes);
# if not, it is a failure. More than IGT_RETRY_MAX is a regression, not flakes.
rerun=$run/igt-rerun.txt
python3 "$TOP/scripts/igt-verdict.py" "$OUT/igt-$run_name.txt" --expect "$expect" \
	--rerun-list "$rerun" "${verdict_args[@]}" || : >"$rerun"
n_rerun=$(grep -c . "$rerun" || :)
while read -r name; do
	say "unexpected result: $name; its log says:"
	# IGT prints the failure on stderr and again in its closing dump.
	grep -E 'CRITICAL|Subtest .*: (FAIL|CRASH)' "$run/igt-logs/$name.log" 2>/dev/null |
		awk '!seen[$0]++' | head -n 8 | sed 's/^/    /' || :
done <"$rerun"
if [ "$n_rerun" -gt "${IGT_RETRY_MAX:-5}" ]; then
	say "$n_rerun unexpected IGT results (more than IGT_RETRY_MAX=${IGT_RETRY_MAX:-5}): not run again"
elif [ "$n_rerun" -gt 0 ]; then
	say "running the $n_rerun subtest(s) with an unexpected result once more, alone, in a fresh guest"
	python3 "$TOP/scripts/run-guest.py" --driver "$DRIVER" --task igt-retry --run-dir "$run-retry" \
		--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" --testlist "$rerun" --skips "$expect-skips.txt" \
		--timeout $(( n_rerun * (${IGT_TEST_TIMEOUT:-300} + 60) + 300 )) \
		--test-timeout "${IGT_TEST_TIMEOUT:-300}" --stall $(( ${IGT_TEST_TIMEOUT:-300} + 120 )) \
		"${guest_args[@]}" || :
	check "kernel log of the retry holds no unexpected splat" \
		python3 "$TOP/scripts/kernel-log-check.py" "$run-retry/console.log" --expect "$splats"
	verdict_args+=(--retry "$run-retry/igt-results.txt")
fi
python3 "$TOP/scripts/igt-verdict.py" "$OUT/igt-$run_name.txt" --expect "$expect" \
	--summary "$run/igt-summary" "${verdict_args[@]}" || true
[ -s "$run/igt-summary" ] || echo "0 1 0" >"$run/igt-summary" # the verdict itself failed
read -r p f s <"$run/igt-summary"
passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))

say "driver $DRIVER ($VARIANT kernel): guest checks and IGT done in $(( $(date +%s) - _t0 ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
