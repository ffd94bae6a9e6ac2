// SPDX-License-Identifier: GPL-2.0

//! The display pipeline: one output per scanout, each a primary plane, a CRTC, a virtual
//! encoder and a virtual connector.
//!
//! The device has no notion of a mode separate from the image it shows: a scanout shows a
//! rectangle of a resource (SET_SCANOUT), and shows new contents when told which part changed
//! (TRANSFER_TO_HOST_2D from the guest pages, then RESOURCE_FLUSH). So a mode change only
//! blanks the scanout, and the primary plane's update points the scanout at the framebuffer's
//! resource whenever the framebuffer, its source rectangle or the mode changed.
//!
//! Updates are not waited for: the device executes the control queue in order, and flips
//! complete on the vblank timer.

use crate::{
    commands::{
        self,
        CursorPos,
        Rect, //
    },
    device::{
        Gpu,
        VirtioGpuDriver, //
    },
    drv::VirtioGpuDrm,
    gem, //
};
use kernel::{
    drm::{
        self,
        kms::{
            self,
            fourcc,
            AtomicCommit,
            Connector,
            ConnectorStatus,
            ConnectorType,
            Crtc,
            DriverConnector,
            DriverCrtc,
            DriverPlane,
            Encoder,
            EncoderType,
            ModeList,
            Plane,
            PlaneConfig,
            PlaneState,
            PlaneType, //
        },
    },
    prelude::*,
};

/// The largest framebuffer and mode, as the C driver (`XRES_MAX`, `YRES_MAX`).
pub(crate) const MAX_SIZE: u32 = 8192;
/// The smallest framebuffer and mode, as the C driver (`XRES_MIN`, `YRES_MIN`).
const MIN_SIZE: u32 = 32;
/// The mode of a scanout the device reports no geometry for (`XRES_DEF`, `YRES_DEF`).
const DEFAULT_MODE: (u32, u32) = (1024, 768);

/// The primary plane's formats: those the host has a resource format for (see
/// [`crate::gem::host_format`]). The host ignores alpha on a scanout.
const PRIMARY_FORMATS: &[u32] = if cfg!(target_endian = "little") {
    &[
        fourcc::XRGB8888,
        fourcc::ARGB8888,
        fourcc::BGRX8888,
        fourcc::BGRA8888,
    ]
} else {
    &[fourcc::HOST_XRGB8888]
};

/// The cursor plane's format: the host shows cursors as premultiplied `A:R:G:B`.
const CURSOR_FORMATS: [u32; 1] = [fourcc::HOST_ARGB8888];

/// The limits of the mode configuration, as the C driver's.
const MODE_CONFIG: kms::ModeConfigInfo = kms::ModeConfigInfo {
    min_width: MIN_SIZE,
    min_height: MIN_SIZE,
    max_width: MAX_SIZE,
    max_height: MAX_SIZE,
    preferred_depth: 0,
    prefer_host_byte_order: true,
};

/// Creates the mode configuration, and one output per scanout of `drm`'s device.
pub(crate) fn create_outputs(drm: &drm::UnregisteredDevice<VirtioGpuDriver>) -> Result {
    let mode_config = kms::ModeConfig::init(drm, &MODE_CONFIG)?;
    let gpu: &Gpu = drm;
    for scanout in 0..gpu.scanouts.len() as u32 {
        let primary = Plane::new(
            &mode_config,
            &PlaneConfig {
                kind: PlaneType::Primary,
                formats: PRIMARY_FORMATS,
                possible_crtcs: 1 << scanout,
                damage_clips: true,
                premultiplied_alpha: true,
            },
            Ok::<_, Error>(ScanoutPlane {
                scanout,
                cursor: false,
            }),
        )?;
        let cursor = Plane::new(
            &mode_config,
            &PlaneConfig {
                kind: PlaneType::Cursor,
                formats: &CURSOR_FORMATS,
                possible_crtcs: 1 << scanout,
                damage_clips: false,
                premultiplied_alpha: true,
            },
            Ok::<_, Error>(ScanoutPlane {
                scanout,
                cursor: true,
            }),
        )?;
        let crtc = Crtc::new(
            &mode_config,
            primary,
            Some(cursor),
            Ok::<_, Error>(ScanoutCrtc { scanout }),
        )?;
        let encoder = Encoder::new(&mode_config, EncoderType::Virtual, crtc.mask())?;
        Connector::new(
            &mode_config,
            ConnectorType::Virtual,
            encoder,
            gpu.has_edid,
            Ok::<_, Error>(ScanoutConnector { scanout }),
        )?;
    }
    Ok(())
}

