// SPDX-License-Identifier: GPL-2.0

//! Atomic commits, as the helpers hand them to the driver's callbacks.
//!
//! C header: [`include/drm/drm_atomic.h`](srctree/include/drm/drm_atomic.h)

use super::{
    crtc::{
        Crtc,
        CrtcState,
        DriverCrtc,
        OpaqueCrtcState, //
    },
    plane::{
        DriverPlane,
        Plane,
        PlaneState, //
    },
    Rect,
};
use crate::{
    bindings,
    drm,
    prelude::*, //
};
use core::{
    marker::PhantomData,
    ptr, //
};

/// An atomic commit of a device of driver `T` (`struct drm_atomic_commit`), during one of the
/// driver's callbacks.
///
/// In the checks, the new states are the proposed ones; from `atomic_update` on, the new
/// states are the objects' current ones, and the old states are those the commit replaced.
/// The driver only reads states through the commit. The check of an object takes that
/// object's new state apart, as a `&mut`: the commit it gets with it does not hand that state
/// out (its accessors return `None` for it).
///
/// # Invariants
///
/// - `commit` is a valid `struct drm_atomic_commit` of a device of driver `T` for `'a`, and
///   the states in it, but the one `checking` names, are not changed for `'a`, but for the C
///   fields the views of the states never read, and driver data with interior mutability (see
///   [`PlaneState`] and [`OpaqueCrtcState`]).
/// - `checking` is null, or the plane or CRTC whose new state the driver holds as a `&mut`.
pub struct AtomicCommit<'a, T: drm::Driver> {
    commit: *mut bindings::drm_atomic_commit,
    checking: *const c_void,
    _ref: PhantomData<(&'a bindings::drm_atomic_commit, T)>,
}

impl<'a, T: drm::Driver> AtomicCommit<'a, T> {
    /// # Safety
    ///
    /// `commit` must be a valid commit of a device of driver `T`, whose states nobody changes
    /// for `'a`, as while it is applied.
    pub(crate) unsafe fn from_raw(commit: *mut bindings::drm_atomic_commit) -> Self {
        // INVARIANT: By the safety requirements.
        Self {
            commit,
            checking: ptr::null(),
            _ref: PhantomData,
        }
    }

    /// # Safety
    ///
    /// `commit` must be a valid commit of a device of driver `T`, whose states nobody but the
    /// check of `checking` (a plane or a CRTC) uses for `'a`; that check holds the object's
    /// new state.
    pub(crate) unsafe fn from_raw_checking(
        commit: *mut bindings::drm_atomic_commit,
        checking: *const c_void,
    ) -> Self {
        // INVARIANT: By the safety requirements.
        Self {
            commit,
            checking,
            _ref: PhantomData,
        }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_atomic_commit {
        self.commit
    }

    /// The commit's raw device.
    pub(crate) fn device_raw(&self) -> *mut bindings::drm_device {
        // SAFETY: `commit` is valid (type invariant); its device is set when it is allocated.
        unsafe { (*self.commit).dev }
    }

    /// The state `plane` had before this commit, if the commit includes `plane`
    /// (`drm_atomic_get_old_plane_state()`).
    pub fn old_plane_state<P: DriverPlane<Driver = T>>(
        &self,
        plane: &Plane<P>,
    ) -> Option<&'a PlaneState<P>> {
        // Two devices of one driver have planes of the same type, and the C accessors index
        // the commit's arrays with the plane's index unchecked: a plane of another device would
        // read past them.
        if plane.device_raw() != self.device_raw() {
            return None;
        }
        // SAFETY: `commit` is valid (type invariant) and `plane` is a plane of its device
        // (checked above).
        let state =
            unsafe { bindings::drm_atomic_get_old_plane_state(self.commit, plane.as_raw()) };
        // SAFETY: A state in the commit is a state of a plane of `P`, valid and, but for the
        // fields its view never reads, not changed for `'a` (type invariant): old states are
        // never checked.
        (!state.is_null()).then(|| unsafe { PlaneState::from_raw(state) })
    }

