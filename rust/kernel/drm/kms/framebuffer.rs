// SPDX-License-Identifier: GPL-2.0

//! Framebuffers: memory laid out as an image that a plane scans out.
//!
//! C header: [`include/drm/drm_framebuffer.h`](srctree/include/drm/drm_framebuffer.h)

use crate::{
    bindings,
    drm::{
        self,
        gem::IntoGEMObject, //
    },
    types::Opaque,
};
use core::marker::PhantomData;

/// A framebuffer of a device of driver `T`, as a plane state refers to it.
///
/// Framebuffers are created by the mode configuration (see [`super::ModeConfig`]) and
/// reference-counted by the DRM core; a `&Framebuffer` borrows the reference of the state it
/// came from.
///
/// # Invariants
///
/// - `fb` is a valid `struct drm_framebuffer` of a device of driver `T`, for the lifetime of
///   any reference to `self`.
/// - Its GEM objects are of type `T::Object`.
#[repr(transparent)]
pub struct Framebuffer<T: drm::Driver> {
    fb: Opaque<bindings::drm_framebuffer>,
    _driver: PhantomData<T>,
}

impl<T: drm::Driver> Framebuffer<T> {
    /// Creates a reference to a framebuffer of a device of driver `T`.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid framebuffer of a device of driver `T`, created by
    /// [`super::ModeConfig`]'s `fb_create`, and stay valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::drm_framebuffer) -> &'a Self {
        // SAFETY: `Self` is a transparent wrapper of `drm_framebuffer`. The framebuffer was
        // made by `drm_gem_fb_create_with_dirty()`, from GEM objects that the DRM core looked up
        // in a file of this device; every GEM object of a device of a Rust driver is of type
        // `T::Object`, since the abstractions create no other kind.
        unsafe { &*ptr.cast() }
    }

    // The accessors read each field in place, through the raw pointer: no reference to the
    // whole `struct drm_framebuffer` is formed, since the DRM core writes some of its fields
    // (the reference count, the list heads) from other threads meanwhile. The fields read
    // here are written once, when the framebuffer is created.

    /// The framebuffer's object id, as userspace sees it.
    pub fn id(&self) -> u32 {
        // SAFETY: `fb` is valid (type invariants); its id is fixed once it is registered.
        unsafe { (*self.fb.get()).base.id }
    }

    /// The pixel format, as a fourcc code.
    pub fn format(&self) -> u32 {
        // SAFETY: `fb` is valid (type invariants); `format` points to the static description
        // of the framebuffer's format.
        unsafe { (*(*self.fb.get()).format).format }
    }

    /// Bytes per pixel of colour plane `plane`, or 0 for a plane the format does not have.
    pub fn cpp(&self, plane: usize) -> u32 {
        // SAFETY: As in `format()`; the description is never written.
        let cpp = unsafe { &(*(*self.fb.get()).format).__bindgen_anon_1.cpp };
        cpp.get(plane).map_or(0, |&c| c.into())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        // SAFETY: `fb` is valid (type invariants); the field is fixed.
        unsafe { (*self.fb.get()).width }
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        // SAFETY: As in `width()`.
        unsafe { (*self.fb.get()).height }
    }

    /// Bytes from one line of colour plane `plane` to the next, or 0 for a plane the format
    /// does not have.
    pub fn pitch(&self, plane: usize) -> u32 {
        // SAFETY: As in `width()`.
        let pitches = unsafe { (*self.fb.get()).pitches };
        pitches.get(plane).copied().unwrap_or(0)
    }

    /// Offset of colour plane `plane` in its GEM object, or 0 for a plane the format does not
    /// have.
    pub fn offset(&self, plane: usize) -> u32 {
        // SAFETY: As in `width()`.
        let offsets = unsafe { (*self.fb.get()).offsets };
        offsets.get(plane).copied().unwrap_or(0)
    }

    /// The GEM object behind colour plane `plane`.
    pub fn object(&self, plane: usize) -> Option<&T::Object> {
        // SAFETY: As in `width()`.
        let objs = unsafe { (*self.fb.get()).obj };
        let obj = *objs.get(plane)?;
        if obj.is_null() {
            return None;
        }
        // SAFETY: The framebuffer holds a reference to each of its objects for its lifetime,
        // and they are of type `T::Object` (type invariants).
        Some(unsafe { T::Object::from_raw(obj) })
    }
}
