// SPDX-License-Identifier: GPL-2.0

//! Mode objects are created on the `ModeConfig` that `ModeConfig::init` returns: not on a
//! device whose mode configuration (and its object lists) does not exist yet.

use kernel::{
    drm::{
        self,
        kms, //
    },
    prelude::*,
};

#[allow(dead_code)]
fn encoder_before_init<C: kms::DriverCrtc>(
    dev: &drm::UnregisteredDevice<C::Driver>,
    crtc: &kms::Crtc<C>,
) -> Result {
    kms::Encoder::new(dev, kms::EncoderType::Virtual, crtc.mask())?; //~ ERROR E0308
    Ok(())
}
