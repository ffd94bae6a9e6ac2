#!/usr/bin/env python3
"""Read KUnit's KTAP results for one suite out of a guest console log.

KUnit runs a module's suites each time the module loads, so the log of a run
holds the suite once per load. Prints one line per test case of the first run,
"<ok|fail> <suite>.<case>", then "runs <N> <N failed>" for all of them. Exit
status 1 when the suite never ran, a run is incomplete (fewer results than its
plan, as after a crash) or any case failed in any run.
"""

import argparse
import re
import sys

STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
RESULT = re.compile(r"^\s*(ok|not ok) (\d+) (\S+)(.*)$")
PLAN = re.compile(r"^\s*1\.\.(\d+)\s*$")


def runs(lines, suite):
    """Yields (plan, [(ok, case, directive)]) for each run of `suite`."""
    run = None
    for line in lines:
        line = STAMP.sub("", line.rstrip("\n"))
        if re.match(r"^\s*# Subtest: %s\s*$" % re.escape(suite), line):
            if run is not None:
                yield run
            run = [None, []]
            continue
        if run is None:
            continue
        m = PLAN.match(line)
        if m and run[0] is None:
            run[0] = int(m.group(1))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        ok, _, name, rest = m.groups()
        if name == suite:  # the suite's own line ends the run
            yield run
            run = None
            continue
        skip = "# SKIP" in rest
        run[1].append((ok == "ok", name, skip))
    if run is not None:
        yield run


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("console")
    p.add_argument("suite")
    a = p.parse_args()

    with open(a.console, errors="replace") as f:
        all_runs = list(runs(f, a.suite))
    if not all_runs:
        print(f"fail {a.suite} (the suite never ran)")
        return 1
    bad_runs = 0
    for plan, cases in all_runs:
        if plan is None or len(cases) != plan or not all(ok for ok, _, _ in cases):
            bad_runs += 1
    plan, cases = all_runs[0]
    for ok, name, skip in cases:
        print(f"{'ok' if ok and not skip else 'skip' if ok else 'fail'} {a.suite}.{name}")
    if plan is None or len(cases) != plan:
        print(f"fail {a.suite} (incomplete: {len(cases)} of {plan} results)")
    print(f"runs {len(all_runs)} {bad_runs}")
    return 1 if bad_runs else 0


if __name__ == "__main__":
    sys.exit(main())
