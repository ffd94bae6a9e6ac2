// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-bench: what a DRM driver costs, measured through the DRM uapi only, so
 * the same binary measures the C virtio_gpu driver and the Rust one.
 *
 * Each figure is printed as "figure value unit" (one line per figure, one run
 * of each); a figure the driver cannot do (no KMS, no such mode) is printed
 * as "figure n/a reason". The host repeats runs and takes medians.
 *
 *   vgpu-bench [card]          default /dev/dri/card0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

static int fd;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * Guest CPU time, all of it: tasks, kernel workers, hard and soft interrupts,
 * the scheduler. It is measured as what the rest of the guest takes from a
 * soaker: one SCHED_IDLE process per CPU that only counts, and so runs exactly
 * when nothing else wants the CPU. Calibrated alone on an otherwise idle guest,
 * a soaker counts at a known rate; over a window, each CPU's busy time is the
 * window less the soaker's count at that rate. That also leaves out what the
 * idle guest does anyway (its ticks and housekeeping).
 *
 * Neither the scheduler's task clocks nor /proc/stat can do this. A task's clock
 * leaves out interrupts that land while the CPU idles, and the drivers differ
 * there: C does a virtqueue interrupt's work in a worker, Rust in the
 * interrupt itself. And on a periodic-tick kernel (this one: HZ_PERIODIC)
 * /proc/stat samples which task runs 250 times a second: work that follows a
 * 60 Hz vblank hides between samples or is seen by a few dozen of them.
 */
#define MAX_SOAKERS 8

static struct {
	int n;
	pid_t pid[MAX_SOAKERS];
	volatile uint64_t *count; /* one counter per soaker, shared */
	double per_us[MAX_SOAKERS]; /* counts per microsecond, alone */
} soak;

static void soak_signal(int sig)
{
	int i;

	for (i = 0; i < soak.n; i++)
		kill(soak.pid[i], sig);
}

static void soak_exit(void)
{
	int i;

	soak_signal(SIGKILL);
	for (i = 0; i < soak.n; i++)
		waitpid(soak.pid[i], NULL, 0);
	soak.n = 0;
}

struct cpu_window {
	double t0;
	uint64_t count[MAX_SOAKERS];
};

/* Lets the soakers count, and starts a window once they do. */
static void cpu_window_start(struct cpu_window *w)
{
	int i;

	soak_signal(SIGCONT);
	usleep(10000);
	w->t0 = now_us();
	for (i = 0; i < soak.n; i++)
		w->count[i] = soak.count[i];
}

/* Busy microseconds of all CPUs since cpu_window_start(); stops the soakers. */
static double cpu_window_busy_us(const struct cpu_window *w)
{
	double t = now_us() - w->t0, busy = 0;
	int i;

	for (i = 0; i < soak.n; i++)
		busy += t - (soak.count[i] - w->count[i]) / soak.per_us[i];
	soak_signal(SIGSTOP);
	return busy;
}

/* Stops the soakers of a window that will not be read (idempotent). */
static void cpu_window_abort(void)
{
	soak_signal(SIGSTOP);
}

/* Milliseconds of busy CPU time per operation, over n operations. */
static double cpu_window_ms(const struct cpu_window *w, int n)
{
	return cpu_window_busy_us(w) / 1e3 / n;
}

/* Why there are no soakers, if there are none. */
static const char *soak_why = "no-soaker";

static void cpu_print(const char *figure, double ms)
{
	if (soak.n)
		printf("%s %.4f ms\n", figure, ms);
	else
		printf("%s n/a %s\n", figure, soak_why);
}

/*
 * Starts a stopped soaker on each online CPU, before the program has any DRM
 * file or mapping for them to inherit, and calibrates each one's rate on the
 * idle guest, over one second. Returns 0 or a negative errno.
 */
