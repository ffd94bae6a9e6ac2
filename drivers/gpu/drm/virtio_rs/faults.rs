// SPDX-License-Identifier: GPL-2.0

//! Fault points for the test kernels, and what they let a test observe.
//!
//! With `CONFIG_DRM_VIRTIO_GPU_RS_FAULTS`, the device's debugfs directory has:
//!
//! - `unref_timeouts` (read, write): the number of RESOURCE_UNREF requests still to be treated
//!   as timed out. Such a request is submitted as usual, but its object does not wait for the
//!   answer: it goes as after a real timeout, and leaves its pages to the request.
//! - `pages_kept` (read): the pages that unanswered requests keep now, freed when the device
//!   returns each request or is reset.
//! - `pages_kept_total` (read): the pages that unanswered requests have been given, in all.
//!
//! The counters are kept whether the option is on or not; they are shared by every device.

use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};

/// RESOURCE_UNREF requests still to be treated as timed out.
static UNREF_TIMEOUTS: Atomic<u32> = Atomic::new(0);
/// Pages kept by unanswered requests now.
static PAGES_KEPT: Atomic<u64> = Atomic::new(0);
/// Pages given to unanswered requests, in all.
static PAGES_KEPT_TOTAL: Atomic<u64> = Atomic::new(0);

/// Whether the RESOURCE_UNREF just submitted is to be treated as timed out (uses up one).
pub(crate) fn take_unref_timeout() -> bool {
    if !cfg!(CONFIG_DRM_VIRTIO_GPU_RS_FAULTS) {
        return false;
    }
    let mut left = UNREF_TIMEOUTS.load(Relaxed);
    while left > 0 {
        match UNREF_TIMEOUTS.cmpxchg(left, left - 1, Relaxed) {
            Ok(_) => return true,
            Err(now) => left = now,
        }
    }
    false
}

/// Counts `pages` given to an unanswered request.
pub(crate) fn pages_kept(pages: usize) {
    let pages = pages as u64;
    PAGES_KEPT.add(pages, Relaxed);
    PAGES_KEPT_TOTAL.add(pages, Relaxed);
}

/// Counts `pages` that an unanswered request kept, freed. May be called in interrupt context.
pub(crate) fn pages_freed(pages: usize) {
    PAGES_KEPT.fetch_sub(pages as u64, Relaxed);
}

/// Adds the fault points' files to `dir`, the device's debugfs directory.
#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_FAULTS)]
pub(crate) fn files(dir: &kernel::debugfs::ScopedDir<'_, '_>) {
    dir.read_write_file(c"unref_timeouts", &UNREF_TIMEOUTS);
    dir.read_only_file(c"pages_kept", &PAGES_KEPT);
    dir.read_only_file(c"pages_kept_total", &PAGES_KEPT_TOTAL);
}
