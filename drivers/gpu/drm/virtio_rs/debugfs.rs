// SPDX-License-Identifier: GPL-2.0

//! The device's debugfs directory, `/sys/kernel/debug/virtio_gpu_rs-<virtio device>/`, for the
//! test kernels: the benchmark's round trip (`CONFIG_DRM_VIRTIO_GPU_RS_BENCH`, see
//! [`crate::bench`]) and the fault points (`CONFIG_DRM_VIRTIO_GPU_RS_FAULTS`, see
//! [`crate::faults`]).

use crate::device::Queues;
use kernel::{
    debugfs,
    prelude::*,
    str::CString,
    virtio, //
};

/// What the directory's files reach.
pub(crate) struct Data {
    #[cfg(CONFIG_DRM_VIRTIO_GPU_RS_BENCH)]
    round_trip: crate::bench::RoundTrip,
}

/// The directory of one device; removing it waits for a read or write in progress.
pub(crate) type Dir = Pin<KBox<debugfs::Scope<Data>>>;

/// Creates the directory and its files for `vdev`, whose control queue `queues` reaches.
pub(crate) fn create(vdev: &virtio::Device, queues: Queues) -> Result<Dir> {
    #[cfg(not(CONFIG_DRM_VIRTIO_GPU_RS_BENCH))]
    let _ = queues;
    let name = CString::try_from_fmt(fmt!("virtio_gpu_rs-{}", vdev.as_ref().name()))?;
    let data = Data {
        #[cfg(CONFIG_DRM_VIRTIO_GPU_RS_BENCH)]
        round_trip: crate::bench::RoundTrip::new(queues),
    };
    KBox::pin_init(
        debugfs::Scope::dir(data, &name, |data, dir| {
            #[cfg(CONFIG_DRM_VIRTIO_GPU_RS_BENCH)]
            crate::bench::files(&data.round_trip, dir);
            #[cfg(CONFIG_DRM_VIRTIO_GPU_RS_FAULTS)]
            crate::faults::files(dir);
            let _ = (data, dir);
        }),
        GFP_KERNEL,
    )
}
