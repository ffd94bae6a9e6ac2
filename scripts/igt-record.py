#!/usr/bin/env python3
"""Record a run's IGT results as the expectation files of a driver.

Writes <prefix>-results.txt (every subtest and its result) and <prefix>-fails.txt
(every subtest that did not pass or skip, in drm-ci's "name,Status" form), each
with a header saying when and on what they were observed. Flakes and skips are
kept by hand: a flake must be seen to flip, not guessed.
Use it to record a baseline, then read the diff before committing it.
"""

import argparse
import datetime
import os
import re
import subprocess

FAILURES = {"fail": "Fail", "timeout": "Timeout", "crash": "Crash", "abort": "Abort"}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results")
    p.add_argument("--expect", required=True, help="path prefix, e.g. igt/virtio_gpu_c")
    p.add_argument("--run-dir", help="the run directory, for the kernel version")
    p.add_argument("--note", action="append", default=[], help="a comment line for the headers")
    p.add_argument("--testlist", help="the IGT list the run had, when not the profile's whole list: "
                   "written as a '# testlist: ' header, which check.sh then runs by default")
    a = p.parse_args()

    rows = []
    with open(a.results) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                rows.append((parts[0], parts[1]))
    kernel = "?"
    if a.run_dir:
        try:
            with open(os.path.join(a.run_dir, "console.log"), errors="replace") as f:
                m = re.search(r"Linux version (\S+)", f.read())
                kernel = m.group(1) if m else "?"
        except OSError:
            pass
    # The QEMU of the run (run-guest.py writes it), else the host's.
    qemu = None
    if a.run_dir and os.path.exists(os.path.join(a.run_dir, "qemu-version.txt")):
        with open(os.path.join(a.run_dir, "qemu-version.txt")) as f:
            qemu = f.read().strip()
    if not qemu:
        qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                              text=True).stdout.splitlines()[0]
    header = (f"# Observed {datetime.date.today().isoformat()} with scripts/igt-record.py:\n"
              f"# Linux {kernel}, {qemu}, TCG, IGT from Debian sid (igt-gpu-tools-tests)\n"
              + "".join(f"# {n}\n" for n in a.note)
              + (f"# testlist: {a.testlist}\n" if a.testlist else ""))
    counts = {}
    for _, r in rows:
        counts[r] = counts.get(r, 0) + 1
    summary = ", ".join(f"{n} {r}" for r, n in sorted(counts.items()))
    with open(a.expect + "-results.txt", "w") as f:
        f.write(header + f"# {len(rows)} subtests: {summary}\n")
        for name, res in rows:
            f.write(f"{name} {res}\n")
    with open(a.expect + "-fails.txt", "w") as f:
        f.write(header)
        for name, res in rows:
            if res in FAILURES:
                f.write(f"{name},{FAILURES[res]}\n")
    print(f"recorded {len(rows)} subtests ({summary}) to {a.expect}-results.txt and -fails.txt")


if __name__ == "__main__":
    main()
