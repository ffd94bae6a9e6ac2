#!/usr/bin/env python3
"""Pixel truth, host side: compare the guest's screendumps with the pattern.

    pixels-check.py RUN_DIR

RUN_DIR holds pixels.txt from scripts/pixels/vgpu-pixels.c and the screendumps
it asked for (PNG, as QEMU's screendump writes them). Prints one line per check,
"pass|fail|skip NAME DETAIL", and exits 1 if any check failed.

The pattern must match here and in vgpu-pixels.c.
"""
import os
import struct
import sys
import zlib


def pattern(x, y):
    return (x & 0xFF, y & 0xFF, ((x >> 8) * 64 + (y >> 8) * 16 + (x ^ y)) & 0xFF)


def damaged(x, y):
    r, g, b = pattern(x, y)
    return (r ^ 0xFF, g ^ 0xFF, b ^ 0xFF)


def read_png(path):
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG: (width, height, rows of RGB)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {ctype})")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line) if bpp == 3 else bytes(
            v for i, v in enumerate(line) if i % 4 != 3))
        prev = line
    return width, height, rows


def compare(path, w, h, expect):
    """Mismatching pixels of the screendump at `path` against expect(x, y)."""
    pw, ph, rows = read_png(path)
    if (pw, ph) != (w, h):
        return f"screendump is {pw}x{ph}, the mode is {w}x{h}"
    bad, first = 0, None
    for y in range(h):
        row = rows[y]
        for x in range(w):
            got = tuple(row[3 * x:3 * x + 3])
            if got != expect(x, y):
                bad += 1
                if first is None:
                    first = f"({x},{y}) is {got}, expected {expect(x, y)}"
    return None if bad == 0 else f"{bad} pixels differ, first {first}"


def main():
    run = sys.argv[1]
    report = os.path.join(run, "pixels.txt")
    failed = False

    def out(verdict, name, detail):
        nonlocal failed
        failed |= verdict == "fail"
        print(f"{verdict} {name} {detail}")

    try:
        with open(report) as f:
            lines = [line.split() for line in f if line.strip()]
    except OSError:
        out("fail", "pixels", "no pixels.txt: the guest program did not run")
        return 1
    w = h = 0
    for words in lines:
        if words[0] == "mode":
            w, h = int(words[1]), int(words[2])
        elif words[0] == "format":
            name = f"pixels@{words[1]}"
            if words[2] == "unsupported":
                out("skip", name, "the primary plane does not list this format")
                continue
            diff = compare(os.path.join(run, words[3] + ".png"), w, h, pattern)
            out("fail" if diff else "pass", name, diff or f"{w}x{h} match")
        elif words[0] == "damage":
            x0, y0, dw, dh = map(int, words[1:5])
            marker = (w - 1, h - 1)

            def expect(x, y):
                if x0 <= x < x0 + dw and y0 <= y < y0 + dh:
                    return damaged(x, y)
                return pattern(x, y)  # includes the unreported marker pixel
            diff = compare(os.path.join(run, words[5] + ".png"), w, h, expect)
            detail = (f"{dw}x{dh} at {x0},{y0} changed; the rest, including the "
                      f"unreported change at {marker[0]},{marker[1]}, did not")
            out("fail" if diff else "pass", "pixels@damage", diff or detail)
    if not any(words[0] == "end" for words in lines):
        out("fail", "pixels", "the guest program stopped early: " + " ".join(lines[-1]) if lines else "empty report")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
