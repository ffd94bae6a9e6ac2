/*
 * Reproducer for IGT's kms_cursor_legacy@flip-vs-cursor-toggle, timed (docs/results.md,
 * "A flake that -icount does not remove"). Static, so it runs in the guest as it is:
 *   gcc -O2 -static -I/usr/include/libdrm -o cursor-toggle scripts/repro/cursor-toggle.c
 *   scripts/run-guest.py --task exec --icount 1 --smp 1 --file cursor-toggle --file wrapper.sh \
 *     --env EXEC=wrapper.sh --driver ... --stage ... --rootfs ... --run-dir ...
 * where wrapper.sh runs "$(dirname "$0")/cursor-toggle" with the environment below (the exec
 * task does not export --env to the program).
 * SPIN=1: the SCHED_IDLE spinner IGT runs beside the loop; TARGET=N: N updates per loop instead
 * of IGT's calibrated target.
 * Argument: N, for N + 1 loops (IGT: 150).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <drm.h>
#include <drm_mode.h>

static int fd;
static uint32_t crtc_id, conn_id;
static int pipe_idx;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* An environment variable's value as a number, 0 if unset. */
static int env(const char *name)
{
	const char *v = getenv(name);
	return v ? atoi(v) : 0;
}

static unsigned vblank(int nextonmiss)
{
	union drm_wait_vblank vbl;
	memset(&vbl, 0, sizeof(vbl));
	vbl.request.type = _DRM_VBLANK_RELATIVE | (pipe_idx << _DRM_VBLANK_HIGH_CRTC_SHIFT);
	if (nextonmiss)
		vbl.request.type |= _DRM_VBLANK_NEXTONMISS;
	if (ioctl(fd, DRM_IOCTL_WAIT_VBLANK, &vbl))
		die("wait vblank");
	return vbl.reply.sequence;
}

static uint32_t dumb(uint32_t w, uint32_t h, uint32_t *pitch)
{
	struct drm_mode_create_dumb c = { .width = w, .height = h, .bpp = 32 };
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		die("create dumb");
	struct drm_mode_map_dumb m = { .handle = c.handle };
	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		die("map dumb");
	void *p = mmap(NULL, c.size, PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0x80, c.size);
	munmap(p, c.size);
	if (pitch)
		*pitch = c.pitch;
	return c.handle;
}

static uint32_t fb(uint32_t handle, uint32_t w, uint32_t h, uint32_t pitch)
{
	struct drm_mode_fb_cmd f = { .width = w, .height = h, .pitch = pitch, .bpp = 32,
				     .depth = 24, .handle = handle };
	if (ioctl(fd, DRM_IOCTL_MODE_ADDFB, &f))
		die("addfb");
	return f.fb_id;
}

