// SPDX-License-Identifier: GPL-2.0

//! DRM driver for the virtio-gpu device, in Rust.
//!
//! The driver binds to virtio-gpu devices, negotiates the same features as the C driver and
//! reads the device's configuration. The virtqueues, the command layer and the DRM device
//! come next.

mod device;

kernel::module_virtio_driver! {
    type: device::VirtioGpuDriver,
    name: "virtio_gpu_rs",
    authors: ["The virtio-gpu-rs authors"],
    description: "Virtio GPU driver (Rust)",
    license: "GPL",
}
