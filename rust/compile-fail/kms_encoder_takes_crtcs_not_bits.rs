// SPDX-License-Identifier: GPL-2.0

//! An encoder's CRTCs are CRTCs that exist, on its device: a `CrtcMask` made from them, not a
//! number whose bits may name no CRTC (the core's `WARN` at registration).

use kernel::{
    drm::{
        self,
        kms, //
    },
    prelude::*,
};

#[allow(dead_code)]
fn encoder_of_bits<T: drm::Driver>(mode_config: &kms::ModeConfig<'_, T>) -> Result {
    kms::Encoder::new(mode_config, kms::EncoderType::Virtual, 0x3)?; //~ ERROR E0308
    Ok(())
}
