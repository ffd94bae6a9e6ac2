// SPDX-License-Identifier: GPL-2.0
/*
 * Pixel truth, guest side: put a known pattern on the first connected display
 * through each of the primary plane's 32-bit RGB formats, and have the host
 * take a screendump of each; then change one small rectangle, report only it
 * as damage (DIRTYFB), and have the host check that the screen shows the
 * change and nothing else. The host compares the screendumps with the pattern
 * (scripts/pixels-check.py); this program only draws and reports.
 *
 *   vgpu-pixels RUN_DIR [CARD]
 *
 * Writes RUN_DIR/pixels.txt: one line "mode W H" and, per format,
 * "format NAME supported|unsupported [SHOT]", then "damage X Y W H SHOT".
 * A screenshot is requested by writing its name to RUN_DIR/screenshot.request
 * and waiting for RUN_DIR/NAME.done (the host's answer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

static const char *run_dir;
static FILE *report;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vgpu-pixels: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* The pattern: every pixel's colour depends on both coordinates, so a shift,
 * a swapped channel or a wrong pitch shows. Red and green are the low bits of
 * x and y; blue mixes both. */
static void pattern(uint32_t x, uint32_t y, uint8_t rgb[3])
{
	rgb[0] = x & 0xff;
	rgb[1] = y & 0xff;
	rgb[2] = ((x >> 8) * 64 + (y >> 8) * 16 + (x ^ y)) & 0xff;
}

/* The colour of the damaged rectangle: the pattern, inverted. */
static void damaged(uint32_t x, uint32_t y, uint8_t rgb[3])
{
	pattern(x, y, rgb);
	rgb[0] ^= 0xff;
	rgb[1] ^= 0xff;
	rgb[2] ^= 0xff;
}

struct format {
	const char *name;
	uint32_t fourcc;
	/* Byte offsets of R, G, B and of the fourth byte in a pixel in memory
	 * (little-endian DRM formats). */
	int r, g, b, x;
	/* The fourth byte's value: opaque alpha, or padding. */
	uint8_t fill;
};

static const struct format formats[] = {
	{ "XRGB8888", DRM_FORMAT_XRGB8888, 2, 1, 0, 3, 0x00 },
	{ "ARGB8888", DRM_FORMAT_ARGB8888, 2, 1, 0, 3, 0xff },
	{ "BGRX8888", DRM_FORMAT_BGRX8888, 1, 2, 3, 0, 0x00 },
	{ "BGRA8888", DRM_FORMAT_BGRA8888, 1, 2, 3, 0, 0xff },
};

static void put(uint8_t *px, const struct format *f, const uint8_t rgb[3])
{
	px[f->r] = rgb[0];
	px[f->g] = rgb[1];
	px[f->b] = rgb[2];
	px[f->x] = f->fill;
}

static void screenshot(const char *name)
{
	char path[512], request[512], done[512];
	FILE *req;

	snprintf(done, sizeof(done), "%s/%s.done", run_dir, name);
	unlink(done);
	/* Write the request aside and rename it into place: the host polls for
	 * the file and must never see it empty. */
	snprintf(path, sizeof(path), "%s/screenshot.request.tmp", run_dir);
	req = fopen(path, "w");
	if (!req)
		die("%s: %s", path, strerror(errno));
	fprintf(req, "%s\n", name);
	if (fclose(req))
		die("%s: %s", path, strerror(errno));
	snprintf(request, sizeof(request), "%s/screenshot.request", run_dir);
	if (rename(path, request))
		die("%s: %s", request, strerror(errno));
	for (int i = 0; i < 300; i++) {
		if (access(done, F_OK) == 0)
			return;
		usleep(100000);
	}
	die("no answer from the host for screenshot %s", name);
}

