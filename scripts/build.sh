#!/usr/bin/env bash
# Build the kernel and modules out of tree (incremental), then stage bzImage and
# the installed modules for the guest.
. "$(dirname "$0")/lib.sh"

jobs=${JOBS:-$(nproc)}
log=$CACHE/logs/build$_suffix.log
say "building bzImage and modules with $jobs jobs (clean: about 8 min on 2 cores; log: $log)"
mkdir -p "$(dirname "$log")"
if ! make -C "$SRC_DIR" O="$BUILD_DIR" -j"$jobs" bzImage modules >"$log" 2>&1; then
	grep -E -B2 -A8 '(error|Error)(\[|:| )' "$log" | tail -n 60 >&2 || tail -n 40 "$log" >&2
	die "the kernel build failed; full log: $log"
fi
krel=$(cat "$BUILD_DIR/include/config/kernel.release")

# Stage atomically: the guest sees either the old set or the new one.
rm -rf "$STAGE_DIR.tmp"
mkdir -p "$STAGE_DIR.tmp"
logged "$CACHE/logs/build$_suffix.log.install" make -C "$SRC_DIR" O="$BUILD_DIR" \
	INSTALL_MOD_PATH="$STAGE_DIR.tmp" INSTALL_MOD_STRIP=1 modules_install
cp "$BUILD_DIR/arch/x86/boot/bzImage" "$STAGE_DIR.tmp/bzImage"
echo "$krel" >"$STAGE_DIR.tmp/release"
for m in virtio-gpu virtio_gpu_rs; do # the C module's file name has a dash
	find "$STAGE_DIR.tmp/lib/modules/$krel" -name "$m.ko*" | grep -q . || die "module $m was not built"
done
rm -rf "$STAGE_DIR.old"
[ -d "$STAGE_DIR" ] && mv "$STAGE_DIR" "$STAGE_DIR.old"
mv "$STAGE_DIR.tmp" "$STAGE_DIR"
rm -rf "$STAGE_DIR.old"
done_in "kernel $krel staged in $STAGE_DIR"
