// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-faults: systematic fault injection into a DRM driver's ioctl paths.
 *
 * For each case (buffer creation, framebuffers, modesets, plane updates, page
 * flips, damage, cursor, the virtgpu resource ioctls, open and close), the case's call is made once with
 * no fault, to count nothing, then again and again with the kernel told to
 * fail its n-th allocation in this thread (/proc/thread-self/fail-nth, fed
 * by failslab and fail_page_alloc), for n = 1, 2, ... until the call runs to
 * its end without reaching an n-th allocation. So every allocation the call
 * makes in this thread fails once, in order.
 *
 * What is checked here: each call returns (an errno or success), the cleanup
 * after it succeeds, and after each case the display still works (a full
 * modeset and a page flip whose event arrives). What the failures did to the
 * kernel (oops, WARNING, lockdep report, leaks) is judged by the host from
 * the kernel log and kmemleak.
 *
 *   vgpu-faults [CARD]
 *
 * Prints, per case, "case NAME pass|fail sites N errnos E:N,... [why]" and at
 * the end "faults N" (the number of failures injected). Exits 0 when every
 * case passed, 1 when one failed, 77 when the kernel has no fail-nth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>
#include <virtgpu_drm.h>

/* A case that needs more injected faults than this is stopped there. */
#define MAX_SITES 4000

static int fd, nth_fd;
static const char *card;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vgpu-faults: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* Fail the n-th fail point this thread reaches from now on (0: none). */
static void arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		die("writing fail-nth: %s", strerror(errno));
}

/* How many fail points are left before the armed one (0: it failed). */
static unsigned int armed_left(void)
{
	char buf[16] = { 0 };

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		die("reading fail-nth: %s", strerror(errno));
	return strtoul(buf, NULL, 10);
}

/* The display: one connector, its CRTC, primary and cursor planes, two modes. */
static struct {
	uint32_t conn, crtc, primary, cursor;
	drmModeModeInfo mode[2];
	uint32_t mode_blob[2];
	uint32_t conn_crtc_id, crtc_active, crtc_mode_id;
	uint32_t p_fb, p_crtc, p_src_x, p_src_y, p_src_w, p_src_h, p_crtc_x, p_crtc_y, p_crtc_w,
		p_crtc_h;
} d;

struct fb {
	uint32_t handle, id, w, h, pitch;
	uint64_t size;
};

