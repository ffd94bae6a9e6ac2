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
        kms::{
            CrtcMask,
            ModeConfig, //
        },
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
    /// Creates an encoder on `mode_config` of kind `kind`, that the CRTCs `possible_crtcs` can
    /// feed.
    ///
    /// The CRTCs must be CRTCs of the same device ([`EINVAL`] otherwise): the core requires an
    /// encoder to have a CRTC, and no other.
    pub fn new<'a, T: drm::Driver>(
        mode_config: &ModeConfig<'a, T>,
        kind: EncoderType,
        possible_crtcs: CrtcMask<'_>,
    ) -> Result<&'a Self> {
        let possible_crtcs = possible_crtcs
            .bits_on(mode_config.as_raw())
            .filter(|&bits| bits != 0)
            .ok_or(EINVAL)?;
        let kind = match kind {
            EncoderType::Virtual => bindings::DRM_MODE_ENCODER_VIRTUAL,
            EncoderType::None => bindings::DRM_MODE_ENCODER_NONE,
        };
        // SAFETY: `mode_config` is the initialized mode configuration of a valid device that is
        // not registered yet and only this thread uses (type invariant of `ModeConfig`). The
        // size and offset describe a `Self`, which is just the encoder. The helper frees
        // the encoder with the device.
        let raw = unsafe {
            bindings::__drmm_simple_encoder_alloc(
                mode_config.as_raw(),
                mem::size_of::<Self>(),
                0,
                kind as c_int,
            )
        };
        let raw: *mut Self = crate::error::from_err_ptr(raw)?.cast();
        // SAFETY: `raw` is an initialized encoder that userspace cannot see yet.
        unsafe { (*(*raw).encoder.get()).possible_crtcs = possible_crtcs };
        // SAFETY: The encoder lives until the device is released, which the device reference
        // of `mode_config` (for `'a`) outlives.
        Ok(unsafe { &*raw })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::drm_encoder {
        self.encoder.get()
    }

    /// The raw DRM device the encoder belongs to.
    pub(crate) fn device_raw(&self) -> *mut bindings::drm_device {
        // SAFETY: `encoder` is initialized, and its `dev` is set once, when it is created.
        unsafe { (*self.as_raw()).dev }
    }
}
