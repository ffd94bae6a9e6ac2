// SPDX-License-Identifier: GPL-2.0

//! Reservation objects: the fences of the work pending on a buffer, for implicit
//! synchronization.
//!
//! Every GEM object and DMA-buf has a [`Resv`]. A driver that queues work on a buffer adds the
//! work's fence to it, with the object locked ([`Resv::with_lock`]), in a slot it reserved
//! before the work was queued ([`ResvGuard::reserve`]), so that nothing fails once the work is
//! on its way; whoever uses the buffer next waits for the fences of the kind it needs
//! ([`Resv::wait_timeout`]), without the lock.
//!
//! The lock is held for the length of a closure, and never handed out: a guard that could be
//! leaked (`mem::forget`) would leave the object locked for good, and the task that leaked it
//! could exit holding it.
//!
//! # Deadlocks
//!
//! Only one reservation object may be locked at a time, without an acquire context: a closure
//! that locks another (or the same one again, as the GEM shmem helpers do in `vmap` and when
//! they first make an object's scatter-gather table) can deadlock, against another thread or
//! against itself. Locking a submission's buffer list needs the wound/wait context, which this
//! module does not have yet.
//!
//! C header: [`include/linux/dma-resv.h`](srctree/include/linux/dma-resv.h)

use crate::{
    bindings,
    dma_fence::TimelineFence,
    error::to_result,
    prelude::*,
    time::{
        msecs_to_jiffies,
        Delta,
        Msecs, //
    },
    types::{
        NotThreadSafe,
        Opaque, //
    },
};
use core::ptr;

/// What the work behind a fence does with the buffer (`enum dma_resv_usage`).
///
/// Each kind includes the ones before it when waiting: waiting for [`Usage::Read`] waits for
/// kernel work, writers and readers, that is, for everything a new writer must wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// The kernel's own work on the buffer, such as moving it.
    Kernel,
    /// Work that writes the buffer: readers wait for it.
    Write,
    /// Work that reads the buffer: writers wait for it.
    Read,
    /// Work that neither implicit readers nor writers wait for.
    Bookkeep,
}

impl Usage {
    fn as_raw(self) -> bindings::dma_resv_usage {
        match self {
            Self::Kernel => bindings::dma_resv_usage_DMA_RESV_USAGE_KERNEL,
            Self::Write => bindings::dma_resv_usage_DMA_RESV_USAGE_WRITE,
            Self::Read => bindings::dma_resv_usage_DMA_RESV_USAGE_READ,
            Self::Bookkeep => bindings::dma_resv_usage_DMA_RESV_USAGE_BOOKKEEP,
        }
    }
}

/// A reservation object (`struct dma_resv`).
///
/// # Invariants
///
/// `resv` is an initialized `struct dma_resv`, which lives at least as long as the `&Resv`.
#[repr(transparent)]
pub struct Resv {
    resv: Opaque<bindings::dma_resv>,
}

// SAFETY: The fences and the lock of a reservation object are only changed by the core's
// functions, under its lock or with RCU, from any thread.
unsafe impl Send for Resv {}

// SAFETY: As above: every method takes `&self` and goes through the core's functions.
unsafe impl Sync for Resv {}

impl Resv {
    /// Borrows the reservation object `ptr` points at.
    ///
    /// # Safety
    ///
    /// `ptr` is an initialized `struct dma_resv` that is not finalized during `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::dma_resv) -> &'a Self {
        // INVARIANT: By the safety requirements.
        // SAFETY: `Self` is `repr(transparent)` over the `struct dma_resv`, which the safety
        // requirements keep alive for `'a`.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut bindings::dma_resv {
        self.resv.get()
    }

    /// Runs `f` with the object locked, to add fences to it, and unlocks it after. Waiting for
    /// the lock can be interrupted by a signal, with [`EINTR`] (as the C drivers return it).
    ///
    /// `f` must not lock another reservation object: see [Deadlocks](self#deadlocks).
    pub fn with_lock<R>(&self, f: impl FnOnce(&mut ResvGuard<'_>) -> Result<R>) -> Result<R> {
        // SAFETY: The object is initialized (type invariants). Without an acquire context the
        // lock is a plain sleeping lock.
        to_result(unsafe {
            bindings::dma_resv_lock_interruptible(self.as_raw(), ptr::null_mut())
        })?;
        // INVARIANT: The lock is held by this thread until the guard is dropped below; `f` only
        // borrows the guard, so it cannot keep or leak it.
        let mut guard = ResvGuard {
            resv: self,
            _not_send: NotThreadSafe,
        };
        f(&mut guard)
    }

    /// Whether every fence of `usage` (and of the kinds before it) has completed.
    pub fn test_signaled(&self, usage: Usage) -> bool {
        // SAFETY: The object is initialized (type invariants); the core reads its fences with
        // RCU, without the lock.
        unsafe { bindings::dma_resv_test_signaled(self.as_raw(), usage.as_raw()) }
    }

    /// Waits until every fence of `usage` (and of the kinds before it) has completed, at most
    /// `timeout`; with `interruptible`, a signal ends the wait with [`ERESTARTSYS`].
    ///
    /// Returns whether the fences completed: `false` means the time ran out first.
    pub fn wait_timeout(&self, usage: Usage, interruptible: bool, timeout: Delta) -> Result<bool> {
        let msecs = Msecs::try_from(timeout.as_millis_ceil().max(0)).unwrap_or(Msecs::MAX);
        let jiffies = msecs_to_jiffies(msecs);
        // SAFETY: The object is initialized (type invariants); the core takes references on
        // the fences it waits for.
        let ret = unsafe {
            bindings::dma_resv_wait_timeout(self.as_raw(), usage.as_raw(), interruptible, jiffies)
        };
        match ret {
            0 => Ok(false),
            ret if ret > 0 => Ok(true),
            ret => Err(Error::from_errno(ret as c_int)),
        }
    }
}