static uint32_t prop_id(uint32_t obj, uint32_t type, const char *name)
{
	drmModeObjectPropertiesPtr props = drmModeObjectGetProperties(fd, obj, type);
	uint32_t id = 0;

	for (uint32_t i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

		if (p && !strcmp(p->name, name))
			id = p->prop_id;
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	if (!id)
		die("object %u has no property %s", obj, name);
	return id;
}

static uint64_t prop_value(uint32_t obj, uint32_t type, const char *name)
{
	drmModeObjectPropertiesPtr props = drmModeObjectGetProperties(fd, obj, type);
	uint32_t id = prop_id(obj, type, name);
	uint64_t v = 0;

	for (uint32_t i = 0; props && i < props->count_props; i++)
		if (props->props[i] == id)
			v = props->prop_values[i];
	drmModeFreeObjectProperties(props);
	return v;
}

static void find_display(void)
{
	drmModeResPtr res = drmModeGetResources(fd);
	drmModePlaneResPtr pres = drmModeGetPlaneResources(fd);
	drmModeConnectorPtr c = NULL;
	int crtc_index = -1;

	if (!res || !pres)
		die("no KMS resources: %s", strerror(errno));
	for (int i = 0; i < res->count_connectors && !c; i++) {
		c = drmModeGetConnector(fd, res->connectors[i]);
		if (c && (c->connection != DRM_MODE_CONNECTED || !c->count_modes || !c->count_encoders)) {
			drmModeFreeConnector(c);
			c = NULL;
		}
	}
	if (!c)
		die("no connected connector with modes");
	d.conn = c->connector_id;
	d.mode[0] = c->modes[0];
	d.mode[1] = c->modes[0];
	/* The second mode: another size, no larger than the first if there is one. */
	for (int pass = 0; pass < 2 && d.mode[1].hdisplay == d.mode[0].hdisplay &&
			   d.mode[1].vdisplay == d.mode[0].vdisplay; pass++) {
		for (int i = 1; i < c->count_modes; i++) {
			const drmModeModeInfo *m = &c->modes[i];

			if (m->hdisplay == c->modes[0].hdisplay && m->vdisplay == c->modes[0].vdisplay)
				continue;
			if (!pass && (m->hdisplay > c->modes[0].hdisplay ||
				      m->vdisplay > c->modes[0].vdisplay))
				continue;
			d.mode[1] = *m;
			break;
		}
	}
	{
		drmModeEncoderPtr e = drmModeGetEncoder(fd, c->encoders[0]);

		for (int i = 0; e && i < res->count_crtcs; i++) {
			if (e->possible_crtcs & (1u << i)) {
				crtc_index = i;
				break;
			}
		}
		drmModeFreeEncoder(e);
	}
	if (crtc_index < 0)
		die("connector %u has no CRTC", d.conn);
	d.crtc = res->crtcs[crtc_index];
	for (uint32_t i = 0; i < pres->count_planes; i++) {
		drmModePlanePtr p = drmModeGetPlane(fd, pres->planes[i]);
		uint64_t type;

		if (!p)
			continue;
		if (p->possible_crtcs & (1u << crtc_index)) {
			type = prop_value(p->plane_id, DRM_MODE_OBJECT_PLANE, "type");
			if (type == DRM_PLANE_TYPE_PRIMARY && !d.primary)
				d.primary = p->plane_id;
			if (type == DRM_PLANE_TYPE_CURSOR && !d.cursor)
				d.cursor = p->plane_id;
		}
		drmModeFreePlane(p);
	}
	if (!d.primary)
		die("CRTC %u has no primary plane", d.crtc);
	drmModeFreeConnector(c);
	drmModeFreePlaneResources(pres);
	drmModeFreeResources(res);

	d.conn_crtc_id = prop_id(d.conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID");
	d.crtc_active = prop_id(d.crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE");
	d.crtc_mode_id = prop_id(d.crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID");
	d.p_fb = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "FB_ID");
	d.p_crtc = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "CRTC_ID");
	d.p_src_x = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "SRC_X");
	d.p_src_y = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "SRC_Y");
	d.p_src_w = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "SRC_W");
	d.p_src_h = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "SRC_H");
	d.p_crtc_x = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "CRTC_X");
	d.p_crtc_y = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "CRTC_Y");
	d.p_crtc_w = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "CRTC_W");
	d.p_crtc_h = prop_id(d.primary, DRM_MODE_OBJECT_PLANE, "CRTC_H");
	for (int i = 0; i < 2; i++)
		if (drmModeCreatePropertyBlob(fd, &d.mode[i], sizeof(d.mode[i]), &d.mode_blob[i]))
			die("mode blob: %s", strerror(errno));
}

/* Dumb buffer creation, its framebuffer; -errno on failure, nothing left. */
static int dumb_create(struct fb *f, uint32_t w, uint32_t h)
{
	struct drm_mode_create_dumb c = { .width = w, .height = h, .bpp = 32 };

	memset(f, 0, sizeof(*f));
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return -errno;
	f->handle = c.handle;
	f->pitch = c.pitch;
	f->size = c.size;
	f->w = w;
	f->h = h;
	return 0;
}

static int dumb_destroy(struct fb *f)
{
	struct drm_mode_destroy_dumb dd = { .handle = f->handle };

	if (!f->handle)
		return 0;
	if (ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd))
		return -errno;
	f->handle = 0;
	return 0;
}

static int fb_add(struct fb *f)
{
	uint32_t handles[4] = { f->handle }, pitches[4] = { f->pitch }, offsets[4] = { 0 };

	if (drmModeAddFB2(fd, f->w, f->h, DRM_FORMAT_XRGB8888, handles, pitches, offsets, &f->id,
			  0))
		return -errno;
	return 0;
}

