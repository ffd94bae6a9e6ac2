// SPDX-License-Identifier: GPL-2.0

//! Virtqueues: the rings through which a driver hands buffers to a virtio device.
//!
//! A [`Request`] holds a device-readable buffer and a device-writable one. Submitting it gives
//! the queue a reference to it, and the queue keeps that reference until the device returns the
//! request, or until the queues are torn down after a device reset. So the device never touches
//! memory that has been freed, whatever the driver does meanwhile: drop its own reference,
//! give up waiting, or unbind.
//!
//! C header: [`include/linux/virtio.h`](srctree/include/linux/virtio.h)

use super::Device;
use crate::{
    bindings,
    device,
    error::to_result,
    new_condvar,
    new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        CondVar,
        CondVarTimeoutResult,
        Completion,
        SpinLockIrq,
        SpinLockIrqGuard, //
    },
    time::{
        msecs_to_jiffies,
        Delta,
        Msecs, //
    },
};
use core::{
    cell::UnsafeCell,
    ptr, //
};

/// A request: a buffer the device reads, and a buffer the device writes its answer into.
///
/// Created with [`Request::new`], submitted once with [`Virtqueues::submit`] (or
/// [`Virtqueues::submit_wait`]), and waited for with [`Request::wait`].
///
/// # Invariants
///
/// - `response` and `written` are only written by the device (`response`) and by the single
///   completion of the request (`written`), and only before `done` is completed.
/// - `out` and the storage of `response` are non-empty `kmalloc` allocations, fixed in place
///   for the lifetime of the request.
#[pin_data]
pub struct Request {
    out: KVec<u8>,
    response: UnsafeCell<KVec<u8>>,
    /// The length the device wrote, or `None` if the request was cancelled.
    written: UnsafeCell<Option<usize>>,
    submitted: Atomic<bool>,
    #[pin]
    done: Completion,
}

// SAFETY: The cells are only written before `done` completes, by the device and by the one
// context that takes the request back from the queue; they are only read after `done`
// completed (see `wait()`), and the completion orders the two.
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
                out,
                response: UnsafeCell::new(response),
                written: UnsafeCell::new(None),
                submitted: Atomic::new(false),
                done <- Completion::new(),
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

    /// Records the outcome and wakes the waiters.
    ///
    /// # Safety
    ///
    /// Must be called at most once, by the context that took the request back from the device
    /// (or from a reset queue), and only for a submitted request.
    unsafe fn finish(&self, written: Option<usize>) {
        // SAFETY: By the safety requirements, this is the only writer, and `done` has not
        // completed yet, so there is no reader.
        unsafe { *self.written.get() = written };
        self.done.complete_all();
    }
}

/// The raw queue pointers, only used with the queues' lock held; `None` once the queues are
/// being torn down.
struct RawQueues<const N: usize>(Option<[*mut bindings::virtqueue; N]>);

// SAFETY: The pointers are only dereferenced by the C virtqueue functions, with the lock held,
// which makes them usable from any thread.
unsafe impl<const N: usize> Send for RawQueues<N> {}

/// The part of [`Virtqueues`] that the queue callbacks reach through `vdev->priv`.
#[pin_data]
struct Shared<const N: usize> {
    /// Serializes every operation on the queues; taken from the callbacks (hard IRQ), hence the
    /// IRQ-safe lock.
    #[pin]
    queues: SpinLockIrq<RawQueues<N>>,
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
/// # Invariants
///
/// - `vdev->priv` points to `shared` for as long as `self` exists.
/// - The queues in `shared` are the device's queues until `drop()` takes them out, which it
///   does before `del_vqs`.
/// - Every token in a queue is an `Arc<Request>` turned into a raw pointer by `add()`.
pub struct Virtqueues<'a, const N: usize> {
    dev: &'a Device<device::Bound>,
    shared: Arc<Shared<N>>,
}

/// A handle on the virtqueues of a device, that may outlive the binding.
///
/// It submits requests as [`Virtqueues::submit`] does while the [`Virtqueues`] it came from
/// exist, and fails with [`ENODEV`] afterwards: the device has then been reset, and owns no
/// buffer of the driver any more.
#[derive(Clone)]
pub struct QueueHandle<const N: usize> {
    shared: Arc<Shared<N>>,
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

        let mut info: [bindings::virtqueue_info; N] = core::array::from_fn(|_| Default::default());
        for (info, name) in info.iter_mut().zip(names) {
            info.name = name.as_char_ptr();
            info.callback = Some(callback::<N>);
        }
        let mut vqs = [ptr::null_mut(); N];

