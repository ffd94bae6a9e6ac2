#!/usr/bin/env python3
"""Print a Markdown table of per-subtest results and times from several IGT runs side by side.

    scripts/igt-timings.py [--tests kms_flip,kms_vblank] normal=out/igt-rust loaded=out/igt-rust-l

Each argument is LABEL=RUN_DIR, a run directory of make check: its igt-results.txt gives the
result and the guest's seconds, its igt-host-times.txt (when there) the host's. A column
pair per run: "result guest-s" and "host-s". The last rows sum the times, and give the
largest difference of guest time between the first run and each other one.
"""

import argparse
import os


def load(run_dir, name):
    """{subtest: [fields...]} from a "name field..." file; {} if it is missing."""
    rows = {}
    try:
        with open(os.path.join(run_dir, name)) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and not line.startswith("#"):
                    rows[parts[0]] = parts[1:]
    except OSError:
        pass
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tests", default="kms_flip,kms_vblank,kms_cursor_legacy,kms_sequence",
                   help="comma-separated test binaries (default: the timing-sensitive ones)")
    p.add_argument("runs", nargs="+", metavar="LABEL=RUN_DIR")
    a = p.parse_args()
    runs = []
    for arg in a.runs:
        label, sep, path = arg.partition("=")
        if not sep:
            p.error(f"{arg}: not LABEL=RUN_DIR")
        runs.append((label, load(path, "igt-results.txt"), load(path, "igt-host-times.txt")))
    binaries = a.tests.split(",")
    names = []
    for _, results, _ in runs:
        names += [n for n in results if n.split("@")[0] in binaries and n not in names]

    head = "| subtest | " + " | ".join(f"{label}: result, guest s | {label}: host s"
                                        for label, _, _ in runs) + " |"
    print(head)
    print("| --- |" + " --- | --- |" * len(runs))
    totals = [[0.0, 0.0] for _ in runs]
    worst = [0.0 for _ in runs]
    for name in names:
        cells = []
        first = None
        for i, (_, results, hosts) in enumerate(runs):
            r = results.get(name)
            if not r:
                cells += ["-", "-"]
                continue
            guest = float(r[1]) if len(r) > 1 else 0.0
            host = float(hosts[name][0]) if name in hosts else None
            totals[i][0] += guest
            totals[i][1] += host or 0.0
            if first is None:
                first = guest
            else:
                worst[i] = max(worst[i], abs(guest - first))
            cells += [f"{r[0]} {guest:.2f}", "-" if host is None else f"{host:.1f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| **total** | " + " | ".join(f"{g:.1f} | {h:.1f}" for g, h in totals) + " |")
    if len(runs) > 1:
        print("| **largest guest-time difference from the first run** | - | - | "
              + " | ".join(f"{w:.2f} s | -" for w in worst[1:]) + " |")


if __name__ == "__main__":
    main()
