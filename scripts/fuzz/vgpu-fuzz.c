// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-fuzz: a seeded, bounded ioctl fuzzer for a DRM device.
 *
 * Calls the DRM core, KMS and virtgpu ioctls with random arguments and with
 * valid ones mutated (ids of real objects, handles of real buffers, sizes near
 * the limits), maps dumb buffers at odd offsets and sizes, and commits random
 * atomic property sets. Every call's return is counted; the kernel log is the
 * verdict (the host checks it). The same seed gives the same sequence of
 * calls, so a report can be replayed.
 *
 *   vgpu-fuzz SEED CALLS [card]
 *
 * Prints "calls N", "faults N" and one "ioctl NAME ok N errors N" line per
 * ioctl, then "errno NAME N" for each error seen.
 *
 * As a client that outlives its device (VGPU_FUZZ_REOPEN=N): every N
 * operations it closes the device and opens it again, waiting for the node to
 * come back when the driver is unbound; it then also prints "reopens N" and
 * "open-waits N" (failed opens, 1 ms apart). A card path ending in '*'
 * ("/dev/dri/card*") opens the first of card0 to card15 that exists: a device
 * bound again while clients still hold the old one gets another minor. SIGTERM
 * ends the run early, with the same report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <drm.h>
#include <drm_mode.h>
#include <virtgpu_drm.h>

/* Newer than the host's libdrm headers (Debian 12). */
struct vgpu_closefb {
	uint32_t fb_id;
	uint32_t pad;
};
#define VGPU_IOCTL_MODE_CLOSEFB DRM_IOWR(0xD0, struct vgpu_closefb)

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint32_t below(uint32_t n)
{
	return n ? next() % n : 0;
}

static int chance(int percent)
{
	return below(100) < (uint32_t)percent;
}

/* A value a kernel check might get wrong. */
static uint64_t interesting(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1023, 1024, 4095,
		4096, 4097, 8192, 16383, 16384, 32767, 32768, 65535, 65536, 0x7fffffff,
		0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, ~0ull,
	};

	if (chance(30))
		return next();
	return v[below(sizeof(v) / sizeof(v[0]))];
}

/* Ids of real objects and handles of real buffers, to mutate valid calls. */
#define POOL 64
struct pool {
	uint32_t v[POOL];
	uint32_t n;
};
static struct pool objs, props, fbs, handles, blobs, crtcs, planes;

/* Adds v; returns the value it pushed out of a full pool (0 if none). */
static uint32_t pool_add(struct pool *p, uint32_t v)
{
	uint32_t i, old;

	if (!v)
		return 0;
	if (p->n < POOL) {
		p->v[p->n++] = v;
		return 0;
	}
	i = below(POOL);
	old = p->v[i];
	p->v[i] = v;
	return old;
}

static uint32_t pool_pick(struct pool *p)
{
	if (!p->n || chance(15))
		return (uint32_t)interesting();
	return p->v[below(p->n)];
}

static int fd;
static sigjmp_buf fault_jmp;
static unsigned long faults, calls;

#define MAX_IOCTLS 64
static struct {
	const char *name;
	unsigned long ok, err;
} stats[MAX_IOCTLS];
static unsigned long errnos[256];

/* With VGPU_FUZZ_TRACE=<file>, each call is named there before it is made. */
static int trace_fd = -1;

/*
 * With VGPU_FUZZ_SKIP=<name>[,<name>...], ioctls whose name contains one of
 * them are not made (counted as skipped): to get past a call known to take the
 * whole machine down, and fuzz the rest.
 */
static const char *skip_list;
static unsigned long skipped;

