// SPDX-License-Identifier: GPL-2.0

//! CRTCs: the scanout engines that blend planes into a video mode.
//!
//! Every CRTC of this abstraction signals vblank from a timer at the mode's refresh rate
//! (`DRM_CRTC_VBLANK_TIMER_FUNCS`), and the abstraction handles vblank around the driver's
//! callbacks: it turns vblank on after [`DriverCrtc::atomic_enable`], off before
//! [`DriverCrtc::atomic_disable`], and sends or arms the commit's event at the end of each
//! commit. Page flips therefore complete at the next vblank of the timer.
//!
//! C header: [`include/drm/drm_crtc.h`](srctree/include/drm/drm_crtc.h)

use super::{
    atomic::AtomicCommit,
    plane::{
        DriverPlane,
        Plane, //
    },
};
use crate::{
    bindings,
    drm::{
        self,
        kms::ModeConfig, //
    },
    error::to_result,
    prelude::*,
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ptr, //
};

/// The driver's part of a CRTC: its data, and what it does in a commit.
pub trait DriverCrtc: Send + Sync + Sized + 'static {
    /// The driver of the CRTC's device.
    type Driver: drm::Driver;

    /// Sets the CRTC's new mode, `width` x `height` pixels, before its planes are updated.
    fn mode_set_nofb(_crtc: &Crtc<Self>, _width: u32, _height: u32) {}

    /// Turns the CRTC on, after its mode is set and before vblank starts.
    fn atomic_enable(_crtc: &Crtc<Self>, _commit: &AtomicCommit<'_, Self::Driver>) {}

    /// Turns the CRTC off, after vblank stopped.
    fn atomic_disable(_crtc: &Crtc<Self>, _commit: &AtomicCommit<'_, Self::Driver>) {}

    /// Completes a commit, after its planes were updated and before its event is armed.
    fn atomic_flush(_crtc: &Crtc<Self>, _commit: &AtomicCommit<'_, Self::Driver>) {}
}

/// A CRTC of a device of driver `T::Driver`, with the driver's data `T`.
///
/// # Invariants
///
/// - `crtc` is an initialized `struct drm_crtc` whose functions are `Self::FUNCS` and whose
///   helper functions are `Self::HELPER_FUNCS`, from the end of [`Crtc::new`] until its
///   `destroy` callback, which frees `self`.
/// - `self` lives in a `KBox` that the `destroy` callback owns.
#[repr(C)]
#[pin_data]
pub struct Crtc<T: DriverCrtc> {
    crtc: Opaque<bindings::drm_crtc>,
    #[pin]
    data: T,
}

// SAFETY: The C side of a CRTC is protected by the DRM core's locks, and `T` is `Send`.
unsafe impl<T: DriverCrtc> Send for Crtc<T> {}
// SAFETY: As above, and `T` is `Sync`.
unsafe impl<T: DriverCrtc> Sync for Crtc<T> {}

impl<T: DriverCrtc> Crtc<T> {
    const FUNCS: bindings::drm_crtc_funcs = bindings::drm_crtc_funcs {
        reset: Some(bindings::drm_atomic_helper_crtc_reset),
        destroy: Some(Self::destroy_callback),
        set_config: Some(bindings::drm_atomic_helper_set_config),
        page_flip: Some(bindings::drm_atomic_helper_page_flip),
        atomic_duplicate_state: Some(bindings::drm_atomic_helper_crtc_duplicate_state),
        atomic_destroy_state: Some(bindings::drm_atomic_helper_crtc_destroy_state),
        enable_vblank: Some(bindings::drm_crtc_vblank_helper_enable_vblank_timer),
        disable_vblank: Some(bindings::drm_crtc_vblank_helper_disable_vblank_timer),
        get_vblank_timestamp: Some(
            bindings::drm_crtc_vblank_helper_get_vblank_timestamp_from_timer,
        ),
        ..pin_init::zeroed()
    };

    const HELPER_FUNCS: bindings::drm_crtc_helper_funcs = bindings::drm_crtc_helper_funcs {
        mode_valid: Some(Self::mode_valid_callback),
        mode_set_nofb: Some(Self::mode_set_nofb_callback),
        atomic_flush: Some(Self::atomic_flush_callback),
        atomic_enable: Some(Self::atomic_enable_callback),
        atomic_disable: Some(Self::atomic_disable_callback),
        ..pin_init::zeroed()
    };

    /// Creates a CRTC on `mode_config` with `data`, that shows `primary` and, if given,
    /// `cursor`.
    ///
    /// The planes must be planes of the same device: [`EINVAL`] otherwise. The CRTC lives
    /// until the device is released.
    pub fn new<'a, P: DriverPlane<Driver = T::Driver>>(
        mode_config: &ModeConfig<'a, T::Driver>,
        primary: &'a Plane<P>,
        cursor: Option<&'a Plane<P>>,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self> {
        // Two devices of the same driver have planes of the same type; the core would link
        // the CRTC into one device's lists and the planes into the other's.
        let dev = mode_config.as_raw();
        if primary.device_raw() != dev || cursor.is_some_and(|c| c.device_raw() != dev) {
            return Err(EINVAL);
        }
        let new = KBox::pin_init(
            try_pin_init!(Self {
                crtc: Opaque::zeroed(),
                data <- data,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: The CRTC is not initialized yet; we never move out of the box.
        let this = KBox::into_raw(unsafe { Pin::into_inner_unchecked(new) });
        // SAFETY: `this` is valid, from `KBox::into_raw()` above.
        let raw = unsafe { (*this).crtc.get() };

        // SAFETY: `dev` is a valid device that is not registered yet and only this thread uses,
        // with an initialized mode configuration (type invariant of `ModeConfig`). `raw` is
        // zeroed and fixed in memory until `destroy_callback` frees it. The planes are planes of
        // `dev` (checked above). A null name makes the core name the CRTC.
        let ret = unsafe {
            bindings::drm_crtc_init_with_planes(
                dev,
                raw,
                primary.as_raw(),
                cursor.map_or(ptr::null_mut(), |c| c.as_raw()),
                &Self::FUNCS,
                ptr::null(),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: The CRTC was not added to the device, so `this` is still ours alone.
            drop(unsafe { KBox::from_raw(this) });
            return Err(e);
        }
        // SAFETY: `raw` is an initialized CRTC with no helper functions yet.
        unsafe { bindings::drm_crtc_helper_add(raw, &Self::HELPER_FUNCS) };
        // INVARIANT: The CRTC is initialized with `FUNCS` and `HELPER_FUNCS`, and
        // `destroy_callback` frees the box.
        // SAFETY: The CRTC lives until the device is released, which the device reference of
        // `mode_config` (for `'a`) outlives.
        Ok(unsafe { &*this })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_crtc {
        self.crtc.get()
    }

    /// # Safety
    ///
    /// `ptr` must be the `crtc` of a live `Crtc<T>`, and stay so for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::drm_crtc) -> &'a Self {
        // SAFETY: By the safety requirements, `ptr` is embedded in a `Self`.
        unsafe { &*crate::container_of!(Opaque::cast_from(ptr), Self, crtc) }
    }

    /// The driver's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The index of the CRTC in its device.
    pub fn index(&self) -> u32 {
        // SAFETY: `crtc` is initialized (type invariants).
        unsafe { bindings::drm_crtc_index(self.as_raw()) }
    }

    /// The CRTC as a mask of CRTC indices, for `possible_crtcs`.
    pub fn mask(&self) -> u32 {
        1 << self.index()
    }

    /// The DRM device the CRTC belongs to.
    pub fn drm_device(&self) -> &drm::Device<T::Driver> {
        // SAFETY: `crtc` is initialized (type invariants); the device outlives its CRTCs, and
        // it is a device of driver `T::Driver`.
        unsafe { drm::Device::from_raw((*self.as_raw()).dev) }
    }

    /// # Safety
    ///
    /// `crtc` must be a CRTC of `Self` that the DRM core releases: it is not used again, and its
    /// `KBox` is not freed elsewhere.
    unsafe extern "C" fn destroy_callback(crtc: *mut bindings::drm_crtc) {
        // SAFETY: The DRM core calls this once, when the device is released, with a CRTC of
        // `Self`, so `crtc` is embedded in a `Self`. The pointer is derived from the raw one,
        // not from a shared reference, since it frees the box.
        let this = unsafe { crate::container_of!(Opaque::cast_from(crtc), Self, crtc) }.cast_mut();
        // SAFETY: `crtc` is initialized, and no longer used after this.
        unsafe { bindings::drm_crtc_cleanup(crtc) };
        // SAFETY: `this` came from `KBox::into_raw()` in `new()`, and the C side let go of it.
        drop(unsafe { KBox::from_raw(this) });
    }

    /// # Safety
    ///
    /// `mode` must be a valid mode that nothing changes during the call.
    unsafe extern "C" fn mode_valid_callback(
        _crtc: *mut bindings::drm_crtc,
        mode: *const bindings::drm_display_mode,
    ) -> bindings::drm_mode_status {
        // SAFETY: The helpers call this with a valid mode, which nobody changes meanwhile.
        let mode = unsafe { &*mode };
        if timer_can_emulate(mode.clock, mode.htotal, mode.vtotal) {
            bindings::drm_mode_status_MODE_OK
        } else {
            bindings::drm_mode_status_MODE_CLOCK_RANGE
        }
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, whose mode nothing changes during the call.
    unsafe extern "C" fn mode_set_nofb_callback(crtc: *mut bindings::drm_crtc) {
        // SAFETY: The helpers call this with a CRTC of `Self`, during the commit that set its
        // mode, which nothing else changes meanwhile.
        let (this, mode) = unsafe { (Self::from_raw(crtc), &(*crtc).mode) };
        T::mode_set_nofb(this, mode.hdisplay.into(), mode.vdisplay.into());
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, and `commit` the commit of its device being applied.
    unsafe extern "C" fn atomic_enable_callback(
        crtc: *mut bindings::drm_crtc,
        commit: *mut bindings::drm_atomic_commit,
    ) {
        // SAFETY: The helpers call this with a CRTC of `Self` and the commit being applied.
        let (this, c) = unsafe { (Self::from_raw(crtc), AtomicCommit::from_raw(commit)) };
        T::atomic_enable(this, &c);
        // SAFETY: As above; the CRTC has a mode, so the timer has a period.
        unsafe { bindings::drm_crtc_vblank_atomic_enable(crtc, commit) };
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, and `commit` the commit of its device being applied.
    unsafe extern "C" fn atomic_disable_callback(
        crtc: *mut bindings::drm_crtc,
        commit: *mut bindings::drm_atomic_commit,
    ) {
        // SAFETY: As for `atomic_enable_callback`. Turning vblank off sends any event still
        // pending.
        unsafe { bindings::drm_crtc_vblank_atomic_disable(crtc, commit) };
        // SAFETY: As above.
        let (this, c) = unsafe { (Self::from_raw(crtc), AtomicCommit::from_raw(commit)) };
        T::atomic_disable(this, &c);
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, and `commit` the commit of its device being applied.
    unsafe extern "C" fn atomic_flush_callback(
        crtc: *mut bindings::drm_crtc,
        commit: *mut bindings::drm_atomic_commit,
    ) {
        // SAFETY: As for `atomic_enable_callback`.
        let (this, c) = unsafe { (Self::from_raw(crtc), AtomicCommit::from_raw(commit)) };
        T::atomic_flush(this, &c);
        // SAFETY: As above. The helper takes the commit's event under the event lock, and
        // arms it for the next vblank, or sends it now if vblank is off.
        unsafe { bindings::drm_crtc_vblank_atomic_flush(crtc, commit) };
    }
}

/// The shortest frame the vblank timer emulates: 1 ms (1000 Hz).
const MIN_FRAME_NS: i64 = 1_000_000;
/// The longest frame the vblank timer emulates: 1 s (1 Hz).
const MAX_FRAME_NS: i64 = 1_000_000_000;

/// Whether the vblank timer can pace a mode of pixel clock `clock` (kHz) and `htotal` x
/// `vtotal` pixels per frame.
///
/// The DRM core computes a frame's size in pixels as a C `int`, and the timer's period from
/// it and the clock: a mode whose frame does not fit, or whose frames would come faster than
/// 1000 Hz or slower than 1 Hz, is one the timer cannot pace, and vblank waits on it would
/// time out.
fn timer_can_emulate(clock: c_int, htotal: u16, vtotal: u16) -> bool {
    let frame = i64::from(htotal) * i64::from(vtotal);
    if clock <= 0 || frame == 0 || frame > i64::from(c_int::MAX) {
        return false;
    }
    let frame_ns = frame * 1_000_000 / i64::from(clock);
    (MIN_FRAME_NS..=MAX_FRAME_NS).contains(&frame_ns)
}

/// The state of a CRTC of a device of driver `T`.
///
/// # Invariants
///
/// `state` is a valid `struct drm_crtc_state` of a device of driver `T`, not changed while a
/// `&CrtcState` exists.
#[repr(transparent)]
pub struct CrtcState<T: drm::Driver> {
    state: Opaque<bindings::drm_crtc_state>,
    _driver: PhantomData<T>,
}

impl<T: drm::Driver> CrtcState<T> {
    /// # Safety
    ///
    /// `ptr` must be a valid CRTC state of a device of driver `T`, not changed for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::drm_crtc_state) -> &'a Self {
        // SAFETY: `Self` is a transparent wrapper of `drm_crtc_state`.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> &bindings::drm_crtc_state {
        // SAFETY: `state` is valid and not changed meanwhile (type invariants).
        unsafe { &*self.state.get() }
    }

    /// Whether the CRTC is on.
    pub fn active(&self) -> bool {
        self.raw().active
    }

    /// Whether the commit changes the CRTC's mode, or turns it on or off.
    pub fn needs_modeset(&self) -> bool {
        // SAFETY: `state` is valid (type invariants).
        unsafe { bindings::drm_atomic_crtc_needs_modeset(self.state.get()) }
    }

    /// The mode's width and height in pixels.
    pub fn mode(&self) -> (u32, u32) {
        let mode = &self.raw().mode;
        (u32::from(mode.hdisplay), u32::from(mode.vdisplay))
    }
}

#[kunit_tests(rust_drm_kms_crtc)]
mod tests {
    use super::*;

    #[test]
    fn timer_paces_usual_modes() {
        // 1920x1080@60 (CEA), 1024x768@60 (VESA), 640x480@60.
        assert!(timer_can_emulate(148_500, 2200, 1125));
        assert!(timer_can_emulate(65_000, 1344, 806));
        assert!(timer_can_emulate(25_175, 800, 525));
    }

    #[test]
    fn timer_rejects_what_it_cannot_pace() {
        // A clock of INT_MAX kHz: about 1.5 MHz at 1680x831.
        assert!(!timer_can_emulate(c_int::MAX, 1680, 831));
        // A frame whose size overflows a C int.
        assert!(!timer_can_emulate(c_int::MAX, u16::MAX, u16::MAX));
        // Less than one frame a second, and nonsense.
        assert!(!timer_can_emulate(1, 1680, 831));
        assert!(!timer_can_emulate(0, 1680, 831));
        assert!(!timer_can_emulate(-1, 1680, 831));
        assert!(!timer_can_emulate(65_000, 0, 806));
    }
}
