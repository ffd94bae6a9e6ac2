// SPDX-License-Identifier: GPL-2.0

//! The virtio-gpu command layer: requests encoded and responses validated as the virtio
//! specification lays them out (little-endian, `include/uapi/linux/virtio_gpu.h`).
//!
//! Each request is laid out by its C structure: the encoder takes the size and every field
//! offset from the uapi header, so the two cannot disagree. Every response is checked before
//! use: its length, its type, and the error it may carry. A request is fenced when it is
//! queued: [`stamp_fence`] writes its fence id in, under the queue's lock.

use core::mem::{
    offset_of,
    size_of, //
};
use kernel::{
    prelude::*,
    uapi, //
};

// bindgen names the members of `enum virtio_gpu_ctrl_type` after the enum.
pub(crate) use uapi::{
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_GET_CAPSET as CMD_GET_CAPSET,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_GET_CAPSET_INFO as CMD_GET_CAPSET_INFO,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_GET_DISPLAY_INFO as CMD_GET_DISPLAY_INFO,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_GET_EDID as CMD_GET_EDID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_MOVE_CURSOR as CMD_MOVE_CURSOR,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING as CMD_RESOURCE_ATTACH_BACKING,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_RESOURCE_CREATE_2D as CMD_RESOURCE_CREATE_2D,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING as CMD_RESOURCE_DETACH_BACKING,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_RESOURCE_FLUSH as CMD_RESOURCE_FLUSH,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_RESOURCE_UNREF as CMD_RESOURCE_UNREF,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_SET_SCANOUT as CMD_SET_SCANOUT,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D as CMD_TRANSFER_TO_HOST_2D,
    virtio_gpu_ctrl_type_VIRTIO_GPU_CMD_UPDATE_CURSOR as CMD_UPDATE_CURSOR,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID as RESP_ERR_INVALID_CONTEXT_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER as RESP_ERR_INVALID_PARAMETER,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID as RESP_ERR_INVALID_RESOURCE_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID as RESP_ERR_INVALID_SCANOUT_ID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY as RESP_ERR_OUT_OF_MEMORY,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_ERR_UNSPEC as RESP_ERR_UNSPEC,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_CAPSET as RESP_OK_CAPSET,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_CAPSET_INFO as RESP_OK_CAPSET_INFO,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_DISPLAY_INFO as RESP_OK_DISPLAY_INFO,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_EDID as RESP_OK_EDID,
    virtio_gpu_ctrl_type_VIRTIO_GPU_RESP_OK_NODATA as RESP_OK_NODATA, //
};

/// Size of `struct virtio_gpu_ctrl_hdr`, which starts every request and response.
const HDR_SIZE: usize = size_of::<uapi::virtio_gpu_ctrl_hdr>();

/// The most scanouts a display info response describes.
pub(crate) const MAX_SCANOUTS: usize = uapi::VIRTIO_GPU_MAX_SCANOUTS as usize;

/// Size of `struct virtio_gpu_resp_display_info`.
pub(crate) const DISPLAY_INFO_SIZE: usize = size_of::<uapi::virtio_gpu_resp_display_info>();

/// Size of one `pmodes` entry of `struct virtio_gpu_resp_display_info`.
const DISPLAY_ONE_SIZE: usize =
    size_of::<uapi::virtio_gpu_resp_display_info_virtio_gpu_display_one>();

/// Size of `struct virtio_gpu_resp_edid`.
pub(crate) const EDID_RESPONSE_SIZE: usize = size_of::<uapi::virtio_gpu_resp_edid>();

/// Size of the EDID buffer of `struct virtio_gpu_resp_edid`.
const EDID_MAX: usize = EDID_RESPONSE_SIZE - offset_of!(uapi::virtio_gpu_resp_edid, edid);

/// Size of `struct virtio_gpu_resp_capset_info`.
pub(crate) const CAPSET_INFO_SIZE: usize = size_of::<uapi::virtio_gpu_resp_capset_info>();

/// The highest capability set id, as the specification numbers them (1 to 63).
pub(crate) const MAX_CAPSET_ID: u32 = 63;

/// The largest capability set the driver fetches, in bytes: a response of 64 KiB with its
/// header. The host's are a few KiB (virgl's is under 2 KiB); a larger one is left out, so
/// that a host cannot make the driver allocate what it says.
pub(crate) const MAX_CAPSET_SIZE: u32 = 64 * 1024 - HDR_SIZE as u32;

