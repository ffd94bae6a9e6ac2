#!/usr/bin/env python3
"""Find kernel splats in a guest console log and judge them against a list.

A splat is a WARNING, BUG, Oops, KASAN/KFENCE/UBSAN report, SLUB debug report
("BUG <cache> (...): Poison overwritten"), general protection fault, lockdep
report, hung or soft-locked task, or kmemleak's "unreferenced object".
Each is attributed to the IGT subtest that was running (the guest writes
"[vgpu] <name>" to the kernel log before each one). Splats whose line matches a
regex of --expect (one per line, '#' comments) are expected; any other one is
printed and makes the exit status 1. An --expect line is "test regex,splat regex":
the splat is expected only during a matching subtest.
"""

import argparse
import re
import sys

SPLAT = re.compile(r"(WARNING:|BUG:|BUG [\w.:-]+ \(|Oops|KASAN:|KFENCE:|UBSAN:|general protection fault|"
                   r"possible circular locking|possible recursive locking|"
                   r"blocked for more than|soft lockup|unreferenced object)")
MARK = re.compile(r"\[vgpu\] (\S+)")
STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s*")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("console")
    p.add_argument("--expect", help="file of 'test regex,splat regex' lines known on this driver")
    a = p.parse_args()

    expected = []
    if a.expect:
        try:
            with open(a.expect) as f:
                for line in f:
                    if line.strip() and not line.startswith("#"):
                        t, _, w = line.strip().partition(",")
                        expected.append((re.compile(t), re.compile(w)))
        except FileNotFoundError:
            pass
    test = "(boot)"
    known, unknown = [], []
    with open(a.console, errors="replace") as f:
        for line in f:
            m = MARK.search(line)
            if m:
                test = m.group(1)
                continue
            if SPLAT.search(line):
                text = STAMP.sub("", line.rstrip())
                ok = any(t.fullmatch(test) and w.search(text) for t, w in expected)
                (known if ok else unknown).append((test, text))
    for test, text in unknown:
        print(f"  FAIL  splat during {test}: {text}")
    print(f"kernel log: {len(known)} expected splat(s), {len(unknown)} unexpected")
    sys.exit(1 if unknown else 0)


if __name__ == "__main__":
    main()
