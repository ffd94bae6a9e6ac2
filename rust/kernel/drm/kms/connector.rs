// SPDX-License-Identifier: GPL-2.0

//! Connectors: the outputs a display is plugged into, and the modes it supports.
//!
//! C header: [`include/drm/drm_connector.h`](srctree/include/drm/drm_connector.h)

use super::encoder::Encoder;
use crate::{
    bindings,
    drm::{
        self,
        kms::ModeConfig, //
    },
    error::{
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    prelude::*,
    types::{
        NotThreadSafe,
        Opaque, //
    },
};
use core::ptr;

/// The kind of a connector, as userspace sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectorType {
    /// A virtual machine's display (`DRM_MODE_CONNECTOR_VIRTUAL`).
    Virtual,
    /// An unknown kind (`DRM_MODE_CONNECTOR_Unknown`).
    Unknown,
}

/// Whether a display is connected (`enum drm_connector_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectorStatus {
    /// A display is connected.
    Connected,
    /// No display is connected.
    Disconnected,
    /// The connector cannot tell.
    Unknown,
}

/// The driver's part of a connector: its data, and how it finds its display's modes.
///
/// Without [`DriverConnector::detect`], a display is always connected, as for a C connector
/// without `detect`.
#[vtable]
pub trait DriverConnector: Send + Sync + Sized + 'static {
    /// The driver of the connector's device.
    type Driver: drm::Driver;

    /// Tells whether a display is connected (`detect`). `force` is set when userspace asked
    /// explicitly.
    fn detect(_connector: &Connector<Self>, _force: bool) -> ConnectorStatus {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Adds the display's modes to `modes`, and returns how many it added.
    fn get_modes(connector: &Connector<Self>, modes: &mut ModeList<'_>) -> u32;
}

/// A connector of a device of driver `T::Driver`, with the driver's data `T`.
///
/// # Invariants
///
/// - `connector` is an initialized `struct drm_connector` whose functions are `Self::FUNCS`
///   and whose helper functions are `Self::HELPER_FUNCS`, from the end of [`Connector::new`]
///   until its `destroy` callback, which frees `self`.
/// - `self` lives in a `KBox` that the `destroy` callback owns.
#[repr(C)]
#[pin_data]
pub struct Connector<T: DriverConnector> {
    connector: Opaque<bindings::drm_connector>,
    #[pin]
    data: T,
}

// SAFETY: The C side of a connector is protected by the DRM core's locks, and `T` is `Send`.
unsafe impl<T: DriverConnector> Send for Connector<T> {}
// SAFETY: As above, and `T` is `Sync`.
unsafe impl<T: DriverConnector> Sync for Connector<T> {}

impl<T: DriverConnector> Connector<T> {
    const FUNCS: bindings::drm_connector_funcs = bindings::drm_connector_funcs {
        detect: if T::HAS_DETECT {
            Some(Self::detect_callback)
        } else {
            None
        },
        fill_modes: Some(bindings::drm_helper_probe_single_connector_modes),
        destroy: Some(Self::destroy_callback),
        reset: Some(bindings::drm_atomic_helper_connector_reset),
        atomic_duplicate_state: Some(bindings::drm_atomic_helper_connector_duplicate_state),
        atomic_destroy_state: Some(bindings::drm_atomic_helper_connector_destroy_state),
        ..pin_init::zeroed()
    };

    const HELPER_FUNCS: bindings::drm_connector_helper_funcs =
        bindings::drm_connector_helper_funcs {
            get_modes: Some(Self::get_modes_callback),
            ..pin_init::zeroed()
        };

    /// Creates a connector on `mode_config` of kind `kind` with `data`, fed by `encoder`.
    ///
    /// With `edid_property`, userspace can read the display's EDID, as
    /// [`ModeList::update_edid`] sets it, from the connector's `EDID` property.
    ///
    /// The encoder must be one of the same device: [`EINVAL`] otherwise. The connector lives
    /// until the device is released.
    pub fn new<'a>(
        mode_config: &ModeConfig<'a, T::Driver>,
        kind: ConnectorType,
        encoder: &Encoder,
        edid_property: bool,
        data: impl PinInit<T, Error>,
    ) -> Result<&'a Self> {
        let dev = mode_config.as_raw();
        if encoder.device_raw() != dev {
            return Err(EINVAL);
        }
        let kind = match kind {
            ConnectorType::Virtual => bindings::DRM_MODE_CONNECTOR_VIRTUAL,
            ConnectorType::Unknown => bindings::DRM_MODE_CONNECTOR_Unknown,
        };
        let new = KBox::pin_init(
            try_pin_init!(Self {
                connector: Opaque::zeroed(),
                data <- data,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: The connector is not initialized yet; we never move out of the box.
        let this = KBox::into_raw(unsafe { Pin::into_inner_unchecked(new) });
        // SAFETY: `this` is valid, from `KBox::into_raw()` above.
        let raw = unsafe { (*this).connector.get() };

        // SAFETY: `dev` is a valid device that is not registered yet and only this thread uses,
        // with an initialized mode configuration (type invariant of `ModeConfig`). `raw` is
        // zeroed and fixed in memory until `destroy_callback` frees it.
        let ret = unsafe { bindings::drm_connector_init(dev, raw, &Self::FUNCS, kind as c_int) };
        if let Err(e) = to_result(ret) {
            // SAFETY: The connector was not added to the device, so `this` is still ours alone.
            drop(unsafe { KBox::from_raw(this) });
            return Err(e);
        }
        // From here on, the device owns the connector and frees it with `destroy_callback`.

        // SAFETY: `raw` is an initialized connector with no helper functions yet.
        unsafe { bindings::drm_connector_helper_add(raw, &Self::HELPER_FUNCS) };
        if edid_property {
            // SAFETY: `raw` is an initialized connector that userspace cannot see yet.
            unsafe { bindings::drm_connector_attach_edid_property(raw) };
        }
        // SAFETY: Both are objects of `dev` (checked above), which is not registered yet.
        to_result(unsafe { bindings::drm_connector_attach_encoder(raw, encoder.as_raw()) })?;
        // INVARIANT: The connector is initialized with `FUNCS` and `HELPER_FUNCS`, and
        // `destroy_callback` frees the box.
        // SAFETY: The connector lives until the device is released, which the device reference
        // of `mode_config` (for `'a`) outlives.
        Ok(unsafe { &*this })
    }

    /// # Safety
    ///
    /// `ptr` must be the `connector` of a live `Connector<T>`, and stay so for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::drm_connector) -> &'a Self {
        // SAFETY: By the safety requirements, `ptr` is embedded in a `Self`.
        unsafe { &*crate::container_of!(Opaque::cast_from(ptr), Self, connector) }
    }

    /// The driver's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The index of the connector in its device.
    pub fn index(&self) -> u32 {
        // SAFETY: `connector` is initialized (type invariants).
        unsafe { (*self.connector.get()).index }
    }

    /// The DRM device the connector belongs to.
    pub fn drm_device(&self) -> &drm::Device<T::Driver> {
        // SAFETY: `connector` is initialized (type invariants); the device outlives its
        // connectors, and it is a device of driver `T::Driver`.
        unsafe { drm::Device::from_raw((*self.connector.get()).dev) }
    }

    /// # Safety
    ///
    /// `connector` must be a connector of `Self` that the DRM core releases: it is not used
    /// again, and its `KBox` is not freed elsewhere.
    unsafe extern "C" fn destroy_callback(connector: *mut bindings::drm_connector) {
        // SAFETY: The DRM core calls this once, when the device is released, with a connector of
        // `Self`, so `connector` is embedded in a `Self`. The pointer is derived from the raw one,
        // not from a shared reference, since it frees the box.
        let this = unsafe { crate::container_of!(Opaque::cast_from(connector), Self, connector) }
            .cast_mut();
        // SAFETY: `connector` is initialized, and no longer used after this.
        unsafe { bindings::drm_connector_cleanup(connector) };
        // SAFETY: `this` came from `KBox::into_raw()` in `new()`, and the C side let go of it.
        drop(unsafe { KBox::from_raw(this) });
    }

    /// # Safety
    ///
    /// `connector` must be a valid connector of `Self`.
    unsafe extern "C" fn detect_callback(
        connector: *mut bindings::drm_connector,
        force: bool,
    ) -> bindings::drm_connector_status {
        // SAFETY: The probe helpers call this with a connector of `Self`.
        let this = unsafe { Self::from_raw(connector) };
        match T::detect(this, force) {
            ConnectorStatus::Connected => bindings::drm_connector_status_connector_status_connected,
            ConnectorStatus::Disconnected => {
                bindings::drm_connector_status_connector_status_disconnected
            }
            ConnectorStatus::Unknown => bindings::drm_connector_status_connector_status_unknown,
        }
    }

    /// # Safety
    ///
    /// `connector` must be a valid connector of `Self`, probed under the mode configuration's
    /// lock.
    unsafe extern "C" fn get_modes_callback(connector: *mut bindings::drm_connector) -> c_int {
        // SAFETY: The probe helpers call this with a connector of `Self`, holding the mode
        // configuration's lock.
        let this = unsafe { Self::from_raw(connector) };
        let mut modes = ModeList {
            connector,
            _lifetime: core::marker::PhantomData,
            _not_send: NotThreadSafe,
        };
        T::get_modes(this, &mut modes)
            .try_into()
            .unwrap_or(c_int::MAX)
    }
}

/// The list of modes a connector is probing, during [`DriverConnector::get_modes`].
///
/// # Invariants
///
/// `connector` is a valid connector whose modes are being probed, with the mode
/// configuration's lock held, for `'a`.
pub struct ModeList<'a> {
    connector: *mut bindings::drm_connector,
    _lifetime: core::marker::PhantomData<&'a ()>,
    _not_send: NotThreadSafe,
}

