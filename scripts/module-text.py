#!/usr/bin/env python3
"""The text size of a kernel module, in all and as shipped.

    module-text.py MODULE.ko

Prints two lines, in KiB:
    module_text_kib N KiB          every .text section
    module_text_shipped_kib N KiB  less the test kernel's own code

The test kernel builds the Rust driver with its KUnit suites, the benchmark's
debugfs file and the fault points (CONFIG_DRM_VIRTIO_GPU_RS_KUNIT_TEST, _BENCH,
_FAULTS), which a distribution's kernel leaves off and the C module does not
have. Their functions are found by name (`nm -C`): the `tests` modules, the
KUnit wrappers, the driver's `bench`, `debugfs` and `faults` modules, and the
`kernel::debugfs` code built for them. Code of theirs inlined elsewhere stays
counted, so the shipped figure errs high (2026-12-01: 29.1 KiB by this count,
28.1 KiB in a build with the three options off).
"""
import re
import subprocess
import sys

TEST_ONLY = re.compile(r"::tests::|kunit|::bench::|::debugfs::|::faults::|\bkernel::debugfs::")


def sizes(ko):
    sections = subprocess.run(["size", "-A", ko], check=True, capture_output=True, text=True).stdout
    text = sum(int(l.split()[1]) for l in sections.splitlines() if l.startswith(".text"))
    symbols = subprocess.run(["nm", "-C", "-S", "-t", "d", ko], check=True, capture_output=True,
                             text=True).stdout
    test_only = 0
    for line in symbols.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("t", "T") and TEST_ONLY.search(parts[3]):
            test_only += int(parts[1])
    return text, text - test_only


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    text, shipped = sizes(sys.argv[1])
    print(f"module_text_kib {text / 1024:.1f} KiB")
    print(f"module_text_shipped_kib {shipped / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
