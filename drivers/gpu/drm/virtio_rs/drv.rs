// SPDX-License-Identifier: GPL-2.0

//! The DRM side of the driver: its identity, its clients (files) and its GEM objects.
//!
//! Userspace cannot tell this driver from the C one by name: both are `virtio_gpu` 0.1.0,
//! "virtio GPU", and both register on the virtio device's transport (the PCI function).

use crate::{
    commands::{
        self,
        Rect, //
    },
    device::{
        Gpu,
        VirtioGpuDriver,
        COMMAND_TIMEOUT, //
    },
    gem,
};
use kernel::{
    dma_fence::PendingFence,
    dma_resv::Usage,
    drm::{
        self,
        gem::BaseObject,
        ioctl, //
    },
    page::PAGE_SIZE,
    prelude::*,
    time::Delta,
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

/// How long `DRM_IOCTL_VIRTGPU_WAIT` waits, as the C driver.
const WAIT_TIMEOUT: Delta = Delta::from_secs(15);

/// A client of the DRM device: one per open file.
pub(crate) struct File;

impl drm::file::DriverFile for File {
    type Driver = VirtioGpuDriver;

    fn open(_dev: &VirtioGpuDrm) -> Result<Pin<KBox<Self>>> {
        Ok(KBox::new(Self, GFP_KERNEL)?.into())
    }
}

/// The value of a `DRM_IOCTL_VIRTGPU_GETPARAM` parameter, for what this driver implements:
/// no 3D submission yet, no blob resources, no host-visible memory, no resource sharing, no
/// contexts; the device's capability sets, whose ids are `capset_ids`. The capability set query
/// fix is a property of the ioctl interface, so it is always there. A parameter this interface
/// does not know is [`EINVAL`]; the blob alignment, which only exists with blob resources, is
/// [`ENOENT`].
///
/// 3D stays 0 on a device with virgl until the driver submits 3D commands: Mesa picks its
/// virgl driver by it, and would fail where its software renderer works.
fn param_value(param: u64, capset_ids: u64) -> Result<i32> {
    let value = match u32::try_from(param).map_err(|_| EINVAL)? {
        uapi::VIRTGPU_PARAM_CAPSET_QUERY_FIX => 1,
        // The C driver copies an `int`: the ids up to 31 (of an id from 32 to 63, C's `1 << id`
        // sets bit `id & 31` on x86; here it is left out).
        uapi::VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs => capset_ids as u32 as i32,
        uapi::VIRTGPU_PARAM_3D_FEATURES
        | uapi::VIRTGPU_PARAM_RESOURCE_BLOB
        | uapi::VIRTGPU_PARAM_HOST_VISIBLE
        | uapi::VIRTGPU_PARAM_CROSS_DEVICE
        | uapi::VIRTGPU_PARAM_CONTEXT_INIT
        | uapi::VIRTGPU_PARAM_EXPLICIT_DEBUG_NAME => 0,
        uapi::VIRTGPU_PARAM_BLOB_ALIGNMENT => return Err(ENOENT),
        _ => return Err(EINVAL),
    };
    Ok(value)
}

/// The only resource target a device without 3D creates: a 2D texture (Gallium's
/// `PIPE_TEXTURE_2D`).
const TARGET_TEXTURE_2D: u32 = 2;

/// The bytes per pixel of every format of a 2D resource.
const BYTES_PER_PIXEL: usize = 4;

/// The object a `DRM_IOCTL_VIRTGPU_RESOURCE_CREATE` request asks for, checked as the C driver
/// checks it without 3D: one 2D texture, without depth, layers or multisampling. Its `bind`
/// and `flags` only mean something to a 3D renderer. A `size` of 0 asks for one page, as with
/// C; the host resource may be larger than its backing.
///
/// Unlike C, a backing larger than the resource (in whole pages) is refused: the device never
/// reads past the resource's pixels, and the pages would be pinned for nothing, up to 4 GiB
/// of them for one request.
fn resource_create_params(rc: &uapi::drm_virtgpu_resource_create) -> Result<gem::NewObject> {
    if rc.target != TARGET_TEXTURE_2D
        || rc.depth > 1
        || rc.array_size > 1
        || rc.nr_samples > 1
        || rc.last_level > 1
    {
        return Err(EINVAL);
    }
    let pixels = usize::try_from(rc.width)?
        .checked_mul(usize::try_from(rc.height)?)
        .and_then(|p| p.checked_mul(BYTES_PER_PIXEL))
        .and_then(|b| b.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(EINVAL)?;
    let size = match rc.size {
        0 => PAGE_SIZE,
        size => usize::try_from(size)?
            .checked_next_multiple_of(PAGE_SIZE)
            .ok_or(EINVAL)?,
    };
    if size > pixels.max(PAGE_SIZE) {
        return Err(EINVAL);
    }
    Ok(gem::NewObject {
        width: rc.width,
        height: rc.height,
        format: rc.format,
        size,
    })
}

/// How many of `height` rows of a 2D transfer from byte `offset` of a backing of `size` bytes,
/// one row every `stride` bytes, start inside the backing; [`EINVAL`] if `offset` is past it.
///
/// The device reads row `i` from `offset + i * stride`. Rows that start past the backing have
/// nothing to copy, and QEMU (7.2) aborts on them, where the C driver sends them all.
fn rows_in_backing(size: usize, stride: usize, offset: u32, height: u32) -> Result<u32> {
    let left = size.checked_sub(usize::try_from(offset)?).ok_or(EINVAL)?;
    match left.div_ceil(stride.max(1)) {
        rows if rows < usize::try_from(height)? => Ok(u32::try_from(rows)?),
        _ => Ok(height),
    }
}

impl File {
    /// `DRM_IOCTL_VIRTGPU_GETPARAM`: writes the parameter's value, as a C `int` like the C
    /// driver does, to the user address in `value`.
    fn get_param(
        dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_getparam,
        _file: &drm::File<File>,
    ) -> Result<u32> {
        let gpu: &Gpu = dev;
        let value = param_value(args.param, gpu.capsets.id_mask())?;
        let addr = usize::try_from(args.value).map_err(|_| EFAULT)?;
        UserSlice::new(UserPtr::from_addr(addr), size_of::<i32>())
            .writer()
            .write(&value)?;
        Ok(0)
    }

    /// `DRM_IOCTL_VIRTGPU_GET_CAPS`: copies version `cap_set_ver` of capability set
    /// `cap_set_id` to `addr`, at most `size` bytes, as the C driver does: [`ENOSYS`] if the
    /// device has no capability sets, [`EINVAL`] for a size of 0 or a set the device does not
    /// have at that version, [`EBUSY`] if the host does not answer in time (the next call
    /// waits for the same answer). Unlike C, a host's error answer is an errno, not a set of
    /// zeros, and at most 64 versions are kept ([`ENOMEM`] past them).
    fn get_caps(
        dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_get_caps,
        _file: &drm::File<File>,
    ) -> Result<u32> {
        let gpu: &Gpu = dev;
        if gpu.capsets.is_empty() {
            return Err(ENOSYS);
        }
        if args.size == 0 {
            return Err(EINVAL);
        }
        let info = gpu
            .capsets
            .find(args.cap_set_id, args.cap_set_ver)
            .ok_or(EINVAL)?;
        let caps = gpu
            .capsets
            .get(&gpu.queues, &info, args.cap_set_ver, COMMAND_TIMEOUT)?;
        let size = caps.len().min(usize::try_from(args.size)?);
        let addr = usize::try_from(args.addr).map_err(|_| EFAULT)?;
        UserSlice::new(UserPtr::from_addr(addr), size)
            .writer()
            .write_slice(&caps[..size])?;
        Ok(0)
    }

    /// `DRM_IOCTL_VIRTGPU_RESOURCE_CREATE`: creates an object and its 2D host resource, and
    /// returns a handle to the object and the resource's id.
    ///
    /// Unlike the C driver, which does not read the host's answer, this fails when the host
    /// refuses the resource (an unknown format, an empty or too large size).
    fn resource_create(
        dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_resource_create,
        file: &drm::File<File>,
    ) -> Result<u32> {
        let new = resource_create_params(args)?;
        let (handle, resource_id) = gem::create(dev, file, &new)?;
        args.bo_handle = handle;
        args.res_handle = resource_id;
        Ok(0)
    }

    /// `DRM_IOCTL_VIRTGPU_MAP`: the offset at which to `mmap()` an object on this file.
    fn map(
        _dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_map,
        file: &drm::File<File>,
    ) -> Result<u32> {
        args.offset = gem::Bo::lookup_handle(file, args.handle)?.create_mmap_offset()?;
        Ok(0)
    }

    /// `DRM_IOCTL_VIRTGPU_RESOURCE_INFO`: an object's size and host resource. Without blob
    /// resources, `blob_mem` is always 0.
    fn resource_info(
        _dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_resource_info,
        file: &drm::File<File>,
    ) -> Result<u32> {
        let bo = gem::Bo::lookup_handle(file, args.bo_handle)?;
        args.size = u32::try_from(bo.size())?;
        args.res_handle = bo.resource_id();
        args.blob_mem = 0;
        Ok(0)
    }

    /// `DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST`: copies a rectangle of an object's pages, read
    /// from `offset` on, into its host resource. Without 3D only `box`'s 2D part means
    /// something. As with the C driver, the copy is queued and not waited for; the host checks
    /// the rectangle against the resource. The driver checks it against the backing: an
    /// `offset` past it is [`EINVAL`], and the rows that start past it are left out.
    ///
    /// The copy is fenced, and its fence added to the object's reservation object, so that
    /// `DRM_IOCTL_VIRTGPU_WAIT`, and whoever shares the object, can wait until the host has
    /// read the pages. The C driver does this with 3D only; without, its transfers are not
    /// fenced and a wait returns at once, while the host may still be reading. What userspace
    /// can tell: the ioctl can now fail with [`EINTR`] (a signal while it waits for the
    /// object's lock; libdrm tries again) or [`ENOMEM`]; it holds the object's lock while it
    /// waits for room in the queue, as C does with 3D; a WAIT on the object may now sleep until
    /// the host is done; and a display update of a framebuffer on the object waits for the
    /// copy (the core's implicit fencing in `prepare_fb`), which on a hung host is for ever, as
    /// with C's 3D transfers.
    fn transfer_to_host(
        dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_3d_transfer_to_host,
        file: &drm::File<File>,
    ) -> Result<u32> {
        let bo = gem::Bo::lookup_handle(file, args.bo_handle)?;
        let stride = usize::try_from(bo.width())?.saturating_mul(BYTES_PER_PIXEL);
        let rect = Rect {
            x: args.box_.x,
            y: args.box_.y,
            width: args.box_.w,
            height: rows_in_backing(bo.size(), stride, args.offset, args.box_.h)?,
        };
        let gpu: &Gpu = dev;
        let cmd = commands::transfer_to_host_2d(bo.resource_id(), rect, args.offset.into())?;
        // All that can fail, before the copy is queued.
        let fence = PendingFence::new(GFP_KERNEL)?;
        gem::sync_for_host(gpu, &bo);
        bo.resv().with_lock(|resv| {
            let slot = resv.reserve()?;
            let fence = gpu.queues.send_fenced(cmd, &gpu.timeline, fence)?;
            // As the C driver fences its 3D transfers: as a writer, whom every later user of the
            // object waits for.
            slot.add(&fence, Usage::Write);
            Ok(0)
        })
    }

    /// `DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST`: only a 3D device copies from a resource to the
    /// guest. [`ENOSYS`], as the C driver answers without 3D.
    fn transfer_from_host(
        _dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        _args: &mut uapi::drm_virtgpu_3d_transfer_from_host,
        _file: &drm::File<File>,
    ) -> Result<u32> {
        Err(ENOSYS)
    }

    /// `DRM_IOCTL_VIRTGPU_WAIT`: waits until the device is done with an object, that is, until
    /// the fences of its reservation object complete (those of the transfers to the host), at
    /// most [`WAIT_TIMEOUT`]; with `VIRTGPU_WAIT_NOWAIT`, only tells. [`EBUSY`] if the object
    /// is still busy then, as with the C driver, which ignores the other flags too.
    fn wait(
        _dev: &drm::Device<VirtioGpuDriver, drm::Registered>,
        _reg: &(),
        args: &mut uapi::drm_virtgpu_3d_wait,
        file: &drm::File<File>,
    ) -> Result<u32> {
        let bo = gem::Bo::lookup_handle(file, args.handle)?;
        let resv = bo.resv();
        let idle = if args.flags & uapi::VIRTGPU_WAIT_NOWAIT != 0 {
            resv.test_signaled(Usage::Read)
        } else {
            resv.wait_timeout(Usage::Read, true, WAIT_TIMEOUT)?
        };
        if idle {
            Ok(0)
        } else {
            Err(EBUSY)
        }
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
    /// As the C driver, on every device: the DRM core serves them.
    const FEAT_SYNCOBJ: bool = true;
    const FEAT_SYNCOBJ_TIMELINE: bool = true;

    fn dumb_create(
        dev: &drm::Device<Self, drm::Registered>,
        file: &drm::File<File>,
        request: &drm::driver::DumbRequest,
    ) -> Result<drm::driver::DumbBuffer> {
        gem::dumb_create(dev, file, request)
    }

    kernel::declare_drm_ioctls! {
        (VIRTGPU_MAP, drm_virtgpu_map, ioctl::RENDER_ALLOW, File::map),
        (VIRTGPU_GETPARAM, drm_virtgpu_getparam, ioctl::RENDER_ALLOW, File::get_param),
        (VIRTGPU_RESOURCE_CREATE, drm_virtgpu_resource_create, ioctl::RENDER_ALLOW,
            File::resource_create),
        (VIRTGPU_RESOURCE_INFO, drm_virtgpu_resource_info, ioctl::RENDER_ALLOW,
            File::resource_info),
        (VIRTGPU_TRANSFER_FROM_HOST, drm_virtgpu_3d_transfer_from_host, ioctl::RENDER_ALLOW,
            File::transfer_from_host),
        (VIRTGPU_TRANSFER_TO_HOST, drm_virtgpu_3d_transfer_to_host, ioctl::RENDER_ALLOW,
            File::transfer_to_host),
        (VIRTGPU_WAIT, drm_virtgpu_3d_wait, ioctl::RENDER_ALLOW, File::wait),
        (VIRTGPU_GET_CAPS, drm_virtgpu_get_caps, ioctl::RENDER_ALLOW, File::get_caps),
    }
}

#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_KUNIT_TEST)]
#[kernel::macros::kunit_tests(virtio_gpu_rs_drv)]
mod tests {
    use super::*;

    #[test]
    fn getparam_values() {
        let value = |param: u32| param_value(param.into(), 0);
        assert_eq!(value(uapi::VIRTGPU_PARAM_CAPSET_QUERY_FIX), Ok(1));
        assert_eq!(value(uapi::VIRTGPU_PARAM_3D_FEATURES), Ok(0));
        assert_eq!(value(uapi::VIRTGPU_PARAM_RESOURCE_BLOB), Ok(0));
        assert_eq!(value(uapi::VIRTGPU_PARAM_CONTEXT_INIT), Ok(0));
        assert_eq!(value(uapi::VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs), Ok(0));
        assert_eq!(value(uapi::VIRTGPU_PARAM_BLOB_ALIGNMENT), Err(ENOENT));
        // Capability sets 1, 2 and 4 (virgl, virgl2, Venus), and one past what an `int` holds.
        let ids = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 40);
        assert_eq!(
            param_value(uapi::VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs.into(), ids),
            Ok(0b10110)
        );
    }

    fn texture(width: u32, height: u32) -> uapi::drm_virtgpu_resource_create {
        uapi::drm_virtgpu_resource_create {
            target: TARGET_TEXTURE_2D,
            format: uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM,
            width,
            height,
            depth: 1,
            array_size: 1,
            ..Default::default()
        }
    }

    #[test]
    fn resource_create_takes_a_2d_texture() {
        let new = resource_create_params(&texture(64, 64)).unwrap();
        assert_eq!((new.width, new.height, new.size), (64, 64, PAGE_SIZE));
        let sized = uapi::drm_virtgpu_resource_create {
            size: 64 * 64 * 4 - 1,
            ..texture(64, 64)
        };
        assert_eq!(
            resource_create_params(&sized).map(|n| n.size),
            Ok(4 * PAGE_SIZE)
        );
        // Zero depth and layers, as some userspace sends them, and one mip level more.
        let zeros = uapi::drm_virtgpu_resource_create {
            depth: 0,
            array_size: 0,
            last_level: 1,
            ..texture(1, 1)
        };
        assert!(resource_create_params(&zeros).is_ok());
        // The backing may be as large as the resource, in whole pages.
        let full = uapi::drm_virtgpu_resource_create {
            size: 5 * PAGE_SIZE as u32,
            ..texture(64, 80)
        };
        assert_eq!(
            resource_create_params(&full).map(|n| n.size),
            Ok(5 * PAGE_SIZE)
        );
    }

    #[test]
    fn resource_create_rejects_a_backing_larger_than_the_resource() {
        for (width, height, size) in [
            (64, 64, 64 * 64 * 4 + 1),
            (1, 1, 2 * PAGE_SIZE as u32),
            (64, 64, u32::MAX),
        ] {
            let rc = uapi::drm_virtgpu_resource_create {
                size,
                ..texture(width, height)
            };
            assert_eq!(resource_create_params(&rc).map(|n| n.size), Err(EINVAL));
        }
        // A resource whose bytes do not fit in a `usize`.
        assert_eq!(
            resource_create_params(&texture(u32::MAX, u32::MAX)).map(|n| n.size),
            Err(EINVAL)
        );
    }

    #[test]
    fn resource_create_rejects_what_needs_3d() {
        let cases = [
            uapi::drm_virtgpu_resource_create {
                target: 3,
                ..texture(64, 64)
            },
            uapi::drm_virtgpu_resource_create {
                depth: 2,
                ..texture(64, 64)
            },
            uapi::drm_virtgpu_resource_create {
                array_size: 2,
                ..texture(64, 64)
            },
            uapi::drm_virtgpu_resource_create {
                nr_samples: 4,
                ..texture(64, 64)
            },
            uapi::drm_virtgpu_resource_create {
                last_level: 2,
                ..texture(64, 64)
            },
        ];
        for rc in &cases {
            assert_eq!(resource_create_params(rc).map(|n| n.size), Err(EINVAL));
        }
    }

    #[test]
    fn transfers_stop_at_the_backing() {
        // All rows inside.
        assert_eq!(rows_in_backing(4 * PAGE_SIZE, 256, 0, 64), Ok(64));
        assert_eq!(rows_in_backing(4 * PAGE_SIZE, 256, 256 + 4, 63), Ok(63));
        // A 64x64 resource backed by one page: rows 0 to 15 start inside.
        assert_eq!(rows_in_backing(PAGE_SIZE, 256, 0, 64), Ok(16));
        assert_eq!(rows_in_backing(PAGE_SIZE, 256, 1, 64), Ok(16));
        assert_eq!(rows_in_backing(PAGE_SIZE, 256, 256, 64), Ok(15));
        // At the end of the backing nothing is left; past it is refused.
        assert_eq!(rows_in_backing(PAGE_SIZE, 256, PAGE_SIZE as u32, 64), Ok(0));
        assert_eq!(
            rows_in_backing(PAGE_SIZE, 256, PAGE_SIZE as u32 + 1, 1),
            Err(EINVAL)
        );
        assert_eq!(rows_in_backing(PAGE_SIZE, 256, u32::MAX, 1), Err(EINVAL));
        // No rows asked for, or a resource without width.
        assert_eq!(rows_in_backing(PAGE_SIZE, 256, 0, 0), Ok(0));
        assert_eq!(rows_in_backing(PAGE_SIZE, 0, 0, 5), Ok(5));
    }

    #[test]
    fn getparam_rejects_unknown_parameters() {
        assert_eq!(param_value(0, 0), Err(EINVAL));
        assert_eq!(param_value(10, 0), Err(EINVAL));
        assert_eq!(param_value(1 << 32, 0), Err(EINVAL));
        assert_eq!(param_value(u64::MAX, 0), Err(EINVAL));
    }
}