static int skip(const char *name)
{
	const char *p = skip_list;

	while (p && *p) {
		const char *end = strchrnul(p, ',');
		char word[64];
		size_t len = end - p < 63 ? (size_t)(end - p) : 63;

		memcpy(word, p, len);
		word[len] = 0;
		if (len && strstr(name, word))
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int call(int slot, const char *name, unsigned long req, void *arg)
{
	int ret;

	if (skip(name)) {
		calls++;
		skipped++;
		return -ENOSYS;
	}
	if (trace_fd >= 0) {
		char line[160];
		int len = snprintf(line, sizeof(line), "%lu %s %#lx\n", calls, name, req);

		if (pwrite(trace_fd, line, len, 0) < 0 || fdatasync(trace_fd) < 0)
			trace_fd = -1;
	}
	ret = ioctl(fd, req, arg);

	calls++;
	stats[slot].name = name;
	if (ret < 0) {
		stats[slot].err++;
		errnos[errno & 255]++;
		return -errno;
	}
	stats[slot].ok++;
	return ret;
}

#define CALL(slot, req, arg) call(slot, #req, req, arg)

/* A buffer of random bytes the kernel may read or write; sometimes too small. */
static uint8_t scratch[8192];

static void *user_ptr(size_t *len)
{
	switch (below(8)) {
	case 0:
		*len = 0;
		return NULL;
	case 1:
		/* An invalid address, with a length the caller may use as it is. */
		*len = below(sizeof(scratch));
		return (void *)(uintptr_t)interesting();
	default:
		*len = below(sizeof(scratch));
		return scratch;
	}
}

static uint64_t uptr(void)
{
	size_t len;

	return (uintptr_t)user_ptr(&len);
}

static void refresh_pools(void)
{
	struct drm_mode_card_res res = { 0 };
	uint32_t ids[4][16];
	uint32_t i;

	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return;
	res.count_fbs = res.count_fbs > 16 ? 16 : res.count_fbs;
	res.count_crtcs = res.count_crtcs > 16 ? 16 : res.count_crtcs;
	res.count_connectors = res.count_connectors > 16 ? 16 : res.count_connectors;
	res.count_encoders = res.count_encoders > 16 ? 16 : res.count_encoders;
	res.fb_id_ptr = (uintptr_t)ids[0];
	res.crtc_id_ptr = (uintptr_t)ids[1];
	res.connector_id_ptr = (uintptr_t)ids[2];
	res.encoder_id_ptr = (uintptr_t)ids[3];
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return;
	for (i = 0; i < res.count_crtcs && i < 16; i++) {
		pool_add(&crtcs, ids[1][i]);
		pool_add(&objs, ids[1][i]);
	}
	for (i = 0; i < res.count_connectors && i < 16; i++)
		pool_add(&objs, ids[2][i]);
	for (i = 0; i < res.count_encoders && i < 16; i++)
		pool_add(&objs, ids[3][i]);
	for (i = 0; i < res.count_fbs && i < 16; i++)
		pool_add(&fbs, ids[0][i]);
}

static void learn_properties(uint32_t obj)
{
	struct drm_mode_obj_get_properties gp = { .obj_id = obj };
	uint32_t ids[32];
	uint64_t vals[32];
	uint32_t i;

	if (ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &gp) || !gp.count_props)
		return;
	gp.count_props = gp.count_props > 32 ? 32 : gp.count_props;
	gp.props_ptr = (uintptr_t)ids;
	gp.prop_values_ptr = (uintptr_t)vals;
	if (ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &gp))
		return;
	for (i = 0; i < gp.count_props && i < 32; i++)
		pool_add(&props, ids[i]);
}

static void op_dumb(void)
{
	struct drm_mode_create_dumb c = { 0 };

	if (chance(60)) {
		c.width = below(2048) + 1;
		c.height = below(2048) + 1;
		c.bpp = chance(80) ? 32 : (uint32_t)interesting();
	} else {
		c.width = (uint32_t)interesting();
		c.height = (uint32_t)interesting();
		c.bpp = (uint32_t)interesting();
	}
	c.flags = chance(90) ? 0 : (uint32_t)interesting();
	if (CALL(0, DRM_IOCTL_MODE_CREATE_DUMB, &c) == 0) {
		/* Bound what the run holds: close the buffer it pushes out. */
		struct drm_gem_close g = { .handle = pool_add(&handles, c.handle) };

		if (g.handle)
			CALL(3, DRM_IOCTL_GEM_CLOSE, &g);
	}
}

