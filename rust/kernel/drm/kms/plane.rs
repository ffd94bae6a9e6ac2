// SPDX-License-Identifier: GPL-2.0

//! Planes: the image sources a CRTC blends, each showing part of a framebuffer.
//!
//! C header: [`include/drm/drm_plane.h`](srctree/include/drm/drm_plane.h)

use super::{
    atomic::AtomicCommit,
    framebuffer::Framebuffer,
    state::{
        DriverState,
        Subclassed, //
    },
    Rect, //
};
use crate::{
    bindings,
    drm::{
        self,
        kms::ModeConfig, //
    },
    error::{
        from_err_ptr,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    prelude::*,
    types::Opaque,
};
use core::ptr;

/// The role of a plane (`enum drm_plane_type`), fixed by the constructor that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneType {
    /// The plane a CRTC needs to show anything ([`Plane::new_primary`]).
    Primary,
    /// A small plane for the mouse cursor, which userspace may move at any time
    /// ([`Plane::new_cursor`]).
    Cursor,
    /// Any other plane ([`Plane::new_overlay`]).
    Overlay,
}

/// How a plane is created.
#[derive(Clone, Copy, Debug)]
pub struct PlaneConfig<'a> {
    /// The pixel formats the plane scans out, as fourcc codes.
    pub formats: &'a [u32],
    /// The CRTCs the plane can be used with, as a mask of CRTC indices.
    pub possible_crtcs: u32,
    /// Userspace may tell the driver which parts of the framebuffer changed
    /// (`FB_DAMAGE_CLIPS`).
    pub damage_clips: bool,
    /// The plane blends with premultiplied alpha, and says so in its `pixel blend mode`
    /// property (for planes with formats that have alpha).
    pub premultiplied_alpha: bool,
}

/// Fixed-point 16.16 scale factor of 1, the `min_scale` and `max_scale` of a plane that does
/// not scale (`DRM_PLANE_NO_SCALING`).
pub const NO_SCALING: u32 = 1 << 16;

/// What a plane can do with a framebuffer, for [`PlaneState::check_plane_state`]
/// (`drm_atomic_helper_check_plane_state()`).
#[derive(Clone, Copy, Debug)]
pub struct PlaneLimits {
    /// The smallest source/destination ratio, 16.16 fixed point; [`NO_SCALING`] for none.
    pub min_scale: u32,
    /// The largest source/destination ratio, 16.16 fixed point; [`NO_SCALING`] for none.
    pub max_scale: u32,
    /// The plane may be placed anywhere on the CRTC, partly outside it too; otherwise it
    /// must cover the CRTC exactly.
    pub can_position: bool,
    /// The plane may be updated while its CRTC is off.
    pub can_update_disabled: bool,
}

