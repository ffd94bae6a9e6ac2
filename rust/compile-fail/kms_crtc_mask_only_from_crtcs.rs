// SPDX-License-Identifier: GPL-2.0

//! A `CrtcMask` comes from CRTCs (`Crtc::mask`, joined with `|`): it cannot be built with bits
//! of CRTCs that do not exist.

use kernel::{bindings, drm::kms};

#[allow(dead_code)]
fn forged(dev: *const bindings::drm_device) -> kms::CrtcMask {
    kms::CrtcMask { dev, bits: 0x3 } //~ ERROR E0451
}
