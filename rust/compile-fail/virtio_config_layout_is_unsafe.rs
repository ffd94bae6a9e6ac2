// SPDX-License-Identifier: GPL-2.0

//! Declaring a configuration layout is a promise about every device of a type: it takes
//! `unsafe`, which a driver does not have.

use kernel::virtio;

#[allow(dead_code)]
struct Huge([u32; 1024]);

impl virtio::ConfigSpace for Huge {
    //~^ ERROR E0200
    const DEVICE_TYPE: u32 = 16;
}
