// SPDX-License-Identifier: GPL-2.0

//! The DRM side of the driver: its identity, its clients (files) and its GEM objects.
//!
//! Userspace cannot tell this driver from the C one by name: both are `virtio_gpu` 0.1.0,
//! "virtio GPU", and both register on the virtio device's transport (the PCI function).

use crate::device::VirtioGpuDriver;
use kernel::{
    drm::{
        self,
        gem, //
    },
    prelude::*,
    virtio, //
};

/// The DRM device of a virtio-gpu device.
pub(crate) type VirtioGpuDrm = drm::Device<VirtioGpuDriver>;

/// The DRM driver's identity, as the C driver reports it in `DRM_IOCTL_VERSION`.
const INFO: drm::DriverInfo = drm::DriverInfo {
    major: 0,
    minor: 1,
    patchlevel: 0,
    name: c"virtio_gpu",
    desc: c"virtio GPU",
};

/// A client of the DRM device: one per open file.
pub(crate) struct File;

impl drm::file::DriverFile for File {
    type Driver = VirtioGpuDriver;

    fn open(_dev: &VirtioGpuDrm) -> Result<Pin<KBox<Self>>> {
        Ok(KBox::new(Self, GFP_KERNEL)?.into())
    }
}

/// The driver's part of a GEM object.
#[pin_data]
pub(crate) struct Object {}

impl gem::DriverObject for Object {
    type Driver = VirtioGpuDriver;
    type Args = ();

    fn new(_dev: &VirtioGpuDrm, _size: usize, _args: ()) -> impl PinInit<Self, Error> {
        try_pin_init!(Object {})
    }
}

#[vtable]
impl drm::Driver for VirtioGpuDriver {
    type Data = ();
    type RegistrationData<'a> = ();
    type Object = gem::Object<Object>;
    type File = File;
    type ParentDevice<Ctx: kernel::device::DeviceContext> = virtio::Transport<Ctx>;

    const INFO: drm::DriverInfo = INFO;
    /// As the C driver, which keeps its render node without 3D support.
    const FEAT_RENDER: bool = true;

    kernel::declare_drm_ioctls! {}
}