        // The callbacks find `shared` through `priv`; set it before any queue exists.
        let shared_ptr: *const Shared<N> = &*shared;
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
}

impl<const N: usize> Shared<N> {
    fn submit(&self, index: usize, request: &Arc<Request>) -> Result {
        Self::add(&self.queues.lock(), index, request)
    }

    fn submit_wait(&self, index: usize, request: &Arc<Request>, timeout: Delta) -> Result {
        let msecs = Msecs::try_from(timeout.as_millis_ceil().max(0)).unwrap_or(Msecs::MAX);
        let mut left = msecs_to_jiffies(msecs);
        let mut queues = self.queues.lock();
        loop {
            match Self::add(&queues, index, request) {
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
    fn add(
        queues: &SpinLockIrqGuard<'_, RawQueues<N>>,
        index: usize,
        request: &Arc<Request>,
    ) -> Result {
        if index >= N {
            return Err(EINVAL);
        }
        if request.submitted.xchg(true, Relaxed) {
            return Err(EBUSY);
        }
        let out_len = u32::try_from(request.out.len())?;
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
            bindings::sg_init_one(&mut out_sg, request.out.as_ptr().cast(), out_len);
            bindings::sg_init_one(&mut in_sg, in_ptr.cast(), in_len);
        }
        let mut sgs = [ptr::from_mut(&mut out_sg), ptr::from_mut(&mut in_sg)];

        let Some(vqs) = queues.0 else {
            request.submitted.store(false, Relaxed);
            return Err(ENODEV);
        };
        let vq = vqs[index];
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
            request.submitted.store(false, Relaxed);
            return Err(e);
        }
        // SAFETY: `vq` is a live queue, used with the lock held.
        unsafe { bindings::virtqueue_kick(vq) };
        Ok(())
    }
}

impl<const N: usize> Drop for Virtqueues<'_, N> {
    fn drop(&mut self) {
        let vdev = self.dev.as_raw();
        // From here on, submitting fails: nothing new reaches the device, and whoever waits for
        // room learns it.
        let vqs = {
            let mut queues = self.shared.queues.lock();
            let vqs = queues.0.take();
            self.shared.room.notify_all();
            vqs
        };
        // Stop the device: once reset it no longer reads or writes any buffer, and the queues'
        // unused buffers may be taken back.
        //
        // SAFETY: `vdev` is a valid, bound device.
        unsafe { bindings::virtio_reset_device(vdev) };
        {
            let _queues = self.shared.queues.lock();
            for &vq in vqs.iter().flatten() {
                loop {
                    // SAFETY: `vq` is a queue of a reset device, not deleted yet, used with the
                    // lock held.
                    let token = unsafe { bindings::virtqueue_detach_unused_buf(vq) };
                    if token.is_null() {
                        break;
                    }
                    // SAFETY: Every token is an `Arc<Request>` from `add()` (type invariant),
                    // returned exactly once.
                    let request = unsafe { Arc::<Request>::from_raw(token.cast()) };
                    // SAFETY: The request came back from the queue just now.
                    unsafe { request.finish(None) };
                }
            }
        }
        // SAFETY: `vdev` is a valid device whose queues were created by `find_vqs()`; after
        // this no callback runs, so `priv` can be cleared and `shared` freed.
        unsafe {
            bindings::virtio_del_vqs(vdev);
            (*vdev).priv_ = ptr::null_mut();
        }
    }
}

/// The used-buffer callback of every queue: takes back what the device has finished with.
extern "C" fn callback<const N: usize>(vq: *mut bindings::virtqueue) {
    // SAFETY: The virtio core calls this with one of the queues created by `find_vqs()`, whose
    // device's `priv` points to the `Shared<N>` of the live `Virtqueues` (type invariant).
    let shared = unsafe { &*(*(*vq).vdev).priv_.cast::<Shared<N>>() };
    let _queues = shared.queues.lock();
    loop {
        let mut len: c_uint = 0;
        // SAFETY: `vq` is a live queue, used with the lock held.
        let token = unsafe { bindings::virtqueue_get_buf(vq, &mut len) };
        if token.is_null() {
            break;
        }
        // SAFETY: Every token is an `Arc<Request>` from `add()`, returned exactly once.
        let request = unsafe { Arc::<Request>::from_raw(token.cast()) };
        // SAFETY: The device returned the request just now.
        unsafe { request.finish(Some(len as usize)) };
    }
    // Returned requests made room: the submitters waiting for it try again.
    shared.room.notify_all();
}
