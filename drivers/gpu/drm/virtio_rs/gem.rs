// SPDX-License-Identifier: GPL-2.0

//! GEM objects: guest memory (shmem pages) backing a 2D resource on the host.
//!
//! An object is a shmem object and a host resource, with the object's pages attached to the
//! resource as its backing: a dumb buffer's resource is of the buffer's size, in the host
//! layout of XRGB8888; `DRM_IOCTL_VIRTGPU_RESOURCE_CREATE` gives size and format. The host
//! copies from the pages into the resource when the driver asks it to (TRANSFER_TO_HOST_2D),
//! so the pages must stay until the host lets go of them: an object is only freed after the
//! host has answered the resource's RESOURCE_UNREF, or after the device was reset. When the host
//! does not answer in time, the object goes, but its pages do not: the unanswered request keeps
//! references on them until the device returns it or is reset.
//!
//! Each resource's RESOURCE_UNREF request is allocated before the resource is created, and kept
//! until the object goes: releasing an object needs no memory, so it cannot fail to give the
//! host's resources back, and to stop the host from using the pages, for want of it.

use crate::{
    commands,
    device::{
        Gpu,
        Queues,
        COMMAND_TIMEOUT, //
    },
    drv::VirtioGpuDrm,
    faults,
    resource::{
        ResourceId,
        ResourceIds, //
    },
};
use kernel::{
    drm::{
        self,
        gem::{
            self,
            shmem::{
                self,
                PageRefs, //
            },
            BaseObject, //
        },
        kms,
    },
    new_mutex,
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Mutex,
        SetOnce, //
    },
    uapi,
    virtio::Request,
};

/// The driver's GEM object type.
pub(crate) type Bo = shmem::Object<Object>;

/// The host format of a dumb buffer's own resource: `x:R:G:B` in host byte order, as the C
/// driver's dumb buffers.
const DUMB_FORMAT: u32 = uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;

/// The host format that shows the pixels of DRM format `fourcc` as they are in memory, or
/// `None` if the host has none.
///
/// The host's names give the order of the bytes in memory, DRM's the order of the bits of a
/// little-endian 32-bit word: DRM's `XRGB8888` is the host's `B8G8R8X8`.
pub(crate) fn host_format(fourcc: u32) -> Option<u32> {
    if cfg!(target_endian = "big") {
        // Only the dumb buffers' own format; the others are not mapped for big-endian hosts.
        return (fourcc == kms::fourcc::HOST_XRGB8888).then_some(DUMB_FORMAT);
    }
    Some(match fourcc {
        kms::fourcc::XRGB8888 => uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
        kms::fourcc::ARGB8888 => uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM,
        kms::fourcc::BGRX8888 => uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM,
        kms::fourcc::BGRA8888 => uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM,
        _ => return None,
    })
}

/// A host resource of an object, in one host format.
struct View {
    format: u32,
    resource_id: ResourceId,
    /// Its RESOURCE_UNREF, ready to send.
    unref: Arc<Request>,
}

/// The driver's part of a GEM object.
///
/// Its own resource, in [`DUMB_FORMAT`] for a dumb buffer, is created with the object. A
/// framebuffer of the object in another format is shown through another resource, a view, of
/// the same size and with the same pages as its backing; views are created when a plane first
/// shows them.
#[pin_data]
pub(crate) struct Object {
    /// The host resource's id, unique while the object exists.
    resource_id: ResourceId,
    /// The size of the object's resources, in pixels.
    width: u32,
    height: u32,
    /// The host format of its own resource.
    format: u32,
    /// The queues, to take the resources back from the host when the object goes; its own
    /// reference, since an object can outlive the device's binding.
    queues: Queues,
    /// The resource's RESOURCE_UNREF, once the resource may exist on the host.
    unref: SetOnce<Arc<Request>>,
    /// The pages' addresses, as attached to the resource, for the views.
    backing: SetOnce<KVec<commands::MemEntry>>,
    /// References on the pages, which an unanswered RESOURCE_UNREF takes over: the host may
    /// read the pages until it has executed it.
    pages: SetOnce<Arc<Pages>>,
    /// The views, by host format.
    #[pin]
    views: Mutex<KVec<View>>,
}

impl Object {
    /// The object's own host resource.
    pub(crate) fn resource_id(&self) -> u32 {
        self.resource_id.get()
    }

