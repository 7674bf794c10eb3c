//! A file written front to back at the disk's speed: bytes go from
//! page-aligned buffers straight to the disk (`O_DIRECT`, no page cache,
//! no copy into it) on a writer thread while the next buffer is filled,
//! so the final sync has almost nothing left to do.
//!
//! The stream keeps the bytes past the last whole page of each buffer (the
//! *carry*) and puts them at the front of the next buffer, so every write
//! starts on a page and is whole pages; the last partial page is written
//! padded and the file cut to its true length at the end. Where the file
//! system refuses `O_DIRECT` (when the file is opened, as tmpfs before
//! Linux 6.6 does, or at the first write), the same buffers are written through
//! the page cache and each range is started on its way to the disk as it
//! is written (`sync_file_range`).
//!
//! At most two buffers exist: one being written, one being filled (the
//! hand-over waits for the previous write to be taken).
//!
//! This module owns the aligned buffers, the writer thread and the
//! fallback; the formats decide what the bytes are and where the file is
//! (the stage in [`atomic`](super::atomic)).

use super::IoError;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

/// The unit of alignment of direct writes (a page on every Linux disk).
const ALIGN: usize = 4096;

/// One aligned page of bytes.
#[derive(Clone, Copy)]
#[repr(C, align(4096))]
struct Page([u8; ALIGN]);

/// Page-aligned bytes, filled from the front.
pub(crate) struct Pages {
    pages: Vec<Page>,
    /// Bytes in use from the front.
    len: usize,
}

impl Pages {
    fn with_capacity(bytes: usize) -> Pages {
        let n = bytes.div_ceil(ALIGN).max(1);
        let mut pages = vec![Page([0; ALIGN]); n];
        crate::memory::advise_huge_pages(pages.as_mut_ptr().cast(), n * ALIGN);
        Pages { pages, len: 0 }
    }

    fn capacity(&self) -> usize {
        self.pages.len() * ALIGN
    }

    /// All bytes of the buffer.
    fn all_mut(&mut self) -> &mut [u8] {
        let cap = self.capacity();
        // SAFETY: `Page` is plain bytes without padding; `cap` bytes are
        // allocated.
        unsafe { std::slice::from_raw_parts_mut(self.pages.as_mut_ptr().cast::<u8>(), cap) }
    }

    fn bytes(&self, len: usize) -> &[u8] {
        let len = len.min(self.capacity());
        // SAFETY: as above, `len` is at most the capacity.
        unsafe { std::slice::from_raw_parts(self.pages.as_ptr().cast::<u8>(), len) }
    }
}

/// A buffer being filled: bytes `prefix..prefix + len` are the caller's
/// (the carry of the previous buffer is in front of them).
pub(crate) struct Slot {
    pages: Pages,
    prefix: usize,
    len: usize,
}

impl Slot {
    /// The caller's `len` bytes, page cache free, aligned as the file
    /// offset they go to is (to the element size the caller writes when
    /// its offsets are multiples of it).
    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        let (p, l) = (self.prefix, self.len);
        &mut self.pages.all_mut()[p..p + l]
    }
}

/// A write for the writer thread: whole pages at a page-aligned offset.
struct Job {
    pages: Pages,
    offset: u64,
    len: usize,
}

/// A file written front to back through aligned buffers.
pub(crate) struct DirectStream {
    path: PathBuf,
    /// The buffered descriptor (the last page, the fallback, the sync).
    file: File,
    /// Bytes after `written` not yet handed to the writer (< a page).
    carry: Vec<u8>,
    /// The file offset up to which whole pages were handed over.
    written: u64,
    jobs: Option<SyncSender<Job>>,
    free: Receiver<Pages>,
    thread: Option<JoinHandle<io::Result<bool>>>,
}

impl std::fmt::Debug for DirectStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectStream")
            .field("path", &self.path)
            .field("written", &self.written)
            .finish()
    }
}

/// Writes `buf` at `offset`, all of it.
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

