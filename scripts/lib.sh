# Shared helpers for the pipeline steps. Sourced, never run.
# shellcheck shell=bash

set -euo pipefail

: "${CACHE:=${HOME}/.cache/virtio-gpu-rs}"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STEP=${STEP:-$(basename "$0" .sh)}

# Kernel version this overlay targets, and the Debian suite that ships its source.
KVER_MAJOR=7.3
KSRC_SUITE=trixie-backports

# The kernel variant: "release" (Kconfig) or "debug" (Kconfig + Kconfig.debug),
# each with its own build tree and staged kernel; one source tree serves both.
VARIANT=${VARIANT:-release}
case $VARIANT in
release) _suffix= ;;
debug) _suffix=-debug ;;
*) echo "VARIANT=$VARIANT: use release or debug" >&2; exit 2 ;;
esac

SRC_DIR=$CACHE/src/linux-$KVER_MAJOR      # pristine tree + patches + overlay
BUILD_DIR=$CACHE/build/kernel$_suffix     # O= build tree
STAGE_DIR=$CACHE/stage$_suffix            # bzImage + modules for the guest
ROOTFS_DIR=$CACHE/rootfs                  # guest root filesystem (Debian sid)
TOOLS_DIR=$CACHE/tools                    # bindgen, libclang

# What the debug variant adds to the guest's kernel command line: SLUB red
# zones, poisoning and sanity checks on every cache, so that a write after free
# or past an object shows as a "BUG <cache>" report (KASAN is not available,
# see Kconfig.debug).
DEBUG_GUEST_ARGS=(--append slub_debug=FZP)

export PATH="$TOOLS_DIR/bin:$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH="$TOOLS_DIR/libclang/clang/native"

_t0=$(date +%s)

say() { printf '[%s] %s\n' "$STEP" "$*"; }

die() {
	printf '[%s] ERROR: %s\n' "$STEP" "$*" >&2
	exit 1
}

done_in() { say "$* ($(( $(date +%s) - _t0 ))s)"; }

# The Debian mirror this machine already uses, read from its own apt config.
debian_mirror() {
	local uri
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		tr ' ' '\n' | grep -v -- '-security' | grep -m1 .) || true
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
	printf '%s\n' "${uri%/}"
}

# Run "$@" with its output in a log; on failure show the log's tail and name the
# step (and $HINT, when set, says what is the likely cause).
logged() {
	local log=$1
	shift
	mkdir -p "$(dirname "$log")"
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "'$*' failed${HINT:+ ($HINT)}; full log: $log"
	fi
}

# Build a guest program (one C file, using libdrm) on the host; it runs in the
# guest as it is. build_guest_program SOURCE OUTPUT
build_guest_program() {
	mkdir -p "$(dirname "$2")"
	logged "$CACHE/logs/$(basename "$2")-build.log" sh -c \
		'gcc -O2 -Wall -Wextra -Werror -o "$2" "$1" $(pkg-config --cflags --libs libdrm)' \
		sh "$1" "$2"
}

# Content hash of files, to decide whether a cached step is still valid.
hash_files() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