/// Sends `cmd`, built by a [`commands`] encoder, from a commit: a commit cannot fail at this
/// point, so a command that cannot be sent is logged, and the display misses an update.
fn send(drm: &VirtioGpuDrm, cmd: Result<KVec<u8>>) {
    let gpu: &Gpu = drm;
    if let Err(e) = cmd.and_then(|cmd| gpu.queues.send(cmd)) {
        // ENODEV: the device is gone (unbind), and the displays with it.
        if e != ENODEV {
            dev_err!(drm.as_ref().as_ref(), "display update failed: {e:?}\n");
        }
    }
}

/// Converts a rectangle of the DRM core into the device's, which has no negative edges.
fn to_device_rect(r: &kms::Rect) -> Rect {
    Rect {
        x: r.x1.max(0) as u32,
        y: r.y1.max(0) as u32,
        width: r.width(),
        height: r.height(),
    }
}

/// A scanout's primary plane or cursor plane.
pub(crate) struct ScanoutPlane {
    scanout: u32,
    cursor: bool,
}

impl DriverPlane for ScanoutPlane {
    type Driver = VirtioGpuDriver;

    // A new framebuffer means a new resource on the scanout, which must be complete.
    const FULL_UPDATE_ON_NEW_FB: bool = true;

    fn prepare_fb(plane: &Plane<Self>, state: &PlaneState<VirtioGpuDriver>) -> Result {
        // The cursor shows the object's own resource, as the C driver's.
        let (false, Some(fb)) = (plane.data().cursor, state.fb()) else {
            return Ok(());
        };
        let bo = fb.object(0).ok_or(EINVAL)?;
        bo.prepare_resource_for(plane.drm_device(), fb.format())?;
        Ok(())
    }

    fn atomic_update(plane: &Plane<Self>, commit: &AtomicCommit<'_, VirtioGpuDriver>) {
        let (Some(old), Some(new)) = (commit.old_plane_state(plane), commit.new_plane_state(plane))
        else {
            return;
        };
        if plane.data().cursor {
            Self::update_cursor(plane, old, new);
        } else {
            Self::update_primary(plane, commit, old, new);
        }
    }
}

impl ScanoutPlane {
    /// Shows the cursor plane's new state: a new image is copied to its resource, and waited
    /// for, before the cursor queue shows it; otherwise the cursor only moves.
    fn update_cursor(
        plane: &Plane<Self>,
        old: &PlaneState<VirtioGpuDriver>,
        new: &PlaneState<VirtioGpuDriver>,
    ) {
        let drm = plane.drm_device();
        let gpu: &Gpu = drm;
        let (x, y, width, height) = new.crtc_rect();
        let pos = CursorPos {
            scanout: plane.data().scanout,
            // The device takes the position as the two's complement of a negative one.
            x: x as u32,
            y: y as u32,
        };
        let cmd = if old.same_fb(new) {
            commands::move_cursor(pos)
        } else {
            let bo = new.fb().and_then(|fb| fb.object(0));
            let resource = bo.map(|bo| bo.resource_id());
            if let (Some(bo), Some(resource)) = (bo, resource) {
                gem::sync_for_host(gpu, bo);
                let rect = Rect {
                    x: 0,
                    y: 0,
                    width,
                    height,
                };
                let copied = commands::transfer_to_host_2d(resource, rect, 0, None)
                    .and_then(|cmd| gpu.queues.call_nodata(cmd));
                if let Err(e) = copied {
                    if e != ENODEV {
                        dev_err!(drm.as_ref().as_ref(), "cursor image update failed: {e:?}\n");
                    }
                    return;
                }
            }
            let (hot_x, hot_y) = new.hotspot();
            match resource {
                Some(resource) => {
                    commands::update_cursor(pos, resource, hot_x as u32, hot_y as u32)
                }
                // No framebuffer: hide the cursor.
                None => commands::update_cursor(pos, 0, 0, 0),
            }
        };
        if let Err(e) = cmd.and_then(|cmd| gpu.queues.send_cursor(cmd)) {
            if e != ENODEV {
                dev_err!(drm.as_ref().as_ref(), "cursor update failed: {e:?}\n");
            }
        }
    }

