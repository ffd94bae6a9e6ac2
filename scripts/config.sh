#!/usr/bin/env bash
# Configure the out-of-tree build: allnoconfig + the repository's Kconfig fragment.
. "$(dirname "$0")/lib.sh"

frags=("$TOP/Kconfig")
[ "$VARIANT" = debug ] && frags+=("$TOP/Kconfig.debug")
stamp=$BUILD_DIR/.vgpu-config
want=$(hash_files "${frags[@]}" "$SRC_DIR/.overlay/patches.hash")
if [ -f "$BUILD_DIR/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	say "configuration unchanged"
	exit 0
fi
rm -f "$stamp"
mkdir -p "$BUILD_DIR"

say "checking the Rust toolchain for the kernel"
logged "$CACHE/logs/config$_suffix.log" make -C "$SRC_DIR" O="$BUILD_DIR" rustavailable

say "configuring ($VARIANT): allnoconfig + ${frags[*]##*/}"
logged "$CACHE/logs/config$_suffix.log" make -C "$SRC_DIR" O="$BUILD_DIR" allnoconfig
logged "$CACHE/logs/config$_suffix.log" \
	"$SRC_DIR/scripts/kconfig/merge_config.sh" -m -O "$BUILD_DIR" "$BUILD_DIR/.config" "${frags[@]}"
logged "$CACHE/logs/config$_suffix.log" make -C "$SRC_DIR" O="$BUILD_DIR" olddefconfig

# Every option the fragments name must have the value they ask for (the last
# fragment wins, as in the merge).
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
done < <(cat "${frags[@]}" | awk '{ k = $0; sub(/^# /, "", k); sub(/[= ].*/, "", k); last[k] = $0; order[++n] = k }
	END { for (i = 1; i <= n; i++) if (!(order[i] in seen)) { seen[order[i]] = 1; print last[order[i]] } }')
[ "$bad" = 0 ] || die "the kernel configuration does not match ${frags[*]##*/} (see above)"
echo "$want" >"$stamp"
done_in "configured $BUILD_DIR"