/// The driver's part of a plane: its data, its state's data, and what it does in a commit
/// (`struct drm_plane_helper_funcs`).
///
/// The optional callbacks that a driver does not implement stay what the C helpers do
/// without them: without [`DriverPlane::atomic_check`], the core checks only what it checks for
/// every plane (`drm_atomic_plane_check()`), and does not compute what the plane shows (call
/// [`PlaneState::check_plane_state`] from the driver's check); without [`DriverPlane::prepare_fb`], the framebuffer's implicit fences
/// are waited for, as for any GEM framebuffer.
#[vtable]
pub trait DriverPlane: Send + Sync + Sized + 'static {
    /// The driver of the plane's device.
    type Driver: drm::Driver;

    /// The driver's data in each of the plane's states.
    type State: DriverState;

    /// Checks the plane's new state `new`, which replaces `old`, in `commit`, and computes what
    /// the commit will need into its data (`atomic_check`).
    ///
    /// `commit` does not hand out `new` again while the driver holds it.
    fn atomic_check(
        _plane: &Plane<Self>,
        _new: &mut PlaneState<Self>,
        _old: &PlaneState<Self>,
        _commit: &AtomicCommit<'_, Self::Driver>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Prepares the framebuffer of the plane's new state `state` for scanout, after the
    /// commit was checked and before it is applied: what can fail must fail here, since the
    /// update cannot (`prepare_fb`). Runs after the framebuffer's implicit fences were added
    /// to `state`, for every plane of the commit, with a framebuffer or without.
    fn prepare_fb(_plane: &Plane<Self>, _state: &mut PlaneState<Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes the plane's new state (`plane`'s current state, see
    /// [`AtomicCommit::new_plane_state`]) visible (`atomic_update`): for every plane of the
    /// commit on a CRTC, and for one being disabled (a new state without a CRTC).
    ///
    /// The device may be unplugged by now, in which case the driver must not expect it to
    /// answer.
    fn atomic_update(plane: &Plane<Self>, commit: &AtomicCommit<'_, Self::Driver>);
}

/// A primary plane that no CRTC shows yet: [`Crtc::new`](super::Crtc::new) takes it, so a
/// primary plane is the primary plane of exactly one CRTC.
#[must_use = "a primary plane without a CRTC makes the device's registration warn"]
pub struct PrimaryPlane<'a, T: DriverPlane>(&'a Plane<T>);

/// A cursor plane that no CRTC shows yet: [`Crtc::new_with_cursor`](super::Crtc::new_with_cursor)
/// takes it, so a cursor plane is the cursor of at most one CRTC.
#[must_use = "a cursor plane is only used once a CRTC takes it"]
pub struct CursorPlane<'a, T: DriverPlane>(&'a Plane<T>);

impl<'a, T: DriverPlane> PrimaryPlane<'a, T> {
    /// The plane itself.
    pub fn plane(&self) -> &'a Plane<T> {
        self.0
    }
}

impl<'a, T: DriverPlane> CursorPlane<'a, T> {
    /// The plane itself.
    pub fn plane(&self) -> &'a Plane<T> {
        self.0
    }
}

/// A plane of a device of driver `T::Driver`, with the driver's data `T`.
///
/// # Invariants
///
/// - `plane` is an initialized `struct drm_plane` whose functions are `Self::FUNCS` and whose
///   helper functions are `Self::HELPER_FUNCS`, from the end of `Plane::new` until its
///   `destroy` callback, which frees `self`.
/// - `self` lives in a `KBox` that the `destroy` callback owns.
#[repr(C)]
#[pin_data]
pub struct Plane<T: DriverPlane> {
    plane: Opaque<bindings::drm_plane>,
    #[pin]
    data: T,
}

// SAFETY: The C side of a plane is protected by the DRM core's locks, and `T` is `Send`.
unsafe impl<T: DriverPlane> Send for Plane<T> {}
// SAFETY: As above, and `T` is `Sync`.
unsafe impl<T: DriverPlane> Sync for Plane<T> {}

impl<T: DriverPlane> Plane<T> {
    const FUNCS: bindings::drm_plane_funcs = bindings::drm_plane_funcs {
        update_plane: Some(bindings::drm_atomic_helper_update_plane),
        disable_plane: Some(bindings::drm_atomic_helper_disable_plane),
        destroy: Some(Self::destroy_callback),
        reset: Some(Self::reset_callback),
        atomic_duplicate_state: Some(Self::duplicate_state_callback),
        atomic_destroy_state: Some(Self::destroy_state_callback),
        ..pin_init::zeroed()
    };

    const HELPER_FUNCS: bindings::drm_plane_helper_funcs = bindings::drm_plane_helper_funcs {
        prepare_fb: if T::HAS_PREPARE_FB {
            Some(Self::prepare_fb_callback)
        } else {
            None
        },
        atomic_check: if T::HAS_ATOMIC_CHECK {
            Some(Self::atomic_check_callback)
        } else {
            None
        },
        atomic_update: Some(Self::atomic_update_callback),
        ..pin_init::zeroed()
    };

