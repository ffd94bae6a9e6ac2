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
fn encoder_before_init<T: drm::Driver>(dev: &drm::UnregisteredDevice<T>) -> Result {
    kms::Encoder::new(dev, kms::EncoderType::Virtual, 1)?; //~ ERROR E0308
    Ok(())
}
