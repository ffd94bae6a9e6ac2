#!/usr/bin/env bash
# Run a command inside the QEMU 3D tree ($CACHE/qemu3d, scripts/qemu3d.sh):
#
#   scripts/qemu3d-run.sh [--bind PATH]... [--] COMMAND [ARG]...
#
# The command runs chrooted in the tree, in a mount namespace of its own
# (unshare --mount, propagation private) in which /proc, /dev, /sys, /tmp, the
# cache and each --bind PATH are bind-mounted at the same paths as on the host.
# The mounts belong to that namespace only: the host never sees them, and they
# vanish with its last process, however it ends (even on SIGKILL), so there is
# nothing to unmount. /tmp is the host's, so that X servers' sockets and lock
# files in it are visible to everyone choosing a display number. The command
# is exec'ed: its pid is this script's, and so are its signals and exit status.
STEP=qemu3d-run
. "$(dirname "$0")/lib.sh"

QEMU3D_DIR=$CACHE/qemu3d
binds=(/proc /dev /sys /tmp "$CACHE")
while [ $# -gt 0 ]; do
	case $1 in
	--bind) binds+=("$(realpath -m "$2")"); shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "usage: $0 [--bind PATH]... [--] COMMAND [ARG]..."
[ -f "$QEMU3D_DIR/.complete" ] || die "no QEMU 3D tree at $QEMU3D_DIR: run scripts/qemu3d.sh"
for p in "${binds[@]}"; do
	[ -e "$p" ] || die "--bind $p: no such path"
done

# Inside the new namespace: bind each path (its sub-mounts too), then chroot.
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare --mount --propagation private -- /bin/sh -euc '
	tree=$1 n=$2
	shift 2
	while [ "$n" -gt 0 ]; do
		p=$1
		shift
		n=$((n - 1))
		if [ -d "$p" ]; then
			mkdir -p "$tree$p"
		else
			mkdir -p "$tree$(dirname "$p")"
			[ -e "$tree$p" ] || : >"$tree$p"
		fi
		mount --rbind "$p" "$tree$p"
	done
	exec chroot "$tree" "$@"
' qemu3d-run "$QEMU3D_DIR" "${#binds[@]}" "${binds[@]}" "$@"
