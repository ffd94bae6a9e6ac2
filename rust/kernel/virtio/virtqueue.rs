// SPDX-License-Identifier: GPL-2.0

//! Virtqueues: the rings through which a driver hands buffers to a virtio device.
//!
//! A [`Request`] holds a device-readable buffer and a device-writable one. Submitting it gives
//! the queue a reference to it, and the queue keeps that reference until the device returns the
//! request, or until the queues are torn down after a device reset. So the device never touches
//! memory that has been freed, whatever the driver does meanwhile: drop its own reference,
//! give up waiting, or unbind.
//!
//! A request may also carry a DMA fence ([`QueueHandle::submit_fenced`]): the fence is armed
//! when the request is queued, and signalled when the device returns it, or with [`ECANCELED`]
//! when the queues are torn down. So every fence of a request completes, and nothing that waits
//! for one outlives the binding waiting.
//!
//! C header: [`include/linux/virtio.h`](srctree/include/linux/virtio.h)

use super::Device;
use crate::{
    bindings,
    device,
    error::to_result,
    new_condvar,
    new_spinlock,
    new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
        Arc,
        Completion,
        CondVar,
        CondVarTimeoutResult,
        SpinLock,
        SpinLockIrq,
        SpinLockIrqGuard, //
    },
    time::{
        msecs_to_jiffies,
        Delta,
        Msecs, //
    }, //
};
#[cfg(CONFIG_DMA_SHARED_BUFFER)]
use crate::{
    dma_fence::{
        ArmedFence,
        PendingFence,
        Timeline,
        TimelineFence, //
    },
    error::code::ECANCELED,
};
use core::{
    cell::UnsafeCell,
    ptr, //
};

/// A request: a buffer the device reads, and a buffer the device writes its answer into.
///
/// Created with [`Request::new`], submitted once with [`Virtqueues::submit`] (or
/// [`Virtqueues::submit_wait`], or [`QueueHandle::submit_fenced`]), and waited for with
/// [`Request::wait`].
///
/// # Invariants
///
/// - `response` and `written` are only written by the device (`response`) and by the single
///   completion of the request (`written`), and only before `done` is completed.
/// - `out` and the storage of `response` are non-empty `kmalloc` allocations, fixed in place
///   for the lifetime of the request. `out` is only accessed by an `add()` that holds the
///   `submitted` mark (taken with `Acquire`, given back with `Release` if the request is
///   refused), which may write into its storage before the device sees it; once the request is
///   submitted, it is only read, by the device.
/// - `fence` is only written by the submitter that queued the request, with the queues' lock
///   still held, and only taken by the request's single completion, which takes the request back
///   from the queue under that lock first.
#[pin_data]
pub struct Request {
    out: UnsafeCell<KVec<u8>>,
    response: UnsafeCell<KVec<u8>>,
    /// The length the device wrote, or `None` if the request was cancelled.
    written: UnsafeCell<Option<usize>>,
    /// The fence of a fenced request, signalled when the request completes.
    fence: UnsafeCell<Option<RequestFence>>,
    submitted: Atomic<bool>,
    #[pin]
    done: Completion,
    /// What the request keeps alive for the driver, see [`Request::keep_until_done`].
    #[pin]
    hold: SpinLock<Option<Arc<dyn Send + Sync>>>,
}

// SAFETY: `response` and `written` are only written before `done` completes, by the device and
// by the one context that takes the request back from the queue; they are only read after
// `done` completed (see `wait()`), and the completion orders the two. `out` is only used by the
// `add()` holding the `submitted` mark, which the mark's acquire and release order. `fence` is
// written by the submitter under the queues' lock and taken by the completion after it took
// the request back under that lock, which orders the two (type invariants).
unsafe impl Sync for Request {}

