// SPDX-License-Identifier: GPL-2.0

//! CRTCs: the scanout engines that blend planes into a video mode.
//!
//! A CRTC signals vblank from a timer at the mode's refresh rate
//! (`DRM_CRTC_VBLANK_TIMER_FUNCS`), which suits virtual displays, or from the driver's
//! interrupt ([`DriverCrtc::VBLANK`]). The abstraction handles vblank around the driver's
//! callbacks: it turns vblank on after [`DriverCrtc::atomic_enable`], off before
//! [`DriverCrtc::atomic_disable`], and sends or arms the commit's event at the end of each
//! commit. Page flips therefore complete at the next vblank.
//!
//! C header: [`include/drm/drm_crtc.h`](srctree/include/drm/drm_crtc.h)

use super::{
    atomic::AtomicCommit,
    plane::{
        CursorPlane,
        DriverPlane,
        Plane,
        PrimaryPlane, //
    },
    state::{
        DriverState,
        Subclassed, //
    },
    vblank::{
        self,
        VblankSource, //
    },
};
use crate::{
    bindings,
    drm::{
        self,
        kms::ModeConfig, //
    },
    error::{
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    prelude::*,
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ops::Deref,
    ptr, //
};

/// Whether a mode can be used (`enum drm_mode_status`, the values drivers return).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeStatus {
    /// The mode can be used.
    Ok,
    /// The pixel clock is too high.
    ClockHigh,
    /// The pixel clock is too low.
    ClockLow,
    /// The pixel clock is out of the range the CRTC supports.
    ClockRange,
    /// The mode cannot be used, for another reason.
    Bad,
}

impl ModeStatus {
    fn to_raw(self) -> bindings::drm_mode_status {
        match self {
            Self::Ok => bindings::drm_mode_status_MODE_OK,
            Self::ClockHigh => bindings::drm_mode_status_MODE_CLOCK_HIGH,
            Self::ClockLow => bindings::drm_mode_status_MODE_CLOCK_LOW,
            Self::ClockRange => bindings::drm_mode_status_MODE_CLOCK_RANGE,
            Self::Bad => bindings::drm_mode_status_MODE_BAD,
        }
    }
}

/// A display mode (`struct drm_display_mode`): the timings of a video signal, read-only.
///
/// Sizes are in pixels and lines, the clock in kHz.
///
/// # Invariants
///
/// `mode` is a valid mode that nobody changes while a `&DisplayMode` to it exists.
#[repr(transparent)]
pub struct DisplayMode {
    mode: Opaque<bindings::drm_display_mode>,
}

impl DisplayMode {
    /// # Safety
    ///
    /// `ptr` must be a valid mode that nobody changes for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::drm_display_mode) -> &'a Self {
        // SAFETY: `Self` is a transparent wrapper of `drm_display_mode`.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> &bindings::drm_display_mode {
        // SAFETY: `mode` is valid and not changed meanwhile (type invariants).
        unsafe { &*self.mode.get() }
    }

    /// Pixels shown per line (`hdisplay`).
    pub fn hdisplay(&self) -> u32 {
        self.raw().hdisplay.into()
    }

    /// Lines shown per frame (`vdisplay`).
    pub fn vdisplay(&self) -> u32 {
        self.raw().vdisplay.into()
    }

    /// Start of the horizontal sync pulse, in pixels from the start of the line.
    pub fn hsync_start(&self) -> u32 {
        self.raw().hsync_start.into()
    }

    /// End of the horizontal sync pulse.
    pub fn hsync_end(&self) -> u32 {
        self.raw().hsync_end.into()
    }

    /// Pixels per line, blanking included (`htotal`).
    pub fn htotal(&self) -> u32 {
        self.raw().htotal.into()
    }

    /// Start of the vertical sync pulse, in lines from the start of the frame.
    pub fn vsync_start(&self) -> u32 {
        self.raw().vsync_start.into()
    }

    /// End of the vertical sync pulse.
    pub fn vsync_end(&self) -> u32 {
        self.raw().vsync_end.into()
    }

    /// Lines per frame, blanking included (`vtotal`).
    pub fn vtotal(&self) -> u32 {
        self.raw().vtotal.into()
    }

    /// The pixel clock in kHz; 0 for a mode without one.
    pub fn clock(&self) -> u32 {
        self.raw().clock.try_into().unwrap_or(0)
    }

    /// The `DRM_MODE_FLAG_*` bits: sync polarities, interlace, double scan.
    pub fn flags(&self) -> u32 {
        self.raw().flags
    }

    /// The refresh rate in Hz, rounded (`drm_mode_vrefresh()`); 0 for a mode without timings.
    pub fn vrefresh(&self) -> u32 {
        // SAFETY: `mode` is valid (type invariants); the helper only reads it.
        let hz = unsafe { bindings::drm_mode_vrefresh(self.mode.get()) };
        hz.try_into().unwrap_or(0)
    }
}

