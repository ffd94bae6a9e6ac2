// SPDX-License-Identifier: GPL-2.0

//! DMA fences: the completion of a piece of work, which other drivers, the display and
//! userspace can wait for.
//!
//! A driver makes its fences on a [`Timeline`], one per ring of work that completes in order.
//! Where failing is still allowed, before the work is queued, it allocates a [`PendingFence`].
//! Once the work is queued it arms the fence ([`Timeline::arm`], which cannot fail and does not
//! allocate) and gets an [`ArmedFence`], the right to signal it; everyone else, and the driver
//! too, shares the [`Fence`]. When the work is done the driver signals the armed fence, with or
//! without an error, from any context but NMI. An armed fence dropped without being signalled
//! completes with [`ECANCELED`]; one that is leaked never completes, and its waiters wait
//! forever, but nothing is freed under them.
//!
//! The fences of a timeline must complete in the order of their seqnos: the core and other
//! drivers take a later fence of a context for all the earlier ones (`dma_resv` keeps only the
//! latest, schedulers wait for one per context), so signalling fence 2 before fence 1 can let
//! them reuse a buffer the device still works on. That is the driver's to keep (it arms and
//! signals in the order its device completes the work); it is not checked here yet.
//!
//! Every fence's lock is its inline lock, and they all share one lockdep class: a callback that
//! signals another of these fences must defer it (as the core's fence arrays use `irq_work`).
//!
//! No fence made here points into the memory of the module that made it: its operations are
//! this crate's, which is built into the kernel, its names are copied into it, its lock is
//! inside it, and the core frees it, an RCU grace period after its last reference is gone. Once
//! signalled, it is detached from its operations too. So a module may be unloaded while its
//! fences live on, signalled or not.
//!
//! C header: [`include/linux/dma-fence.h`](srctree/include/linux/dma-fence.h)

use crate::{
    alloc::Flags,
    bindings,
    error::code::ECANCELED,
    prelude::*,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        atomic::{
            Atomic,
            Relaxed, //
        },
    },
    types::Opaque,
};
use core::{
    mem::offset_of,
    ptr::{
        self,
        NonNull, //
    },
};

/// The longest driver or timeline name a fence keeps, in bytes; longer names are cut.
pub const NAME_LEN: usize = 31;

/// A fence's name, NUL-terminated.
type Name = [u8; NAME_LEN + 1];

/// `name`, cut to [`NAME_LEN`] bytes, NUL-terminated.
fn name_of(name: &CStr) -> Name {
    let mut out = [0; NAME_LEN + 1];
    let bytes = name.to_bytes();
    let len = bytes.len().min(NAME_LEN);
    out[..len].copy_from_slice(&bytes[..len]);
    out
}

/// Any DMA fence, this crate's or another driver's: what can be waited for, not signalled.
///
/// # Invariants
///
/// `fence` is an initialized `struct dma_fence`. An `&Fence` comes with a reference held on it
/// for as long as it lives.
#[repr(transparent)]
pub struct Fence {
    fence: Opaque<bindings::dma_fence>,
}

// SAFETY: A fence can be used and released from any thread: its fields are set once when it is
// initialized, or changed under its own lock or atomically by the core's functions, which are
// callable from any context but NMI.
unsafe impl Send for Fence {}

// SAFETY: As above: every method takes `&self` and goes through the core's thread-safe
// functions.
unsafe impl Sync for Fence {}

// SAFETY: `dma_fence_get()` and `dma_fence_put()` count the references of the fence, which lives
// while any is held; the last put releases it, from any context.
unsafe impl AlwaysRefCounted for Fence {
    fn inc_ref(&self) {
        // SAFETY: The fence is initialized and has a reference (type invariants).
        unsafe { bindings::dma_fence_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: By the safety requirements, the caller owns a reference to the fence, which is
        // a `struct dma_fence` (`repr(transparent)` over `Opaque`).
        unsafe { bindings::dma_fence_put(obj.cast::<bindings::dma_fence>().as_ptr()) };
    }
}

impl Fence {
    /// Borrows the fence `ptr` points at.
    ///
    /// # Safety
    ///
    /// `ptr` is an initialized `struct dma_fence`, on which the caller holds a reference for
    /// `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::dma_fence) -> &'a Self {
        // INVARIANT: By the safety requirements.
        // SAFETY: `Self` is `repr(transparent)` over the `struct dma_fence`, which the safety
        // requirements keep alive for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// The raw fence, for the C functions that take one.
    pub fn as_raw(&self) -> *mut bindings::dma_fence {
        self.fence.get()
    }