/// Size of a response that carries no data (`VIRTIO_GPU_RESP_OK_NODATA`).
pub(crate) const NODATA_SIZE: usize = HDR_SIZE;

/// The most backing entries one `VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING` carries: 64 MiB of
/// 4 KiB pages, in a request of 256 KiB.
pub(crate) const MAX_BACKING_ENTRIES: usize = 16384;

/// A rectangle in a resource or on a scanout (`struct virtio_gpu_rect`).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// One scanout as `VIRTIO_GPU_CMD_GET_DISPLAY_INFO` describes it.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct DisplayMode {
    pub(crate) rect: Rect,
    pub(crate) enabled: bool,
}

/// One guest memory range backing a resource (`struct virtio_gpu_mem_entry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemEntry {
    pub(crate) addr: u64,
    pub(crate) length: u32,
}

/// A cursor position (`struct virtio_gpu_cursor_pos`).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct CursorPos {
    pub(crate) scanout: u32,
    pub(crate) x: u32,
    pub(crate) y: u32,
}

/// A request being encoded: a zeroed buffer the size of the C structure `S`, and of the
/// entries that follow it for the commands that have them.
struct Encoder<S> {
    buf: KVec<u8>,
    _layout: core::marker::PhantomData<S>,
}

impl<S> Encoder<S> {
    /// Starts a request of type `cmd`.
    fn new(cmd: u32) -> Result<Self> {
        Self::with_trailer(cmd, 0)
    }

    /// Like [`Encoder::new`], with `trailer` more bytes after the structure.
    fn with_trailer(cmd: u32, trailer: usize) -> Result<Self> {
        let len = size_of::<S>().checked_add(trailer).ok_or(EINVAL)?;
        let mut this = Self {
            buf: KVec::from_elem(0u8, len, GFP_KERNEL)?,
            _layout: core::marker::PhantomData,
        };
        this.u32(offset_of!(uapi::virtio_gpu_ctrl_hdr, type_), cmd);
        Ok(this)
    }

    fn u32(&mut self, off: usize, value: u32) {
        self.buf[off..off + 4].copy_from_slice(&value.to_le_bytes());
    }

    fn u64(&mut self, off: usize, value: u64) {
        self.buf[off..off + 8].copy_from_slice(&value.to_le_bytes());
    }

    fn rect(&mut self, off: usize, r: Rect) {
        self.u32(off + offset_of!(uapi::virtio_gpu_rect, x), r.x);
        self.u32(off + offset_of!(uapi::virtio_gpu_rect, y), r.y);
        self.u32(off + offset_of!(uapi::virtio_gpu_rect, width), r.width);
        self.u32(off + offset_of!(uapi::virtio_gpu_rect, height), r.height);
    }

    fn finish(self) -> KVec<u8> {
        self.buf
    }
}

/// Encodes `VIRTIO_GPU_CMD_GET_DISPLAY_INFO`.
pub(crate) fn get_display_info() -> Result<KVec<u8>> {
    Ok(Encoder::<uapi::virtio_gpu_ctrl_hdr>::new(CMD_GET_DISPLAY_INFO)?.finish())
}

