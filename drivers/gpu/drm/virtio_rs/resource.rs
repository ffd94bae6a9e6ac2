// SPDX-License-Identifier: GPL-2.0

//! Host resource ids.
//!
//! Every host resource (a dumb buffer's, a view's) is named by a 32-bit id the driver picks.
//! An id must not name two resources at once: a new resource with the id of one the host
//! still holds would be refused, or worse, the old one's pages would be shown. So an id is
//! taken from the device's [`ResourceIds`] and given back only once the host has let go of
//! the resource; an id whose resource the host may still hold is never given back.

use kernel::{
    id_pool::IdPool,
    new_mutex,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Mutex, //
    },
};

/// The resource ids of a device.
#[pin_data]
pub(crate) struct ResourceIds {
    /// The ids in use. Id 0 is never handed out: it means "no resource" to the device.
    #[pin]
    pool: Mutex<IdPool>,
}

impl ResourceIds {
    /// Creates the (empty) id space of a device.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                pool <- new_mutex!(IdPool::new(), "virtio_gpu_rs::ResourceIds"),
            }),
            GFP_KERNEL,
        )
    }

    /// Takes an id that no live resource has.
    ///
    /// [`ENOSPC`] once every id the pool can hold (ids 1 to 2^30 - 1) is in use.
    pub(crate) fn alloc(ids: &Arc<Self>) -> Result<ResourceId> {
        let mut pool = ids.pool.lock();
        loop {
            if let Some(unused) = pool.find_unused_id(1) {
                let id = unused.as_u32();
                unused.acquire();
                return Ok(ResourceId {
                    id,
                    ids: ids.clone(),
                    retired: Atomic::new(false),
                });
            }
            let request = pool.grow_request().ok_or(ENOSPC)?;
            // The new bitmap is allocated without the lock; `grow()` checks it is still larger.
            drop(pool);
            let resizer = request.realloc(GFP_KERNEL)?;
            pool = ids.pool.lock();
            pool.grow(resizer);
        }
    }
}

/// A resource id in use; given back to its [`ResourceIds`] when dropped, unless retired.
pub(crate) struct ResourceId {
    id: u32,
    ids: Arc<ResourceIds>,
    /// The host may still hold the resource: the id is never given back.
    retired: Atomic<bool>,
}

impl ResourceId {
    /// The id, as the device's commands name the resource.
    pub(crate) fn get(&self) -> u32 {
        self.id
    }

    /// Keeps the id in use for ever: the host may still hold its resource (its destruction was
    /// not confirmed), and a new resource must not get its name.
    pub(crate) fn retire(&self) {
        self.retired.store(true, Relaxed);
    }
}

impl Drop for ResourceId {
    fn drop(&mut self) {
        if !self.retired.load(Relaxed) {
            self.ids.pool.lock().release_id(self.id as usize);
        }
    }
}

#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_KUNIT_TEST)]
#[kernel::macros::kunit_tests(virtio_gpu_rs_resource)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_never_zero() -> Result {
        let ids = ResourceIds::new()?;
        let mut held = KVec::new();
        // More than the pool's first bitmap holds, so that it grows.
        for _ in 0..200 {
            held.push(ResourceIds::alloc(&ids)?, GFP_KERNEL)?;
        }
        for (i, a) in held.iter().enumerate() {
            assert!(a.get() != 0);
            assert!(held[i + 1..].iter().all(|b| b.get() != a.get()));
        }
        Ok(())
    }

    #[test]
    fn a_dropped_id_is_reused() -> Result {
        let ids = ResourceIds::new()?;
        let first = ResourceIds::alloc(&ids)?;
        let id = first.get();
        drop(first);
        assert_eq!(ResourceIds::alloc(&ids)?.get(), id);
        Ok(())
    }

    #[test]
    fn a_retired_id_is_never_reused() -> Result {
        let ids = ResourceIds::new()?;
        let first = ResourceIds::alloc(&ids)?;
        let id = first.get();
        first.retire();
        drop(first);
        // Each kept, so that the next one is a new id too.
        let mut held = KVec::new();
        for _ in 0..100 {
            let next = ResourceIds::alloc(&ids)?;
            assert!(next.get() != id);
            held.push(next, GFP_KERNEL)?;
        }
        Ok(())
    }
}