impl Request {
    /// Creates a request that sends `out` and accepts an answer of up to `response_len` bytes.
    ///
    /// Both must be non-empty.
    pub fn new(out: KVec<u8>, response_len: usize) -> Result<Arc<Self>> {
        if out.is_empty() || response_len == 0 {
            return Err(EINVAL);
        }
        let response = KVec::from_elem(0u8, response_len, GFP_KERNEL)?;
        // INVARIANT: both buffers are non-empty `KVec`s, which `kmalloc` their storage.
        Arc::pin_init(
            pin_init!(Self {
                out: UnsafeCell::new(out),
                response: UnsafeCell::new(response),
                written: UnsafeCell::new(None),
                fence: UnsafeCell::new(None),
                submitted: Atomic::new(false),
                done <- Completion::new(),
                hold <- new_spinlock!(None),
            }),
            GFP_KERNEL,
        )
    }

    /// Waits until the device has answered, and returns the bytes it wrote.
    ///
    /// Returns [`ENODEV`] if the request was cancelled because the queues were torn down. The
    /// length is the one the device reports, capped at the size of the response buffer: a
    /// device that claims to have written more is not believed.
    pub fn wait(&self) -> Result<&[u8]> {
        self.done.wait_for_completion();
        // SAFETY: `done` has completed.
        unsafe { self.response() }
    }

    /// Like [`Request::wait`], but gives up with [`ETIMEDOUT`] after `timeout`.
    ///
    /// A request that timed out stays with the queue: its buffers are freed only when the
    /// device returns it or the queues are torn down, so a late answer is harmless.
    pub fn wait_timeout(&self, timeout: Delta) -> Result<&[u8]> {
        self.done.wait_for_completion_timeout(timeout)?;
        // SAFETY: `done` has completed.
        unsafe { self.response() }
    }

    /// Keeps `hold` alive as long as the submitted request: until the device returns it or the
    /// queues are torn down, however many references the driver drops meanwhile.
    ///
    /// This is for memory that the device may still use through this request, or through the
    /// requests before it on an in-order queue, after the driver has stopped waiting (a request
    /// that timed out): handed to the request, it is freed only once the device cannot reach
    /// it any more.
    ///
    /// `hold` is handed back if the request was never submitted (nothing then tells when the
    /// device is done), or keeps something already. It is dropped with the request's last
    /// reference, which may be the queue's: in the queue's interrupt handler, or in the
    /// teardown, without the queues' lock held. So its drop must not sleep; it may submit.
    pub fn keep_until_done(
        &self,
        hold: Arc<dyn Send + Sync>,
    ) -> core::result::Result<(), Arc<dyn Send + Sync>> {
        let mut slot = self.hold.lock();
        // A request is only unmarked by a failed submission, whose caller still holds it.
        if slot.is_some() || !self.submitted.load(Relaxed) {
            return Err(hold);
        }
        *slot = Some(hold);
        Ok(())
    }

    /// The answer of a completed request.
    ///
    /// # Safety
    ///
    /// `done` must have completed.
    unsafe fn response(&self) -> Result<&[u8]> {
        // SAFETY: `done` has completed (safety requirement), so by the type invariants nothing
        // writes the cells any more, and the completion made the writes visible here.
        let (written, response) = unsafe { (*self.written.get(), &*self.response.get()) };
        let len = written.ok_or(ENODEV)?;
        Ok(&response[..len.min(response.len())])
    }

    /// Gives the request its fence, once the device has it.
    ///
    /// # Safety
    ///
    /// Only called by the submitter that just queued the request, with the queues' lock still
    /// held since `add()`.
    #[cfg(CONFIG_DMA_SHARED_BUFFER)]
    unsafe fn set_fence(&self, fence: ArmedFence) {
        // SAFETY: By the safety requirements and the type invariants, nothing else uses the
        // cell now: the completion, its only other user, can only take the request back from
        // the queue under the lock this caller holds, so it runs after this write.
        unsafe { *self.fence.get() = Some(fence) };
    }

    /// Records the outcome, wakes the waiters, and signals the request's fence, if any: without
    /// an error when the device returned the request, with [`ECANCELED`] when it was cancelled.
    ///
    /// # Safety
    ///
    /// Must be called at most once, by the context that took the request back from the device
    /// (or from a reset queue), and only for a submitted request.
    unsafe fn finish(&self, written: Option<usize>) {
        // SAFETY: By the safety requirements, this is the request's completion, whose caller
        // took the request back from the queue under the queues' lock. The submitter set the
        // fence, if any, before it released that lock (`set_fence`), so the write happened
        // before this, and nothing else uses the cell (type invariants).
        let fence = unsafe { (*self.fence.get()).take() };
        // The fence first: whoever `done` wakes finds the fence complete.
        if let Some(fence) = fence {
            complete_fence(fence, written.is_some());
        }
        // SAFETY: By the safety requirements, this is the only writer, and `done` has not
        // completed yet, so there is no reader.
        unsafe { *self.written.get() = written };
        self.done.complete_all();
    }
}