static void op_map(void)
{
	struct drm_mode_map_dumb m = { .handle = pool_pick(&handles) };
	volatile uint8_t *p;
	size_t len;
	off_t off;

	if (CALL(1, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return;
	len = chance(50) ? 4096 * (below(64) + 1) : (size_t)below(1 << 22) + 1;
	off = m.offset + (chance(70) ? 0 : (off_t)(below(16) * 4096) - 4096 * 8 + below(2) * 7);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	calls++;
	if (p == MAP_FAILED)
		return;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		p[0] = p[0] + 1;
		p[len - 1] = 0x5a;
	} else {
		faults++;
	}
	munmap((void *)p, len);
}

static void op_destroy(void)
{
	struct drm_mode_destroy_dumb d = { .handle = pool_pick(&handles) };
	struct drm_gem_close g = { .handle = pool_pick(&handles) };

	if (chance(50))
		CALL(2, DRM_IOCTL_MODE_DESTROY_DUMB, &d);
	else
		CALL(3, DRM_IOCTL_GEM_CLOSE, &g);
}

static void op_addfb(void)
{
	struct drm_mode_fb_cmd2 f = { 0 };
	static const uint32_t formats[] = { 0x34325258, 0x34325241, 0x34325842, 0x34324142,
					    0x36314752, 0x3231564e };
	int i, planes_n = chance(80) ? 1 : (int)below(5);

	f.width = chance(70) ? below(2048) + 1 : (uint32_t)interesting();
	f.height = chance(70) ? below(2048) + 1 : (uint32_t)interesting();
	f.pixel_format = chance(80) ? formats[below(6)] : (uint32_t)interesting();
	f.flags = chance(85) ? 0 : (uint32_t)interesting();
	for (i = 0; i < planes_n && i < 4; i++) {
		f.handles[i] = pool_pick(&handles);
		f.pitches[i] = chance(60) ? f.width * 4 : (uint32_t)interesting();
		f.offsets[i] = chance(80) ? 0 : (uint32_t)interesting();
		f.modifier[i] = chance(90) ? 0 : interesting();
	}
	if (CALL(4, DRM_IOCTL_MODE_ADDFB2, &f) == 0) {
		uint32_t old = pool_add(&fbs, f.fb_id);

		if (old)
			CALL(5, DRM_IOCTL_MODE_RMFB, &old);
	}
}

static void op_rmfb(void)
{
	uint32_t id = pool_pick(&fbs);

	if (chance(70))
		CALL(5, DRM_IOCTL_MODE_RMFB, &id);
	else
		call(6, "DRM_IOCTL_MODE_CLOSEFB", VGPU_IOCTL_MODE_CLOSEFB,
		     &(struct vgpu_closefb){ .fb_id = id });
}

static void op_getfb(void)
{
	struct drm_mode_fb_cmd2 f = { .fb_id = pool_pick(&fbs) };

	if (CALL(7, DRM_IOCTL_MODE_GETFB2, &f) == 0) {
		uint32_t i;

		for (i = 0; i < 4; i++)
			pool_add(&handles, f.handles[i]);
	}
}

static void op_dirtyfb(void)
{
	struct drm_clip_rect clips[8];
	struct drm_mode_fb_dirty_cmd d = { .fb_id = pool_pick(&fbs) };
	uint32_t i;

	d.num_clips = chance(80) ? below(9) : (uint32_t)interesting();
	for (i = 0; i < 8; i++) {
		clips[i].x1 = below(2100);
		clips[i].y1 = below(2100);
		clips[i].x2 = chance(80) ? clips[i].x1 + below(300) : (uint16_t)interesting();
		clips[i].y2 = chance(80) ? clips[i].y1 + below(300) : (uint16_t)interesting();
	}
	d.clips_ptr = chance(90) ? (uintptr_t)clips : uptr();
	d.flags = chance(80) ? 0 : (uint32_t)interesting();
	d.color = (uint32_t)next();
	CALL(8, DRM_IOCTL_MODE_DIRTYFB, &d);
}

static void op_getobjects(void)
{
	uint8_t buf[512];
	size_t len;

	memset(buf, 0, sizeof(buf));
	switch (below(7)) {
	case 0: {
		struct drm_mode_crtc *c = (void *)buf;

		c->crtc_id = pool_pick(&objs);
		CALL(9, DRM_IOCTL_MODE_GETCRTC, c);
		break;
	}
	case 1: {
		struct drm_mode_get_connector *c = (void *)buf;

		c->connector_id = pool_pick(&objs);
		c->count_modes = chance(50) ? 0 : below(8);
		c->modes_ptr = uptr();
		c->count_props = below(4);
		c->props_ptr = uptr();
		c->prop_values_ptr = uptr();
		c->count_encoders = below(4);
		c->encoders_ptr = uptr();
		CALL(10, DRM_IOCTL_MODE_GETCONNECTOR, c);
		break;
	}
	case 2: {
		struct drm_mode_get_encoder *e = (void *)buf;

		e->encoder_id = pool_pick(&objs);
		CALL(11, DRM_IOCTL_MODE_GETENCODER, e);
		break;
	}
	case 3: {
		struct drm_mode_get_plane_res *r = (void *)buf;
		uint32_t ids[16];

		r->count_planes = 16;
		r->plane_id_ptr = (uintptr_t)ids;
		if (CALL(12, DRM_IOCTL_MODE_GETPLANERESOURCES, r) == 0) {
			uint32_t i;

			for (i = 0; i < r->count_planes && i < 16; i++) {
				pool_add(&planes, ids[i]);
				pool_add(&objs, ids[i]);
			}
		}
		break;
	}
	case 4: {
		struct drm_mode_get_plane *p = (void *)buf;

		p->plane_id = pool_pick(&planes);
		p->count_format_types = below(8);
		p->format_type_ptr = (uintptr_t)user_ptr(&len);
		CALL(13, DRM_IOCTL_MODE_GETPLANE, p);
		break;
	}
	case 5: {
		struct drm_mode_get_property *p = (void *)buf;

		p->prop_id = pool_pick(&props);
		p->count_values = below(8);
		p->values_ptr = uptr();
		p->count_enum_blobs = below(8);
		p->enum_blob_ptr = uptr();
		CALL(14, DRM_IOCTL_MODE_GETPROPERTY, p);
		break;
	}
	default: {
		uint32_t obj = pool_pick(&objs);

		learn_properties(obj);
		calls++;
		break;
	}
	}
}

static void op_setprop(void)
{
	struct drm_mode_obj_set_property s = {
		.value = chance(50) ? pool_pick(chance(50) ? &fbs : &blobs) : interesting(),
		.prop_id = pool_pick(&props),
		.obj_id = pool_pick(&objs),
		.obj_type = chance(80) ? (uint32_t)(0xcccccccc - below(3) * 0x1111111) :
					 (uint32_t)interesting(),
	};

	CALL(15, DRM_IOCTL_MODE_OBJ_SETPROPERTY, &s);
}

static void op_blob(void)
{
	struct drm_mode_create_blob c = { 0 };
	struct drm_mode_destroy_blob d = { .blob_id = pool_pick(&blobs) };
	struct drm_mode_get_blob g = { .blob_id = pool_pick(&blobs) };
	size_t len;

	switch (below(3)) {
	case 0:
		c.data = (uintptr_t)user_ptr(&len);
		/*
		 * Sizes up to 1 MiB: the DRM core accepts blobs up to INT_MAX, and a pool of big
		 * ones in a 2 GiB guest only measures the OOM killer.
		 */
		c.length = chance(80) ? (uint32_t)len : (uint32_t)(interesting() % (1u << 20));
		if (CALL(16, DRM_IOCTL_MODE_CREATEPROPBLOB, &c) == 0) {
			d.blob_id = pool_add(&blobs, c.blob_id);
			if (d.blob_id)
				CALL(17, DRM_IOCTL_MODE_DESTROYPROPBLOB, &d);
		}
		break;
	case 1:
		CALL(17, DRM_IOCTL_MODE_DESTROYPROPBLOB, &d);
		break;
	default:
		g.length = below(1024);
		g.data = uptr();
		CALL(18, DRM_IOCTL_MODE_GETPROPBLOB, &g);
		break;
	}
}

static void op_atomic(void)
{
	uint32_t objs_v[4], counts[4], props_v[16];
	uint64_t values[16];
	struct drm_mode_atomic a = { 0 };
	uint32_t i;

	a.count_objs = chance(90) ? below(5) : (uint32_t)interesting();
	for (i = 0; i < 4; i++) {
		objs_v[i] = pool_pick(&objs);
		counts[i] = chance(90) ? below(5) : (uint32_t)interesting();
	}
	for (i = 0; i < 16; i++) {
		props_v[i] = pool_pick(&props);
		values[i] = chance(40) ? pool_pick(chance(50) ? &fbs : &crtcs) :
			    chance(50) ? pool_pick(&blobs) : interesting();
	}
	a.objs_ptr = chance(95) ? (uintptr_t)objs_v : uptr();
	a.count_props_ptr = chance(95) ? (uintptr_t)counts : uptr();
	a.props_ptr = chance(95) ? (uintptr_t)props_v : uptr();
	a.prop_values_ptr = chance(95) ? (uintptr_t)values : uptr();
	/* Mostly test-only or non-blocking: a blocking commit waits a frame at most. */
	a.flags = chance(50) ? DRM_MODE_ATOMIC_TEST_ONLY : DRM_MODE_ATOMIC_NONBLOCK;
	if (chance(40))
		a.flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	if (chance(20))
		a.flags |= DRM_MODE_PAGE_FLIP_EVENT;
	if (chance(5))
		a.flags = (uint32_t)interesting();
	CALL(19, DRM_IOCTL_MODE_ATOMIC, &a);
}

static void op_legacy(void)
{
	switch (below(4)) {
	case 0: {
		struct drm_mode_crtc c = { .crtc_id = pool_pick(&crtcs), .fb_id = pool_pick(&fbs) };
		uint32_t conn = pool_pick(&objs);

		c.set_connectors_ptr = chance(80) ? (uintptr_t)&conn : uptr();
		c.count_connectors = chance(80) ? below(2) : (uint32_t)interesting();
		c.x = below(64);
		c.y = below(64);
		if (chance(70)) {
			c.mode_valid = 1;
			c.mode.hdisplay = chance(70) ? 1024 : (uint16_t)interesting();
			c.mode.vdisplay = chance(70) ? 768 : (uint16_t)interesting();
			c.mode.htotal = c.mode.hdisplay + below(400);
			c.mode.vtotal = c.mode.vdisplay + below(100);
			c.mode.hsync_start = c.mode.hdisplay + below(50);
			c.mode.hsync_end = c.mode.hsync_start + below(50);
			c.mode.vsync_start = c.mode.vdisplay + below(10);
			c.mode.vsync_end = c.mode.vsync_start + below(10);
			c.mode.clock = chance(80) ? 65000 : (uint32_t)interesting();
			c.mode.vrefresh = 60;
		}
		CALL(20, DRM_IOCTL_MODE_SETCRTC, &c);
		break;
	}
	case 1: {
		struct drm_mode_crtc_page_flip f = {
			.crtc_id = pool_pick(&crtcs),
			.fb_id = pool_pick(&fbs),
			.flags = chance(80) ? DRM_MODE_PAGE_FLIP_EVENT : (uint32_t)interesting(),
		};

		CALL(21, DRM_IOCTL_MODE_PAGE_FLIP, &f);
		break;
	}
	case 2: {
		struct drm_mode_cursor2 c = {
			.flags = chance(80) ? below(4) : (uint32_t)interesting(),
			.crtc_id = pool_pick(&crtcs),
			.x = (int32_t)(below(4000) - 2000),
			.y = (int32_t)(below(4000) - 2000),
			.width = chance(70) ? 64 : (uint32_t)interesting(),
			.height = chance(70) ? 64 : (uint32_t)interesting(),
			.handle = pool_pick(&handles),
			.hot_x = (int32_t)below(80),
			.hot_y = (int32_t)below(80),
		};

		CALL(22, DRM_IOCTL_MODE_CURSOR2, &c);
		break;
	}
	default: {
		struct drm_mode_set_plane p = {
			.plane_id = pool_pick(&planes),
			.crtc_id = pool_pick(&crtcs),
			.fb_id = pool_pick(&fbs),
			.crtc_x = (int32_t)(below(3000) - 1000),
			.crtc_y = (int32_t)(below(3000) - 1000),
			.crtc_w = below(3000),
			.crtc_h = below(3000),
			.src_w = below(3000) << 16,
			.src_h = below(3000) << 16,
		};

		if (chance(20))
			p.src_x = (uint32_t)interesting();
		CALL(23, DRM_IOCTL_MODE_SETPLANE, &p);
		break;
	}
	}
}

static void op_core(void)
{
	size_t len;

	switch (below(6)) {
	case 0: {
		struct drm_version v = { 0 };

		v.name_len = below(64);
		v.name = user_ptr(&len);
		v.desc_len = below(64);
		v.desc = user_ptr(&len);
		v.date_len = below(64);
		v.date = user_ptr(&len);
		CALL(24, DRM_IOCTL_VERSION, &v);
		break;
	}
	case 1: {
		struct drm_get_cap c = { .capability = chance(80) ? below(0x20) : interesting() };

		CALL(25, DRM_IOCTL_GET_CAP, &c);
		break;
	}
	case 2: {
		struct drm_set_client_cap c = {
			.capability = chance(80) ? below(8) : interesting(),
			.value = chance(80) ? below(2) : interesting(),
		};

		CALL(26, DRM_IOCTL_SET_CLIENT_CAP, &c);
		break;
	}
	case 3: {
		struct drm_auth a = { 0 };

		if (CALL(27, DRM_IOCTL_GET_MAGIC, &a) == 0 && chance(50))
			CALL(28, DRM_IOCTL_AUTH_MAGIC, &a);
		break;
	}
	case 4: {
		struct drm_prime_handle p = {
			.handle = pool_pick(&handles),
			.flags = chance(80) ? DRM_CLOEXEC | (chance(50) ? DRM_RDWR : 0) :
					      (uint32_t)interesting(),
		};

		if (CALL(29, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p) == 0) {
			struct drm_prime_handle q = { .fd = p.fd };

			if (CALL(30, DRM_IOCTL_PRIME_FD_TO_HANDLE, &q) == 0)
				pool_add(&handles, q.handle);
			close(p.fd);
		}
		break;
	}
	default: {
		struct drm_crtc_get_sequence s = { .crtc_id = pool_pick(&crtcs) };

		CALL(31, DRM_IOCTL_CRTC_GET_SEQUENCE, &s);
		break;
	}
	}
}

static void op_virtgpu(void)
{
	switch (below(8)) {
	case 0: {
		uint64_t value;
		struct drm_virtgpu_getparam g = {
			.param = chance(80) ? below(12) : interesting(),
			.value = chance(80) ? (uintptr_t)&value : uptr(),
		};

		CALL(32, DRM_IOCTL_VIRTGPU_GETPARAM, &g);
		break;
	}
	case 1: {
		struct drm_virtgpu_resource_create r = {
			.target = chance(80) ? 2 : (uint32_t)interesting(),
			.format = chance(80) ? 1 + below(4) : (uint32_t)interesting(),
			.bind = (uint32_t)interesting(),
			.width = chance(80) ? below(1024) + 1 : (uint32_t)interesting(),
			.height = chance(80) ? below(1024) + 1 : (uint32_t)interesting(),
			.depth = chance(80) ? 1 : (uint32_t)interesting(),
			.array_size = chance(80) ? 1 : (uint32_t)interesting(),
			.size = chance(80) ? below(1 << 22) : (uint32_t)interesting(),
		};

		if (CALL(33, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &r) == 0)
			pool_add(&handles, r.bo_handle);
		break;
	}
	case 2: {
		struct drm_virtgpu_map m = { .handle = pool_pick(&handles) };

		CALL(34, DRM_IOCTL_VIRTGPU_MAP, &m);
		break;
	}
	case 3: {
		struct drm_virtgpu_resource_info r = { .bo_handle = pool_pick(&handles) };

		CALL(35, DRM_IOCTL_VIRTGPU_RESOURCE_INFO, &r);
		break;
	}
	case 4: {
		struct drm_virtgpu_3d_wait w = {
			.handle = pool_pick(&handles),
			.flags = chance(80) ? VIRTGPU_WAIT_NOWAIT : (uint32_t)interesting(),
		};

		CALL(36, DRM_IOCTL_VIRTGPU_WAIT, &w);
		break;
	}
	case 5: {
		struct drm_virtgpu_3d_transfer_to_host t = {
			.bo_handle = pool_pick(&handles),
			.box = { below(64), below(64), 0, below(256), below(256), 1 },
			.offset = interesting(),
		};

		CALL(37, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t);
		break;
	}
	case 6: {
		struct drm_virtgpu_get_caps c = {
			.cap_set_id = below(4),
			.cap_set_ver = below(4),
			.addr = uptr(),
			.size = below(4096),
		};

		CALL(38, DRM_IOCTL_VIRTGPU_GET_CAPS, &c);
		break;
	}
	default: {
		/* Any driver ioctl number, with a random size and payload. */
		unsigned long nr = DRM_COMMAND_BASE + below(0x10);
		unsigned long size = below(96);
		unsigned long req = _IOC(below(4), DRM_IOCTL_BASE, nr, size);
		uint64_t payload[12];
		uint32_t i;

		for (i = 0; i < 12; i++)
			payload[i] = chance(50) ? interesting() : uptr();
		call(39, "driver ioctl (raw)", req, payload);
		break;
	}
	}
}

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(fault_jmp, 1);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long open_waits;

/* Opens the card, waiting (until SIGTERM) if it is not there; 0 on success. */
static int open_card(const char *card, int wait)
{
	size_t len = strlen(card);

	for (;;) {
		if (len && card[len - 1] == '*') {
			char path[256];

			for (int i = 0; i < 16; i++) {
				snprintf(path, sizeof(path), "%.*s%d", (int)(len - 1), card, i);
				fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
				if (fd >= 0 || errno != ENOENT)
					break;
			}
		} else {
			fd = open(card, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		}
		if (fd >= 0)
			break;
		if (!wait || stop) {
			perror(card);
			return -1;
		}
		open_waits++;
		usleep(1000);
	}
	ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP,
	      &(struct drm_set_client_cap){ DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1 });
	ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP, &(struct drm_set_client_cap){ DRM_CLIENT_CAP_ATOMIC, 1 });
	return 0;
}

