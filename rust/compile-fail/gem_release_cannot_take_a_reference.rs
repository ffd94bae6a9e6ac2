// SPDX-License-Identifier: GPL-2.0

//! `DriverObject::release` runs when the object's reference count is zero. It is handed the
//! driver's data, not the GEM object: with `&Object<T>` there, which is `AlwaysRefCounted`,
//! `ARef::from(obj)` would make a reference that outlives the free.

use kernel::drm::gem;

#[allow(dead_code)]
fn the_hook_is_not_handed_the_object<T: gem::DriverObject>() {
    // A hook that takes the GEM object is not what the trait declares.
    let _hook: fn(&gem::DriverAllocImpl<T>) = <T as gem::DriverObject>::release;
    //~^ ERROR E0308
}