/// Encodes `VIRTIO_GPU_CMD_GET_EDID` for `scanout`.
pub(crate) fn get_edid(scanout: u32) -> Result<KVec<u8>> {
    let mut e = Encoder::<uapi::virtio_gpu_cmd_get_edid>::new(CMD_GET_EDID)?;
    e.u32(offset_of!(uapi::virtio_gpu_cmd_get_edid, scanout), scanout);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_RESOURCE_CREATE_2D`.
pub(crate) fn resource_create_2d(
    resource: u32,
    format: u32,
    width: u32,
    height: u32,
) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_resource_create_2d;
    let mut e = Encoder::<S>::new(CMD_RESOURCE_CREATE_2D)?;
    e.u32(offset_of!(S, resource_id), resource);
    e.u32(offset_of!(S, format), format);
    e.u32(offset_of!(S, width), width);
    e.u32(offset_of!(S, height), height);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_RESOURCE_UNREF`.
pub(crate) fn resource_unref(resource: u32) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_resource_unref;
    let mut e = Encoder::<S>::new(CMD_RESOURCE_UNREF)?;
    e.u32(offset_of!(S, resource_id), resource);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_SET_SCANOUT`: show `rect` of `resource` on `scanout`, or turn the
/// scanout off with resource 0.
pub(crate) fn set_scanout(scanout: u32, resource: u32, rect: Rect) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_set_scanout;
    let mut e = Encoder::<S>::new(CMD_SET_SCANOUT)?;
    e.rect(offset_of!(S, r), rect);
    e.u32(offset_of!(S, scanout_id), scanout);
    e.u32(offset_of!(S, resource_id), resource);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_RESOURCE_FLUSH`: show the new contents of `rect` of `resource`.
pub(crate) fn resource_flush(resource: u32, rect: Rect) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_resource_flush;
    let mut e = Encoder::<S>::new(CMD_RESOURCE_FLUSH)?;
    e.rect(offset_of!(S, r), rect);
    e.u32(offset_of!(S, resource_id), resource);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D`: copy `rect` of `resource` from its backing,
/// where it starts at byte `offset`.
pub(crate) fn transfer_to_host_2d(resource: u32, rect: Rect, offset: u64) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_transfer_to_host_2d;
    let mut e = Encoder::<S>::new(CMD_TRANSFER_TO_HOST_2D)?;
    e.rect(offset_of!(S, r), rect);
    e.u64(offset_of!(S, offset), offset);
    e.u32(offset_of!(S, resource_id), resource);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING`, with its memory entries following the
/// structure in the same buffer.
pub(crate) fn resource_attach_backing(resource: u32, entries: &[MemEntry]) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_resource_attach_backing;
    type M = uapi::virtio_gpu_mem_entry;
    if entries.is_empty() || entries.len() > MAX_BACKING_ENTRIES {
        return Err(EINVAL);
    }
    let mut e =
        Encoder::<S>::with_trailer(CMD_RESOURCE_ATTACH_BACKING, entries.len() * size_of::<M>())?;
    e.u32(offset_of!(S, resource_id), resource);
    e.u32(offset_of!(S, nr_entries), u32::try_from(entries.len())?);
    for (i, entry) in entries.iter().enumerate() {
        let base = size_of::<S>() + i * size_of::<M>();
        e.u64(base + offset_of!(M, addr), entry.addr);
        e.u32(base + offset_of!(M, length), entry.length);
    }
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING`.
pub(crate) fn resource_detach_backing(resource: u32) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_resource_detach_backing;
    let mut e = Encoder::<S>::new(CMD_RESOURCE_DETACH_BACKING)?;
    e.u32(offset_of!(S, resource_id), resource);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_GET_CAPSET_INFO`: what the capability set at `index` is.
pub(crate) fn get_capset_info(index: u32) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_get_capset_info;
    let mut e = Encoder::<S>::new(CMD_GET_CAPSET_INFO)?;
    e.u32(offset_of!(S, capset_index), index);
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_GET_CAPSET`: version `version` of capability set `id`.
pub(crate) fn get_capset(id: u32, version: u32) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_get_capset;
    let mut e = Encoder::<S>::new(CMD_GET_CAPSET)?;
    e.u32(offset_of!(S, capset_id), id);
    e.u32(offset_of!(S, capset_version), version);
    Ok(e.finish())
}

/// Encodes a cursor request (`struct virtio_gpu_update_cursor`) of type `cmd`.
fn cursor(cmd: u32, pos: CursorPos, image: Option<(u32, u32, u32)>) -> Result<KVec<u8>> {
    type S = uapi::virtio_gpu_update_cursor;
    type P = uapi::virtio_gpu_cursor_pos;
    let mut e = Encoder::<S>::new(cmd)?;
    let p = offset_of!(S, pos);
    e.u32(p + offset_of!(P, scanout_id), pos.scanout);
    e.u32(p + offset_of!(P, x), pos.x);
    e.u32(p + offset_of!(P, y), pos.y);
    if let Some((resource, hot_x, hot_y)) = image {
        e.u32(offset_of!(S, resource_id), resource);
        e.u32(offset_of!(S, hot_x), hot_x);
        e.u32(offset_of!(S, hot_y), hot_y);
    }
    Ok(e.finish())
}

/// Encodes `VIRTIO_GPU_CMD_UPDATE_CURSOR`: the cursor image is `resource` (0 hides it), with
/// its hot spot at (`hot_x`, `hot_y`), placed at `pos`.
pub(crate) fn update_cursor(
    pos: CursorPos,
    resource: u32,
    hot_x: u32,
    hot_y: u32,
) -> Result<KVec<u8>> {
    cursor(CMD_UPDATE_CURSOR, pos, Some((resource, hot_x, hot_y)))
}

/// Encodes `VIRTIO_GPU_CMD_MOVE_CURSOR`.
pub(crate) fn move_cursor(pos: CursorPos) -> Result<KVec<u8>> {
    cursor(CMD_MOVE_CURSOR, pos, None)
}

/// Reads the little-endian `u32` at `off`; the caller has checked the length.
fn le32(buf: &[u8], off: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[off..off + 4]);
    u32::from_le_bytes(b)
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

/// Checks that `resp` is a complete response of type `expected`, at least `size` bytes.
///
/// A short response is [`EPROTO`]; an error response is mapped to the closest errno.
pub(crate) fn check_response(resp: &[u8], expected: u32, size: usize) -> Result {
    if resp.len() < HDR_SIZE {
        return Err(EPROTO);
    }
    let kind = le32(resp, offset_of!(uapi::virtio_gpu_ctrl_hdr, type_));
    if kind != expected {
        return Err(response_error(kind));
    }
    if resp.len() < size {
        return Err(EPROTO);
    }
    Ok(())
}

/// Checks a `VIRTIO_GPU_RESP_OK_NODATA` response.
pub(crate) fn check_nodata(resp: &[u8]) -> Result {
    check_response(resp, RESP_OK_NODATA, NODATA_SIZE)
}

/// Fences the request `cmd` with fence id `id`: the device answers it once the work is done,
/// and, on a 3D device, in the order of the ids. The stamp of
/// [`virtio::QueueHandle::submit_fenced`](kernel::virtio::QueueHandle::submit_fenced).
///
/// [`EINVAL`] if `cmd` is shorter than the header.
pub(crate) fn stamp_fence(cmd: &mut [u8], id: u64) -> Result {
    type H = uapi::virtio_gpu_ctrl_hdr;
    let hdr = cmd.get_mut(..HDR_SIZE).ok_or(EINVAL)?;
    let flags = offset_of!(H, flags);
    let old = le32(hdr, flags);
    hdr[flags..flags + 4].copy_from_slice(&(old | uapi::VIRTIO_GPU_FLAG_FENCE).to_le_bytes());
    let fence_id = offset_of!(H, fence_id);
    hdr[fence_id..fence_id + 8].copy_from_slice(&id.to_le_bytes());
    Ok(())
}

/// Decodes a `VIRTIO_GPU_RESP_OK_DISPLAY_INFO` response for the first `scanouts` scanouts.
pub(crate) fn decode_display_info(
    resp: &[u8],
    scanouts: usize,
) -> Result<[DisplayMode; MAX_SCANOUTS]> {
    type D = uapi::virtio_gpu_resp_display_info_virtio_gpu_display_one;
    type R = uapi::virtio_gpu_rect;
    check_response(resp, RESP_OK_DISPLAY_INFO, DISPLAY_INFO_SIZE)?;
    let mut modes = [DisplayMode::default(); MAX_SCANOUTS];
    let pmodes = offset_of!(uapi::virtio_gpu_resp_display_info, pmodes);
    for (i, mode) in modes
        .iter_mut()
        .enumerate()
        .take(scanouts.min(MAX_SCANOUTS))
    {
        let off = pmodes + i * DISPLAY_ONE_SIZE;
        let r = off + offset_of!(D, r);
        *mode = DisplayMode {
            rect: Rect {
                x: le32(resp, r + offset_of!(R, x)),
                y: le32(resp, r + offset_of!(R, y)),
                width: le32(resp, r + offset_of!(R, width)),
                height: le32(resp, r + offset_of!(R, height)),
            },
            enabled: le32(resp, off + offset_of!(D, enabled)) != 0,
        };
    }
    Ok(modes)
}

/// Size of one EDID block.
const EDID_BLOCK: usize = 128;

/// The fixed header of an EDID base block.
const EDID_HEADER: [u8; 8] = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];

/// Offset of the extension block count in an EDID base block.
const EDID_EXTENSIONS: usize = 126;

/// Checks an EDID: whole blocks, the base block's header, as many blocks as the base block
/// announces, and every block's checksum. Returns the EDID without trailing bytes.
pub(crate) fn validate_edid(edid: &[u8]) -> Result<&[u8]> {
    if edid.len() < EDID_BLOCK || edid[..EDID_HEADER.len()] != EDID_HEADER {
        return Err(EINVAL);
    }
    let len = (1 + usize::from(edid[EDID_EXTENSIONS])) * EDID_BLOCK;
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
    let size = usize::try_from(le32(resp, offset_of!(uapi::virtio_gpu_resp_edid, size)))?;
    if size > EDID_MAX {
        return Err(EPROTO);
    }
    let start = offset_of!(uapi::virtio_gpu_resp_edid, edid);
    validate_edid(&resp[start..start + size])
}

/// A capability set of the device (`struct virtio_gpu_resp_capset_info`): what a 3D context
/// of that kind (virgl, Venus, ...) can do, in a layout of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CapsetInfo {
    pub(crate) id: u32,
    pub(crate) max_version: u32,
    pub(crate) max_size: u32,
}

impl CapsetInfo {
    /// Whether the driver fetches the set: its size is neither 0 nor above
    /// [`MAX_CAPSET_SIZE`].
    pub(crate) fn fits(&self) -> bool {
        (1..=MAX_CAPSET_SIZE).contains(&self.max_size)
    }
}

/// Decodes a `VIRTIO_GPU_RESP_OK_CAPSET_INFO` response. An id out of the specification's range
/// is [`EPROTO`].
pub(crate) fn decode_capset_info(resp: &[u8]) -> Result<CapsetInfo> {
    type S = uapi::virtio_gpu_resp_capset_info;
    check_response(resp, RESP_OK_CAPSET_INFO, CAPSET_INFO_SIZE)?;
    let info = CapsetInfo {
        id: le32(resp, offset_of!(S, capset_id)),
        max_version: le32(resp, offset_of!(S, capset_max_version)),
        max_size: le32(resp, offset_of!(S, capset_max_size)),
    };
    if !(1..=MAX_CAPSET_ID).contains(&info.id) {
        return Err(EPROTO);
    }
    Ok(info)
}

/// The size of a `VIRTIO_GPU_RESP_OK_CAPSET` response to a capability set of `info`, if the
/// driver fetches it ([`CapsetInfo::fits`]); [`EINVAL`] if not.
pub(crate) fn capset_response_size(info: &CapsetInfo) -> Result<usize> {
    if !info.fits() {
        return Err(EINVAL);
    }
    Ok(HDR_SIZE + usize::try_from(info.max_size)?)
}

/// Decodes a `VIRTIO_GPU_RESP_OK_CAPSET` response, and returns the capabilities in it: what the
/// device wrote after the header.
pub(crate) fn decode_capset(resp: &[u8]) -> Result<&[u8]> {
    check_response(resp, RESP_OK_CAPSET, HDR_SIZE)?;
    Ok(&resp[HDR_SIZE..])
}

#[cfg(CONFIG_DRM_VIRTIO_GPU_RS_KUNIT_TEST)]
#[kernel::macros::kunit_tests(virtio_gpu_rs_commands)]
mod tests {
    use super::*;

    /// Reads the little-endian `u64` at `off`.
    fn le64(buf: &[u8], off: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[off..off + 8]);
        u64::from_le_bytes(b)
    }

    /// A response header of type `kind`, followed by `len - 24` zero bytes.
    fn response(kind: u32, len: usize) -> Result<KVec<u8>> {
        let mut buf = KVec::from_elem(0u8, len, GFP_KERNEL)?;
        buf[0..4].copy_from_slice(&kind.to_le_bytes());
        Ok(buf)
    }

    /// A valid EDID of `blocks` blocks: the base block's header, the extension count, and
    /// each block's checksum.
    fn edid(blocks: usize) -> Result<KVec<u8>> {
        let mut e = KVec::from_elem(0u8, blocks * EDID_BLOCK, GFP_KERNEL)?;
        e[..8].copy_from_slice(&EDID_HEADER);
        e[EDID_EXTENSIONS] = (blocks - 1) as u8;
        for block in e.chunks_mut(EDID_BLOCK) {
            block[20] = 0x5a;
            let sum = block[..127].iter().fold(0u8, |s, b| s.wrapping_add(*b));
            block[127] = 0u8.wrapping_sub(sum);
        }
        Ok(e)
    }

    /// An EDID response carrying `edid` and announcing `size` bytes.
    fn edid_response(edid: &[u8], size: u32) -> Result<KVec<u8>> {
        let mut r = response(RESP_OK_EDID, EDID_RESPONSE_SIZE)?;
        r[24..28].copy_from_slice(&size.to_le_bytes());
        r[32..32 + edid.len()].copy_from_slice(edid);
        Ok(r)
    }

    #[test]
    fn sizes_match_the_specification() {
        // The sizes the virtio specification gives for each structure.
        assert_eq!(HDR_SIZE, 24);
        assert_eq!(DISPLAY_INFO_SIZE, 24 + 16 * 24);
        assert_eq!(EDID_RESPONSE_SIZE, 24 + 8 + 1024);
        assert_eq!(EDID_MAX, 1024);
    }

    #[test]
    fn header_without_fence() -> Result {
        let req = get_display_info()?;
        assert_eq!(req.len(), 24);
        assert_eq!(le32(&req, 0), CMD_GET_DISPLAY_INFO);
        assert!(req[4..].iter().all(|b| *b == 0));
        Ok(())
    }

    #[test]
    fn header_with_fence() -> Result {
        let mut req = resource_flush(7, Rect::default())?;
        stamp_fence(&mut req, 0x1122_3344_5566_7788)?;
        assert_eq!(le32(&req, 0), CMD_RESOURCE_FLUSH);
        assert_eq!(le32(&req, 4), uapi::VIRTIO_GPU_FLAG_FENCE);
        assert_eq!(
            &req[8..16],
            &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
        );
        assert_eq!(le32(&req, 16), 0); // ctx_id
        Ok(())
    }

    #[test]
    fn get_edid_encoding() -> Result {
        let req = get_edid(3)?;
        assert_eq!(req.len(), 32);
        assert_eq!(le32(&req, 0), CMD_GET_EDID);
        assert_eq!(le32(&req, 24), 3);
        assert_eq!(le32(&req, 28), 0);
        Ok(())
    }

    #[test]
    fn resource_create_2d_encoding() -> Result {
        let format = uapi::virtio_gpu_formats_VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;
        let req = resource_create_2d(5, format, 1024, 768)?;
        assert_eq!(req.len(), 40);
        assert_eq!(le32(&req, 0), CMD_RESOURCE_CREATE_2D);
        assert_eq!(le32(&req, 24), 5);
        assert_eq!(le32(&req, 28), format);
        assert_eq!(le32(&req, 32), 1024);
        assert_eq!(le32(&req, 36), 768);
        Ok(())
    }

    #[test]
    fn resource_unref_and_detach_encoding() -> Result {
        let req = resource_unref(9)?;
        assert_eq!(req.len(), 32);
        assert_eq!(le32(&req, 0), CMD_RESOURCE_UNREF);
        assert_eq!(le32(&req, 24), 9);
        let req = resource_detach_backing(10)?;
        assert_eq!(req.len(), 32);
        assert_eq!(le32(&req, 0), CMD_RESOURCE_DETACH_BACKING);
        assert_eq!(le32(&req, 24), 10);
        Ok(())
    }

    #[test]
    fn set_scanout_encoding() -> Result {
        let rect = Rect {
            x: 1,
            y: 2,
            width: 640,
            height: 480,
        };
        let req = set_scanout(1, 4, rect)?;
        assert_eq!(req.len(), 48);
        assert_eq!(le32(&req, 0), CMD_SET_SCANOUT);
        assert_eq!((le32(&req, 24), le32(&req, 28)), (1, 2));
        assert_eq!((le32(&req, 32), le32(&req, 36)), (640, 480));
        assert_eq!((le32(&req, 40), le32(&req, 44)), (1, 4));
        Ok(())
    }

    #[test]
    fn transfer_to_host_2d_encoding() -> Result {
        let rect = Rect {
            x: 8,
            y: 16,
            width: 32,
            height: 32,
        };
        let req = transfer_to_host_2d(6, rect, 0x1_0000_0040)?;
        assert_eq!(req.len(), 56);
        assert_eq!(le32(&req, 0), CMD_TRANSFER_TO_HOST_2D);
        assert_eq!((le32(&req, 24), le32(&req, 28)), (8, 16));
        assert_eq!(le64(&req, 40), 0x1_0000_0040);
        assert_eq!(le32(&req, 48), 6);
        Ok(())
    }

    #[test]
    fn attach_backing_encoding() -> Result {
        let entries = [
            MemEntry {
                addr: 0x1000,
                length: 4096,
            },
            MemEntry {
                addr: 0x8_0000_2000,
                length: 512,
            },
        ];
        let req = resource_attach_backing(3, &entries)?;
        assert_eq!(req.len(), 32 + 2 * 16);
        assert_eq!(le32(&req, 0), CMD_RESOURCE_ATTACH_BACKING);
        assert_eq!((le32(&req, 24), le32(&req, 28)), (3, 2));
        assert_eq!((le64(&req, 32), le32(&req, 40)), (0x1000, 4096));
        assert_eq!((le64(&req, 48), le32(&req, 56)), (0x8_0000_2000, 512));
        assert_eq!(resource_attach_backing(3, &[]).err(), Some(EINVAL));
        Ok(())
    }

    #[test]
    fn cursor_encoding() -> Result {
        let pos = CursorPos {
            scanout: 1,
            x: 100,
            y: 200,
        };
        let req = update_cursor(pos, 11, 3, 4)?;
        assert_eq!(req.len(), 56);
        assert_eq!(le32(&req, 0), CMD_UPDATE_CURSOR);
        assert_eq!(
            (le32(&req, 24), le32(&req, 28), le32(&req, 32)),
            (1, 100, 200)
        );
        assert_eq!((le32(&req, 40), le32(&req, 44), le32(&req, 48)), (11, 3, 4));
        let req = move_cursor(pos)?;
        assert_eq!(req.len(), 56);
        assert_eq!(le32(&req, 0), CMD_MOVE_CURSOR);
        assert_eq!(le32(&req, 28), 100);
        assert_eq!(le32(&req, 40), 0);
        Ok(())
    }

    #[test]
    fn responses_are_checked() -> Result {
        let ok = response(RESP_OK_NODATA, NODATA_SIZE)?;
        assert!(check_nodata(&ok).is_ok());
        // Too short for a header.
        assert_eq!(check_nodata(&ok[..23]).err(), Some(EPROTO));
        // The wrong success type.
        let other = response(RESP_OK_DISPLAY_INFO, NODATA_SIZE)?;
        assert_eq!(check_nodata(&other).err(), Some(EIO));
        // The right type, but shorter than the response it announces.
        let short = response(RESP_OK_DISPLAY_INFO, DISPLAY_INFO_SIZE - 1)?;
        assert_eq!(decode_display_info(&short, 1).err(), Some(EPROTO));
        Ok(())
    }

    #[test]
    fn error_responses_map_to_errno() -> Result {
        let cases = [
            (RESP_ERR_UNSPEC, EIO),
            (RESP_ERR_OUT_OF_MEMORY, ENOMEM),
            (RESP_ERR_INVALID_SCANOUT_ID, EINVAL),
            (RESP_ERR_INVALID_RESOURCE_ID, EINVAL),
            (RESP_ERR_INVALID_CONTEXT_ID, EINVAL),
            (RESP_ERR_INVALID_PARAMETER, EINVAL),
            (0x1234, EIO),
        ];
        for (kind, errno) in cases {
            let resp = response(kind, NODATA_SIZE)?;
            assert_eq!(check_nodata(&resp).err(), Some(errno));
        }
        Ok(())
    }

    #[test]
    fn capset_encoding() -> Result {
        let req = get_capset_info(3)?;
        assert_eq!(
            (req.len(), le32(&req, 0), le32(&req, 24)),
            (32, CMD_GET_CAPSET_INFO, 3)
        );
        let req = get_capset(2, 1)?;
        assert_eq!(req.len(), 32);
        assert_eq!(
            (le32(&req, 0), le32(&req, 24), le32(&req, 28)),
            (CMD_GET_CAPSET, 2, 1)
        );
        Ok(())
    }

    #[test]
    fn capset_info_decoding() -> Result {
        let mut resp = response(RESP_OK_CAPSET_INFO, CAPSET_INFO_SIZE)?;
        let set = |resp: &mut KVec<u8>, id: u32, version: u32, size: u32| {
            resp[24..28].copy_from_slice(&id.to_le_bytes());
            resp[28..32].copy_from_slice(&version.to_le_bytes());
            resp[32..36].copy_from_slice(&size.to_le_bytes());
        };
        set(&mut resp, 2, 2, 1024);
        let info = decode_capset_info(&resp)?;
        assert_eq!(
            info,
            CapsetInfo {
                id: 2,
                max_version: 2,
                max_size: 1024
            }
        );
        assert_eq!(capset_response_size(&info), Ok(24 + 1024));
        // Ids 0 and 64 are not capability sets.
        for id in [0, 64] {
            set(&mut resp, id, 0, 1024);
            assert_eq!(decode_capset_info(&resp).err(), Some(EPROTO));
        }
        // One of no size, or too large, is one, but not fetched.
        for size in [0, MAX_CAPSET_SIZE + 1] {
            set(&mut resp, 1, 0, size);
            let info = decode_capset_info(&resp)?;
            assert!(!info.fits());
            assert_eq!(capset_response_size(&info), Err(EINVAL));
        }
        set(&mut resp, 1, 0, MAX_CAPSET_SIZE);
        assert_eq!(
            capset_response_size(&decode_capset_info(&resp)?),
            Ok(64 * 1024)
        );
        assert_eq!(decode_capset_info(&resp[..35]).err(), Some(EPROTO));
        Ok(())
    }

    #[test]
    fn capset_decoding() -> Result {
        let mut resp = response(RESP_OK_CAPSET, 24 + 4)?;
        resp[24..28].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(decode_capset(&resp)?, &[1, 2, 3, 4]);
        let err = response(RESP_ERR_INVALID_PARAMETER, 24)?;
        assert_eq!(decode_capset(&err).err(), Some(EINVAL));
        Ok(())
    }

    #[test]
    fn a_short_request_cannot_be_fenced() {
        assert_eq!(stamp_fence(&mut [0u8; HDR_SIZE - 1], 1), Err(EINVAL));
    }

    #[test]
    fn display_info_decoding() -> Result {
        let mut resp = response(RESP_OK_DISPLAY_INFO, DISPLAY_INFO_SIZE)?;
        // Scanout 1: 1280x800 at (16, 32), enabled.
        let off = 24 + 24;
        for (i, v) in [16u32, 32, 1280, 800, 1].iter().enumerate() {
            resp[off + 4 * i..off + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        let modes = decode_display_info(&resp, 2)?;
        assert_eq!(modes[0], DisplayMode::default());
        let rect = Rect {
            x: 16,
            y: 32,
            width: 1280,
            height: 800,
        };
        assert_eq!(
            modes[1],
            DisplayMode {
                rect,
                enabled: true
            }
        );
        // Scanouts beyond the count asked for are left out.
        assert_eq!(decode_display_info(&resp, 1)?[1], DisplayMode::default());
        Ok(())
    }

    #[test]
    fn edid_validation() -> Result {
        let good = edid(2)?;
        assert_eq!(validate_edid(&good)?.len(), 256);
        // Trailing bytes are cut off.
        let mut long = edid(1)?;
        long.extend_from_slice(&[0u8; 40], GFP_KERNEL)?;
        assert_eq!(validate_edid(&long)?.len(), 128);
        // Shorter than a block.
        assert_eq!(validate_edid(&good[..127]).err(), Some(EINVAL));
        // A broken header.
        let mut bad = edid(1)?;
        bad[0] = 1;
        assert_eq!(validate_edid(&bad).err(), Some(EINVAL));
        // A broken checksum in the extension block.
        let mut bad = edid(2)?;
        bad[200] ^= 1;
        assert_eq!(validate_edid(&bad).err(), Some(EINVAL));
        // More extension blocks announced than present.
        assert_eq!(validate_edid(&good[..128 + 64]).err(), Some(EINVAL));
        Ok(())
    }

    #[test]
    fn edid_response_decoding() -> Result {
        let e = edid(2)?;
        let resp = edid_response(&e, 256)?;
        assert_eq!(decode_edid(&resp)?, &e[..]);
        // A size beyond the buffer is a protocol error, not an overread.
        let resp = edid_response(&e, 1025)?;
        assert_eq!(decode_edid(&resp).err(), Some(EPROTO));
        // A size that cuts the EDID short.
        let resp = edid_response(&e, 200)?;
        assert_eq!(decode_edid(&resp).err(), Some(EINVAL));
        // A response shorter than the structure.
        let resp = edid_response(&e, 256)?;
        assert_eq!(
            decode_edid(&resp[..EDID_RESPONSE_SIZE - 1]).err(),
            Some(EPROTO)
        );
        Ok(())
    }
}
