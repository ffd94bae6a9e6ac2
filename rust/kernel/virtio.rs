// SPDX-License-Identifier: GPL-2.0

//! Abstractions for the virtio bus.
//!
//! A virtio driver implements [`Driver`] and registers with
//! [`module_virtio_driver!`](crate::module_virtio_driver). The virtio core negotiates features
//! before the driver's probe runs: the driver names the device-specific feature bits it
//! understands in [`Driver::FEATURES`], and the transport feature bits (such as
//! `VIRTIO_F_VERSION_1`) are negotiated by the core on its own.
//!
//! C header: [`include/linux/virtio.h`](srctree/include/linux/virtio.h)

use crate::{
    bindings,
    device,
    device_id::RawDeviceId,
    driver,
    error::{
        from_result,
        to_result, //
    },
    prelude::*,
    str::CStr,
    types::Opaque,
    ThisModule, //
};
use core::{
    marker::PhantomData,
    mem::{
        offset_of,
        size_of, //
    },
    ptr::addr_of_mut,
};

mod virtqueue;

#[cfg(CONFIG_DMA_SHARED_BUFFER)]
pub use self::virtqueue::Fenced;
pub use self::virtqueue::{
    QueueHandle,
    Request,
    Virtqueues, //
};

/// An adapter for the registration of virtio drivers.
pub struct Adapter<T: Driver>(T);

// SAFETY:
// - `bindings::virtio_driver` is a C type declared as `repr(C)`.
// - `T::Data` is the type of the driver's device private data.
// - `struct virtio_driver` embeds a `struct device_driver`.
// - `DEVICE_DRIVER_OFFSET` is the byte offset of that embedded `struct device_driver`.
unsafe impl<T: Driver> driver::DriverLayout for Adapter<T> {
    type DriverType = bindings::virtio_driver;
    type DriverData<'bound> = T::Data<'bound>;
    const DEVICE_DRIVER_OFFSET: usize = offset_of!(Self::DriverType, driver);
}

// SAFETY: `unregister` is only called for a `virtio_driver` that `register` registered
// successfully, which is what `unregister_virtio_driver()` requires.
unsafe impl<T: Driver> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        vdrv: &Opaque<Self::DriverType>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        let features = T::FEATURES;
        let feature_count = u32::try_from(features.len())?;

        // SAFETY: The driver is being initialized and is not registered yet, so nothing else
        // accesses its fields. `T::ID_TABLE` and `T::FEATURES` are `'static`, so the pointers
        // stored here stay valid for as long as the driver is registered.
        unsafe {
            let vdrv = vdrv.get();
            (*vdrv).driver.name = name.as_char_ptr();
            (*vdrv).id_table = T::ID_TABLE.as_ptr();
            (*vdrv).feature_table = features.as_ptr();
            (*vdrv).feature_table_size = feature_count;
            (*vdrv).probe = Some(Self::probe_callback);
            (*vdrv).remove = Some(Self::remove_callback);
            (*vdrv).config_changed = Some(Self::config_changed_callback);
        }

        // SAFETY: `vdrv` is a valid, initialized `struct virtio_driver`.
        to_result(unsafe { bindings::__register_virtio_driver(vdrv.get(), module.as_ptr()) })
    }

    unsafe fn unregister(vdrv: &Opaque<Self::DriverType>) {
        // SAFETY: By the safety requirements of this function, `vdrv` was registered.
        unsafe { bindings::unregister_virtio_driver(vdrv.get()) }
    }
}