    /// The width of its resources, in pixels.
    pub(crate) fn width(&self) -> u32 {
        self.width
    }

    /// The height of its resources, in pixels.
    pub(crate) fn height(&self) -> u32 {
        self.height
    }

    /// Makes sure a host resource shows the object as DRM format `fourcc`, creating a view if
    /// needed, and returns it.
    pub(crate) fn prepare_resource_for(&self, gpu: &Gpu, fourcc: u32) -> Result<u32> {
        let format = host_format(fourcc).ok_or(EINVAL)?;
        if format == self.format {
            return Ok(self.resource_id());
        }
        let mut views = self.views.lock();
        if let Some(view) = views.iter().find(|v| v.format == format) {
            return Ok(view.resource_id.get());
        }
        let backing = self.backing.as_ref().ok_or(EINVAL)?;
        let resource_id = ResourceIds::alloc(&gpu.resource_ids)?;
        let id = resource_id.get();
        views.reserve(1, GFP_KERNEL)?;
        let unref = unref_request(id)?;
        let create = commands::resource_create_2d(id, format, self.width, self.height)?;
        let attach = commands::resource_attach_backing(id, backing)?;
        self.queues.send(create)?;
        // From here on the resource may exist on the host. As in `dumb_create()`, the answer
        // to ATTACH_BACKING also says whether CREATE_2D worked. A view is only kept once the
        // host has both, so that a later commit never shows a view without pages.
        if let Err(e) = self.queues.call_nodata(attach) {
            self.unref(&resource_id, &unref, false);
            return Err(e);
        }
        // Cannot fail: the room was reserved above.
        views.push(
            View {
                format,
                resource_id,
                unref,
            },
            GFP_KERNEL,
        )?;
        Ok(id)
    }

    /// Destroys host resource `id` with its prepared RESOURCE_UNREF `request`, which also
    /// detaches its backing; waits for the answer.
    ///
    /// A resource the host never `confirmed` (no ATTACH_BACKING answered) may not exist: the
    /// host refused its CREATE_2D, for one. The host's error answer to its UNREF is expected.
    /// Unless the host is known to have let go of the resource, its id is retired, and the
    /// object's pages outlive it (see [`Object::keep_pages`]).
    fn unref(&self, id: &ResourceId, request: &Arc<Request>, confirmed: bool) {
        let raw = id.get();
        let answer = match self.queues.submit(request) {
            // A fault point of the test kernels: the request is out, but not waited for.
            Ok(()) if faults::take_unref_timeout() => Err(ETIMEDOUT),
            Ok(()) => request.wait_timeout(COMMAND_TIMEOUT),
            Err(e) => Err(e),
        };
        match answer {
            // The queues are gone, or were torn down before the answer came: the device was
            // reset, and holds nothing of the object.
            Err(ENODEV) => {}
            Err(e) => {
                // Not sent, or not answered in time: the host may still read the pages.
                pr_err!("resource {raw}: RESOURCE_UNREF failed: {e:?}\n");
                id.retire();
                self.keep_pages(request);
            }
            Ok(answer) => match commands::check_nodata(answer) {
                Ok(()) => {}
                // The host's error answer to an unconfirmed resource: it may not exist.
                Err(_) if !confirmed => {}
                Err(e) => {
                    pr_err!("resource {raw}: RESOURCE_UNREF answered {e:?}\n");
                    id.retire();
                }
            },
        }
    }

    /// Keeps the object's pages from being freed with it, after `request`, its RESOURCE_UNREF
    /// or a view's, was not answered.
    ///
    /// Until the host has executed it, the host may read the pages: for the transfers queued
    /// before it, or for the resource itself. A submitted request keeps them until the device
    /// returns it or is reset. A request that could not be submitted leaves no sign of when
    /// the commands before it are done, so its pages are leaked, as the C driver leaks an
    /// object whose UNREF the device does not answer.
    fn keep_pages(&self, request: &Arc<Request>) {
        let Some(pages) = self.pages.as_ref() else {
            // No pages yet: the host was never given their addresses.
            return;
        };
        let count = pages.refs.len();
        // Counted as kept from here: the request may be returned, and free them, at once.
        if !pages.kept.xchg(true, Relaxed) {
            faults::pages_kept(count);
        }
        if let Err(pages) = request.keep_until_done(pages.clone()) {
            pr_err!("{count} pages leaked: the host may still read them\n");
            core::mem::forget(pages);
        }
    }
}