int main(int argc, char **argv)
{
	int loops = argc > 1 ? atoi(argv[1]) : 150;
	fd = open("/dev/dri/card0", O_RDWR);
	if (fd < 0)
		die("open");
	ioctl(fd, DRM_IOCTL_SET_MASTER, 0);

	struct drm_mode_card_res res = { 0 };
	uint32_t crtcs[8], conns[8];
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		die("getres");
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.connector_id_ptr = (uintptr_t)conns;
	res.count_fbs = res.count_encoders = 0;
	if (res.count_crtcs > 8) res.count_crtcs = 8;
	if (res.count_connectors > 8) res.count_connectors = 8;
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		die("getres2");
	crtc_id = crtcs[0];
	conn_id = conns[0];
	pipe_idx = 0;

	struct drm_mode_modeinfo modes[64];
	struct drm_mode_get_connector gc = { .connector_id = conn_id };
	if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &gc))
		die("getconn");
	if (gc.count_modes > 64) gc.count_modes = 64;
	gc.modes_ptr = (uintptr_t)modes;
	gc.count_props = gc.count_encoders = 0;
	if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &gc))
		die("getconn2");
	struct drm_mode_modeinfo mode = modes[0];
	for (unsigned i = 0; i < gc.count_modes; i++)
		if (modes[i].hdisplay == 1280 && modes[i].vdisplay == 800) { mode = modes[i]; break; }
	uint32_t pitch;
	uint32_t bo = dumb(mode.hdisplay, mode.vdisplay, &pitch);
	uint32_t fbid = fb(bo, mode.hdisplay, mode.vdisplay, pitch);
	struct drm_mode_crtc sc = { .crtc_id = crtc_id, .fb_id = fbid, .set_connectors_ptr = (uintptr_t)&conn_id,
				    .count_connectors = 1, .mode = mode, .mode_valid = 1 };
	if (ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &sc))
		die("setcrtc");
	printf("mode %ux%u@%u clock %u htotal %u vtotal %u (%u modes)\n", mode.hdisplay, mode.vdisplay, mode.vrefresh, mode.clock, mode.htotal, mode.vtotal, gc.count_modes);

	uint32_t cur = dumb(64, 64, NULL);
	struct drm_mode_cursor arg[2];
	memset(arg, 0, sizeof(arg));
	arg[0].crtc_id = crtc_id;
	arg[0].flags = DRM_MODE_CURSOR_BO;
	arg[0].x = arg[0].y = 128;
	arg[0].width = arg[0].height = 64;
	arg[0].handle = cur;
	arg[1] = arg[0];
	arg[1].handle = 0;
	arg[1].width = arg[1].height = 0;
	if (ioctl(fd, DRM_IOCTL_MODE_CURSOR, &arg[0]))
		die("cursor");

	/* calibration, as IGT's get_cursor_updates_per_vblank */
	int target;
	for (target = 65536; target; target /= 2) {
		unsigned s = vblank(1);
		for (int n = 0; n < target; n++)
			ioctl(fd, DRM_IOCTL_MODE_CURSOR, &arg[0]);
		if (vblank(0) == s)
			break;
	}
	double t0 = now();
	for (int n = 0; n < 64; n++)
		ioctl(fd, DRM_IOCTL_MODE_CURSOR, &arg[0]);
	double per_bo = (now() - t0) / 64;
	t0 = now();
	ioctl(fd, DRM_IOCTL_MODE_CURSOR, &arg[1]);
	for (int n = 0; n < 64; n++)
		ioctl(fd, DRM_IOCTL_MODE_CURSOR, &arg[1]);
	double per_off = (now() - t0) / 65;
	unsigned v0 = vblank(1); double tv0 = now();
	for (int i = 0; i < 20; i++) vblank(1);
	double period = (now() - tv0) / (vblank(0) - v0);
	target /= 4;
	if (env("TARGET"))
		target = env("TARGET");
	printf("target %d, per cursor bo %.3f ms, off %.3f ms, vblank period %.3f ms\n",
	       target, per_bo, per_off, period);

	pid_t child = 0;
	if (env("SPIN")) {
		cpu_set_t m; CPU_ZERO(&m); CPU_SET(sched_getcpu(), &m);
		sched_setaffinity(0, sizeof(m), &m);
		child = fork();
		if (child == 0) {
			struct sched_param p = { 0 };
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (sched_setscheduler(0, SCHED_IDLE, &p))
				die("SCHED_IDLE");
			for (;;) sched_yield();
		}
	}
	/* Per kind of loop: [0] sets the image from the BO, [1] hides the cursor. */
	int fails[2] = { 0 }, count[2] = { 0 };
	double sum_c1[2] = { 0 }, sum_rest[2] = { 0 };
	for (int l = loops; l >= 0; l--) {
		int k = l & 1;
		struct drm_mode_cursor *a = &arg[k];
		ioctl(fd, DRM_IOCTL_MODE_CURSOR, a);
		unsigned s = vblank(1);
		double ts = now();
		struct drm_mode_crtc_page_flip pf = { .crtc_id = crtc_id, .fb_id = fbid,
						      .flags = DRM_MODE_PAGE_FLIP_EVENT };
		int ret;
		while ((ret = ioctl(fd, DRM_IOCTL_MODE_PAGE_FLIP, &pf)) && errno == EBUSY)
			;
		if (ret)
			die("page flip");
		double tf = now();
		unsigned vf = vblank(0);
		ioctl(fd, DRM_IOCTL_MODE_CURSOR, a);
		double t1 = now();
		unsigned v1 = vblank(0);
		ioctl(fd, DRM_IOCTL_MODE_CURSOR, a);
		double t2 = now();
		unsigned v2 = vblank(0);
		double worst = 0; int worst_n = -1;
		for (int n = 2; n < target; n++) {
			double q = now();
			ioctl(fd, DRM_IOCTL_MODE_CURSOR, a);
			double d = now() - q;
			if (d > worst) { worst = d; worst_n = n; }
		}
		double tr = now();
		unsigned vr = vblank(0);
		struct drm_event_vblank ev;
		if (read(fd, &ev, sizeof(ev)) != sizeof(ev))
			die("flip event");
		double te = now();
		unsigned ve = vblank(0);
		count[k]++;
		sum_c1[k] += t1 - tf;
		sum_rest[k] += tr - t2;
		int bad = vf != s || vr > s + 1 || ve != s + 1;
		fails[k] += bad;
		if (bad) printf("worst op %d: %.3f ms\n", worst_n, worst);
		if (bad || l % 50 == 0)
			printf("%s loop %d (%s): flip %.2f [+%u] c1 %.2f [+%u] c2 %.2f [+%u] rest %.2f [+%u] event %.2f [+%u] ev.seq +%d\n",
			       bad ? "FAIL" : "ok  ", l, k ? "hide" : "image", tf - ts, vf - s, t1 - tf, v1 - s,
			       t2 - t1, v2 - s, tr - t2, vr - s, te - tr, ve - s, (int)(ev.sequence - s));
	}
	if (child) { kill(child, SIGKILL); waitpid(child, NULL, 0); }
	for (int k = 0; k < 2; k++)
		printf("%s loops: %d, mean ms: first update %.3f, the other %d updates %.3f; %d missed\n",
		       k ? "hide" : "image", count[k], sum_c1[k] / count[k], target - 2,
		       sum_rest[k] / count[k], fails[k]);
	return 0;
}