/// Starts writing back `len` bytes at `offset` of `file` (advisory).
fn start_writeback(file: &File, offset: u64, len: usize) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: an advisory call on an open descriptor.
        unsafe {
            libc::sync_file_range(
                file.as_raw_fd(),
                offset as libc::off64_t,
                len as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// `tmp` opened again for direct writes, or `None` where the file system
/// refuses them.
fn open_direct(tmp: &Path) -> Option<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(tmp)
            .ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = tmp;
        None
    }
}

/// The writer thread: each job's pages written directly (or through the
/// page cache once direct writes are refused), the buffer handed back.
/// Returns whether every write went direct.
fn writer(
    direct: Option<File>,
    buffered: File,
    jobs: Receiver<Job>,
    free: Sender<Pages>,
) -> io::Result<bool> {
    let mut direct = direct;
    for job in jobs {
        let bytes = job.pages.bytes(job.len);
        let mut done = false;
        if let Some(d) = &direct {
            match write_all_at(d, bytes, job.offset) {
                Ok(()) => done = true,
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => direct = None,
                Err(e) => return Err(e),
            }
        }
        if !done {
            write_all_at(&buffered, bytes, job.offset)?;
            start_writeback(&buffered, job.offset, bytes.len());
        }
        let _ = free.send(job.pages);
    }
    Ok(direct.is_some())
}

impl DirectStream {
    /// A stream writing the file `tmp`, open as `file`, from its start;
    /// `head` are its first bytes (a header), written with the first
    /// buffer.
    pub(crate) fn new(tmp: &Path, file: File, head: &[u8]) -> Result<DirectStream, IoError> {
        DirectStream::with(tmp, file, head, open_direct(tmp))
    }

    /// As [`DirectStream::new`], with the direct descriptor given (`None`:
    /// every write through the page cache).
    fn with(
        tmp: &Path,
        file: File,
        head: &[u8],
        direct: Option<File>,
    ) -> Result<DirectStream, IoError> {
        let buffered = file
            .try_clone()
            .map_err(|e| IoError::os(tmp, "cannot open for writing", e))?;
        let (jobs, rx) = sync_channel::<Job>(0);
        let (back, free) = channel::<Pages>();
        let thread = std::thread::Builder::new()
            .name("blaze-writer".into())
            .spawn(move || writer(direct, buffered, rx, back))
            .map_err(|e| IoError::os(tmp, "cannot start the writer thread", e))?;
        Ok(DirectStream {
            path: tmp.to_path_buf(),
            file,
            carry: head.to_vec(),
            written: 0,
            jobs: Some(jobs),
            free,
            thread: Some(thread),
        })
    }

    /// The file offset the next slot's bytes go to.
    pub(crate) fn position(&self) -> u64 {
        self.written + self.carry.len() as u64
    }

    /// A buffer for the next `len` bytes of the file (a free one when
    /// large enough, else a new one).
    pub(crate) fn slot(&mut self, len: usize) -> Result<Slot, IoError> {
        let prefix = self.carry.len();
        let need = prefix.checked_add(len).ok_or_else(|| {
            IoError::os(
                &self.path,
                "write error",
                io::Error::other("a block's size overflows"),
            )
        })?;
        let mut pages = match self.free.try_recv() {
            Ok(p) if p.capacity() >= need => p,
            _ => Pages::with_capacity(need),
        };
        pages.all_mut()[..prefix].copy_from_slice(&self.carry);
        pages.len = need;
        Ok(Slot { pages, prefix, len })
    }

    /// Hands `slot` to the writer: its whole pages are written, the rest
    /// is carried to the next slot. Waits while the previous write is not
    /// yet taken.
    pub(crate) fn submit(&mut self, slot: Slot) -> Result<(), IoError> {
        let total = slot.pages.len;
        let whole = total / ALIGN * ALIGN;
        self.carry.clear();
        self.carry
            .extend_from_slice(&slot.pages.bytes(total)[whole..total]);
        if whole == 0 {
            return Ok(());
        }
        let job = Job {
            pages: slot.pages,
            offset: self.written,
            len: whole,
        };
        self.written += whole as u64;
        let sent = self.jobs.as_ref().is_some_and(|j| j.send(job).is_ok());
        if !sent {
            // The writer stopped: its error says why.
            self.join()?;
            return Err(IoError::os(
                &self.path,
                "write error",
                io::Error::other("the writer thread stopped"),
            ));
        }
        Ok(())
    }

