// SPDX-License-Identifier: GPL-2.0

//! Kernel modesetting (KMS): displays driven with atomic commits.
//!
//! A driver with displays sets [`drm::Driver::FEAT_MODESET`] and, before it registers its
//! device, builds its display pipeline on the [`UnregisteredDevice`]:
//!
//! 1. [`ModeConfig::init`] sets the limits and installs the atomic helpers, and returns the
//!    [`ModeConfig`] that the mode objects are created on;
//! 2. [`Plane::new_primary`] (or `new_cursor`, `new_overlay`), [`Crtc::new`],
//!    [`Encoder::new`] and [`Connector::new`] create the mode objects, each with the driver's
//!    data and callbacks; a CRTC takes its primary plane (and its cursor) by value, so a
//!    primary plane serves exactly one CRTC;
//! 3. registration ([`drm::Registration`]) then initializes vblank for every CRTC, resets all
//!    state, makes the device visible and starts the in-kernel clients (the fbdev console).
//!
//! When the registration ends, every display is turned off while the parent device is still
//! bound. The mode objects themselves live until the DRM device is released, which may be
//! long after: their data must own what it needs (`'static`), and their callbacks must not
//! expect the device to be there.
//!
//! Framebuffers are GEM framebuffers (`drm_gem_fb_create_with_dirty()`): every plane of a
//! framebuffer is a GEM object of the driver's type, checked against the framebuffer's size,
//! and `DRM_IOCTL_MODE_DIRTYFB` becomes an atomic commit with damage clips. CRTCs signal
//! vblank from a timer, which suits virtual displays, or from the driver's interrupt
//! ([`VblankSource`]).
//!
//! Planes and CRTCs carry the driver's data in each of their states ([`DriverPlane::State`],
//! [`DriverCrtc::State`]), made and dropped with the C states. A commit's checks and
//! `prepare_fb` see their object's new state alone and may change its data; they allocate
//! there what the commit's updates need, so that applying a commit, which cannot fail, has
//! nothing left to allocate.
//!
//! C header: [`include/drm/drm_mode_config.h`](srctree/include/drm/drm_mode_config.h)

use crate::{
    bindings,
    drm::{
        self,
        device::{
            Normal,
            UnregisteredDevice, //
        },
    },
    error::to_result,
    prelude::*,
};
use core::ptr;

pub mod atomic;
pub mod connector;
pub mod crtc;
pub mod encoder;
pub mod framebuffer;
pub mod plane;
pub mod state;
pub mod vblank;

pub use self::{
    atomic::AtomicCommit,
    connector::{
        Connector,
        ConnectorStatus,
        ConnectorType,
        DriverConnector,
        ModeList, //
    },
    crtc::{
        Crtc,
        CrtcMask,
        CrtcState,
        DisplayMode,
        DriverCrtc,
        ModeStatus,
        OpaqueCrtcState, //
    },
    encoder::{
        Encoder,
        EncoderType, //
    },
    framebuffer::Framebuffer,
    plane::{
        CursorPlane,
        DriverPlane,
        Plane,
        PlaneConfig,
        PlaneLimits,
        PlaneState,
        PlaneType,
        PrimaryPlane,
        NO_SCALING, //
    },
    state::{
        DriverState,
        TakeOnce, //
    },
    vblank::{
        VblankHandle,
        VblankSource, //
    },
};

/// Pixel formats, as DRM fourcc codes (`include/uapi/drm/drm_fourcc.h`).
pub mod fourcc {
    /// Builds a fourcc code from its four characters.
    pub const fn code(a: u8, b: u8, c: u8, d: u8) -> u32 {
        (a as u32) | (b as u32) << 8 | (c as u32) << 16 | (d as u32) << 24
    }

