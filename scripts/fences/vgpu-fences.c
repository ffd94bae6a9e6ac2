// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-fences: the fences of a driver's transfers to the host, as userspace and
 * other devices see them, and a fence that outlives the driver's module.
 *
 *   vgpu-fences CARD check
 *   vgpu-fences CARD outlive 'UNLOAD COMMAND'
 *
 * "check" runs three cases on a 1024x768 resource (DRM_IOCTL_VIRTGPU_RESOURCE_CREATE):
 *
 *  - wait-after-transfer: after TRANSFER_TO_HOST, DRM_IOCTL_VIRTGPU_WAIT returns
 *    0, and a VIRTGPU_WAIT_NOWAIT wait after it returns 0 too.
 *  - wait-sees-the-transfer: TRIES times, a transfer and at once a NOWAIT wait,
 *    then a wait: the NOWAIT wait finds the object busy (EBUSY) at least once,
 *    and every wait returns 0. A driver that does not fence its transfers never
 *    finds it busy; one that does may not either, if the host is always done
 *    first, hence the tries (the detail says how many found it busy).
 *  - transfer-fenced-in-dmabuf: the object exported as a DMA-buf; TRIES times,
 *    a transfer and at once the DMA-buf's read fences exported as a sync file
 *    (DMA_BUF_IOCTL_EXPORT_SYNC_FILE): the sync file holds the driver's fence
 *    (driver "virtio_gpu", timeline "controlq") at least once, and that fence
 *    then completes without an error. The core leaves fences that completed
 *    already out of the sync file, hence the tries again.
 *
 * "outlive" takes such a sync file, closes everything else (so that nothing
 * holds the module), runs UNLOAD COMMAND, and then reads the fence: it must
 * have completed (with or without an error). A fence still pending after the
 * unload would never complete, and, if its operations were the module's, reading
 * it would call into freed memory. A driver whose transfers are not fenced gives
 * nothing to hold: "skip".
 *
 * Prints "fences@CASE pass|fail|skip detail" per case; exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>
#include <virtgpu_drm.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#define WIDTH 1024
#define HEIGHT 768
#define TRIES 100
/* VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, and PIPE_TEXTURE_2D. */
#define FORMAT 2
#define TARGET 2

static void result(const char *name, const char *res, const char *detail)
{
	printf("fences@%s %s %s\n", name, res, detail);
	fflush(stdout);
}

static int create(int fd, uint32_t *handle)
{
	struct drm_virtgpu_resource_create rc = {
		.target = TARGET,
		.format = FORMAT,
		.width = WIDTH,
		.height = HEIGHT,
		.depth = 1,
		.array_size = 1,
		.size = WIDTH * HEIGHT * 4,
	};

	if (drmIoctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc))
		return -errno;
	*handle = rc.bo_handle;
	return 0;
}

static int transfer(int fd, uint32_t handle)
{
	struct drm_virtgpu_3d_transfer_to_host t = {
		.bo_handle = handle,
		.box = { .w = WIDTH, .h = HEIGHT, .d = 1 },
	};

	return drmIoctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t) ? -errno : 0;
}

static int wait_bo(int fd, uint32_t handle, uint32_t flags)
{
	struct drm_virtgpu_3d_wait w = { .handle = handle, .flags = flags };

	return drmIoctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &w) ? -errno : 0;
}

static void close_bo(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* The sync file of the fences a reader of the DMA-buf waits for, or -errno. */
static int export_read_fences(int dmabuf)
{
	struct dma_buf_export_sync_file e = { .flags = DMA_BUF_SYNC_READ };

	if (ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e))
		return -errno;
	return e.fd;
}

/*
 * Reads the first fence of sync file @sync: its status, driver and timeline.
 * Returns the number of fences in the file, or -errno.
 */
