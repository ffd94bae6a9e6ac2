// SPDX-License-Identifier: GPL-2.0

//! The states of planes and CRTCs, subclassed with the driver's data.
//!
//! Every state of a plane or CRTC of this abstraction is a [`Subclassed`] box: the C state
//! first, then the driver's [`DriverState`]. The objects' `reset`, `atomic_duplicate_state`
//! and `atomic_destroy_state` callbacks make and free them around the C helpers that
//! initialize, copy and release the C part (`__drm_atomic_helper_{plane,crtc}_*`).
//!
//! C header: [`include/drm/drm_atomic_state_helper.h`](srctree/include/drm/drm_atomic_state_helper.h)

use crate::{
    prelude::*,
    sync::atomic::{
        AtomicFlag,
        Relaxed, //
    },
    types::Opaque, //
};
use core::{
    cell::UnsafeCell,
    mem::MaybeUninit,
    ptr, //
};

/// The driver's data in every state of a plane or a CRTC.
///
/// A state after a reset (at registration) carries `Default::default()`.
/// Every commit starts from a [`duplicate`](DriverState::duplicate) of the object's current
/// state, which the object's check (and a plane's `prepare_fb`) may change while the commit is
/// private. The data is dropped with the C state.
///
/// This is where a commit keeps what its updates need and cannot fail to get: whatever must
/// be allocated for an update is allocated before the commit is applied, where failing still
/// fails the commit.
pub trait DriverState: Default + Send + Sync + Sized + 'static {
    /// The data of a new commit's state, from the object's current one. By default a fresh
    /// one: nothing carries over from commit to commit.
    fn duplicate(&self) -> Result<Self> {
        Ok(Self::default())
    }
}

impl DriverState for () {}

