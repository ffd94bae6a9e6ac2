"""Tests of the benchmark report: ratios must point the documented way, and the
comparison with the previous run must report what moved.
Run: python3 -m unittest discover scripts/tests"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

REPORT = os.path.join(os.path.dirname(__file__), "..", "bench-report.py")
spec = importlib.util.spec_from_file_location("bench_report", REPORT)
bench_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_report)


def write_runs(path, runs):
    os.makedirs(path)
    with open(os.path.join(path, "bench.txt"), "w") as f:
        for i, lines in enumerate(runs, 1):
            f.write(f"run {i}\n" + "".join(line + "\n" for line in lines))


class Ratios(unittest.TestCase):
    def test_orientation(self):
        # Less is better for times: a Rust time half of C's is a ratio of 2.
        self.assertEqual(bench_report.ratio("modeset_ms", (10.0, 0), (5.0, 0)), 2.0)
        # More is better for rates: half the rate is a ratio of 0.5.
        self.assertEqual(bench_report.ratio("cursor_moves_per_s", (10.0, 0), (5.0, 0)), 0.5)
        self.assertIsNone(bench_report.ratio("modeset_ms", None, (5.0, 0)))

    def test_drift(self):
        moved, largest = bench_report.drift({"a": 1.0, "b": 2.0, "c": None},
                                            {"a": 1.1, "b": 1.9, "c": 1.0, "d": 1.0})
        self.assertAlmostEqual(moved["a"], 10.0)
        self.assertAlmostEqual(moved["b"], -5.0)
        self.assertNotIn("c", moved)  # not measured before
        self.assertNotIn("d", moved)  # not in the previous run
        self.assertAlmostEqual(largest, 10.0)
        self.assertEqual(bench_report.drift({}, {"a": 1.0}), ({}, None))


class Report(unittest.TestCase):
    def test_previous_run(self):
        with tempfile.TemporaryDirectory() as d:
            write_runs(os.path.join(d, "c"), [["modeset_ms 10 ms"], ["modeset_ms 12 ms"],
                                              ["modeset_ms 11 ms"]])
            write_runs(os.path.join(d, "rust"), [["modeset_ms 10 ms"], ["modeset_ms 10 ms"],
                                                 ["modeset_ms n/a no-second-mode"]])
            prev = os.path.join(d, "prev.json")
            with open(prev, "w") as f:
                json.dump({"title": "# earlier", "ratios": {"modeset_ms": 1.0}}, f)
            out, ratios = os.path.join(d, "bench.md"), os.path.join(d, "ratios.json")
            env = dict(os.environ, MPLBACKEND="Agg")
            res = subprocess.run([sys.executable, REPORT, "--c", os.path.join(d, "c"),
                                  "--rust", os.path.join(d, "rust"), "--out", out,
                                  "--ratios-out", ratios, "--previous", prev],
                                 capture_output=True, text=True, env=env)
            self.assertEqual(res.returncode, 0, res.stderr)
            with open(ratios) as f:
                self.assertAlmostEqual(json.load(f)["ratios"]["modeset_ms"], 1.1)
            with open(out) as f:
                text = f.read()
            self.assertIn("| 1.10 |", text)
            self.assertIn("1.00 (+10.0%)", text)
            self.assertIn("at most 10.0% (`modeset_ms`); 0 of 1 within ±5%", text)


if __name__ == "__main__":
    unittest.main()