static int fence_info(int sync, struct sync_fence_info *fence)
{
	struct sync_fence_info fences[16];
	struct sync_file_info info = { 0 };

	if (ioctl(sync, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	if (info.num_fences == 0 || info.num_fences > 16)
		return -ERANGE;
	memset(fences, 0, sizeof(fences));
	info.sync_fence_info = (uint64_t)(uintptr_t)fences;
	if (ioctl(sync, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	*fence = fences[0];
	return info.num_fences;
}

/* Waits up to 5 s for sync file @sync to complete, then reads its first fence. */
static int await_fence(int sync, struct sync_fence_info *seen)
{
	struct pollfd p = { .fd = sync, .events = POLLIN };
	int ret = poll(&p, 1, 5000);

	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	return fence_info(sync, seen) < 0 ? -EIO : 0;
}

static int is_ours(const struct sync_fence_info *f)
{
	return !strcmp(f->driver_name, "virtio_gpu") && !strcmp(f->obj_name, "controlq");
}

/*
 * A transfer of @handle, then the read fences of @dmabuf as a sync file.
 * Returns the sync file if it holds the driver's fence, -ENOENT if it holds
 * another (the host was done first, or the transfers are not fenced), or
 * -errno; @seen gets the first fence's names.
 */
static int transfer_and_export(int fd, uint32_t handle, int dmabuf, struct sync_fence_info *seen)
{
	int ret, sync;

	ret = transfer(fd, handle);
	if (ret)
		return ret;
	sync = export_read_fences(dmabuf);
	if (sync < 0)
		return sync;
	ret = fence_info(sync, seen);
	if (ret < 0 || !is_ours(seen)) {
		close(sync);
		return ret < 0 ? ret : -ENOENT;
	}
	return sync;
}

/*
 * TRIES transfers and exports; returns the sync file of the first that held
 * the driver's fence (or the error of the first that failed, or -ENOENT), with
 * @hits the number of tries that did.
 */
static int fenced_sync_file(int fd, uint32_t handle, int dmabuf, struct sync_fence_info *seen,
			    int *hits)
{
	struct sync_fence_info other;
	int i, sync = -ENOENT, ret;

	*hits = 0;
	for (i = 0; i < TRIES; i++) {
		ret = transfer_and_export(fd, handle, dmabuf, sync >= 0 ? &other : seen);
		if (ret >= 0) {
			(*hits)++;
			if (sync >= 0)
				close(ret);
			else
				sync = ret;
		} else if (ret != -ENOENT) {
			if (sync >= 0)
				close(sync);
			return ret;
		}
	}
	return sync;
}

static int open_dmabuf(int fd, uint32_t handle)
{
	int dmabuf;

	if (drmPrimeHandleToFD(fd, handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		return -errno;
	return dmabuf;
}

static void check(int fd)
{
	struct sync_fence_info seen = { 0 };
	char detail[256];
	int ret, busy, dmabuf, sync, hits, i;
	uint32_t handle;

	ret = create(fd, &handle);
	if (ret) {
		snprintf(detail, sizeof(detail), "RESOURCE_CREATE: %s", strerror(-ret));
		result("wait-after-transfer", "fail", detail);
		result("wait-sees-the-transfer", "fail", detail);
		result("transfer-fenced-in-dmabuf", "fail", detail);
		return;
	}

	ret = transfer(fd, handle);
	busy = ret ? ret : wait_bo(fd, handle, VIRTGPU_WAIT_NOWAIT);
	if (!ret)
		ret = wait_bo(fd, handle, 0);
	if (!ret)
		ret = wait_bo(fd, handle, VIRTGPU_WAIT_NOWAIT);
	snprintf(detail, sizeof(detail), "%s (a NOWAIT wait right after the transfer: %s)",
		 ret ? strerror(-ret) : "idle after the wait",
		 busy == -EBUSY ? "busy" : busy ? strerror(-busy) : "idle");
	result("wait-after-transfer", ret ? "fail" : "pass", detail);

	busy = 0;
	ret = 0;
	for (i = 0; i < TRIES && !ret; i++) {
		ret = transfer(fd, handle);
		if (!ret) {
			ret = wait_bo(fd, handle, VIRTGPU_WAIT_NOWAIT);
			busy += ret == -EBUSY;
			ret = ret == -EBUSY ? 0 : ret;
		}
		if (!ret)
			ret = wait_bo(fd, handle, 0);
	}
	snprintf(detail, sizeof(detail), "%d of %d NOWAIT waits right after a transfer found the object busy%s%s",
		 busy, i, ret ? "; then: " : "", ret ? strerror(-ret) : "");
	result("wait-sees-the-transfer", !ret && busy > 0 ? "pass" : "fail", detail);

	dmabuf = open_dmabuf(fd, handle);
	if (dmabuf < 0) {
		snprintf(detail, sizeof(detail), "PRIME_HANDLE_TO_FD: %s", strerror(-dmabuf));
		result("transfer-fenced-in-dmabuf", "fail", detail);
		close_bo(fd, handle);
		return;
	}
	sync = fenced_sync_file(fd, handle, dmabuf, &seen, &hits);
	if (sync == -ENOENT) {
		snprintf(detail, sizeof(detail),
			 "in %d tries, the sync file held only %s/%s", TRIES,
			 seen.driver_name, seen.obj_name);
		result("transfer-fenced-in-dmabuf", "fail", detail);
	} else if (sync < 0) {
		snprintf(detail, sizeof(detail), "%s", strerror(-sync));
		result("transfer-fenced-in-dmabuf", "fail", detail);
	} else {
		ret = await_fence(sync, &seen);
		if (!ret && seen.status != 1)
			snprintf(detail, sizeof(detail), "the fence completed with status %d",
				 seen.status);
		else
			snprintf(detail, sizeof(detail),
				 "%d of %d tries found the driver's fence in the sync file; the first: %s",
				 hits, TRIES, ret ? strerror(-ret) : "completed without an error");
		result("transfer-fenced-in-dmabuf", !ret && seen.status == 1 ? "pass" : "fail",
		       detail);
		close(sync);
	}
	close(dmabuf);
	close_bo(fd, handle);
}

static void outlive(int fd, const char *unload)
{
	struct sync_fence_info seen = { 0 };
	char detail[256];
	int dmabuf, sync, tries, ret, status;
	uint32_t handle;

	ret = create(fd, &handle);
	if (ret) {
		snprintf(detail, sizeof(detail), "RESOURCE_CREATE: %s", strerror(-ret));
		result("outlive-module", "fail", detail);
		return;
	}
	dmabuf = open_dmabuf(fd, handle);
	if (dmabuf < 0) {
		snprintf(detail, sizeof(detail), "PRIME_HANDLE_TO_FD: %s", strerror(-dmabuf));
		result("outlive-module", "fail", detail);
		return;
	}
	sync = fenced_sync_file(fd, handle, dmabuf, &seen, &tries);
	/* Nothing but the sync file may hold the module now. */
	close(dmabuf);
	close_bo(fd, handle);
	close(fd);
	if (sync == -ENOENT) {
		snprintf(detail, sizeof(detail), "no fence of the driver's to hold (the sync file held %s/%s)",
			 seen.driver_name, seen.obj_name);
		result("outlive-module", "skip", detail);
		return;
	}
	if (sync < 0) {
		snprintf(detail, sizeof(detail), "%s", strerror(-sync));
		result("outlive-module", "fail", detail);
		return;
	}
	status = system(unload);
	status = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	ret = await_fence(sync, &seen);
	snprintf(detail, sizeof(detail),
		 "'%s' exited %d; then the fence: %s, status %d, names %s/%s", unload, status,
		 ret ? strerror(-ret) : "completed", seen.status, seen.driver_name,
		 seen.obj_name);
	result("outlive-module", !ret && status == 0 && seen.status != 0 ? "pass" : "fail", detail);
	close(sync);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3 || (!strcmp(argv[2], "outlive") && argc != 4)) {
		fprintf(stderr, "usage: vgpu-fences CARD check | CARD outlive 'UNLOAD COMMAND'\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("fences@open fail %s: %s\n", argv[1], strerror(errno));
		return 0;
	}
	if (!strcmp(argv[2], "check"))
		check(fd);
	else
		outlive(fd, argv[3]);
	return 0;
}
