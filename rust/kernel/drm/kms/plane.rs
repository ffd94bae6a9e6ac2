// SPDX-License-Identifier: GPL-2.0

//! Planes: the image sources a CRTC blends, each showing part of a framebuffer.
//!
//! C header: [`include/drm/drm_plane.h`](srctree/include/drm/drm_plane.h)

use super::{
    atomic::AtomicCommit,
    framebuffer::Framebuffer,
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
        to_result, //
    },
    prelude::*,
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ptr, //
};

/// The role of a plane (`enum drm_plane_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneType {
    /// The plane a CRTC needs to show anything.
    Primary,
    /// A small plane for the mouse cursor, which userspace may move at any time.
    Cursor,
    /// Any other plane.
    Overlay,
}

/// How a plane is created.
#[derive(Clone, Copy, Debug)]
pub struct PlaneConfig<'a> {
    /// The plane's role.
    pub kind: PlaneType,
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

/// The driver's part of a plane: its data, and what it does in a commit.
///
/// Planes of this abstraction do not scale, and only cursor planes may be positioned off the
/// CRTC's origin or partly outside it; the abstraction checks that before
/// [`DriverPlane::atomic_check`] runs.
pub trait DriverPlane: Send + Sync + Sized + 'static {
    /// The driver of the plane's device.
    type Driver: drm::Driver;

    /// A new framebuffer is updated as a whole, whatever damage userspace reports with it: for
    /// a device that uploads framebuffers one at a time.
    const FULL_UPDATE_ON_NEW_FB: bool = false;

    /// Prepares the framebuffer of the plane's new state `state` for scanout, before the
    /// commit is applied: what can fail must fail here, since updates cannot. Runs after the
    /// framebuffer's implicit fences were added to `state`.
    fn prepare_fb(_plane: &Plane<Self>, _state: &PlaneState<Self::Driver>) -> Result {
        Ok(())
    }

    /// Checks the plane's new state in `commit`, which the abstraction has found consistent.
    fn atomic_check(
        _plane: &Plane<Self>,
        _state: &PlaneState<Self::Driver>,
        _commit: &AtomicCommit<'_, Self::Driver>,
    ) -> Result {
        Ok(())
    }

    /// Makes the plane's new state (`plane`'s current state, see
    /// [`AtomicCommit::new_plane_state`]) visible.
    ///
    /// The device may be unplugged by now, in which case the driver must not expect it to
    /// answer.
    fn atomic_update(plane: &Plane<Self>, commit: &AtomicCommit<'_, Self::Driver>);
}

