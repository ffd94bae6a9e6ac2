"""Tests of the compile-fail judge: a case passes only when rustc refuses exactly the marked
lines with the marked codes; any other outcome fails it."""

import importlib.util
import os
import unittest

spec = importlib.util.spec_from_file_location(
    "compile_fail", os.path.join(os.path.dirname(__file__), "..", "compile-fail.py"))
cf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cf)

CASE = """use kernel::virtio;
fn f(dev: &virtio::Device) -> bool {
    dev.has_feature(0) //~ ERROR E0599
}
"""

RUSTC_E0599 = """error[E0599]: no method named `has_feature` found for reference `&Device` in the current scope
 --> /repo/rust/compile-fail/case.rs:3:9
  |
3 |     dev.has_feature(0)
  |         ^^^^^^^^^^^ method not found in `&Device`
error: aborting due to 1 previous error
"""

RUSTC_E0432 = """error[E0432]: unresolved import `kernel::virtio`
 --> /repo/rust/compile-fail/case.rs:1:5
"""


class CompileFail(unittest.TestCase):
    def verdict(self, name, text, built, output):
        want = cf.expected_errors(text)
        return cf.judge(name, want, built, cf.reported_errors(output, "/repo/rust/compile-fail/case.rs"), output)

    def test_markers(self):
        self.assertEqual(cf.expected_errors(CASE), {("E0599", 3)})
        self.assertEqual(cf.expected_errors("impl X for Y {\n    //~^ ERROR E0200\n}\n"),
                         {("E0200", 1)})

    def test_the_marked_error_passes(self):
        self.assertIsNone(self.verdict("case", CASE, False, RUSTC_E0599))

    def test_a_build_that_succeeds_fails(self):
        self.assertIn("built, but must fail", self.verdict("case", CASE, True, ""))

    def test_another_error_fails(self):
        self.assertIn("failed with E0432 at line 1", self.verdict("case", CASE, False, RUSTC_E0432))

    def test_an_extra_error_fails(self):
        self.assertIsNotNone(self.verdict("case", CASE, False, RUSTC_E0599 + RUSTC_E0432))

    def test_the_right_code_at_another_line_fails(self):
        moved = RUSTC_E0599.replace("case.rs:3:9", "case.rs:2:1")
        self.assertIsNotNone(self.verdict("case", CASE, False, moved))

    def test_a_case_without_markers_fails(self):
        self.assertIn("no //~ ERROR marker", self.verdict("case", "fn f() {}\n", False, RUSTC_E0432))

    def test_a_pass_case_must_build(self):
        self.assertIsNone(self.verdict("pass_x", "fn f() {}\n", True, ""))
        self.assertIn("must build", self.verdict("pass_x", "fn f() {}\n", False, RUSTC_E0432))

    def test_a_failure_without_error_code_is_not_a_pass(self):
        # A linker or make failure prints no rustc error code.
        self.assertIsNotNone(self.verdict("case", CASE, False, "make: *** [Makefile] Error 2\n"))


if __name__ == "__main__":
    unittest.main()
