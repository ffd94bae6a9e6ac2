// SPDX-License-Identifier: GPL-2.0

//! Capability sets: what the host's 3D renderers (virgl, Venus, ...) can do.
//!
//! The device numbers its capability sets; probe asks what each is (its id, its highest
//! version, its size), and `DRM_IOCTL_VIRTGPU_GET_CAPS` fetches one, a version at a time, the
//! first time userspace asks for it: the host's answer does not change while the device is
//! bound, so it is kept.

use crate::{
    commands::{
        self,
        CapsetInfo, //
    },
    device::Queues,
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    virtio, //
};

/// The most capability sets the driver asks about: one per id the specification allows.
pub(crate) const MAX_CAPSETS: u32 = commands::MAX_CAPSET_ID;

/// A capability set fetched from the host.
struct Cached {
    id: u32,
    version: u32,
    /// The host's answer, `max_size` bytes of its capability set: what the host wrote, then
    /// zeros.
    data: Arc<KVec<u8>>,
}

/// The device's capability sets.
#[pin_data]
pub(crate) struct Capsets {
    /// What each is, in the device's order.
    infos: KVec<CapsetInfo>,
    /// The ones fetched so far.
    #[pin]
    cache: Mutex<KVec<Cached>>,
}

impl Capsets {
    /// Asks the device about its first `count` capability sets (at most [`MAX_CAPSETS`]),
    /// through `queues`, waiting at most `timeout` for each answer.
    ///
    /// As with the C driver, a device that does not answer in time, or gives a capability set
    /// that is not one, has none: probe goes on without them.
    pub(crate) fn query<const N: usize>(
        dev: &virtio::Device<kernel::device::Core<'_>>,
        queues: &virtio::Virtqueues<'_, N>,
        index: usize,
        count: u32,
        timeout: kernel::time::Delta,
    ) -> Result<Arc<Self>> {
        let mut infos = KVec::new();
        for i in 0..count.min(MAX_CAPSETS) {
            let request =
                virtio::Request::new(commands::get_capset_info(i)?, commands::CAPSET_INFO_SIZE)?;
            queues.submit(index, &request)?;
            match request
                .wait_timeout(timeout)
                .and_then(commands::decode_capset_info)
            {
                Ok(info) => {
                    dev_info!(
                        dev,
                        "capset {i}: id {}, max version {}, max size {}\n",
                        info.id,
                        info.max_version,
                        info.max_size
                    );
                    infos.push(info, GFP_KERNEL)?;
                }
                Err(e) => {
                    dev_err!(dev, "capset {i}: no valid answer ({e:?}); no capsets\n");
                    infos.clear();
                    break;
                }
            }
        }
        Self::new(infos)
    }

    fn new(infos: KVec<CapsetInfo>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                infos,
                cache <- new_mutex!(KVec::new(), "virtio_gpu_rs::Capsets"),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether the device has any capability set.
    pub(crate) fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// The ids of the capability sets, as a bit mask (`VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs`).
    pub(crate) fn id_mask(&self) -> u64 {
        // Ids are between 1 and 63 (`commands::decode_capset_info`).
        self.infos.iter().fold(0, |mask, info| {
            mask | 1u64.checked_shl(info.id).unwrap_or(0)
        })
    }

    /// The capability set `id` if the device has it at version `version` or later, as the C
    /// driver looks it up.
    pub(crate) fn find(&self, id: u32, version: u32) -> Option<CapsetInfo> {
        self.infos
            .iter()
            .find(|info| info.id == id && info.max_version >= version)
            .copied()
    }

    /// Version `version` of capability set `info`: fetched from the host the first time,
    /// waiting at most `timeout`, and kept.
    ///
    /// A host that does not answer in time is [`EBUSY`], as with the C driver.
    pub(crate) fn get(
        &self,
        queues: &Queues,
        info: &CapsetInfo,
        version: u32,
        timeout: kernel::time::Delta,
    ) -> Result<Arc<KVec<u8>>> {
        // Fetched under the lock: two first askers send one request.
        let mut cache = self.cache.lock();
        if let Some(c) = cache
            .iter()
            .find(|c| c.id == info.id && c.version == version)
        {
            return Ok(c.data.clone());
        }
        let request = virtio::Request::new(
            commands::get_capset(info.id, version)?,
            commands::capset_response_size(info),
        )?;
        queues.submit(&request)?;
        let answer = request.wait_timeout(timeout).map_err(|e| match e {
            ETIMEDOUT => EBUSY,
            e => e,
        })?;
        let caps = commands::decode_capset(answer)?;
        let mut data = KVec::from_elem(0u8, info.max_size as usize, GFP_KERNEL)?;
        let len = caps.len().min(data.len());
        data[..len].copy_from_slice(&caps[..len]);
        let data = Arc::new(data, GFP_KERNEL)?;
        cache.push(
            Cached {
                id: info.id,
                version,
                data: data.clone(),
            },
            GFP_KERNEL,
        )?;
        Ok(data)
    }
}

#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_KUNIT_TEST)]
#[kernel::macros::kunit_tests(virtio_gpu_rs_caps)]
mod tests {
    use super::*;

    #[test]
    fn capsets_are_found_by_id_and_version() -> Result {
        let mut infos = KVec::new();
        for (id, max_version) in [(1, 1), (2, 2), (4, 0)] {
            infos.push(
                CapsetInfo {
                    id,
                    max_version,
                    max_size: 64,
                },
                GFP_KERNEL,
            )?;
        }
        let capsets = Capsets::new(infos)?;
        assert!(!capsets.is_empty());
        assert_eq!(capsets.id_mask(), 0b10110);
        assert_eq!(capsets.find(2, 0).map(|i| i.id), Some(2));
        assert_eq!(capsets.find(2, 2).map(|i| i.max_version), Some(2));
        assert_eq!(capsets.find(2, 3), None);
        assert_eq!(capsets.find(3, 0), None);
        assert!(Capsets::new(KVec::new())?.is_empty());
        Ok(())
    }
}
