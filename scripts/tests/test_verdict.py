"""Tests of the IGT verdict: it must catch every kind of difference, or the
expectation files stop meaning anything. Run: python3 -m unittest discover scripts/tests"""

import os
import subprocess
import sys
import tempfile
import unittest

VERDICT = os.path.join(os.path.dirname(__file__), "..", "igt-verdict.py")


class Verdict(unittest.TestCase):
    def run_verdict(self, results, fails="", flakes="", baseline="", testlist=None, retry=None,
                    rerun=False):
        with tempfile.TemporaryDirectory() as d:
            prefix = os.path.join(d, "drv")
            for suffix, text in (("-fails.txt", fails), ("-flakes.txt", flakes),
                                 ("-results.txt", baseline)):
                if text:
                    with open(prefix + suffix, "w") as f:
                        f.write(text)
            res = os.path.join(d, "results.txt")
            with open(res, "w") as f:
                f.write(results)
            summary = os.path.join(d, "summary")
            args = [sys.executable, VERDICT, res, "--expect", prefix, "--summary", summary]
            if testlist is not None:
                with open(os.path.join(d, "testlist"), "w") as f:
                    f.write(testlist)
                args += ["--testlist", os.path.join(d, "testlist")]
            if retry is not None:
                with open(os.path.join(d, "retry.txt"), "w") as f:
                    f.write(retry)
                args += ["--retry", os.path.join(d, "retry.txt")]
            if rerun:
                args += ["--rerun-list", os.path.join(d, "rerun.txt")]
            p = subprocess.run(args, capture_output=True, text=True)
            if rerun:
                with open(os.path.join(d, "rerun.txt")) as f:
                    return p.returncode, f.read(), os.path.exists(summary)
            with open(summary) as f:
                counts = tuple(int(x) for x in f.read().split())
            return p.returncode, p.stdout, counts

    def test_part_of_the_list(self):
        base = "a@x pass\nb@y pass\npixels@p fail\n"
        results = "a@x pass 0.1\npixels@p fail 0\n"
        rc, out, _ = self.run_verdict(results, fails="b@y,Fail\npixels@p,Fail\n", baseline=base)
        self.assertEqual(rc, 1)
        self.assertIn("b@y: not run", out)
        rc, _, counts = self.run_verdict(results, fails="b@y,Fail\npixels@p,Fail\n", baseline=base,
                                         testlist="# c\na\n")
        self.assertEqual((rc, counts), (0, (1, 0, 1)))
        # An expected failure of a listed binary must still fail when it does not happen.
        rc, out, _ = self.run_verdict("a@x pass 0.1\n", fails="a@z,Fail\n", baseline=base,
                                      testlist="a\n")
        self.assertIn("a@z: in the fails file but not run", out)

    def test_all_pass_or_skip(self):
        rc, _, counts = self.run_verdict("a@x pass 0.1\na@y skip 0.1\n")
        self.assertEqual((rc, counts), (0, (1, 0, 1)))

    def test_new_failure(self):
        rc, out, counts = self.run_verdict("a@x fail 0.1\n")
        self.assertEqual((rc, counts), (1, (0, 1, 0)))
        self.assertIn("a@x: Fail", out)

    def test_expected_failure(self):
        rc, _, counts = self.run_verdict("a@x fail 0.1\n", fails="# c\na@x,Fail\n")
        self.assertEqual((rc, counts), (0, (0, 0, 1)))

    def test_expected_failure_that_passes(self):
        rc, out, _ = self.run_verdict("a@x pass 0.1\n", fails="a@x,Fail\n")
        self.assertEqual(rc, 1)
        self.assertIn("remove it from the fails file", out)

    def test_failure_of_another_kind(self):
        rc, out, _ = self.run_verdict("a@x timeout 300\n", fails="a@x,Fail\n")
        self.assertEqual(rc, 1)
        self.assertIn("expected Fail, got Timeout", out)

    def test_timeout_and_crash_are_failures(self):
        rc, _, counts = self.run_verdict("a@x timeout 0\na@y crash 0\n")
        self.assertEqual((rc, counts), (1, (0, 2, 0)))

    def test_flake_is_not_judged(self):
        rc, _, counts = self.run_verdict("a@x fail 0.1\n", flakes="a@.*\n")
        self.assertEqual((rc, counts), (0, (0, 0, 1)))

    def test_rerun_list(self):
        # Only unexpected failures of IGT subtests are run again: not expected
        # failures, not listed flakes, not make check's own checks.
        results = ("a@x fail 1\na@y pass 1\na@z fail 1\na@w timeout 300\nb crash 0\n"
                   "c@f fail 1\nd@e pass 1\npixels@p fail 0\nclients@k fail 0\n")
        rc, names, judged = self.run_verdict(results, fails="a@z,Fail\nd@e,Fail\n",
                                             flakes="c@.*\n", rerun=True)
        self.assertEqual((rc, names, judged), (0, "a@x\na@w\nb\nd@e\n", False))

    def test_pass_on_retry_is_an_unlisted_flake(self):
        rc, out, counts = self.run_verdict("a@x fail 1\na@y pass 1\n", retry="a@x pass 1\n")
        self.assertEqual((rc, counts), (0, (1, 0, 1)))
        self.assertIn("a@x: Fail, then pass on retry", out)
        self.assertIn("1 flake(s) (1 passed on retry), 0 unexpected", out)

    def test_failure_on_retry_is_a_failure(self):
        for again in ("fail", "timeout", "notrun"):
            rc, out, counts = self.run_verdict("a@x fail 1\n", retry=f"a@x {again} 1\n")
            self.assertEqual((rc, counts), (1, (0, 1, 0)))
            self.assertIn(f"a@x: Fail, and {again} on retry", out)
        # A retry does not excuse what it did not run.
        rc, _, counts = self.run_verdict("a@x fail 1\nb@y fail 1\n", retry="b@y pass 1\n")
        self.assertEqual((rc, counts), (1, (0, 1, 1)))

    def test_expected_failure_on_retry(self):
        # An expected failure that passed, or failed otherwise, is judged by its retry too.
        rc, out, counts = self.run_verdict("a@x pass 1\nb@y timeout 300\n",
                                           fails="a@x,Fail\nb@y,Fail\n",
                                           retry="a@x fail 1\nb@y fail 1\n")
        self.assertEqual((rc, counts), (0, (0, 0, 2)))
        self.assertIn("a@x: Pass, then fail on retry", out)
        rc, out, _ = self.run_verdict("a@x pass 1\n", fails="a@x,Fail\n", retry="a@x pass 1\n")
        self.assertEqual(rc, 1)
        self.assertIn("a@x: expected Fail, got Pass, and pass on retry (remove it", out)

    def test_baseline_subtest_not_run(self):
        rc, out, _ = self.run_verdict("a@x pass 0.1\n", baseline="# h\na@x pass\na@y skip\n")
        self.assertEqual(rc, 1)
        self.assertIn("a@y: not run", out)

    def test_empty_results_with_baseline(self):
        rc, _, _ = self.run_verdict("", baseline="a@x pass\n")
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    unittest.main()
