#!/usr/bin/env bash
# Configure the out-of-tree build: allnoconfig + the repository's Kconfig fragment.
. "$(dirname "$0")/lib.sh"

frag=$TOP/Kconfig
stamp=$BUILD_DIR/.vgpu-config
want=$(hash_files "$frag" "$SRC_DIR/.overlay/patches.hash")
if [ -f "$BUILD_DIR/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	say "configuration unchanged"
	exit 0
fi
rm -f "$stamp"
mkdir -p "$BUILD_DIR"

say "checking the Rust toolchain for the kernel"
logged "$CACHE/logs/config.log" make -C "$SRC_DIR" O="$BUILD_DIR" rustavailable

say "configuring: allnoconfig + $(basename "$frag")"
logged "$CACHE/logs/config.log" make -C "$SRC_DIR" O="$BUILD_DIR" allnoconfig
logged "$CACHE/logs/config.log" \
	"$SRC_DIR/scripts/kconfig/merge_config.sh" -m -O "$BUILD_DIR" "$BUILD_DIR/.config" "$frag"
logged "$CACHE/logs/config.log" make -C "$SRC_DIR" O="$BUILD_DIR" olddefconfig

# Every option the fragment names must have the value it asks for.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	*) continue ;;
	esac
	got=$(grep -E "^($opt=|# $opt is not set)" "$BUILD_DIR/.config" || echo "# $opt is not set")
	if [ "$got" != "$line" ]; then
		printf '[%s]   wanted "%s", got "%s"\n' "$STEP" "$line" "$got" >&2
		bad=1
	fi
done <"$frag"
[ "$bad" = 0 ] || die "the kernel configuration does not match $(basename "$frag") (see above)"
echo "$want" >"$stamp"
done_in "configured $BUILD_DIR"
