// SPDX-License-Identifier: GPL-2.0

//! Where a CRTC's vblank comes from: a timer, or the driver's own interrupt.
//!
//! A virtual display has no vertical blanking, and its CRTCs take the vblank timer
//! ([`VblankSource::Timer`], the default): the DRM core paces vblank at the mode's refresh
//! rate. A display engine with a vblank interrupt takes [`VblankSource::Interrupt`]: the core
//! turns the interrupt on and off with [`DriverCrtc::enable_vblank`] and
//! [`DriverCrtc::disable_vblank`], and the driver's interrupt handler reports each vblank
//! with [`VblankHandle::handle`].
//!
//! The interrupt must outlive the device's registration, whose end turns every display off
//! and waits for the flips in flight to complete, at a vblank: a driver requests it before it
//! registers the device (so its devres action runs after the registration's), and hands it
//! the handle once registered, through a [`SetOnce`](crate::sync::SetOnce) for instance.
//!
//! The core counts one vblank per report: it has no hardware frame counter to read
//! (`get_vblank_counter`), so vblanks while the interrupt is off are not counted, and the
//! interrupt is turned off only after the core's delay (`vblank_offdelay`), not at once.
//!
//! C header: [`include/drm/drm_vblank.h`](srctree/include/drm/drm_vblank.h)

use super::crtc::DriverCrtc;
use crate::{
    bindings,
    drm::{
        self,
        Registration, //
    },
    prelude::*,
    sync::aref::ARef,
};

/// Where the vblank of a CRTC comes from ([`DriverCrtc::VBLANK`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VblankSource {
    /// A timer at the mode's refresh rate (`DRM_CRTC_VBLANK_TIMER_FUNCS`), for a display
    /// without vertical blanking of its own.
    Timer,
    /// The driver's interrupt: the CRTC implements [`DriverCrtc::enable_vblank`] and
    /// [`DriverCrtc::disable_vblank`] (checked when the driver is built), and the interrupt
    /// handler calls [`VblankHandle::handle`]. Vblank timestamps are taken when the driver
    /// reports them.
    Interrupt,
}

/// What a driver's interrupt handler holds to report the vblanks of one CRTC
/// (`drm_handle_vblank()`).
///
/// A handle can be had once the device is registered, and only for a CRTC whose vblank is
/// the driver's ([`VblankSource::Interrupt`]). It holds a reference to the DRM device, so the
/// CRTC and its vblank bookkeeping live as long as the handle; it can be used from any
/// context, the interrupt handler's included, also after the device was unplugged, but NMI and
/// the CRTCs' [`DriverCrtc::enable_vblank`] and [`DriverCrtc::disable_vblank`]: those run
/// under the core's vblank lock, which a report may take to turn the interrupt off (a
/// deadlock, not memory unsafety).
/// Dropping the last reference to the device may sleep: the last handle is dropped where
/// sleeping is allowed (with the interrupt's registration, for instance).
///
/// # Invariants
///
/// `dev`'s vblank is initialized, and `pipe` is the index of one of its CRTCs, whose vblank
/// is not the timer's.
pub struct VblankHandle<T: drm::Driver> {
    dev: ARef<drm::Device<T>>,
    pipe: u32,
}

impl<T: drm::Driver> VblankHandle<T> {
    /// A handle for the CRTC of index `crtc_index` (see [`Crtc::index`](super::Crtc::index))
    /// of the registered device of `registration`.
    ///
    /// [`EINVAL`] if the device has no such CRTC, or if the CRTC's vblank is the timer's.
    pub fn new(registration: &Registration<'_, T>, crtc_index: u32) -> Result<Self> {
        let dev = registration.device();
        let raw = dev.as_raw();
        // SAFETY: `raw` is a valid DRM device. It was registered, and its vblank initialized
        // before (by `ModeConfig::finish()`, on the thread that registered it, which handed the
        // registration here): `num_crtcs` and the vblank array are not written any more.
        let has_vblank = unsafe { bindings::drm_dev_has_vblank(raw) };
        // SAFETY: As above.
        if !has_vblank || crtc_index >= unsafe { (*raw).num_crtcs } {
            return Err(EINVAL);
        }
        // SAFETY: As above; the device's CRTCs were all created before its registration, and
        // the list is only walked. `crtc_index` fits: it is below `num_crtcs`, a C `int`.
        let crtc = unsafe { bindings::drm_crtc_from_index(raw, crtc_index as c_int) };
        if crtc.is_null() {
            return Err(EINVAL);
        }
        // A CRTC of this abstraction takes vblank from the timer unless its driver's source is
        // the interrupt (see `Crtc::FUNCS`); a CRTC made elsewhere takes a handle only if it
        // does not use the timer either. The timer's function is a C function of the kernel
        // image, with one address.
        //
        // SAFETY: `crtc` is a CRTC of `dev`, which lives as long as `dev`; its functions are set
        // once, when it is created.
        let enable = unsafe { (*(*crtc).funcs).enable_vblank };
        let timer: unsafe extern "C" fn(*mut bindings::drm_crtc) -> c_int =
            bindings::drm_crtc_vblank_helper_enable_vblank_timer;
        if enable.is_none_or(|f| core::ptr::fn_addr_eq(f, timer)) {
            return Err(EINVAL);
        }
        // INVARIANT: The device's vblank is initialized, `crtc_index` is one of its CRTCs', and
        // that CRTC's vblank is not the timer's (it may double-count otherwise, which is wrong
        // but harmless).
        Ok(Self {
            dev: dev.into(),
            pipe: crtc_index,
        })
    }

    /// Reports a vblank of the CRTC: counts it, timestamps it, wakes the waiters and sends
    /// the events that were waiting for it. Returns whether the CRTC's vblank is on (the
    /// core counted it). It may turn the interrupt off ([`DriverCrtc::disable_vblank`]) before
    /// it returns.
    pub fn handle(&self) -> bool {
        // SAFETY: `dev` is a valid DRM device whose vblank is initialized, and `pipe` one of its
        // CRTCs (type invariants); the vblank state lives until the device is released, which
        // the reference in `dev` prevents. The function takes its own locks, with interrupts
        // saved, and can be called from any context but NMI and the vblank callbacks (a
        // deadlock on `vbl_lock` there, see above).
        unsafe { bindings::drm_handle_vblank(self.dev.as_raw(), self.pipe) }
    }

    /// The index of the CRTC whose vblank this handle reports.
    pub fn crtc_index(&self) -> u32 {
        self.pipe
    }
}

/// Makes sure at build time that a CRTC of `T` whose vblank is the driver's has the callbacks
/// that turn it on and off, and that one whose vblank is the timer's has neither (they would
/// never be called).
pub(crate) const fn check_source<T: DriverCrtc>() {
    match T::VBLANK {
        VblankSource::Interrupt => assert!(
            T::HAS_ENABLE_VBLANK && T::HAS_DISABLE_VBLANK,
            "a CRTC with VblankSource::Interrupt implements enable_vblank and disable_vblank"
        ),
        VblankSource::Timer => assert!(
            !T::HAS_ENABLE_VBLANK && !T::HAS_DISABLE_VBLANK,
            "enable_vblank and disable_vblank are for a CRTC with VblankSource::Interrupt"
        ),
    }
}