static int soak_init(void)
{
	struct cpu_window w;
	int cpus = sysconf(_SC_NPROCESSORS_ONLN), i;
	double t;

	if (cpus < 1 || cpus > MAX_SOAKERS)
		return -ERANGE;
	soak.count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (soak.count == MAP_FAILED)
		return -errno;
	for (i = 0; i < cpus; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			soak_exit();
			return -errno;
		}
		if (pid == 0) {
			struct sched_param sp = { 0 };
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(i, &set);
			if (sched_setaffinity(0, sizeof(set), &set) ||
			    sched_setscheduler(0, SCHED_IDLE, &sp))
				_exit(1);
			raise(SIGSTOP);
			for (;;)
				soak.count[i]++;
		}
		soak.pid[soak.n++] = pid;
	}
	for (i = 0; i < soak.n; i++) {
		int status;

		if (waitpid(soak.pid[i], &status, WUNTRACED) != soak.pid[i] ||
		    !WIFSTOPPED(status)) {
			soak_exit();
			return -EPERM;
		}
	}
	cpu_window_start(&w);
	usleep(1000000);
	t = now_us() - w.t0;
	for (i = 0; i < soak.n; i++)
		soak.per_us[i] = (soak.count[i] - w.count[i]) / t;
	soak_signal(SIGSTOP);
	for (i = 0; i < soak.n; i++) {
		if (soak.per_us[i] <= 0) {
			soak_exit();
			return -EIO;
		}
	}
	return 0;
}

static void na(const char *figure, const char *why)
{
	printf("%s n/a %s\n", figure, why);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct buffer {
	uint32_t handle, pitch, fb, width, height;
	uint64_t size;
	uint8_t *map;
};

static int buffer_create(struct buffer *b, uint32_t w, uint32_t h)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint64_t off;

	memset(b, 0, sizeof(*b));
	b->width = w;
	b->height = h;
	if (drmModeCreateDumbBuffer(fd, w, h, 32, 0, &b->handle, &b->pitch, &b->size))
		return -errno;
	if (drmModeMapDumbBuffer(fd, b->handle, &off))
		return -errno;
	b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (b->map == MAP_FAILED)
		return -errno;
	memset(b->map, 0x40, b->size);
	handles[0] = b->handle;
	pitches[0] = b->pitch;
	if (drmModeAddFB2(fd, w, h, DRM_FORMAT_XRGB8888, handles, pitches, offsets, &b->fb, 0))
		return -errno;
	return 0;
}

static void buffer_destroy(struct buffer *b)
{
	if (b->fb)
		drmModeRmFB(fd, b->fb);
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->size);
	if (b->handle)
		drmModeDestroyDumbBuffer(fd, b->handle);
}

/* The first connected connector, its CRTC, and its modes. */
struct output {
	drmModeConnector *conn;
	uint32_t crtc, crtc_index;
};

static int output_find(struct output *o)
{
	drmModeRes *res = drmModeGetResources(fd);
	int i;

	if (!res)
		return -errno;
	o->conn = NULL;
	for (i = 0; i < res->count_connectors && !o->conn; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);

		if (c && c->connection == DRM_MODE_CONNECTED && c->count_modes)
			o->conn = c;
		else
			drmModeFreeConnector(c);
	}
	if (!o->conn || !res->count_crtcs) {
		drmModeFreeResources(res);
		return -ENODEV;
	}
	o->crtc = res->crtcs[0];
	o->crtc_index = 0;
	drmModeFreeResources(res);
	return 0;
}

static drmModeModeInfo *mode_find(struct output *o, uint32_t w, uint32_t h)
{
	int i;

	for (i = 0; i < o->conn->count_modes; i++)
		if (o->conn->modes[i].hdisplay == w && o->conn->modes[i].vdisplay == h)
			return &o->conn->modes[i];
	return NULL;
}

static int show(struct output *o, struct buffer *b, drmModeModeInfo *mode)
{
	return drmModeSetCrtc(fd, o->crtc, b->fb, 0, 0, &o->conn->connector_id, 1, mode);
}

/* DRM ioctl round trip: GETRESOURCES with no arrays, as a client probing counts does. */
static void bench_getresources(void)
{
	struct drm_mode_card_res res;
	double t[2000];
	int i;

	for (i = 0; i < 2000; i++) {
		double t0 = now_us();

		memset(&res, 0, sizeof(res));
		if (drmIoctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
			na("getresources_us", strerror(errno));
			return;
		}
		t[i] = now_us() - t0;
	}
	printf("getresources_us %.2f us\n", median(t, 2000));
}

