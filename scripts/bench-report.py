#!/usr/bin/env python3
"""Turn the benchmark runs of both drivers into one table of ratios.

Reads "figure value unit" lines (and "figure n/a reason") from
<run-dir>/bench.txt of each driver, takes each figure's median over the runs
and its spread (max - min, as a percentage of the median), and prints a
Markdown table: figure, C median, Rust median, and the ratio Rust/C oriented so
that a ratio >= 1.00 means the Rust driver is as good or better. Writes the
table to --out (Markdown) and, when matplotlib is importable, a bar chart of the
ratios next to it (PNG).

With --previous (the --ratios-out file of an earlier run), it also says how far
each ratio moved since that run: the reproducibility of the table.
"""

import argparse
import json
import os
import statistics
import sys

# Figures where more is better; for every other figure less is better.
HIGHER_IS_BETTER = ("_fps", "_mbs", "_per_s")

# What each figure measures, for the table.
DESCRIPTIONS = {
    "getresources_us": "GETRESOURCES ioctl round trip",
    "dumb_cycles_per_s": "dumb create + mmap + touch + destroy, 1024x768x32",
    "dirtyfb_full_1024x768_fps": "full-frame DIRTYFB, 1024x768",
    "dirtyfb_full_1024x768_mbs": "full-frame DIRTYFB throughput, 1024x768",
    "dirtyfb_cpu_1024x768_ms": "guest CPU per full-frame DIRTYFB, 1024x768",
    "dirtyfb_full_1920x1080_fps": "full-frame DIRTYFB, 1920x1080",
    "dirtyfb_full_1920x1080_mbs": "full-frame DIRTYFB throughput, 1920x1080",
    "dirtyfb_cpu_1920x1080_ms": "guest CPU per full-frame DIRTYFB, 1920x1080",
    "dirtyfb_32x32_us": "32x32 DIRTYFB, ioctl return",
    "cursor_moves_per_s": "legacy cursor moves",
    "modeset_ms": "full modeset (mode change)",
    "flip_cpu_full_ms": "guest CPU per atomic flip, full frame",
    "flip_cpu_32x32_ms": "guest CPU per atomic flip, 32x32 damage",
    "flip_event_full_ms": "atomic commit to flip event, full frame",
    "flip_event_32x32_ms": "atomic commit to flip event, 32x32 damage",
    "flip_late_full_us": "commit to event less the vblank wait: vblank to event read, full frame",
    "flip_late_32x32_us": "commit to event less the vblank wait: vblank to event read, 32x32",
    "probe_ms": "module init: driver registration, probe, DRM device registration",
    "device_round_trip_us": "the floor: one GET_DISPLAY_INFO round trip, timed in the driver",
    "module_text_kib": "module text size, as the test kernel builds it",
    "module_text_shipped_kib": "module text size without the test kernel's KUnit suites, benchmark and fault points",
}


def read_runs(path):
    """Returns {figure: ([values], unit, n/a reason or None)}."""
    figures = {}
    if not os.path.exists(path):
        return figures
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or parts[0] == "run":
                continue
            name, value = parts[0], parts[1]
            values, unit, na = figures.setdefault(name, ([], "", None))
            if value == "n/a":
                figures[name] = (values, unit, " ".join(parts[2:]) or "n/a")
                continue
            try:
                values.append(float(value))
            except ValueError:
                continue
            figures[name] = (values, parts[2] if len(parts) > 2 else unit, na)
    return figures


def summary(entry):
    """(median, spread %) of a figure, or None when it was not measured."""
    values = entry[0] if entry else []
    if not values:
        return None
    med = statistics.median(values)
    spread = (max(values) - min(values)) / med * 100 if med else 0.0
    return med, spread


def ratio(name, c, rust):
    if not c or not rust or not c[0] or not rust[0]:
        return None
    if name.endswith(HIGHER_IS_BETTER):
        return rust[0] / c[0]
    return c[0] / rust[0]


def drift(previous, current):
    """How far each ratio moved from `previous` to `current` ({figure: ratio}),
    in percent of the previous ratio, for figures both runs measured.
    Returns ({figure: percent}, largest absolute percent or None)."""
    moved = {n: (q / previous[n] - 1) * 100 for n, q in current.items()
             if q is not None and previous.get(n)}
    largest = max((abs(v) for v in moved.values()), default=None)
    return moved, largest