/// The driver's part of a CRTC: its data, its state's data, and what it does in a commit
/// (`struct drm_crtc_helper_funcs`).
///
/// The optional callbacks that a driver does not implement are not called; the abstraction's
/// vblank handling around `atomic_enable`, `atomic_disable` and `atomic_flush` is always
/// there.
#[vtable]
pub trait DriverCrtc: Send + Sync + Sized + 'static {
    /// The driver of the CRTC's device.
    type Driver: drm::Driver;

    /// The driver's data in each of the CRTC's states.
    type State: DriverState;

    /// Where the CRTC's vblank comes from: the timer unless the driver says otherwise.
    const VBLANK: VblankSource = VblankSource::Timer;

    /// Turns the CRTC's vblank interrupt on (`enable_vblank`), for a CRTC whose source is
    /// [`VblankSource::Interrupt`], which must implement it. Called with the core's vblank
    /// lock held and interrupts off: it must not sleep.
    fn enable_vblank(_crtc: &Crtc<Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Turns the CRTC's vblank interrupt off (`disable_vblank`), for a CRTC whose source is
    /// [`VblankSource::Interrupt`], which must implement it. Called as `enable_vblank` is.
    fn disable_vblank(_crtc: &Crtc<Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Tells whether the CRTC can show `mode` (`mode_valid`). On a CRTC whose vblank is the
    /// timer's, modes the timer cannot pace are rejected before this is asked.
    fn mode_valid(_crtc: &Crtc<Self>, _mode: &DisplayMode) -> ModeStatus {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Checks the CRTC's new state `new`, which replaces `old`, in `commit`, after its planes'
    /// checks, and computes what the commit will need into its data (`atomic_check`).
    ///
    /// `commit` does not hand out `new` again while the driver holds it.
    fn atomic_check(
        _crtc: &Crtc<Self>,
        _new: &mut CrtcState<Self>,
        _old: &CrtcState<Self>,
        _commit: &AtomicCommit<'_, Self::Driver>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets the CRTC's new mode, `state.mode()`, before its planes are updated
    /// (`mode_set_nofb`), in a commit that changes the mode or the connectors of an enabled
    /// CRTC. `state` is the CRTC's new, current state.
    fn mode_set_nofb(_crtc: &Crtc<Self>, _state: &CrtcState<Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Turns the CRTC on, after its mode is set and before vblank starts.
    fn atomic_enable(_crtc: &Crtc<Self>, _commit: &AtomicCommit<'_, Self::Driver>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Turns the CRTC off, after vblank stopped: in a modeset of a CRTC that was on.
    fn atomic_disable(_crtc: &Crtc<Self>, _commit: &AtomicCommit<'_, Self::Driver>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Completes a commit, after its planes were updated and before its event is armed.
    fn atomic_flush(_crtc: &Crtc<Self>, _commit: &AtomicCommit<'_, Self::Driver>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
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
        reset: Some(Self::reset_callback),
        destroy: Some(Self::destroy_callback),
        set_config: Some(bindings::drm_atomic_helper_set_config),
        page_flip: Some(bindings::drm_atomic_helper_page_flip),
        atomic_duplicate_state: Some(Self::duplicate_state_callback),
        atomic_destroy_state: Some(Self::destroy_state_callback),
        enable_vblank: match T::VBLANK {
            VblankSource::Timer => Some(bindings::drm_crtc_vblank_helper_enable_vblank_timer),
            VblankSource::Interrupt => Some(Self::enable_vblank_callback),
        },
        disable_vblank: match T::VBLANK {
            VblankSource::Timer => Some(bindings::drm_crtc_vblank_helper_disable_vblank_timer),
            VblankSource::Interrupt => Some(Self::disable_vblank_callback),
        },
        // Without it, the core timestamps each vblank when the driver reports it.
        get_vblank_timestamp: match T::VBLANK {
            VblankSource::Timer => {
                Some(bindings::drm_crtc_vblank_helper_get_vblank_timestamp_from_timer)
            }
            VblankSource::Interrupt => None,
        },
        ..{
            vblank::check_source::<T>();
            pin_init::zeroed()
        }
    };

    const HELPER_FUNCS: bindings::drm_crtc_helper_funcs = bindings::drm_crtc_helper_funcs {
        mode_valid: Some(Self::mode_valid_callback),
        mode_set_nofb: if T::HAS_MODE_SET_NOFB {
            Some(Self::mode_set_nofb_callback)
        } else {
            None
        },
        atomic_check: if T::HAS_ATOMIC_CHECK {
            Some(Self::atomic_check_callback)
        } else {
            None
        },
        atomic_flush: Some(Self::atomic_flush_callback),
        atomic_enable: Some(Self::atomic_enable_callback),
        atomic_disable: Some(Self::atomic_disable_callback),
        ..pin_init::zeroed()
    };

    /// Creates a CRTC on `mode_config` with `data`, that shows `primary`.
    ///
    /// The plane must be one of the same device whose `possible_crtcs` has the new CRTC (the
    /// next index: CRTCs are numbered as they are created): [`EINVAL`] otherwise. The CRTC
    /// lives until the device is released.
    pub fn new<'a, P: DriverPlane<Driver = T::Driver>>(
        mode_config: &ModeConfig<'a, T::Driver>,
        primary: PrimaryPlane<'a, P>,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self> {
        Self::init::<P, P>(mode_config, primary, None, data)
    }

    /// Creates a CRTC on `mode_config` with `data`, that shows `primary` and `cursor`.
    ///
    /// The planes must be planes of the same device whose `possible_crtcs` have the new CRTC:
    /// [`EINVAL`] otherwise, as for [`Crtc::new`]. The CRTC lives until the device is released.
    pub fn new_with_cursor<'a, P, C>(
        mode_config: &ModeConfig<'a, T::Driver>,
        primary: PrimaryPlane<'a, P>,
        cursor: CursorPlane<'a, C>,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self>
    where
        P: DriverPlane<Driver = T::Driver>,
        C: DriverPlane<Driver = T::Driver>,
    {
        Self::init(mode_config, primary, Some(cursor), data)
    }

    /// Creates the CRTC that shows `primary` and `cursor`.
    fn init<'a, P, C>(
        mode_config: &ModeConfig<'a, T::Driver>,
        primary: PrimaryPlane<'a, P>,
        cursor: Option<CursorPlane<'a, C>>,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self>
    where
        P: DriverPlane<Driver = T::Driver>,
        C: DriverPlane<Driver = T::Driver>,
    {
        // Two devices of the same driver have planes of the same type; the core would link
        // the CRTC into one device's lists and the planes into the other's.
        let dev = mode_config.as_raw();
        let (primary, cursor): (&Plane<P>, Option<&Plane<C>>) =
            (primary.plane(), cursor.as_ref().map(CursorPlane::plane));
        if primary.device_raw() != dev || cursor.is_some_and(|c| c.device_raw() != dev) {
            return Err(EINVAL);
        }
        // The new CRTC takes the next index, and its planes must be able to serve it (the core
        // checks it at registration with a `WARN`); the core has room for 32 CRTCs (it would
        // `WARN` too).
        //
        // SAFETY: `dev` has an initialized mode configuration that only this thread uses (type
        // invariant of `ModeConfig`).
        let index = unsafe { (*dev).mode_config.num_crtc };
        let bit = u32::try_from(index)
            .ok()
            .and_then(|index| 1u32.checked_shl(index))
            .ok_or(EINVAL)?;
        // The core gives a plane without CRTCs this one.
        let serves = |possible: u32| possible == 0 || possible & bit != 0;
        if !serves(primary.possible_crtcs()) || cursor.is_some_and(|c| !serves(c.possible_crtcs()))
        {
            return Err(EINVAL);
        }
        let (primary, cursor) = (
            primary.as_raw(),
            cursor.map_or(ptr::null_mut(), Plane::as_raw),
        );
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
        // zeroed and fixed in memory until `destroy_callback` frees it. The planes are a primary
        // plane and a cursor plane (or null) of `dev`, which no other CRTC took (`PrimaryPlane`
        // and `CursorPlane` are moved in). A null name makes the core name the CRTC.
        let ret = unsafe {
            bindings::drm_crtc_init_with_planes(
                dev,
                raw,
                primary,
                cursor,
                &Self::FUNCS,
                ptr::null(),
            )
        };
        if let Err(e) = to_result(ret) {
            // The core fails after adding the CRTC to the device's list too (its CRC setup):
            // then the CRTC is the device's, and `destroy_callback` frees it with the device.
            //
            // SAFETY: `raw` is valid; the core set `head` only if it added the CRTC to the list.
            if unsafe { (*raw).head.next }.is_null() {
                // SAFETY: The CRTC was not added to the device, so `this` is still ours alone.
                drop(unsafe { KBox::from_raw(this) });
            }
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

    /// The raw DRM device the CRTC belongs to.
    pub(crate) fn device_raw(&self) -> *mut bindings::drm_device {
        // SAFETY: `crtc` is initialized (type invariants), and its `dev` is set once, by
        // `drm_crtc_init_with_planes()`.
        unsafe { (*self.as_raw()).dev }
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

    /// The CRTC as a set of CRTCs of its device, for what an encoder can be fed by.
    pub fn mask(&self) -> CrtcMask<'_> {
        // INVARIANT: The bit is this CRTC's, on this CRTC's device, which outlives the borrow.
        CrtcMask {
            dev: self.device_raw(),
            bits: 1 << self.index(),
            _crtcs: PhantomData,
        }
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
    /// `crtc` must be a valid CRTC of `Self`, whose state nothing else uses during the call.
    unsafe extern "C" fn reset_callback(crtc: *mut bindings::drm_crtc) {
        // SAFETY: The only reset is `drm_mode_config_reset()` in `ModeConfig::finish()`, on a
        // device that is not registered yet: nothing else uses the CRTC's state.
        let old = unsafe { (*crtc).state };
        if !old.is_null() {
            // SAFETY: Every state of a CRTC of `Self` is a `CrtcState<T>`; the CRTC lets go of it
            // here.
            unsafe { Self::destroy_state_callback(crtc, old) };
        }
        let new = Subclassed::<_, T::State>::alloc(T::State::default());
        // SAFETY: `crtc` is valid; `new` is a zeroed state that becomes the CRTC's, or null,
        // which leaves the CRTC without a state, as the C helper does when it cannot allocate.
        unsafe { bindings::__drm_atomic_helper_crtc_reset(crtc, new) };
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, locked by the caller.
    unsafe extern "C" fn duplicate_state_callback(
        crtc: *mut bindings::drm_crtc,
    ) -> *mut bindings::drm_crtc_state {
        // SAFETY: `crtc` is valid and locked; its current state is a `CrtcState<T>` or null. Its
        // driver data is only changed through interior mutability any more (only a private new
        // state's is changed otherwise), which `duplicate()` reads through `&`, and the C helper
        // copies the C part into the new, zeroed state and takes references for the copy.
        unsafe {
            Subclassed::<_, T::State>::duplicate((*crtc).state, |new| {
                bindings::__drm_atomic_helper_crtc_duplicate_state(crtc, new)
            })
        }
    }

    /// # Safety
    ///
    /// `state` must be a state of a CRTC of `Self` that nothing uses any more.
    unsafe extern "C" fn destroy_state_callback(
        _crtc: *mut bindings::drm_crtc,
        state: *mut bindings::drm_crtc_state,
    ) {
        // SAFETY: Every state of a CRTC of `Self` is a `CrtcState<T>`; this one is no longer
        // used, and the helper drops the references of its C part.
        unsafe {
            Subclassed::<_, T::State>::free(state, |state| {
                bindings::__drm_atomic_helper_crtc_destroy_state(state)
            })
        }
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`.
    unsafe extern "C" fn enable_vblank_callback(crtc: *mut bindings::drm_crtc) -> c_int {
        // SAFETY: The core calls this with a CRTC of `Self`, which lives as long as its device.
        let this = unsafe { Self::from_raw(crtc) };
        match T::enable_vblank(this) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`.
    unsafe extern "C" fn disable_vblank_callback(crtc: *mut bindings::drm_crtc) {
        // SAFETY: As for `enable_vblank_callback`.
        T::disable_vblank(unsafe { Self::from_raw(crtc) });
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, and `mode` a valid mode that nothing changes
    /// during the call.
    unsafe extern "C" fn mode_valid_callback(
        crtc: *mut bindings::drm_crtc,
        mode: *const bindings::drm_display_mode,
    ) -> bindings::drm_mode_status {
        // SAFETY: The helpers call this with a CRTC of `Self` and a valid mode, which nobody
        // changes meanwhile.
        let (this, mode) = unsafe { (Self::from_raw(crtc), DisplayMode::from_raw(mode)) };
        if matches!(T::VBLANK, VblankSource::Timer) && !timer_can_emulate(mode) {
            return ModeStatus::ClockRange.to_raw();
        }
        if T::HAS_MODE_VALID {
            return T::mode_valid(this, mode).to_raw();
        }
        ModeStatus::Ok.to_raw()
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, and `commit` a commit of its device whose states
    /// only this check uses during the call.
    unsafe extern "C" fn atomic_check_callback(
        crtc: *mut bindings::drm_crtc,
        commit: *mut bindings::drm_atomic_commit,
    ) -> c_int {
        // SAFETY: The helpers call this with a CRTC of `Self` and a commit of its device that
        // includes the CRTC.
        let new = unsafe { bindings::drm_atomic_get_new_crtc_state(commit, crtc) };
        if new.is_null() {
            return EINVAL.to_errno();
        }
        // SAFETY: As above; the old state is in the commit too.
        let old = unsafe { bindings::drm_atomic_get_old_crtc_state(commit, crtc) };
        if old.is_null() {
            return EINVAL.to_errno();
        }
        // SAFETY: As above. The commit view does not hand out the CRTC's new state, so the
        // driver's is the only reference to it during the call; nobody changes the old one.
        let (this, new, old, commit) = unsafe {
            (
                Self::from_raw(crtc),
                CrtcState::from_raw_mut(new),
                CrtcState::from_raw(old),
                AtomicCommit::from_raw_checking(commit, crtc.cast()),
            )
        };
        match T::atomic_check(this, new, old, &commit) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, during the commit that set its mode.
    unsafe extern "C" fn mode_set_nofb_callback(crtc: *mut bindings::drm_crtc) {
        // SAFETY: The helpers call this with a CRTC of `Self` while the commit that made its
        // state current is applied, before that commit's `hw_done`; the next commit's
        // `drm_atomic_helper_swap_state()` waits for that `hw_done`, so the state stays the
        // CRTC's, and its fields read here are not changed meanwhile.
        let (this, state) = unsafe { (Self::from_raw(crtc), CrtcState::from_raw((*crtc).state)) };
        T::mode_set_nofb(this, state);
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, and `commit` the commit of its device being applied.
    unsafe extern "C" fn atomic_enable_callback(
        crtc: *mut bindings::drm_crtc,
        commit: *mut bindings::drm_atomic_commit,
    ) {
        if T::HAS_ATOMIC_ENABLE {
            // SAFETY: The helpers call this with a CRTC of `Self` and the commit being applied.
            let (this, c) = unsafe { (Self::from_raw(crtc), AtomicCommit::from_raw(commit)) };
            T::atomic_enable(this, &c);
        }
        // SAFETY: As above; the CRTC has a mode, so a timer has a period.
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
        if T::HAS_ATOMIC_DISABLE {
            // SAFETY: As above.
            let (this, c) = unsafe { (Self::from_raw(crtc), AtomicCommit::from_raw(commit)) };
            T::atomic_disable(this, &c);
        }
    }

    /// # Safety
    ///
    /// `crtc` must be a valid CRTC of `Self`, and `commit` the commit of its device being applied.
    unsafe extern "C" fn atomic_flush_callback(
        crtc: *mut bindings::drm_crtc,
        commit: *mut bindings::drm_atomic_commit,
    ) {
        if T::HAS_ATOMIC_FLUSH {
            // SAFETY: As for `atomic_enable_callback`.
            let (this, c) = unsafe { (Self::from_raw(crtc), AtomicCommit::from_raw(commit)) };
            T::atomic_flush(this, &c);
        }
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
fn timer_can_emulate(mode: &DisplayMode) -> bool {
    let mode = mode.raw();
    timer_can_pace(mode.clock, mode.htotal, mode.vtotal)
}

/// Whether the vblank timer can pace `clock` (kHz) at `htotal` x `vtotal`: see
/// [`timer_can_emulate`].
fn timer_can_pace(clock: c_int, htotal: u16, vtotal: u16) -> bool {
    let frame = i64::from(htotal) * i64::from(vtotal);
    if clock <= 0 || frame == 0 || frame > i64::from(c_int::MAX) {
        return false;
    }
    let frame_ns = frame * 1_000_000 / i64::from(clock);
    (MIN_FRAME_NS..=MAX_FRAME_NS).contains(&frame_ns)
}

/// The state of a CRTC of a device of driver `T`, whatever the CRTC's type: the C part of
/// its state (`struct drm_crtc_state`), as a plane sees its CRTC's.
///
/// # Invariants
///
/// `state` is a valid `struct drm_crtc_state` of a device of driver `T`. While a
/// `&OpaqueCrtcState` exists, nobody changes its fields but `event` and `commit`, which the
/// previous commit's tail may still clear on the CRTC's current state, and which this view
/// never reads.
#[repr(transparent)]
pub struct OpaqueCrtcState<T: drm::Driver> {
    state: Opaque<bindings::drm_crtc_state>,
    _driver: PhantomData<T>,
}

impl<T: drm::Driver> OpaqueCrtcState<T> {
    /// # Safety
    ///
    /// `ptr` must be a valid CRTC state of a device of driver `T`, not changed for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::drm_crtc_state) -> &'a Self {
        // SAFETY: `Self` is a transparent wrapper of `drm_crtc_state`.
        unsafe { &*ptr.cast() }
    }

    /// Whether the CRTC is on.
    pub fn active(&self) -> bool {
        // SAFETY: `state` is valid and `active` is not changed meanwhile (type invariants); the
        // field is read alone, without a reference to the whole state.
        unsafe { (*self.state.get()).active }
    }

    /// Whether the CRTC has a mode and planes, on or not (`enable`).
    pub fn enable(&self) -> bool {
        // SAFETY: As for `active()`.
        unsafe { (*self.state.get()).enable }
    }

    /// Whether the commit changes the CRTC's mode, or turns it on or off
    /// (`drm_atomic_crtc_needs_modeset()`).
    pub fn needs_modeset(&self) -> bool {
        // SAFETY: `state` is valid (type invariants).
        unsafe { bindings::drm_atomic_crtc_needs_modeset(self.state.get()) }
    }

    /// The CRTC's mode.
    pub fn mode(&self) -> &DisplayMode {
        // SAFETY: The mode is part of the state, valid and not changed while `self` is.
        unsafe { DisplayMode::from_raw(&raw const (*self.state.get()).mode) }
    }
}

/// A state of a CRTC with the driver's data `T`: `struct drm_crtc_state`, and the driver's
/// [`DriverCrtc::State`]. Its C part is an [`OpaqueCrtcState`], which it dereferences to.
///
/// # Invariants
///
/// - Its C state is a valid `struct drm_crtc_state` of a CRTC of `T`, in a box that the CRTC's
///   `atomic_destroy_state` callback frees.
/// - While a `&CrtcState` exists, nobody changes the driver's data but through interior
///   mutability (atomics, [`TakeOnce`](super::TakeOnce)), nor the C fields but those an
///   [`OpaqueCrtcState`] never reads. A `&mut CrtcState` is the only reference to the
///   state, which is private to its commit.
#[repr(transparent)]
pub struct CrtcState<T: DriverCrtc>(Subclassed<bindings::drm_crtc_state, T::State>);

impl<T: DriverCrtc> CrtcState<T> {
    /// # Safety
    ///
    /// `ptr` must be a valid state of a CRTC of `T`, not changed for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::drm_crtc_state) -> &'a Self {
        // SAFETY: Every state of a CRTC of `T` is a `Subclassed` whose pointer is its C state's,
        // and `Self` is a transparent wrapper of it.
        unsafe { &*ptr.cast() }
    }

    /// # Safety
    ///
    /// `ptr` must be a valid state of a CRTC of `T`, used by nobody else for `'a`.
    pub(crate) unsafe fn from_raw_mut<'a>(ptr: *mut bindings::drm_crtc_state) -> &'a mut Self {
        // SAFETY: As for `from_raw()`; nobody else uses the state for `'a`.
        unsafe { &mut *ptr.cast() }
    }

    /// The driver's data in this state.
    pub fn data(&self) -> &T::State {
        &self.0.data
    }

    /// The driver's data in this state, while the state is the driver's alone: in the CRTC's
    /// `atomic_check`.
    pub fn data_mut(&mut self) -> &mut T::State {
        &mut self.0.data
    }
}

impl<T: DriverCrtc> Deref for CrtcState<T> {
    type Target = OpaqueCrtcState<T::Driver>;

    fn deref(&self) -> &Self::Target {
        // SAFETY: `state` is a valid CRTC state of a device of driver `T::Driver`, not changed
        // while `self` is borrowed (type invariants).
        unsafe { OpaqueCrtcState::from_raw(self.0.state.get()) }
    }
}

/// A set of CRTCs of one device: the CRTCs that can feed an encoder.
///
/// Made from CRTCs ([`Crtc::mask`]) and joined with `|`, so it only names CRTCs that exist, for
/// as long as the CRTCs are borrowed. Joining the CRTCs of two devices gives a set that
/// [`Encoder::new`] refuses.
///
/// [`Encoder::new`]: super::Encoder::new
///
/// # Invariants
///
/// If `dev` is not null, it is a DRM device that lives for `'a`, and every bit of `bits` is the
/// index of one of its CRTCs.
#[derive(Clone, Copy)]
pub struct CrtcMask<'a> {
    dev: *const bindings::drm_device,
    bits: u32,
    _crtcs: PhantomData<&'a ()>,
}

impl CrtcMask<'_> {
    /// The CRTCs as a mask of CRTC indices on `dev`, if they are CRTCs of `dev`.
    pub(crate) fn bits_on(self, dev: *const bindings::drm_device) -> Option<u32> {
        (!self.dev.is_null() && self.dev == dev).then_some(self.bits)
    }
}

impl<'a> core::ops::BitOr for CrtcMask<'a> {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        if self.dev == other.dev {
            // INVARIANT: Both sets are CRTCs of the same device, or `dev` is null.
            Self {
                bits: self.bits | other.bits,
                ..self
            }
        } else {
            // INVARIANT: A null device names no device; `bits_on` refuses it.
            Self {
                dev: ptr::null(),
                bits: 0,
                _crtcs: PhantomData,
            }
        }
    }
}

/// Only the CRTC indices: the device's address is not for logs.
impl core::fmt::Debug for CrtcMask<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("CrtcMask").field(&self.bits).finish()
    }
}

#[kunit_tests(rust_drm_kms_crtc)]
mod tests {
    use super::*;

    #[test]
    fn masks_of_two_devices_name_no_crtc() {
        let (one, two) = (0u64, 0u64);
        let a: *const bindings::drm_device = ptr::from_ref(&one).cast();
        let b: *const bindings::drm_device = ptr::from_ref(&two).cast();
        // Masks on two stand-in devices: no real CRTCs, so only `bits_on` may look at them.
        let mask = |dev, bits| CrtcMask {
            dev,
            bits,
            _crtcs: PhantomData,
        };
        assert_eq!((mask(a, 1) | mask(a, 4)).bits_on(a), Some(5));
        assert_eq!((mask(a, 1) | mask(a, 4)).bits_on(b), None);
        let mixed = mask(a, 1) | mask(b, 2);
        assert_eq!((mixed.bits_on(a), mixed.bits_on(b)), (None, None));
        // Once mixed, no CRTC of either device makes it whole again.
        assert_eq!((mixed | mask(a, 1)).bits_on(a), None);
    }

    #[test]
    fn timer_paces_usual_modes() {
        // 1920x1080@60 (CEA), 1024x768@60 (VESA), 640x480@60.
        assert!(timer_can_pace(148_500, 2200, 1125));
        assert!(timer_can_pace(65_000, 1344, 806));
        assert!(timer_can_pace(25_175, 800, 525));
    }

    #[test]
    fn modes_read_unsigned() {
        // 1920x1080@60 (CEA-861 VIC 16).
        let mut raw: bindings::drm_display_mode = pin_init::zeroed();
        raw.clock = 148_500;
        (raw.hdisplay, raw.hsync_start, raw.hsync_end, raw.htotal) = (1920, 2008, 2052, 2200);
        (raw.vdisplay, raw.vsync_start, raw.vsync_end, raw.vtotal) = (1080, 1084, 1089, 1125);
        // SAFETY: `raw` is a valid mode that nothing changes while `mode` is used.
        let mode = unsafe { DisplayMode::from_raw(&raw) };
        assert_eq!((mode.hdisplay(), mode.vdisplay()), (1920, 1080));
        assert_eq!((mode.htotal(), mode.vtotal()), (2200, 1125));
        assert_eq!((mode.hsync_start(), mode.vsync_end()), (2008, 1089));
        assert_eq!((mode.clock(), mode.vrefresh()), (148_500, 60));
        assert!(timer_can_emulate(mode));

        // A negative clock reads as no clock, and a mode without timings has no refresh rate.
        raw.clock = -1;
        // SAFETY: As above.
        let mode = unsafe { DisplayMode::from_raw(&raw) };
        assert_eq!(mode.clock(), 0);
        assert!(!timer_can_emulate(mode));
        let raw: bindings::drm_display_mode = pin_init::zeroed();
        // SAFETY: As above.
        assert_eq!(unsafe { DisplayMode::from_raw(&raw) }.vrefresh(), 0);
    }

    #[test]
    fn timer_rejects_what_it_cannot_pace() {
        // A clock of INT_MAX kHz: about 1.5 MHz at 1680x831.
        assert!(!timer_can_pace(c_int::MAX, 1680, 831));
        // A frame whose size overflows a C int.
        assert!(!timer_can_pace(c_int::MAX, u16::MAX, u16::MAX));
        // Less than one frame a second, and nonsense.
        assert!(!timer_can_pace(1, 1680, 831));
        assert!(!timer_can_pace(0, 1680, 831));
        assert!(!timer_can_pace(-1, 1680, 831));
        assert!(!timer_can_pace(65_000, 0, 806));
    }
}