/// A locked [`Resv`], in [`Resv::with_lock`]: fences can be reserved room for and added.
///
/// # Invariants
///
/// The lock of `resv` is held, by this thread, until the guard is dropped.
pub struct ResvGuard<'a> {
    resv: &'a Resv,
    _not_send: NotThreadSafe,
}

impl<'a> ResvGuard<'a> {
    /// Reserves room for one fence, to be added with [`FenceSlot::add`] before the lock is
    /// released. Allocating room can fail; adding to it cannot.
    #[must_use = "the room is only there while the lock is held"]
    pub fn reserve(&mut self) -> Result<FenceSlot<'_, 'a>> {
        // SAFETY: The lock is held (type invariants).
        to_result(unsafe { bindings::dma_resv_reserve_fences(self.resv.as_raw(), 1) })?;
        // INVARIANT: The object has room for one more fence, and the slot borrows the guard
        // mutably, so nothing else is reserved or added until it is used or dropped.
        Ok(FenceSlot { guard: self })
    }
}

impl Drop for ResvGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The lock is held by this thread (type invariants), and released once, here.
        unsafe { bindings::dma_resv_unlock(self.resv.as_raw()) };
    }
}

/// Room for one fence in a locked [`Resv`], from [`ResvGuard::reserve`].
///
/// # Invariants
///
/// The object is locked and has room for one more fence.
pub struct FenceSlot<'g, 'a> {
    guard: &'g mut ResvGuard<'a>,
}

impl FenceSlot<'_, '_> {
    /// Adds `fence`, for work that uses the buffer as `usage` says.
    ///
    /// It takes the place of a fence of its context that the object has, if it is as late on
    /// that context and that fence's usage is at least `usage`, or of a fence that completed;
    /// else it takes the slot. Only the fences of a [`Timeline`](crate::dma_fence::Timeline)
    /// are taken: the core warns about containers of fences (arrays, chains), which these
    /// never are, so adding cannot fail.
    pub fn add(self, fence: &TimelineFence, usage: Usage) {
        // SAFETY: The object is locked and has room for one more fence (type invariants); the
        // fence is initialized and not a container (type invariants of `TimelineFence`), and
        // the object takes its own reference.
        unsafe {
            bindings::dma_resv_add_fence(self.guard.resv.as_raw(), fence.as_raw(), usage.as_raw())
        };
    }
}

#[kunit_tests(rust_dma_resv)]
mod tests {
    use super::*;
    use crate::dma_fence::{
        PendingFence,
        Timeline, //
    };

    /// A reservation object of the test's own, as a GEM object embeds one.
    struct OwnedResv(KBox<Opaque<bindings::dma_resv>>);

    impl OwnedResv {
        fn new() -> Result<Self> {
            let resv = KBox::new(Opaque::uninit(), GFP_KERNEL)?;
            // SAFETY: `resv` is memory for a `struct dma_resv`, fixed in place until `drop`.
            unsafe { bindings::dma_resv_init(resv.get()) };
            Ok(Self(resv))
        }

        fn resv(&self) -> &Resv {
            // SAFETY: The object was initialized in `new` and is finalized in `drop`, after
            // every borrow of `self` ended.
            unsafe { Resv::from_raw(self.0.get()) }
        }
    }

    impl Drop for OwnedResv {
        fn drop(&mut self) {
            // SAFETY: Initialized in `new`; nothing borrows it any more, and it is not locked,
            // as every guard borrowed `self`.
            unsafe { bindings::dma_resv_fini(self.0.get()) };
        }
    }

    #[test]
    fn readers_wait_for_a_writer_until_it_signals() -> Result {
        let owned = OwnedResv::new()?;
        let resv = owned.resv();
        let timeline = Timeline::new(c"rust_dma_resv", c"writes");
        let armed = timeline.arm(PendingFence::new(GFP_KERNEL)?);
        resv.with_lock(|guard| {
            guard.reserve()?.add(&armed.shared(), Usage::Write);
            Ok(())
        })?;
        assert!(!resv.test_signaled(Usage::Read));
        // A writer's fence is not the kernel's: waiting for the kernel's work alone finds none.
        assert!(resv.test_signaled(Usage::Kernel));
        assert_eq!(
            resv.wait_timeout(Usage::Read, false, Delta::from_millis(1)),
            Ok(false)
        );

        armed.signal();
        assert!(resv.test_signaled(Usage::Read));
        assert_eq!(
            resv.wait_timeout(Usage::Read, true, Delta::from_millis(1)),
            Ok(true)
        );
        Ok(())
    }

    #[test]
    fn a_later_fence_of_the_context_replaces_the_earlier() -> Result {
        let owned = OwnedResv::new()?;
        let resv = owned.resv();
        let timeline = Timeline::new(c"rust_dma_resv", c"replaced");
        let first = timeline.arm(PendingFence::new(GFP_KERNEL)?);
        let second = timeline.arm(PendingFence::new(GFP_KERNEL)?);
        resv.with_lock(|guard| {
            guard.reserve()?.add(&first.shared(), Usage::Write);
            guard.reserve()?.add(&second.shared(), Usage::Write);
            Ok(())
        })?;
        // Out of order on purpose, to see what the object kept: only the second, so it is
        // idle once the second completes, even though the first has not.
        second.signal_error(EIO);
        assert!(resv.test_signaled(Usage::Read));
        first.signal();
        Ok(())
    }
}
