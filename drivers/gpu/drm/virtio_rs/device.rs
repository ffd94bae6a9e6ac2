// SPDX-License-Identifier: GPL-2.0

//! Binding to the virtio device: feature negotiation, configuration space, the queues, and
//! the display layout the device reports.

use crate::{
    caps::Capsets,
    commands,
    kms,
    resource::ResourceIds, //
};
use core::mem::offset_of;
use kernel::{
    device::{
        Bound,
        Core, //
    },
    devres::Devres,
    dma_fence::{
        PendingFence,
        Timeline,
        TimelineFence, //
    },
    drm,
    fmt,
    prelude::*,
    sync::Arc,
    time::Delta,
    uapi,
    virtio, //
};

/// The most scanouts the driver drives, as the C driver (`VIRTIO_GPU_MAX_SCANOUTS`).
const MAX_SCANOUTS: u32 = commands::MAX_SCANOUTS as u32;

/// Device feature bits the driver offers, with the names used in the kernel log.
const FEATURES: [(u32, &str); 6] = [
    (uapi::VIRTIO_GPU_F_VIRGL, "virgl"),
    (uapi::VIRTIO_GPU_F_EDID, "edid"),
    (uapi::VIRTIO_GPU_F_RESOURCE_UUID, "resource_uuid"),
    (uapi::VIRTIO_GPU_F_RESOURCE_BLOB, "resource_blob"),
    (uapi::VIRTIO_GPU_F_CONTEXT_INIT, "context_init"),
    (uapi::VIRTIO_GPU_F_BLOB_ALIGNMENT, "blob_alignment"),
];

/// The bits of [`FEATURES`], as the virtio core wants them.
const FEATURE_BITS: [u32; FEATURES.len()] = {
    let mut bits = [0; FEATURES.len()];
    let mut i = 0;
    while i < FEATURES.len() {
        bits[i] = FEATURES[i].0;
        i += 1;
    }
    bits
};

kernel::virtio_device_table!(VIRTIO_TABLE, [virtio::DeviceId::new(uapi::VIRTIO_ID_GPU)]);

/// The virtio-gpu driver.
pub(crate) struct VirtioGpuDriver;

/// Per-device state of the virtio device's binding.
///
/// The fields drop in order: userspace loses the DRM device first (every ioctl in it finishes,
/// and the displays are turned off), then the queues reset the device and take back what it
/// still holds.
pub(crate) struct VirtioGpu<'a> {
    /// The DRM device's registration with userspace.
    _registration: Devres<drm::Registration<'static, VirtioGpuDriver>>,
    /// The debugfs directory of the test kernels, removed before the queues go.
    #[cfg(any(CONFIG_DRM_VIRTIO_GPU_RS_BENCH, CONFIG_DRM_VIRTIO_GPU_RS_FAULTS))]
    _debugfs: crate::debugfs::Dir,
    /// The control queue (0) and the cursor queue (1).
    _queues: virtio::Virtqueues<'a, 2>,
}

/// What the DRM device knows of a scanout (a head).
pub(crate) struct Scanout {
    /// The geometry the device reported at probe.
    pub(crate) mode: commands::DisplayMode,
    /// The display's EDID, when the device offers EDIDs and this one is valid.
    pub(crate) edid: Option<KVec<u8>>,
}

/// The DRM device's data: how it reaches the device, and the device's displays.
///
/// It lives as long as the DRM device, which may outlive the binding: after unbind, the
/// queues refuse requests with [`ENODEV`].
pub(crate) struct Gpu {
    /// The queues.
    pub(crate) queues: Queues,
    /// The fences of the control queue's fenced commands: the device completes them in the
    /// order it gets them, which is the order of their seqnos.
    pub(crate) timeline: Timeline,
    /// The host resource ids in use.
    pub(crate) resource_ids: Arc<ResourceIds>,
    /// The scanouts, at most [`MAX_SCANOUTS`].
    pub(crate) scanouts: KVec<Scanout>,
    /// The device's capability sets.
    pub(crate) capsets: Arc<Capsets>,
    /// Whether the device offers EDIDs.
    pub(crate) has_edid: bool,
    /// Whether the device reads guest memory at its physical addresses, bypassing the DMA API
    /// ([`virtio::Device::has_dma_quirk`]).
    pub(crate) dma_quirk: bool,
}

/// The device's queues, as the DRM side submits to them.
#[derive(Clone)]
pub(crate) struct Queues(virtio::QueueHandle<2>);