    /// The fence's context: the timeline whose fences complete in order of their seqno.
    pub fn context(&self) -> u64 {
        // SAFETY: The fence is initialized (type invariants), and its context is set once, when
        // it is initialized.
        unsafe { (*self.as_raw()).context }
    }

    /// The fence's place on its timeline.
    pub fn seqno(&self) -> u64 {
        // SAFETY: As for `context`.
        unsafe { (*self.as_raw()).seqno }
    }

    /// Whether the fence has completed.
    ///
    /// Asking may run the `signaled` callback of the driver that made the fence, which may
    /// signal it there and then.
    pub fn is_signaled(&self) -> bool {
        // SAFETY: The fence is initialized and has a reference (type invariants).
        unsafe { bindings::dma_fence_is_signaled(self.as_raw()) }
    }

    /// How the fence completed: `None` while it has not, `Some(Ok(()))` if it completed
    /// without an error, `Some(Err(e))` if with error `e`.
    pub fn status(&self) -> Option<Result> {
        // SAFETY: The fence is initialized and has a reference (type invariants).
        match unsafe { bindings::dma_fence_get_status(self.as_raw()) } {
            0 => None,
            e if e < 0 => Some(Err(Error::from_errno(e))),
            _ => Some(Ok(())),
        }
    }
}

/// A fence of this crate's: the `struct dma_fence` and what its operations read.
///
/// # Invariants
///
/// `base` is at offset 0, so the core's `kfree_rcu()` of the fence frees the whole allocation,
/// which is a `KBox<RawFence>`'s. Once `base` is initialized, `driver` and `timeline` do not
/// change.
#[repr(C)]
struct RawFence {
    base: Opaque<bindings::dma_fence>,
    driver: Name,
    timeline: Name,
}

const _: () = assert!(offset_of!(RawFence, base) == 0);

impl RawFence {
    /// # Safety
    ///
    /// `fence` is the `base` of a live `RawFence`.
    unsafe fn names<'a>(fence: *mut bindings::dma_fence) -> &'a Self {
        // SAFETY: By the safety requirements, `fence` is at offset 0 of a live `RawFence`
        // (type invariants), whose names nothing changes.
        unsafe { &*fence.cast::<Self>() }
    }

    /// The `get_driver_name` callback.
    ///
    /// # Safety
    ///
    /// `fence` is a live fence of `FENCE_OPS`.
    unsafe extern "C" fn driver_name(fence: *mut bindings::dma_fence) -> *const c_char {
        // SAFETY: Only `Timeline::arm` initializes fences with `FENCE_OPS`, and it does so on the
        // `base` of a `RawFence`.
        unsafe { Self::names(fence) }.driver.as_ptr().cast()
    }

    /// The `get_timeline_name` callback.
    ///
    /// # Safety
    ///
    /// `fence` is a live fence of `FENCE_OPS`.
    unsafe extern "C" fn timeline_name(fence: *mut bindings::dma_fence) -> *const c_char {
        // SAFETY: As in `driver_name`.
        unsafe { Self::names(fence) }.timeline.as_ptr().cast()
    }
}

/// The operations of every fence made here. No `release` and no `wait`: the core then detaches
/// a fence from them when it is signalled, and frees it with `dma_fence_free()`. No
/// `enable_signaling`: signalling is always on. No `signaled`: only the [`ArmedFence`] signals.
///
/// The callbacks are not generic, so they are in the kernel image, not in a driver module.
static FENCE_OPS: bindings::dma_fence_ops = bindings::dma_fence_ops {
    get_driver_name: Some(RawFence::driver_name),
    get_timeline_name: Some(RawFence::timeline_name),
    ..pin_init::zeroed()
};

/// A fence allocated for work not queued yet: it can still be dropped, and nobody sees it.
pub struct PendingFence(KBox<RawFence>);

// SAFETY: The fence is not initialized yet: it is memory that only this box owns and nothing
// points to, so any thread may arm or free it.
unsafe impl Send for PendingFence {}

impl PendingFence {
    /// Allocates a fence, with `flags`.
    pub fn new(flags: Flags) -> Result<Self> {
        Ok(Self(KBox::new(
            RawFence {
                base: Opaque::uninit(),
                driver: [0; NAME_LEN + 1],
                timeline: [0; NAME_LEN + 1],
            },
            flags,
        )?))
    }
}

/// A timeline: fences that complete in the order they are armed, under one fence context.
///
/// Arming gives each fence the next seqno; the driver arms them in the order its device
/// completes the work (under the lock that queues it, say).
pub struct Timeline {
    context: u64,
    next: Atomic<u64>,
    driver: Name,
    name: Name,
}

impl Timeline {
    /// Creates a timeline of `driver`'s, named `name` (each cut to [`NAME_LEN`] bytes).
    pub fn new(driver: &CStr, name: &CStr) -> Self {
        Self {
            // SAFETY: Any number of contexts can be allocated, from any context.
            context: unsafe { bindings::dma_fence_context_alloc(1) },
            next: Atomic::new(1),
            driver: name_of(driver),
            name: name_of(name),
        }
    }

