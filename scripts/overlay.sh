#!/usr/bin/env bash
# Put this repository's kernel changes into the cached source tree:
#  - patches/*.patch, the small edits to existing kernel files, applied in order;
#  - drivers/ and rust/, new files copied to their in-tree paths.
# Both are incremental: a file whose content did not change keeps its mtime, so
# the next build only recompiles what really changed.
. "$(dirname "$0")/lib.sh"

[ -f "$SRC_DIR/.complete" ] || die "no kernel source in $SRC_DIR: run scripts/source.sh first"
state=$SRC_DIR/.overlay
mkdir -p "$state"

# Patches: if the series changed, revert the old one (saved copies) and apply the new.
want=$(hash_files "$TOP"/patches/*.patch)
have=$(cat "$state/patches.hash" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	if [ -d "$state/patches" ]; then
		say "reverting the previously applied patch series"
		for p in $(ls "$state/patches"/*.patch 2>/dev/null | sort -r); do
			if ! patch -s -R -p1 -d "$SRC_DIR" <"$p" >/dev/null; then
				rm -rf "$SRC_DIR"
				die "could not revert $(basename "$p"); the source tree was removed, run make again to unpack a fresh one"
			fi
		done
		rm -rf "$state/patches"
	fi
	rm -f "$state/patches.hash"
	mkdir -p "$state/patches.new"
	for p in "$TOP"/patches/*.patch; do
		[ -f "$p" ] || continue
		say "applying $(basename "$p")"
		patch -s -p1 --no-backup-if-mismatch -d "$SRC_DIR" <"$p" ||
			die "$(basename "$p") does not apply to linux $(cat "$SRC_DIR/.complete")"
		cp "$p" "$state/patches.new/"
	done
	mv "$state/patches.new" "$state/patches"
	echo "$want" >"$state/patches.hash"
fi

# New files: copy what changed, and remove what we copied before and no longer have.
(cd "$TOP" && find $(ls -d drivers rust 2>/dev/null) -type f ! -name '*~' | sort) >"$state/files.new"
if [ -f "$state/files" ]; then
	comm -23 "$state/files" "$state/files.new" | while read -r f; do
		say "removing $f (gone from the overlay)"
		rm -f "$SRC_DIR/$f"
	done
fi
rsync -rc --itemize-changes --files-from="$state/files.new" "$TOP/" "$SRC_DIR/" |
	sed -n 's/^>f[^ ]* /  updated /p'
mv "$state/files.new" "$state/files"
done_in "overlay applied"
