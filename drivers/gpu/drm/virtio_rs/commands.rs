// SPDX-License-Identifier: GPL-2.0

//! The virtio-gpu command layer: requests encoded and responses validated as the virtio
//! specification lays them out (little-endian, `include/uapi/linux/virtio_gpu.h`).
//!
//! Every response is checked before use: its length, its type, and the error it may carry.

use kernel::{
    prelude::*,
    uapi, //
};

// bindgen names the members of `enum virtio_gpu_ctrl_type` after the enum.
pub(crate) use uapi::{
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_GET_DISPLAY_INFO as CMD_GET_DISPLAY_INFO,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID as RESP_ERR_INVALID_CONTEXT_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER as RESP_ERR_INVALID_PARAMETER,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID as RESP_ERR_INVALID_RESOURCE_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID as RESP_ERR_INVALID_SCANOUT_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY as RESP_ERR_OUT_OF_MEMORY,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_DISPLAY_INFO as RESP_OK_DISPLAY_INFO, //
};

/// Size of `struct virtio_gpu_ctrl_hdr`, which starts every request and response.
const HDR_SIZE: usize = 24;

/// Size of one `pmodes` entry of `struct virtio_gpu_resp_display_info`.
const DISPLAY_ONE_SIZE: usize = 24;

/// The most scanouts a display info response describes.
pub(crate) const MAX_SCANOUTS: usize = uapi::VIRTIO_GPU_MAX_SCANOUTS as usize;

/// Size of `struct virtio_gpu_resp_display_info`.
pub(crate) const DISPLAY_INFO_SIZE: usize = HDR_SIZE + MAX_SCANOUTS * DISPLAY_ONE_SIZE;

/// Reads the little-endian `u32` at `off`; the caller has checked the length.
fn le32(buf: &[u8], off: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[off..off + 4]);
    u32::from_le_bytes(b)
}

/// Encodes a request that is a bare header of type `cmd`.
pub(crate) fn encode_hdr(cmd: u32) -> Result<KVec<u8>> {
    let mut buf = KVec::from_elem(0u8, HDR_SIZE, GFP_KERNEL)?;
    buf[0..4].copy_from_slice(&cmd.to_le_bytes());
    Ok(buf)
}

/// Maps a response type that is not the expected one to an error.
fn response_error(kind: u32) -> Error {
    match kind {
        RESP_ERR_OUT_OF_MEMORY => ENOMEM,
        RESP_ERR_INVALID_SCANOUT_ID
        | RESP_ERR_INVALID_RESOURCE_ID
        | RESP_ERR_INVALID_CONTEXT_ID
        | RESP_ERR_INVALID_PARAMETER => EINVAL,
        // VIRTIO_GPU_RESP_ERR_UNSPEC, an unknown error, or a success of the wrong kind.
        _ => EIO,
    }
}

/// Checks that `resp` is a complete response of type `expected` and at least `size` bytes.
pub(crate) fn check_response(resp: &[u8], expected: u32, size: usize) -> Result {
    if resp.len() < HDR_SIZE {
        return Err(EPROTO);
    }
    let kind = le32(resp, 0);
    if kind != expected {
        return Err(response_error(kind));
    }
    if resp.len() < size {
        return Err(EPROTO);
    }
    Ok(())
}

/// One scanout as `VIRTIO_GPU_CMD_GET_DISPLAY_INFO` describes it.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct DisplayMode {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) enabled: bool,
}

/// Decodes a `VIRTIO_GPU_RESP_OK_DISPLAY_INFO` response for the first `scanouts` scanouts.
pub(crate) fn decode_display_info(
    resp: &[u8],
    scanouts: usize,
) -> Result<[DisplayMode; MAX_SCANOUTS]> {
    check_response(resp, RESP_OK_DISPLAY_INFO, DISPLAY_INFO_SIZE)?;
    let mut modes = [DisplayMode::default(); MAX_SCANOUTS];
    for (i, mode) in modes
        .iter_mut()
        .enumerate()
        .take(scanouts.min(MAX_SCANOUTS))
    {
        let off = HDR_SIZE + i * DISPLAY_ONE_SIZE;
        *mode = DisplayMode {
            x: le32(resp, off),
            y: le32(resp, off + 4),
            width: le32(resp, off + 8),
            height: le32(resp, off + 12),
            enabled: le32(resp, off + 16) != 0,
        };
    }
    Ok(modes)
}
