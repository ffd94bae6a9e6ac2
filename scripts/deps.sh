#!/usr/bin/env bash
# Install or check the host dependencies: Debian packages, the Rust pieces the
# kernel needs (rust-src, bindgen) and a libclang new enough for bindgen.
. "$(dirname "$0")/lib.sh"

APT_PKGS=(
	bc bison flex cpio kmod rsync xz-utils zstd
	libelf-dev libssl-dev
	gcc make pkg-config python3 python3-pip libdrm-dev
	qemu-system-x86 mmdebstrap debian-archive-keyring
)
BINDGEN_VERSION=0.72.1
LIBCLANG_VERSION=18.1.1

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	say "installing Debian packages: ${missing[*]}"
	HINT="is Debian's package registry reachable?" logged "$CACHE/logs/apt.log" apt-get update
	HINT="is Debian's package registry reachable?" DEBIAN_FRONTEND=noninteractive logged "$CACHE/logs/apt.log" \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi

command -v rustup >/dev/null || die "rustup not found: install the Rust toolchain (rustup) first"
if ! rustup component list --installed | grep -q '^rust-src'; then
	say "adding rustup component rust-src"
	HINT="rustup needs its registry" logged "$CACHE/logs/rustup.log" rustup component add rust-src
fi

if [ "$(bindgen --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
	say "building bindgen-cli $BINDGEN_VERSION (about a minute)"
	HINT="is crates.io reachable?" logged "$CACHE/logs/bindgen.log" \
		cargo install --locked --root "$TOOLS_DIR" --version "$BINDGEN_VERSION" bindgen-cli
fi

if [ ! -f "$LIBCLANG_PATH/libclang.so" ]; then
	say "fetching libclang $LIBCLANG_VERSION from PyPI (Debian 12's clang-16 is too old)"
	rm -rf "$TOOLS_DIR/libclang.tmp"
	HINT="is PyPI reachable?" logged "$CACHE/logs/libclang.log" \
		python3 -m pip install --no-deps --target "$TOOLS_DIR/libclang.tmp" "libclang==$LIBCLANG_VERSION"
	rm -rf "$TOOLS_DIR/libclang"
	mv "$TOOLS_DIR/libclang.tmp" "$TOOLS_DIR/libclang"
fi

done_in "host dependencies ready"
