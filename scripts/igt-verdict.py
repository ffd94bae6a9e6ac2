#!/usr/bin/env python3
"""Compare a run's IGT results with the committed expectations (drm-ci form).

Results: one "name result seconds" line per subtest, as the guest wrote them.
Expectations, for a driver D, in igt/:
  D-fails.txt   "name,Status" for each subtest expected not to pass (Fail, Timeout, Crash, Abort)
  D-flakes.txt  names whose result may change from run to run (regexes)
  D-skips.txt   names not run at all (regexes; the guest applies them)
  D-results.txt the full observed baseline: "name result" per subtest
A run differs from the expectations when a subtest fails unexpectedly, when an
expected failure passes or skips (the fails file must stay true), or when a
subtest of the baseline was not run at all.

An unexpected failure may be run once more, alone (drm-ci's runner does the
same): --rerun-list writes the names to run again, --retry reads their second
results. A subtest whose second result is as expected (a pass or skip, or the
expected failure) is a flake that the flakes file does not list yet: it is
reported, not counted as a failure. One that differs again is a failure.

Prints the differences, a count line, and writes "passed failed skipped" to
--summary. Exit status 1 when anything differs.
"""

import argparse
import os
import re
import sys

FAILURES = {"fail": "Fail", "timeout": "Timeout", "crash": "Crash", "abort": "Abort"}
# Results of make check's own checks, judged on the host: not IGT, no retry.
HOST_CHECKS = {"pixels", "pixels-swiotlb", "pixels-platform", "clients", "fences"}


def read_lines(path):
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]


def read_results(path):
    res = {}
    for line in read_lines(path):
        parts = line.split()
        res[parts[0]] = parts[1] if len(parts) > 1 else "?"
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results")
    p.add_argument("--expect", required=True, help="path prefix, e.g. igt/virtio_gpu_c")
    p.add_argument("--summary")
    p.add_argument("--testlist", help="judge only the subtests of these binaries (a testlist file)")
    p.add_argument("--rerun-list", help="write the IGT subtests that failed unexpectedly here, "
                   "one per line, and judge nothing")
    p.add_argument("--retry", help="the results of a second run of the --rerun-list subtests")
    a = p.parse_args()

    got = read_results(a.results)
    retry = read_results(a.retry)
    fails = {}
    for line in read_lines(a.expect + "-fails.txt"):
        name, _, status = line.partition(",")
        fails[name.strip()] = status.strip()
    flakes = [re.compile(l) for l in read_lines(a.expect + "-flakes.txt")]
    base = read_results(a.expect + "-results.txt")
    if a.testlist:
        # A run of part of the list: what it did not run is not missing. This
        # repository's own checks (HOST_CHECKS) run in every run.
        # Read as the guest does: a binary's name, then whitespace or a comment.
        bins = {l.split("#")[0].split()[0] for l in read_lines(a.testlist)
                if l.split("#")[0].strip()} | HOST_CHECKS
        ours = lambda name: name.split("@")[0] in bins
        base = {n: r for n, r in base.items() if ours(n)}
        fails = {n: s for n, s in fails.items() if ours(n)}

    bad, info, rerun = [], [], []
    n_pass = n_skip = n_xfail = n_flake = n_retried = 0
    for name, res in got.items():
        want = fails.get(name)
        status = FAILURES.get(res)
        if any(f.fullmatch(name) for f in flakes):
            n_flake += 1
            continue
        expected = (lambda r: FAILURES.get(r) == want) if want else (lambda r: r not in FAILURES)
        again = ""
        if not expected(res) and name.split("@")[0] not in HOST_CHECKS:
            rerun.append(name)
            if retry.get(name, "notrun") != "notrun" and expected(retry[name]):
                n_flake += 1
                n_retried += 1
                info.append(f"{name}: {res.capitalize()}, then {retry[name]} on retry: a flake "
                            "the flakes file does not list")
                continue
            if name in retry:
                again = f", and {retry[name]} on retry"
        if want:
            if status == want:
                n_xfail += 1
            else:
                bad.append(f"{name}: expected {want}, got {status or res.capitalize()}{again}"
                           + (" (remove it from the fails file)" if res in ("pass", "skip") else ""))
            continue
        if status:
            bad.append(f"{name}: {status}{again} (expected to pass or skip)")
        elif res == "pass":
            n_pass += 1
        else:
            n_skip += 1
        if name in base and base[name] != res and base[name] in ("pass", "skip"):
            info.append(f"{name}: {res} (baseline: {base[name]})")
    for name in base:
        if name not in got:
            bad.append(f"{name}: not run (in the baseline)")
    for name in fails:
        if name not in got and name not in base:
            bad.append(f"{name}: in the fails file but not run")

    if a.rerun_list:
        with open(a.rerun_list, "w") as f:
            f.writelines(n + "\n" for n in rerun)
        return
    for line in info:
        print(f"  note  {line}")
    for line in bad:
        print(f"  FAIL  {line}")
    print(f"igt: {n_pass} pass, {n_skip} skip, {n_xfail} expected failure(s), "
          f"{n_flake} flake(s)" + (f" ({n_retried} passed on retry)" if n_retried else "")
          + f", {len(bad)} unexpected")
    if a.summary:
        with open(a.summary, "w") as f:
            f.write(f"{n_pass} {len(bad)} {n_skip + n_xfail + n_flake}\n")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
