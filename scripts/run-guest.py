#!/usr/bin/env python3
"""Boot the test kernel in QEMU with a virtio-gpu device and run one guest task.

The guest's root is the cached Debian sid tree (read-only 9p); the run directory
is shared read-write and carries the guest scripts in and the results out as
files. The host enforces every time limit, because a stuck guest stops its own
timers: a hung IGT test is recorded as "timeout", the guest is killed and booted
again, and it carries on with the next test. Screenshots are taken through QMP
when the guest asks for one (a file handshake in the run directory).
"""

import argparse
import ctypes
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

import x11shot

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = {"c": ("virtio_gpu", "virtio_gpu_rs"), "rust": ("virtio_gpu_rs", "virtio_gpu")}
# The name each driver registers on the virtio bus (/sys/bus/virtio/drivers/NAME).
VIRTIO_DRIVERS = {"c": "virtio_gpu", "rust": "virtio_gpu_rs"}


# The 3D device profiles (--gpu): the QEMU device and what it adds to it. "2d"
# is the default and the command line of every run before profiles existed;
# "gl" and "venus" run Debian trixie's QEMU 10 from the tree of
# scripts/qemu3d.sh, with an SDL display (gl=on) on an Xvfb of their own.
GPU_DEVICES = {"2d": "virtio-gpu-pci", "gl": "virtio-gpu-gl-pci", "venus": "virtio-gpu-gl-pci"}
QEMU3D_RUN = os.path.join(TOP, "scripts", "qemu3d-run.sh")
# Xvfb display numbers the runner picks from (xvfb-run's default is 99).
XVFB_DISPLAYS = range(80, 200)


def say(msg):
    print(f"[guest] {msg}", flush=True)


class SetupError(Exception):
    """A step before the guest could run failed (Xvfb, QEMU's GL display)."""


def gpu_device(gpu, hostmem, opts=()):
    """The -device argument of the GPU profile `gpu`, with --gpu-opt `opts`."""
    dev = GPU_DEVICES[gpu]
    if gpu == "venus":
        # Venus needs blob resources and a host-visible memory window (a 64-bit
        # BAR that maps host allocations; it reserves guest address space, not
        # host RAM).
        dev += f",blob=true,hostmem={hostmem},venus=true"
    return dev + "".join("," + o for o in opts)


def qemu_version(gpu, run=subprocess.run):
    """The first line of `qemu-system-x86_64 --version` of the QEMU that runs
    profile `gpu` (the host's for 2d, the QEMU 3D tree's otherwise)."""
    cmd = ["qemu-system-x86_64", "--version"]
    if gpu != "2d":
        cmd = [QEMU3D_RUN] + cmd
    try:
        lines = run(cmd, capture_output=True, text=True, timeout=60).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        lines = []
    return lines[0] if lines else "QEMU: unknown version"


def x_display_in_use(n, tmp="/tmp"):
    """Whether X display :n is taken: a socket or lock file in /tmp, or a
    server listening on its abstract socket (shared by every chroot and mount
    namespace, so it also sees servers whose /tmp is not ours)."""
    if os.path.exists(f"{tmp}/.X11-unix/X{n}") or os.path.exists(f"{tmp}/.X{n}-lock"):
        return True
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(f"\0/tmp/.X11-unix/X{n}")
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_displays(in_use=x_display_in_use, candidates=XVFB_DISPLAYS, skip=()):
    """The display numbers of `candidates` that look free, in order."""
    return [n for n in candidates if n not in skip and not in_use(n)]