impl gem::DriverObject for Object {
    type Driver = crate::device::VirtioGpuDriver;
    /// The resource id, the size in pixels, the host format, and the queues of the device.
    type Args = (ResourceId, u32, u32, u32, Queues);

    fn new(_dev: &VirtioGpuDrm, _size: usize, args: Self::Args) -> impl PinInit<Self, Error> {
        let (resource_id, width, height, format, queues) = args;
        try_pin_init!(Object {
            resource_id,
            width,
            height,
            format,
            queues,
            unref: SetOnce::new(),
            backing: SetOnce::new(),
            pages: SetOnce::new(),
            views <- new_mutex!(KVec::new()),
        })
    }

    fn release(obj: &Self) {
        for view in obj.views.lock().iter() {
            obj.unref(&view.resource_id, &view.unref, true);
        }
        if let Some(unref) = obj.unref.as_ref() {
            // The backing is recorded once ATTACH_BACKING was answered.
            obj.unref(&obj.resource_id, unref, obj.backing.as_ref().is_some());
        }
    }
}

/// References on an object's pages, as the object and the requests that keep them share them.
struct Pages {
    refs: PageRefs,
    /// Whether an unanswered request keeps them, for the count of [`faults::pages_kept`].
    kept: Atomic<bool>,
}

impl Drop for Pages {
    fn drop(&mut self) {
        // May run in the queue's interrupt handler, after the device returned the request.
        if *self.kept.get_mut() {
            faults::pages_freed(self.refs.len());
        }
    }
}

/// Builds the RESOURCE_UNREF of resource `id`, to send when the resource goes.
fn unref_request(id: u32) -> Result<Arc<Request>> {
    Request::new(commands::resource_unref(id)?, commands::NODATA_SIZE)
}

/// The length in bytes of a dumb buffer's lines, and of the buffer, for `width` x `height`
/// pixels of 32 bits. The size is rounded up to whole pages.
fn dumb_layout(width: u32, height: u32) -> Result<(u32, usize)> {
    let pitch = width.checked_mul(4).ok_or(EINVAL)?;
    let size = usize::try_from(pitch)?
        .checked_mul(usize::try_from(height)?)
        .and_then(|s| s.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(EINVAL)?;
    if size == 0 {
        return Err(EINVAL);
    }
    Ok((pitch, size))
}

/// The size of the largest framebuffer of 32 bits per pixel the mode configuration accepts.
const MAX_FRAMEBUFFER_BYTES: usize = (crate::kms::MAX_SIZE as usize).pow(2) * 4;

/// What [`create()`] makes: an object of `size` bytes and its own host resource, `width` x
/// `height` pixels in host `format`.
pub(crate) struct NewObject {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) format: u32,
    pub(crate) size: usize,
}

