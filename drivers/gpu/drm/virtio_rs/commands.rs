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
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_GET_EDID as CMD_GET_EDID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID as RESP_ERR_INVALID_CONTEXT_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER as RESP_ERR_INVALID_PARAMETER,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID as RESP_ERR_INVALID_RESOURCE_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID as RESP_ERR_INVALID_SCANOUT_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY as RESP_ERR_OUT_OF_MEMORY,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_DISPLAY_INFO as RESP_OK_DISPLAY_INFO,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_EDID as RESP_OK_EDID, //
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

/// Size of the EDID buffer of `struct virtio_gpu_resp_edid`.
const EDID_MAX: usize = 1024;

/// Size of `struct virtio_gpu_resp_edid`.
pub(crate) const EDID_RESPONSE_SIZE: usize = HDR_SIZE + 8 + EDID_MAX;

/// Size of one EDID block.
const EDID_BLOCK: usize = 128;

/// The fixed header of an EDID base block.
const EDID_HEADER: [u8; 8] = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];

/// Encodes `VIRTIO_GPU_CMD_GET_EDID` for `scanout`.
pub(crate) fn encode_get_edid(scanout: u32) -> Result<KVec<u8>> {
    let mut buf = encode_hdr(CMD_GET_EDID)?;
    buf.extend_from_slice(&scanout.to_le_bytes(), GFP_KERNEL)?;
    buf.extend_from_slice(&0u32.to_le_bytes(), GFP_KERNEL)?;
    Ok(buf)
}

/// Checks an EDID: whole blocks, the base block's header, as many blocks as the base block
/// announces, and every block's checksum. Returns the EDID without trailing bytes.
pub(crate) fn validate_edid(edid: &[u8]) -> Result<&[u8]> {
    if edid.len() < EDID_BLOCK || edid[..EDID_HEADER.len()] != EDID_HEADER {
        return Err(EINVAL);
    }
    let len = (1 + usize::from(edid[126])) * EDID_BLOCK;
    let edid = edid.get(..len).ok_or(EINVAL)?;
    for block in edid.chunks(EDID_BLOCK) {
        if block.iter().fold(0u8, |sum, b| sum.wrapping_add(*b)) != 0 {
            return Err(EINVAL);
        }
    }
    Ok(edid)
}

/// Decodes a `VIRTIO_GPU_RESP_OK_EDID` response, and returns the validated EDID in it.
pub(crate) fn decode_edid(resp: &[u8]) -> Result<&[u8]> {
    check_response(resp, RESP_OK_EDID, EDID_RESPONSE_SIZE)?;
    let size = usize::try_from(le32(resp, HDR_SIZE))?;
    if size > EDID_MAX {
        return Err(EPROTO);
    }
    let start = HDR_SIZE + 8;
    validate_edid(&resp[start..start + size])
}
