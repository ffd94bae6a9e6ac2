"""Tests of the runner's device profiles (run-guest.py --gpu) and of the X11
screenshot (x11shot.py): the 2D command line must stay what it was, the 3D ones
must run QEMU 10 in its tree with a GL display, and a display number in use
must never be picked."""

import argparse
import importlib.util
import os
import socket
import struct
import sys
import tempfile
import unittest

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, SCRIPTS)


def load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(SCRIPTS, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


rg = load("run_guest", "run-guest.py")
x11shot = load("x11shot", "x11shot.py")
pixels = load("pixels_check", "pixels-check.py")


def args(**kw):
    a = dict(driver="c", task="boot", memory=2048, smp=2, stage="/s", rootfs="/r", append=[],
             gpu_opt=[], qemu_arg=[], gpu="2d", hostmem="256M", kvm=False, icount=None, run_dir="/run")
    a.update(kw)
    return argparse.Namespace(**a)


# The command line of every run before the profiles existed (run-guest.py at
# the commit that added --gpu), for --driver c, TCG, no option.
OLD_2D = [
    "qemu-system-x86_64", "-nodefaults", "-no-reboot", "-display", "none",
    "-machine", "pc", "-m", "2048", "-smp", "2",
    "-kernel", "/s/bzImage", "-append",
    "console=ttyS0,115200 root=root rootfstype=9p ro "
    "rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose "
    "init=/sbin/vgpu-init panic=-1 module_blacklist=virtio_gpu_rs",
    "-chardev", "file,id=con,path=/run/console.log,append=on", "-serial", "chardev:con",
    "-qmp", "unix:/run/qmp.sock,server=on,wait=off",
    "-global", "PIIX4_PM.disable_s3=1", "-global", "PIIX4_PM.disable_s4=1",
    "-device", "virtio-gpu-pci",
    "-fsdev", "local,id=root,path=/r,security_model=none,readonly=on",
    "-device", "virtio-9p-pci,fsdev=root,mount_tag=root",
    "-fsdev", "local,id=stage,path=/s,security_model=none,readonly=on",
    "-device", "virtio-9p-pci,fsdev=stage,mount_tag=stage",
    "-fsdev", "local,id=run,path=/run,security_model=none",
    "-device", "virtio-9p-pci,fsdev=run,mount_tag=run",
    "-accel", "tcg,thread=multi", "-cpu", "max",
]


class CommandLine(unittest.TestCase):
    def test_2d_is_unchanged(self):
        self.assertEqual(rg.Guest(args()).qemu_cmd(), OLD_2D)

    def test_2d_gpu_opt_and_icount(self):
        cmd = rg.Guest(args(gpu_opt=["xres=800", "yres=600"], icount=1, smp=1)).qemu_cmd()
        self.assertEqual(cmd[cmd.index("-device") + 1], "virtio-gpu-pci,xres=800,yres=600")
        self.assertEqual(cmd[-6:], ["-accel", "tcg,thread=single", "-icount", "shift=1,sleep=on",
                                    "-cpu", "max"])

    def test_gl_runs_qemu10_in_its_tree(self):
        cmd = rg.Guest(args(gpu="gl")).qemu_cmd()
        self.assertEqual(cmd[0], rg.QEMU3D_RUN)
        sep = cmd.index("--")
        self.assertEqual(cmd[1:sep], ["--bind", "/run", "--bind", "/s", "--bind", "/r"])
        qemu = cmd[sep + 1:]
        self.assertEqual(qemu[0], "qemu-system-x86_64")
        self.assertEqual(qemu[qemu.index("-display") + 1], "sdl,gl=on")
        self.assertEqual(qemu[qemu.index("-device") + 1], "virtio-gpu-gl-pci")
        # Apart from the display and the device, the same machine.
        strip = [x for x in qemu if x not in ("sdl,gl=on", "virtio-gpu-gl-pci")]
        self.assertEqual(strip, [x for x in OLD_2D if x not in ("none", "virtio-gpu-pci")])

    def test_qemu_args_come_last(self):
        cmd = rg.Guest(args(qemu_arg=["-trace", "virtio_gpu_*"])).qemu_cmd()
        self.assertEqual(cmd, OLD_2D + ["-trace", "virtio_gpu_*"])

    def test_venus_device(self):
        cmd = rg.Guest(args(gpu="venus", hostmem="1G", gpu_opt=["edid=on"])).qemu_cmd()
        self.assertIn("virtio-gpu-gl-pci,blob=true,hostmem=1G,venus=true,edid=on", cmd)

    def test_qemu_version_of_each_profile(self):
        calls = []

        def run(cmd, **kw):
            calls.append(cmd)
            return argparse.Namespace(stdout="QEMU emulator version 10.0.13\nCopyright\n")
        self.assertEqual(rg.qemu_version("gl", run), "QEMU emulator version 10.0.13")
        self.assertEqual(rg.qemu_version("2d", run), "QEMU emulator version 10.0.13")
        self.assertEqual(calls, [[rg.QEMU3D_RUN, "qemu-system-x86_64", "--version"],
                                 ["qemu-system-x86_64", "--version"]])

        def missing(cmd, **kw):
            raise FileNotFoundError(cmd[0])
        self.assertEqual(rg.qemu_version("2d", missing), "QEMU: unknown version")

    def test_guest_config_names_the_profile(self):
        with tempfile.TemporaryDirectory() as d:
            run = os.path.join(d, "run")
            a = args(gpu="venus", run_dir=run, test_timeout=300, env=[], file=[],
                     testlist=None, skips=None)
            saved = rg.qemu_version
            rg.qemu_version = lambda gpu: f"QEMU for {gpu}"
            try:
                rg.Guest(a).prepare()
            finally:
                rg.qemu_version = saved
            with open(os.path.join(run, "config")) as f:
                self.assertIn("GPU=venus\n", f.read())
            with open(os.path.join(run, "qemu-version.txt")) as f:
                self.assertEqual(f.read(), "QEMU for venus\n")

    def test_gpu_device(self):
        self.assertEqual(rg.gpu_device("2d", "256M"), "virtio-gpu-pci")
        self.assertEqual(rg.gpu_device("gl", "256M", ["blob=true"]), "virtio-gpu-gl-pci,blob=true")


class Displays(unittest.TestCase):
    def test_free_displays_skip_those_in_use(self):
        busy = {80, 81, 83}
        self.assertEqual(rg.free_displays(lambda n: n in busy, range(80, 86)), [82, 84, 85])
        self.assertEqual(rg.free_displays(lambda n: n in busy, range(80, 86), skip=[82]), [84, 85])
        self.assertEqual(rg.free_displays(lambda n: True, range(80, 86)), [])

    def test_socket_and_lock_files_mean_in_use(self):
        # Numbers no server uses, so that only the files decide.
        with tempfile.TemporaryDirectory() as tmp:
            os.mkdir(os.path.join(tmp, ".X11-unix"))
            open(os.path.join(tmp, ".X11-unix", "X60001"), "w").close()
            open(os.path.join(tmp, ".X60002-lock"), "w").close()
            self.assertTrue(rg.x_display_in_use(60001, tmp))
            self.assertTrue(rg.x_display_in_use(60002, tmp))
            self.assertFalse(rg.x_display_in_use(60003, tmp))

    def test_abstract_socket_means_in_use(self):
        # A server whose /tmp is not ours (another chroot) still holds the
        # abstract socket, which every mount namespace shares.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind("\0/tmp/.X11-unix/X60004")
            s.listen(1)
            with tempfile.TemporaryDirectory() as tmp:
                self.assertTrue(rg.x_display_in_use(60004, tmp))
        finally:
            s.close()

    def test_xvfb_that_cannot_start_is_a_setup_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            x = rg.Xvfb(os.path.join(tmp, "xvfb.log"), wrapper="/bin/false", tries=2, timeout=2)
            with self.assertRaises(rg.SetupError) as e:
                x.start()
            self.assertIn("Xvfb did not start", str(e.exception))
            self.assertIsNone(x.proc)


class X11Shot(unittest.TestCase):
    def test_parse_setup_finds_the_root(self):
        vendor = b"Test"
        data = bytearray(32)
        struct.pack_into("<H", data, 16, len(vendor))
        data[21] = 2  # two pixmap formats
        data += vendor + b"\0" * 16 + struct.pack("<I", 0x1234) + b"\0" * 36
        self.assertEqual(x11shot.parse_setup(bytes(data)), 0x1234)

    def test_png_round_trip(self):
        w, h = 5, 3
        bgrx = b"".join(bytes((x * 40, y * 80, x + y, 0)) for y in range(h) for x in range(w))
        rows = x11shot.bgrx_to_rows(bgrx, w, h)
        self.assertEqual(rows[1][3:6], bytes((1 + 1, 80, 40)))  # (x=1, y=1): R, G, B
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.png")
            x11shot.write_png(path, w, h, rows)
            pw, ph, prows = pixels.read_png(path)
        self.assertEqual((pw, ph), (w, h))
        self.assertEqual(prows[2][12:15], bytes((4 + 2, 160, 160)))


if __name__ == "__main__":
    unittest.main()