static int plane_has_format(int fd, uint32_t crtc_id, uint32_t fourcc)
{
	drmModePlaneResPtr res = drmModeGetPlaneResources(fd);
	int found = 0;

	for (uint32_t i = 0; res && i < res->count_planes && !found; i++) {
		drmModePlanePtr p = drmModeGetPlane(fd, res->planes[i]);
		drmModeObjectPropertiesPtr props;
		int primary = 0;

		if (!p)
			continue;
		props = drmModeObjectGetProperties(fd, p->plane_id, DRM_MODE_OBJECT_PLANE);
		for (uint32_t j = 0; props && j < props->count_props; j++) {
			drmModePropertyPtr prop = drmModeGetProperty(fd, props->props[j]);

			if (prop && !strcmp(prop->name, "type"))
				primary = props->prop_values[j] == DRM_PLANE_TYPE_PRIMARY;
			drmModeFreeProperty(prop);
		}
		drmModeFreeObjectProperties(props);
		(void)crtc_id;
		for (uint32_t j = 0; primary && j < p->count_formats; j++)
			if (p->formats[j] == fourcc)
				found = 1;
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(res);
	return found;
}

int main(int argc, char **argv)
{
	const char *card = argc > 2 ? argv[2] : "/dev/dri/card0";
	struct drm_mode_create_dumb create = { 0 };
	struct drm_mode_map_dumb map = { 0 };
	drmModeConnectorPtr conn = NULL;
	drmModeModeInfo mode;
	drmModeResPtr res;
	uint32_t crtc_id = 0, fb_id, w, h;
	char path[512];
	uint8_t *mem;
	int fd;

	if (argc < 2)
		die("usage: vgpu-pixels RUN_DIR [CARD]");
	run_dir = argv[1];
	snprintf(path, sizeof(path), "%s/pixels.txt", run_dir);
	report = fopen(path, "w");
	if (!report)
		die("%s: %s", path, strerror(errno));
	setvbuf(report, NULL, _IOLBF, 0);

	fd = open(card, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", card, strerror(errno));
	if (drmSetMaster(fd))
		die("cannot become DRM master: %s", strerror(errno));
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	res = drmModeGetResources(fd);
	if (!res)
		die("GETRESOURCES: %s", strerror(errno));
	for (int i = 0; i < res->count_connectors && !conn; i++) {
		conn = drmModeGetConnector(fd, res->connectors[i]);
		if (conn && (conn->connection != DRM_MODE_CONNECTED || !conn->count_modes)) {
			drmModeFreeConnector(conn);
			conn = NULL;
		}
	}
	if (!conn)
		die("no connected display");
	mode = conn->modes[0];
	for (int i = 0; i < conn->count_modes; i++)
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			mode = conn->modes[i];
			break;
		}
	crtc_id = res->crtcs[0];
	w = mode.hdisplay;
	h = mode.vdisplay;
	fprintf(report, "mode %u %u\n", w, h);

	create.width = w;
	create.height = h;
	create.bpp = 32;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		die("CREATE_DUMB %ux%u: %s", w, h, strerror(errno));
	map.handle = create.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map))
		die("MAP_DUMB: %s", strerror(errno));
	mem = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, map.offset);
	if (mem == MAP_FAILED)
		die("mmap: %s", strerror(errno));

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const struct format *f = &formats[i];
		uint32_t handles[4] = { create.handle }, pitches[4] = { create.pitch };
		uint32_t offsets[4] = { 0 };
		char shot[64];
		uint8_t rgb[3];

		if (!plane_has_format(fd, crtc_id, f->fourcc)) {
			fprintf(report, "format %s unsupported\n", f->name);
			continue;
		}
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++) {
				pattern(x, y, rgb);
				put(mem + y * create.pitch + x * 4, f, rgb);
			}
		if (drmModeAddFB2(fd, w, h, f->fourcc, handles, pitches, offsets, &fb_id, 0))
			die("ADDFB2 %s: %s", f->name, strerror(errno));
		if (drmModeSetCrtc(fd, crtc_id, fb_id, 0, 0, &conn->connector_id, 1, &mode))
			die("SETCRTC %s: %s", f->name, strerror(errno));
		/* The display is updated by the commit; the screendump is of what the
		 * host shows. Leave the device a moment to process the commands. */
		usleep(300000);
		snprintf(shot, sizeof(shot), "pixels-%s", f->name);
		screenshot(shot);
		fprintf(report, "format %s supported %s\n", f->name, shot);

		if (f->fourcc == DRM_FORMAT_XRGB8888) {
			/* Damage: change a 32x32 rectangle and report only it. Also
			 * change one pixel far from it without reporting it: the
			 * screen must not show that one. */
			drmModeClip clip = { 96, 64, 96 + 32, 64 + 32 };
			uint8_t marker[3] = { 0xff, 0xff, 0xff };

			for (uint32_t y = clip.y1; y < clip.y2; y++)
				for (uint32_t x = clip.x1; x < clip.x2; x++) {
					damaged(x, y, rgb);
					put(mem + y * create.pitch + x * 4, f, rgb);
				}
			put(mem + (h - 1) * create.pitch + (w - 1) * 4, f, marker);
			if (drmModeDirtyFB(fd, fb_id, &clip, 1))
				die("DIRTYFB: %s", strerror(errno));
			usleep(300000);
			screenshot("pixels-damage");
			fprintf(report, "damage %u %u %u %u pixels-damage\n", clip.x1, clip.y1,
				clip.x2 - clip.x1, clip.y2 - clip.y1);
		}
		drmModeSetCrtc(fd, crtc_id, 0, 0, 0, NULL, 0, NULL);
		drmModeRmFB(fd, fb_id);
	}
	fprintf(report, "end\n");
	return 0;
}
