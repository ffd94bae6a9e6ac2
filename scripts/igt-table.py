#!/usr/bin/env python3
"""Print a Markdown table of IGT results per test binary, one column per run.

    scripts/igt-table.py C=igt/virtio_gpu_c-results.txt Rust=igt/virtio_gpu_rust-results.txt
Each cell reads "pass/fail/skip" (timeouts, crashes and aborts count as fail;
not-run as skip).
"""

import sys

ORDER = ("pass", "fail", "skip")
MAP = {"pass": "pass", "fail": "fail", "timeout": "fail", "crash": "fail", "abort": "fail",
       "skip": "skip", "notrun": "skip"}


def load(path):
    per = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or line.startswith("#"):
                continue
            test = parts[0].split("@")[0]
            cell = per.setdefault(test, dict.fromkeys(ORDER, 0))
            cell[MAP.get(parts[1], "fail")] += 1
    return per


def main():
    runs = [arg.split("=", 1) for arg in sys.argv[1:]]
    if not runs or any(len(r) != 2 for r in runs):
        sys.exit(__doc__)
    data = [(label, load(path)) for label, path in runs]
    tests = []
    for _, per in data:
        tests += [t for t in per if t not in tests]
    print("| test | " + " | ".join(f"{label} pass/fail/skip" for label, _ in data) + " |")
    print("| --- |" + " --- |" * len(data))
    totals = [dict.fromkeys(ORDER, 0) for _ in data]
    for t in tests:
        cells = []
        for i, (_, per) in enumerate(data):
            c = per.get(t)
            if c is None:
                cells.append("-")
                continue
            for k in ORDER:
                totals[i][k] += c[k]
            cells.append("/".join(str(c[k]) for k in ORDER))
        print(f"| {t} | " + " | ".join(cells) + " |")
    print("| **total** | " + " | ".join("/".join(str(t[k]) for k in ORDER) for t in totals) + " |")


if __name__ == "__main__":
    main()