    /// Waits for the writer; its error, if any.
    fn join(&mut self) -> Result<bool, IoError> {
        self.jobs = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Ok(direct))) => Ok(direct),
            Some(Ok(Err(e))) => Err(IoError::os(&self.path, "write error", e)),
            Some(Err(_)) => Err(IoError::os(
                &self.path,
                "write error",
                io::Error::other("the writer thread panicked"),
            )),
            None => Ok(false),
        }
    }

    /// Writes what is left, syncs the file (data and length) and returns
    /// its buffered descriptor. Returns also whether every write went
    /// direct.
    pub(crate) fn finish(mut self) -> Result<(File, bool), IoError> {
        let direct = self.join()?;
        let end = self.position();
        if !self.carry.is_empty() {
            write_all_at(&self.file, &self.carry, self.written)
                .map_err(|e| IoError::os(&self.path, "write error", e))?;
        }
        let len = self
            .file
            .metadata()
            .map_err(|e| IoError::os(&self.path, "cannot stat", e))?
            .len();
        if len != end {
            self.file
                .set_len(end)
                .map_err(|e| IoError::os(&self.path, "cannot size the file", e))?;
        }
        self.file
            .sync_all()
            .map_err(|e| IoError::os(&self.path, "cannot sync to disk", e))?;
        let file = self
            .file
            .try_clone()
            .map_err(|e| IoError::os(&self.path, "cannot sync to disk", e))?;
        Ok((file, direct))
    }
}

impl Drop for DirectStream {
    fn drop(&mut self) {
        // Unfinished: the writer stops after its current write.
        let _ = self.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes through a stream into a new file in `dir`, in buffers
    /// of `step`; returns whether the writes went direct and the bytes.
    fn through(dir: &Path, head: &[u8], len: usize, step: usize) -> (bool, Vec<u8>) {
        through_as(dir, head, len, step, true)
    }

    fn through_as(
        dir: &Path,
        head: &[u8],
        len: usize,
        step: usize,
        try_direct: bool,
    ) -> (bool, Vec<u8>) {
        let path = dir.join("f");
        let file = File::create(&path).expect("create");
        let direct = if try_direct { open_direct(&path) } else { None };
        let mut s = DirectStream::with(&path, file, head, direct).expect("stream");
        let mut at = 0;
        while at < len {
            let n = step.min(len - at);
            let mut slot = s.slot(n).expect("slot");
            for (i, b) in slot.data_mut().iter_mut().enumerate() {
                *b = ((at + i) % 251) as u8;
            }
            s.submit(slot).expect("submit");
            at += n;
        }
        assert_eq!(s.position(), (head.len() + len) as u64);
        let (_, direct) = s.finish().expect("finish");
        (direct, std::fs::read(&path).expect("read"))
    }

    #[test]
    fn pages_go_direct_and_the_tail_is_cut_to_length() {
        let dir = tempfile::tempdir().expect("temp dir");
        let want: Vec<u8> = b"head"
            .iter()
            .copied()
            .chain((0..100_000).map(|i| (i % 251) as u8))
            .collect();
        for step in [1, 4095, 4096, 10_000, 100_000] {
            let (direct, bytes) = through(dir.path(), b"head", 100_000, step);
            assert_eq!(bytes, want, "buffers of {step}");
            // Where the file system opens files for direct writes, every
            // whole page went direct.
            let probe = dir.path().join("probe");
            File::create(&probe).expect("probe");
            if open_direct(&probe).is_some() {
                assert!(direct, "buffers of {step}");
            }
        }
        // Nothing at all: an empty file.
        assert_eq!(through(dir.path(), b"", 0, 1).1, Vec::<u8>::new());
    }

    #[test]
    fn where_direct_writes_are_refused_the_page_cache_takes_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let want: Vec<u8> = b"h"
            .iter()
            .copied()
            .chain((0..9000).map(|i| (i % 251) as u8))
            .collect();
        for step in [1, 5000, 9000] {
            let (direct, bytes) = through_as(dir.path(), b"h", 9000, step, false);
            assert!(!direct);
            assert_eq!(bytes, want, "buffers of {step}");
        }
    }
}
