// SPDX-License-Identifier: GPL-2.0

//! Atomic commits, as the helpers hand them to the driver's callbacks.
//!
//! C header: [`include/drm/drm_atomic.h`](srctree/include/drm/drm_atomic.h)

use super::{
    crtc::CrtcState,
    plane::{
        DriverPlane,
        Plane,
        PlaneState, //
    },
    Rect,
};
use crate::{
    bindings,
    drm, //
};
use core::marker::PhantomData;

/// An atomic commit of a device of driver `T`, during one of the driver's callbacks.
///
/// In `atomic_check`, the states are the proposed ones; from `atomic_update` on, the new
/// states are the objects' current ones, and the old states are those the commit replaced.
/// The driver only reads states here: the callbacks that may change them take them
/// separately.
///
/// # Invariants
///
/// `commit` is a valid `struct drm_atomic_commit` of a device of driver `T` for `'a`, and the
/// states in it are not changed by anyone else for `'a`.
pub struct AtomicCommit<'a, T: drm::Driver> {
    commit: *mut bindings::drm_atomic_commit,
    _ref: PhantomData<(&'a bindings::drm_atomic_commit, T)>,
}

impl<'a, T: drm::Driver> AtomicCommit<'a, T> {
    /// # Safety
    ///
    /// `commit` must be a valid commit of a device of driver `T`, whose states nobody else
    /// changes for `'a`, as during the helpers' callbacks.
    pub(crate) unsafe fn from_raw(commit: *mut bindings::drm_atomic_commit) -> Self {
        // INVARIANT: By the safety requirements.
        Self {
            commit,
            _ref: PhantomData,
        }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_atomic_commit {
        self.commit
    }

    /// Whether `plane` is a plane of the commit's device.
    ///
    /// Two devices of one driver have planes of the same type, and the C accessors index the
    /// commit's arrays with the plane's index unchecked: a plane of another device would read
    /// past them.
    fn owns<P: DriverPlane<Driver = T>>(&self, plane: &Plane<P>) -> bool {
        plane.device_raw() == self.device_raw()
    }

    /// The commit's raw device.
    fn device_raw(&self) -> *mut bindings::drm_device {
        // SAFETY: `commit` is valid (type invariant); its device is set when it is allocated.
        unsafe { (*self.commit).dev }
    }

    /// The state `plane` had before this commit, if the commit includes `plane`.
    pub fn old_plane_state<P: DriverPlane<Driver = T>>(
        &self,
        plane: &Plane<P>,
    ) -> Option<&'a PlaneState<T>> {
        if !self.owns(plane) {
            return None;
        }
        // SAFETY: `commit` is valid (type invariant) and `plane` is a plane of its device
        // (checked above).
        let state =
            unsafe { bindings::drm_atomic_get_old_plane_state(self.commit, plane.as_raw()) };
        // SAFETY: A state in the commit is valid for `'a` (type invariant).
        (!state.is_null()).then(|| unsafe { PlaneState::from_raw(state) })
    }

    /// The state `plane` gets from this commit, if the commit includes `plane`.
    pub fn new_plane_state<P: DriverPlane<Driver = T>>(
        &self,
        plane: &Plane<P>,
    ) -> Option<&'a PlaneState<T>> {
        let state = self.new_plane_state_raw(plane);
        // SAFETY: A state in the commit is valid for `'a` (type invariant).
        (!state.is_null()).then(|| unsafe { PlaneState::from_raw(state) })
    }

    /// The new state of `plane` as a raw pointer, or null: for the abstraction's own check,
    /// which changes the state before the driver gets a shared view of it.
    pub(crate) fn new_plane_state_raw<P: DriverPlane<Driver = T>>(
        &self,
        plane: &Plane<P>,
    ) -> *mut bindings::drm_plane_state {
        if !self.owns(plane) {
            return core::ptr::null_mut();
        }
        // SAFETY: `commit` is valid (type invariant) and `plane` is a plane of its device
        // (checked above).
        unsafe { bindings::drm_atomic_get_new_plane_state(self.commit, plane.as_raw()) }
    }

    /// The new state of the CRTC that `state` puts its plane on, if the commit includes that
    /// CRTC.
    pub fn new_crtc_state_of(&self, state: &PlaneState<T>) -> Option<&'a CrtcState<T>> {
        let crtc = state.raw().crtc;
        if crtc.is_null() {
            return None;
        }
        // SAFETY: A state's CRTC is a CRTC of the state's device, which outlives the state; its
        // device is set once, when it is created.
        if unsafe { (*crtc).dev } != self.device_raw() {
            return None;
        }
        // SAFETY: `commit` is valid (type invariant) and `crtc` is a CRTC of its device
        // (checked above).
        let crtc_state = unsafe { bindings::drm_atomic_get_new_crtc_state(self.commit, crtc) };
        // SAFETY: A state in the commit is valid for `'a` (type invariant).
        (!crtc_state.is_null()).then(|| unsafe { CrtcState::from_raw(crtc_state) })
    }

    /// The part of the framebuffer of `new` that changed since `old`, merged into one
    /// rectangle, in framebuffer pixels; `None` if nothing needs updating.
    ///
    /// Without damage clips, or when the source rectangle moved, this is the whole source
    /// rectangle.
    /// `old` and `new` must be states of the same plane: [`None`] otherwise.
    pub fn damage_merged(&self, old: &PlaneState<T>, new: &PlaneState<T>) -> Option<Rect> {
        if old.raw().plane != new.raw().plane {
            return None;
        }
        let mut rect = bindings::drm_rect::default();
        // SAFETY: Both states are valid, and belong to the same plane (checked above); the
        // helper only reads them.
        unsafe { bindings::drm_atomic_helper_damage_merged(old.as_raw(), new.as_raw(), &mut rect) }
            .then(|| Rect::from_raw(&rect))
    }
}
