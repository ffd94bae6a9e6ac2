// SPDX-License-Identifier: GPL-2.0

//! DRM driver for the virtio-gpu device, in Rust.
//!
//! The driver binds to virtio-gpu devices, negotiates the same features as the C driver,
//! reads the device's configuration, creates the control and cursor queues, asks the
//! device for its display layout, and registers a DRM device named `virtio_gpu` that drives
//! one display per scanout, with dumb buffers backed by host 2D resources.

#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_BENCH)]
mod bench;
mod caps;
mod commands;
#[cfg(any(CONFIG_DRM_VIRTIO_GPU_RS_BENCH, CONFIG_DRM_VIRTIO_GPU_RS_FAULTS))]
mod debugfs;
mod device;
mod drv;
mod faults;
mod gem;
mod kms;
mod resource;

kernel::module_virtio_driver! {
    type: device::VirtioGpuDriver,
    name: "virtio_gpu_rs",
    authors: ["The virtio-gpu-rs authors"],
    description: "Virtio GPU driver (Rust)",
    license: "GPL",
}