    /// Creates a primary plane on `mode_config` with `data`, as `config` describes it, for
    /// [`Crtc::new`](super::Crtc::new).
    ///
    /// The plane lives until the device is released.
    pub fn new_primary<'a>(
        mode_config: &ModeConfig<'a, T::Driver>,
        config: &PlaneConfig<'_>,
        data: impl PinInit<T, Error>,
    ) -> Result<PrimaryPlane<'a, T>> {
        Self::new(mode_config, config, PlaneType::Primary, data).map(PrimaryPlane)
    }

    /// Creates a cursor plane on `mode_config` with `data`, as `config` describes it, for
    /// [`Crtc::new_with_cursor`](super::Crtc::new_with_cursor).
    ///
    /// The plane lives until the device is released.
    pub fn new_cursor<'a>(
        mode_config: &ModeConfig<'a, T::Driver>,
        config: &PlaneConfig<'_>,
        data: impl PinInit<T, Error>,
    ) -> Result<CursorPlane<'a, T>> {
        Self::new(mode_config, config, PlaneType::Cursor, data).map(CursorPlane)
    }

    /// Creates an overlay plane on `mode_config` with `data`, as `config` describes it.
    ///
    /// The plane lives until the device is released.
    pub fn new_overlay<'a>(
        mode_config: &ModeConfig<'a, T::Driver>,
        config: &PlaneConfig<'_>,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self> {
        Self::new(mode_config, config, PlaneType::Overlay, data)
    }

    fn new<'a>(
        mode_config: &ModeConfig<'a, T::Driver>,
        config: &PlaneConfig<'_>,
        kind: PlaneType,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self> {
        let kind = match kind {
            PlaneType::Primary => bindings::drm_plane_type_DRM_PLANE_TYPE_PRIMARY,
            PlaneType::Cursor => bindings::drm_plane_type_DRM_PLANE_TYPE_CURSOR,
            PlaneType::Overlay => bindings::drm_plane_type_DRM_PLANE_TYPE_OVERLAY,
        };
        // Before the box is handed over: from `into_raw()` on, an early return would leak it.
        let format_count = u32::try_from(config.formats.len())?;
        let new = KBox::pin_init(
            try_pin_init!(Self {
                plane: Opaque::zeroed(),
                data <- data,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: The plane is not initialized yet; we never move out of the box.
        let this = KBox::into_raw(unsafe { Pin::into_inner_unchecked(new) });
        // SAFETY: `this` is valid, from `KBox::into_raw()` above.
        let raw = unsafe { (*this).plane.get() };

        // SAFETY: `mode_config` is the initialized mode configuration of a valid device that is
        // not registered yet and only this thread uses (type invariant of `ModeConfig`, and
        // `UnregisteredDevice` is not thread-safe). `raw` is zeroed and fixed in memory until
        // `destroy_callback` frees it. The formats are copied. A null name makes the core name
        // the plane.
        let ret = unsafe {
            bindings::drm_universal_plane_init(
                mode_config.as_raw(),
                raw,
                config.possible_crtcs,
                &Self::FUNCS,
                config.formats.as_ptr(),
                format_count,
                ptr::null(),
                kind,
                ptr::null(),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: The plane was not added to the device, so `this` is still ours alone.
            drop(unsafe { KBox::from_raw(this) });
            return Err(e);
        }
        // From here on, the device owns the plane and frees it with `destroy_callback`.

        // SAFETY: `raw` is an initialized plane with no helper functions yet.
        unsafe { bindings::drm_plane_helper_add(raw, &Self::HELPER_FUNCS) };
        if config.damage_clips {
            // SAFETY: `raw` is an initialized plane of a device that is not registered yet.
            unsafe { bindings::drm_plane_enable_fb_damage_clips(raw) };
        }
        if config.premultiplied_alpha {
            let premulti = 1 << bindings::DRM_MODE_BLEND_PREMULTI;
            // SAFETY: As above. The property is freed with the device.
            to_result(unsafe { bindings::drm_plane_create_blend_mode_property(raw, premulti) })?;
        }
        // INVARIANT: The plane is initialized with `FUNCS` and `HELPER_FUNCS`, and
        // `destroy_callback` frees the box.
        // SAFETY: The plane lives until the device is released, which the device reference of
        // `mode_config` (for `'a`) outlives.
        Ok(unsafe { &*this })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_plane {
        self.plane.get()
    }

    /// The raw DRM device the plane belongs to.
    pub(crate) fn device_raw(&self) -> *mut bindings::drm_device {
        // SAFETY: `plane` is initialized (type invariants), and its `dev` is set once, by
        // `drm_universal_plane_init()`.
        unsafe { (*self.as_raw()).dev }
    }

    /// The CRTCs the plane can serve, as a mask of CRTC indices.
    pub(crate) fn possible_crtcs(&self) -> u32 {
        // SAFETY: `plane` is initialized (type invariants). Its `possible_crtcs` is written by
        // `drm_universal_plane_init()` and, if zero, by the creation of the CRTC that takes the
        // plane: both before registration, on the thread that holds the unregistered device.
        unsafe { (*self.as_raw()).possible_crtcs }
    }

    /// # Safety
    ///
    /// `ptr` must be the `plane` of a live `Plane<T>`, and stay so for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::drm_plane) -> &'a Self {
        // SAFETY: By the safety requirements, `ptr` is embedded in a `Self`.
        unsafe { &*crate::container_of!(Opaque::cast_from(ptr), Self, plane) }
    }

    /// The driver's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The index of the plane in its device.
    pub fn index(&self) -> u32 {
        // SAFETY: `plane` is initialized (type invariants); its index is set once, by
        // `drm_universal_plane_init()`.
        unsafe { (*self.as_raw()).index }
    }

    /// The plane's role.
    pub fn kind(&self) -> PlaneType {
        // SAFETY: `plane` is initialized (type invariants); its type is set once.
        match unsafe { (*self.as_raw()).type_ } {
            bindings::drm_plane_type_DRM_PLANE_TYPE_PRIMARY => PlaneType::Primary,
            bindings::drm_plane_type_DRM_PLANE_TYPE_CURSOR => PlaneType::Cursor,
            _ => PlaneType::Overlay,
        }
    }

    /// The DRM device the plane belongs to.
    pub fn drm_device(&self) -> &drm::Device<T::Driver> {
        // SAFETY: `plane` is initialized (type invariants); the device outlives its planes, and
        // it is a device of driver `T::Driver`.
        unsafe { drm::Device::from_raw((*self.as_raw()).dev) }
    }

    /// # Safety
    ///
    /// `plane` must be a plane of `Self` that the DRM core releases: it is not used again, and its
    /// `KBox` is not freed elsewhere.
    unsafe extern "C" fn destroy_callback(plane: *mut bindings::drm_plane) {
        // SAFETY: The DRM core calls this once, when the device is released, with a plane of
        // `Self`, so `plane` is embedded in a `Self`. The pointer is derived from the raw one,
        // not from a shared reference, since it frees the box.
        let this =
            unsafe { crate::container_of!(Opaque::cast_from(plane), Self, plane) }.cast_mut();
        // SAFETY: `plane` is initialized, and no longer used after this.
        unsafe { bindings::drm_plane_cleanup(plane) };
        // SAFETY: `this` came from `KBox::into_raw()` in `new()`, and the C side let go of it.
        drop(unsafe { KBox::from_raw(this) });
    }

    /// # Safety
    ///
    /// `plane` must be a valid plane of `Self`, whose state nothing else uses during the call.
    unsafe extern "C" fn reset_callback(plane: *mut bindings::drm_plane) {
        // SAFETY: The only reset is `drm_mode_config_reset()` in `ModeConfig::finish()`, on a
        // device that is not registered yet: nothing else uses the plane's state.
        let old = unsafe { (*plane).state };
        if !old.is_null() {
            // SAFETY: Every state of a plane of `Self` is a `PlaneState<T>`; the plane lets go of
            // it here.
            unsafe { Self::destroy_state_callback(plane, old) };
        }
        let new = Subclassed::<_, T::State>::alloc(T::State::default());
        // SAFETY: `plane` is valid; `new` is a zeroed state that becomes the plane's, or null,
        // which leaves the plane without a state, as the C helper does when it cannot allocate.
        unsafe { bindings::__drm_atomic_helper_plane_reset(plane, new) };
    }

    /// # Safety
    ///
    /// `plane` must be a valid plane of `Self`, locked by the caller.
    unsafe extern "C" fn duplicate_state_callback(
        plane: *mut bindings::drm_plane,
    ) -> *mut bindings::drm_plane_state {
        // SAFETY: `plane` is valid and locked; its current state is a `PlaneState<T>` or null.
        // Its driver data is only changed through interior mutability any more (only a private
        // new state's is changed otherwise), which `duplicate()` reads through `&`, and the C
        // helper copies the C part into the new, zeroed state and takes references for the copy.
        unsafe {
            Subclassed::<_, T::State>::duplicate((*plane).state, |new| {
                bindings::__drm_atomic_helper_plane_duplicate_state(plane, new)
            })
        }
    }

    /// # Safety
    ///
    /// `state` must be a state of a plane of `Self` that nothing uses any more.
    unsafe extern "C" fn destroy_state_callback(
        _plane: *mut bindings::drm_plane,
        state: *mut bindings::drm_plane_state,
    ) {
        // SAFETY: Every state of a plane of `Self` is a `PlaneState<T>`; this one is no longer
        // used, and the helper drops the references of its C part.
        unsafe {
            Subclassed::<_, T::State>::free(state, |state| {
                bindings::__drm_atomic_helper_plane_destroy_state(state)
            })
        }
    }

    /// # Safety
    ///
    /// `plane` must be a valid plane of `Self`, and `state` a new state of it that nobody else
    /// uses during the call.
    unsafe extern "C" fn prepare_fb_callback(
        plane: *mut bindings::drm_plane,
        state: *mut bindings::drm_plane_state,
    ) -> c_int {
        // Wait for the framebuffer's implicit fences, as for any GEM framebuffer. What the
        // helper adds to the state goes with the state.
        //
        // SAFETY: The helpers call this with a plane and its new state, which is not visible
        // to anyone else yet.
        let ret = unsafe { bindings::drm_gem_plane_helper_prepare_fb(plane, state) };
        if ret != 0 {
            return ret;
        }
        // SAFETY: As above; `plane` is a plane of `Self`, so the state is a `PlaneState<T>`, and
        // only the driver uses it during the call.
        let (this, state) = unsafe { (Self::from_raw(plane), PlaneState::from_raw_mut(state)) };
        match T::prepare_fb(this, state) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `plane` must be a valid plane of `Self`, and `commit` a commit of its device whose states
    /// only this check uses during the call.
    unsafe extern "C" fn atomic_check_callback(
        plane: *mut bindings::drm_plane,
        commit: *mut bindings::drm_atomic_commit,
    ) -> c_int {
        // SAFETY: The helpers call this with a plane of `Self` and a commit of its device that
        // includes the plane.
        let new = unsafe { bindings::drm_atomic_get_new_plane_state(commit, plane) };
        if new.is_null() {
            return EINVAL.to_errno();
        }
        // SAFETY: As above; the old state is in the commit too.
        let old = unsafe { bindings::drm_atomic_get_old_plane_state(commit, plane) };
        if old.is_null() {
            return EINVAL.to_errno();
        }
        // SAFETY: As above. The commit view does not hand out the plane's new state, so the
        // driver's is the only reference to it during the call; nobody changes the old one.
        let (this, new, old, commit) = unsafe {
            (
                Self::from_raw(plane),
                PlaneState::from_raw_mut(new),
                PlaneState::from_raw(old),
                AtomicCommit::from_raw_checking(commit, plane.cast()),
            )
        };
        match T::atomic_check(this, new, old, &commit) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `plane` must be a valid plane of `Self`, and `commit` the commit of its device being
    /// applied.
    unsafe extern "C" fn atomic_update_callback(
        plane: *mut bindings::drm_plane,
        commit: *mut bindings::drm_atomic_commit,
    ) {
        // SAFETY: The helpers call this with a plane of `Self` and a commit of its device, which
        // is being applied and whose states nobody changes meanwhile.
        let (this, commit) = unsafe { (Self::from_raw(plane), AtomicCommit::from_raw(commit)) };
        T::atomic_update(this, &commit);
    }
}

/// A state of a plane with the driver's data `T`: `struct drm_plane_state`, and the driver's
/// [`DriverPlane::State`].
///
/// # Invariants
///
/// - Its C state is a valid `struct drm_plane_state` of a plane of `T`, in a box that the
///   plane's `atomic_destroy_state` callback frees.
/// - While a `&PlaneState` exists, nobody changes the driver's data but through interior
///   mutability (atomics, [`TakeOnce`](super::TakeOnce)), nor the C fields but `fence` and
///   `commit`, which the previous commit's tail may still clear on the plane's
///   current state. A `&mut PlaneState` is the only reference to the state, which is private
///   to its commit.
#[repr(transparent)]
pub struct PlaneState<T: DriverPlane>(Subclassed<bindings::drm_plane_state, T::State>);

/// Reads field `$field` of the C part of `$state`, a `&PlaneState`, by value: no reference to
/// the whole C state is made, since the core writes some of its fields (`fence`, `commit`) on
/// the current state while the next commit reads it.
///
/// `$state` is evaluated outside the `unsafe` block, and must be a `&PlaneState<_>`: the
/// macro cannot be used on any other pointer.
macro_rules! plane_state_field {
    ($state:expr, fence) => {
        compile_error!("`fence` changes under a shared `PlaneState`: it cannot be read this way")
    };
    ($state:expr, commit) => {
        compile_error!("`commit` changes under a shared `PlaneState`: it cannot be read this way")
    };
    ($state:expr, $field:ident) => {{
        let state: &$crate::drm::kms::plane::PlaneState<_> = $state;
        let raw = state.as_raw();
        // SAFETY: `raw` is the valid C state of `state`, whose fields other than `fence` and
        // `commit` are not changed while `state` is borrowed (type invariants of
        // `PlaneState`).
        unsafe { (*raw).$field }
    }};
}
pub(crate) use plane_state_field;

impl<T: DriverPlane> PlaneState<T> {
    /// # Safety
    ///
    /// `ptr` must be a valid state of a plane of `T`, not changed for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::drm_plane_state) -> &'a Self {
        // SAFETY: Every state of a plane of `T` is a `Subclassed` whose pointer is its C state's,
        // and `Self` is a transparent wrapper of it.
        unsafe { &*ptr.cast() }
    }

    /// # Safety
    ///
    /// `ptr` must be a valid state of a plane of `T`, used by nobody else for `'a`.
    pub(crate) unsafe fn from_raw_mut<'a>(ptr: *mut bindings::drm_plane_state) -> &'a mut Self {
        // SAFETY: As for `from_raw()`; nobody else uses the state for `'a`.
        unsafe { &mut *ptr.cast() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_plane_state {
        self.0.state.get()
    }

    /// The driver's data in this state.
    pub fn data(&self) -> &T::State {
        &self.0.data
    }

    /// The driver's data in this state, while the state is the driver's alone: in the plane's
    /// `atomic_check` and `prepare_fb`.
    pub fn data_mut(&mut self) -> &mut T::State {
        &mut self.0.data
    }

    /// The framebuffer the plane shows, if any.
    pub fn fb(&self) -> Option<&Framebuffer<T::Driver>> {
        let fb = plane_state_field!(self, fb);
        // SAFETY: The state holds a reference to its framebuffer, a framebuffer of this
        // device made by the mode configuration's `fb_create`.
        (!fb.is_null()).then(|| unsafe { Framebuffer::from_raw(fb) })
    }

    /// The index of the CRTC the plane is on, if any.
    pub fn crtc_index(&self) -> Option<u32> {
        let crtc = plane_state_field!(self, crtc);
        // SAFETY: A state's CRTC is a CRTC of the same device, which outlives the state.
        (!crtc.is_null()).then(|| unsafe { bindings::drm_crtc_index(crtc) })
    }

    /// Whether the plane shows anything: it has a framebuffer, and some of it is on the CRTC,
    /// as [`PlaneState::check_plane_state`] found.
    pub fn visible(&self) -> bool {
        plane_state_field!(self, visible)
    }

    /// The part of the framebuffer shown, in whole pixels, as the checks clipped it.
    pub fn src(&self) -> Rect {
        let src = plane_state_field!(self, src);
        Rect {
            x1: src.x1 >> 16,
            y1: src.y1 >> 16,
            x2: src.x2 >> 16,
            y2: src.y2 >> 16,
        }
    }

    /// The source rectangle as userspace set it, in 16.16 fixed point: x, y, width, height.
    pub fn src_fixed(&self) -> (u32, u32, u32, u32) {
        (
            plane_state_field!(self, src_x),
            plane_state_field!(self, src_y),
            plane_state_field!(self, src_w),
            plane_state_field!(self, src_h),
        )
    }

    /// Where the plane is on the CRTC, as userspace set it: x, y, width, height.
    pub fn crtc_rect(&self) -> (i32, i32, u32, u32) {
        (
            plane_state_field!(self, crtc_x),
            plane_state_field!(self, crtc_y),
            plane_state_field!(self, crtc_w),
            plane_state_field!(self, crtc_h),
        )
    }

    /// The cursor's hot spot, for cursor planes of drivers with
    /// [`drm::Driver::FEAT_CURSOR_HOTSPOT`].
    pub fn hotspot(&self) -> (i32, i32) {
        (
            plane_state_field!(self, hotspot_x),
            plane_state_field!(self, hotspot_y),
        )
    }

    /// Whether `self` and `other` show the same framebuffer.
    pub fn same_fb(&self, other: &Self) -> bool {
        plane_state_field!(self, fb) == plane_state_field!(other, fb)
    }

    /// Makes the commit update the whole framebuffer, whatever damage userspace reported with
    /// it (`ignore_damage_clips`): for a device that must be given a new framebuffer whole.
    ///
    /// The flag is copied into the next commit's state with the rest: a driver that sets it
    /// for some commits sets it, or clears it, in every check.
    pub fn set_ignore_damage_clips(&mut self, ignore: bool) {
        // SAFETY: `state` is valid, and only this reference uses it (type invariants).
        unsafe { (*self.as_raw()).ignore_damage_clips = ignore };
    }

    /// Checks the state against its CRTC's new state in `commit`, which it adds to the
    /// commit, and computes the source, the destination and whether the plane is visible
    /// (`drm_atomic_helper_check_plane_state()`).
    ///
    /// [`EINVAL`] if the state's CRTC is not one of `commit`'s device, or the limits do not fit
    /// the C helper's; [`ERANGE`] if the plane would scale beyond `limits`; [`EDEADLK`] must be
    /// returned as is from the check (the core then retries the commit).
    pub fn check_plane_state(
        &mut self,
        commit: &AtomicCommit<'_, T::Driver>,
        limits: &PlaneLimits,
    ) -> Result {
        let min_scale = c_int::try_from(limits.min_scale)?;
        let max_scale = c_int::try_from(limits.max_scale)?;
        let (fb, crtc) = (plane_state_field!(self, fb), plane_state_field!(self, crtc));
        let crtc_state = if crtc.is_null() {
            if !fb.is_null() {
                // The core rejects this before any driver check; the helper would warn.
                return Err(EINVAL);
            }
            ptr::null_mut()
        } else {
            // SAFETY: A state's CRTC is a CRTC of the same device, which outlives the state; its
            // device is set once, when it is created.
            if unsafe { (*crtc).dev } != commit.device_raw() {
                return Err(EINVAL);
            }
            // SAFETY: `commit` is valid and `crtc` is a CRTC of its device (checked above); this
            // adds the CRTC's state to the commit.
            from_err_ptr(unsafe { bindings::drm_atomic_get_crtc_state(commit.as_raw(), crtc) })?
        };
        // SAFETY: `self` is valid and only this reference uses it; `crtc_state` is the new state
        // of its CRTC in the commit, or null for a state without a CRTC (and so without a
        // framebuffer), which the helper takes.
        to_result(unsafe {
            bindings::drm_atomic_helper_check_plane_state(
                self.as_raw(),
                crtc_state,
                min_scale,
                max_scale,
                limits.can_position,
                limits.can_update_disabled,
            )
        })
    }
}
