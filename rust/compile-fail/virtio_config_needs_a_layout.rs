// SPDX-License-Identifier: GPL-2.0

//! A configuration space is only read through a layout declared for its device type: a
//! driver cannot read one through a structure larger than what the device implements.

use kernel::{
    device::Bound,
    prelude::*,
    virtio, //
};

#[allow(dead_code)]
fn read_past_the_end(dev: &virtio::Device<Bound>) -> Result {
    // A layout of 4 KiB, to read past what a GPU's configuration space has.
    let _config = dev.config::<[u32; 1024]>()?; //~ ERROR E0277
    Ok(())
}
