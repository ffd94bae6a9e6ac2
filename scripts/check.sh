#!/usr/bin/env bash
# Run the test suites against one driver and print the verdict:
#  - guest checks: the driver module loaded; 20 sysfs unbind/bind and 20 module
#    unload/reload cycles leave the driver bound; the kernel log holds no
#    unexpected splat;
#  - IGT: every subtest of igt/testlist.txt, compared with igt/<driver>-*.txt.
# Ends with the line "N passed, N failed, N skipped"; exit status 1 on any failure.
. "$(dirname "$0")/lib.sh"

DRIVER=${DRIVER:-rust}
OUT=${OUT:-$TOP/out}
expect=$TOP/igt/virtio_gpu_$DRIVER
run=$OUT/igt-$DRIVER
mkdir -p "$OUT"

passed=0 failed=0 skipped=0

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

guest_args=()
[ "${KVM:-0}" = 1 ] && guest_args+=(--kvm)

say "running IGT on the $DRIVER driver ($(grep -cv '^\s*\(#\|$\)' "$TOP/igt/testlist.txt") tests; results: $run/igt-results.txt)"
guest_rc=0
python3 "$TOP/scripts/run-guest.py" --driver "$DRIVER" --task igt --run-dir "$run" \
	--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" \
	--testlist "$TOP/igt/testlist.txt" --skips "$expect-skips.txt" \
	--timeout "${CHECK_TIMEOUT:-5000}" --test-timeout "${IGT_TEST_TIMEOUT:-300}" \
	--stall $(( ${IGT_TEST_TIMEOUT:-300} + 120 )) "${guest_args[@]}" || guest_rc=$?
cp "$run/igt-results.txt" "$OUT/igt-$DRIVER.txt" 2>/dev/null || : >"$OUT/igt-$DRIVER.txt"

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
check "driver module $module loaded" grep -q "^$module " "$run/lsmod.txt"
# The console log holds every boot of the run (a hung test costs a reboot), so
# it is the one to search; dmesg.txt only has the last boot.
# Unbind/bind and unload/reload cycles, run by the guest after IGT.
while read -r name result detail; do
	check "lifecycle: $name ($detail)" test "$result" = pass
done < <(cat "$run/lifecycle.txt" 2>/dev/null || echo "lifecycle fail no-results-from-the-guest")
check "kernel log holds no unexpected splat" \
	python3 "$TOP/scripts/kernel-log-check.py" "$run/console.log" --expect "$expect-kernel-splats.txt"

python3 "$TOP/scripts/igt-verdict.py" "$OUT/igt-$DRIVER.txt" --expect "$expect" \
	--summary "$run/igt-summary" || true
[ -s "$run/igt-summary" ] || echo "0 1 0" >"$run/igt-summary" # the verdict itself failed
read -r p f s <"$run/igt-summary"
passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))

say "driver $DRIVER: guest checks and IGT done in $(( $(date +%s) - _t0 ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