static int fb_remove(struct fb *f)
{
	if (!f->id)
		return 0;
	if (drmModeRmFB(fd, f->id))
		return -errno;
	f->id = 0;
	return 0;
}

/* A framebuffer with a pattern in it, made with no fault armed. */
static void fb_make(struct fb *f, uint32_t w, uint32_t h, uint32_t seed)
{
	struct drm_mode_map_dumb m = { 0 };
	uint32_t *px;

	if (dumb_create(f, w, h) || fb_add(f))
		die("framebuffer %ux%u: %s", w, h, strerror(errno));
	m.handle = f->handle;
	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		die("map: %s", strerror(errno));
	px = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (px == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	for (uint64_t i = 0; i < f->size / 4; i++)
		px[i] = (uint32_t)(i * 2654435761u) ^ seed;
	munmap(px, f->size);
}

static void fb_free(struct fb *f)
{
	if (fb_remove(f) || dumb_destroy(f))
		die("freeing a framebuffer: %s", strerror(errno));
}

/*
 * An atomic request, built before it is committed: while a fault is armed,
 * this program must not allocate (libdrm's atomic requests do, and a brk or a
 * first touch of new heap would count as the driver's fail points).
 */
struct atomic {
	uint32_t objs[4], counts[4], props[16];
	uint64_t values[16];
	uint32_t nobjs, nprops;
};

/* Adds obj.prop = value; a request's properties are grouped by object. */
static void atomic_add(struct atomic *a, uint32_t obj, uint32_t prop, uint64_t value)
{
	if (!a->nobjs || a->objs[a->nobjs - 1] != obj) {
		a->objs[a->nobjs] = obj;
		a->counts[a->nobjs++] = 0;
	}
	a->counts[a->nobjs - 1]++;
	a->props[a->nprops] = prop;
	a->values[a->nprops++] = value;
}

/* The request that shows fb with mode m, or turns the display off (fb NULL). */
static void display_req(struct atomic *a, int m, const struct fb *f)
{
	memset(a, 0, sizeof(*a));
	atomic_add(a, d.conn, d.conn_crtc_id, f ? d.crtc : 0);
	atomic_add(a, d.crtc, d.crtc_active, !!f);
	atomic_add(a, d.crtc, d.crtc_mode_id, f ? d.mode_blob[m] : 0);
	atomic_add(a, d.primary, d.p_fb, f ? f->id : 0);
	atomic_add(a, d.primary, d.p_crtc, f ? d.crtc : 0);
	if (!f)
		return;
	atomic_add(a, d.primary, d.p_src_x, 0);
	atomic_add(a, d.primary, d.p_src_y, 0);
	atomic_add(a, d.primary, d.p_src_w, (uint64_t)d.mode[m].hdisplay << 16);
	atomic_add(a, d.primary, d.p_src_h, (uint64_t)d.mode[m].vdisplay << 16);
	atomic_add(a, d.primary, d.p_crtc_x, 0);
	atomic_add(a, d.primary, d.p_crtc_y, 0);
	atomic_add(a, d.primary, d.p_crtc_w, d.mode[m].hdisplay);
	atomic_add(a, d.primary, d.p_crtc_h, d.mode[m].vdisplay);
}

static int commit(const struct atomic *a, uint32_t flags)
{
	struct drm_mode_atomic arg = {
		.flags = flags,
		.count_objs = a->nobjs,
		.objs_ptr = (uintptr_t)a->objs,
		.count_props_ptr = (uintptr_t)a->counts,
		.props_ptr = (uintptr_t)a->props,
		.prop_values_ptr = (uintptr_t)a->values,
	};

	return ioctl(fd, DRM_IOCTL_MODE_ATOMIC, &arg) ? -errno : 0;
}

/* Show fb with mode m, no fault armed; the case's starting state. */
static int show(int m, const struct fb *f)
{
	struct atomic a;

	display_req(&a, m, f);
	return commit(&a, DRM_MODE_ATOMIC_ALLOW_MODESET);
}

/* Wait up to a second for one DRM event (a flip's or a commit's). */
static int wait_event(void)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];

	if (poll(&p, 1, 1000) != 1)
		return -ETIMEDOUT;
	return read(fd, buf, sizeof(buf)) > 0 ? 0 : -errno;
}