/* Dumb buffer life cycle: create, map, touch every page, unmap, destroy. */
static void bench_dumb(void)
{
	const int n = 100;
	double t0 = now_us();
	int i;

	for (i = 0; i < n; i++) {
		uint32_t handle, pitch;
		uint64_t size, off, p;
		uint8_t *map;

		if (drmModeCreateDumbBuffer(fd, 1024, 768, 32, 0, &handle, &pitch, &size)) {
			na("dumb_cycles_per_s", strerror(errno));
			return;
		}
		if (drmModeMapDumbBuffer(fd, handle, &off)) {
			na("dumb_cycles_per_s", strerror(errno));
			drmModeDestroyDumbBuffer(fd, handle);
			return;
		}
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		if (map == MAP_FAILED) {
			na("dumb_cycles_per_s", strerror(errno));
			drmModeDestroyDumbBuffer(fd, handle);
			return;
		}
		for (p = 0; p < size; p += 4096)
			map[p] = 1;
		munmap(map, size);
		drmModeDestroyDumbBuffer(fd, handle);
	}
	printf("dumb_cycles_per_s %.1f 1/s\n", n / ((now_us() - t0) / 1e6));
}

/*
 * Full-frame DIRTYFB on the scanned-out framebuffer, back to back: updates per
 * second and bytes per second, and the guest CPU time each update costs (all
 * of it, struct cpu_window). A driver whose DIRTYFB waits for the vblank (an
 * atomic commit through drm_atomic_helper_dirtyfb) is paced at the refresh
 * rate here; the CPU figure is what it costs either way.
 */
static void bench_dirtyfb(struct output *o, uint32_t w, uint32_t h)
{
	char fps_name[64], mbs_name[64], cpu_name[64];
	drmModeModeInfo *mode = mode_find(o, w, h);
	drmModeClip clip = { 0, 0, w, h };
	struct buffer b;
	const int n = 180;
	struct cpu_window cpu;
	double t0, secs;
	int i;

	snprintf(fps_name, sizeof(fps_name), "dirtyfb_full_%ux%u_fps", w, h);
	snprintf(mbs_name, sizeof(mbs_name), "dirtyfb_full_%ux%u_mbs", w, h);
	snprintf(cpu_name, sizeof(cpu_name), "dirtyfb_cpu_%ux%u_ms", w, h);
	if (!mode) {
		na(fps_name, "no-such-mode");
		na(mbs_name, "no-such-mode");
		na(cpu_name, "no-such-mode");
		return;
	}
	if (buffer_create(&b, w, h) || show(o, &b, mode)) {
		na(fps_name, strerror(errno));
		na(mbs_name, strerror(errno));
		na(cpu_name, strerror(errno));
		buffer_destroy(&b);
		return;
	}
	drmModeDirtyFB(fd, b.fb, &clip, 1);
	cpu_window_start(&cpu);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		b.map[(i * 4096) % b.size] ^= 0xff;
		if (drmModeDirtyFB(fd, b.fb, &clip, 1)) {
			cpu_window_abort();
			na(fps_name, strerror(errno));
			na(mbs_name, strerror(errno));
			na(cpu_name, strerror(errno));
			buffer_destroy(&b);
			return;
		}
	}
	secs = (now_us() - t0) / 1e6;
	printf("%s %.1f 1/s\n", fps_name, n / secs);
	printf("%s %.1f MB/s\n", mbs_name, n * (double)w * h * 4 / 1e6 / secs);
	cpu_print(cpu_name, cpu_window_ms(&cpu, n));
	buffer_destroy(&b);
}

/* Latency of a 32x32 damaged-rectangle update through DIRTYFB. */
static void bench_dirtyfb_small(struct output *o)
{
	drmModeModeInfo *mode = &o->conn->modes[0];
	drmModeClip clip = { 100, 100, 132, 132 };
	struct buffer b;
	double t[200];
	int i;

	if (buffer_create(&b, mode->hdisplay, mode->vdisplay) || show(o, &b, mode)) {
		na("dirtyfb_32x32_us", strerror(errno));
		buffer_destroy(&b);
		return;
	}
	for (i = 0; i < 200; i++) {
		double t0 = now_us();

		b.map[100 * b.pitch + 400] ^= 0xff;
		if (drmModeDirtyFB(fd, b.fb, &clip, 1)) {
			na("dirtyfb_32x32_us", strerror(errno));
			buffer_destroy(&b);
			return;
		}
		t[i] = now_us() - t0;
	}
	printf("dirtyfb_32x32_us %.1f us\n", median(t, 200));
	buffer_destroy(&b);
}