    /// `[31:0] x:R:G:B 8:8:8:8`, little endian.
    pub const XRGB8888: u32 = code(b'X', b'R', b'2', b'4');
    /// `[31:0] A:R:G:B 8:8:8:8`, little endian.
    pub const ARGB8888: u32 = code(b'A', b'R', b'2', b'4');
    /// `[31:0] B:G:R:x 8:8:8:8`, little endian.
    pub const BGRX8888: u32 = code(b'B', b'X', b'2', b'4');
    /// `[31:0] B:G:R:A 8:8:8:8`, little endian.
    pub const BGRA8888: u32 = code(b'B', b'A', b'2', b'4');

    /// `x:R:G:B` in the CPU's byte order (`DRM_FORMAT_HOST_XRGB8888`).
    pub const HOST_XRGB8888: u32 = if cfg!(target_endian = "little") {
        XRGB8888
    } else {
        BGRX8888
    };
    /// `A:R:G:B` in the CPU's byte order (`DRM_FORMAT_HOST_ARGB8888`).
    pub const HOST_ARGB8888: u32 = if cfg!(target_endian = "little") {
        ARGB8888
    } else {
        BGRA8888
    };
}

/// A rectangle in integer pixels, from (`x1`, `y1`) included to (`x2`, `y2`) excluded, as
/// `struct drm_rect`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x1: i32,
    /// Top edge.
    pub y1: i32,
    /// Right edge, excluded.
    pub x2: i32,
    /// Bottom edge, excluded.
    pub y2: i32,
}

impl Rect {
    /// Width; zero for an empty or inverted rectangle.
    pub fn width(&self) -> u32 {
        self.x2.saturating_sub(self.x1).max(0) as u32
    }

    /// Height; zero for an empty or inverted rectangle.
    pub fn height(&self) -> u32 {
        self.y2.saturating_sub(self.y1).max(0) as u32
    }

    fn from_raw(r: &bindings::drm_rect) -> Self {
        Self {
            x1: r.x1,
            y1: r.y1,
            x2: r.x2,
            y2: r.y2,
        }
    }
}

/// Limits and preferences of a device's mode configuration (`struct drm_mode_config`).
#[derive(Clone, Copy, Debug)]
pub struct ModeConfigInfo {
    /// Smallest framebuffer width the device scans out.
    pub min_width: u32,
    /// Smallest framebuffer height the device scans out.
    pub min_height: u32,
    /// Largest framebuffer width the device scans out.
    pub max_width: u32,
    /// Largest framebuffer height the device scans out.
    pub max_height: u32,
    /// Depth userspace should prefer (and the fbdev console uses), e.g. 24.
    pub preferred_depth: u32,
    /// Legacy `DRM_IOCTL_MODE_ADDFB` picks formats in the CPU's byte order, as a device that
    /// scans out in host byte order needs on big-endian machines.
    pub prefer_host_byte_order: bool,
}

/// The mode configuration of a DRM device that is not registered yet: the frame of its
/// display pipeline, on which its mode objects are created.
///
/// Only [`ModeConfig::init`] makes one, so a mode object can only be created on a device
/// whose mode configuration is initialized (its object lists exist), and only before the
/// device is registered.
///
/// # Invariants
///
/// The mode configuration of `dev` was initialized by [`ModeConfig::init`].
pub struct ModeConfig<'a, T: drm::Driver> {
    dev: &'a UnregisteredDevice<T>,
}

impl<'a, T: drm::Driver> ModeConfig<'a, T> {
    /// Initializes the mode configuration of `dev` with the limits of `info`.
    ///
    /// Framebuffers are GEM framebuffers without format modifiers, and commits go through the
    /// atomic helpers. The configuration is torn down with the DRM device. A device has one
    /// mode configuration: [`EBUSY`] if it is initialized already.
    pub fn init(dev: &'a UnregisteredDevice<T>, info: &ModeConfigInfo) -> Result<Self> {
        if Self::is_set_up(dev) {
            // A second `drmm_mode_config_init()` would reset the object lists under the objects
            // already in them.
            return Err(EBUSY);
        }
        let raw = dev.as_raw();
        // SAFETY: `raw` is a valid DRM device that is not registered yet, and only this thread
        // uses it (`UnregisteredDevice` is not thread-safe). The release action registered here
        // runs when the device is released.
        to_result(unsafe { bindings::drmm_mode_config_init(raw) })?;
        // SAFETY: As above; the mode configuration was just initialized, and userspace cannot
        // see it yet.
        let config = unsafe { &mut (*raw).mode_config };
        config.min_width = info.min_width;
        config.min_height = info.min_height;
        config.max_width = info.max_width;
        config.max_height = info.max_height;
        config.preferred_depth = info.preferred_depth;
        config.quirk_addfb_prefer_host_byte_order = info.prefer_host_byte_order;
        config.fb_modifiers_not_supported = true;
        config.funcs = &FUNCS;
        // INVARIANT: The mode configuration of `dev` was initialized just now.
        Ok(Self { dev })
    }

