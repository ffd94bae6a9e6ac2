// SPDX-License-Identifier: GPL-2.0

//! The DRM side of the driver: its identity, its clients (files) and its GEM objects.
//!
//! Userspace cannot tell this driver from the C one by name: both are `virtio_gpu` 0.1.0,
//! "virtio GPU", and both register on the virtio device's transport (the PCI function).

use crate::{
    device::{
        Gpu,
        VirtioGpuDriver, //
    },
    gem,
};
use kernel::{
    drm::{
        self,
        ioctl, //
    },
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi,
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

/// The value of a `DRM_IOCTL_VIRTGPU_GETPARAM` parameter, for what this driver implements:
/// no 3D, no blob resources, no host-visible memory, no resource sharing, no contexts. The
/// capability set query fix is a property of the ioctl interface, so it is always there.
/// A parameter this interface does not know is [`EINVAL`]; the blob alignment, which only
/// exists with blob resources, is [`ENOENT`].
fn param_value(param: u64) -> Result<i32> {
    let value = match u32::try_from(param).map_err(|_| EINVAL)? {
        uapi::VIRTGPU_PARAM_CAPSET_QUERY_FIX => 1,
        uapi::VIRTGPU_PARAM_3D_FEATURES
        | uapi::VIRTGPU_PARAM_RESOURCE_BLOB
        | uapi::VIRTGPU_PARAM_HOST_VISIBLE
        | uapi::VIRTGPU_PARAM_CROSS_DEVICE
        | uapi::VIRTGPU_PARAM_CONTEXT_INIT
        | uapi::VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs
        | uapi::VIRTGPU_PARAM_EXPLICIT_DEBUG_NAME => 0,
        uapi::VIRTGPU_PARAM_BLOB_ALIGNMENT => return Err(ENOENT),
        _ => return Err(EINVAL),
    };
    Ok(value)
}

impl File {
    /// `DRM_IOCTL_VIRTGPU_GETPARAM`: writes the parameter's value, as a C `int` like the C
    /// driver does, to the user address in `value`.
    fn get_param(
        _dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_getparam,
        _file: &drm::File<File>,
    ) -> Result<u32> {
        let value = param_value(args.param)?;
        let addr = usize::try_from(args.value).map_err(|_| EFAULT)?;
        UserSlice::new(UserPtr::from_addr(addr), size_of::<i32>())
            .writer()
            .write(&value)?;
        Ok(0)
    }
}

#[vtable]
impl drm::Driver for VirtioGpuDriver {
    type Data = Gpu;
    type RegistrationData<'a> = ();
    type Object = gem::Bo;
    type File = File;
    type ParentDevice<Ctx: kernel::device::DeviceContext> = virtio::Transport<Ctx>;

    const INFO: drm::DriverInfo = INFO;
    /// As the C driver, which keeps its render node without 3D support.
    const FEAT_RENDER: bool = true;
    const FEAT_MODESET: bool = true;
    /// The host draws the cursor, and needs to know its hot spot.
    const FEAT_CURSOR_HOTSPOT: bool = true;

    fn dumb_create(
        dev: &drm::Device<Self, drm::Registered>,
        file: &drm::File<File>,
        request: &drm::driver::DumbRequest,
    ) -> Result<drm::driver::DumbBuffer> {
        gem::dumb_create(dev, file, request)
    }

    kernel::declare_drm_ioctls! {
        (VIRTGPU_GETPARAM, drm_virtgpu_getparam, ioctl::RENDER_ALLOW, File::get_param),
    }
}

#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_KUNIT_TEST)]
#[kernel::macros::kunit_tests(virtio_gpu_rs_drv)]
mod tests {
    use super::*;

    #[test]
    fn getparam_values() {
        assert_eq!(
            param_value(uapi::VIRTGPU_PARAM_CAPSET_QUERY_FIX.into()),
            Ok(1)
        );
        assert_eq!(param_value(uapi::VIRTGPU_PARAM_3D_FEATURES.into()), Ok(0));
        assert_eq!(param_value(uapi::VIRTGPU_PARAM_RESOURCE_BLOB.into()), Ok(0));
        assert_eq!(param_value(uapi::VIRTGPU_PARAM_CONTEXT_INIT.into()), Ok(0));
        assert_eq!(
            param_value(uapi::VIRTGPU_PARAM_BLOB_ALIGNMENT.into()),
            Err(ENOENT)
        );
    }

    #[test]
    fn getparam_rejects_unknown_parameters() {
        assert_eq!(param_value(0), Err(EINVAL));
        assert_eq!(param_value(10), Err(EINVAL));
        assert_eq!(param_value(1 << 32), Err(EINVAL));
        assert_eq!(param_value(u64::MAX), Err(EINVAL));
    }
}