/// What a fenced request holds: its armed fence. Without DMA fences in the kernel, no request
/// is fenced.
#[cfg(CONFIG_DMA_SHARED_BUFFER)]
type RequestFence = ArmedFence;
#[cfg(not(CONFIG_DMA_SHARED_BUFFER))]
type RequestFence = core::convert::Infallible;

/// Signals `fence`, without an error if the device returned its request (`done`), else with
/// [`ECANCELED`].
#[cfg(CONFIG_DMA_SHARED_BUFFER)]
fn complete_fence(fence: RequestFence, done: bool) {
    if done {
        fence.signal();
    } else {
        fence.signal_error(ECANCELED);
    }
}

#[cfg(not(CONFIG_DMA_SHARED_BUFFER))]
fn complete_fence(fence: RequestFence, _done: bool) {
    match fence {}
}

/// The raw queue pointers, only used with the queues' lock held; `None` once the queues are
/// being torn down.
struct RawQueues(Option<KVec<*mut bindings::virtqueue>>);

// SAFETY: The pointers are only dereferenced by the C virtqueue functions, with the lock held,
// which makes them usable from any thread.
unsafe impl Send for RawQueues {}

/// The part of [`Virtqueues`] that the queue callbacks, and the bus adapter's teardown, reach
/// through `vdev->priv`.
///
/// It does not depend on the number of queues, so that the adapter can tear the queues down
/// without knowing the driver's types.
#[pin_data]
struct Shared {
    /// Serializes every operation on the queues; taken from the callbacks (hard IRQ), hence the
    /// IRQ-safe lock.
    #[pin]
    queues: SpinLockIrq<RawQueues>,
    /// Notified, with `queues` held, whenever the device returns requests (which makes room in
    /// a queue) and when the queues are torn down.
    #[pin]
    room: CondVar,
}

/// The `N` virtqueues of a bound virtio device, created by [`Device::find_vqs`].
///
/// Dropping it resets the device, cancels every request still queued, and deletes the queues.
/// Code that may run after that, such as the release of an object the device used, submits
/// through a [`QueueHandle`] instead, which fails with [`ENODEV`] once the queues are gone.
///
/// The queues do not depend on this drop: a driver may leak them (`mem::forget`, an `Arc`
/// cycle), and the bus adapter still tears them down, after the driver's data is dropped on
/// removal and when probe fails, before the driver's module can go. Their interrupt handlers
/// never outlive the binding.
///
/// # Invariants
///
/// - `vdev->priv` points to `shared` from `find_vqs()` until the queues are torn down, by
///   `drop()` or by the bus adapter; `self` holds a reference to `shared` all that time.
/// - The queues in `shared` are the device's queues until the teardown takes them out, which
///   it does before `del_vqs`.
/// - Every token in a queue is an `Arc<Request>` turned into a raw pointer by `add()`.
pub struct Virtqueues<'a, const N: usize> {
    dev: &'a Device<device::Bound>,
    shared: Arc<Shared>,
}

/// A handle on the virtqueues of a device, that may outlive the binding.
///
/// It submits requests as [`Virtqueues::submit`] does while the [`Virtqueues`] it came from
/// exist, and fails with [`ENODEV`] afterwards: the device has then been reset, and owns no
/// buffer of the driver any more.
#[derive(Clone)]
pub struct QueueHandle<const N: usize> {
    shared: Arc<Shared>,
}