impl Queues {
    /// Submits `request` on queue `index`; while the queue is full, waits for the device to
    /// return requests, at most [`COMMAND_TIMEOUT`].
    fn submit_to(&self, index: usize, request: &Arc<virtio::Request>) -> Result {
        self.0.submit_wait(index, request, COMMAND_TIMEOUT)
    }

    /// Sends `cmd`, which the device answers without data, and does not wait for the answer.
    ///
    /// The device executes the control queue's commands in order, so a later command that is
    /// waited for is also a barrier for this one.
    pub(crate) fn send(&self, cmd: KVec<u8>) -> Result {
        self.submit_to(
            CONTROL_QUEUE,
            &virtio::Request::new(cmd, commands::NODATA_SIZE)?,
        )
    }

    /// Sends `cmd`, which the device answers without data, fenced on `timeline` with `fence`,
    /// and does not wait for the answer.
    ///
    /// The returned fence completes when the device has done the work, and with
    /// [`ECANCELED`] if the device is unbound first.
    pub(crate) fn send_fenced(
        &self,
        cmd: KVec<u8>,
        timeline: &Timeline,
        fence: PendingFence,
    ) -> Result<TimelineFence> {
        let fenced = virtio::Fenced {
            timeline,
            fence,
            stamp: commands::stamp_fence,
        };
        self.0.submit_fenced(
            CONTROL_QUEUE,
            &virtio::Request::new(cmd, commands::NODATA_SIZE)?,
            fenced,
            COMMAND_TIMEOUT,
        )
    }

    /// Submits `request`, a cursor command, on the cursor queue, without waiting.
    ///
    /// The cursor queue is separate so that cursor moves do not wait behind display updates.
    /// The device answers cursor commands without writing anything.
    pub(crate) fn submit_cursor(&self, request: &Arc<virtio::Request>) -> Result {
        self.submit_to(CURSOR_QUEUE, request)
    }

    /// Sends `cmd`, which the device answers without data, and waits for the answer.
    pub(crate) fn call_nodata(&self, cmd: KVec<u8>) -> Result {
        let request = virtio::Request::new(cmd, commands::NODATA_SIZE)?;
        commands::check_nodata(self.call(&request)?)
    }

    /// Sends `request` on the control queue and waits for the answer, at most
    /// [`COMMAND_TIMEOUT`]; returns the answer's bytes, not checked.
    pub(crate) fn call<'r>(&self, request: &'r Arc<virtio::Request>) -> Result<&'r [u8]> {
        self.submit(request)?;
        request.wait_timeout(COMMAND_TIMEOUT)
    }

    /// Submits `request` on the control queue, and does not wait for the answer.
    pub(crate) fn submit(&self, request: &Arc<virtio::Request>) -> Result {
        self.submit_to(CONTROL_QUEUE, request)
    }

    /// Submits `request` on the control queue without waiting, not even for room:
    /// [`ENOSPC`] if the queue is full.
    pub(crate) fn try_submit(&self, request: &Arc<virtio::Request>) -> Result {
        self.0.submit(CONTROL_QUEUE, request)
    }
}

/// Index of the control queue.
const CONTROL_QUEUE: usize = 0;
/// Index of the cursor queue.
const CURSOR_QUEUE: usize = 1;

/// How long probe waits for the device to answer a command, as the C driver does for the
/// display info.
pub(crate) const COMMAND_TIMEOUT: Delta = Delta::from_secs(5);

/// The negotiated features, formatted as the C driver logs them ("+edid -virgl ...").
struct Features<'a>(&'a virtio::Device<Bound>);

impl fmt::Display for Features<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (bit, name)) in FEATURES.iter().enumerate() {
            let sign = if self.0.has_feature(*bit) { '+' } else { '-' };
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{sign}{name}")?;
        }
        Ok(())
    }
}

