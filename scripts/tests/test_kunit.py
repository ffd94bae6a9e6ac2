"""Tests of the KUnit results reader: every case of the first run is reported,
and a failure or an incomplete run in any run fails the check."""

import os
import subprocess
import sys
import tempfile
import unittest

READER = os.path.join(os.path.dirname(__file__), "..", "kunit-results.py")

RUN_OK = """[    5.000000] KTAP version 1
[    5.000001] 1..1
[    5.000002]     KTAP version 1
[    5.000003]     # Subtest: s
[    5.000004]     # module: m
[    5.000005]     1..2
[    5.000006]     ok 1 first
[    5.000007]     ok 2 second
[    5.000008] # s: pass:2 fail:0 skip:0 total:2
[    5.000009] ok 1 s
"""


class KunitResults(unittest.TestCase):
    def read(self, log):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "console.log")
            with open(path, "w") as f:
                f.write(log)
            r = subprocess.run([sys.executable, READER, path, "s"],
                               capture_output=True, text=True)
            return r.returncode, r.stdout.splitlines()

    def test_all_pass(self):
        rc, out = self.read(RUN_OK + RUN_OK)
        self.assertEqual(rc, 0)
        self.assertEqual(out, ["ok s.first", "ok s.second", "runs 2 0"])

    def test_failure_in_a_later_run(self):
        rc, out = self.read(RUN_OK + RUN_OK.replace("    ok 2 second", "    not ok 2 second"))
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], "runs 2 1")

    def test_failure_in_the_first_run(self):
        rc, out = self.read(RUN_OK.replace("    ok 1 first", "    not ok 1 first"))
        self.assertEqual(rc, 1)
        self.assertIn("fail s.first", out)

    def test_incomplete_run(self):
        cut = RUN_OK.split("[    5.000007]")[0]
        rc, out = self.read(cut)
        self.assertEqual(rc, 1)
        self.assertIn("fail s (incomplete: 1 of 2 results)", out)

    def test_never_ran(self):
        rc, out = self.read("[    1.0] nothing here\n")
        self.assertEqual(rc, 1)
        self.assertEqual(out, ["fail s (the suite never ran)"])

    def test_other_suites_are_ignored(self):
        other = RUN_OK.replace("Subtest: s", "Subtest: t").replace("ok 1 s\n", "ok 1 t\n")
        rc, out = self.read(other + RUN_OK)
        self.assertEqual(rc, 0)
        self.assertEqual(out, ["ok s.first", "ok s.second", "runs 1 0"])


if __name__ == "__main__":
    unittest.main()
