// SPDX-License-Identifier: GPL-2.0

//! The device's own round trip, for `make bench` (`CONFIG_DRM_VIRTIO_GPU_RS_BENCH`).
//!
//! Reading `/sys/kernel/debug/virtio_gpu_rs-<virtio device>/round_trip` sends
//! [`ROUND_TRIPS`] `GET_DISPLAY_INFO` commands on the control queue, one at a time, and prints
//! the median, minimum and maximum time from submitting each to its answer. No command is
//! cheaper for the device, so this is the floor under every figure of the benchmark: an update
//! the driver waits for cannot take less than one such round trip.
//!
//! It is for measuring, not for users: a read takes the control queue for a while, and its
//! figures are only meaningful on an otherwise idle device.

use crate::{
    commands,
    device::Queues, //
};
use kernel::{
    debugfs,
    fmt,
    prelude::*,
    time::{
        Instant,
        Monotonic, //
    },
    virtio, //
};

/// The round trips of one read of the file.
const ROUND_TRIPS: usize = 200;

/// The data of the debugfs file: the queues it sends on.
pub(crate) struct RoundTrip {
    queues: Queues,
}

/// The figures of one read, in nanoseconds.
struct Figures {
    median: i64,
    min: i64,
    max: i64,
}

impl RoundTrip {
    fn measure(&self) -> Result<Figures> {
        let mut times = KVec::with_capacity(ROUND_TRIPS, GFP_KERNEL)?;
        for _ in 0..ROUND_TRIPS {
            // Building the request is the driver's work, not the device's: not timed.
            let request =
                virtio::Request::new(commands::get_display_info()?, commands::DISPLAY_INFO_SIZE)?;
            let start = Instant::<Monotonic>::now();
            let answer = self.queues.call(&request)?;
            let elapsed = start.elapsed().as_nanos();
            commands::decode_display_info(answer, 0)?;
            times.push(elapsed, GFP_KERNEL)?;
        }
        sort(&mut times);
        Ok(Figures {
            median: times[ROUND_TRIPS / 2],
            min: times[0],
            max: times[ROUND_TRIPS - 1],
        })
    }
}

/// Sorts `v` in place, by insertion: the slices here are a few hundred entries long, and
/// `core`'s sorts end in code objtool cannot follow.
fn sort(v: &mut [i64]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Prints one line; less than a page, so that one read measures once.
fn show(data: &RoundTrip, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match data.measure() {
        Ok(t) => writeln!(
            f,
            "round_trips {ROUND_TRIPS} median_ns {} min_ns {} max_ns {}",
            t.median, t.min, t.max
        ),
        Err(e) => writeln!(f, "error {e:?}"),
    }
}

/// Adds the round-trip file to `dir`, the device's debugfs directory.
pub(crate) fn files<'a>(data: &'a RoundTrip, dir: &debugfs::ScopedDir<'a, '_>) {
    dir.read_callback_file(c"round_trip", data, &show);
}

impl RoundTrip {
    /// The benchmark's data, for the device whose control queue `queues` reaches.
    pub(crate) fn new(queues: Queues) -> Self {
        RoundTrip { queues }
    }
}