    /// The device whose mode configuration this is.
    pub fn device(&self) -> &'a UnregisteredDevice<T> {
        self.dev
    }

    /// The raw DRM device, whose mode configuration is initialized (type invariant) and which
    /// is not registered yet.
    pub(crate) fn as_raw(&self) -> *mut bindings::drm_device {
        self.dev.as_raw()
    }

    /// Whether [`ModeConfig::init`] has run on `dev`.
    pub(crate) fn is_set_up(dev: &drm::Device<T, Normal>) -> bool {
        // SAFETY: `dev` is a valid DRM device; `funcs` is only written before registration.
        !unsafe { (*dev.as_raw()).mode_config.funcs }.is_null()
    }

    /// Finishes the setup of an unregistered device whose mode objects all exist: vblank for
    /// every CRTC, and the initial state of every object.
    pub(crate) fn finish(dev: &UnregisteredDevice<T>) -> Result {
        let raw = dev.as_raw();
        // SAFETY: `raw` is a valid, initialized mode configuration that only this thread uses.
        let num_crtc = unsafe { (*raw).mode_config.num_crtc };
        if num_crtc > 0 {
            // SAFETY: As above; vblank is initialized once, before registration, for the CRTCs
            // that exist. Its release action runs when the device is released.
            to_result(unsafe { bindings::drm_vblank_init(raw, num_crtc as u32) })?;
        }
        // SAFETY: As above; every mode object is fully created.
        unsafe { bindings::drm_mode_config_reset(raw) };
        // A reset that could not allocate a state leaves the object without one, which the core
        // would dereference once userspace sees the device.
        //
        // SAFETY: As above; the helper only walks the object lists.
        if !unsafe { bindings::drm_mode_config_states_allocated(raw) } {
            return Err(ENOMEM);
        }
        Ok(())
    }

    /// Starts the in-kernel clients of a registered device: the fbdev console, if the memory
    /// manager supports it and the kernel has it.
    pub(crate) fn start_clients(dev: &drm::Device<T, Normal>) {
        let raw = dev.as_raw();
        // SAFETY: `raw` is a valid DRM device; its driver never changes.
        if unsafe { (*(*raw).driver).fbdev_probe }.is_some() {
            // SAFETY: `raw` is a registered modesetting device. The clients are released when
            // it is unregistered.
            unsafe { bindings::drm_client_setup(raw, ptr::null()) };
        }
    }

    /// Turns off every display of a device that was just unplugged.
    pub(crate) fn shutdown(dev: &drm::Device<T, Normal>) {
        // SAFETY: `dev` is a valid modesetting device whose mode configuration is set up
        // (registration checked it).
        unsafe { bindings::drm_atomic_helper_shutdown(dev.as_raw()) };
    }
}

/// The mode configuration's callbacks, the same for every device.
const FUNCS: bindings::drm_mode_config_funcs = bindings::drm_mode_config_funcs {
    // Checks that some plane takes the format, and that each GEM object, looked up in the
    // requesting file, is large enough. Every object is thus one of this device's, of the
    // driver's type (see `Framebuffer::object`).
    fb_create: Some(bindings::drm_gem_fb_create_with_dirty),
    atomic_check: Some(bindings::drm_atomic_helper_check),
    atomic_commit: Some(bindings::drm_atomic_helper_commit),
    ..pin_init::zeroed()
};