impl<'a> Device<device::Core<'a>> {
    /// Creates the device's first `N` virtqueues, named `names`, and sets the device live.
    ///
    /// A device has one set of queues: a second call, while the first set exists, fails with
    /// [`EBUSY`]. Requests can be submitted as soon as this returns.
    pub fn find_vqs<const N: usize>(&self, names: [&'static CStr; N]) -> Result<Virtqueues<'_, N>> {
        let vdev = self.as_raw();
        // SAFETY: `vdev` is a valid `struct virtio_device` and `priv` is the driver's to use;
        // the bus abstraction reserves it for the queues.
        if !unsafe { (*vdev).priv_ }.is_null() {
            return Err(EBUSY);
        }
        let shared = Arc::pin_init(
            pin_init!(Shared {
                queues <- new_spinlock_irq!(RawQueues(None), "virtio::Virtqueues"),
                room <- new_condvar!("virtio::Virtqueues::room"),
            }),
            GFP_KERNEL,
        )?;
        // The queues' pointers, which the C side fills in.
        let mut vqs = KVec::from_elem(ptr::null_mut(), N, GFP_KERNEL)?;

        let mut info: [bindings::virtqueue_info; N] = core::array::from_fn(|_| Default::default());
        for (info, name) in info.iter_mut().zip(names) {
            info.name = name.as_char_ptr();
            info.callback = Some(callback);
        }

        // The callbacks find `shared` through `priv`; set it before any queue exists.
        let shared_ptr: *const Shared = &*shared;
        // SAFETY: As above; `shared` is pinned and outlives the queues: `Virtqueues` holds a
        // reference to it until after `del_vqs` (see `Drop`).
        unsafe { (*vdev).priv_ = shared_ptr.cast_mut().cast() };

        // SAFETY: `vdev` is a valid device in probe, with no queues yet; `vqs` and `info` have
        // room for `N` entries and `info` is initialized.
        let ret = unsafe {
            bindings::virtio_find_vqs(
                vdev,
                N as c_uint,
                vqs.as_mut_ptr(),
                info.as_mut_ptr(),
                ptr::null_mut(),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: No queue exists, so no callback can use `priv`.
            unsafe { (*vdev).priv_ = ptr::null_mut() };
            return Err(e);
        }
        shared.queues.lock().0 = Some(vqs);

        // SAFETY: `vdev` is a valid device whose queues are set up.
        unsafe { bindings::virtio_device_ready(vdev) };

        // INVARIANT: `priv` points to `shared`, which holds the queues just found.
        Ok(Virtqueues { dev: self, shared })
    }
}

impl<const N: usize> Virtqueues<'_, N> {
    /// Hands `request` to the device on queue `index`, and notifies the device.
    ///
    /// A request is submitted once: submitting it again fails with [`EBUSY`]. [`ENOSPC`] means
    /// the queue is full; the request can be submitted again later.
    pub fn submit(&self, index: usize, request: &Arc<Request>) -> Result {
        self.shared.submit(index, request)
    }

    /// Like [`Virtqueues::submit`], but while the queue is full, waits for the device to return
    /// requests, for at most `timeout` in all; then fails with [`ETIMEDOUT`].
    ///
    /// The wait is not interruptible: it may be used where a signal must not cut an update
    /// short, such as a commit's tail.
    pub fn submit_wait(&self, index: usize, request: &Arc<Request>, timeout: Delta) -> Result {
        self.shared.submit_wait(index, request, timeout)
    }

    /// Returns a handle that submits to these queues for as long as they exist.
    pub fn handle(&self) -> QueueHandle<N> {
        QueueHandle {
            shared: self.shared.clone(),
        }
    }
}

impl<const N: usize> QueueHandle<N> {
    /// Submits `request` on queue `index`, as [`Virtqueues::submit`] does.
    ///
    /// Fails with [`ENODEV`] once the queues have been torn down.
    pub fn submit(&self, index: usize, request: &Arc<Request>) -> Result {
        self.shared.submit(index, request)
    }

    /// Submits `request` on queue `index`, as [`Virtqueues::submit_wait`] does.
    ///
    /// Fails with [`ENODEV`] once the queues have been torn down, also while waiting.
    pub fn submit_wait(&self, index: usize, request: &Arc<Request>, timeout: Delta) -> Result {
        self.shared.submit_wait(index, request, timeout)
    }

    /// Submits `request` on queue `index` as [`QueueHandle::submit_wait`] does, with the fence
    /// `fence` describes, and returns the fence.
    ///
    /// With the queues' lock held, just before the request is queued, the fence's seqno is
    /// taken from its timeline and stamped into the request's device-readable bytes; the fence
    /// is armed once the device has the request ([`Timeline::arm_with`]). The request then owns
    /// the armed fence: it is signalled when the device returns the request (whatever the
    /// device answered), or with [`ECANCELED`] when the queues are torn down. A request that
    /// could not be submitted leaves the fence unarmed and unseen; it is freed. A refused
    /// attempt leaves the stamp in the request's bytes, which a later submission stamps again.
    ///
    /// The fences of a timeline must complete in the order of their seqnos (see
    /// [`crate::dma_fence`]), and each fence completes when its request comes back. So a
    /// timeline is only used with one queue, and not armed elsewhere, and the device returns
    /// that queue's fenced requests in the order it got them, as virtio-gpu devices do on their
    /// control queue. Nothing here checks it yet: the core's answer, signalling every earlier
    /// fence of the timeline when a later one completes, is still to come.
    #[cfg(CONFIG_DMA_SHARED_BUFFER)]
    pub fn submit_fenced(
        &self,
        index: usize,
        request: &Arc<Request>,
        fence: Fenced<'_>,
        timeout: Delta,
    ) -> Result<TimelineFence> {
        self.shared.submit_fenced(index, request, fence, timeout)
    }
}

/// What [`QueueHandle::submit_fenced`] fences a request with.
#[cfg(CONFIG_DMA_SHARED_BUFFER)]
pub struct Fenced<'a> {
    /// The timeline of the fence, used with one queue only (see
    /// [`QueueHandle::submit_fenced`]).
    pub timeline: &'a Timeline,
    /// The fence, allocated before.
    pub fence: PendingFence,
    /// Writes the seqno into the request's device-readable bytes, where the device finds the
    /// request's fence id. It runs with the queues' lock held and interrupts off, so it must
    /// not sleep; an error leaves the request unsubmitted.
    pub stamp: fn(&mut [u8], u64) -> Result,
}

impl Shared {
    fn submit(&self, index: usize, request: &Arc<Request>) -> Result {
        Self::add(&self.queues.lock(), index, request, |_| Ok(()))
    }

