// SPDX-License-Identifier: GPL-2.0

//! A CRTC takes its primary plane by value: a primary plane cannot be given to a second
//! CRTC, which `drm_crtc_init_with_planes()` would link to the same plane.

use kernel::{
    drm::kms,
    prelude::*, //
};

#[allow(dead_code)]
fn two_crtcs_one_primary<'a, P, C>(
    mode_config: &kms::ModeConfig<'a, P::Driver>,
    primary: kms::PrimaryPlane<'a, P>,
    first: impl PinInit<C, Error>,
    second: impl PinInit<C, Error>,
) -> Result
where
    P: kms::DriverPlane,
    C: kms::DriverCrtc<Driver = P::Driver>,
{
    kms::Crtc::new(mode_config, primary, first)?;
    kms::Crtc::new(mode_config, primary, second)?; //~ ERROR E0382
    Ok(())
}