    /// The fence context of the timeline.
    pub fn context(&self) -> u64 {
        self.context
    }

    /// Arms `fence` with the next seqno of the timeline: from now on others can see it, and only
    /// signalling the returned [`ArmedFence`] (or dropping it) completes it.
    ///
    /// Fences are armed in the order the timeline completes them: see the [module
    /// documentation](self).
    pub fn arm(&self, fence: PendingFence) -> ArmedFence {
        self.init(fence, self.next.fetch_add(1, Relaxed))
    }

    /// Takes the next seqno, hands it to `queue`, and arms `fence` with it if `queue` succeeds.
    ///
    /// This is for work that must carry its seqno when it is queued, such as a command whose
    /// fence id the device reports back: `queue` writes the seqno into the work and queues it,
    /// and the fence is armed only once the work is on its way. The seqno is taken before
    /// `queue` runs, so for seqnos to rise in the order the work is queued, the caller holds
    /// the lock that orders the timeline's work around the whole call. If `queue` fails,
    /// `fence` is handed back, unarmed and unseen, with the error; its seqno is not reused, so
    /// the timeline's seqnos may have gaps, which is allowed.
    pub fn arm_with(
        &self,
        fence: PendingFence,
        queue: impl FnOnce(u64) -> Result,
    ) -> core::result::Result<ArmedFence, (Error, PendingFence)> {
        let seqno = self.next.fetch_add(1, Relaxed);
        match queue(seqno) {
            Ok(()) => Ok(self.init(fence, seqno)),
            Err(e) => Err((e, fence)),
        }
    }

    /// Initializes `fence` as the fence of `seqno` on this timeline.
    fn init(&self, fence: PendingFence, seqno: u64) -> ArmedFence {
        let mut raw = fence.0;
        raw.driver = self.driver;
        raw.timeline = self.name;
        // The core owns the allocation from now on (see below). The pointer covers the whole
        // `RawFence`, as the name callbacks read all of it through the fence.
        let raw = NonNull::from(KBox::leak(raw));
        let base = raw.cast::<bindings::dma_fence>();
        // INVARIANT: The fence is initialized on the `base`, at offset 0, of a `RawFence` whose
        // names are set and do not change again; it starts with one reference, which the
        // `ArmedFence` owns. The core frees it with `kfree_rcu()` when the last reference goes
        // (no `release`), which frees the `KBox` allocation.
        // SAFETY: `base` is the `base` of `raw` (offset 0, and `Opaque` is transparent), valid for
        // writes and not initialized yet. `FENCE_OPS` has both name callbacks. A null lock makes
        // the fence use its inline lock.
        unsafe {
            bindings::dma_fence_init64(
                base.as_ptr(),
                &FENCE_OPS,
                ptr::null_mut(),
                self.context,
                seqno,
            )
        };
        // INVARIANT: The fence is one of `FENCE_OPS`, not signalled, and only this `ArmedFence`
        // signals it.
        ArmedFence {
            // SAFETY: `base` is initialized, and its only reference moves into the `ARef`.
            fence: unsafe { ARef::from_raw(base.cast::<Fence>()) },
            done: false,
        }
    }
}

/// A reference to a fence of a [`Timeline`]: a [`Fence`] known not to be a container of other
/// fences, which is what a reservation object takes
/// ([`FenceSlot::add`](crate::dma_resv::FenceSlot::add)).
///
/// # Invariants
///
/// The fence was initialized with `FENCE_OPS` (it may have been detached from them since, when
/// it was signalled).
#[derive(Clone)]
pub struct TimelineFence(ARef<Fence>);

impl core::ops::Deref for TimelineFence {
    type Target = Fence;