    fn submit_wait(&self, index: usize, request: &Arc<Request>, timeout: Delta) -> Result {
        self.wait_for_room(timeout, |queues| {
            Self::add(queues, index, request, |_| Ok(()))
        })
    }

    #[cfg(CONFIG_DMA_SHARED_BUFFER)]
    fn submit_fenced(
        &self,
        index: usize,
        request: &Arc<Request>,
        fenced: Fenced<'_>,
        timeout: Delta,
    ) -> Result<TimelineFence> {
        let Fenced {
            timeline,
            fence,
            stamp,
        } = fenced;
        let mut fence = Some(fence);
        self.wait_for_room(timeout, |queues| {
            // Handed back by every failed attempt, so it is there for each.
            let pending = fence.take().ok_or(EINVAL)?;
            let queued = timeline.arm_with(pending, |seqno| {
                Self::add(queues, index, request, |out| stamp(out, seqno))
            });
            match queued {
                Ok(armed) => {
                    let shared = armed.shared();
                    // SAFETY: `add()` just queued the request, and the lock is still held.
                    unsafe { request.set_fence(armed) };
                    Ok(shared)
                }
                Err((e, pending)) => {
                    fence = Some(pending);
                    Err(e)
                }
            }
        })
    }

    /// Runs `attempt` with the queues' lock held until it does not fail with [`ENOSPC`]; while
    /// it does, waits for the device to return requests, at most `timeout` in all, and then
    /// fails with [`ETIMEDOUT`].
    fn wait_for_room<T>(
        &self,
        timeout: Delta,
        mut attempt: impl FnMut(&SpinLockIrqGuard<'_, RawQueues>) -> Result<T>,
    ) -> Result<T> {
        let msecs = Msecs::try_from(timeout.as_millis_ceil().max(0)).unwrap_or(Msecs::MAX);
        let mut left = msecs_to_jiffies(msecs);
        let mut queues = self.queues.lock();
        loop {
            match attempt(&queues) {
                Err(ENOSPC) if left > 0 => {
                    // The callback takes `queues` before it returns requests and notifies, so
                    // no notification is lost between the attempt above and this wait.
                    left = match self.room.wait_timeout(&mut queues, left) {
                        CondVarTimeoutResult::Woken { jiffies } => jiffies,
                        _ => 0,
                    };
                }
                Err(ENOSPC) => return Err(ETIMEDOUT),
                result => return result,
            }
        }
    }

    /// Adds `request` to queue `index` and notifies the device, with the queues' lock held.
    ///
    /// `stamp` may write into the request's device-readable bytes just before the device gets
    /// them; if it fails, the request is not submitted.
    fn add(
        queues: &SpinLockIrqGuard<'_, RawQueues>,
        index: usize,
        request: &Arc<Request>,
        stamp: impl FnOnce(&mut [u8]) -> Result,
    ) -> Result {
        let Some(vqs) = queues.0.as_ref() else {
            return Err(ENODEV);
        };
        let vq = *vqs.get(index).ok_or(EINVAL)?;
        // Acquire: what a refused `add()` before this one did to `out` happened before.
        if request.submitted.xchg(true, Acquire) {
            return Err(EBUSY);
        }
        // From here on this is the one `add()` of the request: a request refused below is
        // unmarked again, so that it can be submitted later.
        match Self::add_marked(queues, vq, request, stamp) {
            Ok(()) => Ok(()),
            Err(e) => {
                // Release: what this `add()` did to `out` happens before the next one's.
                request.submitted.store(false, Release);
                Err(e)
            }
        }
    }

    /// The part of `add()` for a request it just marked submitted, on `vq`, one of the queues in
    /// `_queues`.
    fn add_marked(
        _queues: &SpinLockIrqGuard<'_, RawQueues>,
        vq: *mut bindings::virtqueue,
        request: &Arc<Request>,
        stamp: impl FnOnce(&mut [u8]) -> Result,
    ) -> Result {
        // SAFETY: This `add()` holds the request's `submitted` mark, so it alone accesses `out`
        // (type invariants of `Request`); the device does not have the request yet.
        let out = unsafe { &mut *request.out.get() };
        stamp(out)?;
        let (out_ptr, out_len) = (out.as_ptr(), u32::try_from(out.len())?);
        // SAFETY: The response buffer's `KVec` itself is never replaced or resized; only its
        // storage is written (by the device), so reading its pointer and length is fine.
        let (in_ptr, in_len) = unsafe {
            let response = &*request.response.get();
            (response.as_ptr(), response.len())
        };
        let in_len = u32::try_from(in_len)?;

        let mut out_sg = bindings::scatterlist::default();
        let mut in_sg = bindings::scatterlist::default();
        // SAFETY: Both buffers are non-empty `kmalloc` allocations (type invariant of
        // `Request`), which is what a scatterlist entry may describe.
        unsafe {
            bindings::sg_init_one(&mut out_sg, out_ptr.cast(), out_len);
            bindings::sg_init_one(&mut in_sg, in_ptr.cast(), in_len);
        }
        let mut sgs = [ptr::from_mut(&mut out_sg), ptr::from_mut(&mut in_sg)];

        // The queue's reference: it lives until the device returns the request.
        let token = Arc::into_raw(request.clone());
        // SAFETY: `vq` is a live queue of this device (type invariant), used with the lock
        // held. The scatterlists are only read during the call; the buffers they describe are
        // kept alive by `token` until the request comes back.
        let ret = unsafe {
            bindings::virtqueue_add_sgs(
                vq,
                sgs.as_mut_ptr(),
                1,
                1,
                token.cast_mut().cast(),
                GFP_ATOMIC.as_raw(),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: The queue did not take `token`, which came from `Arc::into_raw` above.
            drop(unsafe { Arc::from_raw(token) });
            return Err(e);
        }
        // SAFETY: `vq` is a live queue, used with the lock held.
        unsafe { bindings::virtqueue_kick(vq) };
        Ok(())
    }
}

impl<const N: usize> Drop for Virtqueues<'_, N> {
    fn drop(&mut self) {
        // SAFETY: `self.dev` is a valid, bound device, and `self.shared` is the `Shared` its
        // `priv` points to, unless the bus adapter tore the queues down already (type
        // invariants).
        unsafe { self.shared.teardown(self.dev.as_raw()) };
    }
}

impl Shared {
    /// Resets the device, cancels every request still queued, deletes the queues and clears
    /// `vdev->priv`. Does nothing if the queues are torn down already.
    ///
    /// # Safety
    ///
    /// `vdev` must be a valid device whose `priv` pointed to `self` when its queues were
    /// found, and either still does, or the queues were torn down since; the device must be
    /// bound, or be in its driver's remove or failed probe. Two teardowns of the same queues
    /// may not run at once: the one that does not find the queues returns at once, and must
    /// not do so before the other is done with them (the teardowns run in the driver's remove
    /// and probe, which the driver core serializes, and in `Virtqueues::drop`, which runs
    /// there too, or never, for queues that were leaked).
    unsafe fn teardown(&self, vdev: *mut bindings::virtio_device) {
        // From here on, submitting fails: nothing new reaches the device, and whoever waits for
        // room learns it.
        let vqs = {
            let mut queues = self.queues.lock();
            let vqs = queues.0.take();
            self.room.notify_all();
            vqs
        };
        let Some(vqs) = vqs else {
            // Torn down already; `priv` no longer points here.
            return;
        };
        // Stop the device: once reset it no longer reads or writes any buffer, and the queues'
        // unused buffers may be taken back.
        //
        // SAFETY: `vdev` is a valid device, bound or in its driver's remove or failed probe
        // (safety requirements).
        unsafe { bindings::virtio_reset_device(vdev) };
        for &vq in vqs.iter() {
            loop {
                let token = {
                    let _queues = self.queues.lock();
                    // SAFETY: `vq` is a queue of a reset device, not deleted yet, used with the
                    // lock held.
                    unsafe { bindings::virtqueue_detach_unused_buf(vq) }
                };
                if token.is_null() {
                    break;
                }
                // SAFETY: Every token is an `Arc<Request>` from `add()` (type invariant of
                // `Virtqueues`), returned exactly once.
                let request = unsafe { Arc::<Request>::from_raw(token.cast()) };
                // SAFETY: The request came back from the queue just now.
                unsafe { request.finish(None) };
                // Dropped without the lock: what the request keeps may go with it, and may
                // submit (`Request::keep_until_done`).
                drop(request);
            }
        }
        // SAFETY: `vdev` is a valid device whose queues were created by `find_vqs()` and not
        // deleted yet (they were still in `self`); after this no callback runs, so `priv` can
        // be cleared and `self` freed.
        unsafe {
            bindings::virtio_del_vqs(vdev);
            (*vdev).priv_ = ptr::null_mut();
        }
    }
}

/// Tears down the queues of `vdev` if its driver left them: called by the bus adapter after
/// the driver's data is dropped on removal, and when probe fails.
///
/// # Safety
///
/// `vdev` must be a valid device in its driver's remove or failed probe, after the driver's
/// data has been dropped (or was never stored), with no other teardown of its queues running;
/// the virtio bus abstraction is the only user of `priv`.
pub(super) unsafe fn teardown_left_queues(vdev: *mut bindings::virtio_device) {
    // SAFETY: `vdev` is valid (safety requirement).
    let shared = unsafe { (*vdev).priv_ }.cast::<Shared>().cast_const();
    if shared.is_null() {
        return;
    }
    // SAFETY: `priv` is only set by `find_vqs()`, to the `Shared` of a `Virtqueues`, and
    // cleared by the teardown; while it is set, that `Virtqueues` exists (not dropped: it was
    // leaked, or is held by something that outlives the driver's data) and holds a reference
    // to the `Shared`, which is therefore alive.
    let shared = unsafe { &*shared };
    // SAFETY: `priv` points to `shared`, and the device is in remove or failed probe.
    unsafe { shared.teardown(vdev) };
}

/// The used-buffer callback of every queue: takes back what the device has finished with.
extern "C" fn callback(vq: *mut bindings::virtqueue) {
    // SAFETY: The virtio core calls this with one of the queues created by `find_vqs()` and not
    // deleted yet, whose device's `priv` points to the `Shared` of the `Virtqueues` (type
    // invariant).
    let shared = unsafe { &*(*(*vq).vdev).priv_.cast::<Shared>() };
    loop {
        let mut len: c_uint = 0;
        let token = {
            let _queues = shared.queues.lock();
            // SAFETY: `vq` is a live queue, used with the lock held.
            unsafe { bindings::virtqueue_get_buf(vq, &mut len) }
        };
        if token.is_null() {
            break;
        }
        // SAFETY: Every token is an `Arc<Request>` from `add()`, returned exactly once.
        let request = unsafe { Arc::<Request>::from_raw(token.cast()) };
        // SAFETY: The device returned the request just now.
        unsafe { request.finish(Some(len as usize)) };
        // Dropped without the lock: what the request keeps may go with it
        // (`Request::keep_until_done`), and its drop must not find the lock taken.
        drop(request);
    }
    // Returned requests made room: the submitters waiting for it try again. Under the lock, as
    // the submitters check for room and start waiting under it: none misses the notification.
    let _queues = shared.queues.lock();
    shared.room.notify_all();
}

#[kunit_tests(rust_virtio_request)]
mod tests {
    use super::*;