static void drain_events(void)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int main(int argc, char **argv)
{
	static void (*const ops[])(void) = {
		op_dumb, op_dumb, op_map, op_destroy, op_addfb, op_addfb, op_rmfb, op_getfb,
		op_dirtyfb, op_getobjects, op_getobjects, op_setprop, op_blob, op_atomic,
		op_atomic, op_legacy, op_core, op_virtgpu, op_virtgpu,
	};
	unsigned long n, i = 0, reopen = 0, reopens = 0;
	const char *card;
	int e;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SEED CALLS [card]\n", argv[0]);
		return 2;
	}
	rng = strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ull + 1;
	n = strtoul(argv[2], NULL, 0);
	card = argc > 3 ? argv[3] : "/dev/dri/card0";
	if (getenv("VGPU_FUZZ_REOPEN"))
		reopen = strtoul(getenv("VGPU_FUZZ_REOPEN"), NULL, 0);
	signal(SIGTERM, on_term);
	if (open_card(card, reopen > 0))
		return 1;
	skip_list = getenv("VGPU_FUZZ_SKIP");
	if (getenv("VGPU_FUZZ_TRACE"))
		trace_fd = open(getenv("VGPU_FUZZ_TRACE"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	memset(scratch, 0, sizeof(scratch));
	refresh_pools();

	while (calls < n && !stop) {
		if (reopen && i && !(i % reopen)) {
			close(fd);
			/* The ids and handles were the old file's: start afresh. */
			memset(&objs, 0, sizeof(objs));
			memset(&props, 0, sizeof(props));
			memset(&fbs, 0, sizeof(fbs));
			memset(&handles, 0, sizeof(handles));
			memset(&blobs, 0, sizeof(blobs));
			memset(&crtcs, 0, sizeof(crtcs));
			memset(&planes, 0, sizeof(planes));
			if (open_card(card, 1))
				break;
			reopens++;
		}
		if (!(i++ % 64)) {
			refresh_pools();
			drain_events();
		}
		if (chance(3))
			for (e = 0; e < (int)sizeof(scratch); e += 8)
				*(uint64_t *)&scratch[e] = chance(50) ? interesting() : 0;
		ops[below(sizeof(ops) / sizeof(ops[0]))]();
	}
	drain_events();
	close(fd);

	printf("calls %lu\nfaults %lu\nskipped %lu\n", calls, faults, skipped);
	if (reopen)
		printf("reopens %lu\nopen-waits %lu\n", reopens, open_waits);
	for (i = 0; i < MAX_IOCTLS; i++)
		if (stats[i].name)
			printf("ioctl %s ok %lu errors %lu\n", stats[i].name, stats[i].ok, stats[i].err);
	for (i = 0; i < 256; i++)
		if (errnos[i])
			printf("errno %s %lu\n", strerrorname_np(i) ? strerrorname_np(i) : "?", errnos[i]);
	return 0;
}
