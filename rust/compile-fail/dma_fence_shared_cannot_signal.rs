// SPDX-License-Identifier: GPL-2.0

//! A shared fence can be waited for, not signalled: only its `ArmedFence` signals it.

use kernel::{dma_fence, sync::aref::ARef};

#[allow(dead_code)]
fn signal_shared(fence: ARef<dma_fence::Fence>) {
    fence.signal(); //~ ERROR E0599
}