def cell(s, unit):
    if s is None:
        return "n/a"
    med, spread = s
    return f"{med:.4g} {unit} (±{spread / 2:.0f}%)"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--c", required=True, help="run directory of the C driver")
    p.add_argument("--rust", required=True, help="run directory of the Rust driver")
    p.add_argument("--out", required=True, help="Markdown file to write")
    p.add_argument("--title", default="")
    p.add_argument("--ratios-out", help="JSON file to write this run's ratios to")
    p.add_argument("--previous", help="ratios of an earlier run (a --ratios-out file)")
    a = p.parse_args()

    previous = None
    if a.previous and os.path.exists(a.previous):
        with open(a.previous) as f:
            previous = json.load(f)

    c = read_runs(os.path.join(a.c, "bench.txt"))
    r = read_runs(os.path.join(a.rust, "bench.txt"))
    names = [n for n in DESCRIPTIONS if n in c or n in r]
    names += sorted(n for n in set(c) | set(r) if n not in DESCRIPTIONS)

    # The floor, the device's own round trip, is measured through the Rust driver
    # (the C driver has no such file); it is the same device under both.
    fl = summary(r.get("device_round_trip_us") or c.get("device_round_trip_us"))
    floor_us = fl[0] if fl else None

    def floors(s, unit):
        """A time figure as a multiple of the floor."""
        scale = {"us": 1.0, "ms": 1000.0}.get(unit)
        if s is None or not floor_us or scale is None:
            return ""
        return f"{s[0] * scale / floor_us:.3g}"

    rows = []  # (figure, C summary, Rust summary, ratio)
    for n in names:
        sc, sr = summary(c.get(n)), summary(r.get(n))
        rows.append((n, sc, sr, ratio(n, sc, sr)))
    ratios = {n: q for n, _, _, q in rows}
    moved, largest = drift(previous["ratios"], ratios) if previous else ({}, None)

    lines = [
        "| figure | what | C median | Rust median | ratio (≥ 1.00: Rust as good or better) "
        "| C in floors | Rust in floors |" + (" previous run's ratio |" if previous else ""),
        "| --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if previous else ""),
    ]
    for n, sc, sr, q in rows:
        unit = next((e[1] for e in (c.get(n), r.get(n)) if e and e[1]), "")
        why = ""
        if sr is None and r.get(n) and r[n][2]:
            why = f" ({r[n][2]})"
        line = (f"| `{n}` | {DESCRIPTIONS.get(n, '')} | {cell(sc, unit)} | "
                f"{cell(sr, unit)}{why} | {'n/a' if q is None else f'{q:.2f}'} | "
                f"{floors(sc, unit)} | {floors(sr, unit)} |")
        if previous:
            pq = previous["ratios"].get(n)
            line += (" n/a |" if pq is None else
                     f" {pq:.2f} ({moved[n]:+.1f}%) |" if n in moved else f" {pq:.2f} |")
        lines.append(line)
    table = "\n".join(lines) + "\n"
    note = ("\nMedians over the runs; ± is half the range (max - min) as a share of "
            "the median. Ratios are C/Rust for figures where less is better and "
            "Rust/C where more is better. \"In floors\": a time figure divided by "
            "`device_round_trip_us`, the device's cheapest round trip"
            + (f" ({floor_us:.3g} us)" if floor_us else " (not measured)") + ".\n")
    if previous:
        worst = max(moved, key=lambda n: abs(moved[n]), default=None)
        name = (previous.get("title") or "untitled").lstrip("# ")
        note += (f"\nAgainst the previous run ({name}): "
                 + ("no ratio to compare." if worst is None else
                    f"ratios moved by at most {largest:.1f}% (`{worst}`); "
                    f"{sum(abs(v) <= 5 for v in moved.values())} of {len(moved)} "
                    "within ±5%.") + "\n")
    if a.ratios_out:
        with open(a.ratios_out, "w") as f:
            json.dump({"title": a.title, "ratios": ratios}, f, indent=1)
    with open(a.out, "w") as f:
        if a.title:
            f.write(a.title + "\n\n")
        f.write(table + note)
    print(table, end="")
    if previous:
        print(note.strip().splitlines()[-1])

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not available: no plot)", file=sys.stderr)
        return 0
    bars = list(ratios.items())
    measured = [(n, q) for n, q in bars if q is not None]
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(bars), 4) + 1.2))
    labels = [n for n, _ in bars]
    ax.barh(labels, [q if q is not None else 0 for _, q in bars], color="#4c72b0")
    for i, (n, q) in enumerate(bars):
        ax.text(0.02, i, "n/a" if q is None else f"{q:.2f}", va="center",
                color="white" if q and q > 0.2 else "black", fontsize=8)
    ax.axvline(1.0, color="#c44e52", linewidth=1)
    ax.invert_yaxis()
    ax.set_xlabel("Rust vs C (≥ 1.00: Rust as good or better)")
    ax.set_title(a.title.lstrip("# ").replace(" (", "\n(", 1) or "virtio-gpu: Rust vs C",
                 fontsize=10)
    if not measured:
        ax.set_xlim(0, 1.5)
    fig.tight_layout()
    png = os.path.splitext(a.out)[0] + ".png"
    fig.savefig(png, dpi=100)
    print(f"plot: {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
