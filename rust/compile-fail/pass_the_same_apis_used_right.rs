// SPDX-License-Identifier: GPL-2.0

//! The control case: the APIs of the other cases, used as intended, build. A failure here
//! means the harness itself is broken, and the other cases prove nothing.

use kernel::{
    device::Bound,
    dma_fence,
    drm::{
        self,
        gem,
        kms, //
    },
    prelude::*,
    sync::aref::ARef,
    uapi,
    virtio, //
};

#[allow(dead_code)]
fn release<T: gem::DriverObject>(this: &T) {
    <T as gem::DriverObject>::release(this);
}

#[allow(dead_code)]
fn read_config(dev: &virtio::Device<Bound>) -> Result<u32> {
    let _ = dev.has_feature(uapi::VIRTIO_GPU_F_EDID);
    let config = dev.config::<uapi::virtio_gpu_config>()?;
    config.read::<u32>(core::mem::offset_of!(uapi::virtio_gpu_config, num_scanouts))
}

#[allow(dead_code)]
fn encoder<T: drm::Driver>(dev: &drm::UnregisteredDevice<T>) -> Result {
    let info = kms::ModeConfigInfo {
        min_width: 32,
        min_height: 32,
        max_width: 8192,
        max_height: 8192,
        preferred_depth: 24,
        prefer_host_byte_order: false,
    };
    kms::ModeConfig::init(dev, &info)?;
    Ok(())
}

#[allow(dead_code)]
fn encoder_of_two_crtcs<'a, C: kms::DriverCrtc>(
    mode_config: &kms::ModeConfig<'a, C::Driver>,
    first: &kms::Crtc<C>,
    second: &kms::Crtc<C>,
) -> Result {
    kms::Encoder::new(mode_config, kms::EncoderType::Virtual, first.mask() | second.mask())?;
    Ok(())
}

#[allow(dead_code)]
fn one_crtc_per_primary<'a, P, C>(
    mode_config: &kms::ModeConfig<'a, P::Driver>,
    first: kms::PrimaryPlane<'a, P>,
    second: kms::PrimaryPlane<'a, P>,
    data: impl PinInit<C, Error> + Clone,
) -> Result
where
    P: kms::DriverPlane,
    C: kms::DriverCrtc<Driver = P::Driver>,
{
    kms::Crtc::new(mode_config, first, data.clone())?;
    kms::Crtc::new(mode_config, second, data)?;
    Ok(())
}

#[allow(dead_code)]
fn check_changes_its_state<P: kms::DriverPlane>(
    new: &mut kms::PlaneState<P>,
    commit: &kms::AtomicCommit<'_, P::Driver>,
) -> Result {
    new.check_plane_state(
        commit,
        &kms::PlaneLimits {
            min_scale: kms::NO_SCALING,
            max_scale: kms::NO_SCALING,
            can_position: false,
            can_update_disabled: true,
        },
    )?;
    *new.data_mut() = Default::default();
    Ok(())
}

/// A CRTC whose vblank is its driver's interrupt: it turns the interrupt on and off, and the
/// interrupt handler reports vblanks through a handle.
#[allow(dead_code)]
struct InterruptCrtc<D>(core::marker::PhantomData<fn() -> D>);

#[derive(Default)]
struct NoState;

impl kms::DriverState for NoState {}

#[vtable]
impl<D: drm::Driver + 'static> kms::DriverCrtc for InterruptCrtc<D> {
    type Driver = D;
    type State = NoState;

    const VBLANK: kms::VblankSource = kms::VblankSource::Interrupt;

    fn enable_vblank(_crtc: &kms::Crtc<Self>) -> Result {
        Ok(())
    }

    fn disable_vblank(_crtc: &kms::Crtc<Self>) {}
}

#[allow(dead_code)]
fn report_vblank<D: drm::Driver>(reg: &drm::Registration<'_, D>, crtc: u32) -> Result<bool> {
    let handle = kms::VblankHandle::new(reg, crtc)?;
    Ok(handle.handle())
}

#[allow(dead_code)]
fn fence_armed_shared_signalled(
    timeline: &dma_fence::Timeline,
) -> Result<ARef<dma_fence::Fence>> {
    let armed = timeline.arm(dma_fence::PendingFence::new(GFP_KERNEL)?);
    let shared = ARef::from(armed.fence());
    armed.signal();
    Ok(shared)
}