impl ModeList<'_> {
    /// Sets the connector's EDID, from which [`ModeList::add_edid_modes`] takes modes and
    /// which the connector's `EDID` property shows, or clears it with `None`. An EDID that
    /// does not parse clears it too.
    pub fn update_edid(&mut self, edid: Option<&[u8]>) {
        let drm_edid = match edid {
            // SAFETY: The helper copies `edid`, and returns null if it cannot.
            Some(edid) => unsafe { bindings::drm_edid_alloc(edid.as_ptr().cast(), edid.len()) },
            None => ptr::null(),
        };
        // SAFETY: `connector` is being probed with the lock held (type invariants); the helper
        // copies what it keeps, and takes null as no EDID.
        unsafe { bindings::drm_edid_connector_update(self.connector, drm_edid) };
        // SAFETY: `drm_edid` came from `drm_edid_alloc()`, or is null, which the helper takes.
        unsafe { bindings::drm_edid_free(drm_edid) };
    }

    /// Adds the modes of the connector's EDID, and returns how many.
    pub fn add_edid_modes(&mut self) -> u32 {
        // SAFETY: `connector` is being probed with the lock held (type invariants).
        let n = unsafe { bindings::drm_edid_connector_add_modes(self.connector) };
        n.try_into().unwrap_or(0)
    }

    /// Adds the standard modes up to `max_width` x `max_height`, for a display whose modes
    /// are not known, and returns how many.
    pub fn add_noedid(&mut self, max_width: u32, max_height: u32) -> u32 {
        // SAFETY: `connector` is being probed with the lock held (type invariants).
        let n = unsafe { bindings::drm_add_modes_noedid(self.connector, max_width, max_height) };
        n.try_into().unwrap_or(0)
    }

    /// Marks the mode of `width` x `height` added so far as the preferred one.
    pub fn set_preferred(&mut self, width: u32, height: u32) {
        let (w, h) = (
            width.try_into().unwrap_or(c_int::MAX),
            height.try_into().unwrap_or(c_int::MAX),
        );
        // SAFETY: `connector` is being probed with the lock held (type invariants).
        unsafe { bindings::drm_set_preferred_mode(self.connector, w, h) };
    }

    /// Adds a mode of `width` x `height` at `refresh` Hz with standard (CVT) timings, marked
    /// as preferred if `preferred` is set.
    pub fn add_cvt(&mut self, width: u32, height: u32, refresh: u32, preferred: bool) -> Result {
        let (w, h, r) = (width.try_into()?, height.try_into()?, refresh.try_into()?);
        // SAFETY: `connector` is valid (type invariants), and so is its device.
        let mode =
            unsafe { bindings::drm_cvt_mode((*self.connector).dev, w, h, r, false, false, false) };
        if mode.is_null() {
            return Err(EINVAL);
        }
        if preferred {
            // SAFETY: `mode` is a new mode that only this function uses.
            unsafe { (*mode).type_ |= bindings::DRM_MODE_TYPE_PREFERRED as u8 };
        }
        // SAFETY: `connector` is being probed with the lock held (type invariants); it takes
        // over `mode`.
        unsafe { bindings::drm_mode_probed_add(self.connector, mode) };
        Ok(())
    }
}
