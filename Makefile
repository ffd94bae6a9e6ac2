# virtio-gpu-rs: a Rust DRM/KMS driver for virtio-gpu, built and tested as an
# overlay on Linux 7.3. The pipeline, top to bottom:
#
#   deps -> source -> overlay -> config -> build -> rootfs -> boot / check
#
#   make            everything up to a booted guest and a screenshot of its display
#   make check      the test suites; last line "N passed, N failed, N skipped"
#   make check-debug the same on the debug kernel (lockdep, kmemleak, UBSAN, ...)
#   make check-loaded make check with every host CPU kept busy by a CPU hog
#   make stress     fuzzer, fault injection, rebind under load (debug kernel)
#   make bench      the Rust driver against the C one, as ratios (out/bench.md)
#
# GPU=gl or GPU=venus (make boot, make check) runs the guest on a 3D device
# (virtio-gpu-gl-pci: virgl; venus: also blob resources and Venus) with QEMU 10
# from a Debian trixie tree (make qemu3d, scripts/qemu3d.sh), on an Xvfb of the
# run's own. GPU=2d (default) is the plain virtio-gpu-pci of the host's QEMU.
#
# Every step is cached under $(CACHE) and redoes only what changed.

DRIVER ?= rust
KVM ?= 0
VARIANT ?= release
GPU ?= 2d
CACHE ?= $(HOME)/.cache/virtio-gpu-rs
OUT ?= $(CURDIR)/out

export CACHE OUT DRIVER KVM VARIANT GPU

ifeq ($(filter $(DRIVER),c rust),)
$(error DRIVER=$(DRIVER) is not a driver: use DRIVER=c (the C virtio_gpu) or DRIVER=rust (virtio_gpu_rs))
endif
ifeq ($(filter $(VARIANT),release debug),)
$(error VARIANT=$(VARIANT): use release (default) or debug; make check-debug sets it)
endif
ifeq ($(filter $(GPU),2d gl venus),)
$(error GPU=$(GPU) is not a device profile: use GPU=2d (default, virtio-gpu-pci), GPU=gl (virgl) or GPU=venus (virgl, blob, Venus))
endif
ifeq ($(filter $(KVM),0 1),)
$(error KVM=$(KVM): use KVM=1 to run the guest under KVM, KVM=0 (default) for TCG)
endif

GUEST = python3 scripts/run-guest.py --driver $(DRIVER) \
	--stage $(CACHE)/stage --rootfs $(CACHE)/rootfs $(if $(filter 1,$(KVM)),--kvm) \
	$(if $(filter-out 2d,$(GPU)),--gpu $(GPU))
# The 3D profiles need the QEMU 10 tree first.
QEMU3D = $(if $(filter-out 2d,$(GPU)),qemu3d)

.PHONY: all deps source overlay config kernel rootfs qemu3d boot check check-loaded check-debug fuzz-soak stress bench clean distclean help

all: boot

deps:
	@scripts/deps.sh

source: deps
	@scripts/source.sh

overlay: source
	@scripts/overlay.sh

config: overlay
	@scripts/config.sh

kernel: config
	@scripts/build.sh

rootfs: deps
	@scripts/rootfs.sh

qemu3d: deps
	@scripts/qemu3d.sh

boot: kernel rootfs $(QEMU3D)
	@echo "[boot] booting the guest with DRIVER=$(DRIVER)$(if $(filter-out 2d,$(GPU)), GPU=$(GPU)) (console below)"
	@$(GUEST) --task boot --run-dir $(OUT)/boot-$(DRIVER) --timeout 300 --show-console
	@cp $(OUT)/boot-$(DRIVER)/boot.png $(OUT)/boot-$(DRIVER).png
	@echo "[boot] screenshot of the guest display: $(OUT)/boot-$(DRIVER).png"

check: kernel rootfs $(QEMU3D)
	@scripts/check.sh

# make check while a CPU hog per host core runs beside it (scripts/with-load.sh):
# the guest's clock counts instructions, so the verdict must be the same.
check-loaded: kernel rootfs $(QEMU3D)
	@scripts/with-load.sh scripts/check.sh

# The same tests on the debug variant of the kernel (Kconfig.debug: lockdep,
# atomic-sleep checks, kmemleak, debug objects, UBSAN), in its own build tree.
# Any kernel report fails it: no splat is expected.
check-debug:
	@$(MAKE) --no-print-directory VARIANT=debug check

# The ioctl fuzzer alone, longer (20 seeds x 200000 calls by default), on the
# debug kernel.
fuzz-soak:
	@$(MAKE) --no-print-directory VARIANT=debug kernel rootfs
	@VARIANT=debug scripts/fuzz.sh

# The reliability harness of check-debug without IGT, on the debug kernel:
# fuzzer seeds, fault injection into every allocation of the driver's calls,
# unbind/bind under client load, lifecycle cycles, kmemleak. Quick enough to
# run on both drivers: make stress DRIVER=c.
stress:
	@$(MAKE) --no-print-directory VARIANT=debug kernel rootfs
	@VARIANT=debug scripts/stress.sh

# Both drivers on the same kernel, root filesystem and QEMU, one after the
# other: a table of medians and Rust/C ratios (out/bench.md, out/bench.png).
bench: kernel rootfs
	@scripts/bench.sh

clean:
	rm -rf $(OUT) $(CACHE)/build $(CACHE)/stage $(CACHE)/stage-debug

distclean: clean
	rm -rf $(CACHE)

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'
