// SPDX-License-Identifier: GPL-2.0

//! Encoders: what turns a CRTC's pixels into a connector's signal.
//!
//! Modern drivers do their work in the CRTC and the connector, so these encoders carry no data
//! and no callbacks: they only tell userspace which CRTCs can feed which connectors.
//!
//! C header: [`include/drm/drm_encoder.h`](srctree/include/drm/drm_encoder.h)

use crate::{
    bindings,
    drm::{
        self,
        device::UnregisteredDevice, //
    },
    prelude::*,
    types::Opaque,
};
use core::mem;

/// The kind of an encoder, as userspace sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncoderType {
    /// A virtual machine's display (`DRM_MODE_ENCODER_VIRTUAL`).
    Virtual,
    /// No particular kind (`DRM_MODE_ENCODER_NONE`).
    None,
}

/// An encoder, managed by its DRM device.
///
/// # Invariants
///
/// `encoder` is an initialized `struct drm_encoder` in memory the DRM device manages, which
/// lives until the device is released.
#[repr(transparent)]
pub struct Encoder {
    encoder: Opaque<bindings::drm_encoder>,
}

impl Encoder {
    /// Creates an encoder of `dev` of kind `kind`, that CRTCs `possible_crtcs` (a mask of
    /// CRTC indices) can feed.
    pub fn new<'a, T: drm::Driver>(
        dev: &'a UnregisteredDevice<T>,
        kind: EncoderType,
        possible_crtcs: u32,
    ) -> Result<&'a Self> {
        let kind = match kind {
            EncoderType::Virtual => bindings::DRM_MODE_ENCODER_VIRTUAL,
            EncoderType::None => bindings::DRM_MODE_ENCODER_NONE,
        };
        // SAFETY: `dev` is a valid device that is not registered yet and only this thread uses.
        // The size and offset describe a `Self`, which is just the encoder. The helper frees
        // the encoder with the device.
        let raw = unsafe {
            bindings::__drmm_simple_encoder_alloc(
                dev.as_raw(),
                mem::size_of::<Self>(),
                0,
                kind as c_int,
            )
        };
        let raw: *mut Self = crate::error::from_err_ptr(raw)?.cast();
        // SAFETY: `raw` is an initialized encoder that userspace cannot see yet.
        unsafe { (*(*raw).encoder.get()).possible_crtcs = possible_crtcs };
        // SAFETY: The encoder lives until the device is released, which `dev` outlives.
        Ok(unsafe { &*raw })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_encoder {
        self.encoder.get()
    }
}
