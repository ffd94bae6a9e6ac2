"""Tests of module-text.py's choice of the test kernel's own code: the KUnit
suites, the benchmark, the debugfs directory and the fault points are left out
of the shipped figure; the driver's other code, and the kernel crate's code
built for it, are not."""

import importlib.util
import os
import unittest

spec = importlib.util.spec_from_file_location(
    "module_text", os.path.join(os.path.dirname(__file__), "..", "module-text.py"))
mt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mt)


class TestOnly(unittest.TestCase):
    def test_test_code_is_left_out(self):
        for name in (
            "virtio_gpu_rs::commands::tests::kunit_rust_wrapper_edid_validation",
            "virtio_gpu_rs::commands::tests::edid",
            "<virtio_gpu_rs::bench::RoundTrip>::measure",
            "virtio_gpu_rs::debugfs::create",
            "virtio_gpu_rs::faults::take_unref_timeout",
            "kernel::debugfs::file_ops::write::<kernel::sync::atomic::Atomic<u32>>",
        ):
            self.assertTrue(mt.TEST_ONLY.search(name), name)

    def test_driver_code_stays(self):
        for name in (
            "virtio_gpu_rs::gem::create",
            "<virtio_gpu_rs::gem::Object>::unref",
            "kernel::drm::gem::close_callback::<virtio_gpu_rs::gem::Object>",
            "<virtio_gpu_rs::device::VirtioGpuDriver as kernel::virtio::Driver>::probe",
            "virtio_gpu_rs::commands::decode_edid",
        ):
            self.assertFalse(mt.TEST_ONLY.search(name), name)


if __name__ == "__main__":
    unittest.main()