/// Creates an object and its host resource, backed by the object's pages, and a handle to
/// it for `file`. Returns the handle and the resource's id.
///
/// The host may refuse a resource, for its format or its size (QEMU's `max_hostmem`). For an
/// object larger than any framebuffer, its answer to CREATE_2D is awaited before the pages are
/// allocated and pinned, so that userspace cannot make the guest pin gigabytes that the host
/// then refuses. Smaller objects, the display's usual business, are not held up: their pages
/// are pinned while the host creates the resource.
pub(crate) fn create(
    dev: &drm::Device<crate::device::VirtioGpuDriver, drm::Registered>,
    file: &drm::File<crate::drv::File>,
    new: &NewObject,
) -> Result<(u32, u32)> {
    let gpu: &Gpu = dev;
    let resource_id = ResourceIds::alloc(&gpu.resource_ids)?;
    let id = resource_id.get();
    let args = (
        resource_id,
        new.width,
        new.height,
        new.format,
        gpu.queues.clone(),
    );
    let bo = Bo::new(dev, new.size, shmem::ObjectConfig::default(), args)?;
    let unref = unref_request(id)?;

    // The device executes the control queue in order: the answer to ATTACH_BACKING, waited
    // for below, comes after CREATE_2D was executed, and is an error if it failed. Once
    // CREATE_2D is sent the resource may exist, and the object's release destroys it.
    let create = commands::resource_create_2d(id, new.format, new.width, new.height)?;
    if new.size > MAX_FRAMEBUFFER_BYTES {
        let created = gpu.queues.call_nodata(create);
        bo.unref.populate(unref);
        created?;
    } else {
        gpu.queues.send(create)?;
        bo.unref.populate(unref);
    }

    // The pages, mapped for the transport (the device that does DMA), and held for as long as
    // the host may read them: the object's release may leave them to an unanswered request.
    let transport = dev.as_ref().as_ref();
    let pinned = bo.pages(transport)?;
    let pages = Pages {
        refs: pinned.get_refs()?,
        kept: Atomic::new(false),
    };
    bo.pages.populate(Arc::new(pages, GFP_KERNEL)?);
    // The addresses the host must use: the pages' physical ones for a device with the DMA
    // quirk, which bypasses the DMA API, as the C driver gives; else the DMA addresses.
    let mut entries = KVec::new();
    if gpu.dma_quirk {
        for (addr, length) in pinned.phys_ranges() {
            entries.push(commands::MemEntry { addr, length }, GFP_KERNEL)?;
        }
    } else {
        for sg in bo.sg_table(transport)?.iter() {
            let entry = commands::MemEntry {
                addr: sg.dma_address(),
                length: u32::try_from(sg.dma_len())?,
            };
            entries.push(entry, GFP_KERNEL)?;
        }
    }
    gpu.queues
        .call_nodata(commands::resource_attach_backing(id, &entries)?)?;
    bo.backing.populate(entries);

    Ok((bo.create_handle(file)?, id))
}

/// Makes what the CPU wrote to `bo`'s pages visible to the host before a transfer reads them.
///
/// Only a device without the DMA quirk reads them through the DMA API's mapping, which may be
/// bounce buffered (`swiotlb`); one with the quirk reads the pages themselves.
pub(crate) fn sync_for_host(gpu: &Gpu, bo: &Bo) {
    if !gpu.dma_quirk {
        bo.sync_for_device();
    }
}

/// Creates a dumb buffer: an object and a host resource of its size, in pixels, backed by it.
///
/// As the C driver's, dumb buffers are 32 bits per pixel, and their own resource is in the
/// host's `x:R:G:B` layout. No flag is defined: a request with any is refused, so that a flag
/// defined later is never silently ignored.
pub(crate) fn dumb_create(
    dev: &drm::Device<crate::device::VirtioGpuDriver, drm::Registered>,
    file: &drm::File<crate::drv::File>,
    request: &drm::driver::DumbRequest,
) -> Result<drm::driver::DumbBuffer> {
    if request.bpp != 32 || request.flags != 0 {
        return Err(EINVAL);
    }
    let (pitch, size) = dumb_layout(request.width, request.height)?;
    let new = NewObject {
        width: request.width,
        height: request.height,
        format: DUMB_FORMAT,
        size,
    };
    let (handle, _) = create(dev, file, &new)?;
    Ok(drm::driver::DumbBuffer {
        handle,
        pitch,
        size: size as u64,
    })
}

#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_KUNIT_TEST)]
#[kernel::macros::kunit_tests(virtio_gpu_rs_gem)]
mod tests {
    use super::*;

    #[test]
    fn dumb_layout_rounds_up_to_pages() {
        assert_eq!(dumb_layout(1024, 768), Ok((4096, 1024 * 768 * 4)));
        assert_eq!(dumb_layout(1, 1), Ok((4, PAGE_SIZE)));
        assert_eq!(dumb_layout(33, 3), Ok((132, PAGE_SIZE)));
    }

    #[test]
    fn formats_map_to_the_host_byte_order() {
        use kms::fourcc;
        assert_eq!(host_format(fourcc::XRGB8888), Some(DUMB_FORMAT));
        assert_eq!(
            host_format(fourcc::BGRA8888),
            Some(uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM)
        );
        assert_eq!(
            host_format(fourcc::ARGB8888),
            Some(uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM)
        );
        assert_eq!(host_format(fourcc::code(b'R', b'G', b'1', b'6')), None);
    }

    #[test]
    fn dumb_layout_rejects_overflow() {
        assert_eq!(dumb_layout(u32::MAX, 1), Err(EINVAL));
        assert_eq!(dumb_layout(0, 0), Err(EINVAL));
    }
}