/* The frame buffers every case may use: two per mode, two cursors. */
static struct fb fb_a[2], fb_b, cur[2];
static unsigned int flip_next;

/*
 * A case: prepare (no fault armed), act (the n-th fail point armed; returns
 * 0 or -errno), cleanup (no fault armed; returns 0 or -errno after act's
 * result). Act must leave what cleanup needs in the case's own state.
 */
struct fault_case {
	const char *name;
	int (*prepare)(void);
	int (*act)(void);
	int (*cleanup)(int act_ret);
};

static struct fb tmp;
static int tmp_fd = -1;

static int no_prepare(void)
{
	return 0;
}

static int show_a(void)
{
	return show(0, &fb_a[0]);
}

static int create_tmp_dumb(void)
{
	return dumb_create(&tmp, 1024, 768);
}

static int cleanup_dumb(int ret)
{
	(void)ret;
	return dumb_destroy(&tmp);
}

static int act_map_dumb(void)
{
	struct drm_mode_map_dumb m = { .handle = tmp.handle };
	void *p;

	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return -errno;
	/* Mapping pins the pages; touching them is not part of the case. */
	p = mmap(NULL, tmp.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (p == MAP_FAILED)
		return -errno;
	munmap(p, tmp.size);
	return 0;
}

static int act_destroy_dumb(void)
{
	return dumb_destroy(&tmp);
}

static int act_addfb(void)
{
	return fb_add(&tmp);
}

static int cleanup_fb(int ret)
{
	int r = fb_remove(&tmp);

	(void)ret;
	return dumb_destroy(&tmp) ?: r;
}

/* A 64x64 resource of DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, in tmp.handle. */
static int create_tmp_resource(void)
{
	struct drm_virtgpu_resource_create r = {
		.target = 2, /* a 2D texture, all a device without 3D has */
		.format = 2, /* VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM */
		.width = 64,
		.height = 64,
		.depth = 1,
		.array_size = 1,
		.size = 64 * 64 * 4,
	};

	tmp.handle = 0;
	if (ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &r))
		return -errno;
	tmp.handle = r.bo_handle;
	return 0;
}

static int cleanup_resource(int ret)
{
	struct drm_gem_close c = { .handle = tmp.handle };

	(void)ret;
	if (!tmp.handle)
		return 0;
	tmp.handle = 0;
	return ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c) ? -errno : 0;
}

static int act_transfer_to_host(void)
{
	struct drm_virtgpu_3d_transfer_to_host t = {
		.bo_handle = tmp.handle,
		.box = { .x = 8, .y = 8, .w = 32, .h = 32, .d = 1 },
		.offset = 8 * 64 * 4 + 8 * 4,
	};

	return ioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &t) ? -errno : 0;
}

/* The requests the acts commit, built once the framebuffers exist. */
static struct atomic req_modeset_b, req_disable, req_flip_a1;

static int act_modeset(void)
{
	return commit(&req_modeset_b, DRM_MODE_ATOMIC_ALLOW_MODESET);
}

static int act_disable(void)
{
	return commit(&req_disable, DRM_MODE_ATOMIC_ALLOW_MODESET);
}

static int act_setcrtc(void)
{
	uint32_t conn = d.conn;

	return drmModeSetCrtc(fd, d.crtc, fb_b.id, 0, 0, &conn, 1, &d.mode[1]) ? -errno : 0;
}

/* A blocking plane update: the commit's tail runs in this thread. */
static int act_plane_update(void)
{
	return commit(&req_flip_a1, 0);
}

static int act_page_flip(void)
{
	flip_next ^= 1;
	return drmModePageFlip(fd, d.crtc, fb_a[flip_next].id, DRM_MODE_PAGE_FLIP_EVENT, NULL) ?
		       -errno :
		       0;
}

