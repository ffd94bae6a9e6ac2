// SPDX-License-Identifier: GPL-2.0

//! DRM driver for the virtio-gpu device, in Rust.
//!
//! This is the module skeleton: it proves that the Rust build, module loading and
//! the test harness work end to end. The device is not driven yet; the virtio
//! bus abstraction and the driver core come next.

use kernel::prelude::*;

module! {
    type: VirtioGpuModule,
    name: "virtio_gpu_rs",
    authors: ["The virtio-gpu-rs authors"],
    description: "Virtio GPU driver (Rust)",
    license: "GPL",
}

struct VirtioGpuModule;

impl kernel::Module for VirtioGpuModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("virtio-gpu driver skeleton loaded\n");
        Ok(VirtioGpuModule)
    }
}

impl Drop for VirtioGpuModule {
    fn drop(&mut self) {
        pr_info!("virtio-gpu driver skeleton unloaded\n");
    }
}