impl<T: Driver> Adapter<T> {
    extern "C" fn probe_callback(vdev: *mut bindings::virtio_device) -> c_int {
        // SAFETY: The virtio core only calls probe with a valid `struct virtio_device`, which
        // stays valid until the call returns.
        //
        // INVARIANT: `vdev` is valid for the duration of `probe_callback()`.
        let vdev = unsafe { &*vdev.cast::<Device<device::CoreInternal<'_>>>() };

        from_result(|| {
            let data = T::probe(vdev);

            if let Err(e) = vdev.as_ref().set_drvdata(data) {
                // The data that failed to initialize is dropped; queues it leaked are not left
                // with their interrupt handlers on a device no driver owns.
                //
                // SAFETY: `vdev` is a valid device in a failed probe, with no data stored.
                unsafe { virtqueue::teardown_left_queues(vdev.as_raw()) };
                return Err(e);
            }
            Ok(0)
        })
    }

    extern "C" fn remove_callback(vdev: *mut bindings::virtio_device) {
        // SAFETY: The virtio core only calls remove with a valid `struct virtio_device`, which
        // stays valid until the call returns.
        //
        // INVARIANT: `vdev` is valid for the duration of `remove_callback()`.
        let vdev = unsafe { &*vdev.cast::<Device<device::CoreInternal<'_>>>() };

        // SAFETY: The virtio core only calls remove after a successful probe, and a successful
        // probe stored a `Pin<KBox<T::Data<'_>>>` with `set_drvdata()`.
        let data = unsafe { vdev.as_ref().drvdata_borrow::<T::Data<'_>>() };

        T::unbind(vdev, data);

        // Drop the driver's data here rather than after remove: the virtio core wants the
        // device reset when remove returns, and the data may hold what must end while the
        // device still works, such as a DRM registration whose ioctls wait for the device. The
        // driver core then finds no data left to drop.
        //
        // SAFETY: `T::Data<'_>` is the type `probe_callback()` stored.
        drop(unsafe { vdev.as_ref().drvdata_obtain::<T::Data<'_>>() });

        // The data's queues, if it had any, reset the device when they were dropped. Queues the
        // driver leaked (with `mem::forget` or an `Arc` cycle) are torn down here, so that no
        // interrupt handler outlives the binding, nor the module. A driver without queues has
        // its device reset here.
        //
        // SAFETY: `vdev` is a valid device in remove, whose driver's data was just dropped.
        unsafe { virtqueue::teardown_left_queues(vdev.as_raw()) };
        // SAFETY: `vdev.as_raw()` is a valid `struct virtio_device`.
        unsafe { bindings::virtio_reset_device(vdev.as_raw()) };
    }
}

impl<T: Driver> Adapter<T> {
    extern "C" fn config_changed_callback(vdev: *mut bindings::virtio_device) {
        // SAFETY: The virtio core calls this with a valid `struct virtio_device`, and only
        // between the end of a successful probe and the start of remove (it enables config
        // change reports after probe and disables them before remove, under the lock it holds
        // here). So the device is bound, and stays bound for the duration of the call.
        let vdev = unsafe { &*vdev.cast::<Device<device::BoundInternal>>() };

        // SAFETY: As above, a successful probe stored a `Pin<KBox<T::Data<'_>>>` with
        // `set_drvdata()`, and remove has not taken it back yet.
        let data = unsafe { vdev.as_ref().drvdata_borrow::<T::Data<'_>>() };

        T::config_changed(vdev, data);
    }
}

/// Declares a kernel module that exposes a single virtio driver.
///
/// # Examples
///
/// ```ignore
/// kernel::module_virtio_driver! {
///     type: MyDriver,
///     name: "Module name",
///     authors: ["Author name"],
///     description: "Description",
///     license: "GPL v2",
/// }
/// ```
#[macro_export]
macro_rules! module_virtio_driver {
    ($($f:tt)*) => {
        $crate::module_driver!(<T>, $crate::virtio::Adapter<T>, { $($f)* });
    };
}

/// A virtio device ID ([`struct virtio_device_id`]).
///
/// [`struct virtio_device_id`]: srctree/include/linux/device-id/virtio.h
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct DeviceId(bindings::virtio_device_id);

impl DeviceId {
    /// Matches devices of type `device` from any vendor.
    ///
    /// Device types are listed in `include/uapi/linux/virtio_ids.h`. The type must not be zero:
    /// a zero entry ends the table.
    pub const fn new(device: u32) -> Self {
        assert!(device != 0, "virtio device type 0 ends an ID table");
        Self(bindings::virtio_device_id {
            device,
            vendor: bindings::VIRTIO_DEV_ANY_ID,
        })
    }
}

// SAFETY: `DeviceId` is a `#[repr(transparent)]` wrapper of `virtio_device_id` and adds no
// invariant, so it can be transmuted to `RawType`.
unsafe impl RawDeviceId for DeviceId {
    type RawType = bindings::virtio_device_id;
}

/// `IdTable` type for virtio. `struct virtio_device_id` has no room for per-entry driver data.
pub type IdTable = &'static dyn kernel::device_id::IdTable<DeviceId, ()>;

/// Creates a virtio `IdTable` with its alias for modpost.
///
/// # Examples
///
/// ```ignore
/// kernel::virtio_device_table!(VIRTIO_TABLE, [virtio::DeviceId::new(uapi::VIRTIO_ID_GPU)]);
/// ```
#[macro_export]
macro_rules! virtio_device_table {
    ($table_name:ident, [$($id:expr),* $(,)?]) => {
        $crate::module_device_table!(
            "virtio", $crate::virtio::DeviceId, $table_name, @none, [$($id),*]
        );
    };
}

/// The virtio driver trait.
///
/// The virtio core calls [`Driver::probe`] once the device's features are negotiated; from then
/// on they do not change. On removal, [`Driver::unbind`] is called, then the driver's data is
/// dropped, then the device is reset.
pub trait Driver {
    /// The type of the driver's bus device private data.
    type Data<'bound>: Send + 'bound;

    /// The table of device ids supported by the driver.
    const ID_TABLE: IdTable;

    /// The device-specific feature bits the driver understands.
    ///
    /// Only these are offered to the device (along with the transport feature bits, which the
    /// core handles); [`Device::has_feature`] tells which of them the device accepted.
    const FEATURES: &'static [u32];

    /// Virtio driver probe.
    ///
    /// Called when a device of a matching type is found, after feature negotiation.
    fn probe<'bound>(
        dev: &'bound Device<device::Core<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound;

    /// The device changed its configuration space.
    ///
    /// Called in atomic context (the virtio core holds a spinlock with interrupts disabled),
    /// and only while the device is bound: between the end of [`Driver::probe`] and the start
    /// of removal. It must not sleep, which rules out reading the configuration space (the
    /// transports may sleep there); schedule work that does. Implementing this callback is
    /// optional.
    fn config_changed<'bound>(dev: &'bound Device, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
    }

    /// Virtio driver unbind.
    ///
    /// Called on removal, before the driver's data is dropped. Implementing this callback is
    /// optional; release resources in `Drop` of the driver's data instead where possible.
    fn unbind<'bound>(dev: &'bound Device<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
    }
}

/// The number of feature bits a `struct virtio_device` tracks (`VIRTIO_FEATURES_BITS`).
const FEATURE_BITS: u32 = 128;

/// A virtio device ([`struct virtio_device`]).
///
/// # Invariants
///
/// A [`Device`] instance represents a valid `struct virtio_device` created by the C portion of
/// the kernel (a virtio transport such as virtio-pci).
///
/// [`struct virtio_device`]: srctree/include/linux/virtio.h
#[repr(transparent)]
pub struct Device<Ctx: device::DeviceContext = device::Normal>(
    Opaque<bindings::virtio_device>,
    PhantomData<Ctx>,
);

impl<Ctx: device::DeviceContext> Device<Ctx> {
    #[inline]
    fn as_raw(&self) -> *mut bindings::virtio_device {
        self.0.get()
    }
}

impl Device {
    /// Returns the device type (`VIRTIO_ID_*`).
    #[inline]
    pub fn device_id(&self) -> u32 {
        // SAFETY: By the type invariant `self.as_raw()` is a valid `struct virtio_device`, and
        // its id is set by the transport before the device is registered.
        unsafe { (*self.as_raw()).id.device }
    }

    /// Returns the vendor ID reported by the transport.
    #[inline]
    pub fn vendor_id(&self) -> u32 {
        // SAFETY: As for `device_id()`.
        unsafe { (*self.as_raw()).id.vendor }
    }
}

impl Device<device::Bound> {
    /// Returns whether feature bit `bit` was negotiated with the device.
    ///
    /// Bits beyond those the virtio core tracks are never negotiated. Only a bound device
    /// answers: the virtio core negotiates the feature bits while it probes a driver, and from
    /// the driver's probe until its removal they keep the negotiated values (resume and reset
    /// recovery write them again, unchanged).
    pub fn has_feature(&self, bit: u32) -> bool {
        if bit >= FEATURE_BITS {
            return false;
        }
        // SAFETY: `self.as_raw()` is a valid `struct virtio_device` and `bit` is in range. The
        // device is bound, so its feature bits hold their negotiated values. Unlike
        // `virtio_has_feature()`, this does not require the bit to be in the driver's feature
        // table: bits the driver did not offer are simply not set.
        unsafe { bindings::__virtio_test_bit(self.as_raw(), bit) }
    }

    /// Returns whether the device bypasses the platform's DMA translation, as C's
    /// `virtio_has_dma_quirk()`: `VIRTIO_F_ACCESS_PLATFORM` was not negotiated.
    ///
    /// Such a device accesses guest memory at its physical addresses, bypassing whatever IOMMU
    /// or bounce buffering (`swiotlb=force`, a confidential guest) the DMA API applies: a driver
    /// gives it the physical addresses of its buffers ([`SGEntry::phys_address`]). A device
    /// without the quirk must be given the addresses the DMA API mapped
    /// ([`SGEntry::dma_address`]).
    ///
    /// [`SGEntry::phys_address`]: crate::scatterlist::SGEntry::phys_address
    /// [`SGEntry::dma_address`]: crate::scatterlist::SGEntry::dma_address
    #[inline]
    pub fn has_dma_quirk(&self) -> bool {
        !self.has_feature(crate::uapi::VIRTIO_F_ACCESS_PLATFORM)
    }

    /// Returns the device-specific configuration space, read through the layout `C`.
    ///
    /// `C` is the configuration structure of one device type (see [`ConfigSpace`]); a device
    /// of another type gets [`ENODEV`], so that no read can go past the configuration space
    /// the device implements.
    pub fn config<C: ConfigSpace>(&self) -> Result<Config<'_, C>> {
        if self.device_id() != C::DEVICE_TYPE {
            return Err(ENODEV);
        }
        // INVARIANT: The device is of type `C::DEVICE_TYPE`, whose configuration space is at
        // least `size_of::<C>()` bytes long (safety requirement of `ConfigSpace`).
        Ok(Config {
            dev: self,
            _layout: PhantomData,
        })
    }
}

/// The layout of the configuration space of one virtio device type.
///
/// A configuration space is read through [`Device::config`], which only hands out a
/// [`Config`] for a device of type [`ConfigSpace::DEVICE_TYPE`]; every read is then checked
/// against the size of `Self`. The transports do not check the offsets they are given (modern
/// PCI stops the kernel with `BUG_ON`, legacy PCI and virtio-mmio read past the region), so
/// the size of `Self` is a promise about every device of the type, made once, here, for each
/// device type, not by each driver.
///
/// # Safety
///
/// Every virtio device of type `DEVICE_TYPE` that the virtio specification allows has a
/// device-specific configuration space of at least `size_of::<Self>()` bytes, laid out as
/// `Self`: each field of `Self` is present whatever features were negotiated.
pub unsafe trait ConfigSpace {
    /// The device type (`VIRTIO_ID_*`) whose configuration space `Self` describes.
    const DEVICE_TYPE: u32;
}

// SAFETY: The virtio specification (1.2, section 5.7.4, "Device configuration layout") defines
// the GPU device's configuration as `events_read`, `events_clear`, `num_scanouts` and
// `num_capsets`, four 32-bit fields with no feature condition, which is
// `struct virtio_gpu_config`.
unsafe impl ConfigSpace for crate::uapi::virtio_gpu_config {
    const DEVICE_TYPE: u32 = crate::uapi::VIRTIO_ID_GPU;
}

impl Device<device::Bound> {
    /// Returns the transport device: the device (such as a PCI function) that this virtio
    /// device sits on.
    ///
    /// The transport stays bound while the virtio device is: a transport driver unregisters
    /// its virtio devices in its own remove.
    pub fn transport(&self) -> Result<&Transport<device::Bound>> {
        // SAFETY: `self.as_raw()` is a valid `struct virtio_device`; its `dev.parent` is set by
        // the transport before the device is registered and not changed after.
        let parent = unsafe { (*self.as_raw()).dev.parent };
        if parent.is_null() {
            return Err(ENODEV);
        }
        // SAFETY: `parent` is a valid `struct device`: the virtio device holds a reference to
        // its parent for as long as it exists.
        let parent: &device::Device = unsafe { device::Device::from_raw(parent) };
        // SAFETY: The transport is bound for as long as `self` is (see above), and the returned
        // reference does not outlive `self`.
        let parent = unsafe { parent.as_bound() };
        Ok(Transport::from_device(parent))
    }

    /// Registers the DRM device `drm` with userspace, for as long as this device is bound.
    ///
    /// The parent of `drm` must be this device's [`transport`](Device::transport), where the C
    /// virtio-gpu driver puts its DRM device too: `/sys/class/drm/card*/device` is then the
    /// PCI function. The registration ends when the returned [`Devres`] is dropped, or at the
    /// latest when this device is unbound. Registration data is `'static`.
    ///
    /// [`Devres`]: crate::devres::Devres
    #[cfg(CONFIG_DRM = "y")]
    pub fn register_drm<T: crate::drm::Driver, E>(
        &self,
        drm: crate::drm::UnregisteredDevice<T>,
        reg_data: impl PinInit<T::RegistrationData<'static>, E>,
        flags: usize,
    ) -> Result<crate::devres::Devres<crate::drm::Registration<'static, T>>>
    where
        Error: From<E>,
    {
        let transport = self.transport()?;
        let parent = drm.as_ref().as_ref();
        if parent.as_raw() != transport.as_ref().as_raw() {
            return Err(EINVAL);
        }
        // SAFETY: The parent of `drm` is the transport (checked above), which stays bound for as
        // long as this device is (see `transport()`).
        unsafe { crate::drm::Registration::new_owned_by(self.as_ref(), drm, reg_data, flags) }
    }
}

/// The transport device of a virtio device: the device, on another bus, that it sits on.
///
/// It is a DRM device's parent when its driver binds to a virtio device, as with the C
/// virtio-gpu driver (see [`Device::register_drm`]).
///
/// # Invariants
///
/// It wraps a valid `struct device`, at offset 0.
#[repr(transparent)]
pub struct Transport<Ctx: device::DeviceContext = device::Normal>(device::Device<Ctx>);

impl<Ctx: device::DeviceContext> Transport<Ctx> {
    fn from_device(dev: &device::Device<Ctx>) -> &Self {
        // CAST: `Transport` is a transparent wrapper of `device::Device`.
        let ptr = core::ptr::from_ref(dev).cast::<Self>();
        // SAFETY: `ptr` comes from a reference, and has the same layout.
        unsafe { &*ptr }
    }
}

impl<Ctx: device::DeviceContext> AsRef<device::Device<Ctx>> for Transport<Ctx> {
    fn as_ref(&self) -> &device::Device<Ctx> {
        &self.0
    }
}

// SAFETY: A `Transport` is a transparent wrapper of `struct device`, so the embedded
// `struct device` is at offset 0.
unsafe impl<Ctx: device::DeviceContext> device::AsBusDevice<Ctx> for Transport<Ctx> {
    const OFFSET: usize = 0;
}

/// The configuration space of a bound virtio device, laid out as `C`.
///
/// Accesses are bounds- and alignment-checked against `C`, and values are converted from the
/// device's byte order. Accesses may sleep.
///
/// # Invariants
///
/// `dev` is a device of type `C::DEVICE_TYPE`, so its configuration space holds at least
/// `size_of::<C>()` bytes.
pub struct Config<'a, C: ConfigSpace> {
    dev: &'a Device<device::Bound>,
    _layout: PhantomData<C>,
}

impl<C: ConfigSpace> Config<'_, C> {
    fn check<T>(offset: usize) -> Result<c_uint> {
        let end = offset.checked_add(size_of::<T>()).ok_or(EINVAL)?;
        if end > size_of::<C>() || offset % size_of::<T>() != 0 {
            return Err(EINVAL);
        }
        Ok(c_uint::try_from(offset)?)
    }

    /// Reads the field of type `T` at byte `offset` (see [`core::mem::offset_of`]).
    pub fn read<T: ConfigValue>(&self, offset: usize) -> Result<T> {
        let offset = Self::check::<T>(offset)?;
        // SAFETY: `self.dev.as_raw()` is a valid `struct virtio_device` that is bound to a
        // driver, so its transport's configuration accessors are set up. `check()` placed
        // `offset` inside `C` and aligned it for `T`, and the device's configuration space
        // holds at least `size_of::<C>()` bytes (type invariant).
        Ok(unsafe { T::read(self.dev.as_raw(), offset) })
    }
}

mod private {
    pub trait Sealed {}
}

/// A value that can be read from a virtio configuration space in a single access.
///
/// Implemented for `u8`, `u16`, `u32` and `u64`: the only widths the transports accept.
pub trait ConfigValue: Sized + private::Sealed {
    /// Reads a value of this width at `offset`.
    ///
    /// # Safety
    ///
    /// `vdev` must be a valid, bound `struct virtio_device`, and `offset` must be within its
    /// configuration space and aligned for `Self`.
    #[doc(hidden)]
    unsafe fn read(vdev: *mut bindings::virtio_device, offset: c_uint) -> Self;
}

macro_rules! impl_config_value {
    ($($ty:ty => $read:ident),* $(,)?) => {$(
        impl private::Sealed for $ty {}

        impl ConfigValue for $ty {
            unsafe fn read(vdev: *mut bindings::virtio_device, offset: c_uint) -> Self {
                // SAFETY: Guaranteed by the safety requirements of this function.
                unsafe { bindings::$read(vdev, offset) }
            }
        }
    )*};
}

impl_config_value!(u8 => virtio_cread8, u16 => virtio_cread16, u32 => virtio_cread32,
                   u64 => virtio_cread64);

// SAFETY: `virtio::Device` is a transparent wrapper of `struct virtio_device`, and `OFFSET` is
// the offset of its embedded `struct device`.
unsafe impl<Ctx: device::DeviceContext> device::AsBusDevice<Ctx> for Device<Ctx> {
    const OFFSET: usize = offset_of!(bindings::virtio_device, dev);
}

// SAFETY: `Device` is a transparent wrapper of a type that doesn't depend on `Device`'s generic
// argument.
kernel::impl_device_context_deref!(unsafe { Device });
kernel::impl_device_context_into_aref!(Device);

// SAFETY: Instances of `Device` are always reference-counted through their embedded
// `struct device`.
unsafe impl crate::sync::aref::AlwaysRefCounted for Device {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference guarantees that the refcount is non-zero.
        unsafe { bindings::get_device(addr_of_mut!((*self.as_raw()).dev)) };
    }

