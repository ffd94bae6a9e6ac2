#!/usr/bin/env bash
# make stress: the reliability harness alone, on the debug kernel, for $DRIVER:
# the fuzzer's seeds ($FUZZ_SEEDS, $FUZZ_CALLS calls each), fault injection into
# every allocation of the driver's calls, $REBIND_CYCLES unbind/bind cycles
# under client load, then the lifecycle cycles and kmemleak. The same as the
# tail of `make check-debug`, without IGT: quick enough to run against both
# drivers. Prints each step's outcome and the kernel log verdict (no report is
# expected on the debug kernel).
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-$TOP/out}
DRIVER=${DRIVER:-rust}
run=$OUT/stress-$DRIVER-$VARIANT
build_guest_program "$TOP/scripts/fuzz/vgpu-fuzz.c" "$OUT/fuzz/vgpu-fuzz"
build_guest_program "$TOP/scripts/faults/vgpu-faults.c" "$OUT/faults/vgpu-faults"
seeds=${FUZZ_SEEDS-1 2 3 4 5} # FUZZ_SEEDS= (empty): no fuzzer seeds
calls=${FUZZ_CALLS:-20000}
say "stressing the $DRIVER driver ($VARIANT kernel): fuzzer seeds $seeds ($calls calls each), fault injection, ${REBIND_CYCLES:-100} rebinds under load"
rc=0
python3 "$TOP/scripts/run-guest.py" --driver "$DRIVER" --task stress --run-dir "$run" \
	--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" \
	--file "$OUT/fuzz/vgpu-fuzz" --file "$OUT/faults/vgpu-faults" \
	--env "FUZZ_SEEDS=$seeds" --env "FUZZ_CALLS=$calls" --env "FUZZ_SKIP=${FUZZ_SKIP:-}" \
	--env "REBIND_CYCLES=${REBIND_CYCLES:-100}" "${DEBUG_GUEST_ARGS[@]}" \
	--timeout "${STRESS_TIMEOUT:-5400}" --stall 900 || rc=$?
failed=0
for f in fuzz stress lifecycle; do
	[ "$f" = fuzz ] && [ -z "$seeds" ] && continue
	[ -s "$run/$f.txt" ] || { say "FAIL  $f: no results from the guest"; failed=$((failed + 1)); continue; }
	while read -r line; do
		say "$f: $line"
	done <"$run/$f.txt"
	# "seed N result ..." (fuzz) or "name result ..." (the others)
	failed=$((failed + $(awk '$1 == "seed" ? $3 != "pass" : $2 != "pass"' "$run/$f.txt" | wc -l)))
done
# What the host recorded: a step that crashed or hung the guest.
while read -r name result _; do
	say "FAIL  $name: $result (the guest was restarted after it)"
	failed=$((failed + 1))
done < <(cat "$run/igt-results.txt" 2>/dev/null || :)
python3 "$TOP/scripts/kernel-log-check.py" "$run/console.log" --expect /dev/null || failed=$((failed + 1))
say "$failed failure(s); run files in $run"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
