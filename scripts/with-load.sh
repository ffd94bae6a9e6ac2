#!/usr/bin/env bash
# Run a command while every host CPU is kept busy: one CPU hog per core
# (LOAD_HOGS=, default nproc), at nice LOAD_NICE (default 19), started before
# the command and killed after it, however it ends. `make check-loaded` runs
# `make check` under it, to show that the verdict does not depend on how busy
# the host is.
#   scripts/with-load.sh COMMAND [ARG...]
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: $0 COMMAND [ARG...]"
hogs=${LOAD_HOGS:-$(nproc)}
nice=${LOAD_NICE:-19}
pids=()
stop_hogs() {
	[ ${#pids[@]} -gt 0 ] || return 0
	kill "${pids[@]}" 2>/dev/null || :
	wait "${pids[@]}" 2>/dev/null || :
	say "stopped the $hogs CPU hog(s)"
	pids=()
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$hogs"); do
	nice -n "$nice" sh -c 'while :; do :; done' &
	pids+=($!)
done
say "started $hogs CPU hog(s) at nice $nice (pids ${pids[*]}); running: $*"
rc=0
"$@" || rc=$?
# The hogs must have run the whole time: a hog that died early makes this an
# unloaded run, and the claim would be false.
for pid in "${pids[@]}"; do
	kill -0 "$pid" 2>/dev/null || die "CPU hog $pid died during the run: this was not a loaded run"
done
exit "$rc"