    #[inline]
    unsafe fn dec_ref(obj: core::ptr::NonNull<Self>) {
        let vdev: *mut bindings::virtio_device = obj.cast().as_ptr();
        // SAFETY: The safety requirements guarantee that the refcount is non-zero, so `vdev` is
        // still a valid `struct virtio_device`.
        unsafe { bindings::put_device(addr_of_mut!((*vdev).dev)) }
    }
}

impl<Ctx: device::DeviceContext> AsRef<device::Device<Ctx>> for Device<Ctx> {
    fn as_ref(&self) -> &device::Device<Ctx> {
        // SAFETY: By the type invariant of `Self`, `self.as_raw()` is a valid
        // `struct virtio_device`.
        let dev = unsafe { addr_of_mut!((*self.as_raw()).dev) };

        // SAFETY: `dev` points to a valid `struct device`.
        unsafe { device::Device::from_raw(dev) }
    }
}

// SAFETY: A `Device` is always reference-counted and can be released from any thread.
unsafe impl Send for Device {}

// SAFETY: The methods of `Device` (`Device<Normal>`) only read fields that do not change while
// the device exists, so it can be shared among threads.
unsafe impl Sync for Device {}

// SAFETY: The methods `Device<Bound>` adds are configuration space accesses: each is a read or
// write of the device's registers through the transport's config ops, which keep no state of
// their own between calls, so they may run from several threads at once. `Bound` is a
// zero-sized marker that does not affect thread safety.
unsafe impl Sync for Device<device::Bound> {}
