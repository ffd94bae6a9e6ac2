"""Tests of the kernel log check: splats are found, attributed to the subtest
that was running, and excused only by a matching (test, splat) expectation."""

import os
import subprocess
import sys
import tempfile
import unittest

CHECK = os.path.join(os.path.dirname(__file__), "..", "kernel-log-check.py")

LOG = """[    1.0] virtio-pci 0000:00:02.0: enabling device
[    2.0] [vgpu] kms_a@one
[    2.1] [IGT] kms_a: starting subtest one
[    2.2] WARNING: drivers/gpu/drm/x.c:10 at f+0x1/0x2, CPU#0: t/1
[    3.0] [vgpu] kms_b@two
[    3.1] BUG: kernel NULL pointer dereference, address: 0000000000000000
"""


class KernelLog(unittest.TestCase):
    def check(self, log, expect=None):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "console.log")
            with open(path, "w") as f:
                f.write(log)
            args = [sys.executable, CHECK, path]
            if expect is not None:
                with open(os.path.join(d, "expect"), "w") as f:
                    f.write(expect)
                args += ["--expect", os.path.join(d, "expect")]
            p = subprocess.run(args, capture_output=True, text=True)
            return p.returncode, p.stdout

    def test_clean_log(self):
        self.assertEqual(self.check("[ 1.0] hello\n")[0], 0)

    def test_splats_are_attributed(self):
        rc, out = self.check(LOG)
        self.assertEqual(rc, 1)
        self.assertIn("during kms_a@one: WARNING: drivers/gpu/drm/x.c:10", out)
        self.assertIn("during kms_b@two: BUG: kernel NULL pointer", out)

    def test_expected_only_in_its_subtest(self):
        rc, out = self.check(LOG, "kms_a@one,WARNING: drivers/gpu/drm/x\\.c\n# c\n")
        self.assertEqual(rc, 1)
        self.assertIn("1 expected splat(s), 1 unexpected", out)
        rc, out = self.check(LOG, "kms_b@two,WARNING: drivers/gpu/drm/x\\.c\n")
        self.assertIn("0 expected splat(s), 2 unexpected", out)

    def test_slub_and_kfence_reports(self):
        rc, out = self.check("[ 1.0] [vgpu] kms_c@three\n"
                             "[ 1.1] BUG kmalloc-64 (Not tainted): Poison overwritten\n"
                             "[ 1.2] BUG: KFENCE: use-after-free read in f+0x1/0x2\n"
                             "[ 1.3] page allocation failure: order:0, mode:0xcc0\n")
        self.assertEqual(rc, 1)
        self.assertIn("during kms_c@three: BUG kmalloc-64 (Not tainted): Poison", out)
        self.assertIn("0 expected splat(s), 2 unexpected", out)

    def test_all_expected(self):
        rc, _ = self.check(LOG, "kms_a@.*,WARNING:\nkms_b@two,BUG: kernel NULL\n")
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    unittest.main()
