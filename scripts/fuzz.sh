#!/usr/bin/env bash
# make fuzz-soak: the ioctl fuzzer alone, longer than in check-debug: seeds
# $FUZZ_SEEDS (default 1..20), $FUZZ_CALLS calls each (default 200000), on the
# debug kernel with the $DRIVER driver. Prints each seed's outcome and the
# kernel log verdict (no splat is expected). FUZZ_SKIP=<name>[,...] leaves out
# the ioctls whose names contain one of them (see scripts/fuzz/vgpu-fuzz.c).
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-$TOP/out}
DRIVER=${DRIVER:-rust}
seeds=${FUZZ_SEEDS:-$(seq -s ' ' 1 20)}
calls=${FUZZ_CALLS:-200000}
run=$OUT/fuzz-$DRIVER-$VARIANT
build_guest_program "$TOP/scripts/fuzz/vgpu-fuzz.c" "$OUT/fuzz/vgpu-fuzz"
say "fuzzing the $DRIVER driver ($VARIANT kernel): seeds $seeds, $calls calls each"
rc=0
python3 "$TOP/scripts/run-guest.py" --driver "$DRIVER" --task fuzz --run-dir "$run" \
	--stage "$STAGE_DIR" --rootfs "$ROOTFS_DIR" --file "$OUT/fuzz/vgpu-fuzz" \
	--env "FUZZ_SEEDS=$seeds" --env "FUZZ_CALLS=$calls" --env "FUZZ_SKIP=${FUZZ_SKIP:-}" \
	"${DEBUG_GUEST_ARGS[@]}" --timeout "${FUZZ_TIMEOUT:-5400}" --stall 600 || rc=$?
cat "$run/fuzz.txt" 2>/dev/null || echo "no results from the guest"
python3 "$TOP/scripts/kernel-log-check.py" "$run/console.log" --expect /dev/null || rc=1
total=$(awk '$3 == "pass" { n += $4 } END { print n + 0 }' "$run/fuzz.txt" 2>/dev/null)
failed=$(awk '$3 != "pass"' "$run/fuzz.txt" 2>/dev/null | wc -l)
say "$total calls in $(wc -w <<<"$seeds") seeds, $failed seed(s) failed"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