impl VirtioGpuDriver {
    fn init<'a>(vdev: &'a virtio::Device<Core<'_>>) -> Result<VirtioGpu<'a>> {
        if !vdev.has_feature(uapi::VIRTIO_F_VERSION_1) {
            dev_err!(vdev, "the device does not support virtio 1.0\n");
            return Err(ENODEV);
        }
        dev_info!(vdev, "features: {}\n", Features(vdev));

        let config = vdev.config::<uapi::virtio_gpu_config>()?;
        let scanouts = config.read::<u32>(offset_of!(uapi::virtio_gpu_config, num_scanouts))?;
        let num_capsets = config.read::<u32>(offset_of!(uapi::virtio_gpu_config, num_capsets))?;
        let num_scanouts = scanouts.min(MAX_SCANOUTS);
        dev_info!(
            vdev,
            "scanouts: {num_scanouts} (device: {scanouts}), capsets: {num_capsets}\n"
        );

        let queues = vdev.find_vqs([c"control", c"cursor"])?;

        let request =
            virtio::Request::new(commands::get_display_info()?, commands::DISPLAY_INFO_SIZE)?;
        queues.submit(CONTROL_QUEUE, &request)?;
        let modes = commands::decode_display_info(
            request.wait_timeout(COMMAND_TIMEOUT)?,
            num_scanouts as usize,
        )?;
        for (i, mode) in modes.iter().enumerate().take(num_scanouts as usize) {
            dev_info!(
                vdev,
                "scanout {i}: {}x{}+{}+{} {}\n",
                mode.rect.width,
                mode.rect.height,
                mode.rect.x,
                mode.rect.y,
                if mode.enabled { "enabled" } else { "disabled" }
            );
        }

        let mut edids = KVec::new();
        if vdev.has_feature(uapi::VIRTIO_GPU_F_EDID) {
            for scanout in 0..num_scanouts {
                let request = virtio::Request::new(
                    commands::get_edid(scanout)?,
                    commands::EDID_RESPONSE_SIZE,
                )?;
                queues.submit(CONTROL_QUEUE, &request)?;
                // A scanout without a valid EDID falls back to the display info mode.
                let edid = match commands::decode_edid(request.wait_timeout(COMMAND_TIMEOUT)?) {
                    Ok(edid) => {
                        dev_info!(vdev, "scanout {scanout}: EDID of {} bytes\n", edid.len());
                        let mut copy = KVec::new();
                        copy.extend_from_slice(edid, GFP_KERNEL)?;
                        Some(copy)
                    }
                    Err(e) => {
                        dev_warn!(vdev, "scanout {scanout}: no valid EDID ({e:?})\n");
                        None
                    }
                };
                edids.push(edid, GFP_KERNEL)?;
            }
        }

        let capsets = Capsets::query(vdev, &queues, CONTROL_QUEUE, num_capsets, COMMAND_TIMEOUT)?;

        let mut scanouts = KVec::with_capacity(num_scanouts as usize, GFP_KERNEL)?;
        for (i, mode) in modes.iter().take(num_scanouts as usize).enumerate() {
            let edid = edids.get_mut(i).and_then(Option::take);
            scanouts.push(Scanout { mode: *mode, edid }, GFP_KERNEL)?;
        }
        let gpu = Gpu {
            queues: Queues(queues.handle()),
            // As the C driver names its fences.
            timeline: Timeline::new(c"virtio_gpu", c"controlq"),
            resource_ids: ResourceIds::new()?,
            capsets,
            scanouts,
            has_edid: vdev.has_feature(uapi::VIRTIO_GPU_F_EDID),
            dma_quirk: vdev.has_dma_quirk(),
        };

        let drm = drm::UnregisteredDevice::<Self>::new(vdev.transport()?, Ok::<_, Error>(gpu))?;
        kms::create_outputs(&drm)?;
        // Before the registration: once userspace sees the device, nothing may fail probe.
        #[cfg(any(CONFIG_DRM_VIRTIO_GPU_RS_BENCH, CONFIG_DRM_VIRTIO_GPU_RS_FAULTS))]
        let debugfs = crate::debugfs::create(vdev, Queues(queues.handle()))?;
        let registration = vdev.register_drm(drm, Ok::<(), Error>(()), 0)?;

        Ok(VirtioGpu {
            _registration: registration,
            #[cfg(any(CONFIG_DRM_VIRTIO_GPU_RS_BENCH, CONFIG_DRM_VIRTIO_GPU_RS_FAULTS))]
            _debugfs: debugfs,
            _queues: queues,
        })
    }
}

impl virtio::Driver for VirtioGpuDriver {
    type Data<'bound> = VirtioGpu<'bound>;

    const ID_TABLE: virtio::IdTable = &VIRTIO_TABLE;
    const FEATURES: &'static [u32] = &FEATURE_BITS;

    fn probe<'bound>(
        vdev: &'bound virtio::Device<Core<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        Self::init(vdev)
    }

    fn config_changed<'bound>(vdev: &'bound virtio::Device, _this: Pin<&Self::Data<'bound>>) {
        // The device raises this for display changes (`VIRTIO_GPU_EVENT_DISPLAY`); reading the
        // events and the new layout sleeps, so it belongs to KMS's hotplug work, which comes
        // next.
        dev_dbg!(vdev, "configuration changed\n");
    }
}