def die_with_parent():
    """preexec_fn: the child gets SIGTERM when the runner dies, even by SIGKILL
    (the exec chain qemu3d-run.sh -> unshare -> chroot keeps one pid)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Xvfb:
    """An X server of the runner's own, for QEMU's SDL display with GL."""

    def __init__(self, log, wrapper=QEMU3D_RUN, tries=5, timeout=20):
        self.log, self.wrapper, self.tries, self.timeout = log, wrapper, tries, timeout
        self.proc = None
        self.display = None

    def start(self):
        tried = []
        for n in free_displays()[:self.tries]:
            tried.append(n)
            with open(self.log, "a") as log:
                self.proc = subprocess.Popen(
                    [self.wrapper, "Xvfb", f":{n}", "-screen", "0", "1920x1200x24",
                     "-nolisten", "tcp", "-noreset"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=die_with_parent)
            deadline = time.time() + self.timeout
            while time.time() < deadline and self.proc.poll() is None:
                if x_display_in_use(n) and self._connects(n):
                    self.display = n
                    return f":{n}"
                time.sleep(0.1)
            self.stop()  # exited (display taken meanwhile?) or never ready
        raise SetupError(f"Xvfb did not start on any of displays {tried} (log: {self.log})")

    @staticmethod
    def _connects(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(f"/tmp/.X11-unix/X{n}")
            return True
        except OSError:
            return False
        finally:
            s.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # SIGTERM first: Xvfb then removes its socket and lock file.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


class Qmp:
    """A minimal QMP client: enough for screendump and quit."""

    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(60)
        self.buf = b""
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                msg = json.loads(line)
                if "event" not in msg:
                    return msg
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("QMP socket closed")
            self.buf += data

    def execute(self, cmd, **args):
        self.sock.sendall(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"QMP {cmd}: {reply['error'].get('desc')}")
        return reply.get("return")


class Guest:
    def __init__(self, args):
        self.args = args
        self.run = os.path.abspath(args.run_dir)
        self.console = os.path.join(self.run, "console.log")
        self.proc = None
        self.qmp = None
        self.xvfb = None  # the runner's X server (gl, venus)
        self.display = None  # and its ":N"

    def prepare(self):
        if os.path.isdir(self.run):
            shutil.rmtree(self.run)
        os.makedirs(self.run)
        shutil.copytree(os.path.join(TOP, "scripts", "guest"), os.path.join(self.run, "guest"))
        module, _ = MODULES[self.args.driver]
        with open(os.path.join(self.run, "config"), "w") as f:
            f.write(f"DRIVER={self.args.driver}\nMODULE={module}\nTASK={self.args.task}\n")
            f.write(f"VIRTIO_DRIVER={VIRTIO_DRIVERS[self.args.driver]}\n")
            f.write(f"IGT_TEST_TIMEOUT={self.args.test_timeout}\n")
            f.write(f"GPU={self.args.gpu}\n")
            for env in self.args.env:
                name, _, value = env.partition("=")
                if not name.isidentifier():
                    raise SystemExit(f"--env {env}: not NAME=value")
                f.write(f"{name}={shlex.quote(value)}\n")
        for src in self.args.file:
            shutil.copy2(src, os.path.join(self.run, os.path.basename(src)))
        # Which QEMU ran, for the expectation files' headers (igt-record.py).
        with open(os.path.join(self.run, "qemu-version.txt"), "w") as f:
            f.write(qemu_version(self.args.gpu) + "\n")
        for src, dst in ((self.args.testlist, "igt-testlist.txt"), (self.args.skips, "igt-skips.txt")):
            if src and os.path.exists(src):
                with open(src) as fi, open(os.path.join(self.run, dst), "w") as fo:
                    for line in fi:
                        line = line.strip()
                        if line and not line.startswith("#"):
                            fo.write(line + "\n")

    def qemu_cmd(self):
        a = self.args
        module, other = MODULES[a.driver]
        append = [
            "console=ttyS0,115200", "root=root", "rootfstype=9p", "ro",
            "rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose",
            "init=/sbin/vgpu-init", "panic=-1", f"module_blacklist={other}",
        ] + a.append
        cmd = [
            "qemu-system-x86_64", "-nodefaults", "-no-reboot", "-display", "none",
            "-machine", "pc", "-m", str(a.memory), "-smp", str(a.smp),
            "-kernel", os.path.join(a.stage, "bzImage"), "-append", " ".join(append),
            "-chardev", f"file,id=con,path={self.console},append=on", "-serial", "chardev:con",
            "-qmp", f"unix:{self.run}/qmp.sock,server=on,wait=off",
            "-global", "PIIX4_PM.disable_s3=1", "-global", "PIIX4_PM.disable_s4=1",
            "-device", gpu_device(a.gpu, a.hostmem, a.gpu_opt),
        ]
        if a.gpu != "2d":
            # QEMU 10 from the trixie tree, in its own chroot and mount
            # namespace, which sees the run directory, the kernel and the root.
            cmd[cmd.index("-display") + 1] = "sdl,gl=on"
            binds = []
            for path in (self.run, a.stage, a.rootfs):
                binds += ["--bind", os.path.abspath(path)]
            cmd = [QEMU3D_RUN] + binds + ["--"] + cmd
        for tag, path, ro in (("root", a.rootfs, True), ("stage", a.stage, True), ("run", self.run, False)):
            cmd += ["-fsdev", f"local,id={tag},path={path},security_model=none" + (",readonly=on" if ro else ""),
                    "-device", f"virtio-9p-pci,fsdev={tag},mount_tag={tag}"]
        if a.kvm:
            cmd += ["-accel", "kvm", "-cpu", "host"]
        elif a.icount is not None:
            # The guest's clock counts instructions (2^shift ns each) while it
            # runs, and host time while it idles: CPU time becomes a count of
            # instructions. icount needs single-threaded TCG.
            cmd += ["-accel", "tcg,thread=single", "-icount", f"shift={a.icount},sleep=on",
                    "-cpu", "max"]
        else:
            cmd += ["-accel", "tcg,thread=multi", "-cpu", "max"]
        return cmd + a.qemu_arg

    def start(self):
        for f in ("status", "qmp.sock", "igt-progress"):
            p = os.path.join(self.run, f)
            if os.path.exists(p):
                os.remove(p)
        if self.args.gpu == "2d":
            self.proc = subprocess.Popen(self.qemu_cmd(), stdin=subprocess.DEVNULL,
                                         stdout=open(os.path.join(self.run, "qemu.log"), "a"),
                                         stderr=subprocess.STDOUT, start_new_session=True)
        else:
            env = dict(os.environ, DISPLAY=self.display, SDL_VIDEODRIVER="x11")
            env.pop("XAUTHORITY", None)
            self.proc = subprocess.Popen(self.qemu_cmd(), stdin=subprocess.DEVNULL,
                                         stdout=open(os.path.join(self.run, "qemu.log"), "a"),
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env=env, preexec_fn=die_with_parent)
        try:
            self.qmp = Qmp(os.path.join(self.run, "qmp.sock"))
        except OSError:
            self.qmp = None
        if self.args.gpu != "2d" and (self.qmp is None or self.proc.poll() is not None):
            # Most likely SDL found no GL on the X server, or the device
            # options are refused: QEMU says which in its log.
            self.kill()
            raise SetupError(f"QEMU with -display sdl,gl=on on Xvfb {self.display} did not start; "
                             f"qemu.log:\n" + self.qemu_log_tail())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.qmp = None

    def qemu_log_tail(self, n=20):
        try:
            with open(os.path.join(self.run, "qemu.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no qemu.log)\n"

    def console_tail(self, n=40):
        try:
            with open(self.console, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no console output)\n"

    def screenshot(self):
        req = os.path.join(self.run, "screenshot.request")
        if not os.path.exists(req):
            return
        with open(req) as f:
            name = f.read().strip() or "screen"
        os.remove(req)
        png = os.path.join(self.run, name + ".png")
        try:
            self.qmp.execute("screendump", filename=png, format="png")
            say(f"screenshot {png}")
        except (RuntimeError, OSError, AttributeError) as e:
            if self.args.gpu == "2d" or "no surface" not in str(e):
                say(f"screenshot {name} failed: {e}")
            else:
                # A GL scanout (a texture) has no surface for screendump:
                # read what SDL shows on the runner's Xvfb instead.
                time.sleep(0.3)
                try:
                    w, h = x11shot.screenshot(self.display, png)
                    say(f"screenshot {png} (GL scanout: {w}x{h} from the SDL window on Xvfb {self.display})")
                except (x11shot.X11Error, OSError) as e2:
                    say(f"screenshot {name} failed: QMP: {e}; Xvfb {self.display}: {e2}")
        open(os.path.join(self.run, name + ".done"), "w").close()

    def record(self, status):
        """Record the test in progress as `status` (the guest can no longer)."""
        prog = os.path.join(self.run, "igt-progress")
        if not os.path.exists(prog):
            return None
        with open(prog) as f:
            name = (f.read().split() or ["?"])[0]
        with open(os.path.join(self.run, "igt-results.txt"), "a") as f:
            f.write(f"{name} {status} 0\n")
        os.remove(prog)
        return name

    def follow(self, pos, out):
        """Print new console lines (when streaming) and return the new position."""
        try:
            with open(self.console, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            return pos
        if out and data:
            sys.stdout.write(data.decode(errors="replace"))
            sys.stdout.flush()
        return pos + len(data)

    def main(self):
        a = self.args
        self.prepare()
        t_start = time.time()
        if a.gpu != "2d":
            self.xvfb = Xvfb(os.path.join(self.run, "xvfb.log"))
            self.display = self.xvfb.start()
            say(f"--gpu {a.gpu}: Xvfb on {self.display} ({time.time() - t_start:.1f}s), "
                f"QEMU from the trixie tree")
        boots = 0
        pos = 0
        results = os.path.join(self.run, "igt-results.txt")
        seen = 0
        last_result = t_start
        while True:
            boots += 1
            self.start()
            progress_mtime, progress_t = None, time.time()
            while self.proc.poll() is None:
                time.sleep(0.2)
                pos = self.follow(pos, a.show_console)
                self.screenshot()
                if os.path.exists(results):
                    with open(results) as f:
                        lines = f.readlines()
                    for line in lines[seen:]:
                        if line.endswith("\n"):
                            say("igt " + line.strip())
                            seen += 1
                            # Host seconds since the previous result (the
                            # first includes the boot): what a subtest cost
                            # in real time, beside the guest's own figure.
                            now = time.time()
                            with open(os.path.join(self.run, "igt-host-times.txt"), "a") as f:
                                f.write(f"{line.split()[0]} {now - last_result:.1f}\n")
                            last_result = now
                prog = os.path.join(self.run, "igt-progress")
                try:
                    m = os.stat(prog).st_mtime
                except OSError:
                    m = None
                if m != progress_mtime:
                    progress_mtime, progress_t = m, time.time()
                elif m is not None and time.time() - progress_t > a.stall:
                    self.kill()
                    name = self.record("timeout")
                    say(f"{name}: no progress for {a.stall}s, guest killed; console tail:")
                    sys.stdout.write(self.console_tail(15))
                    break
                if time.time() - t_start > a.timeout:
                    self.kill()
                    say(f"the guest run exceeded {a.timeout}s and was killed; console tail:")
                    sys.stdout.write(self.console_tail())
                    return 2
            pos = self.follow(pos, a.show_console)
            status_file = os.path.join(self.run, "status")
            if os.path.exists(status_file):
                with open(status_file) as f:
                    status = f.read().strip()
                if status == "done":
                    say(f"guest finished after {time.time() - t_start:.0f}s ({boots} boot(s))")
                    return 0
                say(f"guest reported '{status}'; console tail:")
                sys.stdout.write(self.console_tail())
                return 3
            # QEMU is gone without a status: a panic (panic=-1 + -no-reboot) or a kill above.
            name = self.record("crash")
            if name:
                say(f"{name}: the guest died during the test; console tail:")
                sys.stdout.write(self.console_tail(25))
            elif (not os.path.exists(os.path.join(self.run, "igt-results.txt"))
                  or a.task not in ("igt", "igt-retry")):
                say("the guest stopped before finishing its task; console tail:")
                sys.stdout.write(self.console_tail())
                return 4
            if boots > a.max_boots:
                say(f"giving up after {boots} boots")
                return 5
            say(f"booting again to carry on (boot {boots + 1})")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--driver", choices=sorted(MODULES), required=True)
    p.add_argument("--task", choices=["boot", "igt", "igt-retry", "pixels", "bench", "fuzz", "stress", "clients", "vulkan", "exec"],
                   required=True)
    p.add_argument("--file", action="append", default=[],
                   help="copy this file into the run directory (repeatable)")
    p.add_argument("--env", action="append", default=[],
                   help="NAME=value for the guest task's configuration (repeatable)")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--stage", required=True, help="directory with bzImage and lib/modules")
    p.add_argument("--rootfs", required=True)
    p.add_argument("--testlist")
    p.add_argument("--skips")
    p.add_argument("--timeout", type=int, default=3600, help="whole run, seconds")
    p.add_argument("--test-timeout", type=int, default=300, help="one IGT subtest, seconds (guest)")
    p.add_argument("--stall", type=int, default=420, help="no progress for this long: kill (host)")
    p.add_argument("--max-boots", type=int, default=20)
    p.add_argument("--memory", type=int, default=2048)
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--kvm", action="store_true")
    p.add_argument("--icount", type=int, metavar="SHIFT",
                   help="TCG with -icount shift=SHIFT: guest time counts instructions")
    p.add_argument("--show-console", action="store_true")
    p.add_argument("--gpu", choices=sorted(GPU_DEVICES), default="2d",
                   help="device profile: 2d (virtio-gpu-pci, the host's QEMU), gl (virgl) or "
                        "venus (virgl + blob + Venus), both on QEMU 10 from scripts/qemu3d.sh")
    p.add_argument("--hostmem", default="256M",
                   help="--gpu venus: size of the host-visible memory window")
    p.add_argument("--gpu-opt", action="append", default=[])
    p.add_argument("--qemu-arg", action="append", default=[],
                   help="one more argument for QEMU, for an experiment (repeatable): "
                        "--qemu-arg=-trace --qemu-arg='virtio_gpu_*'")
    p.add_argument("--append", action="append", default=[])
    args = p.parse_args()
    if args.kvm and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        sys.exit("[guest] KVM=1 asked for, but /dev/kvm is not usable")
    guest = Guest(args)
    if args.gpu == "2d":
        try:
            rc = guest.main()
        finally:
            guest.kill()
        sys.exit(rc)
    # gl, venus: an Xvfb for the run, stopped however the run ends (a signal
    # to the runner ends it through the finally below; a SIGKILL through the
    # children's parent-death signal).
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    rc = 6
    try:
        rc = guest.main()
    except SetupError as e:
        say(f"--gpu {args.gpu}: {e}")
    finally:
        guest.kill()
        if guest.xvfb:
            guest.xvfb.stop()
    sys.exit(rc)


if __name__ == "__main__":
    main()
