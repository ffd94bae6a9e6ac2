# Guest step "fuzz" (sourced by init.sh): run the ioctl fuzzer once per seed of
# $FUZZ_SEEDS, $FUZZ_CALLS calls each, in a fresh process against card0. Each
# run is marked in the kernel log ("[vgpu] fuzz@seed-N") so that a splat is
# attributed to its seed; the counts go to $RUN/fuzz-<seed>.txt, and a line
# "seed <N> <pass|fail> <detail>" per seed to $RUN/fuzz.txt.

# The run directory is new for each run, so $FZ only holds seeds from this run:
# after a reboot (a seed that crashed or hung the guest or QEMU) it says which
# seeds are done, and the host's record says how the one that stopped it ended.
FZ=$RUN/fuzz.txt
chmod +x "$RUN/vgpu-fuzz" 2>/dev/null
for seed in ${FUZZ_SEEDS:-}; do
	if grep -q "^seed $seed " "$FZ" 2>/dev/null; then
		continue
	fi
	if grep -q "^fuzz@seed-$seed " "$RUN/igt-results.txt" 2>/dev/null; then
		echo "seed $seed fail $(grep "^fuzz@seed-$seed " "$RUN/igt-results.txt" | awk '{ print $2 }') (recorded by the host)" >>"$FZ"
		continue
	fi
	echo "[vgpu] fuzz@seed-$seed" >/dev/kmsg
	echo "fuzz@seed-$seed" >"$RUN/igt-progress"
	if VGPU_FUZZ_TRACE=$RUN/fuzz-$seed.last VGPU_FUZZ_SKIP=${FUZZ_SKIP:-} "$RUN/vgpu-fuzz" "$seed" "${FUZZ_CALLS:-20000}" /dev/dri/card0 \
		>"$RUN/fuzz-$seed.txt" 2>&1; then
		echo "seed $seed pass $(sed -n 's/^calls //p' "$RUN/fuzz-$seed.txt") calls" >>"$FZ"
	else
		echo "seed $seed fail exit $? $(tail -n 1 "$RUN/fuzz-$seed.txt")" >>"$FZ"
	fi
	log "fuzz: $(tail -n 1 "$FZ"); Shmem $(awk '$1 == "Shmem:" { print $2 }' /proc/meminfo) kB"
done
echo "[vgpu] fuzz@done" >/dev/kmsg
