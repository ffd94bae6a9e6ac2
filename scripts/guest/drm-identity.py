#!/usr/bin/env python3
"""Print what userspace sees of a DRM device, one "key value" line each.

The driver's name, description and version (DRM_IOCTL_VERSION through libdrm's
drmGetVersion), the bus and ids libdrm reports (drmGetDevice2), the sysfs
device the card hangs off, and the device nodes. Runs in the guest; the host
compares the output across drivers.
"""

import ctypes
import os
import sys


class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patchlevel", ctypes.c_int),
                ("name_len", ctypes.c_int), ("name", ctypes.c_char_p),
                ("date_len", ctypes.c_int), ("date", ctypes.c_char_p),
                ("desc_len", ctypes.c_int), ("desc", ctypes.c_char_p)]


class PciBusInfo(ctypes.Structure):
    _fields_ = [("domain", ctypes.c_uint16), ("bus", ctypes.c_uint8),
                ("dev", ctypes.c_uint8), ("func", ctypes.c_uint8)]


class PciDeviceInfo(ctypes.Structure):
    _fields_ = [("vendor_id", ctypes.c_uint16), ("device_id", ctypes.c_uint16),
                ("subvendor_id", ctypes.c_uint16), ("subdevice_id", ctypes.c_uint16),
                ("revision_id", ctypes.c_uint8)]


class Device(ctypes.Structure):
    _fields_ = [("nodes", ctypes.POINTER(ctypes.c_char_p)), ("available_nodes", ctypes.c_int),
                ("bustype", ctypes.c_int), ("businfo", ctypes.c_void_p),
                ("deviceinfo", ctypes.c_void_p)]


BUS_NAMES = {0: "pci", 1: "usb", 2: "platform", 3: "host1x", 0x10: "virtio"}


def main():
    card = sys.argv[1] if len(sys.argv) > 1 else "/dev/dri/card0"
    drm = ctypes.CDLL("libdrm.so.2")
    drm.drmGetVersion.restype = ctypes.POINTER(Version)
    drm.drmGetDevice2.argtypes = [ctypes.c_int, ctypes.c_uint32,
                                  ctypes.POINTER(ctypes.POINTER(Device))]
    fd = os.open(card, os.O_RDWR)

    v = drm.drmGetVersion(fd)
    if not v:
        print("version none")
    else:
        v = v.contents
        print(f"name {v.name.decode()}")
        print(f"desc {v.desc.decode()}")
        print(f"version {v.major}.{v.minor}.{v.patchlevel}")

    dev = ctypes.POINTER(Device)()
    if drm.drmGetDevice2(fd, 0, ctypes.byref(dev)) != 0:
        print("bus none")
    else:
        d = dev.contents
        print(f"bus {BUS_NAMES.get(d.bustype, d.bustype)}")
        if d.bustype == 0:
            b = ctypes.cast(d.businfo, ctypes.POINTER(PciBusInfo)).contents
            i = ctypes.cast(d.deviceinfo, ctypes.POINTER(PciDeviceInfo)).contents
            print(f"pci-slot {b.domain:04x}:{b.bus:02x}:{b.dev:02x}.{b.func}")
            print(f"pci-ids {i.vendor_id:04x}:{i.device_id:04x} "
                  f"{i.subvendor_id:04x}:{i.subdevice_id:04x} rev {i.revision_id:02x}")
        print(f"nodes {d.available_nodes:#x}")
    os.close(fd)

    name = os.path.basename(card)
    sysdev = os.path.realpath(f"/sys/class/drm/{name}/device")
    print(f"sysfs-device {sysdev}")
    print(f"sysfs-subsystem {os.path.basename(os.path.realpath(sysdev + '/subsystem'))}")
    print(f"dev-dri {' '.join(sorted(os.listdir('/dev/dri')))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
