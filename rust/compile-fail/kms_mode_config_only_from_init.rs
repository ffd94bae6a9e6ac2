// SPDX-License-Identifier: GPL-2.0

//! Only `ModeConfig::init` makes a `ModeConfig`: it cannot be built by hand.

use kernel::drm::{
    self,
    kms, //
};

#[allow(dead_code)]
fn forged<T: drm::Driver>(dev: &drm::UnregisteredDevice<T>) -> kms::ModeConfig<'_, T> {
    kms::ModeConfig { dev } //~ ERROR E0451
}
