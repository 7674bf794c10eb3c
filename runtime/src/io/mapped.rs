//! Blocks of a file read through a memory map: the kernels read the page
//! cache in place, with no copy into a buffer of ours. A block is one
//! mapping of its byte range (page-aligned outwards), populated when it is
//! made (on the reader thread, one block ahead of the kernels: it takes
//! the page faults and, on a cold cache, the wait for the disk), advised
//! sequential, and unmapped when the last array over it is dropped (the
//! consumed range leaves this process's memory). A mapped block is held
//! input like a read one: the planner's three blocks of every streamed
//! input in flight count its pages.
//!
//! Measured on a 1.6 GB file (2 cores, `sum(sqrt(A*A + 1), axis=0)` at
//! 256 MiB, `benches/ooc.sh`): warm, a mapped run takes a quarter to a
//! fifth of the time of `pread` into reused buffers (whose copy out of the
//! page cache took the reader's core while the kernels wanted both);
//! cold, populating the map on the reader thread beats faulting the pages
//! in from the kernels by a quarter and `pread` by a half.
//!
//! A memory map faults (`SIGBUS`) when the file shrinks under it. The
//! file's length is checked against the range before every block is
//! mapped, so a file truncated before or during a run is an error naming
//! it; a file truncated by another process while a block is being computed
//! is the one case a map cannot defend against (reading with
//! [`ReadPath::Read`] does). [`read_path`] says which path array files
//! take: memory maps for blocks in the page cache and `O_DIRECT` reads for
//! cold ones (`io/cold.rs`), unless `BLAZE_READ=map` (maps only) or
//! `BLAZE_READ=read` (`pread` only) is set in the environment.
//!
//! This module owns the mapping, its advice and its unmapping; the formats
//! decide which ranges are mapped.

use super::{IoError, IoErrorKind};
use blaze_array::{Buffer, DenseArray};
use blaze_datashape::Scalar;
use std::fs::File;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::{Arc, OnceLock};

/// How blocks of array files are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadPath {
    /// A block in the page cache is mapped; a block mostly not in it is
    /// read with `O_DIRECT` (see `io/cold.rs`), where the file system
    /// allows it.
    Auto,
    /// Mapped: blocks are views of the page cache (no copy), cold or not.
    Map,
    /// Read with `pread` into reused aligned buffers (a copy, safe against
    /// a file truncated while it is read).
    Read,
}

/// The read path of this process, from the environment variable
/// `BLAZE_READ`: `read` gives [`ReadPath::Read`], `map`
/// [`ReadPath::Map`], anything else (or nothing) [`ReadPath::Auto`] (on
/// Linux; elsewhere always `Read`). Read once.
pub fn read_path() -> ReadPath {
    static PATH: OnceLock<ReadPath> = OnceLock::new();
    *PATH.get_or_init(|| {
        if !cfg!(target_os = "linux") {
            return ReadPath::Read;
        }
        match std::env::var("BLAZE_READ") {
            Ok(v) if v.eq_ignore_ascii_case("read") => ReadPath::Read,
            Ok(v) if v.eq_ignore_ascii_case("map") => ReadPath::Map,
            _ => ReadPath::Auto,
        }
    })
}

/// A shared read-only map, populated where the system can: the reader
/// thread, one block ahead, takes the page faults (and, on a cold cache,
/// waits for the disk) instead of the kernels.
#[cfg(target_os = "linux")]
const MAP_FLAGS: libc::c_int = libc::MAP_SHARED | libc::MAP_POPULATE;
#[cfg(not(target_os = "linux"))]
const MAP_FLAGS: libc::c_int = libc::MAP_SHARED;

/// One mapping, unmapped when dropped (when the last array over it goes).
#[derive(Debug)]
struct Mapping {
    ptr: NonNull<libc::c_void>,
    len: usize,
}

// SAFETY: the mapping is read-only memory owned by this value; reading it
// from several threads is sound.
unsafe impl Send for Mapping {}
// SAFETY: as above, nothing writes through the mapping.
unsafe impl Sync for Mapping {}

impl std::panic::RefUnwindSafe for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what `mmap` returned and asked
        // for; no array over the mapping is left (this is its owner's
        // last reference).
        unsafe {
            libc::munmap(self.ptr.as_ptr(), self.len);
        }
    }
}