/* Legacy cursor moves. */
static void bench_cursor(struct output *o)
{
	drmModeModeInfo *mode = &o->conn->modes[0];
	struct buffer screen, cursor;
	const int n = 20000;
	double t0;
	int i;

	if (buffer_create(&screen, mode->hdisplay, mode->vdisplay) || show(o, &screen, mode) ||
	    buffer_create(&cursor, 64, 64) ||
	    drmModeSetCursor(fd, o->crtc, cursor.handle, 64, 64)) {
		na("cursor_moves_per_s", strerror(errno));
		goto out;
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (drmModeMoveCursor(fd, o->crtc, i % 500, (i * 7) % 400)) {
			na("cursor_moves_per_s", strerror(errno));
			goto out;
		}
	}
	printf("cursor_moves_per_s %.0f 1/s\n", n / ((now_us() - t0) / 1e6));
	drmModeSetCursor(fd, o->crtc, 0, 0, 0);
out:
	buffer_destroy(&cursor);
	buffer_destroy(&screen);
}

/* Full modeset: alternate between two modes (with their own framebuffers). */
static void bench_modeset(struct output *o)
{
	drmModeModeInfo *a = &o->conn->modes[0], *b = mode_find(o, 1024, 768);
	struct buffer fa, fb;
	double t[10];
	int i;

	if (!b || (b->hdisplay == a->hdisplay && b->vdisplay == a->vdisplay)) {
		na("modeset_ms", "no-second-mode");
		return;
	}
	if (buffer_create(&fa, a->hdisplay, a->vdisplay) ||
	    buffer_create(&fb, b->hdisplay, b->vdisplay)) {
		na("modeset_ms", strerror(errno));
		goto out;
	}
	for (i = 0; i < 10; i++) {
		double t0 = now_us();

		if (show(o, i % 2 ? &fa : &fb, i % 2 ? a : b)) {
			na("modeset_ms", strerror(errno));
			goto out;
		}
		t[i] = (now_us() - t0) / 1e3;
	}
	printf("modeset_ms %.2f ms\n", median(t, 10));
out:
	buffer_destroy(&fa);
	buffer_destroy(&fb);
}

static uint32_t prop_id(uint32_t obj, uint32_t type, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, obj, type);
	uint32_t id = 0, i;

	for (i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);

		if (p && !strcmp(p->name, name))
			id = p->prop_id;
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

