//! Blocks of a file that are not in the page cache, read with `O_DIRECT`:
//! the disk writes them by DMA straight into a page-aligned buffer of the
//! block pool, without passing through the page cache.
//!
//! A memory map of a cold file costs the CPU the page cache's work for
//! every page (allocating it, inserting it, mapping it into the process,
//! unmapping it): measured on an 8 GB file, `dd` through the page cache
//! spends 6.5 s of system time where `dd iflag=direct` spends 0.35 s. On
//! two cores that time is taken from the kernels and BLAS running the
//! previous block. A warm block is still mapped (its pages are already
//! there: the map is free of copies and of I/O); [`is_cold`] tells the two
//! apart with `mincore` on a mapping of the block that is never touched
//! (asking for a byte with `RWF_NOWAIT` instead would start the kernel's
//! read-ahead of the pages it asks about).
//!
//! The read range is widened to whole pages (the file's data need not
//! start on one: a `.npy` header takes 128 bytes or more), and the block's
//! array starts inside the buffer where its first byte landed. Where the
//! file system refuses `O_DIRECT` (tmpfs), or a read is refused for its
//! alignment, the caller maps or reads the block as before.
//!
//! Direct reads leave the file uncached for the next run, so they are
//! used only where the processor is what limits: a streamed pass whose
//! block function calls BLAS asks its readers for them
//! ([`RowReader::prefer_direct`](super::RowReader::prefer_direct)); a pass
//! bound by reading maps its cold blocks, and the next run finds them in
//! the page cache.

use super::block::BlockPool;
use super::{IoError, IoErrorKind};
use blaze_array::DenseArray;
use blaze_datashape::Scalar;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The alignment of direct reads: offsets, lengths and buffer addresses
/// are multiples of it (4 KiB covers disks of 512-byte and of 4 KiB
/// logical blocks).
pub(crate) const DIRECT_ALIGN: usize = 4096;

/// Whether most of `len` bytes of `file` at `offset` would have to come
/// from the disk: fewer than half of their pages are in the page cache.
/// `false` where the system cannot say.
pub(crate) fn is_cold(file: &File, offset: u64, len: u64) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let page = super::mapped::page_size() as u64;
        let start = offset / page * page;
        let Some(span) = (offset + len)
            .checked_next_multiple_of(page)
            .map(|e| e - start)
        else {
            return false;
        };
        let (Ok(span), Ok(at)) = (usize::try_from(span), libc::off_t::try_from(start)) else {
            return false;
        };
        if len == 0 {
            return false;
        }
        // SAFETY: a new read-only mapping, never populated nor read: it
        // only names the range for `mincore`, and is unmapped below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                span,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                at,
            )
        };
        if ptr == libc::MAP_FAILED {
            return false;
        }
        let mut resident = vec![0u8; span.div_ceil(page as usize)];
        // SAFETY: `resident` has one byte per page of the mapping.
        let ok = unsafe { libc::mincore(ptr, span, resident.as_mut_ptr()) } == 0;
        // SAFETY: the mapping made above, with its length.
        unsafe {
            libc::munmap(ptr, span);
        }
        let cached = resident.iter().filter(|&&b| b & 1 != 0).count();
        ok && cached * 2 < resident.len()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, offset, len);
        false
    }
}

/// A second descriptor of a file, opened with `O_DIRECT` on first use;
/// given up (for the rest of the run) when the system refuses it.
#[derive(Debug, Default)]
pub(crate) struct DirectFile {
    file: OnceLock<Option<File>>,
    refused: AtomicBool,
}

impl DirectFile {
    /// The `O_DIRECT` descriptor of `path`, or `None` where there is none.
    fn get(&self, path: &Path) -> Option<&File> {
        if self.refused.load(Ordering::Relaxed) {
            return None;
        }
        self.file
            .get_or_init(|| {
                #[cfg(target_os = "linux")]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    std::fs::OpenOptions::new()
                        .read(true)
                        .custom_flags(libc::O_DIRECT)
                        .open(path)
                        .ok()
                }
                #[cfg(not(target_os = "linux"))]
                {
                    let _ = path;
                    None
                }
            })
            .as_ref()
    }

    /// `shape` elements of `scalar` at byte `offset` of the file at `path`
    /// read with `O_DIRECT` into a buffer of `pool`; `None` when direct
    /// reads are not possible here (the caller reads otherwise). A file
    /// shorter than the range is an error naming `path` and the rows
    /// `what`.
    pub(crate) fn read(
        &self,
        path: &Path,
        offset: u64,
        scalar: Scalar,
        shape: &[usize],
        pool: &mut BlockPool,
        what: &str,
    ) -> Result<Option<DenseArray>, IoError> {
        let Some(file) = self.get(path) else {
            return Ok(None);
        };
        let size = scalar.size_bytes().max(1);
        let Some(len) = shape.iter().try_fold(size, |n, &d| n.checked_mul(d)) else {
            return Ok(None);
        };
        let align = DIRECT_ALIGN as u64;
        let start = offset / align * align;
        let delta = (offset - start) as usize;
        if len == 0 || delta % size != 0 {
            return Ok(None);
        }
        let Some(span) = delta
            .checked_add(len)
            .and_then(|n| n.checked_next_multiple_of(DIRECT_ALIGN))
        else {
            return Ok(None);
        };
        let mut refused = false;
        let array = pool.fill_aligned(path, scalar, shape, DIRECT_ALIGN, span, delta, |bytes| {
            let mut done = 0usize;
            while done < span {
                match read_at(file, &mut bytes[done..span], start + done as u64) {
                    Ok(0) => break,
                    Ok(n) => done += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) if e.raw_os_error() == Some(libc::EINVAL) && done == 0 => {
                        refused = true;
                        return Ok(());
                    }
                    Err(e) => {
                        return Err(IoError::os(path, format!("read error at {what}"), e));
                    }
                }
                // A short read ends on the file's last byte: the rest of
                // the last page is past the end.
                if done % DIRECT_ALIGN != 0 {
                    break;
                }
            }
            if done < delta + len {
                return Err(IoError::format(
                    path,
                    IoErrorKind::TruncatedData,
                    format!(
                        "truncated while read: {what} need bytes up to {}, the file ends at {}",
                        offset + len as u64,
                        start + done as u64
                    ),
                ));
            }
            Ok(())
        })?;
        if refused {
            self.refused.store(true, Ordering::Relaxed);
            return Ok(None);
        }
        Ok(Some(array))
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<usize> {
    Err(std::io::ErrorKind::Unsupported.into())
}
