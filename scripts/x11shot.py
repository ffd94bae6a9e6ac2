#!/usr/bin/env python3
"""Screenshot of QEMU's SDL window on an X server, as a PNG, with no dependency
beyond Python: a minimal X11 client (connection setup, QueryTree,
GetWindowAttributes, GetGeometry, GetImage).

    x11shot.py DISPLAY OUT.png

Why: with a GL device (virtio-gpu-gl-pci) the guest's scanout is a GL texture,
and QEMU's QMP `screendump` answers "no surface"; what the guest shows is on
the SDL window of the runner's Xvfb, and is read back from there. The window is
the largest viewable child of the root window (QEMU's only one). Assumes the
server's usual ZPixmap layout for depth 24: 32 bits per pixel, little-endian.
"""

import os
import socket
import struct
import sys
import zlib


class X11Error(Exception):
    pass


def parse_setup(data):
    """The root window of the first screen, from the setup reply's data
    (what follows its 8-byte header)."""
    (vendor_len,) = struct.unpack_from("<H", data, 16)
    n_formats = data[21]
    screen = 32 + (vendor_len + 3) // 4 * 4 + 8 * n_formats
    (root,) = struct.unpack_from("<I", data, screen)
    return root


def bgrx_to_rows(data, width, height):
    """ZPixmap 32 bpp little-endian (B, G, R, X) -> rows of RGB bytes."""
    rows = []
    for y in range(height):
        line = data[y * width * 4:(y + 1) * width * 4]
        row = bytearray(width * 3)
        row[0::3] = line[2::4]
        row[1::3] = line[1::4]
        row[2::3] = line[0::4]
        rows.append(bytes(row))
    return rows


def write_png(path, width, height, rows):
    """An 8-bit RGB PNG of `rows` (each width*3 bytes)."""

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    raw = b"".join(b"\0" + r for r in rows)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


class X11:
    def __init__(self, display, timeout=10):
        n = int(display.lstrip(":").split(".")[0])
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(f"/tmp/.X11-unix/X{n}")
        self.sock.sendall(struct.pack("<BxHHHHxx", 0x6C, 11, 0, 0, 0))
        head = self._recv(8)
        (length,) = struct.unpack_from("<H", head, 6)
        data = self._recv(length * 4)
        if head[0] != 1:
            raise X11Error(f"X connection refused: {data[:head[1]].decode(errors='replace')}")
        self.root = parse_setup(data)

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            part = self.sock.recv(n - len(buf))
            if not part:
                raise X11Error("X server closed the connection")
            buf += part
        return buf

    def request(self, opcode, data=0, body=b""):
        """Send one request and return its whole reply (32 bytes + extra)."""
        self.sock.sendall(struct.pack("<BBH", opcode, data, 1 + len(body) // 4) + body)
        while True:
            head = self._recv(32)
            if head[0] == 0:
                raise X11Error(f"X error {head[1]} for request {opcode}")
            if head[0] == 1:
                (extra,) = struct.unpack_from("<I", head, 4)
                return head + self._recv(extra * 4)
            # an event: none is selected, but skip it anyway

    def children(self, window):
        reply = self.request(15, body=struct.pack("<I", window))  # QueryTree
        (n,) = struct.unpack_from("<H", reply, 16)
        return list(struct.unpack_from(f"<{n}I", reply, 32))

    def viewable(self, window):
        reply = self.request(3, body=struct.pack("<I", window))  # GetWindowAttributes
        return reply[26] == 2

    def geometry(self, window):
        reply = self.request(14, body=struct.pack("<I", window))  # GetGeometry
        return struct.unpack_from("<hhHH", reply, 12)  # x, y, width, height

    def image(self, window, width, height):
        reply = self.request(73, 2, struct.pack("<IhhHHI", window, 0, 0, width, height, 0xFFFFFFFF))
        depth = reply[1]
        data = reply[32:]
        if depth not in (24, 32) or len(data) < width * height * 4:
            raise X11Error(f"GetImage: depth {depth}, {len(data)} bytes for {width}x{height}")
        return data

    def close(self):
        self.sock.close()


def screenshot(display, path):
    """Save the largest viewable top-level window of `display` as a PNG;
    returns (width, height)."""
    x = X11(display)
    try:
        best = None
        for w in x.children(x.root):
            if not x.viewable(w):
                continue
            _, _, width, height = x.geometry(w)
            if best is None or width * height > best[1] * best[2]:
                best = (w, width, height)
        if best is None:
            raise X11Error(f"no viewable window on {display}")
        w, width, height = best
        write_png(path, width, height, bgrx_to_rows(x.image(w, width, height), width, height))
        return width, height
    finally:
        x.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.splitlines()[4].strip())
    print("%dx%d" % screenshot(sys.argv[1], sys.argv[2]))
