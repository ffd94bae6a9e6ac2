// SPDX-License-Identifier: GPL-2.0

//! The feature bits are rewritten while the core probes a driver: only a bound device
//! answers `has_feature`.

use kernel::virtio;

#[allow(dead_code)]
fn racy(dev: &virtio::Device) -> bool {
    dev.has_feature(0) //~ ERROR E0599
}
