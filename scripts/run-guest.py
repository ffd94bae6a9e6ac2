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
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = {"c": ("virtio_gpu", "virtio_gpu_rs"), "rust": ("virtio_gpu_rs", "virtio_gpu")}
# The name each driver registers on the virtio bus (/sys/bus/virtio/drivers/NAME).
VIRTIO_DRIVERS = {"c": "virtio_gpu", "rust": "virtio_gpu_rs"}


def say(msg):
    print(f"[guest] {msg}", flush=True)


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
            for env in self.args.env:
                name, _, value = env.partition("=")
                if not name.isidentifier():
                    raise SystemExit(f"--env {env}: not NAME=value")
                f.write(f"{name}={shlex.quote(value)}\n")
        for src in self.args.file:
            shutil.copy2(src, os.path.join(self.run, os.path.basename(src)))
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
            "-device", "virtio-gpu-pci" + "".join("," + o for o in a.gpu_opt),
        ]
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
        return cmd

    def start(self):
        for f in ("status", "qmp.sock", "igt-progress"):
            p = os.path.join(self.run, f)
            if os.path.exists(p):
                os.remove(p)
        self.proc = subprocess.Popen(self.qemu_cmd(), stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.run, "qemu.log"), "a"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.qmp = Qmp(os.path.join(self.run, "qmp.sock"))
        except OSError:
            self.qmp = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.qmp = None

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
            say(f"screenshot {name} failed: {e}")
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
    p.add_argument("--task", choices=["boot", "igt", "igt-retry", "pixels", "bench", "fuzz", "stress", "exec"], required=True)
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
    p.add_argument("--gpu-opt", action="append", default=[])
    p.add_argument("--append", action="append", default=[])
    args = p.parse_args()
    if args.kvm and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        sys.exit("[guest] KVM=1 asked for, but /dev/kvm is not usable")
    guest = Guest(args)
    try:
        rc = guest.main()
    finally:
        guest.kill()
    sys.exit(rc)


if __name__ == "__main__":
    main()
