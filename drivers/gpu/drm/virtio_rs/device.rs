// SPDX-License-Identifier: GPL-2.0

//! Binding to the virtio device: feature negotiation, configuration space, the queues, and
//! the display layout the device reports.

use crate::commands;
use core::mem::offset_of;
use kernel::{
    device::Core,
    devres::Devres,
    drm,
    fmt,
    prelude::*,
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

/// Per-device state.
///
/// The fields drop in order: userspace loses the DRM device first (and every ioctl in it
/// finishes), then the queues reset the device and take back what it still holds.
#[expect(dead_code, reason = "read by KMS, which comes next")]
pub(crate) struct VirtioGpu<'a> {
    /// The DRM device's registration with userspace.
    registration: Devres<drm::Registration<'static, VirtioGpuDriver>>,
    /// The control queue (0) and the cursor queue (1).
    queues: virtio::Virtqueues<'a, 2>,
    /// Scanouts (heads) the device reports, capped at [`MAX_SCANOUTS`].
    pub(crate) num_scanouts: u32,
    /// Capability sets the device reports (3D only).
    pub(crate) num_capsets: u32,
    /// Each scanout's EDID, when the device offers them and they are valid.
    pub(crate) edids: KVec<Option<KVec<u8>>>,
    /// The scanouts' geometry, as the device last reported it.
    pub(crate) modes: [commands::DisplayMode; commands::MAX_SCANOUTS],
}

/// Index of the control queue.
const CONTROL_QUEUE: usize = 0;

/// How long probe waits for the device to answer a command, as the C driver does for the
/// display info.
const COMMAND_TIMEOUT: Delta = Delta::from_secs(5);

/// The negotiated features, formatted as the C driver logs them ("+edid -virgl ...").
struct Features<'a>(&'a virtio::Device);

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

        let config = vdev.config::<uapi::virtio_gpu_config>();
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

        let drm = drm::UnregisteredDevice::<Self>::new(vdev.transport()?, Ok(()))?;
        let registration = vdev.register_drm(drm, Ok::<(), Error>(()), 0)?;

        Ok(VirtioGpu {
            registration,
            queues,
            edids,
            num_scanouts,
            num_capsets,
            modes,
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
