// SPDX-License-Identifier: GPL-2.0

//! An armed fence is signalled once: signalling consumes the right to signal.

use kernel::dma_fence;

#[allow(dead_code)]
fn twice(armed: dma_fence::ArmedFence) {
    armed.signal();
    armed.signal_error(kernel::error::code::EIO); //~ ERROR E0382
}
