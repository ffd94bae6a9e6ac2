# Guest task "igt" (sourced by init.sh): run every subtest of the testlist, one
# process each, and append "name result seconds" to $RUN/igt-results.txt.
# A line of the testlist is a binary (all its subtests) or "binary@subtest".
# Resumable: names already in the results file are not run again, so after the
# host kills a hung guest the next boot carries on with the rest.
# Results: pass, skip, fail, timeout, crash, abort, notrun.

IGT_DIR=$(dirname "$(command -v core_getversion 2>/dev/null ||
	ls /usr/libexec/igt-gpu-tools/core_getversion /usr/lib/*/igt-gpu-tools/core_getversion 2>/dev/null | head -n 1)")
RESULTS=$RUN/igt-results.txt
OUT=$RUN/igt-logs
mkdir -p "$OUT"
touch "$RESULTS"
export IGT_FORCE_DRIVER=virtio_gpu

# Names matching a line of the skips file are not run at all (drm-ci semantics).
skipped() {
	[ -s "$RUN/igt-skips.txt" ] && printf '%s\n' "$1" | grep -qE -x -f "$RUN/igt-skips.txt"
}

already() { cut -d' ' -f1 "$RESULTS" | grep -q -F -x -e "$1"; }

result_of() {
	case "$1" in
	0) echo pass ;;
	77) echo skip ;;
	78 | 124 | 137) echo timeout ;;
	79) echo notrun ;;
	98) echo fail ;;
	112) echo abort ;;
	*) if [ "$1" -gt 128 ]; then echo crash; else echo fail; fi ;;
	esac
}

run_one() { # name binary [subtest]
	local name=$1 bin=$2 sub=${3:-} t0 rc
	already "$name" && return 0
	if skipped "$name"; then
		echo "$name notrun 0" >>"$RESULTS"
		return 0
	fi
	echo "$name $(date +%s)" >"$RUN/igt-progress"
	echo "[vgpu] $name" >/dev/kmsg
	t0=$(date +%s%N)
	if [ -n "$sub" ]; then
		timeout -k 10 "$IGT_TEST_TIMEOUT" "$IGT_DIR/$bin" --run-subtest "$sub" >"$OUT/$name.log" 2>&1
	else
		timeout -k 10 "$IGT_TEST_TIMEOUT" "$IGT_DIR/$bin" >"$OUT/$name.log" 2>&1
	fi
	rc=$?
	t0=$(( ($(date +%s%N) - t0) / 10000000 ))
	# Memory kmemleak cannot see: GEM buffers are shmem pages, and a subtest
	# whose buffers outlive it shows here ("name Shmem-kB" per subtest).
	echo "$name $(awk '$1 == "Shmem:" { print $2 }' /proc/meminfo)" >>"$RUN/igt-shmem.txt"
	printf '%s %s %d.%02d\n' "$name" "$(result_of $rc)" $((t0 / 100)) $((t0 % 100)) >>"$RESULTS"
	sync "$RESULTS"
}

[ -d "$IGT_DIR" ] || { log "IGT test binaries not found"; return; }
while read -r bin; do
	bin=${bin%%#*}
	bin=$(echo $bin)
	[ -n "$bin" ] || continue
	case $bin in
	*@*) # one subtest, "binary@subtest" (the retry list of check.sh)
		if [ -x "$IGT_DIR/${bin%%@*}" ]; then
			run_one "$bin" "${bin%%@*}" "${bin#*@}"
		else
			already "$bin" || echo "$bin notrun 0" >>"$RESULTS"
		fi
		continue
		;;
	esac
	if [ ! -x "$IGT_DIR/$bin" ]; then
		already "$bin" || echo "$bin notrun 0" >>"$RESULTS"
		continue
	fi
	subs=$("$IGT_DIR/$bin" --list-subtests 2>/dev/null)
	if [ -z "$subs" ]; then
		run_one "$bin" "$bin"
	else
		for sub in $subs; do
			run_one "$bin@$sub" "$bin" "$sub"
		done
	fi
done <"$RUN/igt-testlist.txt"
rm -f "$RUN/igt-progress"