    /// The state `plane` gets from this commit, if the commit includes `plane`
    /// (`drm_atomic_get_new_plane_state()`); `None` too in `plane`'s own check, which holds it.
    pub fn new_plane_state<P: DriverPlane<Driver = T>>(
        &self,
        plane: &Plane<P>,
    ) -> Option<&'a PlaneState<P>> {
        if plane.device_raw() != self.device_raw()
            || plane.as_raw().cast_const().cast() == self.checking
        {
            return None;
        }
        // SAFETY: `commit` is valid (type invariant) and `plane` is a plane of its device
        // (checked above).
        let state =
            unsafe { bindings::drm_atomic_get_new_plane_state(self.commit, plane.as_raw()) };
        // SAFETY: A state in the commit is a state of a plane of `P`, valid and, but for the
        // one being checked (excluded above), not changed for `'a` (type invariant).
        (!state.is_null()).then(|| unsafe { PlaneState::from_raw(state) })
    }

    /// The state `crtc` had before this commit, if the commit includes `crtc`
    /// (`drm_atomic_get_old_crtc_state()`).
    pub fn old_crtc_state<C: DriverCrtc<Driver = T>>(
        &self,
        crtc: &Crtc<C>,
    ) -> Option<&'a CrtcState<C>> {
        // As for planes: the C accessors trust the CRTC's index.
        if crtc.device_raw() != self.device_raw() {
            return None;
        }
        // SAFETY: `commit` is valid (type invariant) and `crtc` is a CRTC of its device
        // (checked above).
        let state = unsafe { bindings::drm_atomic_get_old_crtc_state(self.commit, crtc.as_raw()) };
        // SAFETY: A state in the commit is a state of a CRTC of `C`, valid and not changed for
        // `'a` (type invariant).
        (!state.is_null()).then(|| unsafe { CrtcState::from_raw(state) })
    }

    /// The state `crtc` gets from this commit, if the commit includes `crtc`
    /// (`drm_atomic_get_new_crtc_state()`); `None` too in `crtc`'s own check, which holds it.
    pub fn new_crtc_state<C: DriverCrtc<Driver = T>>(
        &self,
        crtc: &Crtc<C>,
    ) -> Option<&'a CrtcState<C>> {
        if crtc.device_raw() != self.device_raw() {
            return None;
        }
        let state = self.new_crtc_state_raw(crtc.as_raw());
        // SAFETY: A state in the commit is a state of a CRTC of `C`, valid and, but for the
        // one being checked (excluded by `new_crtc_state_raw()`), not changed for `'a`.
        (!state.is_null()).then(|| unsafe { CrtcState::from_raw(state) })
    }

    /// The new state of `crtc`, a CRTC of the commit's device, or null if the commit does not
    /// include it or it is being checked.
    fn new_crtc_state_raw(&self, crtc: *mut bindings::drm_crtc) -> *mut bindings::drm_crtc_state {
        if crtc.cast_const().cast() == self.checking {
            return ptr::null_mut();
        }
        // SAFETY: `commit` is valid (type invariant) and `crtc` is a CRTC of its device (the
        // callers check it).
        unsafe { bindings::drm_atomic_get_new_crtc_state(self.commit, crtc) }
    }

    /// The new state of the CRTC that `state` puts its plane on, if the commit includes that
    /// CRTC and it is not being checked.
    pub fn new_crtc_state_of<P: DriverPlane<Driver = T>>(
        &self,
        state: &PlaneState<P>,
    ) -> Option<&'a OpaqueCrtcState<T>> {
        let crtc = super::plane::plane_state_field!(state, crtc);
        if crtc.is_null() {
            return None;
        }
        // SAFETY: A state's CRTC is a CRTC of the state's device, which outlives the state; its
        // device is set once, when it is created.
        if unsafe { (*crtc).dev } != self.device_raw() {
            return None;
        }
        let crtc_state = self.new_crtc_state_raw(crtc);
        // SAFETY: A state in the commit is valid and, but for the one being checked (excluded
        // above), not changed for `'a` (type invariant).
        (!crtc_state.is_null()).then(|| unsafe { OpaqueCrtcState::from_raw(crtc_state) })
    }

    /// The part of the framebuffer of `new` that changed since `old`, merged into one
    /// rectangle, in framebuffer pixels; `None` if nothing needs updating
    /// (`drm_atomic_helper_damage_merged()`).
    ///
    /// Without damage clips, or when the source rectangle moved, this is the whole source
    /// rectangle; nothing if `new` is not visible.
    /// `old` and `new` must be states of the same plane: [`None`] otherwise.
    pub fn damage_merged<P: DriverPlane<Driver = T>>(
        &self,
        old: &PlaneState<P>,
        new: &PlaneState<P>,
    ) -> Option<Rect> {
        if super::plane::plane_state_field!(old, plane)
            != super::plane::plane_state_field!(new, plane)
        {
            return None;
        }
        let mut rect = bindings::drm_rect::default();
        // SAFETY: Both states are valid, and belong to the same plane (checked above); the
        // helper only reads them.
        unsafe { bindings::drm_atomic_helper_damage_merged(old.as_raw(), new.as_raw(), &mut rect) }
            .then(|| Rect::from_raw(&rect))
    }
}