/// A value that a commit's check or `prepare_fb` puts in its state's data, and its update
/// takes out, once: what the update hands over (the commands it submits) is then dropped
/// when the update is done with it, not when the state is freed, a frame later.
///
/// The update sees its state shared (the next commit may already read it), so taking needs
/// no `&mut`; setting does, and so happens while the state is private. Nothing ever reads the
/// value in place: it is either still in the state, or with whoever took it. Any holder of a
/// `&` can take it, so by convention only the callback of the commit that set it does: the
/// next commit's check must not take from its old state.
///
/// # Invariants
///
/// `full` is true if and only if `value` holds a value, owned by `self`.
pub struct TakeOnce<T> {
    full: AtomicFlag,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: A shared `TakeOnce` never hands out a reference to its value, only the value itself,
// to one thread (`take()`): `T: Send` is all it needs. (`Send` follows from the fields.)
unsafe impl<T: Send> Sync for TakeOnce<T> {}

impl<T> Default for TakeOnce<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TakeOnce<T> {
    /// An empty one.
    pub const fn new() -> Self {
        // INVARIANT: Empty.
        Self {
            full: AtomicFlag::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Makes `value` the value to take (none for `None`), dropping the one there was.
    pub fn set(&mut self, value: Option<T>) {
        self.clear();
        if let Some(value) = value {
            // `self` is borrowed exclusively: nobody reads or writes the value meanwhile.
            self.value.get_mut().write(value);
            // INVARIANT: The value was just written.
            *self.full.get_mut() = true;
        }
    }

    /// Takes the value out, if there is one: the first caller gets it, any other `None`.
    ///
    /// Only the flag is atomic: the value was written through `&mut self`, before whatever
    /// made `self` shared with this thread (the commit's locks and queues), which orders the
    /// write before this read; `Relaxed` is enough.
    #[must_use]
    pub fn take(&self) -> Option<T> {
        if !self.full.xchg(false, Relaxed) {
            return None;
        }
        // SAFETY: `full` was true, so `value` holds a value (type invariant), written through
        // `&mut self` before `self` was shared (see above). This caller is the only one that
        // swapped `full` to false, so nobody else reads it. INVARIANT: `full` is false now, and
        // the value moves out.
        Some(unsafe { (*self.value.get()).assume_init_read() })
    }

    /// Whether there is a value to take.
    pub fn is_full(&self) -> bool {
        self.full.load(Relaxed)
    }

    fn clear(&mut self) {
        if core::mem::replace(self.full.get_mut(), false) {
            // SAFETY: `full` was true, so `value` holds a value (type invariant), which `self`
            // owns and nobody else uses (`&mut self`). INVARIANT: `full` is false now.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

impl<T> Drop for TakeOnce<T> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A state of a plane or a CRTC: the C state `S`, then the driver's data `D`.
///
/// # Invariants
///
/// A `Subclassed` made by [`Subclassed::alloc`] lives in a `KBox`, whose pointer is the C
/// state's (`state` is the first field of a `repr(C)` struct).
#[repr(C)]
pub(crate) struct Subclassed<S, D: DriverState> {
    pub(crate) state: Opaque<S>,
    pub(crate) data: D,
}

impl<S, D: DriverState> Subclassed<S, D> {
    /// Allocates a state with `data` whose C part is zeroed, for the C side to initialize and
    /// own; null if it cannot.
    pub(crate) fn alloc(data: D) -> *mut S {
        let new = KBox::new(
            Self {
                state: Opaque::zeroed(),
                data,
            },
            GFP_KERNEL,
        );
        match new {
            // INVARIANT: The box's pointer is its first field's, the C state.
            Ok(new) => KBox::into_raw(new).cast(),
            Err(_) => ptr::null_mut(),
        }
    }

    /// Duplicates `current`, an object's current state, or null: allocates the new state with
    /// a duplicate of the driver's data, and has `copy` fill in its C part. Null if the object
    /// has no state or memory is short.
    ///
    /// # Safety
    ///
    /// `current` must be null or a state of [`Subclassed::alloc`] whose driver data nobody
    /// changes during the call; `copy` must initialize the C part of the new, zeroed state it
    /// is given.
    pub(crate) unsafe fn duplicate(current: *mut S, copy: impl FnOnce(*mut S)) -> *mut S {
        if current.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: `current` is a `Self` (type invariant of `alloc()`) whose data is not changed
        // meanwhile; only the data is referenced, not the C state.
        let data = unsafe { &(*current.cast::<Self>()).data };
        let Ok(data) = data.duplicate() else {
            return ptr::null_mut();
        };
        let new = Self::alloc(data);
        if !new.is_null() {
            copy(new);
        }
        new
    }

    /// Frees `state`, after `release` has dropped what its C part holds.
    ///
    /// # Safety
    ///
    /// `state` must be a state of [`Subclassed::alloc`] that nobody uses any more, and
    /// `release` must release its C part.
    pub(crate) unsafe fn free(state: *mut S, release: impl FnOnce(*mut S)) {
        release(state);
        // SAFETY: `state` is the pointer of a box of `alloc()` (type invariant), which the C side
        // let go of. The pointer comes from the raw one, not from a reference.
        drop(unsafe { KBox::from_raw(state.cast::<Self>()) });
    }
}

#[kunit_tests(rust_drm_kms_state)]
mod tests {
    use super::*;
    use crate::sync::atomic::{
        Atomic,
        Relaxed, //
    };

    /// Live `Counted`s, and `duplicate()` calls that are to fail.
    static LIVE: Atomic<i32> = Atomic::new(0);
    static FAIL_NEXT: Atomic<bool> = Atomic::new(false);

    /// Driver data that counts its instances and carries a value into duplicates.
    struct Counted(u32);

    impl Counted {
        fn new(value: u32) -> Self {
            LIVE.fetch_add(1, Relaxed);
            Self(value)
        }
    }

    impl Default for Counted {
        fn default() -> Self {
            Self::new(0)
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, Relaxed);
        }
    }

    impl DriverState for Counted {
        fn duplicate(&self) -> Result<Self> {
            if FAIL_NEXT.xchg(false, Relaxed) {
                return Err(ENOMEM);
            }
            LIVE.fetch_add(1, Relaxed);
            Ok(Self(self.0 + 1))
        }
    }

    /// A C state stand-in: what the C helper's copy and release would touch.
    type State = Subclassed<u64, Counted>;

    #[test]
    fn states_are_made_copied_and_freed_with_their_data() {
        LIVE.store(0, Relaxed);
        let first = State::alloc(Counted::default());
        assert!(!first.is_null());
        assert_eq!(LIVE.load(Relaxed), 1);

        let mut copied = false;
        // SAFETY: `first` is a state of `alloc()` that nothing else uses; the copy fills in the
        // new state's C part.
        let second = unsafe {
            State::duplicate(first, |new| {
                copied = true;
                // SAFETY: `new` is the new, zeroed state, which only this test uses.
                *new = 7;
            })
        };
        assert!(copied && !second.is_null());
        assert_eq!(LIVE.load(Relaxed), 2);
        // SAFETY: `second` is a live state of `alloc()`, which only this test uses.
        let second_ref = unsafe { &*second.cast::<State>() };
        assert_eq!(second_ref.data.0, 1);
        // SAFETY: As above.
        assert_eq!(unsafe { *second_ref.state.get() }, 7);

        let mut released = 0;
        // SAFETY: Both are states of `alloc()` that nothing uses any more.
        unsafe {
            State::free(first, |_| released += 1);
            State::free(second, |_| released += 1);
        }
        assert_eq!(released, 2);
        assert_eq!(LIVE.load(Relaxed), 0);
    }

    #[test]
    fn what_is_put_is_taken_once_or_dropped() {
        LIVE.store(0, Relaxed);
        let mut once = TakeOnce::new();
        assert!(once.take().is_none() && !once.is_full());
        once.set(Some(Counted::default()));
        once.set(Some(Counted::new(5)));
        // The first value was dropped when the second went in.
        assert_eq!(LIVE.load(Relaxed), 1);
        assert!(once.is_full());
        let taken = once.take();
        assert_eq!(taken.as_ref().map(|c| c.0), Some(5));
        assert!(once.take().is_none() && !once.is_full());
        drop(taken);
        assert_eq!(LIVE.load(Relaxed), 0);

        // What nobody took goes with the `TakeOnce`.
        let mut left = TakeOnce::default();
        left.set(Some(Counted::default()));
        assert_eq!(LIVE.load(Relaxed), 1);
        drop(left);
        assert_eq!(LIVE.load(Relaxed), 0);

        // Setting none drops what was there.
        let mut cleared = TakeOnce::new();
        cleared.set(Some(Counted::default()));
        cleared.set(None);
        assert!(!cleared.is_full());
        assert_eq!(LIVE.load(Relaxed), 0);
    }

    #[test]
    fn a_failed_duplicate_makes_no_state() {
        LIVE.store(0, Relaxed);
        let first = State::alloc(Counted::default());
        FAIL_NEXT.store(true, Relaxed);
        let mut copied = false;
        // SAFETY: `first` is a state of `alloc()` that nothing else uses.
        let second = unsafe { State::duplicate(first, |_| copied = true) };
        assert!(second.is_null() && !copied);
        // SAFETY: An object without a state has nothing to duplicate.
        assert!(unsafe { State::duplicate(ptr::null_mut(), |_| copied = true) }.is_null());
        assert!(!copied);
        // SAFETY: `first` is a state of `alloc()` that nothing uses any more.
        unsafe { State::free(first, |_| {}) };
        assert_eq!(LIVE.load(Relaxed), 0);
    }
}