static uint32_t primary_plane(struct output *o)
{
	drmModePlaneRes *res = drmModeGetPlaneResources(fd);
	uint32_t plane = 0, i;

	for (i = 0; res && i < res->count_planes && !plane; i++) {
		drmModePlane *p = drmModeGetPlane(fd, res->planes[i]);
		drmModeObjectProperties *props;
		uint32_t j;

		if (!p || !(p->possible_crtcs & (1u << o->crtc_index))) {
			drmModeFreePlane(p);
			continue;
		}
		props = drmModeObjectGetProperties(fd, p->plane_id, DRM_MODE_OBJECT_PLANE);
		for (j = 0; props && j < props->count_props; j++) {
			drmModePropertyRes *pr = drmModeGetProperty(fd, props->props[j]);

			if (pr && !strcmp(pr->name, "type") &&
			    props->prop_values[j] == DRM_PLANE_TYPE_PRIMARY)
				plane = p->plane_id;
			drmModeFreeProperty(pr);
		}
		drmModeFreeObjectProperties(props);
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(res);
	return plane;
}

static int flip_done;
/* From the vblank that completed the flip (the event's timestamp) to reading its event. */
static double flip_late_us;

static void on_flip(int fd_, unsigned int seq, unsigned int s, unsigned int us, void *data)
{
	(void)fd_, (void)seq, (void)data;
	flip_late_us = now_us() - (s * 1e6 + us);
	flip_done = 1;
}

/*
 * Atomic page flips at the refresh rate, between two framebuffers, each
 * followed by its flip event: guest CPU time per flip (all of it, kernel
 * workers and interrupts included, struct cpu_window), commit-to-event time,
 * and that time less the wait for the vblank: from the vblank that completed
 * the flip, as the event's timestamp says (CLOCK_MONOTONIC, as now_us()), to
 * the event read. A 32x32 damage clip (FB_DAMAGE_CLIPS) or none (the whole
 * frame).
 */
static void bench_flips(struct output *o, int damage)
{
	const char *cpu = damage ? "flip_cpu_32x32_ms" : "flip_cpu_full_ms";
	const char *lat = damage ? "flip_event_32x32_ms" : "flip_event_full_ms";
	const char *late = damage ? "flip_late_32x32_us" : "flip_late_full_us";
	drmModeModeInfo *mode = &o->conn->modes[0];
	drmEventContext ev = { .version = 2, .page_flip_handler = on_flip };
	struct drm_mode_rect clip = { 100, 100, 132, 132 };
	uint32_t plane, fb_prop, clips_prop, blob = 0;
	struct buffer bufs[2];
	const int n = 400;
	struct cpu_window cpu_time;
	double t[400], t_late[400], t0;
	int i;

	memset(bufs, 0, sizeof(bufs));
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) ||
	    drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1)) {
		na(cpu, "no-atomic");
		na(lat, "no-atomic");
		na(late, "no-atomic");
		return;
	}
	plane = primary_plane(o);
	fb_prop = plane ? prop_id(plane, DRM_MODE_OBJECT_PLANE, "FB_ID") : 0;
	clips_prop = plane ? prop_id(plane, DRM_MODE_OBJECT_PLANE, "FB_DAMAGE_CLIPS") : 0;
	if (!fb_prop || (damage && !clips_prop)) {
		na(cpu, "no-plane-property");
		na(lat, "no-plane-property");
		na(late, "no-plane-property");
		return;
	}
	if (buffer_create(&bufs[0], mode->hdisplay, mode->vdisplay) ||
	    buffer_create(&bufs[1], mode->hdisplay, mode->vdisplay) ||
	    show(o, &bufs[0], mode) ||
	    (damage && drmModeCreatePropertyBlob(fd, &clip, sizeof(clip), &blob))) {
		na(cpu, strerror(errno));
		na(lat, strerror(errno));
		na(late, strerror(errno));
		goto out;
	}
	cpu_window_start(&cpu_time);
	for (i = 0; i < n; i++) {
		drmModeAtomicReq *req = drmModeAtomicAlloc();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		drmModeAtomicAddProperty(req, plane, fb_prop, bufs[(i + 1) % 2].fb);
		if (damage)
			drmModeAtomicAddProperty(req, plane, clips_prop, blob);
		flip_done = 0;
		t0 = now_us();
		if (drmModeAtomicCommit(fd, req, DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK,
					NULL)) {
			drmModeAtomicFree(req);
			na(cpu, strerror(errno));
			na(lat, strerror(errno));
			na(late, strerror(errno));
			goto out;
		}
		drmModeAtomicFree(req);
		while (!flip_done) {
			if (poll(&pfd, 1, 1000) != 1) {
				na(cpu, "no-flip-event");
				na(lat, "no-flip-event");
				na(late, "no-flip-event");
				goto out;
			}
			drmHandleEvent(fd, &ev);
		}
		t[i] = (now_us() - t0) / 1e3;
		t_late[i] = flip_late_us;
	}
	cpu_print(cpu, cpu_window_ms(&cpu_time, n));
	printf("%s %.2f ms\n", lat, median(t, n));
	printf("%s %.1f us\n", late, median(t_late, n));
out:
	cpu_window_abort();
	if (blob)
		drmModeDestroyPropertyBlob(fd, blob);
	buffer_destroy(&bufs[0]);
	buffer_destroy(&bufs[1]);
	drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 0);
}

int main(int argc, char **argv)
{
	const char *card = argc > 1 ? argv[1] : "/dev/dri/card0";
	struct output o;
	int ret;

	ret = soak_init();
	if (ret)
		soak_why = strerror(-ret);
	atexit(soak_exit);
	fd = open(card, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(card);
		return 1;
	}
	bench_getresources();
	bench_dumb();

	ret = output_find(&o);
	if (ret) {
		const char *kms[] = { "dirtyfb_full_1024x768_fps", "dirtyfb_full_1024x768_mbs",
				      "dirtyfb_cpu_1024x768_ms", "dirtyfb_full_1920x1080_fps",
				      "dirtyfb_full_1920x1080_mbs", "dirtyfb_cpu_1920x1080_ms",
				      "dirtyfb_32x32_us", "cursor_moves_per_s", "modeset_ms",
				      "flip_cpu_full_ms", "flip_event_full_ms", "flip_late_full_us",
				      "flip_cpu_32x32_ms", "flip_event_32x32_ms",
				      "flip_late_32x32_us" };
		unsigned int i;

		for (i = 0; i < sizeof(kms) / sizeof(kms[0]); i++)
			na(kms[i], "no-kms");
		return 0;
	}
	bench_dirtyfb(&o, 1024, 768);
	bench_dirtyfb(&o, 1920, 1080);
	bench_dirtyfb_small(&o);
	bench_cursor(&o);
	bench_modeset(&o);
	bench_flips(&o, 0);
	bench_flips(&o, 1);
	drmModeFreeConnector(o.conn);
	close(fd);
	return 0;
}
