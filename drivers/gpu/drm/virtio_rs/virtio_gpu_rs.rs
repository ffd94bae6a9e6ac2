// SPDX-License-Identifier: GPL-2.0

//! DRM driver for the virtio-gpu device, in Rust.
//!
//! The driver binds to virtio-gpu devices, negotiates the same features as the C driver,
//! reads the device's configuration, creates the control and cursor queues and asks the
//! device for its display layout. The DRM device and KMS come next.

mod commands;
mod device;

kernel::module_virtio_driver! {
    type: device::VirtioGpuDriver,
    name: "virtio_gpu_rs",
    authors: ["The virtio-gpu-rs authors"],
    description: "Virtio GPU driver (Rust)",
    license: "GPL",
}
