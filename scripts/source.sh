#!/usr/bin/env bash
# Fetch Debian's linux-source-$KVER_MAJOR package with a private apt setup (no
# change to the host's apt configuration) and unpack it; overlay.sh then patches it in place.
. "$(dirname "$0")/lib.sh"

APT_DIR=$CACHE/apt
DL_DIR=$CACHE/downloads
PRISTINE=$SRC_DIR

if [ -f "$PRISTINE/.complete" ]; then
	say "kernel source $(cat "$PRISTINE/.complete") already unpacked"
	exit 0
fi

mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$DL_DIR"
mirror=$(debian_mirror)
cat >"$APT_DIR/sources.list" <<LIST
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $KSRC_SUITE main
LIST
apt_private=(
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache=$APT_DIR/cache"
	-o "Acquire::Check-Valid-Until=false"
	-o "APT::Get::List-Cleanup=false"
)

deb=$(ls "$DL_DIR"/linux-source-"$KVER_MAJOR"_*.deb 2>/dev/null | tail -n 1 || true)
if [ -z "$deb" ]; then
	say "fetching the package list of $KSRC_SUITE from $mirror"
	HINT="is Debian's package registry reachable?" logged "$CACHE/logs/source.log" \
		apt-get "${apt_private[@]}" update
	say "downloading linux-source-$KVER_MAJOR (about 150 MB)"
	tmp=$(mktemp -d "$DL_DIR/.dl.XXXXXX")
	(cd "$tmp" && logged "$CACHE/logs/source.log" \
		apt-get "${apt_private[@]}" download "linux-source-$KVER_MAJOR") ||
		die "could not download linux-source-$KVER_MAJOR from $mirror ($KSRC_SUITE)"
	mv "$tmp"/*.deb "$DL_DIR/"
	rmdir "$tmp"
	deb=$(ls "$DL_DIR"/linux-source-"$KVER_MAJOR"_*.deb | tail -n 1)
fi
say "using $(basename "$deb")"

say "unpacking the kernel tree (about a minute)"
rm -rf "$PRISTINE" "$PRISTINE.tmp"
mkdir -p "$PRISTINE.tmp/deb"
dpkg -x "$deb" "$PRISTINE.tmp/deb"
tarball=$(ls "$PRISTINE.tmp"/deb/usr/src/linux-source-"$KVER_MAJOR".tar.* | head -n 1)
[ -f "$tarball" ] || die "no source tarball inside $(basename "$deb")"
tar -C "$PRISTINE.tmp" -xf "$tarball"
mv "$PRISTINE.tmp/linux-source-$KVER_MAJOR" "$PRISTINE"
rm -rf "$PRISTINE.tmp"
version=$(make -s -C "$PRISTINE" kernelversion)
echo "$version" >"$PRISTINE/.complete"
done_in "kernel source $version unpacked"