/// A plane of a device of driver `T::Driver`, with the driver's data `T`.
///
/// # Invariants
///
/// - `plane` is an initialized `struct drm_plane` whose functions are `Self::FUNCS` and whose
///   helper functions are `Self::HELPER_FUNCS`, from the end of [`Plane::new`] until its
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
        reset: Some(bindings::drm_atomic_helper_plane_reset),
        atomic_duplicate_state: Some(bindings::drm_atomic_helper_plane_duplicate_state),
        atomic_destroy_state: Some(bindings::drm_atomic_helper_plane_destroy_state),
        ..pin_init::zeroed()
    };

    const HELPER_FUNCS: bindings::drm_plane_helper_funcs = bindings::drm_plane_helper_funcs {
        prepare_fb: Some(Self::prepare_fb_callback),
        atomic_check: Some(Self::atomic_check_callback),
        atomic_update: Some(Self::atomic_update_callback),
        ..pin_init::zeroed()
    };

    /// Creates a plane on `mode_config` with `data`, as `config` describes it.
    ///
    /// The plane lives until the device is released.
    pub fn new<'a>(
        mode_config: &ModeConfig<'a, T::Driver>,
        config: &PlaneConfig<'_>,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self> {
        let kind = match config.kind {
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
        // SAFETY: `plane` is initialized (type invariants).
        unsafe { (*self.as_raw()).index }
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
    /// `plane` must be a valid plane of `Self`, and `state` a new state of it that nobody else sees
    /// yet.
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
        // SAFETY: As above; `plane` is a plane of `Self`, and the state is only read from here.
        let (this, state) = unsafe { (Self::from_raw(plane), PlaneState::from_raw(state)) };
        match T::prepare_fb(this, state) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `plane` must be a valid plane of `Self`, and `commit` a commit of its device whose states
    /// only this check changes during the call.
    unsafe extern "C" fn atomic_check_callback(
        plane: *mut bindings::drm_plane,
        commit: *mut bindings::drm_atomic_commit,
    ) -> c_int {
        // SAFETY: The helpers call this with a plane of `Self` and a commit of its device, whose
        // states only this check changes for the duration of the call.
        let (this, commit) = unsafe { (Self::from_raw(plane), AtomicCommit::from_raw(commit)) };
        match this.check(&commit) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    fn check(&self, commit: &AtomicCommit<'_, T::Driver>) -> Result {
        // The new state is changed here through its raw pointer, and only afterwards handed to
        // the driver as a `&PlaneState`, which promises that it does not change.
        let new_raw = commit.new_plane_state_raw(self);
        let Some(old) = commit.old_plane_state(self) else {
            return Err(EINVAL);
        };
        if new_raw.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: `new_raw` is the plane's new state, which only this check changes during the
        // call (safety requirements of the callback).
        let (fb, crtc) = unsafe { ((*new_raw).fb, (*new_raw).crtc) };
        if fb.is_null() || crtc.is_null() {
            // Disabled: nothing to check. The core rejects a framebuffer without a CRTC.
            return Ok(());
        }
        // The flag is copied with the state, so it is set for every commit: once set, it would
        // otherwise turn every later update into a full one.
        //
        // SAFETY: As above.
        unsafe { (*new_raw).ignore_damage_clips = T::FULL_UPDATE_ON_NEW_FB && old.raw().fb != fb };
        // SAFETY: `commit` and `crtc` are valid; this adds the CRTC's state to the commit.
        let crtc_state =
            from_err_ptr(unsafe { bindings::drm_atomic_get_crtc_state(commit.as_raw(), crtc) })?;
        let is_cursor = {
            // SAFETY: `plane` is initialized (type invariants); its type is fixed.
            unsafe { (*self.as_raw()).type_ == bindings::drm_plane_type_DRM_PLANE_TYPE_CURSOR }
        };
        const NO_SCALING: c_int = 1 << 16;
        // SAFETY: Both states are in the commit; the helper computes the new state's source,
        // destination and visibility.
        to_result(unsafe {
            bindings::drm_atomic_helper_check_plane_state(
                new_raw, crtc_state, NO_SCALING, NO_SCALING, is_cursor, true,
            )
        })?;
        // SAFETY: `new_raw` is a valid state of the commit, which nothing changes from here to
        // the end of the callback.
        let new = unsafe { PlaneState::from_raw(new_raw) };
        T::atomic_check(self, new, commit)
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
        // is being applied and not changed meanwhile.
        let (this, commit) = unsafe { (Self::from_raw(plane), AtomicCommit::from_raw(commit)) };
        T::atomic_update(this, &commit);
    }
}

/// The state of a plane of a device of driver `T`.
///
/// # Invariants
///
/// `state` is a valid `struct drm_plane_state` of a device of driver `T`, not changed while
/// a `&PlaneState` exists.
#[repr(transparent)]
pub struct PlaneState<T: drm::Driver> {
    state: Opaque<bindings::drm_plane_state>,
    _driver: PhantomData<T>,
}

impl<T: drm::Driver> PlaneState<T> {
    /// # Safety
    ///
    /// `ptr` must be a valid plane state of a device of driver `T`, not changed for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::drm_plane_state) -> &'a Self {
        // SAFETY: `Self` is a transparent wrapper of `drm_plane_state`.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_plane_state {
        self.state.get()
    }

    pub(crate) fn raw(&self) -> &bindings::drm_plane_state {
        // SAFETY: `state` is valid and not changed meanwhile (type invariants).
        unsafe { &*self.state.get() }
    }

    /// The framebuffer the plane shows, if any.
    pub fn fb(&self) -> Option<&Framebuffer<T>> {
        let fb = self.raw().fb;
        // SAFETY: The state holds a reference to its framebuffer, a framebuffer of this
        // device made by the mode configuration's `fb_create`.
        (!fb.is_null()).then(|| unsafe { Framebuffer::from_raw(fb) })
    }

    /// The index of the CRTC the plane is on, if any.
    pub fn crtc_index(&self) -> Option<u32> {
        let crtc = self.raw().crtc;
        // SAFETY: A state's CRTC is a CRTC of the same device, which outlives the state.
        (!crtc.is_null()).then(|| unsafe { bindings::drm_crtc_index(crtc) })
    }

    /// Whether the plane shows anything: it has a framebuffer, and some of it is on the CRTC.
    pub fn visible(&self) -> bool {
        self.raw().visible
    }

    /// The part of the framebuffer shown, in whole pixels, as the checks clipped it.
    pub fn src(&self) -> Rect {
        let src = &self.raw().src;
        Rect {
            x1: src.x1 >> 16,
            y1: src.y1 >> 16,
            x2: src.x2 >> 16,
            y2: src.y2 >> 16,
        }
    }

    /// The source rectangle as userspace set it, in 16.16 fixed point: x, y, width, height.
    pub fn src_fixed(&self) -> (u32, u32, u32, u32) {
        let s = self.raw();
        (s.src_x, s.src_y, s.src_w, s.src_h)
    }

    /// Where the plane is on the CRTC, as userspace set it: x, y, width, height.
    pub fn crtc_rect(&self) -> (i32, i32, u32, u32) {
        let s = self.raw();
        (s.crtc_x, s.crtc_y, s.crtc_w, s.crtc_h)
    }

    /// The cursor's hot spot, for cursor planes of drivers with
    /// [`drm::Driver::FEAT_CURSOR_HOTSPOT`].
    pub fn hotspot(&self) -> (i32, i32) {
        let s = self.raw();
        (s.hotspot_x, s.hotspot_y)
    }

    /// Whether `self` and `other` show the same framebuffer.
    pub fn same_fb(&self, other: &Self) -> bool {
        self.raw().fb == other.raw().fb
    }
}