static int cleanup_flip(int ret)
{
	if (ret) {
		flip_next ^= 1;
		return 0;
	}
	return wait_event();
}

static int act_dirtyfb(void)
{
	drmModeClip clip = { .x1 = 16, .y1 = 16, .x2 = 48, .y2 = 48 };

	return drmModeDirtyFB(fd, fb_a[0].id, &clip, 1) ? -errno : 0;
}

static unsigned int cursor_next;

static int act_cursor_set(void)
{
	cursor_next ^= 1;
	return drmModeSetCursor2(fd, d.crtc, cur[cursor_next].handle, 64, 64, 3, 5) ? -errno : 0;
}

static int cleanup_cursor(int ret)
{
	if (ret)
		cursor_next ^= 1;
	return 0;
}

static int prepare_cursor(void)
{
	return drmModeSetCursor2(fd, d.crtc, cur[cursor_next].handle, 64, 64, 3, 5) ? -errno : 0;
}

static int act_cursor_move(void)
{
	static int x;

	x = (x + 7) % 200;
	return drmModeMoveCursor(fd, d.crtc, x, 100 - x / 2) ? -errno : 0;
}

static int open_tmp(void)
{
	tmp_fd = open(card, O_RDWR | O_CLOEXEC);
	return tmp_fd < 0 ? -errno : 0;
}

static int cleanup_open(int ret)
{
	(void)ret;
	if (tmp_fd >= 0)
		close(tmp_fd);
	tmp_fd = -1;
	return 0;
}

static int act_close(void)
{
	int ret = close(tmp_fd) ? -errno : 0;

	tmp_fd = -1;
	return ret;
}

static int nothing(int ret)
{
	(void)ret;
	return 0;
}

static const struct fault_case cases[] = {
	{ "create-dumb", no_prepare, create_tmp_dumb, cleanup_dumb },
	{ "map-dumb", create_tmp_dumb, act_map_dumb, cleanup_dumb },
	{ "destroy-dumb", create_tmp_dumb, act_destroy_dumb, cleanup_dumb },
	{ "addfb", create_tmp_dumb, act_addfb, cleanup_fb },
	{ "modeset", show_a, act_modeset, nothing },
	{ "disable", show_a, act_disable, nothing },
	{ "setcrtc", show_a, act_setcrtc, nothing },
	{ "plane-update", show_a, act_plane_update, nothing },
	{ "page-flip", no_prepare, act_page_flip, cleanup_flip },
	{ "dirtyfb", show_a, act_dirtyfb, nothing },
	{ "cursor-set", prepare_cursor, act_cursor_set, cleanup_cursor },
	{ "cursor-move", prepare_cursor, act_cursor_move, nothing },
	{ "resource-create", no_prepare, create_tmp_resource, cleanup_resource },
	{ "transfer-to-host", create_tmp_resource, act_transfer_to_host, cleanup_resource },
	{ "open", no_prepare, open_tmp, cleanup_open },
	{ "close", open_tmp, act_close, cleanup_open },
};

/* After a case: a full modeset and a page flip whose event arrives. */
static const char *display_works(void)
{
	if (show(1, &fb_b))
		return "a modeset after the case failed";
	if (show(0, &fb_a[0]))
		return "a modeset back after the case failed";
	flip_next = 1;
	if (drmModePageFlip(fd, d.crtc, fb_a[1].id, DRM_MODE_PAGE_FLIP_EVENT, NULL))
		return "a page flip after the case failed";
	if (wait_event())
		return "no flip event after the case";
	return NULL;
}

static void errno_note(char *buf, size_t len, const unsigned int *count)
{
	size_t n = 0;

	buf[0] = 0;
	for (int e = 0; e < 256; e++) {
		if (!count[e])
			continue;
		n += snprintf(buf + n, len > n ? len - n : 0, "%s%s:%u", n ? "," : "",
			      e ? (strerrorname_np(e) ?: "?") : "ok", count[e]);
	}
	if (!n)
		snprintf(buf, len, "-");
}

static unsigned long total_faults;