    fn deref(&self) -> &Fence {
        &self.0
    }
}

/// An armed fence of a [`Timeline`]: the right to signal it, once.
///
/// Dropping it without signalling completes the fence with [`ECANCELED`].
///
/// # Invariants
///
/// `fence` is a fence of `FENCE_OPS` that only this `ArmedFence` signals; it is not signalled
/// while `done` is false.
pub struct ArmedFence {
    fence: ARef<Fence>,
    done: bool,
}

impl ArmedFence {
    /// The fence, to share with whoever waits for it.
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// A reference to the fence, as a fence of a [`Timeline`].
    pub fn shared(&self) -> TimelineFence {
        // INVARIANT: The fence is one of `FENCE_OPS`, which is not a container's.
        TimelineFence(self.fence.clone())
    }

    /// Completes the fence without an error.
    pub fn signal(mut self) {
        self.complete(None);
    }

    /// Completes the fence with `error`.
    pub fn signal_error(mut self, error: Error) {
        self.complete(Some(error));
    }

    /// Signals the fence, with `error` if any. Called once: `signal` and `signal_error` consume
    /// `self`, and `drop` calls it only if they did not.
    fn complete(&mut self, error: Option<Error>) {
        let raw = self.fence.as_raw();
        if let Some(e) = error {
            // SAFETY: The fence is initialized and, as `done` is false here, not signalled (type
            // invariants). An `Error` is a negative errno no smaller than `-MAX_ERRNO`.
            unsafe { bindings::dma_fence_set_error(raw, e.to_errno()) };
        }
        // SAFETY: The fence is initialized, and we hold a reference to it.
        unsafe { bindings::dma_fence_signal(raw) };
        // INVARIANT: The fence is signalled now.
        self.done = true;
    }
}

impl Drop for ArmedFence {
    fn drop(&mut self) {
        if !self.done {
            self.complete(Some(ECANCELED));
        }
    }
}

#[kunit_tests(rust_dma_fence)]
mod tests {
    use super::*;

    #[test]
    fn armed_fences_complete_once_in_order() -> Result {
        let timeline = Timeline::new(c"rust_dma_fence", c"a timeline with a long name, cut");
        let first = timeline.arm(PendingFence::new(GFP_KERNEL)?);
        let second = timeline.arm(PendingFence::new(GFP_KERNEL)?);
        let shared: ARef<Fence> = first.fence().into();
        assert_eq!(shared.context(), timeline.context());
        assert_eq!((shared.seqno(), second.fence().seqno()), (1, 2));
        assert!(!shared.is_signaled());
        assert_eq!(shared.status(), None);

        first.signal();
        assert!(shared.is_signaled());
        assert_eq!(shared.status(), Some(Ok(())));
        second.signal_error(ETIMEDOUT);
        Ok(())
    }

    #[test]
    fn dropped_fences_are_cancelled_and_outlive_their_timeline() -> Result {
        let timeline = Timeline::new(c"rust_dma_fence", c"dropped");
        let armed = timeline.arm(PendingFence::new(GFP_KERNEL)?);
        let shared: ARef<Fence> = armed.fence().into();
        drop(armed);
        drop(timeline);
        assert_eq!(shared.status(), Some(Err(ECANCELED)));
        // A pending fence nobody saw is only freed.
        drop(PendingFence::new(GFP_KERNEL)?);
        Ok(())
    }

    #[test]
    fn names_are_cut_and_terminated() {
        let name = name_of(c"0123456789012345678901234567890123456789");
        assert_eq!(&name[..NAME_LEN], b"0123456789012345678901234567890");
        assert_eq!(name[NAME_LEN], 0);
        assert_eq!(&name_of(c"ring0")[..6], b"ring0\0");
    }
}
