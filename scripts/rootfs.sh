#!/usr/bin/env bash
# Build the guest root filesystem: Debian sid (the only suite with IGT's test
# binaries), with IGT, libdrm's tests, kmscube, weston and Mesa, and the 3D
# clients of the gl and venus device profiles (Mesa's virgl and Venus drivers,
# eglinfo, vulkaninfo and vkcube, glmark2, vkmark, Xorg with glamor). The guest mounts
# it read-only over 9p; /sbin/vgpu-init hands over to the run's own scripts.
. "$(dirname "$0")/lib.sh"

PKGS=(
	igt-gpu-tools igt-gpu-tools-tests libdrm-tests drm-info
	kmscube weston libgl1-mesa-dri libegl-mesa0 libgbm1 mesa-utils
	mount kmod procps strace
	mesa-vulkan-drivers vulkan-tools glmark2-es2-wayland vkmark xserver-xorg-core x11-utils
)
SUITE=sid

# Rebuilt when the package list, the suite or the init changes.
want=$( (echo "$SUITE ${PKGS[*]}"; cat "$TOP/scripts/vgpu-init") | sha256sum | cut -c1-16)
if [ -f "$ROOTFS_DIR/.complete" ] && [ "$(cat "$ROOTFS_DIR/.complete")" = "$want" ]; then
	say "guest root filesystem up to date"
	exit 0
fi

mirror=$(debian_mirror)
say "building the guest root filesystem (Debian $SUITE from $mirror, about 2-4 min, 1 GB)"
rm -rf "$ROOTFS_DIR.tmp"
include=$(
	IFS=,
	echo "${PKGS[*]}"
)
HINT="is Debian's package registry reachable?" logged "$CACHE/logs/rootfs.log" mmdebstrap --variant=apt \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--include="$include" \
	--customize-hook="install -m 0755 '$TOP/scripts/vgpu-init' \"\$1/sbin/vgpu-init\"" \
	--customize-hook='mkdir -p "$1/mnt/stage" "$1/mnt/run" "$1/lib/modules"' \
	"$SUITE" "$ROOTFS_DIR.tmp" "$mirror"
[ -x "$ROOTFS_DIR.tmp/usr/libexec/igt-gpu-tools/core_getversion" ] ||
	ls "$ROOTFS_DIR.tmp"/usr/lib/*/igt-gpu-tools/core_getversion >/dev/null 2>&1 ||
	die "IGT test binaries are missing from the root filesystem"
echo "$want" >"$ROOTFS_DIR.tmp/.complete"
rm -rf "$ROOTFS_DIR"
mv "$ROOTFS_DIR.tmp" "$ROOTFS_DIR"
done_in "guest root filesystem ready in $ROOTFS_DIR ($(du -sh "$ROOTFS_DIR" | cut -f1))"