/// The system page size (4 KiB when it cannot be asked).
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf only reads a system value.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).ok().filter(|&p| p > 0).unwrap_or(4096)
}

/// Asks the kernel to read `len` bytes of `file` at `offset` into the page
/// cache, without waiting. Linux reads at most its read-ahead window (or
/// the disk's largest request) per request, so a large range is asked for
/// in steps of 1 MiB: all of it is then in flight at once, and a cold
/// block arrives at the disk's speed instead of one window at a time.
pub(crate) fn will_need(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        const STEP: u64 = 1 << 20;
        let end = offset.saturating_add(len);
        let mut at = offset;
        while at < end {
            let n = STEP.min(end - at);
            let (Ok(o), Ok(l)) = (libc::off_t::try_from(at), libc::off_t::try_from(n)) else {
                return;
            };
            // SAFETY: an advisory call on an open descriptor.
            unsafe {
                libc::posix_fadvise(file.as_raw_fd(), o, l, libc::POSIX_FADV_WILLNEED);
            }
            at += n;
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// `len` bytes of `file` at `offset` as a C-order array of `scalar` and
/// `shape` over a read-only map of them; `None` when the range cannot be
/// mapped (the system refuses, or the range is not aligned for the
/// element type): the caller reads it instead. A file now shorter than the
/// range is an error naming `path` and the rows `what`.
pub(crate) fn map_block(
    file: &File,
    path: &Path,
    offset: u64,
    scalar: Scalar,
    shape: &[usize],
    what: &str,
) -> Result<Option<DenseArray>, IoError> {
    let len = shape
        .iter()
        .try_fold(scalar.size_bytes(), |n, &d| n.checked_mul(d))
        .ok_or_else(|| {
            IoError::format(
                path,
                IoErrorKind::ShapeOverflow,
                format!("a block of shape {shape:?} overflows"),
            )
        })?;
    let size = scalar.size_bytes().max(1);
    if len == 0 || offset % size as u64 != 0 {
        return Ok(None);
    }
    // The file's length now: a file that shrank since it was opened is an
    // error here, not a fault when the kernel reads the map.
    let end = offset.checked_add(len as u64);
    let now = file
        .metadata()
        .map_err(|e| IoError::os(path, "cannot stat", e))?
        .len();
    if end.is_none_or(|e| e > now) {
        return Err(IoError::format(
            path,
            IoErrorKind::TruncatedData,
            format!(
                "truncated while read: {what} need bytes up to {}, the file now has {now}",
                end.map_or_else(|| "beyond 2^64".to_string(), |e| e.to_string())
            ),
        ));
    }
    // The block's own range first (the first block was asked for by no
    // one; the others' requests are in flight or done).
    will_need(file, offset, len as u64);
    let page = page_size() as u64;
    let start = offset / page * page;
    let delta = (offset - start) as usize;
    let Some(map_len) = delta.checked_add(len) else {
        return Ok(None);
    };
    let Ok(at) = libc::off_t::try_from(start) else {
        return Ok(None);
    };
    #[cfg(unix)]
    let fd = std::os::unix::io::AsRawFd::as_raw_fd(file);
    // SAFETY: a new read-only shared mapping of a range inside the file
    // (checked above); the kernel chooses the address.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            map_len,
            libc::PROT_READ,
            MAP_FLAGS,
            fd,
            at,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Ok(None);
    }
    let Some(ptr) = NonNull::new(ptr) else {
        return Ok(None);
    };
    #[cfg(target_os = "linux")]
    // SAFETY: advice on the mapping just made; it changes no contents.
    unsafe {
        libc::madvise(ptr.as_ptr(), map_len, libc::MADV_SEQUENTIAL);
    }
    let mapping = Arc::new(Mapping { ptr, len: map_len });
    // SAFETY: `delta < page <= map_len`, inside the mapping.
    let data = unsafe { mapping.ptr.as_ptr().cast::<u8>().add(delta) };
    let Some(data) = NonNull::new(data) else {
        return Ok(None);
    };
    // SAFETY: `len` bytes at `data` are mapped, readable and unchanged by
    // this process as long as the mapping lives, which the buffer owns.
    let buffer = unsafe { Buffer::from_custom_allocation(data, len, mapping) };
    DenseArray::c_order(buffer, scalar, shape)
        .map(Some)
        .map_err(|e| IoError::format(path, IoErrorKind::ShapeOverflow, format!("{what}: {e}")))
}