    /// Sets its flag when dropped.
    struct Flag(Arc<Atomic<bool>>);

    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Relaxed);
        }
    }

    /// A hold for a request, and the flag its drop sets.
    type FlaggedHold = (Arc<Atomic<bool>>, Arc<dyn Send + Sync>);

    fn flag() -> Result<FlaggedHold> {
        let dropped = Arc::new(Atomic::new(false), GFP_KERNEL)?;
        let hold: Arc<dyn Send + Sync> = Arc::new(Flag(dropped.clone()), GFP_KERNEL)?;
        Ok((dropped, hold))
    }

    fn request() -> Result<Arc<Request>> {
        let mut out = KVec::new();
        out.push(0u8, GFP_KERNEL)?;
        Request::new(out, 1)
    }

    #[test]
    fn an_unsubmitted_request_hands_the_hold_back() -> Result {
        let (dropped, hold) = flag()?;
        let request = request()?;
        let back = request.keep_until_done(hold);
        assert!(back.is_err());
        drop(request);
        // Nothing tells when a device is done with what was never submitted: the caller keeps
        // it, and the request's drop must not have freed it.
        assert!(!dropped.load(Relaxed));
        drop(back);
        assert!(dropped.load(Relaxed));
        Ok(())
    }

    #[test]
    fn a_submitted_request_keeps_one_hold_until_freed() -> Result {
        let (dropped, hold) = flag()?;
        let (other_dropped, other) = flag()?;
        let request = request()?;
        // What `add()` does to a request the queue takes.
        request.submitted.store(true, Relaxed);
        assert!(request.keep_until_done(hold).is_ok());
        let second = request.keep_until_done(other);
        assert!(second.is_err());
        drop(second);
        assert!(other_dropped.load(Relaxed));
        // The queue's reference, taken back when the device returns the request.
        let queue = request.clone();
        drop(request);
        assert!(!dropped.load(Relaxed));
        drop(queue);
        assert!(dropped.load(Relaxed));
        Ok(())
    }

    #[cfg(CONFIG_DMA_SHARED_BUFFER)]
    #[test]
    fn a_fenced_request_signals_its_fence_when_it_completes() -> Result {
        let timeline = Timeline::new(c"rust_virtio_request", c"requests");
        // Returned by the device, then cancelled by a teardown.
        for (written, status) in [(Some(1), Ok(())), (None, Err(ECANCELED))] {
            let request = request()?;
            request.submitted.store(true, Relaxed);
            let armed = timeline.arm(PendingFence::new(GFP_KERNEL)?);
            let fence = armed.shared();
            // SAFETY: What the submitter does once the device has the request; nothing else
            // uses the request.
            unsafe { request.set_fence(armed) };
            assert!(!fence.is_signaled());
            // SAFETY: The request's one completion, as the callback or the teardown runs it.
            unsafe { request.finish(written) };
            assert_eq!(fence.status(), Some(status));
            assert_eq!(request.wait().map(<[u8]>::len), written.ok_or(ENODEV));
        }
        Ok(())
    }
}
