// SPDX-License-Identifier: GPL-2.0

//! A plane's state is the driver's to change in its check and `prepare_fb` only, while the
//! commit is private. Once the commit is applied the state is the plane's current one, which
//! the next commit duplicates concurrently: `atomic_update` only reads it.

use kernel::drm::kms;

#[allow(dead_code)]
fn update_changes_its_state<P: kms::DriverPlane>(
    plane: &kms::Plane<P>,
    commit: &kms::AtomicCommit<'_, P::Driver>,
) {
    if let Some(state) = commit.new_plane_state(plane) {
        let _ = state.data_mut(); //~ ERROR E0596
    }
}
