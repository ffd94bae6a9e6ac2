# Guest task "boot" (sourced by init.sh): show what the guest sees, on the serial
# console and on the display (fbdev console, when the driver provides one), and
# ask the host for a screenshot of it.

{
	echo "virtio-gpu-rs test guest"
	echo "kernel:  $(uname -r)"
	echo "driver:  $DRIVER (module $MODULE)"
	echo "modules: $(lsmod | awk 'NR > 1 && /virtio_gpu/ { print $1 }' | xargs)"
	echo "dri:     $(ls /dev/dri 2>/dev/null | xargs)"
	echo "fb:      $(cat /proc/fb 2>/dev/null | xargs)"
	if [ -e /dev/dri/card0 ]; then
		echo "card0:   $(readlink -f /sys/class/drm/card0/device)"
	fi
} >"$RUN/boot-info.txt"
sed 's/^/guest: /' "$RUN/boot-info.txt"
# The same text on the display's console, if there is one.
if [ -e /dev/fb0 ] && [ -e /dev/tty1 ]; then
	printf '\033[2J\033[H' >/dev/tty1
	cat "$RUN/boot-info.txt" >/dev/tty1
	dmesg | grep -iE 'virtio|drm|fb' | tail -n 12 >/dev/tty1
fi
sleep 1
request_screenshot boot
