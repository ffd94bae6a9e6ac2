#!/usr/bin/env bash
# Build the host-side tree for the 3D device profiles (make check GPU=gl|venus):
# Debian trixie's QEMU 10 with virglrenderer, SDL with GL, Xvfb and Mesa's
# software renderers, at $CACHE/qemu3d. Debian 12's QEMU 7.2 has no blob
# resources, context init or Venus on virtio-gpu-gl. virgl-server brings
# virglrenderer's render server (/usr/libexec/virgl_render_server), in which
# Venus runs: without it, QEMU's forked worker crashes and the guest hangs in
# the driver's probe. libegl1 (glvnd's libEGL.so.1): SDL loads it when the
# device resets (a driver unbinds); without it QEMU exits there. Nothing here
# is installed on the host: scripts/qemu3d-run.sh runs a command inside the tree.
. "$(dirname "$0")/lib.sh"

PKGS=(
	qemu-system-x86 qemu-system-gui qemu-system-modules-opengl
	xvfb xauth libgl1-mesa-dri libegl-mesa0 mesa-vulkan-drivers libvirglrenderer1
	virgl-server libegl1
)
SUITE=trixie
QEMU3D_DIR=$CACHE/qemu3d

# Rebuilt when the package list or the suite changes.
want=$(echo "$SUITE ${PKGS[*]}" | sha256sum | cut -c1-16)
if [ -f "$QEMU3D_DIR/.complete" ] && [ "$(cat "$QEMU3D_DIR/.complete")" = "$want" ]; then
	say "QEMU 3D tree up to date"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "building the QEMU 3D tree needs root (mmdebstrap, chroot)"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found: run scripts/deps.sh"

mirror=$(debian_mirror)
say "building the QEMU 3D tree (Debian $SUITE from $mirror, about 1-2 min, 0.8 GB)"
# Remove a partial tree, but never through a mount: an interrupted mmdebstrap
# can leave the host's /proc, /sys or a /dev file mounted in it for a moment.
remove_tmp() {
	[ -e "$QEMU3D_DIR.tmp" ] || return 0
	local n=0
	while awk -v d="$QEMU3D_DIR.tmp/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; do
		[ $n -lt 50 ] || die "$QEMU3D_DIR.tmp still has mounts (see /proc/mounts): not removed"
		sleep 0.2
		n=$((n + 1))
	done
	rm -rf --one-file-system "$QEMU3D_DIR.tmp"
}
remove_tmp
# A failure (or an interruption) leaves no half-built tree behind.
trap remove_tmp EXIT
include=$(
	IFS=,
	echo "${PKGS[*]}"
)
HINT="is Debian's package registry reachable?" logged "$CACHE/logs/qemu3d.log" mmdebstrap --variant=apt \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--include="$include" \
	"$SUITE" "$QEMU3D_DIR.tmp" "$mirror" &
build=$!
# A signal stops mmdebstrap too (the background subshell's child), and waits
# for it, so that nothing writes into the .tmp tree once it is removed. On
# SIGTERM mmdebstrap first finishes the step it is in (up to a minute or two),
# then unmounts what it mounted in the tree.
stop_build() {
	local pids n=0
	pids=$(pgrep -P "$build" || :)
	kill -TERM "$build" $pids 2>/dev/null || :
	say "interrupted: waiting for mmdebstrap to stop"
	while [ -n "$pids" ] && kill -0 $pids 2>/dev/null && [ $n -lt 1500 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	die "interrupted; the partial tree is removed"
}
trap stop_build TERM INT HUP
wait "$build"
trap - TERM INT HUP
for f in usr/bin/qemu-system-x86_64 usr/bin/Xvfb usr/libexec/virgl_render_server; do
	[ -x "$QEMU3D_DIR.tmp/$f" ] || die "/$f is missing from the QEMU 3D tree (log: $CACHE/logs/qemu3d.log)"
done
ls "$QEMU3D_DIR.tmp"/usr/lib/*/qemu/ui-opengl.so "$QEMU3D_DIR.tmp"/usr/lib/*/qemu/hw-display-virtio-gpu-gl.so \
	>/dev/null 2>&1 || die "QEMU's OpenGL modules are missing from the QEMU 3D tree"
echo "$want" >"$QEMU3D_DIR.tmp/.complete"
rm -rf "$QEMU3D_DIR"
mv "$QEMU3D_DIR.tmp" "$QEMU3D_DIR"
trap - EXIT
done_in "QEMU 3D tree ready in $QEMU3D_DIR ($(du -sh "$QEMU3D_DIR" | cut -f1), $(
	"$TOP/scripts/qemu3d-run.sh" qemu-system-x86_64 --version | head -n1))"
