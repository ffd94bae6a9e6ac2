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

/// The most versions of capability sets kept, all sets together. A device may claim any
/// highest version, and each kept version holds up to [`commands::MAX_CAPSET_SIZE`] bytes: a
/// client asking for one version after another cannot make the driver keep more than this.
const MAX_CACHED: usize = 64;

/// A version of a capability set, asked of the host.
#[derive(Clone)]
enum Entry {
    /// Asked: the request the host answers.
    Pending(Arc<virtio::Request>),
    /// Answered: `max_size` bytes of the set, what the host wrote, then zeros.
    Ready(Arc<KVVec<u8>>),
}

/// A version of a capability set.
struct Cached {
    id: u32,
    version: u32,
    entry: Entry,
}

/// The device's capability sets.
#[pin_data]
pub(crate) struct Capsets {
    /// What each is, in the device's order; those the driver fetches ([`CapsetInfo::fits`]).
    infos: KVec<CapsetInfo>,
    /// The versions asked for so far. The lock is never held while waiting for the host.
    #[pin]
    cache: Mutex<KVec<Cached>>,
}

impl Capsets {
    /// Asks the device about its first `count` capability sets (at most [`MAX_CAPSETS`]),
    /// through `queues`, waiting at most `timeout` for each answer.
    ///
    /// As with the C driver, a device that does not answer in time, or gives a capability set
    /// that is not one (an id out of range), has none: probe goes on without them. A set of no
    /// size or larger than [`commands::MAX_CAPSET_SIZE`] is left out alone.
    pub(crate) fn query<const N: usize>(
        dev: &virtio::Device<kernel::device::Core<'_>>,
        queues: &virtio::Virtqueues<'_, N>,
        index: usize,
        count: u32,
        timeout: kernel::time::Delta,
    ) -> Result<Arc<Self>> {
        if count > MAX_CAPSETS {
            dev_warn!(
                dev,
                "{count} capsets: asking about the first {MAX_CAPSETS} only\n"
            );
        }
        let mut infos = KVec::new();
        for i in 0..count.min(MAX_CAPSETS) {
            let request =
                virtio::Request::new(commands::get_capset_info(i)?, commands::CAPSET_INFO_SIZE)?;
            let info = queues
                .submit(index, &request)
                .and_then(|()| request.wait_timeout(timeout))
                .and_then(commands::decode_capset_info);
            match info {
                Ok(info) if info.fits() => {
                    dev_info!(
                        dev,
                        "capset {i}: id {}, max version {}, max size {}\n",
                        info.id,
                        info.max_version,
                        info.max_size
                    );
                    infos.push(info, GFP_KERNEL)?;
                }
                Ok(info) => dev_warn!(
                    dev,
                    "capset {i}: id {}, max size {}: left out (at most {})\n",
                    info.id,
                    info.max_size,
                    commands::MAX_CAPSET_SIZE
                ),
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

    /// Version `version` of capability set `info`: asked of the host the first time, and kept
    /// once answered. Waits at most `timeout` for the answer, without holding any lock: a
    /// request the host does not answer in time stays asked, and a later call waits for the
    /// same answer, as with the C driver.
    ///
    /// [`EBUSY`] if the host does not answer in time or the queue is full, as with C; unlike
    /// C, which hands out the zeros it allocated when the host answers with an error, the
    /// error's errno (and the next call asks again). [`ENOMEM`] past [`MAX_CACHED`] versions.
    pub(crate) fn get(
        &self,
        queues: &Queues,
        info: &CapsetInfo,
        version: u32,
        timeout: kernel::time::Delta,
    ) -> Result<Arc<KVVec<u8>>> {
        let request = match self.ask(queues, info, version)? {
            Entry::Ready(caps) => return Ok(caps),
            Entry::Pending(request) => request,
        };
        let answer = request.wait_timeout(timeout).map_err(|e| match e {
            ETIMEDOUT => EBUSY,
            e => e,
        })?;
        let caps = commands::decode_capset(answer)
            .and_then(|caps| Ok(Arc::new(padded(caps, info.max_size)?, GFP_KERNEL)?));
        let mut cache = self.cache.lock();
        let slot = cache
            .iter()
            .position(|c| c.id == info.id && c.version == version);
        match (caps, slot) {
            (Ok(caps), Some(i)) => {
                cache[i].entry = Entry::Ready(caps.clone());
                Ok(caps)
            }
            (Ok(caps), None) => Ok(caps),
            (Err(e), Some(i)) => {
                // Asked again next time, unless another caller was answered meanwhile.
                if matches!(cache[i].entry, Entry::Pending(_)) {
                    cache.remove(i)?;
                }
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// What is known of version `version` of capability set `info`: the set, or the request
    /// already asked, or a new request, submitted without waiting for room.
    fn ask(&self, queues: &Queues, info: &CapsetInfo, version: u32) -> Result<Entry> {
        let mut cache = self.cache.lock();
        if let Some(c) = cache
            .iter()
            .find(|c| c.id == info.id && c.version == version)
        {
            return Ok(c.entry.clone());
        }
        if cache.len() >= MAX_CACHED {
            return Err(ENOMEM);
        }
        let request = virtio::Request::new(
            commands::get_capset(info.id, version)?,
            commands::capset_response_size(info)?,
        )?;
        cache.reserve(1, GFP_KERNEL)?;
        queues.try_submit(&request).map_err(|e| match e {
            ENOSPC => EBUSY,
            e => e,
        })?;
        cache.push(
            Cached {
                id: info.id,
                version,
                entry: Entry::Pending(request.clone()),
            },
            GFP_KERNEL,
        )?;
        Ok(Entry::Pending(request))
    }
}

/// The capability set as kept: `caps`, what the host wrote, cut to or padded with zeros to
/// `size` bytes.
fn padded(caps: &[u8], size: u32) -> Result<KVVec<u8>> {
    let mut data = KVVec::from_elem(0u8, usize::try_from(size)?, GFP_KERNEL)?;
    let len = caps.len().min(data.len());
    data[..len].copy_from_slice(&caps[..len]);
    Ok(data)
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

    #[test]
    fn a_capset_is_kept_at_its_size() -> Result {
        assert_eq!(&padded(&[1, 2, 3], 5)?[..], &[1, 2, 3, 0, 0]);
        assert_eq!(&padded(&[1, 2, 3], 2)?[..], &[1, 2]);
        assert_eq!(&padded(&[], 1)?[..], &[0]);
        Ok(())
    }
}