/* Runs one case; returns 1 when it passed. */
static int run_case(const struct fault_case *c)
{
	static unsigned int count[256];
	const char *why = NULL;
	char errnos[512], detail[256] = "";
	unsigned int n, sites = 0;
	int ret;

	memset(count, 0, sizeof(count));
	fprintf(stderr, "case %s\n", c->name);
	/* n = 0 is the call without a fault: it must succeed. */
	for (n = 0; n <= MAX_SITES; n++) {
		unsigned int left = 1;
		int cret;

		ret = c->prepare();
		if (ret) {
			snprintf(detail, sizeof(detail), "preparing (after %u faults): %s", sites,
				 strerror(-ret));
			why = detail;
			break;
		}
		if (n)
			arm(n);
		ret = c->act();
		if (n) {
			left = armed_left();
			arm(0);
		}
		cret = c->cleanup(ret);
		if (!n && ret) {
			snprintf(detail, sizeof(detail), "the call fails with no fault: %s",
				 strerror(-ret));
			why = detail;
			break;
		}
		if (cret) {
			snprintf(detail, sizeof(detail), "cleanup after fault %u: %s", n,
				 strerror(-cret));
			why = detail;
			break;
		}
		if (!n)
			continue;
		if (left) {
			/* The call ended before its n-th fail point: it must have worked,
			 * as with no fault; an error here is state an earlier fault broke. */
			if (ret) {
				snprintf(detail, sizeof(detail),
					 "the call fails with no fault after %u faults: %s", sites,
					 strerror(-ret));
				why = detail;
			}
			break;
		}
		sites++;
		total_faults++;
		count[ret < 0 && -ret < 256 ? -ret : 0]++;
	}
	if (!why && n > MAX_SITES)
		why = "stopped at MAX_SITES faults";
	if (!why)
		why = display_works();
	errno_note(errnos, sizeof(errnos), count);
	printf("case %s %s sites %u errnos %s%s%s\n", c->name, why ? "fail" : "pass", sites, errnos,
	       why ? " " : "", why ?: "");
	fflush(stdout);
	return !why;
}

int main(int argc, char **argv)
{
	int ok = 1;

	card = argc > 1 ? argv[1] : "/dev/dri/card0";
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		printf("no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION): %s\n",
		       strerror(errno));
		return 77;
	}
	fd = open(card, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", card, strerror(errno));
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1))
		die("atomic: %s", strerror(errno));
	find_display();
	fb_make(&fb_a[0], d.mode[0].hdisplay, d.mode[0].vdisplay, 0x00a0a0a0);
	fb_make(&fb_a[1], d.mode[0].hdisplay, d.mode[0].vdisplay, 0x00505050);
	fb_make(&fb_b, d.mode[1].hdisplay, d.mode[1].vdisplay, 0x00c03030);
	fb_make(&cur[0], 64, 64, 0xff00ff00);
	fb_make(&cur[1], 64, 64, 0xff0000ff);
	display_req(&req_modeset_b, 1, &fb_b);
	display_req(&req_disable, 0, NULL);
	memset(&req_flip_a1, 0, sizeof(req_flip_a1));
	atomic_add(&req_flip_a1, d.primary, d.p_fb, fb_a[1].id);
	if (show(0, &fb_a[0]))
		die("first modeset: %s", strerror(errno));
	printf("display %ux%u and %ux%u, connector %u, crtc %u, planes %u %u\n",
	       d.mode[0].hdisplay, d.mode[0].vdisplay, d.mode[1].hdisplay, d.mode[1].vdisplay,
	       d.conn, d.crtc, d.primary, d.cursor);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok &= run_case(&cases[i]);
	drmModeSetCursor(fd, d.crtc, 0, 0, 0);
	for (int i = 0; i < 2; i++) {
		fb_free(&fb_a[i]);
		fb_free(&cur[i]);
	}
	fb_free(&fb_b);
	for (int i = 0; i < 2; i++)
		drmModeDestroyPropertyBlob(fd, d.mode_blob[i]);
	close(fd);
	printf("faults %lu\n", total_faults);
	return ok ? 0 : 1;
}
