// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-unref: an object whose RESOURCE_UNREF is not answered in time must
 * leave its pages to the request, which frees them only once the device has
 * returned it (or was reset): the host may read them until it has executed
 * the UNREF, for the transfers queued before it.
 *
 * Uses the Rust driver's fault points (CONFIG_DRM_VIRTIO_GPU_RS_FAULTS, files
 * in DEBUGFS_DIR): unref_timeouts makes the next UNREF be treated as timed
 * out (submitted, not waited for), pages_kept and pages_kept_total count the
 * pages unanswered requests keep.
 *
 *   vgpu-unref CARD DEBUGFS_DIR
 *
 * Checks, for a dumb buffer of 1024x768 (768 pages) destroyed under the fault:
 * the buffer's pages, all of them, were handed to the request; they were all
 * freed once the object and the request were both gone (pages_kept back where
 * it was, within 10 s: nothing leaked); the fault was used up; then a buffer
 * destroyed without the fault keeps nothing. What it cannot force is the
 * order: QEMU answers within microseconds, often before the object is freed,
 * so whether the request or the object drops the last reference is the
 * host's timing. That the request keeps what it holds until its last
 * reference goes is the KUnit suite rust_virtio_request's.
 * Prints "unref-timeout pass|fail DETAIL"; exits 0 on pass, 1 on fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>

static const char *dir;

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("unref-timeout fail ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static unsigned long long read_num(const char *name)
{
	char path[512], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail("cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		fail("cannot read %s", path);
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

static void write_num(const char *name, unsigned int v)
{
	char path[512], buf[32];
	int fd, len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		fail("cannot open %s: %s", path, strerror(errno));
	len = snprintf(buf, sizeof(buf), "%u\n", v);
	if (write(fd, buf, len) != len)
		fail("cannot write %s: %s", path, strerror(errno));
	close(fd);
}

/* Creates a dumb buffer and destroys it; returns its size in bytes. */
static uint64_t dumb_round_trip(int fd)
{
	struct drm_mode_create_dumb create = { .width = 1024, .height = 768, .bpp = 32 };
	struct drm_mode_destroy_dumb destroy = { 0 };

	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		fail("CREATE_DUMB: %s", strerror(errno));
	destroy.handle = create.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy))
		fail("DESTROY_DUMB: %s", strerror(errno));
	return create.size;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	unsigned long long kept0, total0, total1, total2, kept;
	uint64_t size, pages;
	double t0, waited;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: vgpu-unref CARD DEBUGFS_DIR\n");
		return 2;
	}
	dir = argv[2];
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail("cannot open %s: %s", argv[1], strerror(errno));

	kept0 = read_num("pages_kept");
	total0 = read_num("pages_kept_total");
	write_num("unref_timeouts", 1);
	size = dumb_round_trip(fd);
	t0 = now_ms();
	pages = size / (uint64_t)sysconf(_SC_PAGESIZE);
	total1 = read_num("pages_kept_total");
	if (read_num("unref_timeouts") != 0)
		fail("the fault was not used: unref_timeouts is still set");
	if (total1 - total0 != pages)
		fail("%llu pages handed to the request, the buffer had %llu",
		     total1 - total0, (unsigned long long)pages);
	do {
		kept = read_num("pages_kept");
		waited = now_ms() - t0;
		if (kept == kept0)
			break;
		usleep(1000);
	} while (waited < 10000);
	if (kept != kept0)
		fail("%llu pages still kept after %.0f ms: the device's answer did not free them",
		     kept - kept0, waited);

	/* Without the fault, nothing is kept. */
	dumb_round_trip(fd);
	total2 = read_num("pages_kept_total");
	if (total2 != total1)
		fail("an answered UNREF left %llu pages kept", total2 - total1);

	printf("unref-timeout pass %llu pages handed to the unanswered request, all freed within %.0f ms of the destroy; none kept after an answered UNREF\n",
	       (unsigned long long)pages, waited);
	close(fd);
	return 0;
}
