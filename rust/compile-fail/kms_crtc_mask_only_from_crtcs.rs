// SPDX-License-Identifier: GPL-2.0

//! A `CrtcMask` comes from CRTCs (`Crtc::mask`, joined with `|`): it cannot be built with bits
//! of CRTCs that do not exist.

use kernel::{bindings, drm::kms};

#[allow(dead_code)]
fn forged<'a>(dev: *const bindings::drm_device) -> kms::CrtcMask<'a> {
    kms::CrtcMask { dev, bits: 0x3, _crtcs: core::marker::PhantomData } //~ ERROR E0451
}
