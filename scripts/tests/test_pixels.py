"""Tests of the pixel check: a screendump that shows the pattern passes, one
wrong pixel, a wrong size or a missing screendump fails, and the damage check
wants the damaged rectangle changed and nothing else."""

import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

CHECK = os.path.join(os.path.dirname(__file__), "..", "pixels-check.py")
W, H = 64, 48


def pattern(x, y):
    return (x & 0xFF, y & 0xFF, ((x >> 8) * 64 + (y >> 8) * 16 + (x ^ y)) & 0xFF)


def write_png(path, w, h, pixel, filter_type=0):
    """An 8-bit RGB PNG; rows use `filter_type` 0 (none) or 2 (up)."""
    raw = bytearray()
    prev = bytes(3 * w)
    for y in range(h):
        line = bytes(v for x in range(w) for v in pixel(x, y))
        raw.append(filter_type)
        raw += line if filter_type == 0 else bytes((a - b) & 0xFF for a, b in zip(line, prev))
        prev = line

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


class Pixels(unittest.TestCase):
    def run_check(self, report, shots):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "pixels.txt"), "w") as f:
                f.write(report)
            for name, (w, h, pixel, ftype) in shots.items():
                write_png(os.path.join(d, name + ".png"), w, h, pixel, ftype)
            p = subprocess.run([sys.executable, CHECK, d], capture_output=True, text=True)
            return p.returncode, p.stdout

    def test_pattern_passes_with_either_filter(self):
        for ftype in (0, 2):
            rc, out = self.run_check(f"mode {W} {H}\nformat XRGB8888 supported s\nend\n",
                                     {"s": (W, H, pattern, ftype)})
            self.assertEqual(rc, 0, out)
            self.assertIn("pass pixels@XRGB8888", out)

    def test_one_wrong_pixel_fails(self):
        def pixel(x, y):
            return (0, 0, 0) if (x, y) == (5, 7) else pattern(x, y)
        rc, out = self.run_check(f"mode {W} {H}\nformat XRGB8888 supported s\nend\n",
                                 {"s": (W, H, pixel, 0)})
        self.assertEqual(rc, 1)
        self.assertIn("1 pixels differ, first (5,7)", out)

    def test_wrong_size_and_missing_end_fail(self):
        rc, out = self.run_check(f"mode {W} {H}\nformat XRGB8888 supported s\n",
                                 {"s": (W, H - 1, pattern, 0)})
        self.assertEqual(rc, 1)
        self.assertIn(f"is {W}x{H - 1}", out)
        self.assertIn("stopped early", out)

    def test_unsupported_format_is_skipped(self):
        rc, out = self.run_check(f"mode {W} {H}\nformat BGRX8888 unsupported\nend\n", {})
        self.assertEqual(rc, 0, out)
        self.assertIn("skip pixels@BGRX8888", out)

    def test_damage(self):
        def changed(x, y):
            r, g, b = pattern(x, y)
            return (r ^ 0xFF, g ^ 0xFF, b ^ 0xFF) if 8 <= x < 16 and 4 <= y < 12 else (r, g, b)

        def leaked(x, y):
            return (255, 255, 255) if (x, y) == (W - 1, H - 1) else changed(x, y)
        report = f"mode {W} {H}\ndamage 8 4 8 8 d\nend\n"
        rc, out = self.run_check(report, {"d": (W, H, changed, 0)})
        self.assertEqual(rc, 0, out)
        rc, out = self.run_check(report, {"d": (W, H, leaked, 0)})
        self.assertEqual(rc, 1, out)
        rc, out = self.run_check(report, {"d": (W, H, pattern, 0)})
        self.assertEqual(rc, 1, out)


if __name__ == "__main__":
    unittest.main()