    /// Shows the primary plane's new state.
    fn update_primary(
        plane: &Plane<Self>,
        commit: &AtomicCommit<'_, VirtioGpuDriver>,
        old: &PlaneState<VirtioGpuDriver>,
        new: &PlaneState<VirtioGpuDriver>,
    ) {
        let drm = plane.drm_device();
        let scanout = plane.data().scanout;
        let crtc = commit.new_crtc_state_of(new);

        let fb = match (new.fb(), crtc) {
            (Some(fb), Some(crtc)) if crtc.active() => fb,
            _ => {
                // Off: show nothing.
                let (_, _, w, h) = new.src_fixed();
                let rect = Rect {
                    x: 0,
                    y: 0,
                    width: w >> 16,
                    height: h >> 16,
                };
                send(drm, commands::set_scanout(scanout, 0, rect));
                return;
            }
        };
        let Some(damage) = commit.damage_merged(old, new) else {
            return;
        };
        // `prepare_fb` made the resource.
        let Some(bo) = fb.object(0) else {
            return;
        };
        let Some(resource) = bo.resource_for(fb.format()) else {
            return;
        };
        let damage = to_device_rect(&damage);

        // Copy the damaged rectangle from the pages into the resource; the pages hold the
        // framebuffer at its pitch, the resource at the same pitch.
        let offset = u64::from(fb.offset(0))
            + u64::from(damage.y) * u64::from(fb.pitch(0))
            + u64::from(damage.x) * u64::from(fb.cpp(0));
        let gpu: &Gpu = drm;
        gem::sync_for_host(gpu, bo);
        send(
            drm,
            commands::transfer_to_host_2d(resource, damage, offset, None),
        );

        let modeset = crtc.is_some_and(|c| c.needs_modeset());
        if !old.same_fb(new) || old.src_fixed() != new.src_fixed() || modeset {
            let src = to_device_rect(&new.src());
            send(drm, commands::set_scanout(scanout, resource, src));
        }
        send(drm, commands::resource_flush(resource, damage, None));
    }
}

/// A scanout's CRTC.
pub(crate) struct ScanoutCrtc {
    scanout: u32,
}

impl DriverCrtc for ScanoutCrtc {
    type Driver = VirtioGpuDriver;

    fn mode_set_nofb(crtc: &Crtc<Self>, width: u32, height: u32) {
        // Blank the scanout at the new size; the primary plane's update shows the framebuffer.
        let rect = Rect {
            x: 0,
            y: 0,
            width,
            height,
        };
        send(
            crtc.drm_device(),
            commands::set_scanout(crtc.data().scanout, 0, rect),
        );
    }

    fn atomic_disable(crtc: &Crtc<Self>, _commit: &AtomicCommit<'_, VirtioGpuDriver>) {
        let scanout = crtc.data().scanout;
        send(
            crtc.drm_device(),
            commands::set_scanout(scanout, 0, Rect::default()),
        );
    }
}

/// A scanout's connector.
pub(crate) struct ScanoutConnector {
    scanout: u32,
}

impl ScanoutConnector {
    /// The scanout's geometry: as the device reported it, except that the first scanout is
    /// always on, at [`DEFAULT_MODE`] if the device has no size for it, so that a console
    /// always has a display.
    fn mode(connector: &Connector<Self>) -> (bool, u32, u32) {
        let gpu: &Gpu = connector.drm_device();
        let index = connector.data().scanout as usize;
        let Some(scanout) = gpu.scanouts.get(index) else {
            return (false, 0, 0);
        };
        let r = scanout.mode.rect;
        if index == 0 && (!scanout.mode.enabled || r.width == 0 || r.height == 0) {
            return (true, DEFAULT_MODE.0, DEFAULT_MODE.1);
        }
        (scanout.mode.enabled, r.width, r.height)
    }
}

impl DriverConnector for ScanoutConnector {
    type Driver = VirtioGpuDriver;

    fn detect(connector: &Connector<Self>, _force: bool) -> ConnectorStatus {
        if Self::mode(connector).0 {
            ConnectorStatus::Connected
        } else {
            ConnectorStatus::Disconnected
        }
    }

    fn get_modes(connector: &Connector<Self>, modes: &mut ModeList<'_>) -> u32 {
        let gpu: &Gpu = connector.drm_device();
        let index = connector.data().scanout as usize;
        if gpu.has_edid {
            let edid = gpu.scanouts.get(index).and_then(|s| s.edid.as_deref());
            modes.update_edid(edid);
            let count = modes.add_edid_modes();
            if count > 0 {
                return count;
            }
        }
        let (_, width, height) = Self::mode(connector);
        let mut count = modes.add_noedid(MAX_SIZE, MAX_SIZE);
        if width == 0 || height == 0 {
            modes.set_preferred(DEFAULT_MODE.0, DEFAULT_MODE.1);
        } else if modes.add_cvt(width, height, 60, true).is_ok() {
            count += 1;
        }
        count
    }
}
